// AssemblyScript source of the runtime's WebAssembly kernels (compiled at build time by runtime/wasm/build.mjs,
// twice: with 128-bit SIMD, and with relaxed SIMD for a fused multiply-add where the engine has it).
//
// Everything works on byte addresses in one shared linear memory that the JavaScript side owns and allocates
// (`WasmMemory` in runtime/wasm/instance.ts): tensors, weights and scratch all live there, so no call copies its operands.
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

/** Bits of `flags` (exported: the JavaScript side reads them from the module, runtime/wasm/instance.ts). */
export const ACCUMULATE: i32 = 1; // C += A·B instead of C = A·B
export const BIAS: i32 = 2;       // add bias[row] to every element of a row of C
export const CLAMP: i32 = 4;      // clamp C to [lo, hi] (ReLU: [0, ∞), ReLU6: [0, 6]) after the bias and residual
export const RESIDUAL: i32 = 8;   // add R, laid out as C and `residual` bytes after it (a shortcut joined in ResNet)
export const PACKED_A: i32 = 16;  // A was packed ahead of time by packMatrix (a conv's weights, packed once per run)

/** Rows of A rounded up to whole MR-row panels. */
@inline function paddedRows(m: i32): i32 {
    return (m + MR - 1) / MR * MR;
}

/** Elements packMatrix writes for an m×k matrix. */
export function packedSize(m: i32, k: i32): i32 {
    return paddedRows(m) * k;
}

/**
 * A (m×k) packed as gemm packs it, all blocks ahead of time: block (p0, i0) — depth p0 … p0 + KC, rows
 * i0 … i0 + MC — at element p0·paddedRows(m) + i0·kc. A conv's weights are packed once per run this way.
 */
export function packMatrix(a: usize, m: i32, k: i32, lda: i32, dst: usize): void {
    const rows = paddedRows(m);
    for (let p0 = 0; p0 < k; p0 += KC) {
        const kc = min(KC, k - p0);
        for (let i0 = 0; i0 < m; i0 += MC) {
            packA(a + (<usize>i0 * lda + p0) * 4, lda, min(MC, m - i0), kc, dst + <usize>(p0 * rows + i0 * kc) * 4);
        }
    }
}

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
    if (n == 1 && ldb == 1 && !(flags & PACKED_A)) {
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
                let panels = packedA;
                if (flags & PACKED_A) panels = a + <usize>(p0 * paddedRows(m) + i0 * kc) * 4;
                else packA(a + (<usize>i0 * lda + p0) * 4, lda, mc, kc, packedA);
                for (let jr = 0; jr < nc; jr += NR) {
                    const cols = min(NR, nc - jr);
                    const pb = packedB + <usize>(jr * kc * 4);
                    for (let ir = 0; ir < mc; ir += MR) {
                        const rows = min(MR, mc - ir);
                        microKernel(kc, panels + <usize>(ir * kc * 4), pb,
                            c + <usize>(i0 + ir) * ldcBytes + (<usize>(j0 + jr) << 2), ldcBytes, rows, cols,
                            add, epilogue, flags, bias + (<usize>(i0 + ir) << 2), residual, lo, hi, edge);
                    }
                }
            }
        }
    }
}

/** First of `count` window positions o whose tap lands at or after the start: o·stride + offset ≥ 0. */
@inline function firstInside(count: i32, stride: i32, offset: i32): i32 {
    let o = 0;
    while (o < count && o * stride + offset < 0) o++;
    return o;
}

