// The GEMM (AssemblyScript; see kernels.ts for how the module is built and called).
//
// The GEMM follows Goto & van de Geijn ("Anatomy of High-Performance Matrix Multiplication", 2008) — the same
// structure as the TypeScript reference in runtime/gemm.ts: B is packed into KC×NR column panels, A into MR-row
// panels, and an MR×NR = 4×8 micro-kernel keeps its 8 accumulator vectors, two B vectors and A's column of four
// values in registers. Eight independent accumulators cover the latency of two fused multiply-adds per cycle; a
// 6×8 tile (12 accumulators) looks better on paper but V8 then spills registers and runs at half the speed
// (measured: 25 against 50 GFLOP/s on the 3×3 64→64 56×56 layer). Where all of A's rows for a depth block fit in
// L2 — a conv's output channels up to 256 — there is nothing to reuse a packed block of B for, and each B panel is
// packed just before its use instead (gemmPanelByPanel).
//
// A's column is one vector load, each value broadcast by a shuffle (pshufd), not four broadcast loads: three loads
// per eight multiply-adds instead of six. Where the core's load ports are its own, 1–2% slower (the shuffles share a
// port with the multiply-adds on AMD's cores); where another thread shares them — a sibling hyperthread busy, as on
// a user's desktop with other work, or this VM's host — the loads decide: pairs alternated in one process, the
// bench's cases 1.5–5% faster (ResNet-18 3–4%, MobileNetV2 4.5%), and 5–19% in the host's slow spells
// (runtime/SPEED-HISTORY.md). XNNPACK's WebAssembly kernels broadcast the same way ("splat").

import { ACCUMULATE, BIAS, BIAS_COLUMNS, CLAMP, PACKED_A, RESIDUAL } from './flags';
import { clamp4, madd } from './simd';
import { absorbedActivation, activate } from './activation';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
const MC: i32 = 64;   // a multiple of MR: 64×256 floats of packed A stay in L2
const NC: i32 = 2048; // a multiple of NR: B panels of 256×8 floats stream through L1

/** Rows of A rounded up to whole MR-row panels. */
@inline export function paddedRows(m: i32): i32 {
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

/**
 * One finished row segment of 8: optionally add the old C, then on the last depth block the bias (b0, b1: the
 * segment's eight bias values — its row's, or with BIAS_COLUMNS its columns') and clamp.
 */
@inline function storeRow(c: usize, v0: v128, v1: v128, add: bool, epilogue: bool, flags: i32, b0: v128, b1: v128, residual: usize, lo: v128, hi: v128): void {
    if (add) {
        v0 = f32x4.add(v0, v128.load(c));
        v1 = f32x4.add(v1, v128.load(c, 16));
    }
    if (epilogue) {
        if (flags & BIAS) {
            v0 = f32x4.add(v0, b0);
            v1 = f32x4.add(v1, b1);
        }
        if (flags & RESIDUAL) {
            v0 = f32x4.add(v0, v128.load(c + residual));
            v1 = f32x4.add(v1, v128.load(c + residual, 16));
        }
        if (flags & CLAMP) {
            v0 = clamp4(v0, lo, hi);
            v1 = clamp4(v1, lo, hi);
        }
    }
    v128.store(c, v0);
    v128.store(c, v1, 16);
}

/**
 * C[MR×NR tile at c] (+)= packed A panel · packed B panel over kc. A tile hanging over C's edge (rows < MR or
 * cols < NR) is written to `edge` first and only its valid part copied, with the same epilogue.
 *
 * Inlined where it is called (the GEMM, the implicit conv, Winograd's products): a call passed fifteen arguments
 * and set up the epilogue's constants each time, for a loop of KC depths at most — and of 27 in a 3→32 stem,
 * 16 in a grouped conv's groups. Runs alternated in one process against the called kernel: the grouped conv 6–7%
 * faster, the 3×3 convs 0–3%, MobileNetV2 1–2%, the 1×1 conv 0–1.7% slower (runtime/SPEED-HISTORY.md).
 */
@inline export function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, rows: i32, cols: i32,
    add: bool, epilogue: bool, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, edge: usize): void {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    for (let p = 0; p < kc; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const column = v128.load(pa);
        let a = v128.shuffle<f32>(column, column, 0, 0, 0, 0);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.shuffle<f32>(column, column, 1, 1, 1, 1);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.shuffle<f32>(column, column, 2, 2, 2, 2);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.shuffle<f32>(column, column, 3, 3, 3, 3);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        pa += MR * 4;
        pb += NR * 4;
    }
    storeTile(c00, c01, c10, c11, c20, c21, c30, c31, c, ldcBytes, rows, cols, add, epilogue, flags, bias, residual, lo, hi, edge);
}

