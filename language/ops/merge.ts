/** Ops that combine or divide tensors: elementwise arithmetic with broadcasting, concat, split, slice, channel shuffle. */
import type { OpIssue, OpSpec, Shape, ShapeResult } from './types.js';
import { broadcastShapes, formatShape, intAttr, numel } from './shape-utils.js';
import { normalizeDim } from './tensor.js';
import { keepsEveryInput, keepsNothing, viewOfInput } from './backward.js';

function elementwise(name: string, symbol: string, summary: string): OpSpec {
    return {
        name, category: 'merge', summary: `${summary} Shapes broadcast as in PyTorch (an SE gate of C×1×1 scales a C×H×W map).`,
        attrs: [],
        positional: 0,
        inputs: { min: 2, max: 2 },
        shape: ({ inputs: [a, b] }) => {
            const out = broadcastShapes(a, b);
            if (!out) {
                return { issues: [{ severity: 'error', code: 'shape-mismatch', input: 1, data: { left: a, right: b }, message: `${symbol === '+' ? 'cannot add' : `cannot apply ${symbol} to`} tensors of shapes ${formatShape(a)} and ${formatShape(b)}: they differ in ${differingDims(a, b)} and neither is 1 there` }] };
            }
            return { outputs: [out], issues: [] };
        },
        cost: (_ctx, [y]) => ({ params: [], macs: 0, flops: numel(y), components: { elementwise: numel(y) } }),
        window: () => ({ kind: 'pointwise' }),
        // A sum's gradient is the output's; a product's or quotient's gradient for one input reads the other.
        savedForBackward: name === 'add' || name === 'sub' ? keepsNothing : keepsEveryInput,
    };
}

function differingDims(a: Shape, b: Shape): string {
    const rank = Math.max(a.length, b.length);
    const dims: string[] = [];
    for (let i = 0; i < rank; i++) {
        const da = a[a.length - rank + i] ?? 1;
        const db = b[b.length - rank + i] ?? 1;
        if (da !== db && da !== 1 && db !== 1) dims.push(`dimension ${i} (${da} vs ${db})`);
    }
    return dims.join(', ');
}

const DIM_NAMES = ['batch', 'channels', 'height', 'width'];

const concat: OpSpec = {
    name: 'concat', aliases: ['cat'], category: 'merge',
    summary: 'Joins tensors along a dimension (channels by default); every other dimension must match.',
    attrs: [{ name: 'dim', type: 'int', default: 1, doc: 'Dimension to join along (1 = channels).' }],
    positional: 0,
    inputs: { min: 1, max: Infinity },
    shape: ({ inputs, attrs }): ShapeResult => {
        const first = inputs[0];
        const dim = normalizeDim(intAttr(attrs, 'dim'), first.length);
        if (dim === undefined) return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'dim', message: `concat: dim ${intAttr(attrs, 'dim')} is out of range for ${first.length}-D tensors` }] };
        const issues: OpIssue[] = [];
        inputs.forEach((shape, i) => {
            const mismatch = shape.length !== first.length || shape.some((d, j) => j !== dim && d !== first[j]);
            if (mismatch && i > 0) {
                const what = shape.length !== first.length ? 'rank' : shape.slice(2).some((d, j) => j + 2 !== dim && d !== first[j + 2]) ? 'spatial size' : 'shape';
                issues.push({
                    severity: 'error', code: 'concat-mismatch', input: i,
                    message: `concat along ${DIM_NAMES[dim] ?? `dim ${dim}`}: input ${i + 1} is ${formatShape(shape)} but input 1 is ${formatShape(first)} — the ${what} must match everywhere except dimension ${dim}`,
                });
            }
        });
        if (issues.length) return { issues };
        const joined = inputs.reduce((acc, s) => acc + s[dim], 0);
        const out = [...first];
        out[dim] = joined;
        return { outputs: [out], issues: [], formula: [`${DIM_NAMES[dim] ?? `dim ${dim}`}: ${inputs.map(s => s[dim]).join(' + ')} = ${joined}`] };
    },
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'pointwise' }),
    savedForBackward: keepsNothing,
};

/** Sizes of split's pieces: `sections` equal parts or explicit `sizes`. */
export function splitSizes(total: number, sections: number | readonly number[]): number[] | undefined {
    if (typeof sections === 'number') return total % sections === 0 ? Array(sections).fill(total / sections) : undefined;
    return sections.reduce((a, b) => a + b, 0) === total ? [...sections] : undefined;
}