/** One past the last of positions [first, count) whose tap lands before `size`: o·stride + offset < size. */
@inline function endInside(first: i32, count: i32, stride: i32, offset: i32, size: i32): i32 {
    let o = count;
    while (o > first && (o - 1) * stride + offset >= size) o--;
    return o;
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
                const owLo = firstInside(Wo, sw, j * dw - pw);
                const owHi = endInside(owLo, Wo, sw, j * dw - pw, W);
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

export const WINDOW_DEPTHWISE: i32 = 0; // Σ tap weight × input, then bias and clamp
export const WINDOW_MAX: i32 = 1;       // max over the taps inside the image (padding is −∞); NaN propagates
export const WINDOW_AVG: i32 = 2;       // mean over all kh·kw taps, padding counted as 0 (count_include_pad)

@inline function reduceTap(mode: i32, acc: f32, value: f32, weight: usize): f32 {
    return mode == WINDOW_MAX ? max(acc, value) : mode == WINDOW_AVG ? acc + value : acc + value * load<f32>(weight);
}

@inline function reduceTaps(mode: i32, acc: v128, values: v128, weight: usize): v128 {
    return mode == WINDOW_MAX ? f32x4.max(acc, values) : mode == WINDOW_AVG ? f32x4.add(acc, values) : madd(v128.load32_splat(weight), values, acc);
}

/** Four values of an input row from `at`: consecutive (stride 1) or every other one (stride 2). */
@inline function loadStrided(at: usize, sw: i32): v128 {
    return sw == 1 ? v128.load(at) : v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
}

/**
 * The interior columns [owLo, owHi) of one output row of a 3×3 depthwise conv (stride ≤ 2, no column dilation),
 * four at a time with the nine weights held in registers; returns the first column it left undone (< 4 remain).
 */
function depthwise3x3Interior(plane: usize, taps: usize, row: usize, start: f32, ih0: i32, dh: i32, H: i32, W: i32, sw: i32, pw: i32,
    owLo: i32, owHi: i32, clamp: bool, loV: v128, hiV: v128): i32 {
    const w0 = v128.load32_splat(taps), w1 = v128.load32_splat(taps, 4), w2 = v128.load32_splat(taps, 8);
    const w3 = v128.load32_splat(taps, 12), w4 = v128.load32_splat(taps, 16), w5 = v128.load32_splat(taps, 20);
    const w6 = v128.load32_splat(taps, 24), w7 = v128.load32_splat(taps, 28), w8 = v128.load32_splat(taps, 32);
    const rowBytes = <usize>W * 4;
    const top = ih0 >= 0 && ih0 < H;
    const middle = ih0 + dh >= 0 && ih0 + dh < H;
    const bottom = ih0 + 2 * dh >= 0 && ih0 + 2 * dh < H;
    const r0 = plane + <usize>ih0 * rowBytes;
    const r1 = r0 + <usize>dh * rowBytes;
    const r2 = r1 + <usize>dh * rowBytes;
    const step = <usize>sw << 4; // four outputs further along the input row
    let ow = owLo;
    let at = <usize>(ow * sw - pw) << 2;
    for (; ow + 4 <= owHi; ow += 4, at += step) {
        let acc = f32x4.splat(start);
        if (top) {
            acc = madd(w0, loadStrided(r0 + at, sw), acc);
            acc = madd(w1, loadStrided(r0 + at + 4, sw), acc);
            acc = madd(w2, loadStrided(r0 + at + 8, sw), acc);
        }
        if (middle) {
            acc = madd(w3, loadStrided(r1 + at, sw), acc);
            acc = madd(w4, loadStrided(r1 + at + 4, sw), acc);
            acc = madd(w5, loadStrided(r1 + at + 8, sw), acc);
        }
        if (bottom) {
            acc = madd(w6, loadStrided(r2 + at, sw), acc);
            acc = madd(w7, loadStrided(r2 + at + 4, sw), acc);
            acc = madd(w8, loadStrided(r2 + at + 8, sw), acc);
        }
        if (clamp) acc = f32x4.min(f32x4.max(acc, loV), hiV);
        v128.store(row + (<usize>ow << 2), acc);
    }
    return ow;
}

/** Bytes of scratch windowPadded needs for one plane. */
@inline function paddedPlaneBytes(Hp: i32, Wp: i32, Wo: i32): usize {
    return <usize>(Hp * Wp + ((Wo + 3) & ~3)) * 4;
}

/**
 * Output columns [0, columns) of one output row from a padded plane (no bounds to check), four at a time: the
 * taps' weighted sum (depthwise conv), their maximum, or their mean (`scale` = 1/taps), then the clamp.
 */
function windowRowPadded(mode: i32, padded: usize, Wp: i32, taps: usize, row: usize, start: f32, ih0: i32, kh: i32, kw: i32,
    dh: i32, dw: i32, sw: i32, columns: i32, scale: f32, clamp: bool, loV: v128, hiV: v128): void {
    const rowBytes = <usize>Wp * 4;
    for (let ow = 0; ow < columns; ow += 4) {
        let acc = f32x4.splat(start);
        for (let i = 0; i < kh; i++) {
            const src = padded + <usize>(ih0 + i * dh) * rowBytes + <usize>(ow * sw) * 4;
            for (let j = 0; j < kw; j++) {
                const v = loadStrided(src + <usize>(j * dw) * 4, sw);
                if (mode == WINDOW_DEPTHWISE) acc = madd(v128.load32_splat(taps + <usize>(i * kw + j) * 4), v, acc);
                else if (mode == WINDOW_MAX) acc = f32x4.max(acc, v);
                else acc = f32x4.add(acc, v);
            }
        }
        if (mode == WINDOW_AVG) acc = f32x4.mul(acc, f32x4.splat(scale));
        if (clamp) acc = f32x4.min(f32x4.max(acc, loV), hiV);
        v128.store(row + (<usize>ow << 2), acc);
    }
}

/**
 * window2d through a padded copy of each input plane in `scratch` — zeros around it for a conv or a mean, −∞
 * for a max — so that every output column is an interior one, computed four at a time: small planes (14×14,
 * 7×7) would otherwise spend most of their time in the bounds-checked border columns. Each row is finished in a
 * row buffer rounded up to four and copied out. False (nothing done) when the padded plane does not fit in the
 * scratch or the stride is over 2.
 */
function windowPadded(mode: i32, x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32, multiplier: i32,
    H: i32, W: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32,
    flags: i32, lo: f32, hi: f32, scratch: usize): bool {
    if (sw > 2) return false;
    const columns = (Wo + 3) & ~3;
    // Columns read: up to (columns − 1)·sw + (kw − 1)·dw, and a stride-2 load reads 7 past its first.
    const Wp = ((columns - 1) * sw + (kw - 1) * dw + 1 + 8 + 3) & ~3;
    const Hp = (Ho - 1) * sh + (kh - 1) * dh + 1;
    if (paddedPlaneBytes(Hp, Wp, Wo) > <usize>gemmScratchBytes()) return false;
    const padded = scratch;
    const rowBuffer = scratch + <usize>(Hp * Wp) * 4;
    const border = f32x4.splat(mode == WINDOW_MAX ? -Infinity : 0);
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    const scale: f32 = 1 / <f32>(kh * kw);
    const threeByThree = mode == WINDOW_DEPTHWISE && kh == 3 && kw == 3 && dw == 1;
    let copied = -1;
    for (let oc = c0; oc < c1; oc++) {
        const source = oc / multiplier;
        if (source != copied) {
            // The input plane at (ph, pw) in an Hp × Wp plane of the border value.
            for (let at: usize = 0; at < <usize>(Hp * Wp) * 4; at += 16) v128.store(padded + at, border);
            const plane = x + <usize>source * H * W * 4;
            const count = min(W, Wp - pw);
            for (let r = 0; r < H && r + ph < Hp; r++) {
                if (count > 0) memory.copy(padded + <usize>((r + ph) * Wp + pw) * 4, plane + <usize>(r * W) * 4, <usize>count * 4);
            }
            copied = source;
        }
        const start: f32 = mode == WINDOW_MAX ? -Infinity : mode == WINDOW_DEPTHWISE && (flags & BIAS) ? load<f32>(bias + (<usize>oc << 2)) : 0;
        const taps = mode == WINDOW_DEPTHWISE ? weight + <usize>oc * kh * kw * 4 : 0;
        const out = y + <usize>oc * Ho * Wo * 4;
        for (let oh = 0; oh < Ho; oh++) {
            if (threeByThree) depthwise3x3Interior(padded, taps, rowBuffer, start, oh * sh, dh, Hp, Wp, sw, 0, 0, columns, clamp, loV, hiV);
            else windowRowPadded(mode, padded, Wp, taps, rowBuffer, start, oh * sh, kh, kw, dh, dw, sw, columns, scale, clamp, loV, hiV);
            memory.copy(out + <usize>(oh * Wo) * 4, rowBuffer, <usize>Wo * 4);
        }
    }
    return true;
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
    flags: i32, lo: f32, hi: f32, scratch: usize): void {
    if (windowPadded(mode, x, y, weight, bias, c0, c1, multiplier, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw, flags, lo, hi, scratch)) return;
    // Planes too large for the scratch, or strides over 2: bounds checked in place.
    // Interior columns: ow·sw − pw ≥ 0 and ow·sw − pw + (kw − 1)·dw ≤ W − 1.
    let owLo = (pw + sw - 1) / sw;
    let owHi = W - 1 - (kw - 1) * dw + pw >= 0 ? (W - 1 - (kw - 1) * dw + pw) / sw + 1 : 0;
    owLo = min(owLo, Wo);
    owHi = max(owLo, min(owHi, Wo));
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    // A mean divides by every tap, padding included; a sum or max needs no scale.
    const scale: f32 = mode == WINDOW_AVG ? 1 / <f32>(kh * kw) : 1;
    const scaleV = f32x4.splat(scale);
    for (let oc = c0; oc < c1; oc++) {
        const plane = x + <usize>(oc / multiplier) * H * W * 4;
        const taps: usize = mode == WINDOW_DEPTHWISE ? weight + <usize>oc * kh * kw * 4 : 0;
        const out = y + <usize>oc * Ho * Wo * 4;
        const start: f32 = mode == WINDOW_MAX ? -Infinity : mode == WINDOW_DEPTHWISE && (flags & BIAS) ? load<f32>(bias + (<usize>oc << 2)) : 0;
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
                acc *= scale;
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
                    acc = f32x4.mul(acc, scaleV);
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
                acc *= scale;
                if (clamp) acc = min(max(acc, lo), hi);
                store<f32>(row + (<usize>ow << 2), acc);
            }
        }
    }
}

