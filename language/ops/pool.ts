/**
 * Pooling: max/avg (ceil mode, count_include_pad), adaptive, global and spatial pyramid pooling, in 1, 2 and 3
 * spatial dimensions. Windows follow PyTorch: with ceil mode a last window that would start in the end padding
 * is dropped; padding may be at most half the kernel.
 */
import type { AttrSpec, OpContext, OpIssue, OpSpec, ShapeResult, Window } from './types.js';
import { boolAttr, formatValue, layoutName, numel, perDimension, rankError, SPATIAL_NAMES, wrongLength } from './shape-utils.js';
import { effectiveKernel, resolveWindowAttrs, slidingSpatialShape } from './conv.js';
import { KEEPS_INPUT, keepsInput, keepsInputAndIndices } from './backward.js';

const ceilModeAttr: AttrSpec = { name: 'ceil_mode', type: 'bool', default: false, doc: 'Round the output size up (a partial last window is kept if it starts inside the input or the begin padding).' };

function poolShape(op: string, dims: number, ctx: OpContext): ShapeResult {
    const x = ctx.inputs[0];
    if (x.length !== dims + 2) return { issues: [rankError(op, `${dims + 2}-D ${layoutName(dims)}`, x)] };
    const w = resolveWindowAttrs(ctx, dims);
    const issues: OpIssue[] = [...w.issues];
    if (issues.length) return { issues };
    for (let i = 0; i < dims; i++) {
        // PyTorch bounds the padding by half the kernel size, not of the dilated kernel.
        const half = Math.floor(w.kernel[i] / 2);
        if (w.pads.begin[i] > half || w.pads.end[i] > half) {
            issues.push({ severity: 'error', code: 'bad-attribute', attr: 'padding', message: `${op}: padding (${formatValue(ctx.attrs.padding)}) must be at most half the kernel (${half})` });
            return { issues };
        }
    }
    const spatial = slidingSpatialShape(op, x.slice(2), w, boolAttr(ctx.attrs, 'ceil_mode'));
    issues.push(...spatial.issues);
    if (issues.some(i => i.severity === 'error')) return { issues, formula: spatial.formula };
    return { outputs: [[x[0], x[1], ...spatial.sizes]], issues, formula: spatial.formula };
}

function slidingPoolSpec(name: string, kind: 'max' | 'avg', dims: number, aliases: string[] = []): OpSpec {
    const attrs: AttrSpec[] = [
        { name: 'kernel', type: 'ints', min: 1, aliases: ['kernel_size'], doc: 'Window size, one number or one per dimension.' },
        { name: 'stride', type: 'ints', min: 1, optional: true, doc: 'Step between windows; defaults to the kernel size.' },
        { name: 'padding', type: 'padding', min: 0, default: 0, doc: `Implicit ${kind === 'max' ? '−∞' : 'zero'} padding on each side, at most half the kernel.` },
        ...(kind === 'max' ? [{ name: 'dilation', type: 'ints', min: 1, default: 1, doc: 'Spacing between window taps.' } as AttrSpec] : []),
        ceilModeAttr,
        ...(kind === 'avg' ? [{ name: 'count_include_pad', type: 'bool', default: true, doc: 'Divide by the full window size, padding included (PyTorch default), rather than by the real elements in it.' } as AttrSpec] : []),
        // PyTorch's AvgPool2d and AvgPool3d have it; AvgPool1d does not.
        ...(kind === 'avg' && dims >= 2 ? [{ name: 'divisor_override', type: 'int', min: 1, optional: true, doc: 'Divide every window\'s sum by this number instead of by its size (count_include_pad then plays no part).' } as AttrSpec] : []),
    ];
    return {
        name, family: `${kind}pool`, aliases, category: 'pooling',
        summary: `${kind === 'max' ? 'Max' : 'Average'} pooling over ${dims}-D windows of a ${layoutName(dims)} tensor.`,
        attrs, positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ctx => poolShape(name, dims, ctx),
        cost: (ctx, outputs) => {
            const kernel = perDimension(ctx.attrs.kernel, dims) ?? [];
            return {
                params: [], macs: 0, flops: numel(outputs[0]) * numel(kernel),
                components: { pooled: { input: numel(ctx.inputs[0]), output: numel(outputs[0]), window: numel(kernel) } },
            };
        },
        window: ctx => {
            const kernel = perDimension(ctx.attrs.kernel, dims) ?? Array(dims).fill(1);
            const dilation = perDimension(ctx.attrs.dilation ?? 1, dims) ?? Array(dims).fill(1);
            const stride = ctx.attrs.stride === undefined ? kernel : perDimension(ctx.attrs.stride, dims) ?? kernel;
            return { kind: 'sliding', kernel: kernel.map((k, i) => effectiveKernel(k, dilation[i])), stride };
        },
        // Max: the index of each window's maximum (int64, as PyTorch's max_pool); avg: PyTorch's backward reads the input.
        savedForBackward: kind === 'max' ? keepsInputAndIndices : keepsInput,
    };
}

