/**
 * The one matrix multiply every conv, transposed conv and linear layer shares:
 *
 *     C[m×n] = A[m×k] · B[k×n]          (or C += A·B when `accumulate`)
 *
 * row-major, each matrix given by an array, an offset and a leading dimension (the distance between rows), so
 * a group's slice of a weight or of an im2col buffer is passed without copying.
 *
 * This is the portable TypeScript kernel, structured as in Goto & van de Geijn ("Anatomy of High-Performance
 * Matrix Multiplication", 2008): B is packed into KC×NR column panels and A into MC×KC row panels that stay in
 * cache, and a register-blocked MR×NR micro-kernel runs over them. The fast kernel (WebAssembly SIMD on worker
 * threads, runtime/wasm/) implements the same `GemmKernel` signature; a run picks one through its `Compute`.
 *
 * Options: an epilogue finishes C in the same call — C = clamp(C + bias[row] + R, lo, hi): a conv's bias (with
 * batch norm folded in), a residual shortcut R and its ReLU/ReLU6 (or another activation applied last: SiLU,
 * hardswish …) without another pass over the output — and A
 * may come packed once ahead of time (a conv's weights), by the same engine.
 */
import { activateRange } from './activations.js';
import type { ActivationOp } from './compute.js';
export interface GemmOptions {
    /** A is the output of the engine's `packA` (its offset and leading dimension are then ignored). */
    readonly packedA?: boolean;
    /** Added to every element of row i of C: bias[biasOffset + i] (of column j with `biasPerColumn`). */
    readonly bias?: Float32Array;
    readonly biasOffset?: number;
    /** The bias is per column of C (a linear layer's Y = X·Wᵀ), not per row (a conv's output channels). */
    readonly biasPerColumn?: boolean;
    /** Added elementwise: R laid out as C (same leading dimension), its (0, 0) at residual[residualOffset]. */
    readonly residual?: Float32Array;
    readonly residualOffset?: number;
    /** Clamp bounds applied after the bias (ReLU: lo 0; ReLU6: lo 0, hi 6). */
    readonly lo?: number;
    readonly hi?: number;
    /** An activation applied last (SiLU, hardswish … absorbed by a conv, runtime/fusion.ts); never with a clamp. */
    readonly activation?: EpilogueActivation;
}

/** An activation in an output loop: which, and its parameter (leakyrelu's slope, elu's alpha; else 0). */
export interface EpilogueActivation {
    readonly op: ActivationOp;
    readonly parameter: number;
}

/** Whether an epilogue does anything to C beyond the product. */
export function hasEpilogue(epilogue: GemmOptions | undefined): epilogue is GemmOptions {
    return !!epilogue && (!!epilogue.bias || !!epilogue.residual || epilogue.lo !== undefined || epilogue.hi !== undefined || !!epilogue.activation);
}

export type GemmKernel = (
    m: number, n: number, k: number,
    a: Float32Array, aOffset: number, lda: number,
    b: Float32Array, bOffset: number, ldb: number,
    c: Float32Array, cOffset: number, ldc: number,
    accumulate: boolean,
    epilogue?: GemmOptions,
) => void;

// A 2×8 tile: 16 accumulators, which V8 keeps in registers; a 4×8 tile (32) spills and is about 6% slower.
const MR = 2;   // rows of C per micro-kernel call
const NR = 8;   // columns of C per micro-kernel call
const KC = 256; // depth of a packed panel (A's block and B's panel stay in L1/L2)
const MC = 64;  // rows of A packed at once
const NC = 512; // columns of B packed at once

// Packing buffers are reused between calls: no allocation in steady state.
let packedA = new Float32Array(MC * KC);
let packedB = new Float32Array(KC * NC);
const edge = new Float64Array(MR * NR);

/** Copies A[i0…i0+mc, p0…p0+kc] into row panels of MR rows, k-major, zero-padded to a multiple of MR. */
function packA(a: Float32Array, aOffset: number, lda: number, i0: number, mc: number, p0: number, kc: number): void {
    let dst = 0;
    for (let ir = 0; ir < mc; ir += MR) {
        const rows = Math.min(MR, mc - ir);
        for (let p = 0; p < kc; p++) {
            const col = aOffset + p0 + p;
            for (let r = 0; r < MR; r++) {
                packedA[dst++] = r < rows ? a[col + (i0 + ir + r) * lda] : 0;
            }
        }
    }
}

/** Copies B[p0…p0+kc, j0…j0+nc] into column panels of NR columns, k-major, zero-padded to a multiple of NR. */
function packB(b: Float32Array, bOffset: number, ldb: number, p0: number, kc: number, j0: number, nc: number): void {
    let dst = 0;
    for (let jr = 0; jr < nc; jr += NR) {
        const cols = Math.min(NR, nc - jr);
        for (let p = 0; p < kc; p++) {
            const row = bOffset + (p0 + p) * ldb + j0 + jr;
            if (cols === NR) {
                for (let c = 0; c < NR; c++) packedB[dst++] = b[row + c];
            } else {
                for (let c = 0; c < NR; c++) packedB[dst++] = c < cols ? b[row + c] : 0;
            }
        }
    }
}

/**
 * C[MR×NR] (+)= packed A panel · packed B panel over kc, accumulating in 16 locals. When the tile hangs over
 * the edge of C (rows < MR or cols < NR) the result goes through `edge` and only the valid part is written.
 */
