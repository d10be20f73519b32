/** Linear layers and ops that change a tensor's layout: flatten, reshape, permute, pad, upsample, pixel (un)shuffle, matmul. */
import type { Attrs, OpContext, OpIssue, OpSpec, ShapeResult, Window } from './types.js';
import { boolAttr, formatShape, formatValue, intAttr, numel, perDimension, rankError, SPATIAL_NAMES, stringAttr } from './shape-utils.js';
import { isIssue, resolvePadding } from './padding.js';
import { isNearestMode } from './interpolation.js';
import { keepsEveryInput, keepsInput, keepsNothing, viewOfInput } from './backward.js';

/** Resolves a possibly negative dimension index; undefined when out of range. */
export function normalizeDim(dim: number, rank: number): number | undefined {
    const d = dim < 0 ? dim + rank : dim;
    return d >= 0 && d < rank ? d : undefined;
}

export function dimIssue(op: string, attr: string, dim: number, rank: number): OpIssue {
    return { severity: 'error', code: 'bad-attribute', attr, message: `${op}: ${attr} ${dim} is out of range for a ${rank}-D tensor (use ${-rank} … ${rank - 1})` };
}

/**
 * The warning for a linear layer applied to a feature map: it acts on the map's last axis (the width of an NCHW map)
 * at every position, which is almost always a forgotten flatten. The shape rule cannot tell a map from a
 * channels-last tensor of the same rank (ConvNeXt's [N, H, W, C] between its permutes, where a linear layer is the
 * pointwise conv it means to be), so this warning is raised by the graph analysis (language/analysis/
 * graph-warnings.ts), which sees where the input came from.
 */
export function linearOnSpatialIssue(x: readonly number[]): OpIssue {
    return {
        severity: 'warning', code: 'linear-on-spatial', input: 0,
        message: `linear on a ${x.length}-D tensor ${formatShape(x)} acts on its last dimension (${x[x.length - 1]}) at every position; add flatten before it if you meant all ${numel(x.slice(1))} features`,
    };
}

const linear: OpSpec = {
    name: 'linear', aliases: ['fc', 'dense'], category: 'linear',
    summary: 'Fully connected layer: y = x·Wᵀ + b over the last dimension.',
    attrs: [
        { name: 'features', type: 'int', min: 1, aliases: ['out_features'], doc: 'Output features.' },
        { name: 'bias', type: 'bool', default: true, doc: 'Add a learned bias.' },
    ],
    positional: 1,
    inputs: { min: 1, max: 1 },
    // On a feature map it warns (linearOnSpatialIssue), from the graph analysis: only that knows the input's layout.
    shape: ({ inputs: [x], attrs }) => {
        if (x.length < 2) return { issues: [rankError('linear', '2-D [N, features]', x)] };
        const out = intAttr(attrs, 'features');
        return { outputs: [[...x.slice(0, -1), out]], issues: [], formula: [`features: ${x[x.length - 1]} → ${out}`] };
    },
    cost: ({ inputs: [x], attrs }, [y]) => {
        const inFeatures = x[x.length - 1];
        const outFeatures = intAttr(attrs, 'features');
        const bias = boolAttr(attrs, 'bias');
        const macs = numel(x.slice(0, -1)) * inFeatures * outFeatures;
        return {
            params: [
                { name: 'weight', shape: [outFeatures, inFeatures], kind: 'weight' },
                ...(bias ? [{ name: 'bias', shape: [outFeatures], kind: 'bias' as const }] : []),
            ],
            macs, flops: 2 * macs + (bias ? numel(y) : 0),
            components: { bias: bias ? numel(y) : 0 },
        };
    },
    window: ({ inputs: [x] }) => (x.length > 2 ? { kind: 'pointwise' } : { kind: 'none' }),
    savedForBackward: keepsInput, // for the weight's gradient
};

