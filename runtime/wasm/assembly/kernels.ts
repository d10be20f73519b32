// AssemblyScript source of the runtime's WebAssembly kernels (compiled at build time by runtime/wasm/build.mjs,
// twice: with 128-bit SIMD, and with relaxed SIMD for a fused multiply-add where the engine has it).
//
// Everything works on byte addresses in one shared linear memory that the JavaScript side owns and allocates
// (runtime/wasm/heap.ts): tensors, weights and scratch all live there, so no call copies its operands.
// The first 64 KiB are left to this module's own static data.
//
// The GEMM follows Goto & van de Geijn ("Anatomy of High-Performance Matrix Multiplication", 2008) — the same
// structure as the TypeScript reference in runtime/gemm.ts: B is packed into KC×NR column panels, A into MR-row
// panels, and an MR×NR = 4×8 micro-kernel keeps its 8 accumulator vectors, two B vectors and one broadcast A
// value in registers. Eight independent accumulators cover the latency of two fused multiply-adds per cycle; a
// 6×8 tile (12 accumulators) looks better on paper but V8 then spills registers and runs at half the speed
// (measured: 25 against 50 GFLOP/s on the 3×3 64→64 56×56 layer).

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 64;   // a multiple of MR: 64×256 floats of packed A stay in L2
const NC: i32 = 2048; // a multiple of NR: B panels of 256×8 floats stream through L1

/** Bits of `flags`. */
const ACCUMULATE: i32 = 1; // C += A·B instead of C = A·B
const BIAS: i32 = 2;       // add bias[row] to every element of a row of C
const CLAMP: i32 = 4;      // clamp C to [lo, hi] (ReLU: [0, ∞), ReLU6: [0, 6]) after the bias and residual
const RESIDUAL: i32 = 8;   // add R, laid out as C and `residual` bytes after it (a shortcut joined in ResNet)

/** Bytes of scratch one `gemm` call needs (packed A, packed B, an edge tile), per thread. */
export function gemmScratchBytes(): i32 {
    return (MC * KC + KC * NC + MR * NR) * 4;
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
    if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(c, f32x4.mul(a, b));
}

/** Copies A[0…mc, 0…kc) (row stride lda floats) into MR-row panels, k-major, zero-padded to a multiple of MR. */
function packA(a: usize, lda: i32, mc: i32, kc: i32, dst: usize): void {
    const rowBytes = <usize>lda << 2;
    for (let ir = 0; ir < mc; ir += MR) {
        const rows = min(MR, mc - ir);
        const base = a + <usize>ir * rowBytes;
        if (rows == MR) {
            for (let p = 0; p < kc; p++) {
                const src = base + (<usize>p << 2);
                store<f32>(dst, load<f32>(src));
                store<f32>(dst, load<f32>(src + rowBytes), 4);
                store<f32>(dst, load<f32>(src + 2 * rowBytes), 8);
                store<f32>(dst, load<f32>(src + 3 * rowBytes), 12);
                dst += MR * 4;
            }
        } else {
            for (let p = 0; p < kc; p++) {
                for (let r = 0; r < MR; r++) {
                    store<f32>(dst, r < rows ? load<f32>(base + <usize>r * rowBytes + (<usize>p << 2)) : 0);
                    dst += 4;
                }
            }
        }
    }
}

/** Copies B[0…kc, 0…nc) (row stride ldb floats) into NR-column panels, k-major, zero-padded to a multiple of NR. */
function packB(b: usize, ldb: i32, kc: i32, nc: i32, dst: usize): void {
    const rowBytes = <usize>ldb << 2;
    for (let jr = 0; jr < nc; jr += NR) {
        const cols = min(NR, nc - jr);
        let src = b + (<usize>jr << 2);
        if (cols == NR) {
            for (let p = 0; p < kc; p++) {
                v128.store(dst, v128.load(src));
                v128.store(dst, v128.load(src, 16), 16);
                src += rowBytes;
                dst += NR * 4;
            }
        } else {
            for (let p = 0; p < kc; p++) {
                for (let c = 0; c < NR; c++) store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(src + (<usize>c << 2)) : 0);
                src += rowBytes;
                dst += NR * 4;
            }
        }
    }
}

