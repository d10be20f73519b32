/**
 * The runtime's core against independent references: the packed GEMM against a naive triple loop (in float64) on
 * awkward sizes and sub-matrices, im2col against its documented worked example and the source material's NHWC
 * example, and col2im as the adjoint of im2col.
 */
import { describe, expect, it } from 'vitest';
import { gemm, packedGemm, type GemmKernel } from '../runtime/gemm.js';
import { col2im, im2col, outputPositions, taps, type ConvGeometry } from '../runtime/im2col.js';
import { SeededRandom } from '../runtime/random.js';

function randomArray(random: SeededRandom, length: number): Float32Array {
    const data = new Float32Array(length);
    random.fillUniform(data, -1, 1);
    return data;
}

/** C (+)= A·B for row-major sub-matrices given by offset and leading dimension, in float64. */
function naiveGemm(m: number, n: number, k: number, a: Float32Array, aOffset: number, lda: number, b: Float32Array, bOffset: number, ldb: number,
    c: Float64Array, cOffset: number, ldc: number, accumulate: boolean): void {
    for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
            let sum = accumulate ? c[cOffset + i * ldc + j] : 0;
            for (let p = 0; p < k; p++) sum += a[aOffset + i * lda + p] * b[bOffset + p * ldb + j];
            c[cOffset + i * ldc + j] = sum;
        }
    }
}

const KERNELS: [string, GemmKernel][] = [
    ['packedGemm', packedGemm],
    ['gemm (the installed kernel)', (m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, acc) => gemm(m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, acc)],
];

interface GemmCase {
    m: number; n: number; k: number;
    /** Extra columns beyond the sub-matrix (lda = k + padA …) and elements before it (offsets). */
    padA?: number; padB?: number; padC?: number;
    offA?: number; offB?: number; offC?: number;
    accumulate?: boolean;
}

// MR = 2, NR = 8, KC = 256, MC = 64, NC = 512 in gemm.ts: sizes around and across every blocking boundary.
const GEMM_CASES: GemmCase[] = [
    { m: 1, n: 1, k: 1 },
    { m: 1, n: 1, k: 1, accumulate: true },
    { m: 3, n: 5, k: 7 },
    { m: 4, n: 8, k: 16 },
    { m: 5, n: 9, k: 3 },
    { m: 1, n: 37, k: 300 },
    { m: 37, n: 1, k: 300 },
    { m: 13, n: 17, k: 257 },
    { m: 9, n: 11, k: 600 },
    { m: 7, n: 520, k: 5 },
    { m: 65, n: 9, k: 11 },
    { m: 70, n: 530, k: 260 },
    { m: 6, n: 10, k: 12, padA: 3, padB: 5, padC: 7, offA: 11, offB: 13, offC: 17 },
    { m: 66, n: 515, k: 258, padA: 1, padB: 2, padC: 3, offA: 5, offB: 6, offC: 7, accumulate: true },
    { m: 5, n: 12, k: 9, padC: 4, offC: 3, accumulate: true },
];

function gemmName(c: GemmCase): string {
    const extras = [
        c.padA || c.padB || c.padC ? `ld +(${c.padA ?? 0},${c.padB ?? 0},${c.padC ?? 0})` : '',
        c.offA || c.offB || c.offC ? `offsets (${c.offA ?? 0},${c.offB ?? 0},${c.offC ?? 0})` : '',
        c.accumulate ? 'accumulate' : '',
    ].filter(Boolean);
    return `m=${c.m} n=${c.n} k=${c.k}${extras.length ? ' ' + extras.join(' ') : ''}`;
}

