import type { AttrValue, OpIssue } from './types.js';
import { formatValue } from './shape-utils.js';

/** Padding of each spatial dimension, before and after (top/bottom, left/right …). */
export interface Pads {
    readonly begin: readonly number[];
    readonly end: readonly number[];
}

export interface PaddingGeometry {
    readonly input: readonly number[];
    readonly kernelEff: readonly number[];
    readonly stride: readonly number[];
}

/**
 * Resolves every way a padding can be written:
 * `1` (all sides), `(1, 2)` (per dimension, symmetric), `((0, 1), (0, 1))` (per dimension, begin and end),
 * `"valid"` (none) and `"same"` (TensorFlow's rule: output = ⌈input/stride⌉, the odd pixel goes at the end;
 * for stride 1 this equals PyTorch's `padding="same"`).
 */
export function resolvePadding(value: AttrValue, geometry: PaddingGeometry, attr = 'padding'): Pads | OpIssue {
    const dims = geometry.input.length;
    if (value === 'valid') return { begin: Array(dims).fill(0), end: Array(dims).fill(0) };
    if (value === 'same') {
        const begin: number[] = [];
        const end: number[] = [];
        for (let i = 0; i < dims; i++) {
            const out = Math.ceil(geometry.input[i] / geometry.stride[i]);
            const total = Math.max((out - 1) * geometry.stride[i] + geometry.kernelEff[i] - geometry.input[i], 0);
            begin.push(Math.floor(total / 2));
            end.push(total - Math.floor(total / 2));
        }
        return { begin, end };
    }
    if (typeof value === 'number') return { begin: Array(dims).fill(value), end: Array(dims).fill(value) };
    if (Array.isArray(value)) {
        if (value.length === 1 && typeof value[0] === 'number') return resolvePadding(value[0], geometry, attr);
        if (value.length === dims && value.every(v => typeof v === 'number')) {
            return { begin: value as number[], end: value as number[] };
        }
        if (value.length === dims && value.every(v => Array.isArray(v) && v.length === 2 && v.every(x => typeof x === 'number'))) {
            const pairs = value as unknown as [number, number][];
            return { begin: pairs.map(p => p[0]), end: pairs.map(p => p[1]) };
        }
    }
    return {
        severity: 'error', code: 'bad-attribute', attr,
        message: `${attr} must be a number, ${dims} numbers (one per dimension), ${dims} (begin, end) pairs, "same" or "valid"; got ${formatValue(value)}`,
    };
}

export function isIssue(value: unknown): value is OpIssue {
    return typeof value === 'object' && value !== null && 'severity' in value && 'message' in value;
}
