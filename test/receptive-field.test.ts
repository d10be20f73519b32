/**
 * Receptive field and jump through merges (r_out = r_in + (k−1)·j_in, j_out = j_in·s; a merge takes the widest
 * field of its inputs). The expected figures are worked out by hand in each test's comment.
 */
import { describe, expect, it } from 'vitest';
import { summarize } from './helpers.js';

const layer = (s: Awaited<ReturnType<typeof summarize>>, name: string) => s.layers.find(l => l.name === name)!;

describe('receptive field through a broadcast product (a Squeeze-and-Excitation gate)', () => {
    // conv 3×3 s2 on 32²: field 3, jump 2 (16² map). The global pool sees the whole map: 3 + (16−1)·2 = 33, and
    // its jump is 32. Gating the map by it (`x * s`) widens the field to 33 but keeps the map's jump 2, so the
    // next 3×3 conv adds (3−1)·2 = 4: 37, jump 2 — not (3−1)·32.
    const text = `
network Gate(input: [1, 4, 32, 32]) {
  x = input -> c1: conv(8, kernel: 3, stride: 2, padding: 1)
  s = x -> pool: globalavgpool -> fc: conv(8, kernel: 1) -> sigmoid
  return (x * s) -> c2: conv(8, kernel: 3, padding: 1)
}
`;
    it('the gate widens the field to the whole image, the map keeps its own jump', async () => {
        const s = await summarize(text);
        expect(layer(s, 'c1')).toMatchObject({ receptiveField: [3, 3], jump: [2, 2] });
        expect(layer(s, 'pool')).toMatchObject({ receptiveField: [33, 33], jump: [32, 32] });
        expect(layer(s, 'mul')).toMatchObject({ receptiveField: [33, 33], jump: [2, 2] });
        expect(layer(s, 'c2')).toMatchObject({ receptiveField: [37, 37], jump: [2, 2] });
    });

    it('a concat of same-sized branches still takes the widest field and jump', async () => {
        // a: 3×3 s1 → field 3, jump 1; b: 2×2 pool s2 then 2× nearest upsample → field 2, jump 1 (2/2).
        const s = await summarize(`
network Branches(input: [1, 2, 8, 8]) {
  a = input -> conv(2, kernel: 3, padding: 1)
  b = input -> maxpool(2) -> upsample(scale_factor: 2)
  return concat(a, b) -> c: conv(2, kernel: 3, padding: 1)
}
`);
        expect(layer(s, 'concat')).toMatchObject({ receptiveField: [3, 3], jump: [1, 1] });
        expect(layer(s, 'c')).toMatchObject({ receptiveField: [5, 5], jump: [1, 1] });
    });
});
