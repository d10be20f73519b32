/**
 * ONNX export: an elaborated network and its parameters as an ONNX model (protobuf, encoded by `onnx-proto`).
 *
 * - Initializers are the network's parameters under their state_dict names (`layer1.0.conv1.weight`), with
 *   PyTorch's shapes; helper constants (pads, shapes, scales) are Constant nodes, so the initializers are exactly
 *   the state_dict.
 * - Every node is named after its layer (`layer1.0.conv1`); the nodes a decomposition adds are `<layer>/<step>`.
 *   Each layer's output tensor carries the layer's name; the network's inputs and outputs keep their port names.
 * - Shapes are static, as everywhere in the language: reshapes use the elaborated output shapes.
 * - Opset 13 … 21 (default 17; 19 when the network has a deformable conv, ONNX's first DeformConv). Ops newer than
 *   the opset are decomposed: HardSwish (< 14) into HardSigmoid·x, LayerNormalization (< 17) into ReduceMean …,
 *   Gelu (< 20) into Erf or Tanh. Group norm is always InstanceNormalization on [N, G, −1] plus the per-channel
 *   affine (ONNX's GroupNormalization changed meaning between opsets 18 and 21).
 * - Anything that cannot be expressed exactly is an `OnnxExportError` naming the layer, before anything is written.
 */
import onnxProto from 'onnx-proto';
import type { GraphNode, NetworkGraph } from '../../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../../language/ops/conv.js';
import { adaptiveWindow } from '../../language/ops/pool.js';
import { isIssue, resolvePadding } from '../../language/ops/padding.js';
import { normalizeDim, upsampleScaleFactors } from '../../language/ops/tensor.js';
import { nearestSourceIndices } from '../../language/ops/interpolation.js';
import { resizeScales } from './resize-scales.js';
import { displayText } from '../../language/util/quote.js';
import { Builder, float, int, ints, OnnxExportError, str, type Attribute } from './onnx-builder.js';
import { baseNameOfUri } from '../../language/util/uri.js';
import { numel, perDimension } from '../../language/ops/shape-utils.js';
import { entryFor, type OpTable } from '../../language/ops/registry.js';
import type { ParameterStore } from '../../runtime/weights.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = { min: 13, max: 21, default: 17, deformConv: 19 } as const;

export { OnnxExportError };

export interface OnnxExportOptions {
    /** ONNX opset (13 … 21). Default: 17, or 19 when the network has a deformable conv. */
    readonly opset?: number;
    /** Written into the model's producer_version. */
    readonly producerVersion?: string;
}

export interface OnnxExport {
    readonly bytes: Uint8Array;
    readonly opset: number;
    readonly irVersion: number;
    /** ONNX nodes written (a layer may become several). */
    readonly nodeCount: number;
    /** Initializer names, in order: the state_dict keys. */
    readonly initializers: readonly string[];
}

/** The opset a network is exported at when none is asked for. */
export function defaultOpset(graph: NetworkGraph): number {
    return graph.nodes.some(n => n.op === 'deformconv') ? ONNX_OPSET.deformConv : ONNX_OPSET.default;
}

/** The IR version an opset needs (ONNX's versioning table). */
function irVersionFor(opset: number): number {
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    return 10;
}

// ----- ops -----------------------------------------------------------------------------------------------------

interface EmitContext {
    readonly b: Builder;
    readonly node: GraphNode;
    readonly graph: NetworkGraph;
    readonly inputs: readonly string[];
    readonly outputs: readonly string[];
    readonly inShape: (i: number) => readonly number[];
    readonly outShape: (i: number) => readonly number[];
}

function fail(node: GraphNode, reason: string): never {
    throw new OnnxExportError(`cannot export layer '${node.name}' (${node.op}) to ONNX: ${reason}`);
}

/** Kernel, strides, dilations and pads ([begin…, end…]) of a windowed op, as the language resolves them. */
function windowOf(c: EmitContext, dims: number, dilation = true) {
    const w = resolveWindowAttrs({ inputs: [c.inShape(0)], attrs: c.node.attrs }, dims, { dilation });
    if (w.issues.length) fail(c.node, w.issues[0].message);
    return { kernel: w.kernel, stride: w.stride, dilation: w.dilation, pads: [...w.pads.begin, ...w.pads.end] };
}