/** One finished row segment of 8: optionally add the old C, then on the last depth block the bias and clamp. */
@inline function storeRow(c: usize, v0: v128, v1: v128, add: bool, epilogue: bool, flags: i32, bias: f32, residual: usize, lo: v128, hi: v128): void {
    if (add) {
        v0 = f32x4.add(v0, v128.load(c));
        v1 = f32x4.add(v1, v128.load(c, 16));
    }
    if (epilogue) {
        if (flags & BIAS) {
            const b = f32x4.splat(bias);
            v0 = f32x4.add(v0, b);
            v1 = f32x4.add(v1, b);
        }
        if (flags & RESIDUAL) {
            v0 = f32x4.add(v0, v128.load(c + residual));
            v1 = f32x4.add(v1, v128.load(c + residual, 16));
        }
        if (flags & CLAMP) {
            v0 = f32x4.min(f32x4.max(v0, lo), hi);
            v1 = f32x4.min(f32x4.max(v1, lo), hi);
        }
    }
    v128.store(c, v0);
    v128.store(c, v1, 16);
}

/**
 * C[MR×NR tile at c] (+)= packed A panel · packed B panel over kc. A tile hanging over C's edge (rows < MR or
 * cols < NR) is written to `edge` first and only its valid part copied, with the same epilogue.
 */
function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, rows: i32, cols: i32,
    add: bool, epilogue: bool, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, edge: usize): void {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
    for (let p = 0; p < kc; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let a = v128.load32_splat(pa);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.load32_splat(pa, 4);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.load32_splat(pa, 8);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.load32_splat(pa, 12);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        pa += MR * 4;
        pb += NR * 4;
    }
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const full = rows == MR && cols == NR;
    // An edge tile is finished in `edge` (no old C, no epilogue) and merged element by element below.
    const target = full ? c : edge;
    const stride: usize = full ? ldcBytes : NR * 4;
    const addHere = full && add;
    const epilogueHere = full && epilogue;
    const b = bias;
    storeRow(target, c00, c01, addHere, epilogueHere, flags, epilogueHere && (flags & BIAS) ? load<f32>(b) : 0, residual, loV, hiV);
    storeRow(target + stride, c10, c11, addHere, epilogueHere, flags, epilogueHere && (flags & BIAS) ? load<f32>(b, 4) : 0, residual, loV, hiV);
    storeRow(target + 2 * stride, c20, c21, addHere, epilogueHere, flags, epilogueHere && (flags & BIAS) ? load<f32>(b, 8) : 0, residual, loV, hiV);
    storeRow(target + 3 * stride, c30, c31, addHere, epilogueHere, flags, epilogueHere && (flags & BIAS) ? load<f32>(b, 12) : 0, residual, loV, hiV);
    if (full) return;
    for (let i = 0; i < rows; i++) {
        const rowBias: f32 = epilogue && (flags & BIAS) ? load<f32>(bias + (<usize>i << 2)) : 0;
        for (let j = 0; j < cols; j++) {
            const at = c + <usize>i * ldcBytes + (<usize>j << 2);
            let v = load<f32>(edge + <usize>(i * NR + j) * 4);
            if (add) v += load<f32>(at);
            if (epilogue) {
                v += rowBias;
                if (flags & RESIDUAL) v += load<f32>(at + residual);
                if (flags & CLAMP) v = min(max(v, lo), hi);
            }
            store<f32>(at, v);
        }
    }
}

/** C's element at `at` finished: + bias, + residual, clamped, as flags ask. */
@inline function finish(v: f32, at: usize, flags: i32, bias: f32, residual: usize, lo: f32, hi: f32): f32 {
    if (flags & BIAS) v += bias;
    if (flags & RESIDUAL) v += load<f32>(at + residual);
    if (flags & CLAMP) v = min(max(v, lo), hi);
    return v;
}

/**
 * A matrix-vector product (n = 1, B a contiguous column): each row of A dotted with B, four vectors of partial
 * sums at a time. Packing would copy all of A to use one column of it.
 */