/**
 * col2im, im2col's adjoint, for a 2-D window (runtime/im2col.ts's layout): adds every entry of the column matrix
 * back into the image position it came from, for image channels [c0, c1) — disjoint outputs per thread. `y` is
 * the image (H×W planes, accumulated into), the window grid is Hg×Wg; used by the transposed conv.
 */
export function col2im2d(cols: usize, y: usize, c0: i32, c1: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
    dh: i32, dw: i32, ph: i32, pw: i32, Hg: i32, Wg: i32): void {
    const P = Hg * Wg;
    const K = kh * kw;
    for (let c = c0; c < c1; c++) {
        const plane = y + <usize>c * H * W * 4;
        for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
                let src = cols + <usize>((c * K + i * kw + j) * P) * 4;
                // Grid columns [owLo, owHi) land inside the image.
                const owLo = firstInside(Wg, sw, j * dw - pw);
                const owHi = endInside(owLo, Wg, sw, j * dw - pw, W);
                for (let oh = 0; oh < Hg; oh++, src += <usize>Wg * 4) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    const row = plane + <usize>(ih * W) * 4;
                    let ow = owLo;
                    if (sw == 1) {
                        const to = row + <usize>(owLo - pw + j * dw) * 4;
                        for (; ow + 4 <= owHi; ow += 4) {
                            const at = to + (<usize>(ow - owLo) << 2);
                            v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>ow << 2))));
                        }
                    }
                    for (; ow < owHi; ow++) {
                        const at = row + <usize>(ow * sw - pw + j * dw) * 4;
                        store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>ow << 2)));
                    }
                }
            }
        }
    }
}

