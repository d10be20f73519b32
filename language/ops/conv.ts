/**
 * Convolutions: conv 1d/2d/3d (grouped, dilated, per-side or "same" padding), depthwise conv with a channel
 * multiplier, transposed conv and deformable conv. Shapes follow PyTorch:
 *   conv:        o = ⌊(i + p_begin + p_end − d·(k−1) − 1)/s⌋ + 1
 *   transposed:  o = (i−1)·s − p_begin − p_end + d·(k−1) + output_padding + 1
 */
import type { AttrSpec, Cost, OpContext, OpIssue, OpSpec, Shape, ShapeResult, Window } from './types.js';
import {
    boolAttr, formatShape, intAttr, layoutName, numel, perDimension, rankError, SPATIAL_NAMES, wrongLength,
} from './shape-utils.js';
import { isIssue, resolvePadding, type Pads } from './padding.js';
import { keepsEveryInput, keepsInput } from './backward.js';

const channelsAttr: AttrSpec = { name: 'channels', type: 'int', min: 1, aliases: ['out_channels'], doc: 'Output channels (C_out).' };
const kernelAttr: AttrSpec = { name: 'kernel', type: 'ints', min: 1, aliases: ['kernel_size'], doc: 'Kernel size: one number, or one per spatial dimension (`(3, 1)`).' };
const strideAttr: AttrSpec = { name: 'stride', type: 'ints', min: 1, default: 1, doc: 'Step between windows, per dimension.' };
const dilationAttr: AttrSpec = { name: 'dilation', type: 'ints', min: 1, default: 1, doc: 'Spacing between kernel taps (atrous rate); the kernel covers d·(k−1)+1 positions.' };
const groupsAttr: AttrSpec = { name: 'groups', type: 'int', min: 1, default: 1, doc: 'Split channels into g groups convolved separately (g = C_in: depthwise). Parameters and MACs are ÷g.' };
const biasAttr: AttrSpec = { name: 'bias', type: 'bool', default: true, doc: 'Add a learned bias per output channel.' };
const convPaddingAttr: AttrSpec = {
    name: 'padding', type: 'padding', min: 0, default: 0,
    doc: 'Zero padding: `1`, per dimension `(1, 2)`, per side `((0, 1), (0, 1))`, `"same"` or `"valid"`.',
};
/** The padding of the convs that have a padding_mode (conv and dwconv, as PyTorch's ConvNd). */
const modePaddingAttr: AttrSpec = {
    ...convPaddingAttr,
    doc: 'Padding: `1`, per dimension `(1, 2)`, per side `((0, 1), (0, 1))`, `"same"` or `"valid"`; filled as padding_mode says.',
};
/** PyTorch's Conv padding_mode: how the padding is filled (the output's shape does not depend on it). */
const paddingModeAttr: AttrSpec = {
    name: 'padding_mode', type: 'string', choices: ['zeros', 'reflect', 'replicate', 'circular'], default: 'zeros',
    doc: 'How the padding is filled: "zeros"; "reflect" mirrors the input about its edge (padding < input size); "replicate" repeats the edge; "circular" wraps around (padding ≤ input size).',
};

/**
 * What PyTorch refuses of a padding mode (its F.pad): reflect padding as large as the input (there is no row to
 * mirror), circular padding larger than it (it would wrap around more than once).
 */
function paddingModeIssue(op: string, mode: string, input: readonly number[], pads: Pads): OpIssue | undefined {
    const names = SPATIAL_NAMES[input.length] ?? input.map((_, i) => `dim ${i + 2}`);
    const axis = input.findIndex((size, i) => {
        const largest = Math.max(pads.begin[i], pads.end[i]);
        return mode === 'reflect' ? largest >= size : mode === 'circular' ? largest > size : false;
    });
    if (axis < 0) return undefined;
    const padding = `${pads.begin[axis]}, ${pads.end[axis]}`;
    return {
        severity: 'error', code: 'bad-attribute', attr: 'padding',
        message: mode === 'reflect'
            ? `${op}: reflect padding (${padding}) must be smaller than the input ${names[axis]} (${input[axis]}): the edge is not repeated, so ${input[axis]} rows can mirror at most ${input[axis] - 1}`
            : `${op}: circular padding (${padding}) must be at most the input ${names[axis]} (${input[axis]}): it would wrap around more than once`,
    };
}

/** Geometry of a sliding window along every spatial dimension, shared by conv, pooling and the runtime. */
export interface SlidingGeometry {
    readonly input: readonly number[];
    readonly kernel: readonly number[];
    readonly stride: readonly number[];
    readonly dilation: readonly number[];
    readonly pads: Pads;
}

