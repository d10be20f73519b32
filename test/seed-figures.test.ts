/**
 * The worked figures of the project's source material (shared/reference/seed-figures.md), each reproduced through a
 * ConvNet snippet: shapes, parameters, MACs and receptive fields come from the language's summary, and the expected
 * numbers are the ones the source prints (quoted in each test's name or comment), not recomputed from our rules.
 */
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse, singleOp, summarize } from './helpers.js';
import { runNetwork } from '../runtime/executor.js';
import { Tensor } from '../runtime/tensor.js';

const layer = (s: Awaited<ReturnType<typeof summarize>>, name: string) => {
    const found = s.layers.find(l => l.name === name);
    if (!found) throw new Error(`no layer ${name} in ${s.layers.map(l => l.name).join(', ')}`);
    return found;
};

describe('depthwise-separable vs standard conv (input 7×7×3, 3×3 kernels, 128 outputs, stride 1, no padding)', () => {
    it('standard conv: 128·3·3·3·5·5 = 86,400 multiplications, 3·3·3·128 = 3,456 parameters, output 5×5×128', async () => {
        const s = await summarize(singleOp([1, 3, 7, 7], 'std: conv(128, kernel: 3, bias: false)'));
        expect(s.outputs[0].shape).toEqual([1, 128, 5, 5]);
        expect(layer(s, 'std').macs).toBe(86_400);
        expect(layer(s, 'std').params).toBe(3_456);
    });

    it('depthwise 3·3·3·1·5·5 = 675 + pointwise 128·1·1·3·5·5 = 9,600 = 10,275 multiplications; 3·3·3 + 3·128 = 411 parameters', async () => {
        const s = await summarize(singleOp([1, 3, 7, 7], 'dw: dwconv(3, bias: false) -> pw: conv(128, kernel: 1, bias: false)'));
        expect(layer(s, 'dw').output).toEqual([1, 3, 5, 5]);
        expect(s.outputs[0].shape).toEqual([1, 128, 5, 5]);
        expect(layer(s, 'dw').macs).toBe(675);
        expect(layer(s, 'pw').macs).toBe(9_600);
        expect(s.macs).toBe(10_275);
        expect(layer(s, 'dw').params).toBe(27);
        expect(layer(s, 'pw').params).toBe(384);
        expect(s.params).toBe(411);
    });

    it('the ratio is (h·h + N_c)/(h·h·N_c) = 1/N_c + 1/h² (≈ 12% here)', async () => {
        const standard = await summarize(singleOp([1, 3, 7, 7], 'conv(128, kernel: 3, bias: false)'));
        const separable = await summarize(singleOp([1, 3, 7, 7], 'dwconv(3, bias: false) -> conv(128, kernel: 1, bias: false)'));
        // (3·3 + 128)/(3·3·128) = 137/1152, compared as exact fractions.
        expect(separable.macs * 1152).toBe(standard.macs * 137);
        expect(Math.round((100 * separable.macs) / standard.macs)).toBe(12);
    });

    it('3×3 conv, 3 inputs, 256 outputs: 3·3·3·256 = 6,912 parameters vs depthwise + pointwise 3·3·3 + 3·1·1·256 = 795', async () => {
        const standard = await summarize(singleOp([1, 3, 7, 7], 'conv(256, kernel: 3, bias: false)'));
        const separable = await summarize(singleOp([1, 3, 7, 7], 'dwconv(3, bias: false) -> conv(256, kernel: 1, bias: false)'));
        expect(standard.params).toBe(6_912);
        expect(separable.params).toBe(795);
    });
});