const split: OpSpec = {
    name: 'split', aliases: ['chunk'], category: 'merge',
    summary: 'Splits a tensor along a dimension (channels by default) into equal parts or given sizes; gives several outputs.',
    attrs: [
        { name: 'sections', type: 'intList', min: 1, doc: 'Number of equal parts (2) or the size of each part ((32, 32)).' },
        { name: 'dim', type: 'int', default: 1, doc: 'Dimension to split (1 = channels).' },
    ],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x], attrs }) => {
        const dim = normalizeDim(intAttr(attrs, 'dim'), x.length);
        if (dim === undefined) return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'dim', message: `split: dim ${intAttr(attrs, 'dim')} is out of range for ${formatShape(x)}` }] };
        const raw = attrs.sections as number[];
        const sections = raw.length === 1 ? raw[0] : raw;
        const sizes = splitSizes(x[dim], sections);
        if (!sizes) {
            return { issues: [{ severity: 'error', code: 'channels-not-divisible', attr: 'sections', message: typeof sections === 'number' ? `split: ${x[dim]} ${DIM_NAMES[dim] ?? 'elements'} cannot be split into ${sections} equal parts` : `split: sizes (${sections.join(' + ')} = ${sections.reduce((a, b) => a + b, 0)}) must add up to ${x[dim]}` }] };
        }
        return { outputs: sizes.map(s => { const out = [...x]; out[dim] = s; return out; }), issues: [] };
    },
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'pointwise' }),
    savedForBackward: viewOfInput, // each piece is a view of the input (torch.split)
};

const slice: OpSpec = {
    name: 'slice', category: 'merge',
    summary: 'Takes elements start … end−1 (every step-th) along a dimension (channels by default).',
    attrs: [
        { name: 'start', type: 'int', default: 0, doc: 'First index (negative counts from the end).' },
        { name: 'end', type: 'int', optional: true, doc: 'One past the last index; defaults to the end.' },
        { name: 'dim', type: 'int', default: 1, doc: 'Dimension to slice (1 = channels).' },
        { name: 'step', type: 'int', default: 1, min: 1, doc: 'Stride between taken elements.' },
    ],
    positional: 2,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x], attrs }) => {
        const dim = normalizeDim(intAttr(attrs, 'dim'), x.length);
        if (dim === undefined) return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'dim', message: `slice: dim ${intAttr(attrs, 'dim')} is out of range for ${formatShape(x)}` }] };
        const size = x[dim];
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
        const start = clamp(intAttr(attrs, 'start'));
        const end = clamp(attrs.end === undefined ? size : intAttr(attrs, 'end'));
        const count = Math.ceil((end - start) / intAttr(attrs, 'step'));
        if (count <= 0) return { issues: [{ severity: 'error', code: 'output-nonpositive', attr: 'end', message: `slice: ${start} … ${end} of ${size} selects nothing` }] };
        const out = [...x];
        out[dim] = count;
        return { outputs: [out], issues: [] };
    },
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'pointwise' }),
    savedForBackward: viewOfInput,
};

const shuffle: OpSpec = {
    name: 'shuffle', aliases: ['channelshuffle', 'channel_shuffle'], category: 'merge',
    summary: 'Channel shuffle (ShuffleNet): view channels as groups × C/groups, transpose, flatten — so the next grouped conv sees every group.',
    attrs: [{ name: 'groups', type: 'int', min: 1, doc: 'Number of groups to interleave.' }],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x], attrs }) => {
        const groups = intAttr(attrs, 'groups');
        if (x.length < 2) return { issues: [{ severity: 'error', code: 'bad-rank', input: 0, message: `shuffle expects [N, C, …], got ${formatShape(x)}` }] };
        if (x[1] % groups !== 0) return { issues: [{ severity: 'error', code: 'channels-not-divisible', attr: 'groups', message: `shuffle: channels (${x[1]}) are not divisible by groups (${groups})` }] };
        return { outputs: [x], issues: [], formula: [`channels viewed as ${groups}×${x[1] / groups}, transposed to ${x[1] / groups}×${groups}`] };
    },
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'pointwise' }),
    savedForBackward: keepsNothing,
};

export const mergeOps: readonly OpSpec[] = [
    elementwise('add', '+', 'Elementwise sum (a residual connection).'),
    elementwise('sub', '−', 'Elementwise difference.'),
    elementwise('mul', '*', 'Elementwise product (SE scaling, gating).'),
    elementwise('div', '/', 'Elementwise quotient.'),
    concat, split, slice, shuffle,
];
