/**
 * ShuffleNet V2's guidelines (Ma et al., ECCV 2018, arXiv 1807.11164) on hand-made networks, with the memory access
 * cost computed by hand from the paper's formula: a 1×1 conv from c1 to c2 channels on an h×w map moves
 * MAC = hw(c1 + c2) + c1·c2 elements (eq. 1), in g groups hw(c1 + c2) + c1·c2/g (eq. 2).
 */
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse } from './helpers.js';
import { designInsights, pointwiseMac } from '../language/analysis/insights.js';
import { findDeviceProfile } from '../language/analysis/devices.js';

async function graphOf(text: string) {
    const parsed = await parse(text);
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    return analyzeNetwork(parsed).graph;
}

const desktop = findDeviceProfile('desktop-cpu-core')!; // 41.6 GB/s
const gpu = findDeviceProfile('laptop-gpu')!;           // 5 µs per launch

describe('G1: unequal channels of a 1×1 conv', () => {
    it('64→256 at 56²: MAC 1,019,904 against a balanced 128→128\'s 819,200 (1.245×): +802,816 B, 19.3 µs at 41.6 GB/s', async () => {
        // 56·56·(64 + 256) + 64·256 = 1,003,520 + 16,384; balanced: 2·3136·√(64·256) + 16,384 = 802,816 + 16,384.
        expect(pointwiseMac(56 * 56, 64, 256)).toBe(1_019_904);
        const graph = await graphOf('network N(input: [1, 64, 56, 56]) {\n  return input -> expand: conv(256, kernel: 1, bias: false)\n}\n');
        const g1 = designInsights(graph, desktop).filter(i => i.guideline === 'G1');
        expect(g1).toHaveLength(1);
        expect(g1[0].subject).toBe('expand');
        expect(g1[0].ratio).toBeCloseTo(1_019_904 / 819_200, 9);
        expect(g1[0].bytes).toBe((1_019_904 - 819_200) * 4);
        expect(g1[0].seconds).toBeCloseTo(802_816 / 41.6e9, 12);
        expect(g1[0].message).toBe('G1: 1×1 conv 64→256 moves 1.25× the bytes of a balanced 1×1 of the same FLOPs (128→128): MAC 1,019,904 vs 819,200 elements, +19.3 µs on a desktop CPU core');
    });

    it('quiet for a balanced 128→128 and for 64→96 (MAC within 1% of balanced)', async () => {
        const graph = await graphOf('network N(input: [1, 64, 56, 56]) {\n  return input -> conv(96, kernel: 1) -> conv(96, kernel: 1)\n}\n');
        // 64→96: 3136·160 + 6144 = 507,904; balanced 2·3136·√6144 + 6144 = 497,765 → 1.020×.
        expect(designInsights(graph, desktop).filter(i => i.guideline === 'G1')).toEqual([]);
    });
});

describe('G2: grouped 1×1 conv', () => {
    it('240→240 in 3 groups at 28²: MAC 395,520 against a dense 240→80\'s 270,080: +125,440 elements = 784·240·(1 − 1/3)', async () => {
        // 784·480 + 240·240/3 = 376,320 + 19,200; dense: 784·(240 + 80) + 19,200 = 250,880 + 19,200.
        expect(pointwiseMac(784, 240, 240, 3)).toBe(395_520);
        const graph = await graphOf('network N(input: [1, 240, 28, 28]) {\n  return input -> g: conv(240, kernel: 1, groups: 3, bias: false)\n}\n');
        const g2 = designInsights(graph, desktop).filter(i => i.guideline === 'G2');
        expect(g2).toHaveLength(1);
        expect(g2[0].bytes).toBe(125_440 * 4);
        expect(g2[0].ratio).toBeCloseTo(395_520 / 270_080, 9);
        expect(g2[0].seconds).toBeCloseTo(501_760 / 41.6e9, 12);
        expect(g2[0].message).toMatch(/^G2: 1×1 conv 240→240 in 3 groups moves 1\.46× the bytes of a dense 1×1 of the same FLOPs \(240→80\): MAC 395,520 vs 270,080 elements, \+12\.1 µs on a desktop CPU core$/);
    });
});

describe('G3: fragmented blocks', () => {
    it('a four-branch block on 8×8 maps: 8 launches on the laptop GPU cost 40 µs, most of its time', async () => {
        const graph = await graphOf([
            'block Inception()(x) {',
            '  a = x -> conv(16, kernel: 1)',
            '  b = x -> conv(16, kernel: 1) -> conv(16, kernel: 3, padding: 1)',
            '  c = x -> conv(16, kernel: 1) -> conv(16, kernel: 5, padding: 2)',
            '  d = x -> maxpool(3, stride: 1, padding: 1) -> conv(16, kernel: 1)',
            '  return concat(a, b, c, d)',
            '}',
            'network N(input: [1, 32, 8, 8]) {',
            '  return input -> mixed: Inception()',
            '}', ''].join('\n'));
        const g3 = designInsights(graph, gpu).filter(i => i.guideline === 'G3');
        expect(g3).toHaveLength(1);
        expect(g3[0].subject).toBe('mixed');
        expect(g3[0].seconds).toBeCloseTo(8 * 5e-6, 12); // 6 convs, a pooling and the concat
        expect(g3[0].ratio).toBeGreaterThan(0.9);
        expect(g3[0].message).toMatch(/^G3: mixed \(Inception\) joins 4 branches of 8 layers in all: their launches cost 40 µs, 9\d% of its predicted/);
    });

    it('quiet for a chain (no branches)', async () => {
        const graph = await graphOf('block Chain()(x) {\n  return x -> conv(16, kernel: 3, padding: 1) -> relu -> conv(16, kernel: 3, padding: 1)\n}\nnetwork N(input: [1, 16, 8, 8]) {\n  return input -> Chain()\n}\n');
        expect(designInsights(graph, gpu).filter(i => i.guideline === 'G3')).toEqual([]);
    });
});

describe('G4: element-wise layers\' share of the time', () => {
    it('a network of only element-wise layers spends all its time in them; a lone conv none', async () => {
        const all = await graphOf('network N(input: [1, 64, 56, 56]) {\n  return input -> sigmoid -> tanh\n}\n');
        const g4 = designInsights(all, desktop).filter(i => i.guideline === 'G4');
        expect(g4).toHaveLength(1);
        expect(g4[0].ratio).toBeCloseTo(1, 9);
        // Each reads and writes 64·56² float32s: 2 × 802,816 B at 41.6 GB/s + 2 µs, twice.
        expect(g4[0].seconds).toBeCloseTo(2 * (2 * 802_816 / 41.6e9 + 2e-6), 12);
        const conv = await graphOf('network N(input: [1, 64, 56, 56]) {\n  return input -> conv(64, kernel: 3, padding: 1)\n}\n');
        expect(designInsights(conv, desktop).filter(i => i.guideline === 'G4')).toEqual([]);
    });
});