const flatten: OpSpec = {
    name: 'flatten', category: 'tensor',
    summary: 'Merges dimensions start_dim … end_dim into one (by default everything but the batch).',
    attrs: [
        { name: 'start_dim', type: 'int', default: 1, doc: 'First dimension to merge.' },
        { name: 'end_dim', type: 'int', default: -1, doc: 'Last dimension to merge.' },
    ],
    positional: 2,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x], attrs }) => {
        const start = normalizeDim(intAttr(attrs, 'start_dim'), x.length);
        const end = normalizeDim(intAttr(attrs, 'end_dim'), x.length);
        if (start === undefined) return { issues: [dimIssue('flatten', 'start_dim', intAttr(attrs, 'start_dim'), x.length)] };
        if (end === undefined) return { issues: [dimIssue('flatten', 'end_dim', intAttr(attrs, 'end_dim'), x.length)] };
        if (end < start) return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'end_dim', message: `flatten: end_dim (${end}) comes before start_dim (${start})` }] };
        const merged = numel(x.slice(start, end + 1));
        return { outputs: [[...x.slice(0, start), merged, ...x.slice(end + 1)]], issues: [], formula: [`${x.slice(start, end + 1).join('·')} = ${merged}`] };
    },
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'none' }),
    savedForBackward: viewOfInput,
};

const reshape: OpSpec = {
    name: 'reshape', aliases: ['view'], category: 'tensor',
    summary: 'Gives the tensor a new shape with the same number of elements; one dimension may be −1 (inferred).',
    attrs: [{ name: 'shape', type: 'intList', doc: 'The new shape, e.g. (1, -1) or (1, 64, 7, 7).' }],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x], attrs }): ShapeResult => {
        const target = attrs.shape as number[];
        const unknown = target.filter(d => d === -1).length;
        const bad = target.find(d => d === 0 || d < -1);
        if (unknown > 1 || bad !== undefined) {
            return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'shape', message: `reshape: shape ${formatValue(target)} may contain one −1 and otherwise positive sizes` }] };
        }
        const known = numel(target.filter(d => d !== -1));
        const total = numel(x);
        const inferred = total / known;
        const out = target.map(d => (d === -1 ? inferred : d));
        if (!Number.isInteger(inferred) || numel(out) !== total) {
            return { issues: [{ severity: 'error', code: 'shape-mismatch', attr: 'shape', message: `reshape: cannot view ${formatShape(x)} (${total} elements) as ${formatValue(target)} (${unknown ? `a multiple of ${known}` : known} elements)` }] };
        }
        return { outputs: [out], issues: [] };
    },
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'none' }),
    savedForBackward: viewOfInput,
};

function padShape(ctx: OpContext): ShapeResult {
    const x = ctx.inputs[0];
    if (x.length < 3) return { issues: [rankError('pad', '3-D to 5-D [N, C, …spatial]', x)] };
    const spatial = x.slice(2);
    const pads = resolvePadding(ctx.attrs.padding, { input: spatial, kernelEff: spatial.map(() => 1), stride: spatial.map(() => 1) });
    if (isIssue(pads)) return { issues: [pads] };
    if (stringAttr(ctx.attrs, 'mode') === 'reflect' && spatial.some((d, i) => pads.begin[i] >= d || pads.end[i] >= d)) {
        return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'padding', message: `pad: reflect padding must be smaller than the input size ${formatShape(spatial)}` }] };
    }
    const names = SPATIAL_NAMES[spatial.length];
    const sizes = spatial.map((d, i) => d + pads.begin[i] + pads.end[i]);
    return { outputs: [[x[0], x[1], ...sizes]], issues: [], formula: sizes.map((s, i) => `${names[i]}: ${spatial[i]} + ${pads.begin[i]} + ${pads.end[i]} = ${s}`) };
}

const pad: OpSpec = {
    name: 'pad', category: 'tensor',
    summary: 'Pads the spatial dimensions: constant, reflect or replicate.',
    attrs: [
        { name: 'padding', type: 'padding', min: 0, doc: '`1`, per dimension `(1, 2)`, or per side `((top, bottom), (left, right))`.' },
        { name: 'mode', type: 'string', choices: ['constant', 'reflect', 'replicate'], default: 'constant', doc: 'How the border is filled.' },
        { name: 'value', type: 'float', default: 0, doc: 'Fill value for constant padding.' },
    ],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: padShape,
    cost: () => ({ params: [], macs: 0, flops: 0 }),
    window: () => ({ kind: 'pointwise' }),
    savedForBackward: keepsNothing, // the gradient is the output's gradient cropped (or folded back, reflect/replicate)
};

/**
 * The scale factor per spatial axis that PyTorch hands its interpolation kernel: the one given, unless `size` was
 * given too (the shape rule prefers `size`, and then PyTorch derives the step from the sizes).
 */