describe('gemm against a naive triple loop', () => {
    for (const [kernelName, kernel] of KERNELS) {
        describe(kernelName, () => {
            for (const c of GEMM_CASES) {
                it(gemmName(c), () => {
                    const random = new SeededRandom(c.m * 1000003 + c.n * 1009 + c.k);
                    const lda = c.k + (c.padA ?? 0);
                    const ldb = c.n + (c.padB ?? 0);
                    const ldc = c.n + (c.padC ?? 0);
                    const offA = c.offA ?? 0, offB = c.offB ?? 0, offC = c.offC ?? 0;
                    const a = randomArray(random, offA + c.m * lda + 3);
                    const b = randomArray(random, offB + c.k * ldb + 3);
                    const c0 = randomArray(random, offC + c.m * ldc + 3);
                    const out = c0.slice();
                    const expected = Float64Array.from(c0);
                    kernel(c.m, c.n, c.k, a, offA, lda, b, offB, ldb, out, offC, ldc, c.accumulate ?? false);
                    naiveGemm(c.m, c.n, c.k, a, offA, lda, b, offB, ldb, expected, offC, ldc, c.accumulate ?? false);
                    let worst = 0;
                    let scale = 0;
                    for (let i = 0; i < out.length; i++) {
                        const row = Math.floor((i - offC) / ldc);
                        const col = (i - offC) - row * ldc;
                        const inside = i >= offC && row < c.m && col < c.n;
                        // Everything outside C's sub-matrix (the padding columns, before and after it) is untouched.
                        if (!inside) expect(out[i], `element ${i} outside C`).toBe(c0[i]);
                        worst = Math.max(worst, Math.abs(out[i] - expected[i]));
                        scale = Math.max(scale, Math.abs(expected[i]));
                    }
                    expect(worst / Math.max(1e-6, scale)).toBeLessThanOrEqual(1e-5);
                });
            }

            it('k = 0 writes zeros, or leaves C alone when accumulating', () => {
                const c = new Float32Array([1, 2, 3, 4, 5, 6]);
                kernel(2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, c, 1, 3, true);
                expect([...c]).toEqual([1, 2, 3, 4, 5, 6]);
                kernel(2, 2, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, c, 1, 3, false);
                expect([...c]).toEqual([1, 0, 0, 4, 0, 0]);
            });
        });
    }
});

/** Output size of a window along one dimension (no ceil mode). */
function outSize(i: number, k: number, s: number, d: number, pb: number, pe: number): number {
    return Math.floor((i + pb + pe - d * (k - 1) - 1) / s) + 1;
}

describe('im2col', () => {
    it('matches its documented worked example: 4×4 image 1…16, 3×3 kernel, stride 1 → 9×4 columns', () => {
        const x = Float32Array.from({ length: 16 }, (_, i) => i + 1);
        const g: ConvGeometry = { channels: 1, input: [1, 4, 4], output: [1, 2, 2], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0] };
        const cols = new Float32Array(taps(g) * outputPositions(g));
        im2col(x, 0, g, cols);
        const rows = Array.from({ length: 9 }, (_, r) => [...cols.subarray(r * 4, r * 4 + 4)]);
        expect(rows).toEqual([
            [1, 2, 5, 6], // tap (0,0)
            [2, 3, 6, 7], // tap (0,1)
            [3, 4, 7, 8], // tap (0,2)
            [5, 6, 9, 10], // tap (1,0)
            [6, 7, 10, 11], // tap (1,1)
            [7, 8, 11, 12], // tap (1,2)
            [9, 10, 13, 14], // tap (2,0)
            [10, 11, 14, 15], // tap (2,1)
            [11, 12, 15, 16], // tap (2,2)
        ]);
    });

    it('reproduces the source material\'s NHWC example (1×4×4×2, 2×2 kernel, stride 2) up to its layout', () => {
        // The source lays im2col out channel-last: one ROW per output window, H_out·W_out × (K_H·K_W·C) = 4×8, each
        // row listing the window's taps in (kh, kw) order with the channels of a tap side by side. Its rows pair 1
        // with 17, 2 with 18 …, so channel c at (h, w) holds 16·c + 4·h + w + 1: as an NCHW tensor, the two channel
        // planes are 1…16 and 17…32.
        const x = Float32Array.from({ length: 32 }, (_, i) => i + 1);
        const g: ConvGeometry = { channels: 2, input: [1, 4, 4], output: [1, 2, 2], kernel: [1, 2, 2], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 0, 0] };
        const K = taps(g);
        const P = outputPositions(g);
        const cols = new Float32Array(2 * K * P);
        im2col(x, 0, g, cols);
        // Ours is channel-first: cols[(c·K + k)·P + p], one COLUMN per window. Reading it transposed (window p as a
        // row) and ordering each row's entries as (kh, kw, c) — channel fastest — gives the source's matrix.
        const nhwc = Array.from({ length: P }, (_, p) => {
            const row: number[] = [];
            for (let k = 0; k < K; k++) for (let c = 0; c < 2; c++) row.push(cols[(c * K + k) * P + p]);
            return row;
        });
        expect(nhwc).toEqual([
            [1, 17, 2, 18, 5, 21, 6, 22],
            [3, 19, 4, 20, 7, 23, 8, 24],
            [9, 25, 10, 26, 13, 29, 14, 30],
            [11, 27, 12, 28, 15, 31, 16, 32],
        ]);
    });

    it('writes zeros for taps in the padding', () => {
        // 1 channel, 2×2 image, 3×3 kernel, padding 1 → 2×2 windows; the centre tap sees the image itself.
        const x = Float32Array.from([1, 2, 3, 4]);
        const g: ConvGeometry = { channels: 1, input: [1, 2, 2], output: [1, 2, 2], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] };
        const cols = new Float32Array(9 * 4);
        im2col(x, 0, g, cols);
        expect([...cols.subarray(0, 4)]).toEqual([0, 0, 0, 1]); // tap (0,0)
        expect([...cols.subarray(16, 20)]).toEqual([1, 2, 3, 4]); // tap (1,1)
        expect([...cols.subarray(32, 36)]).toEqual([4, 0, 0, 0]); // tap (2,2)
    });
});

