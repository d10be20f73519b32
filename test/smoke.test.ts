import { describe, expect, it } from 'vitest';
import { parse, summarize, singleOp, textAt } from './helpers.js';

describe('language smoke', () => {
    it('conv output shape follows the conv arithmetic (source material: 4×4, 3×3, stride 1 → 2×2)', async () => {
        const s = await summarize(singleOp([1, 1, 4, 4], 'conv(1, kernel: 3)'));
        expect(s.outputs[0].shape).toEqual([1, 1, 2, 2]);
    });

    it('reports an unknown op with a suggestion at the name', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'convv(8, kernel: 3)'));
        expect(parsed.errors).toHaveLength(1);
        expect(parsed.errors[0].message).toBe("unknown op or block 'convv'; did you mean 'conv'?");
        expect(textAt(parsed, parsed.errors[0])).toBe('convv');
    });
});