// ---- Winograd F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) ----
//
// A 3×3 stride-1 conv computes each 2×2 output tile from a 4×4 input tile d as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A:
// 16 multiplies per tile and channel pair instead of 36. With U = G g Gᵀ (made once per conv, runtime/winograd.ts)
// and V = Bᵀ d B, the 16 elementwise products summed over input channels are 16 GEMMs,
// M[ξ] (C_out × tiles) = U[ξ] (C_out × C_in) · V[ξ] (C_in × tiles), then Y = Aᵀ M A per tile.
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]      Aᵀ = [1 1 1 0; 0 1 −1 −1]
// V and M are laid out [ξ][channel][tile], tiles row-major over the ⌈Ho/2⌉ × ⌈Wo/2⌉ grid, so four horizontally
// adjacent tiles are four consecutive elements: the transforms below run on four tiles at once.

/** Bᵀ d B of four tiles at once: d given as 16 vectors (row-major), each holding that element of the four tiles. */
@inline function transformInput(v: usize, stride: usize,
    d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128,
    d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128): void {
    // Bᵀ d: rows r0 − r2, r1 + r2, r2 − r1, r1 − r3.
    const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21), t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
    const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21), t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
    const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11), t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
    const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31), t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
    // (Bᵀ d) B: the same on columns.
    v128.store(v, f32x4.sub(t00, t02)); v128.store(v + stride, f32x4.add(t01, t02));
    v128.store(v + 2 * stride, f32x4.sub(t02, t01)); v128.store(v + 3 * stride, f32x4.sub(t01, t03));
    v128.store(v + 4 * stride, f32x4.sub(t10, t12)); v128.store(v + 5 * stride, f32x4.add(t11, t12));
    v128.store(v + 6 * stride, f32x4.sub(t12, t11)); v128.store(v + 7 * stride, f32x4.sub(t11, t13));
    v128.store(v + 8 * stride, f32x4.sub(t20, t22)); v128.store(v + 9 * stride, f32x4.add(t21, t22));
    v128.store(v + 10 * stride, f32x4.sub(t22, t21)); v128.store(v + 11 * stride, f32x4.sub(t21, t23));
    v128.store(v + 12 * stride, f32x4.sub(t30, t32)); v128.store(v + 13 * stride, f32x4.add(t31, t32));
    v128.store(v + 14 * stride, f32x4.sub(t32, t31)); v128.store(v + 15 * stride, f32x4.sub(t31, t33));
}