function emitConv(c: EmitContext): void {
    const { b, node } = c;
    const dims = c.inShape(0).length - 2;
    const w = windowOf(c, dims);
    const cin = c.inShape(0)[1];
    const groups = node.op.startsWith('dwconv') ? cin : node.attrs.groups as number;
    const inputs = [c.inputs[0], b.param(node, 'weight')];
    if (b.hasParam(node, 'bias')) inputs.push(b.param(node, 'bias'));
    b.add('Conv', inputs, c.outputs, [
        ints('kernel_shape', w.kernel), ints('strides', w.stride), ints('dilations', w.dilation), ints('pads', w.pads), int('group', groups),
    ], node.name);
}

/**
 * Transposed conv. PyTorch allows output_padding up to max(stride, dilation) − 1, ONNX Runtime only below the
 * stride: output_padding only trims less of the full output's end, so it is moved into the end padding where that
 * padding allows; rows beyond the full output (bias only) are added by Pad before the bias.
 */
function emitConvTranspose(c: EmitContext): void {
    const { b, node } = c;
    const dims = c.inShape(0).length - 2;
    const w = windowOf(c, dims);
    const outputPadding = perDimension(node.attrs.output_padding, dims) ?? fail(node, 'output_padding has the wrong length');
    const begin = w.pads.slice(0, dims);
    let end = w.pads.slice(dims);
    let extra = [...outputPadding];
    if (outputPadding.some((p, i) => p >= w.stride[i])) {
        end = end.map((e, i) => Math.max(e - outputPadding[i], 0));
        extra = outputPadding.map((p, i) => Math.max(p - w.pads[dims + i], 0));
    }
    const padAfter = extra.some((p, i) => p >= w.stride[i]);
    const attributes = [
        ints('kernel_shape', w.kernel), ints('strides', w.stride), ints('dilations', w.dilation), ints('pads', [...begin, ...end]),
        ints('output_padding', padAfter ? extra.map(() => 0) : extra), int('group', node.attrs.groups as number),
    ];
    const hasBias = b.hasParam(node, 'bias');
    if (!padAfter) {
        const inputs = [c.inputs[0], b.param(node, 'weight')];
        if (hasBias) inputs.push(b.param(node, 'bias'));
        b.add('ConvTranspose', inputs, c.outputs, attributes, node.name);
        return;
    }
    const full = b.step(node, 'ConvTranspose', [c.inputs[0], b.param(node, 'weight')], attributes);
    const pads = [0, 0, ...extra.map(() => 0), 0, 0, ...extra];
    if (!hasBias) {
        b.add('Pad', [full, b.int64s(node, 'output_padding', pads)], c.outputs, [str('mode', 'constant')], node.name);
        return;
    }
    const padded = b.step(node, 'Pad', [full, b.int64s(node, 'output_padding', pads)], [str('mode', 'constant')]);
    const bias = b.step(node, 'Reshape', [b.param(node, 'bias'), b.int64s(node, 'bias_shape', [c.outShape(0)[1], ...extra.map(() => 1)])], [], 'bias');
    b.add('Add', [padded, bias], c.outputs, [], node.name);
}

function emitDeformConv(c: EmitContext): void {
    const { b, node } = c;
    if (b.opset < ONNX_OPSET.deformConv) fail(node, `cannot export deformconv to ONNX opset ${b.opset}: DeformConv exists from opset ${ONNX_OPSET.deformConv} on (export with --opset ${ONNX_OPSET.deformConv} or newer)`);
    const w = windowOf(c, 2);
    const taps = w.kernel[0] * w.kernel[1];
    const offsetGroups = c.inShape(1)[1] / (2 * taps);
    const inputs = [c.inputs[0], b.param(node, 'weight'), c.inputs[1]];
    const hasBias = b.hasParam(node, 'bias');
    if (hasBias || c.inputs.length > 2) inputs.push(hasBias ? b.param(node, 'bias') : '');
    if (c.inputs.length > 2) inputs.push(c.inputs[2]);
    b.add('DeformConv', inputs, c.outputs, [
        ints('kernel_shape', w.kernel), ints('strides', w.stride), ints('dilations', w.dilation), ints('pads', w.pads),
        int('group', node.attrs.groups as number), int('offset_group', offsetGroups),
    ], node.name);
}

/**
 * Max and average pooling. ONNX's shape inference does not know PyTorch's ceil-mode rule (a last window that
 * would start in the end padding is dropped), so ceil mode is written as floor mode with the end padding the
 * kept windows need: exact for max pooling (the padding is −∞) and for averages that leave the padding out. An
 * average that counts the padding divides a window hanging past the real end padding by its clipped size, as
 * PyTorch: that is AveragePool over the extended padding times a constant map of full/clipped window sizes.
 */