function gemv(m: i32, k: i32, a: usize, lda: i32, b: usize, c: usize, ldcBytes: usize, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32): void {
    for (let i = 0; i < m; i++) {
        const row = a + <usize>i * lda * 4;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let p = 0;
        for (; p + 16 <= k; p += 16) {
            const at = <usize>p << 2;
            s0 = madd(v128.load(row + at), v128.load(b + at), s0);
            s1 = madd(v128.load(row + at, 16), v128.load(b + at, 16), s1);
            s2 = madd(v128.load(row + at, 32), v128.load(b + at, 32), s2);
            s3 = madd(v128.load(row + at, 48), v128.load(b + at, 48), s3);
        }
        for (; p + 4 <= k; p += 4) s0 = madd(v128.load(row + (<usize>p << 2)), v128.load(b + (<usize>p << 2)), s0);
        const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
        let v = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
        for (; p < k; p++) v += load<f32>(row + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
        const at = c + <usize>i * ldcBytes;
        if (flags & ACCUMULATE) v += load<f32>(at);
        store<f32>(at, finish(v, at, flags, flags & BIAS ? load<f32>(bias + (<usize>i << 2)) : 0, residual, lo, hi));
    }
}

/**
 * C[m×n] = A[m×k]·B[k×n] (+ C when flags has ACCUMULATE), then C = clamp(C + bias[row] + R, lo, hi) as flags
 * ask, R at `residual` bytes from C. All matrices row-major; a, b, c, bias and scratch are byte addresses,
 * lda/ldb/ldc in elements. `scratch` holds gemmScratchBytes() bytes owned by the calling thread.
 */
export function gemm(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, scratch: usize): void {
    if (m <= 0 || n <= 0) return;
    const ldcBytes = <usize>ldc << 2;
    if (n == 1 && ldb == 1) {
        gemv(m, k, a, lda, b, c, ldcBytes, flags, bias, residual, lo, hi);
        return;
    }
    if (k <= 0) {
        // An empty product: C keeps (or is) nothing but the epilogue.
        for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
                const at = c + <usize>i * ldcBytes + (<usize>j << 2);
                const v: f32 = flags & ACCUMULATE ? load<f32>(at) : 0;
                store<f32>(at, finish(v, at, flags, flags & BIAS ? load<f32>(bias + (<usize>i << 2)) : 0, residual, lo, hi));
            }
        }
        return;
    }
    const packedA = scratch;
    const packedB = packedA + <usize>(MC * KC * 4);
    const edge = packedB + <usize>(KC * NC * 4);
    for (let j0 = 0; j0 < n; j0 += NC) {
        const nc = min(NC, n - j0);
        for (let p0 = 0; p0 < k; p0 += KC) {
            const kc = min(KC, k - p0);
            packB(b + (<usize>p0 * ldb + j0) * 4, ldb, kc, nc, packedB);
            // The first depth block overwrites C unless the caller accumulates; the last one runs the epilogue.
            const add = (flags & ACCUMULATE) != 0 || p0 > 0;
            const epilogue = p0 + kc >= k;
            for (let i0 = 0; i0 < m; i0 += MC) {
                const mc = min(MC, m - i0);
                packA(a + (<usize>i0 * lda + p0) * 4, lda, mc, kc, packedA);
                for (let jr = 0; jr < nc; jr += NR) {
                    const cols = min(NR, nc - jr);
                    const pb = packedB + <usize>(jr * kc * 4);
                    for (let ir = 0; ir < mc; ir += MR) {
                        const rows = min(MR, mc - ir);
                        microKernel(kc, packedA + <usize>(ir * kc * 4), pb,
                            c + <usize>(i0 + ir) * ldcBytes + (<usize>(j0 + jr) << 2), ldcBytes, rows, cols,
                            add, epilogue, flags, bias + (<usize>(i0 + ir) << 2), residual, lo, hi, edge);
                    }
                }
            }
        }
    }
}

/**
 * im2col of one image for a 2-D window (the layout of runtime/im2col.ts): rows (c, i, j) of channels
 * [c0, c1), each of P = Ho·Wo output positions; x and cols are byte addresses of channel 0 and row 0.
 */
export function im2col2d(x: usize, c0: i32, c1: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
    dh: i32, dw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32, cols: usize): void {
    const P = Ho * Wo;
    const K = kh * kw;
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
                let dst = cols + <usize>((c * K + i * kw + j) * P) * 4;
                // Output columns [owLo, owHi) read inside the image; the rest are padding.
                let owLo = 0;
                while (owLo < Wo && owLo * sw - pw + j * dw < 0) owLo++;
                let owHi = Wo;
                while (owHi > owLo && (owHi - 1) * sw - pw + j * dw >= W) owHi--;
                for (let oh = 0; oh < Ho; oh++) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) {
                        memory.fill(dst, 0, <usize>Wo * 4);
                        dst += <usize>Wo * 4;
                        continue;
                    }
                    const row = plane + <usize>(ih * W) * 4;
                    if (owLo > 0) memory.fill(dst, 0, <usize>owLo * 4);
                    const firstIw = owLo * sw - pw + j * dw;
                    if (sw == 1) {
                        memory.copy(dst + (<usize>owLo << 2), row + (<usize>firstIw << 2), <usize>(owHi - owLo) * 4);
                    } else {
                        let src = row + (<usize>firstIw << 2);
                        const step = <usize>sw << 2;
                        for (let ow = owLo; ow < owHi; ow++) {
                            store<f32>(dst + (<usize>ow << 2), load<f32>(src));
                            src += step;
                        }
                    }
                    if (owHi < Wo) memory.fill(dst + (<usize>owHi << 2), 0, <usize>(Wo - owHi) * 4);
                    dst += <usize>Wo * 4;
                }
            }
        }
    }
}