/** Input element (ih, iw) of a plane, 0 outside the image. */
@inline function tileElement(plane: usize, W: i32, H: i32, ih: i32, iw: i32, inside: bool): f32 {
    return inside || (ih >= 0 && ih < H && iw >= 0 && iw < W) ? load<f32>(plane + <usize>(ih * W + iw) * 4) : 0;
}

/**
 * V = Bᵀ d B for channels [c0, c1) of one image: tile (ty, tx) reads input rows 2ty − ph … +3 and columns
 * 2tx − pw … +3 (zero outside). Groups of four tiles wholly inside the image load with stride-2 vector loads.
 */
export function winogradInput(x: usize, v: usize, c0: i32, c1: i32, channels: i32, H: i32, W: i32, ph: i32, pw: i32, tilesH: i32, tilesW: i32): void {
    const tiles = tilesH * tilesW;
    const stride = <usize>channels * tiles * 4; // from V[ξ] to V[ξ + 1]
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        const base = v + <usize>c * tiles * 4;
        for (let ty = 0; ty < tilesH; ty++) {
            const ih = 2 * ty - ph;
            const rowsInside = ih >= 0 && ih + 3 < H;
            let tx = 0;
            if (rowsInside) {
                // Tiles with 2tx − pw ≥ 0 and 2(tx + 3) − pw + 4 ≤ W (the last lane's stride-2 load reads one past).
                while (tx < tilesW && 2 * tx - pw < 0) {
                    winogradInputTile(plane, base + <usize>(ty * tilesW + tx) * 4, stride, H, W, ih, 2 * tx - pw);
                    tx++;
                }
                for (; tx + 4 <= tilesW && 2 * (tx + 3) - pw + 5 <= W; tx += 4) {
                    const r0 = plane + <usize>(ih * W + 2 * tx - pw) * 4;
                    const r1 = r0 + <usize>W * 4, r2 = r1 + <usize>W * 4, r3 = r2 + <usize>W * 4;
                    transformInput(base + <usize>(ty * tilesW + tx) * 4, stride,
                        loadStrided(r0, 2), loadStrided(r0 + 4, 2), loadStrided(r0 + 8, 2), loadStrided(r0 + 12, 2),
                        loadStrided(r1, 2), loadStrided(r1 + 4, 2), loadStrided(r1 + 8, 2), loadStrided(r1 + 12, 2),
                        loadStrided(r2, 2), loadStrided(r2 + 4, 2), loadStrided(r2 + 8, 2), loadStrided(r2 + 12, 2),
                        loadStrided(r3, 2), loadStrided(r3 + 4, 2), loadStrided(r3 + 8, 2), loadStrided(r3 + 12, 2));
                }
            }
            for (; tx < tilesW; tx++) winogradInputTile(plane, base + <usize>(ty * tilesW + tx) * 4, stride, H, W, ih, 2 * tx - pw);
        }
    }
}