function emitPool(kind: 'max' | 'avg'): (c: EmitContext) => void {
    return c => {
        const { b, node } = c;
        const inShape = c.inShape(0);
        const dims = inShape.length - 2;
        const w = windowOf(c, dims, kind === 'max');
        const outSize = c.outShape(0).slice(2);
        const begin = w.pads.slice(0, dims);
        const end = w.pads.slice(dims);
        // The end padding floor mode needs to give the same windows: at least the real one, more for a ceil-mode window.
        const floorEnd = outSize.map((o, i) => Math.max(end[i], (o - 1) * w.stride[i] + w.dilation[i] * (w.kernel[i] - 1) + 1 - inShape[2 + i] - begin[i]));
        const countPad = kind === 'avg' && node.attrs.count_include_pad !== false;
        const attributes = [ints('kernel_shape', w.kernel), ints('strides', w.stride), ints('pads', [...begin, ...floorEnd])];
        if (kind === 'max') attributes.push(ints('dilations', w.dilation));
        else attributes.push(int('count_include_pad', countPad ? 1 : 0));
        const opType = kind === 'max' ? 'MaxPool' : 'AveragePool';
        const extended = floorEnd.some((e, i) => e > end[i]);
        if (!countPad || !extended) {
            b.add(opType, [c.inputs[0]], c.outputs, attributes, node.name);
            return;
        }
        // Per axis, full window / window clipped to the real end padding; their product per output position.
        const ratios = outSize.map((o, i) => Array.from({ length: o }, (_, k) => {
            const start = k * w.stride[i] - begin[i];
            return w.kernel[i] / (Math.min(start + w.kernel[i], inShape[2 + i] + end[i]) - start);
        }));
        let factors = [1];
        for (const axis of ratios) factors = factors.flatMap(f => axis.map(r => f * r));
        const pooled = b.step(node, opType, [c.inputs[0]], attributes);
        b.add('Mul', [pooled, b.floats(node, 'clipped_window', factors, [1, 1, ...outSize])], c.outputs, [], node.name);
    };
}

/** Most outputs along one axis an adaptive pooling that does not divide evenly is decomposed into (Slice + Reduce each). */
const MAX_ADAPTIVE_DECOMPOSITION = 256;

/**
 * Adaptive pooling of `input` (shape `inShape`) to `size`: a global pool when every output is 1, a plain pool
 * when every input size is a multiple of its output size, otherwise exactly, axis by axis (max and mean over a
 * box are separable): one Slice + ReduceMean/ReduceMax per output position, concatenated. Returns the output name
 * (`out` when given).
 */
function adaptivePool(b: Builder, node: GraphNode, kind: 'max' | 'avg', input: string, inShape: readonly number[], size: readonly number[], out?: string, step = 'adaptive'): string {
    const spatial = inShape.slice(2);
    const result = out ?? b.unique(`${node.name}/${step}`);
    if (size.every(o => o === 1)) {
        b.add(kind === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [input], [result], [], out ? node.name : result);
        return result;
    }
    if (spatial.every((d, i) => d % size[i] === 0)) {
        const kernel = spatial.map((d, i) => d / size[i]);
        b.add(kind === 'max' ? 'MaxPool' : 'AveragePool', [input], [result], [ints('kernel_shape', kernel), ints('strides', kernel)], out ? node.name : result);
        return result;
    }
    let current = input;
    spatial.forEach((d, i) => {
        const o = size[i];
        if (d === o) return;
        if (o > MAX_ADAPTIVE_DECOMPOSITION) {
            fail(node, `adaptive pooling from ${d} to ${o} positions does not divide evenly, and its exact decomposition would need ${2 * o} ONNX nodes along that axis (at most ${2 * MAX_ADAPTIVE_DECOMPOSITION}); choose an output size that divides the input`);
        }
        const axis = i + 2;
        const pieces: string[] = [];
        for (let k = 0; k < o; k++) {
            const [start, end] = adaptiveWindow(k, d, o);
            const sliced = b.step(node, 'Slice', [current, b.int64s(node, `axis${axis}_starts`, [start]), b.int64s(node, `axis${axis}_ends`, [end]), b.int64s(node, `axis${axis}_axes`, [axis])], [], `axis${axis}_slice${k}`);
            pieces.push(b.reduce(node, kind === 'max' ? 'ReduceMax' : 'ReduceMean', sliced, [axis], `axis${axis}_reduce${k}`));
        }
        current = b.step(node, 'Concat', pieces, [int('axis', axis)], `axis${axis}_concat`);
    });
    b.add('Identity', [current], [result], [], out ? node.name : result);
    return result;
}