export function effectiveKernel(kernel: number, dilation: number): number {
    return dilation * (kernel - 1) + 1;
}

/**
 * Output size of a sliding window, with the formula spelled out for a hover. `ceilMode` rounds up as PyTorch's
 * pooling does, but drops a last window that would start in the end padding.
 */
export function slidingOutputSize(i: number, k: number, s: number, d: number, pb: number, pe: number, ceilMode = false): { size: number; formula: string } {
    const span = i + pb + pe - effectiveKernel(k, d);
    let size = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    const bracket = ceilMode ? ['⌈', '⌉'] : ['⌊', '⌋'];
    let formula = `${bracket[0]}(${i} + ${pb} + ${pe} − ${d}·(${k}−1) − 1)/${s}${bracket[1]} + 1 = ${size}`;
    if (ceilMode && size > 0 && (size - 1) * s >= i + pb) {
        size -= 1;
        formula += ` − 1 (the last window would start in the padding) = ${size}`;
    }
    return { size, formula };
}

interface ResolvedConv {
    readonly dims: number;
    readonly kernel: number[];
    readonly stride: number[];
    readonly dilation: number[];
    readonly pads: Pads;
    readonly issues: OpIssue[];
}

/** Reads kernel/stride/dilation/padding for `dims` spatial dimensions; issues name the attribute at fault. */
export function resolveWindowAttrs(ctx: OpContext, dims: number, opts: { dilation?: boolean; padding?: 'conv' | 'none' } = {}): ResolvedConv {
    const issues: OpIssue[] = [];
    const read = (name: string, fallback?: number[]): number[] => {
        const value = ctx.attrs[name];
        if (value === undefined) return fallback ?? Array(dims).fill(1);
        const expanded = perDimension(value, dims);
        if (!expanded) {
            issues.push(wrongLength(name, dims, value));
            return Array(dims).fill(1);
        }
        return expanded;
    };
    const kernel = read('kernel');
    const stride = read('stride', ctx.attrs.stride === undefined ? kernel : undefined);
    const dilation = opts.dilation === false ? Array(dims).fill(1) : read('dilation');
    const input = ctx.inputs[0].slice(2);
    let pads: Pads = { begin: Array(dims).fill(0), end: Array(dims).fill(0) };
    if (opts.padding !== 'none' && ctx.attrs.padding !== undefined) {
        const resolved = resolvePadding(ctx.attrs.padding, {
            input, stride, kernelEff: kernel.map((k, i) => effectiveKernel(k, dilation[i])),
        });
        if (isIssue(resolved)) issues.push(resolved);
        else pads = resolved;
    }
    return { dims, kernel, stride, dilation, pads, issues };
}

/**
 * Spatial output sizes of a sliding window, with errors for a kernel larger than the padded input and a
 * warning when the last input rows/columns are never read.
 */
export function slidingSpatialShape(op: string, input: readonly number[], w: ResolvedConv, ceilMode = false): { sizes: number[]; formula: string[]; issues: OpIssue[] } {
    const sizes: number[] = [];
    const formula: string[] = [];
    const issues: OpIssue[] = [];
    const names = SPATIAL_NAMES[w.dims] ?? input.map((_, i) => `dim ${i + 2}`);
    for (let i = 0; i < w.dims; i++) {
        const [k, s, d, pb, pe] = [w.kernel[i], w.stride[i], w.dilation[i], w.pads.begin[i], w.pads.end[i]];
        const kEff = effectiveKernel(k, d);
        const out = slidingOutputSize(input[i], k, s, d, pb, pe, ceilMode);
        formula.push(`${names[i]}: ${out.formula}`);
        sizes.push(out.size);
        if (out.size <= 0 || kEff > input[i] + pb + pe) {
            issues.push({
                severity: 'error', code: 'kernel-too-large', attr: 'kernel', data: { samePadding: Math.floor((kEff - 1) / 2) },
                message: `${op}: the ${kEff === k ? `kernel (${k})` : `effective kernel d·(k−1)+1 = ${d}·(${k}−1)+1 = ${kEff}`} is larger than the padded input ${names[i]} `
                    + `(${input[i]} + ${pb} + ${pe} = ${input[i] + pb + pe}); output ${names[i]} ${out.formula} ≤ 0`,
            });
            continue;
        }
        // A window that is contiguous with the next (k_eff ≥ s) should reach the end of the real input; when
        // the stride skips between windows by design (1×1 stride-2 downsampling) the tail is not special.
        const unread = (input[i] + pb + pe - kEff) % s - pe;
        if (!ceilMode && kEff >= s && unread > 0) {
            issues.push({
                severity: 'warning', code: 'rows-unread', attr: 'stride',
                message: `${op}: with stride ${s} the last ${unread} input ${names[i] === 'width' ? 'column' : 'row'}${unread > 1 ? 's are' : ' is'} never read `
                    + `(${input[i]} + ${pb} + ${pe} − ${kEff} = ${input[i] + pb + pe - kEff} is not a multiple of ${s}); adjust padding or the input size`,
            });
        }
    }
    return { sizes, formula, issues };
}