/**
 * The micro-kernel with B read straight from an image (implicit-conv.ts): row p of the B panel is the eight floats
 * at `origin` + offsets[p] bytes (offsets: i32 entries `stride` bytes apart, from p = 0). For a stride-1 conv
 * whose eight positions' taps all land inside the image, it replaces packing B.
 */
export function microKernelDirect(kc: i32, pa: usize, origin: usize, offsets: usize, stride: usize, c: usize, ldcBytes: usize,
    rows: i32, cols: i32, add: bool, epilogue: bool, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, edge: usize): void {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    for (let p = 0; p < kc; p++) {
        const pb = origin + <usize>load<i32>(offsets);
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const column = v128.load(pa);
        let a = v128.shuffle<f32>(column, column, 0, 0, 0, 0);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.shuffle<f32>(column, column, 1, 1, 1, 1);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.shuffle<f32>(column, column, 2, 2, 2, 2);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.shuffle<f32>(column, column, 3, 3, 3, 3);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        pa += MR * 4;
        offsets += stride;
    }
    storeTile(c00, c01, c10, c11, c20, c21, c30, c31, c, ldcBytes, rows, cols, add, epilogue, flags, bias, residual, lo, hi, edge);
}

/**
 * The micro-kernel on a last panel of one column (a 7×7 plane's 49 positions are six panels and one column): A's
 * MR rows against B's first column, four depths at a time in four accumulators, where the full kernel would spend
 * a whole panel's work on it. Writes the column's `rows` elements with the epilogue.
 */
function microKernelColumn(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, rows: i32, add: bool, epilogue: bool,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, edge: usize): void {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
        s0 = madd(v128.load(pa), v128.load32_splat(pb), s0);
        s1 = madd(v128.load(pa, MR * 4), v128.load32_splat(pb, NR * 4), s1);
        s2 = madd(v128.load(pa, 2 * MR * 4), v128.load32_splat(pb, 2 * NR * 4), s2);
        s3 = madd(v128.load(pa, 3 * MR * 4), v128.load32_splat(pb, 3 * NR * 4), s3);
        pa += 4 * MR * 4;
        pb += 4 * NR * 4;
    }
    for (; p < kc; p++, pa += MR * 4, pb += NR * 4) s0 = madd(v128.load(pa), v128.load32_splat(pb), s0);
    v128.store(edge, f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    const columns = (flags & BIAS_COLUMNS) != 0;
    for (let i = 0; i < rows; i++) {
        const at = c + <usize>i * ldcBytes;
        let v = load<f32>(edge + (<usize>i << 2));
        if (add) v += load<f32>(at);
        if (epilogue) v = finish(v, at, flags, flags & BIAS ? load<f32>(bias + (columns ? 0 : <usize>i << 2)) : 0, residual, lo, hi);
        store<f32>(at, v);
    }
}

/** Row i's bias vector for storeRow: its row's bias in every lane, or the columns' `perColumn` with BIAS_COLUMNS. */
@inline function rowBias(bias: usize, i: i32, withBias: bool, columns: bool, perColumn: v128): v128 {
    return withBias && !columns ? v128.load32_splat(bias + (<usize>i << 2)) : perColumn;
}

/**
 * A micro-kernel's accumulators into C's tile, with the epilogue; an edge tile through `edge`. Two branches, not
 * one path with selects: a whole tile's stores then take its rows' addresses and the epilogue straight (the grouped
 * conv, the transposed conv and MobileNetV2 1–1.5% faster, runs alternated in one process).
 */
@inline function storeTile(c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
    c: usize, ldcBytes: usize, rows: i32, cols: i32, add: bool, epilogue: bool, flags: i32, bias: usize, residual: usize,
    lo: f32, hi: f32, edge: usize): void {
    if (rows == MR && cols == NR) {
        storeRows(c00, c01, c10, c11, c20, c21, c30, c31, c, ldcBytes, add, epilogue, flags, bias, residual, lo, hi);
        return;
    }
    // An edge tile is finished in `edge` (no old C, no epilogue) and merged element by element.
    storeRows(c00, c01, c10, c11, c20, c21, c30, c31, edge, NR * 4, false, false, flags, bias, residual, lo, hi);
    const columns = (flags & BIAS_COLUMNS) != 0;
    for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
            const at = c + <usize>i * ldcBytes + (<usize>j << 2);
            let v = load<f32>(edge + <usize>(i * NR + j) * 4);
            if (add) v += load<f32>(at);
            if (epilogue) {
                if (flags & BIAS) v += load<f32>(bias + (<usize>(columns ? j : i) << 2));
                if (flags & RESIDUAL) v += load<f32>(at + residual);
                if (flags & CLAMP) v = min(max(v, lo), hi);
            }
            store<f32>(at, v);
        }
    }
}