function emitAdaptive(kind: 'max' | 'avg'): (c: EmitContext) => void {
    return c => {
        const dims = c.inShape(0).length - 2;
        adaptivePool(c.b, c.node, kind, c.inputs[0], c.inShape(0), c.outShape(0).slice(2, 2 + dims), c.outputs[0]);
    };
}

function emitSpp(c: EmitContext): void {
    const { b, node } = c;
    const levels = node.attrs.levels as readonly number[];
    const kind = node.attrs.mode === 'avg' ? 'avg' : 'max';
    const pieces = levels.map(l => {
        const pooled = adaptivePool(b, node, kind, c.inputs[0], c.inShape(0), [l, l], undefined, `level${l}`);
        return b.step(node, 'Flatten', [pooled], [int('axis', 1)], `level${l}_flatten`);
    });
    b.add('Concat', pieces, c.outputs, [int('axis', 1)], node.name);
}

function emitBatchnorm(c: EmitContext): void {
    const { b, node } = c;
    b.add('BatchNormalization', [c.inputs[0], b.param(node, 'weight'), b.param(node, 'bias'), b.param(node, 'running_mean'), b.param(node, 'running_var')], c.outputs, [
        float('epsilon', node.attrs.eps as number),
        // ONNX's momentum weighs the running statistic, PyTorch's the new batch (training only).
        float('momentum', 1 - (node.attrs.momentum as number)),
    ], node.name);
}

/** (x − mean)/√(var + eps) over `axes` by ReduceMean (biased variance, as PyTorch). */
function normalizeOver(b: Builder, node: GraphNode, input: string, axes: readonly number[], eps: number): string {
    const mean = b.reduce(node, 'ReduceMean', input, axes, 'mean');
    const centred = b.step(node, 'Sub', [input, mean], [], 'centred');
    const squares = b.step(node, 'Mul', [centred, centred], [], 'squares');
    const variance = b.reduce(node, 'ReduceMean', squares, axes, 'variance');
    const shifted = b.step(node, 'Add', [variance, b.floats(node, 'eps', [eps], [])], [], 'variance_eps');
    const std = b.step(node, 'Sqrt', [shifted], [], 'std');
    return b.step(node, 'Div', [centred, std], [], 'normalized');
}

function emitLayernorm(c: EmitContext): void {
    const { b, node } = c;
    const rank = c.inShape(0).length;
    const normalized = (node.attrs.normalized_shape as number[] | undefined) ?? c.inShape(0).slice(1);
    const axis = rank - normalized.length;
    const eps = node.attrs.eps as number;
    if (b.opset >= 17) {
        b.add('LayerNormalization', [c.inputs[0], b.param(node, 'weight'), b.param(node, 'bias')], c.outputs, [int('axis', axis), float('epsilon', eps)], node.name);
        return;
    }
    const axes = Array.from({ length: normalized.length }, (_, i) => axis + i);
    const y = normalizeOver(b, node, c.inputs[0], axes, eps);
    const scaled = b.step(node, 'Mul', [y, b.param(node, 'weight')], [], 'scaled');
    b.add('Add', [scaled, b.param(node, 'bias')], c.outputs, [], node.name);
}

/**
 * Local response normalisation. ONNX's LRN sums the squares of channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉, which
 * is PyTorch's window (c − ⌊size/2⌋ … c + ⌊(size−1)/2⌋) only for an odd size, and onnxruntime runs it on 4-D
 * inputs only. Any other is written out: the sums of squares as a 1×1 conv with a band of ones over the channels,
 * then x / (k + alpha/size · sum)^beta.
 */