/** Both channel counts must split evenly into the groups (the fix data lets a quick fix pick a divisor). */
function groupIssues(op: string, cin: number, cout: number, groups: number): OpIssue[] {
    const data = { inputChannels: cin, outputChannels: cout, groups };
    const issues: OpIssue[] = [];
    if (cin % groups !== 0) {
        issues.push({ severity: 'error', code: 'channels-not-divisible', attr: 'groups', message: `${op}: input channels (${cin}) are not divisible by groups (${groups})`, data });
    }
    if (cout % groups !== 0) {
        issues.push({ severity: 'error', code: 'channels-not-divisible', attr: 'channels', message: `${op}: output channels (${cout}) are not divisible by groups (${groups})`, data });
    }
    return issues;
}

function convShape(op: string, dims: number, ctx: OpContext): ShapeResult {
    const x = ctx.inputs[0];
    if (x.length !== dims + 2) return { issues: [rankError(op, `${dims + 2}-D ${layoutName(dims)}`, x)] };
    const cin = x[1];
    const cout = intAttr(ctx.attrs, 'channels');
    const groups = intAttr(ctx.attrs, 'groups');
    const issues: OpIssue[] = groupIssues(op, cin, cout, groups);
    const w = resolveWindowAttrs(ctx, dims);
    issues.push(...w.issues);
    if (w.issues.length) return { issues };
    const spatial = slidingSpatialShape(op, x.slice(2), w);
    issues.push(...spatial.issues);
    const modeIssue = paddingModeIssue(op, (ctx.attrs.padding_mode as string | undefined) ?? 'zeros', x.slice(2), w.pads);
    if (modeIssue) issues.push(modeIssue);
    const formula = [...spatial.formula, `channels: ${cout}${groups > 1 ? ` (groups ${groups}: each output channel reads ${cin / groups} input channels)` : ''}`];
    if (issues.some(i => i.severity === 'error')) return { issues, formula };
    return { outputs: [[x[0], cout, ...spatial.sizes]], issues, formula };
}

function convCost(ctx: OpContext, outputs: readonly Shape[], dims: number): Cost {
    const cin = ctx.inputs[0][1];
    const cout = intAttr(ctx.attrs, 'channels');
    const groups = intAttr(ctx.attrs, 'groups');
    const kernel = perDimension(ctx.attrs.kernel, dims) ?? [];
    const taps = numel(kernel);
    const outElements = numel(outputs[0]);
    const macs = outElements * (cin / groups) * taps;
    const bias = boolAttr(ctx.attrs, 'bias');
    return {
        params: [
            { name: 'weight', shape: [cout, cin / groups, ...kernel], kind: 'weight' },
            ...(bias ? [{ name: 'bias', shape: [cout], kind: 'bias' as const }] : []),
        ],
        macs,
        flops: 2 * macs + (bias ? outElements : 0),
        components: { bias: bias ? outElements : 0 },
    };
}

function slidingWindow(ctx: OpContext, dims: number): Window {
    const kernel = perDimension(ctx.attrs.kernel, dims) ?? Array(dims).fill(1);
    const stride = ctx.attrs.stride === undefined ? kernel : perDimension(ctx.attrs.stride, dims) ?? Array(dims).fill(1);
    const dilation = perDimension(ctx.attrs.dilation ?? 1, dims) ?? Array(dims).fill(1);
    return { kind: 'sliding', kernel: kernel.map((k, i) => effectiveKernel(k, dilation[i])), stride };
}