/** Start and end (exclusive) of adaptive pooling's window `i` of `outSize` over `inSize` positions (PyTorch). */
export function adaptiveWindow(i: number, inSize: number, outSize: number): [number, number] {
    return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}

/**
 * Input positions read by all `outSize` windows of adaptive pooling, Σ (end − start) over adaptiveWindow, in
 * closed form (a loop would take seconds for an output size near 2^31): n + m − gcd(n, m).
 */
function adaptiveReads(inSize: number, outSize: number): number {
    return inSize + outSize - gcd(inSize, outSize);
}

function gcd(a: number, b: number): number {
    while (b) [a, b] = [b, a % b];
    return a;
}

function adaptivePoolSpec(name: string, kind: 'max' | 'avg', dims: number, aliases: string[] = []): OpSpec {
    const outputSize = (ctx: OpContext) => perDimension(ctx.attrs.output_size, dims);
    return {
        name, family: `adaptive${kind}pool`, aliases, category: 'pooling',
        summary: `Adaptive ${kind} pooling to a fixed ${dims}-D output size, whatever the input size.`,
        attrs: [{ name: 'output_size', type: 'ints', min: 1, doc: 'Output size, one number or one per dimension.' }],
        positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ctx => {
            const x = ctx.inputs[0];
            if (x.length !== dims + 2) return { issues: [rankError(name, `${dims + 2}-D ${layoutName(dims)}`, x)] };
            const size = outputSize(ctx);
            if (!size) return { issues: [wrongLength('output_size', dims, ctx.attrs.output_size)] };
            const names = SPATIAL_NAMES[dims];
            return {
                outputs: [[x[0], x[1], ...size]], issues: [],
                formula: size.map((o, i) => `${names[i]}: ${x[2 + i]} → ${o} (window i spans ⌊i·${x[2 + i]}/${o}⌋ … ⌈(i+1)·${x[2 + i]}/${o}⌉)`),
            };
        },
        cost: ctx => {
            const x = ctx.inputs[0];
            const size = outputSize(ctx) ?? [];
            const reads = size.reduce((acc, o, i) => acc * adaptiveReads(x[2 + i], o), x[0] * x[1]);
            // The window of thop's rule: ⌊in/out⌋ per dimension.
            const window = size.reduce((acc, o, i) => acc * Math.floor(x[2 + i] / o), 1);
            return { params: [], macs: 0, flops: reads, components: { pooled: { input: numel(x), output: x[0] * x[1] * numel(size), window } } };
        },
        window: ctx => {
            const x = ctx.inputs[0];
            const size = outputSize(ctx) ?? [];
            if (size.every(o => o === 1)) return { kind: 'global' };
            return {
                kind: 'sliding',
                kernel: size.map((o, i) => Math.ceil(x[2 + i] / o) + (x[2 + i] % o === 0 ? 0 : 1)),
                stride: size.map((o, i) => x[2 + i] / o),
            };
        },
        savedForBackward: kind === 'max' ? keepsInputAndIndices : keepsInput,
    };
}