function emitLrn(c: EmitContext): void {
    const { b, node } = c;
    const { size, alpha, beta, k } = node.attrs as { size: number; alpha: number; beta: number; k: number };
    if (size % 2 === 1 && c.inShape(0).length === 4) {
        b.add('LRN', [c.inputs[0]], c.outputs, [int('size', size), float('alpha', alpha), float('beta', beta), float('bias', k)], node.name);
        return;
    }
    const shape = c.inShape(0);
    const channels = shape[1];
    const band = new Array<number>(channels * channels).fill(0);
    const [before, after] = [Math.floor(size / 2), Math.floor((size - 1) / 2)];
    for (let out = 0; out < channels; out++) {
        for (let j = Math.max(0, out - before); j <= Math.min(channels - 1, out + after); j++) band[out * channels + j] = 1;
    }
    const squares = b.step(node, 'Mul', [c.inputs[0], c.inputs[0]], [], 'squares');
    const window = b.floats(node, 'window', band, [channels, channels, ...shape.slice(2).map(() => 1)]);
    const sums = b.step(node, 'Conv', [squares, window], [], 'window_sums');
    const scaled = b.step(node, 'Mul', [sums, b.floats(node, 'alpha_over_size', [alpha / size], [])], [], 'scaled');
    const shifted = b.step(node, 'Add', [scaled, b.floats(node, 'k', [k], [])], [], 'shifted');
    const denominator = b.step(node, 'Pow', [shifted, b.floats(node, 'beta', [beta], [])], [], 'denominator');
    b.add('Div', [c.inputs[0], denominator], c.outputs, [], node.name);
}

function emitGroupnorm(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const groups = node.attrs.groups as number;
    const [batch, channels] = shape;
    const grouped = b.step(node, 'Reshape', [c.inputs[0], b.int64s(node, 'grouped_shape', [batch, groups, numel(shape.slice(1)) / groups])], [], 'grouped');
    const normalized = b.step(node, 'InstanceNormalization', [grouped, b.floats(node, 'ones', Array(groups).fill(1)), b.floats(node, 'zeros', Array(groups).fill(0))],
        [float('epsilon', node.attrs.eps as number)], 'normalized');
    const restored = b.step(node, 'Reshape', [normalized, b.int64s(node, 'shape', [...shape])], [], 'restored');
    const perChannel = [channels, ...shape.slice(2).map(() => 1)];
    const weight = b.step(node, 'Reshape', [b.param(node, 'weight'), b.int64s(node, 'channel_shape', perChannel)], [], 'weight');
    const bias = b.step(node, 'Reshape', [b.param(node, 'bias'), b.int64s(node, 'channel_shape', perChannel)], [], 'bias');
    const scaled = b.step(node, 'Mul', [restored, weight], [], 'scaled');
    b.add('Add', [scaled, bias], c.outputs, [], node.name);
}

function simple(opType: string, attributes: (c: EmitContext) => Attribute[] = () => []): (c: EmitContext) => void {
    return c => c.b.add(opType, c.inputs, c.outputs, attributes(c), c.node.name);
}

function emitRelu6(c: EmitContext): void {
    const { b, node } = c;
    b.add('Clip', [c.inputs[0], b.floats(node, 'min', [0], []), b.floats(node, 'max', [6], [])], c.outputs, [], node.name);
}

const HARD_SIGMOID = [float('alpha', 1 / 6), float('beta', 0.5)];

function emitHardswish(c: EmitContext): void {
    const { b, node } = c;
    if (b.opset >= 14) {
        b.add('HardSwish', c.inputs, c.outputs, [], node.name);
        return;
    }
    const gate = b.step(node, 'HardSigmoid', [c.inputs[0]], HARD_SIGMOID);
    b.add('Mul', [c.inputs[0], gate], c.outputs, [], node.name);
}

function emitSilu(c: EmitContext): void {
    const { b, node } = c;
    const gate = b.step(node, 'Sigmoid', [c.inputs[0]]);
    b.add('Mul', [c.inputs[0], gate], c.outputs, [], node.name);
}

function emitGelu(c: EmitContext): void {
    const { b, node } = c;
    const approximate = node.attrs.approximate === 'tanh' ? 'tanh' : 'none';
    if (b.opset >= 20) {
        b.add('Gelu', c.inputs, c.outputs, [str('approximate', approximate)], node.name);
        return;
    }
    const x = c.inputs[0];
    let inner: string;
    if (approximate === 'none') {
        // x·Φ(x) = x·(1 + erf(x/√2))/2
        const scaled = b.step(node, 'Mul', [x, b.floats(node, 'sqrt1_2', [Math.SQRT1_2], [])], [], 'scaled');
        inner = b.step(node, 'Erf', [scaled]);
    } else {
        // x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2
        const cube = b.step(node, 'Mul', [b.step(node, 'Mul', [x, x], [], 'square'), x], [], 'cube');
        const sum = b.step(node, 'Add', [x, b.step(node, 'Mul', [cube, b.floats(node, 'k', [0.044715], [])], [], 'cube_scaled')], [], 'sum');
        inner = b.step(node, 'Tanh', [b.step(node, 'Mul', [sum, b.floats(node, 'sqrt_2_over_pi', [Math.sqrt(2 / Math.PI)], [])], [], 'scaled')]);
    }
    const onePlus = b.step(node, 'Add', [inner, b.floats(node, 'one', [1], [])], [], 'one_plus');
    const half = b.step(node, 'Mul', [x, b.floats(node, 'half', [0.5], [])], [], 'half');
    b.add('Mul', [half, onePlus], c.outputs, [], node.name);
}