describe('col2im is the adjoint of im2col: <im2col(x), y> = <x, col2im(y)>', () => {
    const geometries: { name: string; channels: number; input: [number, number, number]; kernel: [number, number, number]; stride: [number, number, number]; dilation: [number, number, number]; pad: [number, number, number] }[] = [
        { name: '2-D 3×3 stride 1 pad 1', channels: 2, input: [1, 5, 6], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], pad: [0, 1, 1] },
        { name: '2-D 3×3 stride 2 dilation 2 pad 2', channels: 3, input: [1, 9, 8], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 2, 2], pad: [0, 2, 2] },
        { name: '2-D 4×2 stride (3, 1)', channels: 1, input: [1, 10, 5], kernel: [1, 4, 2], stride: [1, 3, 1], dilation: [1, 1, 1], pad: [0, 0, 1] },
        { name: '2-D 2×2 stride 3 (gaps)', channels: 2, input: [1, 7, 7], kernel: [1, 2, 2], stride: [1, 3, 3], dilation: [1, 1, 1], pad: [0, 0, 0] },
        { name: '1-D k=5 stride 2 pad 2', channels: 3, input: [1, 1, 13], kernel: [1, 1, 5], stride: [1, 1, 2], dilation: [1, 1, 1], pad: [0, 0, 2] },
        { name: '3-D 3×3×3 stride 2 pad 1', channels: 2, input: [5, 6, 7], kernel: [3, 3, 3], stride: [2, 2, 2], dilation: [1, 1, 1], pad: [1, 1, 1] },
        { name: '3-D 2×3×2 dilation (2,1,3)', channels: 1, input: [6, 5, 8], kernel: [2, 3, 2], stride: [1, 2, 1], dilation: [2, 1, 3], pad: [1, 0, 2] },
    ];
    for (const geo of geometries) {
        it(geo.name, () => {
            const output = [0, 1, 2].map(i => outSize(geo.input[i], geo.kernel[i], geo.stride[i], geo.dilation[i], geo.pad[i], geo.pad[i])) as [number, number, number];
            const g: ConvGeometry = { channels: geo.channels, input: geo.input, output, kernel: geo.kernel, stride: geo.stride, dilation: geo.dilation, padBegin: geo.pad };
            const random = new SeededRandom(geo.input[1] * 31 + geo.input[2]);
            const imageSize = geo.channels * geo.input[0] * geo.input[1] * geo.input[2];
            const colsSize = geo.channels * taps(g) * outputPositions(g);
            const x = randomArray(random, imageSize + 4);
            const y = randomArray(random, colsSize);
            const cols = new Float32Array(colsSize);
            im2col(x, 4, g, cols); // x's image starts at offset 4
            const back = new Float32Array(imageSize + 4);
            col2im(y, 0, g, back, 4);
            let left = 0;
            for (let i = 0; i < colsSize; i++) left += cols[i] * y[i];
            let right = 0;
            let scale = 0;
            for (let i = 0; i < imageSize; i++) {
                right += x[4 + i] * back[4 + i];
                scale += Math.abs(x[4 + i] * back[4 + i]);
            }
            expect(back.subarray(0, 4).every(v => v === 0)).toBe(true);
            expect(Math.abs(left - right) / scale).toBeLessThan(1e-6);
        });
    }
});