function globalPoolSpec(name: string, kind: 'max' | 'avg', aliases: string[] = []): OpSpec {
    return {
        name, aliases, category: 'pooling',
        summary: `Global ${kind} pooling: every channel reduced to one value (the spatial dimensions are kept, of size 1).`,
        attrs: [],
        positional: 0,
        inputs: { min: 1, max: 1 },
        shape: ctx => {
            const x = ctx.inputs[0];
            if (x.length < 3) return { issues: [rankError(name, '3-D to 5-D [N, C, …spatial]', x)] };
            return { outputs: [[x[0], x[1], ...x.slice(2).map(() => 1)]], issues: [] };
        },
        cost: ctx => ({
            params: [], macs: 0, flops: numel(ctx.inputs[0]),
            components: { pooled: { input: numel(ctx.inputs[0]), output: ctx.inputs[0][0] * ctx.inputs[0][1], window: numel(ctx.inputs[0].slice(2)) } },
        }),
        window: () => ({ kind: 'global' }),
        savedForBackward: kind === 'max' ? keepsInputAndIndices : keepsInput,
    };
}

const sppSpec: OpSpec = {
    name: 'spp', aliases: ['spatialpyramidpool'], category: 'pooling',
    summary: 'Spatial pyramid pooling (SPP-net): pools an n×n grid for each level and concatenates them into a fixed-length vector.',
    attrs: [
        { name: 'levels', type: 'intList', min: 1, default: [1, 2, 4], doc: 'Grid sizes of the pyramid, e.g. (1, 2, 4): 1 + 4 + 16 bins per channel.' },
        { name: 'mode', type: 'string', choices: ['max', 'avg'], default: 'max', doc: 'Pooling in each bin.' },
    ],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ctx => {
        const x = ctx.inputs[0];
        if (x.length !== 4) return { issues: [rankError('spp', '4-D [N, C, H, W]', x)] };
        const levels = ctx.attrs.levels as number[];
        const bins = levels.reduce((acc, l) => acc + l * l, 0);
        return {
            outputs: [[x[0], x[1] * bins]], issues: [],
            formula: [`features: ${x[1]} channels × (${levels.map(l => `${l}²`).join(' + ')}) bins = ${x[1] * bins}`],
        };
    },
    cost: ctx => {
        const x = ctx.inputs[0];
        const levels = ctx.attrs.levels as number[];
        const reads = levels.reduce((acc, l) => acc + adaptiveReads(x[2], l) * adaptiveReads(x[3], l), 0);
        const bins = levels.reduce((acc, l) => acc + l * l, 0);
        return { params: [], macs: 0, flops: x[0] * x[1] * reads, components: { pooled: { input: numel(x), output: x[0] * x[1] * bins, window: numel(x.slice(2)) / bins } } };
    },
    window: (): Window => ({ kind: 'global' }),
    savedForBackward: (ctx, outputs) => (ctx.attrs.mode === 'max' ? keepsInputAndIndices(ctx, outputs) : KEEPS_INPUT),
};

export const poolingOps: readonly OpSpec[] = [
    slidingPoolSpec('maxpool', 'max', 2, ['maxpool2d']),
    slidingPoolSpec('maxpool1d', 'max', 1),
    slidingPoolSpec('maxpool3d', 'max', 3),
    slidingPoolSpec('avgpool', 'avg', 2, ['avgpool2d']),
    slidingPoolSpec('avgpool1d', 'avg', 1),
    slidingPoolSpec('avgpool3d', 'avg', 3),
    adaptivePoolSpec('adaptiveavgpool', 'avg', 2, ['adaptiveavgpool2d']),
    adaptivePoolSpec('adaptiveavgpool1d', 'avg', 1),
    adaptivePoolSpec('adaptiveavgpool3d', 'avg', 3),
    adaptivePoolSpec('adaptivemaxpool', 'max', 2, ['adaptivemaxpool2d']),
    adaptivePoolSpec('adaptivemaxpool1d', 'max', 1),
    adaptivePoolSpec('adaptivemaxpool3d', 'max', 3),
    globalPoolSpec('globalavgpool', 'avg'),
    globalPoolSpec('globalmaxpool', 'max'),
    sppSpec,
];
