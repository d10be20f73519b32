/** How imported numbers are written back as the language writes them. */
import type { AttrValue } from '../../language/ops/types.js';

/** The shortest decimal that is the same float32 (ONNX stores attributes as float32: 1e-5 comes back as 9.99999974e-6). */
export function shortestFloat(v: number): number {
    if (!Number.isFinite(v) || Number.isInteger(v)) return v;
    for (let p = 1; p <= 9; p++) {
        const candidate = Number(v.toPrecision(p));
        if (Math.fround(candidate) === Math.fround(v)) return candidate;
    }
    return v;
}

/** `3` when every dimension is the same, else `(3, 1)`. */
export function compactInts(values: readonly number[]): AttrValue {
    return values.every(v => v === values[0]) ? values[0] : [...values];
}