/** One tile of winogradInput, with bounds checks (tiles at the image's edges). */
function winogradInputTile(plane: usize, v: usize, stride: usize, H: i32, W: i32, ih: i32, iw: i32): void {
    const d00 = tileElement(plane, W, H, ih, iw, false), d01 = tileElement(plane, W, H, ih, iw + 1, false);
    const d02 = tileElement(plane, W, H, ih, iw + 2, false), d03 = tileElement(plane, W, H, ih, iw + 3, false);
    const d10 = tileElement(plane, W, H, ih + 1, iw, false), d11 = tileElement(plane, W, H, ih + 1, iw + 1, false);
    const d12 = tileElement(plane, W, H, ih + 1, iw + 2, false), d13 = tileElement(plane, W, H, ih + 1, iw + 3, false);
    const d20 = tileElement(plane, W, H, ih + 2, iw, false), d21 = tileElement(plane, W, H, ih + 2, iw + 1, false);
    const d22 = tileElement(plane, W, H, ih + 2, iw + 2, false), d23 = tileElement(plane, W, H, ih + 2, iw + 3, false);
    const d30 = tileElement(plane, W, H, ih + 3, iw, false), d31 = tileElement(plane, W, H, ih + 3, iw + 1, false);
    const d32 = tileElement(plane, W, H, ih + 3, iw + 2, false), d33 = tileElement(plane, W, H, ih + 3, iw + 3, false);
    const t00 = d00 - d20, t01 = d01 - d21, t02 = d02 - d22, t03 = d03 - d23;
    const t10 = d10 + d20, t11 = d11 + d21, t12 = d12 + d22, t13 = d13 + d23;
    const t20 = d20 - d10, t21 = d21 - d11, t22 = d22 - d12, t23 = d23 - d13;
    const t30 = d10 - d30, t31 = d11 - d31, t32 = d12 - d32, t33 = d13 - d33;
    store<f32>(v, t00 - t02); store<f32>(v + stride, t01 + t02); store<f32>(v + 2 * stride, t02 - t01); store<f32>(v + 3 * stride, t01 - t03);
    store<f32>(v + 4 * stride, t10 - t12); store<f32>(v + 5 * stride, t11 + t12); store<f32>(v + 6 * stride, t12 - t11); store<f32>(v + 7 * stride, t11 - t13);
    store<f32>(v + 8 * stride, t20 - t22); store<f32>(v + 9 * stride, t21 + t22); store<f32>(v + 10 * stride, t22 - t21); store<f32>(v + 11 * stride, t21 - t23);
    store<f32>(v + 12 * stride, t30 - t32); store<f32>(v + 13 * stride, t31 + t32); store<f32>(v + 14 * stride, t32 - t31); store<f32>(v + 15 * stride, t31 - t33);
}

/**
 * Y = Aᵀ M A for output channels [c0, c1) of one image, then + bias, + residual (laid out as Y, `residual`
 * bytes after it), clamp, as flags ask; tiles hanging over the bottom or right edge write only their inside part.
 */