function emitLinear(c: EmitContext): void {
    const { b, node } = c;
    const hasBias = b.hasParam(node, 'bias');
    if (c.inShape(0).length === 2) {
        const inputs = [c.inputs[0], b.param(node, 'weight')];
        if (hasBias) inputs.push(b.param(node, 'bias'));
        b.add('Gemm', inputs, c.outputs, [int('transB', 1)], node.name);
        return;
    }
    const transposed = b.step(node, 'Transpose', [b.param(node, 'weight')], [ints('perm', [1, 0])], 'weight_t');
    if (!hasBias) {
        b.add('MatMul', [c.inputs[0], transposed], c.outputs, [], node.name);
        return;
    }
    const product = b.step(node, 'MatMul', [c.inputs[0], transposed]);
    b.add('Add', [product, b.param(node, 'bias')], c.outputs, [], node.name);
}

function emitReshapeTo(c: EmitContext): void {
    const { b, node } = c;
    const inShape = c.inShape(0);
    const outShape = c.outShape(0);
    if (node.op === 'flatten' && inShape.length >= 2 && outShape.length === 2 && outShape[0] === inShape[0]) {
        b.add('Flatten', c.inputs, c.outputs, [int('axis', 1)], node.name);
        return;
    }
    b.add('Reshape', [c.inputs[0], b.int64s(node, 'shape', outShape)], c.outputs, [], node.name);
}

function emitPad(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const spatial = shape.slice(2);
    const pads = resolvePadding(node.attrs.padding, { input: spatial, kernelEff: spatial.map(() => 1), stride: spatial.map(() => 1) });
    if (isIssue(pads)) fail(node, pads.message);
    const mode = node.attrs.mode === 'replicate' ? 'edge' : String(node.attrs.mode);
    const all = [0, 0, ...pads.begin, 0, 0, ...pads.end];
    const inputs = [c.inputs[0], b.int64s(node, 'pads', all)];
    if (mode === 'constant') inputs.push(b.floats(node, 'value', [node.attrs.value as number], []));
    b.add('Pad', inputs, c.outputs, [str('mode', mode)], node.name);
}

/**
 * Upsample as Resize, with per-axis scales chosen so that Resize reproduces the spec's coordinate rule exactly
 * (resize-scales.ts): nearest as `asymmetric` + `floor`, the linear modes as `half_pixel` (equal to PyTorch's
 * `pytorch_half_pixel` except that it also centres a one-element output, as PyTorch does) or `align_corners`.
 * Where no float32 scale makes ONNX's nearest rule give PyTorch's indices (its float32 step can put an index that
 * lands on an integer on either side), each resized axis is a Gather of the source indices instead: exact in any
 * runtime.
 */
function emitUpsample(c: EmitContext): void {
    const { b, node } = c;
    const inSpatial = c.inShape(0).slice(2);
    const outSpatial = c.outShape(0).slice(2);
    const dims = inSpatial.length;
    const nearest = node.attrs.mode === 'nearest';
    const scaleFactors = upsampleScaleFactors(node.attrs, dims);
    const scales = resizeScales(nearest ? 'nearest' : 'linear', inSpatial, outSpatial, scaleFactors);
    if (scales) {
        const attributes = nearest
            ? [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]
            : [str('mode', 'linear'), str('coordinate_transformation_mode', node.attrs.align_corners === true ? 'align_corners' : 'half_pixel')];
        b.add('Resize', [c.inputs[0], '', b.floats(node, 'scales', [1, 1, ...scales])], c.outputs, attributes, node.name);
        return;
    }
    if (!nearest) fail(node, `no ONNX Resize scale gives the output size ${outSpatial.join('×')} from ${inSpatial.join('×')}`);
    const sources = inSpatial.map((size, i) => [...nearestSourceIndices(size, outSpatial[i], scaleFactors?.[i])]);
    const resized = sources.flatMap((map, i) => (map.length === inSpatial[i] && map.every((v, o) => v === o) ? [] : [i]));
    let x = c.inputs[0];
    resized.forEach((axis, k) => {
        const indices = b.int64s(node, `indices_${axis + 2}`, sources[axis]);
        const last = k === resized.length - 1;
        const inputs = [x, indices];
        const attributes = [int('axis', axis + 2)];
        if (last) b.add('Gather', inputs, c.outputs, attributes, node.name);
        else x = b.step(node, 'Gather', inputs, attributes, `gather_${axis + 2}`);
    });
}