/** The four rows of a tile at `target`, `stride` bytes apart, each through storeRow. */
@inline function storeRows(c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
    target: usize, stride: usize, add: bool, epilogue: bool, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32): void {
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    // `bias` points at the tile's first row's bias, or with BIAS_COLUMNS at its first column's.
    const withBias = epilogue && (flags & BIAS) != 0;
    const columns = (flags & BIAS_COLUMNS) != 0;
    const cb0 = withBias && columns ? v128.load(bias) : f32x4.splat(0);
    const cb1 = withBias && columns ? v128.load(bias, 16) : f32x4.splat(0);
    storeRow(target, c00, c01, add, epilogue, flags, rowBias(bias, 0, withBias, columns, cb0), rowBias(bias, 0, withBias, columns, cb1), residual, loV, hiV);
    storeRow(target + stride, c10, c11, add, epilogue, flags, rowBias(bias, 1, withBias, columns, cb0), rowBias(bias, 1, withBias, columns, cb1), residual, loV, hiV);
    storeRow(target + 2 * stride, c20, c21, add, epilogue, flags, rowBias(bias, 2, withBias, columns, cb0), rowBias(bias, 2, withBias, columns, cb1), residual, loV, hiV);
    storeRow(target + 3 * stride, c30, c31, add, epilogue, flags, rowBias(bias, 3, withBias, columns, cb0), rowBias(bias, 3, withBias, columns, cb1), residual, loV, hiV);
}

/**
 * The absorbed activation `op` (alpha, beta its parameters) over a finished rows × cols block of C, in place. A
 * whole block of the GEMM (up to MC × NC) or an implicit conv's output row, not each tile: the activations cost
 * ~25 cycles a vector (SiLU), and a call per 4×8 tile doubled that; the block is still in L2.
 */
export function activateBlock(op: i32, c: usize, ldcBytes: usize, rows: i32, cols: i32, alpha: f32, beta: f32): void {
    for (let i = 0; i < rows; i++) {
        const row = c + <usize>i * ldcBytes;
        activate(op, row, row, 0, cols, alpha, beta);
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
        // One column: a column bias is the same for every row.
        store<f32>(at, finish(v, at, flags, flags & BIAS ? load<f32>(bias + (flags & BIAS_COLUMNS ? 0 : <usize>i << 2)) : 0, residual, lo, hi));
    }
    if (absorbedActivation(flags)) activateBlock(absorbedActivation(flags), c, ldcBytes, m, 1, lo, hi);
}

/** Packed A that stays in L2 (512 KB a core on the machines measured) beside the block of C it makes. */
const A_RESIDENT_BYTES: i32 = 256 * 1024;
/** Bytes of C finished at a time (its activation run over them while they are in L2). */
const C_BLOCK_BYTES: i32 = 64 * 1024;

/**
 * gemm where all of A's rows for a depth block stay in L2: each B panel is packed just before its use, into L1,
 * and every MR-row panel of A runs on it there. The blocked order packs a KC×NC block of B (up to 2 MB, written
 * out to L3 and read back) to use it again for each MC-row block of A, and A's rows here are one or a few such
 * blocks. The 1×1 conv 256→64 on 56² at one thread 2–5% faster, the transposed conv 2–3%, MobileNetV2 0.5–1.5%,
 * ResNet-18 within ±1% (runs alternated in one process; runtime/SPEED-HISTORY.md).
 */