function convSpec(name: string, dims: number, aliases: string[] = []): OpSpec {
    return {
        name, family: 'conv', aliases, category: 'convolution',
        summary: `${dims}-D convolution (im2col + GEMM): C_out filters of C_in/g × ${Array(dims).fill('k').join('×')} slid over a ${layoutName(dims)} input.`,
        attrs: [channelsAttr, kernelAttr, strideAttr, modePaddingAttr, dilationAttr, groupsAttr, biasAttr, paddingModeAttr],
        positional: 2,
        inputs: { min: 1, max: 1 },
        shape: ctx => convShape(name, dims, ctx),
        cost: (ctx, outputs) => convCost(ctx, outputs, dims),
        window: ctx => slidingWindow(ctx, dims),
        savedForBackward: keepsInput, // for the weight's gradient
    };
}

/** Depthwise conv with a channel multiplier: `channels = C_in·multiplier`, `groups = C_in`. */
function depthwiseAttrs(ctx: OpContext): OpContext {
    const cin = ctx.inputs[0]?.[1] ?? 1;
    return { inputs: ctx.inputs, attrs: { ...ctx.attrs, channels: cin * intAttr(ctx.attrs, 'multiplier'), groups: cin } };
}

function depthwiseSpec(name: string, dims: number, aliases: string[] = []): OpSpec {
    const conv = convSpec(name, dims);
    return {
        name, family: 'dwconv', aliases, category: 'convolution',
        summary: `Depthwise ${dims}-D convolution: one k×k filter per input channel (× multiplier), groups = C_in.`,
        attrs: [kernelAttr, { name: 'multiplier', type: 'int', min: 1, default: 1, doc: 'Output channels per input channel (depth multiplier).' },
            strideAttr, modePaddingAttr, dilationAttr, biasAttr, paddingModeAttr],
        positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ctx => ctx.inputs[0].length === dims + 2 ? conv.shape(depthwiseAttrs(ctx)) : conv.shape(ctx),
        cost: (ctx, outputs) => conv.cost(depthwiseAttrs(ctx), outputs),
        window: ctx => slidingWindow(ctx, dims),
        savedForBackward: keepsInput,
    };
}

function transposedShape(op: string, dims: number, ctx: OpContext): ShapeResult {
    const x = ctx.inputs[0];
    if (x.length !== dims + 2) return { issues: [rankError(op, `${dims + 2}-D ${layoutName(dims)}`, x)] };
    const cout = intAttr(ctx.attrs, 'channels');
    const issues: OpIssue[] = groupIssues(op, x[1], cout, intAttr(ctx.attrs, 'groups'));
    if (ctx.attrs.padding === 'same' || ctx.attrs.padding === 'valid') {
        issues.push({ severity: 'error', code: 'bad-attribute', attr: 'padding', message: `${op}: padding "${ctx.attrs.padding}" is not defined for a transposed conv; give numbers` });
        return { issues };
    }
    const w = resolveWindowAttrs(ctx, dims);
    const outputPadding = perDimension(ctx.attrs.output_padding, dims);
    if (!outputPadding) issues.push(wrongLength('output_padding', dims, ctx.attrs.output_padding));
    issues.push(...w.issues);
    if (issues.some(i => i.severity === 'error') || !outputPadding) return { issues };
    const names = SPATIAL_NAMES[dims];
    const sizes: number[] = [];
    const formula: string[] = [];
    for (let i = 0; i < dims; i++) {
        const [k, s, d, pb, pe, op_] = [w.kernel[i], w.stride[i], w.dilation[i], w.pads.begin[i], w.pads.end[i], outputPadding[i]];
        const size = (x[2 + i] - 1) * s - pb - pe + d * (k - 1) + op_ + 1;
        formula.push(`${names[i]}: (${x[2 + i]}−1)·${s} − ${pb} − ${pe} + ${d}·(${k}−1) + ${op_} + 1 = ${size}`);
        sizes.push(size);
        if (op_ >= Math.max(s, d)) {
            issues.push({ severity: 'error', code: 'bad-attribute', attr: 'output_padding', message: `${op}: output_padding (${op_}) must be smaller than the stride (${s}) or the dilation (${d})` });
        }
        if (size <= 0) {
            issues.push({ severity: 'error', code: 'output-nonpositive', attr: 'padding', message: `${op}: output ${names[i]} ${formula[i].slice(names[i].length + 2)} ≤ 0` });
        }
    }
    if (issues.some(i => i.severity === 'error')) return { issues, formula };
    const output = [x[0], cout, ...sizes];
    const checkerboard = checkerboardIssue(op, names, w, outputPadding, output);
    return { outputs: [output], issues: checkerboard ? [...issues, checkerboard] : issues, formula };
}