describe('spatially separable conv', () => {
    it('3×3 on a 5×5 single-channel image: standard 81 multiplications (9 positions × 9)', async () => {
        const s = await summarize(singleOp([1, 1, 5, 5], 'conv(1, kernel: 3, bias: false)'));
        expect(s.outputs[0].shape).toEqual([1, 1, 3, 3]);
        expect(s.macs).toBe(81);
    });

    it('3×1 then 1×3: 15 positions × 3 = 45, then 9 positions × 3 = 27, total 72', async () => {
        const s = await summarize(singleOp([1, 1, 5, 5], 'col: conv(1, kernel: (3, 1), bias: false) -> row: conv(1, kernel: (1, 3), bias: false)'));
        expect(layer(s, 'col').output).toEqual([1, 1, 3, 5]);
        expect(layer(s, 'col').macs).toBe(45);
        expect(layer(s, 'row').output).toEqual([1, 1, 3, 3]);
        expect(layer(s, 'row').macs).toBe(27);
        expect(s.macs).toBe(72);
        expect(s.params).toBe(6);
    });

    it('N×N image, m×m kernel: standard (N−2)²·m² vs separable (2N−2)·(N−2)·m for m = 3 (N = 9: 441 vs 336)', async () => {
        const standard = await summarize(singleOp([1, 1, 9, 9], 'conv(1, kernel: 3, bias: false)'));
        const separable = await summarize(singleOp([1, 1, 9, 9], 'conv(1, kernel: (3, 1), bias: false) -> conv(1, kernel: (1, 3), bias: false)'));
        expect(standard.macs).toBe(7 * 7 * 3 * 3);
        expect(separable.macs).toBe((2 * 9 - 2) * (9 - 2) * 3);
    });
});

describe('grouped conv: parameters (C_in/g)·(C_out/g)·K_H·K_W·g and MACs H·W·(C_out/g)·K_H·K_W·(C_in/g)·g, both 1/g of the dense conv', () => {
    const grouped = (g: number) => summarize(singleOp([1, 8, 10, 10], `conv(16, kernel: 3, padding: 1, groups: ${g}, bias: false)`));

    it.each([1, 2, 4, 8])('g = %i', async g => {
        const s = await grouped(g);
        expect(s.params).toBe((8 / g) * (16 / g) * 3 * 3 * g);
        expect(s.macs).toBe(10 * 10 * (16 / g) * 3 * 3 * (8 / g) * g);
        const dense = await grouped(1);
        expect(s.params * g).toBe(dense.params);
        expect(s.macs * g).toBe(dense.macs);
    });

    it('two groups halve the parameters: (h·w·D_in/2·D_out/2)·2 vs h·w·D_in·D_out', async () => {
        expect((await grouped(2)).params).toBe(((3 * 3 * 8) / 2) * (16 / 2) * 2);
        expect((await grouped(1)).params).toBe(3 * 3 * 8 * 16);
    });
});

describe('dilated conv', () => {
    it('stacked 3×3 convs with rates 1, 2, 4 give receptive fields 3×3, 7×7, 15×15 with the same parameters per layer', async () => {
        const s = await summarize(singleOp([1, 8, 32, 32],
            'r1: conv(8, kernel: 3, padding: 1, dilation: 1) -> r2: conv(8, kernel: 3, padding: 2, dilation: 2) -> r4: conv(8, kernel: 3, padding: 4, dilation: 4)'));
        expect(layer(s, 'r1').receptiveField).toEqual([3, 3]);
        expect(layer(s, 'r2').receptiveField).toEqual([7, 7]);
        expect(layer(s, 'r4').receptiveField).toEqual([15, 15]);
        expect(new Set(['r1', 'r2', 'r4'].map(n => layer(s, n).params)).size).toBe(1);
        expect(s.outputs[0].shape).toEqual([1, 8, 32, 32]);
    });

    it('kernel 3×3 with rate l covers l·(k−1)+1 positions: rate 2 on a 7×7 input leaves 7 − 5 + 1 = 3', async () => {
        const s = await summarize(singleOp([1, 1, 7, 7], 'conv(1, kernel: 3, dilation: 2)'));
        expect(s.outputs[0].shape).toEqual([1, 1, 3, 3]);
    });
});