const WINDOW_DEPTHWISE: i32 = 0; // Σ tap weight × input, then bias and clamp
const WINDOW_MAX: i32 = 1;       // max over the taps inside the image (padding is −∞); NaN propagates

@inline function reduceTap(mode: i32, acc: f32, value: f32, weight: usize): f32 {
    return mode == WINDOW_MAX ? max(acc, value) : acc + value * load<f32>(weight);
}

@inline function reduceTaps(mode: i32, acc: v128, values: v128, weight: usize): v128 {
    return mode == WINDOW_MAX ? f32x4.max(acc, values) : madd(v128.load32_splat(weight), values, acc);
}

/**
 * A sliding 2-D window over each plane of channels [c0, c1) — a depthwise conv (output channel oc reads input
 * channel oc / multiplier with its own kh×kw taps, then bias[oc] and the clamp as flags ask) or max pooling.
 * Taps outside the image are skipped (zero padding adds nothing to a sum; max pooling pads with −∞). Within a
 * row, interior columns (every tap inside the image) are computed four at a time — contiguous loads at stride 1,
 * even lanes of two loads at stride 2 — and the border columns one at a time.
 */
export function window2d(mode: i32, x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32, multiplier: i32,
    H: i32, W: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32,
    flags: i32, lo: f32, hi: f32): void {
    // Interior columns: ow·sw − pw ≥ 0 and ow·sw − pw + (kw − 1)·dw ≤ W − 1.
    let owLo = (pw + sw - 1) / sw;
    let owHi = W - 1 - (kw - 1) * dw + pw >= 0 ? (W - 1 - (kw - 1) * dw + pw) / sw + 1 : 0;
    owLo = min(owLo, Wo);
    owHi = max(owLo, min(owHi, Wo));
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    const isMax = mode == WINDOW_MAX;
    for (let oc = c0; oc < c1; oc++) {
        const plane = x + <usize>(oc / multiplier) * H * W * 4;
        const taps: usize = isMax ? 0 : weight + <usize>oc * kh * kw * 4;
        const out = y + <usize>oc * Ho * Wo * 4;
        const start: f32 = isMax ? -Infinity : flags & BIAS ? load<f32>(bias + (<usize>oc << 2)) : 0;
        for (let oh = 0; oh < Ho; oh++) {
            const row = out + <usize>oh * Wo * 4;
            // Border columns, one at a time.
            for (let ow = 0; ow < Wo; ow++) {
                if (ow == owLo) ow = owHi;
                if (ow >= Wo) break;
                let acc = start;
                for (let i = 0; i < kh; i++) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (let j = 0; j < kw; j++) {
                        const iw = ow * sw - pw + j * dw;
                        if (iw >= 0 && iw < W) acc = reduceTap(mode, acc, load<f32>(plane + <usize>(ih * W + iw) * 4), taps + <usize>(i * kw + j) * 4);
                    }
                }
                if (clamp) acc = min(max(acc, lo), hi);
                store<f32>(row + (<usize>ow << 2), acc);
            }
            // Interior columns, four at a time where the stride allows.
            let ow = owLo;
            if (sw <= 2) {
                for (; ow + 4 <= owHi; ow += 4) {
                    let acc = f32x4.splat(start);
                    for (let i = 0; i < kh; i++) {
                        const ih = oh * sh - ph + i * dh;
                        if (ih < 0 || ih >= H) continue;
                        const src = plane + <usize>(ih * W + ow * sw - pw) * 4;
                        const tapRow = taps + <usize>(i * kw) * 4;
                        for (let j = 0; j < kw; j++) {
                            const at = src + <usize>(j * dw) * 4;
                            const v = sw == 1 ? v128.load(at) : v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
                            acc = reduceTaps(mode, acc, v, tapRow + (<usize>j << 2));
                        }
                    }
                    if (clamp) acc = f32x4.min(f32x4.max(acc, loV), hiV);
                    v128.store(row + (<usize>ow << 2), acc);
                }
            }
            for (; ow < owHi; ow++) {
                let acc = start;
                for (let i = 0; i < kh; i++) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    const src = plane + <usize>(ih * W + ow * sw - pw) * 4;
                    for (let j = 0; j < kw; j++) acc = reduceTap(mode, acc, load<f32>(src + <usize>(j * dw) * 4), taps + <usize>(i * kw + j) * 4);
                }
                if (clamp) acc = min(max(acc, lo), hi);
                store<f32>(row + (<usize>ow << 2), acc);
            }
        }
    }
}

