/**
 * Copies into and out of an engine's shared memory (runtime/copy-floats.ts): the fast path (Node's Buffer.fill, one
 * memcpy) must copy exactly the floats asked for — none beside them — and leave the caller an array of its own.
 */
import { describe, expect, it } from 'vitest';
import { copyFloats, copyOfFloats } from '../runtime/copy-floats.js';

const ramp = (n: number, from = 1) => Float32Array.from({ length: n }, (_, i) => from + i * 0.5);

describe('copyFloats', () => {
    it('copies a plain array into shared memory at an offset, touching nothing beside it', () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
        const whole = new Float32Array(memory.buffer);
        whole.fill(-7);
        const target = new Float32Array(memory.buffer, 40, 1000);
        copyFloats(target, ramp(1000));
        expect(Array.from(target.subarray(0, 3))).toEqual([1, 1.5, 2]);
        expect(target[999]).toBe(1 + 999 * 0.5);
        expect(whole[9]).toBe(-7);
        expect(whole[10 + 1000]).toBe(-7);
    });

    it('copies shared memory out into a plain array', () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
        const source = new Float32Array(memory.buffer, 12, 333);
        source.set(ramp(333, -100));
        const target = new Float32Array(333);
        copyFloats(target, source);
        expect(target[0]).toBe(-100);
        expect(target[332]).toBe(-100 + 332 * 0.5);
    });

    it('copies within one shared memory, regions overlapping, as set does', () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
        const whole = new Float32Array(memory.buffer, 0, 20);
        whole.set(ramp(20, 0));
        copyFloats(whole.subarray(2, 12), whole.subarray(0, 10));
        expect(Array.from(whole.subarray(0, 14))).toEqual([0, 0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 6, 6.5]);
    });

    it('copies between views of one shared memory under two buffer objects (one taken before a grow) as set does', () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 3, shared: true });
        const before = new Float32Array(memory.buffer, 0, 4000);
        before.set(ramp(4000, 0));
        memory.grow(1);
        const after = new Float32Array(memory.buffer, 8, 4000);
        expect(after.buffer).not.toBe(before.buffer);
        copyFloats(after, before);
        const whole = new Float32Array(memory.buffer, 0, 4002);
        expect(Array.from(whole.subarray(0, 5))).toEqual([0, 0.5, 0, 0.5, 1]);
        expect(whole[4001]).toBe(3999 * 0.5);
    });

    it('copies nothing for empty arrays and keeps set\'s refusal of a longer source', () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
        expect(() => copyFloats(new Float32Array(memory.buffer, 0, 0), new Float32Array(0))).not.toThrow();
        expect(() => copyFloats(new Float32Array(memory.buffer, 0, 2), ramp(3))).toThrow(RangeError);
    });
});

describe('copyOfFloats', () => {
    it('gives a plain array of its own, equal to the shared source', () => {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
        const source = new Float32Array(memory.buffer, 400, 50);
        source.set(ramp(50, 3));
        const copy = copyOfFloats(source);
        expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
        expect(copy.byteOffset).toBe(0);
        expect(copy.length).toBe(50);
        expect(copy[49]).toBe(3 + 49 * 0.5);
        source[49] = 0;
        expect(copy[49]).toBe(3 + 49 * 0.5);
    });

    it('copies a plain source too', () => {
        const source = ramp(5);
        const copy = copyOfFloats(source);
        source[0] = 9;
        expect(Array.from(copy)).toEqual([1, 1.5, 2, 2.5, 3]);
    });
});