describe('transposed conv', () => {
    it('2×2 input, 3×3 kernel, stride 1 → 4×4 output (the conv over the input zero-padded by 2 on each side)', async () => {
        const transposed = await summarize(singleOp([1, 1, 2, 2], 'convtranspose(1, kernel: 3)'));
        expect(transposed.outputs[0].shape).toEqual([1, 1, 4, 4]);
        const padded = await summarize(singleOp([1, 1, 2, 2], 'conv(1, kernel: 3, padding: 2)'));
        expect(padded.outputs[0].shape).toEqual([1, 1, 4, 4]);
    });

    it('same input with one zero inserted between inputs (stride 2) → 5×5 output', async () => {
        const s = await summarize(singleOp([1, 1, 2, 2], 'convtranspose(1, kernel: 3, stride: 2)'));
        expect(s.outputs[0].shape).toEqual([1, 1, 5, 5]);
    });

    it('conv as a matrix: 3×3 on 4×4 is a 4×16 C with 9 taps per row (36 MACs); Cᵀ maps the 2×2 back to 4×4 with the same 36', async () => {
        const conv = await summarize(singleOp([1, 1, 4, 4], 'conv(1, kernel: 3, bias: false)'));
        expect(conv.outputs[0].shape).toEqual([1, 1, 2, 2]);
        expect(conv.macs).toBe(4 * 9);
        const transposed = await summarize(singleOp([1, 1, 2, 2], 'convtranspose(1, kernel: 3, bias: false)'));
        expect(transposed.outputs[0].shape).toEqual([1, 1, 4, 4]);
        expect(transposed.macs).toBe(4 * 9);
    });

    it('checkerboard: k=3, s=2 and k=5, s=2 overlap unevenly (warning); k=2, s=2 and k=4, s=2 evenly (none)', async () => {
        const checkerboard = async (k: number) => (await parse(singleOp([1, 4, 8, 8], `convtranspose(4, kernel: ${k}, stride: 2)`))).warnings
            .filter(w => (w.data as { code?: string } | undefined)?.code === 'checkerboard').length > 0;
        expect(await checkerboard(3)).toBe(true);
        expect(await checkerboard(5)).toBe(true);
        expect(await checkerboard(2)).toBe(false);
        expect(await checkerboard(4)).toBe(false);
    });
});

describe('conv arithmetic: o = ⌊(i + 2p − k)/s⌋ + 1, with dilation k → d·(k−1)+1', () => {
    it('single-channel im2col example: 4×4 image, 3×3 kernel, stride 1, pad 0 → 2×2 output', async () => {
        const s = await summarize(singleOp([1, 1, 4, 4], 'conv(1, kernel: 3)'));
        expect(s.outputs[0].shape).toEqual([1, 1, 2, 2]);
    });

    it.each([
        // i, k, s, p, d, o
        [5, 3, 2, 1, 1, 3],
        [6, 3, 2, 1, 1, 3],
        [7, 3, 2, 0, 1, 3],
        [9, 3, 1, 0, 2, 5],
        [10, 4, 3, 2, 1, 4],
    ])('i=%i k=%i s=%i p=%i d=%i → o=%i', async (i, k, s, p, d, o) => {
        const summary = await summarize(singleOp([1, 1, i, i], `conv(1, kernel: ${k}, stride: ${s}, padding: ${p}, dilation: ${d})`));
        expect(summary.outputs[0].shape).toEqual([1, 1, o, o]);
    });
});