/**
 * One warning for a transposed conv whose kernel is not a multiple of its stride along some axes (uneven overlap,
 * checkerboard artifacts), with the fix in its data: the next multiple of the stride as the kernel and, where the
 * padding is symmetric, the padding and output_padding that keep the output shape — a fix never changes a shape
 * it does not mention.
 */
function checkerboardIssue(op: string, names: readonly string[], w: ReturnType<typeof resolveWindowAttrs>, outputPadding: readonly number[], output: readonly number[]): OpIssue | undefined {
    const uneven = w.kernel.map((k, i) => k % w.stride[i] !== 0);
    if (!uneven.some(Boolean)) return undefined;
    const kernel = w.kernel.map((k, i) => (uneven[i] ? Math.max(w.stride[i], Math.ceil(k / w.stride[i]) * w.stride[i]) : k));
    // Per axis, the output is (in − 1)·s + 1 + extra with extra = d·(k − 1) − begin − end + output_padding; the new
    // kernel keeps it with begin = end = p and output_padding q when 2p − q = d·(k′ − 1) − extra, 0 ≤ q < max(s, d).
    const padding: number[] = [];
    const adjusted: number[] = [];
    let keepsShape = true;
    w.kernel.forEach((k, i) => {
        const [s, d, begin, end, q] = [w.stride[i], w.dilation[i], w.pads.begin[i], w.pads.end[i], outputPadding[i]];
        if (!uneven[i]) {
            padding.push(begin);
            adjusted.push(q);
            if (begin !== end) keepsShape = false;
            return;
        }
        const extra = d * (k - 1) - begin - end + q;
        const p = Math.max(0, Math.ceil((d * (kernel[i] - 1) - extra) / 2));
        const newQ = extra - d * (kernel[i] - 1) + 2 * p;
        if (begin !== end || newQ < 0 || newQ >= Math.max(s, d)) keepsShape = false;
        padding.push(p);
        adjusted.push(newQ);
    });
    const axes = names.filter((_, i) => uneven[i]);
    const kernels = [...new Set(w.kernel.filter((_, i) => uneven[i]))];
    const strides = [...new Set(w.stride.filter((_, i) => uneven[i]))];
    const suggested = [...new Set(kernel.filter((_, i) => uneven[i]))];
    return {
        severity: 'warning', code: 'checkerboard', attr: 'kernel',
        data: keepsShape
            ? { kernel, padding, outputPadding: adjusted, stride: w.stride, output: [...output] }
            : { kernel, stride: w.stride },
        message: `${op}: kernel ${kernels.join(' and ')} is not divisible by stride ${strides.join(' and ')}, so output ${axes.join(' and ')} positions receive uneven overlap — expect checkerboard artifacts; use a kernel that is a multiple of the stride (e.g. ${suggested.join(' and ')}) or upsample then conv`,
    };
}

function transposedCost(ctx: OpContext, outputs: readonly Shape[], dims: number): Cost {
    const x = ctx.inputs[0];
    const cin = x[1];
    const cout = intAttr(ctx.attrs, 'channels');
    const groups = intAttr(ctx.attrs, 'groups');
    const kernel = perDimension(ctx.attrs.kernel, dims) ?? [];
    // Every input element is multiplied into C_out/g output channels by each of the ∏k taps.
    const macs = numel(x) * (cout / groups) * numel(kernel);
    const bias = boolAttr(ctx.attrs, 'bias');
    return {
        params: [
            { name: 'weight', shape: [cin, cout / groups, ...kernel], kind: 'weight' },
            ...(bias ? [{ name: 'bias', shape: [cout], kind: 'bias' as const }] : []),
        ],
        macs,
        flops: 2 * macs + (bias ? numel(outputs[0]) : 0),
        components: { bias: bias ? numel(outputs[0]) : 0 },
    };
}

function transposedSpec(name: string, dims: number, aliases: string[] = []): OpSpec {
    return {
        name, family: 'convtranspose', aliases, category: 'convolution',
        summary: `${dims}-D transposed convolution (GEMM + col2im): the gradient of a conv, used to upsample.`,
        attrs: [channelsAttr, kernelAttr, strideAttr,
            { name: 'padding', type: 'padding', min: 0, default: 0, doc: 'Removes d·(k−1)−p… rows from each side of the full output: `1`, per dimension, or per side.' },
            { name: 'output_padding', type: 'ints', min: 0, default: 0, doc: 'Extra rows added at the end of each dimension to pick among the sizes a strided conv maps to the same input size.' },
            dilationAttr, groupsAttr, biasAttr],
        positional: 2,
        inputs: { min: 1, max: 1 },
        shape: ctx => transposedShape(name, dims, ctx),
        cost: (ctx, outputs) => transposedCost(ctx, outputs, dims),
        window: ctx => {
            const kernel = perDimension(ctx.attrs.kernel, dims) ?? Array(dims).fill(1);
            const dilation = perDimension(ctx.attrs.dilation, dims) ?? Array(dims).fill(1);
            return { kind: 'upsampling', kernel: kernel.map((k, i) => effectiveKernel(k, dilation[i])), scale: perDimension(ctx.attrs.stride, dims) ?? Array(dims).fill(1) };
        },
        savedForBackward: keepsInput,
    };
}