export function upsampleScaleFactors(attrs: OpContext['attrs'], dims: number): number[] | undefined {
    return attrs.size === undefined ? perDimension(attrs.scale_factor, dims) : undefined;
}

function upsampleSizes(ctx: OpContext): { sizes?: number[]; scale?: number[]; issue?: OpIssue } {
    const x = ctx.inputs[0];
    const dims = x.length - 2;
    if (ctx.attrs.size !== undefined) {
        const sizes = perDimension(ctx.attrs.size, dims);
        if (!sizes) return { issue: { severity: 'error', code: 'bad-attribute', attr: 'size', message: `upsample: size needs one value or ${dims} values, got ${formatValue(ctx.attrs.size)}` } };
        return { sizes, scale: sizes.map((s, i) => s / x[2 + i]) };
    }
    if (ctx.attrs.scale_factor !== undefined) {
        const scale = perDimension(ctx.attrs.scale_factor, dims);
        if (!scale) return { issue: { severity: 'error', code: 'bad-attribute', attr: 'scale_factor', message: `upsample: scale_factor needs one value or ${dims} values, got ${formatValue(ctx.attrs.scale_factor)}` } };
        return { sizes: scale.map((s, i) => Math.floor(x[2 + i] * s)), scale };
    }
    return { issue: { severity: 'error', code: 'bad-attribute', message: 'upsample needs scale_factor or size' } };
}

const upsample: OpSpec = {
    name: 'upsample', aliases: ['interpolate'], category: 'tensor',
    summary: 'Resizes the spatial dimensions by a scale factor or to a size: nearest or (bi/tri)linear interpolation.',
    attrs: [
        { name: 'scale_factor', type: 'floats', optional: true, min: 0, aliases: ['scale'], doc: 'Multiplier, one number or one per spatial dimension (output = ⌊input·scale⌋; PyTorch reads the input at 1/scale steps).' },
        { name: 'size', type: 'ints', optional: true, min: 1, doc: 'Exact output size instead of a scale.' },
        { name: 'mode', type: 'string', choices: ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'], default: 'nearest', doc: 'Interpolation: "nearest" reads ⌊dst·scale⌋ (PyTorch\'s legacy rule, shifted by half a pixel), "nearest-exact" the pixel whose centre is nearest, ⌊(dst + ½)·scale⌋; or (bi/tri)linear.' },
        { name: 'align_corners', type: 'bool', default: false, doc: 'Map corner pixel centres onto each other (linear modes only).' },
    ],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ctx => {
        const x = ctx.inputs[0];
        if (x.length < 3 || x.length > 5) return { issues: [rankError('upsample', '3-D to 5-D [N, C, …spatial]', x)] };
        const mode = stringAttr(ctx.attrs, 'mode');
        const expectedMode = { 1: 'linear', 2: 'bilinear', 3: 'trilinear' }[x.length - 2];
        if (!isNearestMode(mode) && mode !== expectedMode) {
            return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'mode', message: `upsample: mode "${mode}" needs a ${{ linear: 3, bilinear: 4, trilinear: 5 }[mode]}-D input; for ${formatShape(x)} use "${expectedMode}" or "nearest"` }] };
        }
        // PyTorch refuses align_corners for nearest: it only says where the corner samples of an interpolation sit.
        if (isNearestMode(mode) && boolAttr(ctx.attrs, 'align_corners')) {
            return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'align_corners', message: `upsample: align_corners applies to the linear modes only, not to "${mode}"` }] };
        }
        const { sizes, issue } = upsampleSizes(ctx);
        if (issue || !sizes) return { issues: issue ? [issue] : [] };
        const zero = sizes.findIndex(s => s < 1);
        if (zero >= 0) return { issues: [{ severity: 'error', code: 'output-nonpositive', attr: 'scale_factor', message: `upsample: output size ${formatShape(sizes)} has a dimension < 1` }] };
        return { outputs: [[x[0], x[1], ...sizes]], issues: [] };
    },
    cost: (ctx, [y]) => ({ params: [], macs: 0, flops: isNearestMode(stringAttr(ctx.attrs, 'mode')) ? 0 : numel(y), components: { interpolated: numel(y) } }),
    window: ctx => {
        const { scale } = upsampleSizes(ctx);
        const dims = ctx.inputs[0].length - 2;
        const linear = !isNearestMode(stringAttr(ctx.attrs, 'mode'));
        return { kind: 'upsampling', kernel: Array(dims).fill(linear ? 2 : 1), scale: scale ?? Array(dims).fill(1) };
    },    savedForBackward: keepsNothing, // the backward needs only the sizes
};