function emitSplit(c: EmitContext): void {
    const { b, node } = c;
    const rank = c.inShape(0).length;
    const dim = normalizeDim(node.attrs.dim as number, rank)!;
    const sizes = c.node.outputs.map((_, i) => c.outShape(i)[dim]);
    b.add('Split', [c.inputs[0], b.int64s(node, 'split', sizes)], c.outputs, [int('axis', dim)], node.name);
}

function emitSlice(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const dim = normalizeDim(node.attrs.dim as number, shape.length)!;
    const size = shape[dim];
    const raw = node.attrs.start as number;
    const start = Math.min(Math.max(raw < 0 ? raw + size : raw, 0), size);
    const step = node.attrs.step as number;
    const count = c.outShape(0)[dim];
    const end = start + (count - 1) * step + 1;
    b.add('Slice', [c.inputs[0], b.int64s(node, 'starts', [start]), b.int64s(node, 'ends', [end]), b.int64s(node, 'axes', [dim]), b.int64s(node, 'steps', [step])], c.outputs, [], node.name);
}

function emitShuffle(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const groups = node.attrs.groups as number;
    const [batch, channels, ...spatial] = shape;
    const grouped = b.step(node, 'Reshape', [c.inputs[0], b.int64s(node, 'grouped_shape', [batch, groups, channels / groups, ...spatial])], [], 'grouped');
    const perm = [0, 2, 1, ...spatial.map((_, i) => i + 3)];
    const transposed = b.step(node, 'Transpose', [grouped], [ints('perm', perm)]);
    b.add('Reshape', [transposed, b.int64s(node, 'shape', [...shape])], c.outputs, [], node.name);
}

/** How every op family is written as ONNX nodes (a table checked against the op registry). */
export const ONNX_EMITTERS: OpTable<(c: EmitContext) => void> = {
    conv: emitConv,
    dwconv: emitConv,
    convtranspose: emitConvTranspose,
    deformconv: emitDeformConv,
    maxpool: emitPool('max'),
    avgpool: emitPool('avg'),
    adaptiveavgpool: emitAdaptive('avg'),
    adaptivemaxpool: emitAdaptive('max'),
    globalavgpool: simple('GlobalAveragePool'), globalmaxpool: simple('GlobalMaxPool'),
    spp: emitSpp,
    batchnorm: emitBatchnorm, layernorm: emitLayernorm, groupnorm: emitGroupnorm, lrn: emitLrn,
    relu: simple('Relu'),
    relu6: emitRelu6,
    leakyrelu: simple('LeakyRelu', c => [float('alpha', c.node.attrs.negative_slope as number)]),
    elu: simple('Elu', c => [float('alpha', c.node.attrs.alpha as number)]),
    sigmoid: simple('Sigmoid'),
    tanh: simple('Tanh'),
    hardswish: emitHardswish,
    hardsigmoid: simple('HardSigmoid', () => HARD_SIGMOID),
    silu: emitSilu,
    gelu: emitGelu,
    softmax: simple('Softmax', c => [int('axis', normalizeDim(c.node.attrs.dim as number, c.inShape(0).length)!)]),
    logsoftmax: simple('LogSoftmax', c => [int('axis', normalizeDim(c.node.attrs.dim as number, c.inShape(0).length)!)]),
    dropout: simple('Identity'),
    identity: simple('Identity'),
    linear: emitLinear,
    matmul: simple('MatMul'),
    flatten: emitReshapeTo,
    reshape: emitReshapeTo,
    pad: emitPad,
    upsample: emitUpsample,
    add: simple('Add'), sub: simple('Sub'), mul: simple('Mul'), div: simple('Div'),
    concat: simple('Concat', c => [int('axis', normalizeDim(c.node.attrs.dim as number, c.inShape(0).length)!)]),
    split: emitSplit,
    slice: emitSlice,
    shuffle: emitShuffle,
};