export function winogradOutput(m: usize, y: usize, c0: i32, c1: i32, channels: i32, Ho: i32, Wo: i32, tilesH: i32, tilesW: i32,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32): void {
    const tiles = tilesH * tilesW;
    const stride = <usize>channels * tiles * 4;
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    for (let c = c0; c < c1; c++) {
        const base = m + <usize>c * tiles * 4;
        const out = y + <usize>c * Ho * Wo * 4;
        const b = f32x4.splat(flags & BIAS ? load<f32>(bias + (<usize>c << 2)) : 0);
        for (let ty = 0; ty < tilesH; ty++) {
            const fullRows = 2 * ty + 2 <= Ho;
            let tx = 0;
            for (; fullRows && tx + 4 <= tilesW && 2 * tx + 8 <= Wo; tx += 4) {
                const at = base + <usize>(ty * tilesW + tx) * 4;
                const m00 = v128.load(at), m01 = v128.load(at + stride), m02 = v128.load(at + 2 * stride), m03 = v128.load(at + 3 * stride);
                const m10 = v128.load(at + 4 * stride), m11 = v128.load(at + 5 * stride), m12 = v128.load(at + 6 * stride), m13 = v128.load(at + 7 * stride);
                const m20 = v128.load(at + 8 * stride), m21 = v128.load(at + 9 * stride), m22 = v128.load(at + 10 * stride), m23 = v128.load(at + 11 * stride);
                const m30 = v128.load(at + 12 * stride), m31 = v128.load(at + 13 * stride), m32 = v128.load(at + 14 * stride), m33 = v128.load(at + 15 * stride);
                // Aᵀ M: rows m0 + m1 + m2 and m1 − m2 − m3.
                const s0 = f32x4.add(f32x4.add(m00, m10), m20), s1 = f32x4.add(f32x4.add(m01, m11), m21);
                const s2 = f32x4.add(f32x4.add(m02, m12), m22), s3 = f32x4.add(f32x4.add(m03, m13), m23);
                const u0 = f32x4.sub(f32x4.sub(m10, m20), m30), u1 = f32x4.sub(f32x4.sub(m11, m21), m31);
                const u2 = f32x4.sub(f32x4.sub(m12, m22), m32), u3 = f32x4.sub(f32x4.sub(m13, m23), m33);
                // (Aᵀ M) A: the same on columns; y(r, s) of the four tiles.
                let y00 = f32x4.add(f32x4.add(f32x4.add(s0, s1), s2), b), y01 = f32x4.add(f32x4.sub(f32x4.sub(s1, s2), s3), b);
                let y10 = f32x4.add(f32x4.add(f32x4.add(u0, u1), u2), b), y11 = f32x4.add(f32x4.sub(f32x4.sub(u1, u2), u3), b);
                // Interleave the tiles' two columns: output columns 2tx … 2tx + 7 of rows 2ty and 2ty + 1.
                const row0 = out + <usize>((2 * ty) * Wo + 2 * tx) * 4;
                const row1 = row0 + <usize>Wo * 4;
                let a0 = v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y00, y01, 2, 6, 3, 7);
                let b0 = v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), b1 = v128.shuffle<f32>(y10, y11, 2, 6, 3, 7);
                if (flags & RESIDUAL) {
                    a0 = f32x4.add(a0, v128.load(row0 + residual)); a1 = f32x4.add(a1, v128.load(row0 + residual, 16));
                    b0 = f32x4.add(b0, v128.load(row1 + residual)); b1 = f32x4.add(b1, v128.load(row1 + residual, 16));
                }
                if (flags & CLAMP) {
                    a0 = f32x4.min(f32x4.max(a0, loV), hiV); a1 = f32x4.min(f32x4.max(a1, loV), hiV);
                    b0 = f32x4.min(f32x4.max(b0, loV), hiV); b1 = f32x4.min(f32x4.max(b1, loV), hiV);
                }
                v128.store(row0, a0); v128.store(row0, a1, 16);
                v128.store(row1, b0); v128.store(row1, b1, 16);
            }
            for (; tx < tilesW; tx++) {
                const at = base + <usize>(ty * tilesW + tx) * 4;
                const e0 = load<f32>(at), e1 = load<f32>(at + stride), e2 = load<f32>(at + 2 * stride), e3 = load<f32>(at + 3 * stride);
                const e4 = load<f32>(at + 4 * stride), e5 = load<f32>(at + 5 * stride), e6 = load<f32>(at + 6 * stride), e7 = load<f32>(at + 7 * stride);
                const e8 = load<f32>(at + 8 * stride), e9 = load<f32>(at + 9 * stride), e10 = load<f32>(at + 10 * stride), e11 = load<f32>(at + 11 * stride);
                const e12 = load<f32>(at + 12 * stride), e13 = load<f32>(at + 13 * stride), e14 = load<f32>(at + 14 * stride), e15 = load<f32>(at + 15 * stride);
                const s0 = e0 + e4 + e8, s1 = e1 + e5 + e9, s2 = e2 + e6 + e10, s3 = e3 + e7 + e11;
                const u0 = e4 - e8 - e12, u1 = e5 - e9 - e13, u2 = e6 - e10 - e14, u3 = e7 - e11 - e15;
                const bias0 = f32x4.extract_lane(b, 0);
                for (let r = 0; r < 2; r++) {
                    const oh = 2 * ty + r;
                    if (oh >= Ho) break;
                    for (let q = 0; q < 2; q++) {
                        const ow = 2 * tx + q;
                        if (ow >= Wo) break;
                        let value: f32 = r == 0 ? (q == 0 ? s0 + s1 + s2 : s1 - s2 - s3) : (q == 0 ? u0 + u1 + u2 : u1 - u2 - u3);
                        const to = out + <usize>(oh * Wo + ow) * 4;
                        value += bias0;
                        if (flags & RESIDUAL) value += load<f32>(to + residual);
                        if (flags & CLAMP) value = min(max(value, lo), hi);
                        store<f32>(to, value);
                    }
                }
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

export const JOB_GEMM: i32 = 1;
export const JOB_IM2COL: i32 = 2;
export const JOB_WINDOW: i32 = 3;
export const JOB_WINOGRAD_INPUT: i32 = 4;
export const JOB_WINOGRAD_OUTPUT: i32 = 5;
export const JOB_COL2IM: i32 = 6;

/** Slots of a job block (exported with the kinds above for the JavaScript side). */
export const JOB_KIND_SLOT: i32 = 2;
export const JOB_SCRATCH_SLOT: i32 = 3;
export const JOB_SCRATCH_STRIDE_SLOT: i32 = 4;
export const JOB_ARGS_SLOT: i32 = 5;
export const JOB_SLOTS: i32 = 32;

@inline function slot(job: usize, i: i32): i32 {
    return load<i32>(job + <usize>(i * 4));
}

@inline function arg(job: usize, i: i32): i32 {
    return slot(job, JOB_ARGS_SLOT + i);
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
    const kind = slot(job, JOB_KIND_SLOT);
    const scratch = <usize>slot(job, JOB_SCRATCH_SLOT) + <usize>t * <usize>slot(job, JOB_SCRATCH_STRIDE_SLOT);
    if (kind == JOB_GEMM) {
        const m = arg(job, 0), n = arg(job, 1), k = arg(job, 2);
        let a = <usize>arg(job, 3), b = <usize>arg(job, 5), c = <usize>arg(job, 7);
        const lda = arg(job, 4), ldb = arg(job, 6), ldc = arg(job, 8), flags = arg(job, 9), bias = <usize>arg(job, 10);
        const lo = reinterpret<f32>(arg(job, 11)), hi = reinterpret<f32>(arg(job, 12));
        const residual = <usize>arg(job, 13);
        // A batch of `count` GEMMs of the same shape, `*Stride` bytes apart (Winograd's 16), or just one.
        const count = max(1, arg(job, 14));
        const aStride = <usize>arg(job, 15), bStride = <usize>arg(job, 16), cStride = <usize>arg(job, 17);
        for (let g = 0; g < count; g++, a += aStride, b += bStride, c += cStride) {
            // Packed A is laid out for whole-matrix blocks: a split by rows would not find its panels.
            if ((flags & PACKED_A) || n >= m || m < MR * T) {
                const j0 = shareBegin(n, NR, t, T), j1 = shareEnd(n, NR, t, T);
                if (j0 < j1) gemm(m, j1 - j0, k, a, lda, b + (<usize>j0 << 2), ldb, c + (<usize>j0 << 2), ldc, flags, bias, residual, lo, hi, scratch);
            } else {
                const i0 = shareBegin(m, MR, t, T), i1 = shareEnd(m, MR, t, T);
                if (i0 < i1) gemm(i1 - i0, n, k, a + <usize>i0 * lda * 4, lda, b, ldb, c + <usize>i0 * ldc * 4, ldc, flags, bias + (<usize>i0 << 2), residual, lo, hi, scratch);
            }
        }
    } else if (kind == JOB_WINOGRAD_INPUT) {
        const channels = arg(job, 2);
        const c0 = shareBegin(channels, 1, t, T), c1 = shareEnd(channels, 1, t, T);
        if (c0 < c1) winogradInput(<usize>arg(job, 0), <usize>arg(job, 1), c0, c1, channels, arg(job, 3), arg(job, 4), arg(job, 5), arg(job, 6), arg(job, 7), arg(job, 8));
    } else if (kind == JOB_WINOGRAD_OUTPUT) {
        const channels = arg(job, 2);
        const c0 = shareBegin(channels, 1, t, T), c1 = shareEnd(channels, 1, t, T);
        if (c0 < c1) {
            winogradOutput(<usize>arg(job, 0), <usize>arg(job, 1), c0, c1, channels, arg(job, 3), arg(job, 4), arg(job, 5), arg(job, 6),
                arg(job, 7), <usize>arg(job, 8), <usize>arg(job, 9), reinterpret<f32>(arg(job, 10)), reinterpret<f32>(arg(job, 11)));
        }
    } else if (kind == JOB_WINDOW) {
        const channels = arg(job, 5);
        const c0 = shareBegin(channels, 1, t, T), c1 = shareEnd(channels, 1, t, T);
        if (c0 < c1) {
            window2d(arg(job, 0), <usize>arg(job, 1), <usize>arg(job, 2), <usize>arg(job, 3), <usize>arg(job, 4), c0, c1, arg(job, 6),
                arg(job, 7), arg(job, 8), arg(job, 9), arg(job, 10), arg(job, 11), arg(job, 12), arg(job, 13), arg(job, 14),
                arg(job, 15), arg(job, 16), arg(job, 17), arg(job, 18), arg(job, 19),
                reinterpret<f32>(arg(job, 20)), reinterpret<f32>(arg(job, 21)), scratch);
        }
    } else if (kind == JOB_COL2IM) {
        const channels = arg(job, 2);
        const c0 = shareBegin(channels, 1, t, T), c1 = shareEnd(channels, 1, t, T);
        if (c0 < c1) {
            col2im2d(<usize>arg(job, 0), <usize>arg(job, 1), c0, c1, arg(job, 3), arg(job, 4), arg(job, 5), arg(job, 6), arg(job, 7),
                arg(job, 8), arg(job, 9), arg(job, 10), arg(job, 11), arg(job, 12), arg(job, 13), arg(job, 14));
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