/**
 * Pixel shuffle (ESPCN's sub-pixel convolution) and its inverse: each r×r block of output pixels comes from r²
 * channels at one input pixel. Channel c·r² + i·r + j of the input holds output pixel (h·r + i, w·r + j) of
 * channel c, as in PyTorch's nn.PixelShuffle and ONNX's DepthToSpace in CRD mode.
 */
function pixelShuffleSpec(direction: 'up' | 'down'): OpSpec {
    const name = direction === 'up' ? 'pixelshuffle' : 'pixelunshuffle';
    return {
        name, aliases: [direction === 'up' ? 'pixel_shuffle' : 'pixel_unshuffle'], category: 'tensor',
        summary: direction === 'up'
            ? 'Pixel shuffle (sub-pixel upsampling): [N, C·r², H, W] → [N, C, H·r, W·r], each r×r block from r² channels.'
            : 'Pixel unshuffle: [N, C, H·r, W·r] → [N, C·r², H, W], each r×r block of pixels into r² channels.',
        attrs: [{ name: 'factor', type: 'int', min: 1, aliases: [direction === 'up' ? 'upscale_factor' : 'downscale_factor'], doc: `The block size r: spatial sizes are ${direction === 'up' ? 'multiplied' : 'divided'} by r, channels ${direction === 'up' ? 'divided' : 'multiplied'} by r².` }],
        positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x], attrs }) => {
            const r = intAttr(attrs, 'factor');
            if (x.length !== 4) return { issues: [rankError(name, '4-D [N, C, H, W]', x)] };
            const [n, c, h, w] = x;
            if (direction === 'up') {
                if (c % (r * r) !== 0) return { issues: [{ severity: 'error', code: 'channels-not-divisible', attr: 'factor', message: `${name}: channels (${c}) are not divisible by factor² (${r}² = ${r * r})` }] };
                return { outputs: [[n, c / (r * r), h * r, w * r]], issues: [], formula: [`C: ${c}/${r}² = ${c / (r * r)}`, `H: ${h}·${r} = ${h * r}`, `W: ${w}·${r} = ${w * r}`] };
            }
            if (h % r !== 0 || w % r !== 0) return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'factor', message: `${name}: height and width (${h}×${w}) must be divisible by the factor (${r})` }] };
            return { outputs: [[n, c * r * r, h / r, w / r]], issues: [], formula: [`C: ${c}·${r}² = ${c * r * r}`, `H: ${h}/${r} = ${h / r}`, `W: ${w}/${r} = ${w / r}`] };
        },
        cost: () => ({ params: [], macs: 0, flops: 0 }),
        // Up: output pixel p reads input pixel ⌊p/r⌋, as nearest upsampling by r does. Down: a window of r, stride r.
        window: ({ attrs }) => {
            const r = intAttr(attrs, 'factor');
            return direction === 'up' ? { kind: 'upsampling', kernel: [1, 1], scale: [r, r] } : { kind: 'sliding', kernel: [r, r], stride: [r, r] };
        },
        savedForBackward: keepsNothing,
    };
}

/**
 * The axes of a `rank`-D tensor in the order a permute layer puts them: `dims` of `permute` (negative dims count from
 * the end, as in PyTorch), or for `channelslast` and `channelsfirst` the permutation they are named for:
 * [N, C, …spatial] → [N, …spatial, C] is (0, 2, …, r−1, 1), and back is (0, r−1, 1, …, r−2). An issue when `dims`
 * is not a permutation of the axes (PyTorch refuses those too).
 */
export function permutationOf(op: string, attrs: Attrs, rank: number): number[] | OpIssue {
    if (op === 'channelslast' || op === 'channelsfirst') {
        if (rank < 3) return { severity: 'error', code: 'bad-rank', input: 0, message: `${op} expects a tensor with spatial axes [N, C, …spatial], got a ${rank}-D one` };
        const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 2);
        return op === 'channelslast' ? [0, ...spatial, 1] : [0, rank - 1, ...spatial.map(a => a - 1)];
    }
    const dims = attrs.dims as readonly number[];
    if (dims.length !== rank) {
        return { severity: 'error', code: 'bad-attribute', attr: 'dims', message: `permute: dims ${formatValue(dims)} order ${dims.length} axes, but the input has ${rank}; name every axis once` };
    }
    const perm: number[] = [];
    for (const dim of dims) {
        const axis = normalizeDim(dim, rank);
        if (axis === undefined) return dimIssue('permute', 'dims', dim, rank);
        if (perm.includes(axis)) return { severity: 'error', code: 'bad-attribute', attr: 'dims', message: `permute: dims ${formatValue(dims)} name axis ${axis} twice; name every axis once` };
        perm.push(axis);
    }
    return perm;
}

