import type { AttrValue, Attrs, OpIssue, Shape } from './types.js';
import { displayText } from '../util/quote.js';

/** Largest element count, MAC count or dimension we accept: beyond 2^53 a float64 no longer counts exactly. */
export const MAX_EXACT = Number.MAX_SAFE_INTEGER;

export function numel(shape: Shape): number {
    let n = 1;
    for (const d of shape) n *= d;
    return n;
}

/** `1×64×56×56` — the way every shape is shown to a person. */
export function formatShape(shape: Shape): string {
    return shape.length === 0 ? 'scalar' : shape.join('×');
}

export const SPATIAL_NAMES: Record<number, readonly string[]> = {
    1: ['length'],
    2: ['height', 'width'],
    3: ['depth', 'height', 'width'],
};

export function layoutName(spatialDims: number): string {
    return ['[N, C]', '[N, C, L]', '[N, C, H, W]', '[N, C, D, H, W]'][spatialDims] ?? `${spatialDims + 2}-D`;
}

export function intAttr(attrs: Attrs, name: string): number {
    return attrs[name] as number;
}

export function boolAttr(attrs: Attrs, name: string): boolean {
    return attrs[name] as boolean;
}

export function stringAttr(attrs: Attrs, name: string): string {
    return attrs[name] as string;
}

/** Expands `3` or `(3, 1)` to one value per spatial dimension; undefined when the tuple has the wrong length. */
export function perDimension(value: AttrValue | undefined, dims: number): number[] | undefined {
    if (typeof value === 'number') return Array(dims).fill(value);
    if (Array.isArray(value) && value.length === dims && value.every(v => typeof v === 'number')) return [...value] as number[];
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return Array(dims).fill(value[0]);
    return undefined;
}

export function wrongLength(attr: string, dims: number, value: AttrValue): OpIssue {
    return {
        severity: 'error', code: 'bad-attribute', attr,
        message: `${attr} needs one value or ${dims} values (one per spatial dimension), got ${formatValue(value)}`,
    };
}

export function formatValue(value: AttrValue): string {
    if (Array.isArray(value)) return `(${value.map(formatValue).join(', ')})`;
    if (typeof value === 'string') return `"${displayText(value)}"`;
    return String(value);
}

export function rankError(op: string, expected: string, shape: Shape, input = 0): OpIssue {
    return {
        severity: 'error', code: 'bad-rank', input,
        message: `${op} expects a ${expected} input, got ${formatShape(shape)} (${shape.length}-D)`,
    };
}

/** Checks every dimension and the element count are exact, positive integers. */
export function checkRepresentable(shape: Shape, what: string): OpIssue | undefined {
    for (const d of shape) {
        if (!Number.isSafeInteger(d) || d > 2 ** 31 - 1) {
            return { severity: 'error', code: 'too-large', message: `${what} has a dimension (${d}) too large to represent exactly (limit 2^31−1)` };
        }
    }
    const n = numel(shape);
    if (!Number.isSafeInteger(n)) {
        return { severity: 'error', code: 'too-large', message: `${what} ${formatShape(shape)} has more elements than can be counted exactly (limit 2^53)` };
    }
    return undefined;
}

/** NumPy/PyTorch broadcasting: dimensions are aligned from the right and each pair must be equal or contain a 1. */
export function broadcastShapes(a: Shape, b: Shape): number[] | undefined {
    const rank = Math.max(a.length, b.length);
    const out: number[] = [];
    for (let i = 0; i < rank; i++) {
        const da = a[a.length - rank + i] ?? 1;
        const db = b[b.length - rank + i] ?? 1;
        if (da !== db && da !== 1 && db !== 1) return undefined;
        out.push(Math.max(da, db));
    }
    return out;
}

export const floorDiv = (a: number, b: number): number => Math.floor(a / b);
export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