/**
 * Deformable conv v1/v2 (torchvision.ops.deform_conv2d): inputs x, offsets [N, 2·G·kh·kw, H_out, W_out]
 * ((dy, dx) pairs per tap) and an optional modulation mask [N, G·kh·kw, H_out, W_out].
 */
function deformableShape(ctx: OpContext): ShapeResult {
    const op = 'deformconv';
    const result = convShape(op, 2, ctx);
    if (!result.outputs) return result;
    const issues = [...result.issues];
    const out = result.outputs[0];
    const kernel = perDimension(ctx.attrs.kernel, 2)!;
    const taps = kernel[0] * kernel[1];
    const offset = ctx.inputs[1];
    if (!offset) {
        return { issues: [...issues, { severity: 'error', code: 'bad-input-count', message: `${op} needs its offsets as a second input: deformconv(x, offsets, …), offsets of shape ${out[0]}×${2 * taps}·G×${out[2]}×${out[3]}` }], formula: result.formula };
    }
    const offsetGroups = offset[1] / (2 * taps);
    if (offset.length !== 4 || offset[0] !== out[0] || offset[2] !== out[2] || offset[3] !== out[3] || !Number.isInteger(offsetGroups) || offsetGroups < 1) {
        issues.push({
            severity: 'error', code: 'shape-mismatch', input: 1,
            message: `${op}: offsets must be ${out[0]}×(2·G·${kernel[0]}·${kernel[1]})×${out[2]}×${out[3]} (a (dy, dx) pair per kernel tap for each output position), got ${formatShape(offset)}`,
        });
    } else if (ctx.inputs[0][1] % offsetGroups !== 0) {
        issues.push({ severity: 'error', code: 'channels-not-divisible', input: 1, message: `${op}: input channels (${ctx.inputs[0][1]}) are not divisible by the ${offsetGroups} offset groups the offsets imply` });
    }
    const mask = ctx.inputs[2];
    if (mask && Number.isInteger(offsetGroups) && (mask.length !== 4 || mask[0] !== out[0] || mask[1] !== offsetGroups * taps || mask[2] !== out[2] || mask[3] !== out[3])) {
        issues.push({ severity: 'error', code: 'shape-mismatch', input: 2, message: `${op}: the mask must be ${out[0]}×${offsetGroups * taps}×${out[2]}×${out[3]} (one weight per tap and offset group), got ${formatShape(mask)}` });
    }
    if (issues.some(i => i.severity === 'error')) return { issues, formula: result.formula };
    return { ...result, issues };
}

export const convolutionOps: readonly OpSpec[] = [
    convSpec('conv', 2, ['conv2d']),
    convSpec('conv1d', 1),
    convSpec('conv3d', 3),
    depthwiseSpec('dwconv', 2, ['dwconv2d', 'depthwise']),
    depthwiseSpec('dwconv1d', 1),
    depthwiseSpec('dwconv3d', 3),
    transposedSpec('convtranspose', 2, ['convtranspose2d', 'deconv']),
    transposedSpec('convtranspose1d', 1),
    transposedSpec('convtranspose3d', 3),
    {
        name: 'deformconv', aliases: ['deformconv2d'], category: 'convolution',
        summary: 'Deformable 2-D convolution: each tap samples the input at a learned offset (bilinear, zero outside the image).',
        attrs: [channelsAttr, kernelAttr, strideAttr, convPaddingAttr, dilationAttr, groupsAttr, biasAttr],
        positional: 2,
        inputs: { min: 2, max: 3 },
        shape: deformableShape,
        cost: (ctx, outputs) => convCost(ctx, outputs, 2),
        window: ctx => slidingWindow(ctx, 2),
        savedForBackward: keepsEveryInput, // the offsets' and the mask's gradients read the input, and the reverse
    },
];