/**
 * Permute and its two named forms. Each output element is one input element, so nothing is computed (0 FLOPs) and
 * the receptive field of an element is the one of the element it copies: the window is pointwise while the batch
 * axis stays first. The field's figures stay listed per spatial dimension of the image (height, width) wherever
 * the permute puts those axes: after `channelslast` the field of a [N, H, W, C] tensor is still (height, width).
 */
function permuteSpec(name: 'permute' | 'channelslast' | 'channelsfirst'): OpSpec {
    const summary = {
        permute: 'Puts the axes in the order `dims` (PyTorch\'s Tensor.permute, torchvision\'s ops.Permute): (0, 2, 3, 1) makes [N, C, H, W] channels-last [N, H, W, C].',
        channelslast: 'Moves the channels to the last axis: [N, C, …spatial] → [N, …spatial, C], permute (0, 2, 3, 1) for a 4-D tensor (a new shape, not PyTorch\'s channels_last memory format, which keeps the shape).',
        channelsfirst: 'Moves the last axis back to the channels: [N, …spatial, C] → [N, C, …spatial], permute (0, 3, 1, 2) for a 4-D tensor.',
    }[name];
    return {
        name, family: 'permute', category: 'tensor', summary,
        aliases: { permute: [], channelslast: ['channels_last'], channelsfirst: ['channels_first'] }[name],
        attrs: name === 'permute' ? [{ name: 'dims', type: 'intList', doc: 'The input axis each output axis takes, every axis once: (0, 2, 3, 1); negative dims count from the end.' }] : [],
        positional: name === 'permute' ? 1 : 0,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x], attrs }) => {
            const perm = permutationOf(name, attrs, x.length);
            if (isIssue(perm)) return { issues: [perm.code === 'bad-rank' ? rankError(name, '3-D or more [N, C, …spatial]', x) : perm] };
            const out = perm.map(a => x[a]);
            return { outputs: [out], issues: [], formula: [`axes (${perm.join(', ')}): ${formatShape(x)} → ${formatShape(out)}`] };
        },
        cost: () => ({ params: [], macs: 0, flops: 0 }),
        window: ({ inputs: [x], attrs }): Window => {
            const perm = permutationOf(name, attrs, x.length);
            return !isIssue(perm) && perm[0] === 0 ? { kind: 'pointwise' } : { kind: 'none' };
        },
        savedForBackward: viewOfInput,
    };
}

const matmul: OpSpec = {
    name: 'matmul', category: 'linear',
    summary: 'Matrix product of the last two dimensions (batched over the leading ones).',
    attrs: [],
    positional: 0,
    inputs: { min: 2, max: 2 },
    shape: ({ inputs: [a, b] }) => {
        if (a.length < 2 || b.length < 2 || a.length !== b.length || a[a.length - 1] !== b[b.length - 2] || a.slice(0, -2).some((d, i) => d !== b[i])) {
            return { issues: [{ severity: 'error', code: 'shape-mismatch', input: 1, message: `matmul: cannot multiply ${formatShape(a)} by ${formatShape(b)} (the inner dimensions and the batch dimensions must agree)` }] };
        }
        return { outputs: [[...a.slice(0, -1), b[b.length - 1]]], issues: [] };
    },
    cost: ({ inputs: [a] }, [y]) => {
        const macs = numel(y) * a[a.length - 1];
        return { params: [], macs, flops: 2 * macs };
    },
    window: () => ({ kind: 'none' }),
    savedForBackward: keepsEveryInput,
};

export const tensorOps: readonly OpSpec[] = [
    linear, flatten, reshape, permuteSpec('permute'), permuteSpec('channelslast'), permuteSpec('channelsfirst'), pad, upsample,
    pixelShuffleSpec('up'), pixelShuffleSpec('down'), matmul,
];