describe('spatial pyramid pooling', () => {
    it.each([[13, 13], [7, 10], [32, 24]])('levels 1×1, 2×2, 4×4 on 256 channels → 1·256 + 4·256 + 16·256 = 5,376 for a %i×%i input', async (h, w) => {
        const s = await summarize(singleOp([1, 256, h, w], 'spp((1, 2, 4))'));
        expect(s.outputs[0].shape).toEqual([1, 5_376]);
    });

    // SPP-net (He et al. 2014, Sec. 2.3) pools an n×n level of an a×a map as a sliding window of ⌈a/n⌉ with stride
    // ⌊a/n⌋. `spp` uses adaptive pooling's bins (rows ⌊i·a/n⌋ … ⌈(i+1)·a/n⌉ − 1), which always make n×n bins that
    // cover the map. The paper's rule is computed here directly from its formula, on the conv5 maps of its two
    // training sizes (224 → 13×13, 180 → 10×10) for its pyramid {6×6, 3×3, 2×2, 1×1}.
    const LEVELS = [6, 3, 2, 1];
    /** The paper's windows of level n on channel c of an a×a map (row-major data), as many as fit. */
    const paperLevel = (x: Float32Array, c: number, a: number, n: number): number[][] => {
        const [win, stride] = [Math.ceil(a / n), Math.floor(a / n)];
        const count = Math.floor((a - win) / stride) + 1;
        return Array.from({ length: count }, (_, i) => Array.from({ length: count }, (_, j) => {
            let max = -Infinity;
            for (let r = i * stride; r < i * stride + win; r++) for (let q = j * stride; q < j * stride + win; q++) max = Math.max(max, x[(c * a + r) * a + q]);
            return max;
        }));
    };
    const sppOf = async (x: Float32Array, channels: number, a: number) => {
        const graph = analyzeNetwork(await parse(singleOp([1, channels, a, a], `spp((${LEVELS.join(', ')}))`))).graph;
        const out = runNetwork(graph, new Map([[graph.inputs[0].name, new Tensor([1, channels, a, a], x)]]), new Map()).outputs.get(graph.outputs[0].name)!.data;
        // Level by level, each channel's n×n bins row by row (the order of torch.cat of adaptive_max_pool2d(x, n).flatten(1)).
        let offset = 0;
        return LEVELS.map(n => {
            const level = Array.from({ length: channels }, (_, c) => Array.from({ length: n }, (_, i) => Array.from(out.subarray(offset + (c * n + i) * n, offset + (c * n + i + 1) * n))));
            offset += channels * n * n;
            return level;
        });
    };

    it('on the 13×13 map of a 224 image the bins are the paper\'s windows at every level (for n = 6: 3 wide, 2 apart)', async () => {
        const a = 13, channels = 3;
        const x = new Float32Array(channels * a * a).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
        const ours = await sppOf(x, channels, a);
        LEVELS.forEach((n, l) => {
            for (let c = 0; c < channels; c++) expect(ours[l][c], `level ${n}, channel ${c}`).toEqual(paperLevel(x, c, a, n));
        });
    });

    it('on the 10×10 map of a 180 image the paper\'s rule read literally slides 9 windows of 2 for n = 6, and its first 6 miss rows 7–9; the bins make 6 that cover the map', async () => {
        const a = 10;
        const x = new Float32Array(a * a).map((_, i) => -0.1 - Math.abs(Math.sin(i * 12.9898) * 43758.5453 % 1));
        x[9 * a + 9] = 1;                                   // the one positive pixel: last row, last column
        expect(paperLevel(x, 0, a, 6).length).toBe(9);      // ⌊(10 − 2)/1⌋ + 1
        expect(Math.max(...paperLevel(x, 0, a, 6).slice(0, 6).flatMap(row => row.slice(0, 6)))).toBeLessThan(0);
        const ours = await sppOf(x, 1, a);
        expect(ours[0][0].length).toBe(6);
        expect(ours[0][0][5][5]).toBe(1);                   // the last bin (rows and columns 8–9) sees it
        // The coarser levels are the paper's windows here too (⌈10/3⌉ = 4 apart 3; 5 apart 5; 10).
        LEVELS.slice(1).forEach((n, l) => expect(ours[l + 1][0], `level ${n}`).toEqual(paperLevel(x, 0, a, n)));
    });
});