// ---- Work split over threads ----
//
// A job is described in a block of i32 slots in shared memory, written by the thread that starts it; every
// thread t of T then calls runPart(job, t, T) and does its share. Slots: 0 generation, 1 threads still busy
// (both used by the JavaScript side for Atomics.wait/notify), 2 kind, 3 scratch base, 4 scratch bytes per
// thread, 5… the kind's arguments (f32 arguments stored as their bits).

const JOB_GEMM: i32 = 1;
const JOB_IM2COL: i32 = 2;
const JOB_WINDOW: i32 = 3;

@inline function arg(job: usize, i: i32): i32 {
    return load<i32>(job + <usize>((5 + i) * 4));
}

/** Thread t's share [begin, end) of `count` items handed out in multiples of `unit`. */
@inline function shareBegin(count: i32, unit: i32, t: i32, T: i32): i32 {
    const per = ((count + T * unit - 1) / (T * unit)) * unit;
    return min(count, t * per);
}

@inline function shareEnd(count: i32, unit: i32, t: i32, T: i32): i32 {
    const per = ((count + T * unit - 1) / (T * unit)) * unit;
    return min(count, (t + 1) * per);
}

/**
 * Thread t's part of the job: a GEMM is split by columns of C (whole NR panels) when it is wide, by rows
 * (whole MR panels) when it is tall; im2col by input channels. Each part writes a disjoint part of the result.
 */
export function runPart(job: usize, t: i32, T: i32): void {
    const kind = load<i32>(job, 8);
    const scratch = <usize>load<i32>(job, 12) + <usize>t * <usize>load<i32>(job, 16);
    if (kind == JOB_GEMM) {
        const m = arg(job, 0), n = arg(job, 1), k = arg(job, 2);
        const a = <usize>arg(job, 3), lda = arg(job, 4), b = <usize>arg(job, 5), ldb = arg(job, 6);
        const c = <usize>arg(job, 7), ldc = arg(job, 8), flags = arg(job, 9), bias = <usize>arg(job, 10);
        const lo = reinterpret<f32>(arg(job, 11)), hi = reinterpret<f32>(arg(job, 12));
        const residual = <usize>arg(job, 13);
        if (n >= m || m < MR * T) {
            const j0 = shareBegin(n, NR, t, T), j1 = shareEnd(n, NR, t, T);
            if (j0 < j1) gemm(m, j1 - j0, k, a, lda, b + (<usize>j0 << 2), ldb, c + (<usize>j0 << 2), ldc, flags, bias, residual, lo, hi, scratch);
        } else {
            const i0 = shareBegin(m, MR, t, T), i1 = shareEnd(m, MR, t, T);
            if (i0 < i1) gemm(i1 - i0, n, k, a + <usize>i0 * lda * 4, lda, b, ldb, c + <usize>i0 * ldc * 4, ldc, flags, bias + (<usize>i0 << 2), residual, lo, hi, scratch);
        }
    } else if (kind == JOB_WINDOW) {
        const channels = arg(job, 5);
        const c0 = shareBegin(channels, 1, t, T), c1 = shareEnd(channels, 1, t, T);
        if (c0 < c1) {
            window2d(arg(job, 0), <usize>arg(job, 1), <usize>arg(job, 2), <usize>arg(job, 3), <usize>arg(job, 4), c0, c1, arg(job, 6),
                arg(job, 7), arg(job, 8), arg(job, 9), arg(job, 10), arg(job, 11), arg(job, 12), arg(job, 13), arg(job, 14),
                arg(job, 15), arg(job, 16), arg(job, 17), arg(job, 18), arg(job, 19),
                reinterpret<f32>(arg(job, 20)), reinterpret<f32>(arg(job, 21)));
        }
    } else if (kind == JOB_IM2COL) {
        const channels = arg(job, 1);
        const c0 = shareBegin(channels, 1, t, T), c1 = shareEnd(channels, 1, t, T);
        if (c0 < c1) {
            im2col2d(<usize>arg(job, 0), c0, c1, arg(job, 2), arg(job, 3), arg(job, 4), arg(job, 5), arg(job, 6), arg(job, 7),
                arg(job, 8), arg(job, 9), arg(job, 10), arg(job, 11), arg(job, 12), arg(job, 13), <usize>arg(job, 14));
        }
    }
}

/** Lowest byte address the JavaScript side may allocate from (above this module's static data). */
export function heapBase(): usize {
    return (__heap_base + 65535) & ~65535;
}