function gemmPanelByPanel(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldcBytes: usize,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, packedA: usize, panel: usize, edge: usize): void {
    const rows = paddedRows(m);
    const blockCols = max(NR, C_BLOCK_BYTES / (rows * 4) / NR * NR);
    const biasColumns = (flags & BIAS_COLUMNS) != 0;
    for (let j0 = 0; j0 < n; j0 += blockCols) {
        const nc = min(blockCols, n - j0);
        for (let p0 = 0; p0 < k; p0 += KC) {
            const kc = min(KC, k - p0);
            const add = (flags & ACCUMULATE) != 0 || p0 > 0;
            const epilogue = p0 + kc >= k;
            let panels = packedA;
            if (flags & PACKED_A) panels = a + <usize>(p0 * rows) * 4;
            else packA(a + (<usize>p0 << 2), lda, m, kc, packedA);
            for (let jr = 0; jr < nc; jr += NR) {
                const cols = min(NR, nc - jr);
                packB(b + (<usize>p0 * ldb + j0 + jr) * 4, ldb, kc, cols, panel);
                // Whole tiles first, with their size a constant: the inlined micro-kernel then has no edge code (the
                // 1×1 conv 0.5%, the transposed conv 1.6% faster than with the test in storeTile alone).
                const fullRows = cols == NR ? m / MR * MR : 0;
                for (let ir = 0; ir < fullRows; ir += MR) {
                    const tile = c + <usize>ir * ldcBytes + (<usize>(j0 + jr) << 2);
                    const tileBias = bias + (<usize>(biasColumns ? j0 + jr : ir) << 2);
                    microKernel(kc, panels + <usize>(ir * kc * 4), panel, tile, ldcBytes, MR, NR, add, epilogue, flags, tileBias, residual, lo, hi, edge);
                }
                for (let ir = fullRows; ir < m; ir += MR) {
                    const tile = c + <usize>ir * ldcBytes + (<usize>(j0 + jr) << 2);
                    const tileBias = bias + (<usize>(biasColumns ? j0 + jr : ir) << 2);
                    const pa = panels + <usize>(ir * kc * 4);
                    if (cols == 1) microKernelColumn(kc, pa, panel, tile, ldcBytes, min(MR, m - ir), add, epilogue, flags, tileBias, residual, lo, hi, edge);
                    else microKernel(kc, pa, panel, tile, ldcBytes, min(MR, m - ir), cols, add, epilogue, flags, tileBias, residual, lo, hi, edge);
                }
            }
        }
        if (absorbedActivation(flags)) activateBlock(absorbedActivation(flags), c + (<usize>j0 << 2), ldcBytes, m, nc, lo, hi);
    }
}

/**
 * C[m×n] = A[m×k]·B[k×n] (+ C when flags has ACCUMULATE), then C = clamp(C + bias[row] + R, lo, hi) as flags
 * ask (bias[column] with BIAS_COLUMNS), R at `residual` bytes from C, or an activation instead of the clamp. All matrices row-major; a, b, c, bias and scratch are byte addresses,
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
                store<f32>(at, finish(v, at, flags, flags & BIAS ? load<f32>(bias + (<usize>(flags & BIAS_COLUMNS ? j : i) << 2)) : 0, residual, lo, hi));
            }
        }
        if (absorbedActivation(flags)) activateBlock(absorbedActivation(flags), c, ldcBytes, m, n, lo, hi);
        return;
    }
    const packedA = scratch;
    const packedB = packedA + <usize>(MC * KC * 4);
    const edge = packedB + <usize>(KC * NC * 4);
    if ((flags & PACKED_A || m <= MC) && paddedRows(m) * min(KC, k) * 4 <= A_RESIDENT_BYTES) {
        gemmPanelByPanel(m, n, k, a, lda, b, ldb, c, ldcBytes, flags, bias, residual, lo, hi, packedA, packedB, edge);
        return;
    }
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
                        const tile = c + <usize>(i0 + ir) * ldcBytes + (<usize>(j0 + jr) << 2);
                        const tileBias = bias + (<usize>(flags & BIAS_COLUMNS ? j0 + jr : i0 + ir) << 2);
                        if (cols == 1) {
                            microKernelColumn(kc, panels + <usize>(ir * kc * 4), pb, tile, ldcBytes, rows, add, epilogue, flags, tileBias, residual, lo, hi, edge);
                        } else {
                            microKernel(kc, panels + <usize>(ir * kc * 4), pb, tile, ldcBytes, rows, cols, add, epilogue, flags, tileBias, residual, lo, hi, edge);
                        }
                    }
                }
                if (epilogue && absorbedActivation(flags)) {
                    activateBlock(absorbedActivation(flags), c + <usize>i0 * ldcBytes + (<usize>j0 << 2), ldcBytes, mc, nc, lo, hi);
                }
            }
        }
    }
}