function valueInfo(name: string, shape: readonly number[]): onnxProto.onnx.IValueInfoProto {
    return {
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map(d => ({ dimValue: d })) } } },
    };
}

/**
 * The ONNX model of `graph` with `parameters`. Throws `OnnxExportError` (naming the layer) for anything that
 * cannot be exported exactly; nothing partial is returned.
 */
export function exportOnnx(graph: NetworkGraph, parameters: ParameterStore, options: OnnxExportOptions = {}): OnnxExport {
    const opset = options.opset ?? defaultOpset(graph);
    if (!Number.isInteger(opset) || opset < ONNX_OPSET.min || opset > ONNX_OPSET.max) {
        throw new OnnxExportError(`ONNX opset ${opset} is not supported: choose ${ONNX_OPSET.min} … ${ONNX_OPSET.max}`);
    }
    if (graph.nodes.length === 0 && graph.outputs.length === 0) throw new OnnxExportError(`${graph.name} has no layers and no outputs to export`);
    for (const node of graph.nodes) {
        if (!entryFor(ONNX_EMITTERS, node.op)) throw new OnnxExportError(`cannot export layer '${node.name}': the ONNX exporter has no mapping for op '${node.op}'`);
        for (const p of node.params) {
            if (!parameters.get(node.name)?.[p.name]) throw new OnnxExportError(`cannot export layer '${node.name}' (${node.op}): no value for its parameter '${p.name}'`);
        }
    }
    // Tensor names: inputs by port; a network output by its port when it is a layer's output returned once;
    // every other layer output by the layer's name.
    const names = new Map<number, string>();
    const reserved = new Set<string>();
    for (const port of graph.inputs) {
        names.set(port.tensor, port.name);
        reserved.add(port.name);
    }
    for (const node of graph.nodes) for (const p of node.params) reserved.add(`${node.name}.${p.name}`);
    const returnedOnce = new Map<number, number>();
    for (const port of graph.outputs) returnedOnce.set(port.tensor, (returnedOnce.get(port.tensor) ?? 0) + 1);
    const needsIdentity: { port: string; tensor: number }[] = [];
    for (const port of graph.outputs) {
        if (reserved.has(port.name)) {
            if (names.get(port.tensor) === port.name) continue; // an input returned under its own name
            throw new OnnxExportError(`the output '${port.name}' of ${graph.name} has the name of an input or parameter; rename it`);
        }
        reserved.add(port.name);
        const producedHere = graph.tensors[port.tensor].producer !== undefined;
        if (producedHere && returnedOnce.get(port.tensor) === 1 && !names.has(port.tensor)) names.set(port.tensor, port.name);
        else needsIdentity.push({ port: port.name, tensor: port.tensor });
    }
    const b = new Builder(opset, parameters, reserved);
    for (const node of graph.nodes) {
        node.outputs.forEach((t, i) => {
            if (!names.has(t)) names.set(t, b.unique(node.outputs.length > 1 ? `${node.name}:${i}` : node.name));
        });
    }
    for (const node of graph.nodes) {
        const c: EmitContext = {
            b, node, graph,
            inputs: node.inputs.map(t => names.get(t)!),
            outputs: node.outputs.map(t => names.get(t)!),
            inShape: i => graph.tensors[node.inputs[i]].shape,
            outShape: i => graph.tensors[node.outputs[i]].shape,
        };
        entryFor(ONNX_EMITTERS, node.op)!(c);
    }
    for (const { port, tensor } of needsIdentity) b.add('Identity', [names.get(tensor)!], [port], [], port);
    const model: onnxProto.onnx.IModelProto = {
        irVersion: irVersionFor(opset),
        opsetImport: [{ domain: '', version: opset }],
        producerName: 'convnet',
        producerVersion: options.producerVersion ?? '0.1.0',
        // The source's base name only: a model that is shared must not carry the author's folders.
        docString: `${graph.name}, exported from ${displayText(baseNameOfUri(graph.uri), 200)}`,
        graph: {
            name: graph.name,
            node: b.nodes,
            initializer: b.initializers,
            input: graph.inputs.map(p => valueInfo(p.name, graph.tensors[p.tensor].shape)),
            output: graph.outputs.map(p => valueInfo(p.name, graph.tensors[p.tensor].shape)),
        },
    };
    const bytes = onnx.ModelProto.encode(model).finish();
    return { bytes, opset, irVersion: irVersionFor(opset), nodeCount: b.nodes.length, initializers: b.initializers.map(t => t.name!) };
}