function microKernel(kc: number, aPanel: number, bPanel: number, c: Float32Array, cIndex: number, ldc: number, rows: number, cols: number, add: boolean): void {
    const A = packedA;
    const B = packedB;
    let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
    let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
    let ai = aPanel;
    let bi = bPanel;
    for (let p = 0; p < kc; p++, ai += MR, bi += NR) {
        const a0 = A[ai], a1 = A[ai + 1];
        const b0 = B[bi], b1 = B[bi + 1], b2 = B[bi + 2], b3 = B[bi + 3], b4 = B[bi + 4], b5 = B[bi + 5], b6 = B[bi + 6], b7 = B[bi + 7];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3; c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3; c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    }
    if (rows === MR && cols === NR) {
        let r = cIndex;
        if (add) {
            c[r] += c00; c[r + 1] += c01; c[r + 2] += c02; c[r + 3] += c03; c[r + 4] += c04; c[r + 5] += c05; c[r + 6] += c06; c[r + 7] += c07; r += ldc;
            c[r] += c10; c[r + 1] += c11; c[r + 2] += c12; c[r + 3] += c13; c[r + 4] += c14; c[r + 5] += c15; c[r + 6] += c16; c[r + 7] += c17;
        } else {
            c[r] = c00; c[r + 1] = c01; c[r + 2] = c02; c[r + 3] = c03; c[r + 4] = c04; c[r + 5] = c05; c[r + 6] = c06; c[r + 7] = c07; r += ldc;
            c[r] = c10; c[r + 1] = c11; c[r + 2] = c12; c[r + 3] = c13; c[r + 4] = c14; c[r + 5] = c15; c[r + 6] = c16; c[r + 7] = c17;
        }
        return;
    }
    const t = edge;
    t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c04; t[5] = c05; t[6] = c06; t[7] = c07;
    t[8] = c10; t[9] = c11; t[10] = c12; t[11] = c13; t[12] = c14; t[13] = c15; t[14] = c16; t[15] = c17;
    for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
            const index = cIndex + i * ldc + j;
            c[index] = add ? c[index] + t[i * NR + j] : t[i * NR + j];
        }
    }
}

/** The portable blocked and packed kernel; also the reference the faster kernels are tested against. */
export const packedGemm: GemmKernel = (m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue) => {
    if (epilogue?.packedA) throw new Error('the TypeScript GEMM takes A as stored, not packed by another engine');
    if (m === 0 || n === 0) return;
    if (k === 0) {
        if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
    } else {
        multiply(m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
    }
    if (hasEpilogue(epilogue)) applyEpilogue(m, n, c, cOffset, ldc, epilogue);
};

/** C = activation(clamp(C + bias[row] (or bias[column]) + R, lo, hi)) over the m×n block at cOffset. */
export function applyEpilogue(m: number, n: number, c: Float32Array, cOffset: number, ldc: number, epilogue: GemmOptions): void {
    const { bias, biasOffset = 0, biasPerColumn = false, residual, residualOffset = 0, lo = -Infinity, hi = Infinity, activation } = epilogue;
    for (let i = 0; i < m; i++) {
        const add = bias && !biasPerColumn ? bias[biasOffset + i] : 0;
        const start = cOffset + i * ldc;
        const shortcut = residualOffset + i * ldc - start;
        const columnBias = biasOffset - start;
        for (let j = start; j < start + n; j++) {
            const v = c[j] + (biasPerColumn ? bias![columnBias + j] : add) + (residual ? residual[shortcut + j] : 0);
            c[j] = v < lo ? lo : v > hi ? hi : v;
        }
        if (activation) activateRange(activation.op, activation.parameter, c, c, start, start + n);
    }
}

function multiply(m: number, n: number, k: number, a: Float32Array, aOffset: number, lda: number,
    b: Float32Array, bOffset: number, ldb: number, c: Float32Array, cOffset: number, ldc: number, accumulate: boolean): void {
    if (packedA.length < MC * KC) packedA = new Float32Array(MC * KC);
    if (packedB.length < KC * NC) packedB = new Float32Array(KC * NC);
    for (let j0 = 0; j0 < n; j0 += NC) {
        const nc = Math.min(NC, n - j0);
        for (let p0 = 0; p0 < k; p0 += KC) {
            const kc = Math.min(KC, k - p0);
            packB(b, bOffset, ldb, p0, kc, j0, nc);
            // The first depth block overwrites C unless the caller accumulates; later blocks add to it.
            const add = accumulate || p0 > 0;
            for (let i0 = 0; i0 < m; i0 += MC) {
                const mc = Math.min(MC, m - i0);
                packA(a, aOffset, lda, i0, mc, p0, kc);
                for (let jr = 0; jr < nc; jr += NR) {
                    const cols = Math.min(NR, nc - jr);
                    const bPanel = (jr / NR) * kc * NR;
                    for (let ir = 0; ir < mc; ir += MR) {
                        const rows = Math.min(MR, mc - ir);
                        microKernel(kc, (ir / MR) * kc * MR, bPanel, c, cOffset + (i0 + ir) * ldc + j0 + jr, ldc, rows, cols, add);
                    }
                }
            }
        }
    }
}

/** The reference kernel, for callers outside a run (a run's kernels use its `Compute`). */
export function gemm(
    m: number, n: number, k: number,
    a: Float32Array, aOffset: number, lda: number,
    b: Float32Array, bOffset: number, ldb: number,
    c: Float32Array, cOffset: number, ldc: number,
    accumulate = false,
    epilogue?: GemmOptions,
): void {
    packedGemm(m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue);
}
