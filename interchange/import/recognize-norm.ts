/**
 * Normalizations: BatchNormalization, InstanceNormalization (group norm with a group per channel),
 * LayerNormalization and LRN, and the forms exporters write them out in when the opset has no op for them — layer
 * norm (and a batch norm with the batch's statistics) from ReduceMean, group norm from Reshape →
 * InstanceNormalization, a local response norm from x·x → Conv.
 */
import type { AttrValue, Shape } from '../../language/ops/types.js';
import { numel } from '../../language/ops/shape-utils.js';
import { resolveReshape } from './constant-folding.js';
import { unsupported } from './import-error.js';
import { oneLayer, otherInput, paramOf, sameList, unaryLayer, type ImportGraph, type Match, type Recogniser } from './import-graph.js';
import { floatAttr, intAttr, intsAttr, normalizeAxis } from './node-attributes.js';
import { shortestFloat } from './numbers.js';
import type { ConstTensor, OnnxNode } from './onnx-model.js';

/**
 * BatchNormalization. A scale of ones and a shift of zeros that are constants of the graph rather than
 * initializers (the exporter's form of affine: false) are no parameters; in training mode (training_mode = 1) it
 * normalises with the batch's statistics, which is track_running_stats: false, and its mean and variance inputs are
 * not used.
 */
export const recogniseBatchNormalization: Recogniser = (node, graph) => {
    const [x, scale, bias, mean, variance] = node.inputs;
    const ts = [scale, bias, mean, variance].map(t => graph.constant(t));
    if (ts.some(t => !t)) unsupported(node, 'its scale, bias, mean and variance must be constant (initializers)');
    if (node.outputs.slice(1).some(o => o && graph.readersLeft(o).length)) unsupported(node, 'its running-statistics outputs (training mode) are used');
    const attrs: Record<string, AttrValue> = {};
    const eps = shortestFloat(floatAttr(node, 'epsilon', 1e-5));
    if (eps !== 1e-5) attrs.eps = eps;
    const momentum = pytorchMomentum(floatAttr(node, 'momentum', 0.9));
    if (momentum !== 0.1) attrs.momentum = momentum;
    const fixed = (t: ConstTensor, value: number) => t.paramName === undefined && t.values().every(v => v === value);
    const affine = !(fixed(ts[0]!, 1) && fixed(ts[1]!, 0));
    const tracked = intAttr(node, 'training_mode', 0) !== 1;
    if (!affine) attrs.affine = false;
    if (!tracked) attrs.track_running_stats = false;
    return oneLayer({
        op: 'batchnorm', attrs, inputs: [x], outputs: [node.outputs[0]],
        params: [
            ...(affine ? [paramOf('weight', scale, ts[0]!), paramOf('bias', bias, ts[1]!)] : []),
            ...(tracked ? [paramOf('running_mean', mean, ts[2]!), paramOf('running_var', variance, ts[3]!)] : []),
        ],
    });
};

/** PyTorch's momentum from ONNX's (ONNX weighs the running statistic, PyTorch the new batch). */
function pytorchMomentum(onnxMomentum: number): number {
    const complement = 1 - onnxMomentum;
    for (let p = 1; p <= 9; p++) {
        const candidate = Number(complement.toPrecision(p));
        if (Math.fround(1 - candidate) === Math.fround(onnxMomentum)) return candidate;
    }
    return shortestFloat(complement);
}

export const recogniseInstanceNormalization: Recogniser = (node, graph) => {
    // InstanceNorm with a per-channel affine is group norm with one group per channel.
    const x = node.inputs[0];
    const shape = graph.inputShape(node, x);
    const [, scale, bias] = node.inputs.map(t => graph.constant(t));
    if (!scale || !bias) unsupported(node, 'its scale and bias must be constant');
    const attrs: Record<string, AttrValue> = { groups: shape[1] };
    const eps = shortestFloat(floatAttr(node, 'epsilon', 1e-5));
    if (eps !== 1e-5) attrs.eps = eps;
    return oneLayer({ op: 'groupnorm', attrs, inputs: [x], outputs: [node.outputs[0]], params: [paramOf('weight', node.inputs[1], scale), paramOf('bias', node.inputs[2], bias)] });
};

export const recogniseLayerNormalization: Recogniser = (node, graph) => {
    const x = node.inputs[0];
    const shape = graph.inputShape(node, x);
    const axis = normalizeAxis(intAttr(node, 'axis', -1), shape.length);
    const scale = graph.constant(node.inputs[1]);
    const bias = graph.constant(node.inputs[2]);
    if (!scale || !bias) unsupported(node, 'needs a constant scale and bias (the language\'s layernorm has both)');
    if (node.outputs.slice(1).some(o => o && graph.readersLeft(o).length)) unsupported(node, 'its mean and inverse-deviation outputs are used');
    const attrs: Record<string, AttrValue> = {};
    if (axis !== 1) attrs.normalized_shape = shape.slice(axis);
    const eps = shortestFloat(floatAttr(node, 'epsilon', 1e-5));
    if (eps !== 1e-5) attrs.eps = eps;
    return oneLayer({ op: 'layernorm', attrs, inputs: [x], outputs: [node.outputs[0]], params: [paramOf('weight', node.inputs[1], scale), paramOf('bias', node.inputs[2], bias)] });
};

export const recogniseLrn: Recogniser = node => {
    // ONNX centres an even window one channel later than PyTorch (see the exporter): read odd ones only.
    const size = intAttr(node, 'size', 0);
    if (size % 2 === 0) unsupported(node, `an even window (size ${size}) is placed differently from PyTorch's LocalResponseNorm, the language's lrn`);
    return unaryLayer(node, 'lrn', lrnAttrs(size, floatAttr(node, 'alpha', 1e-4), floatAttr(node, 'beta', 0.75), floatAttr(node, 'bias', 1)));
};

/** The attributes of an lrn layer, leaving out those at their defaults. */
function lrnAttrs(size: number, alpha: number, beta: number, k: number): Record<string, AttrValue> {
    const attrs: Record<string, AttrValue> = { size };
    const given = { alpha: shortestFloat(alpha), beta: shortestFloat(beta), k: shortestFloat(k) };
    const defaults = { alpha: 1e-4, beta: 0.75, k: 1 };
    for (const name of ['alpha', 'beta', 'k'] as const) if (given[name] !== defaults[name]) attrs[name] = given[name];
    return attrs;
}

/**
 * A norm written out: mean → x − mean → square (Mul or Pow 2) → mean → + eps → Sqrt → (x − mean)/… (→ · weight →
 * + bias). Over the trailing axes it is a layer norm (the exporter below opset 17, torch.onnx below 17); over every
 * axis but the channels, a batch norm with the batch's statistics (the exporter's track_running_stats: false), its
 * weight and bias optional (affine).
 */
export function writtenOutNorm(graph: ImportGraph, mean: OnnxNode, axes: readonly number[]): Match | undefined {
    const x = mean.inputs[0];
    const shape = graph.inputShape(mean, x);
    const trailing = axes[axes.length - 1] === shape.length - 1 && axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
    const batch = shape.length >= 2 && sameList(axes, [0, ...shape.slice(2).map((_, i) => i + 2)]);
    if (!trailing && !batch) return undefined;
    const sub = graph.soleReader(mean.outputs[0]);
    if (sub?.opType !== 'Sub' || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) return undefined;
    const centred = sub.outputs[0];
    const readers = graph.readersLeft(centred);
    if (readers.length !== 2 || graph.graphOutputs.has(centred)) return undefined;
    const square = readers.find(n => (n.opType === 'Mul' && n.inputs[0] === centred && n.inputs[1] === centred) || (n.opType === 'Pow' && n.inputs[0] === centred && graph.isScalar(n.inputs[1], 2)));
    const div = readers.find(n => n.opType === 'Div' && n.inputs[0] === centred);
    if (!square || !div) return undefined;
    const variance = graph.soleReader(square.outputs[0]);
    const varianceAxes = variance?.opType === 'ReduceMean' ? intsAttr(variance, 'axes') ?? (variance.inputs[1] ? graph.constant(variance.inputs[1])?.values() : undefined) : undefined;
    if (!variance || !varianceAxes || !sameList(varianceAxes.map(a => normalizeAxis(a, shape.length)), axes) || intAttr(variance, 'keepdims', 1) !== 1) return undefined;
    const addEps = graph.soleReader(variance.outputs[0]);
    const epsName = addEps?.opType === 'Add' ? otherInput(addEps, variance.outputs[0]) : undefined;
    const epsTensor = epsName ? graph.constant(epsName) : undefined;
    if (!addEps || !epsTensor || numel(epsTensor.dims) !== 1) return undefined;
    const sqrt = graph.soleReader(addEps.outputs[0]);
    if (sqrt?.opType !== 'Sqrt' || div.inputs[1] !== sqrt.outputs[0] || graph.readersLeft(sqrt.outputs[0]).length !== 1) return undefined;
    const affine = affineAfter(graph, div.outputs[0]);
    const eps = shortestFloat(epsTensor.values()[0]);
    if (!trailing) {
        const withAffine = affine && numel(affine.weight.dims) === shape[1] && numel(affine.bias.dims) === shape[1] ? affine : undefined;
        const attrs: Record<string, AttrValue> = { track_running_stats: false };
        if (!withAffine) attrs.affine = false;
        if (eps !== 1e-5) attrs.eps = eps;
        const last = withAffine ? withAffine.add.outputs[0] : div.outputs[0];
        return {
            layers: [{ op: 'batchnorm', attrs, inputs: [x], outputs: [last], params: withAffine?.params ?? [] }],
            nodes: [sub, square, variance, addEps, sqrt, div, ...(withAffine ? [withAffine.mul, withAffine.add] : [])],
        };
    }
    const normalized = shape.slice(axes[0]);
    if (!affine || numel(affine.weight.dims) !== numel(normalized) || numel(affine.bias.dims) !== numel(normalized)) return undefined;
    const attrs: Record<string, AttrValue> = {};
    if (axes[0] !== 1) attrs.normalized_shape = normalized;
    if (eps !== 1e-5) attrs.eps = eps;
    return {
        layers: [{ op: 'layernorm', attrs, inputs: [x], outputs: [affine.add.outputs[0]], params: affine.params }],
        nodes: [sub, square, variance, addEps, sqrt, div, affine.mul, affine.add],
    };
}

/** Group norm as the exporter and torch.onnx write it: [N, G, −1] → InstanceNormalization → back → ·w + b. */
export function writtenOutGroupNorm(graph: ImportGraph, reshape: OnnxNode, input: Shape, groups: number): Match | undefined {
    const norm = graph.soleReader(reshape.outputs[0]);
    if (norm?.opType !== 'InstanceNormalization') return undefined;
    const [, scale, shift] = norm.inputs.map(t => graph.constant(t));
    if (!scale || !shift || scale.values().some(v => v !== 1) || shift.values().some(v => v !== 0)) return undefined;
    const back = graph.soleReader(norm.outputs[0]);
    const backTarget = back?.opType === 'Reshape' ? graph.constant(back.inputs[1]) : undefined;
    if (!back || !backTarget || !sameList(resolveReshape([input[0], groups, numel(input.slice(1)) / groups], backTarget.values()) ?? [], input)) return undefined;
    const affine = affineAfter(graph, back.outputs[0]);
    if (!affine || numel(affine.weight.dims) !== input[1] || numel(affine.bias.dims) !== input[1]) return undefined;
    const attrs: Record<string, AttrValue> = { groups };
    const eps = shortestFloat(floatAttr(norm, 'epsilon', 1e-5));
    if (eps !== 1e-5) attrs.eps = eps;
    return {
        layers: [{ op: 'groupnorm', attrs, inputs: [reshape.inputs[0]], outputs: [affine.add.outputs[0]], params: affine.params }],
        nodes: [norm, back, affine.mul, affine.add],
    };
}

/** The `· weight + bias` (Mul by a constant, then Add of one) that ends a normalization written out. */
function affineAfter(graph: ImportGraph, normalized: string) {
    const mul = graph.soleReader(normalized);
    const weightName = mul?.opType === 'Mul' ? otherInput(mul, normalized) : undefined;
    const weight = weightName ? graph.constant(weightName) : undefined;
    const add = mul ? graph.soleReader(mul.outputs[0]) : undefined;
    const biasName = add?.opType === 'Add' ? otherInput(add, mul!.outputs[0]) : undefined;
    const bias = biasName ? graph.constant(biasName) : undefined;
    if (!mul || !add || !weight || !bias) return undefined;
    return { mul, add, weight, bias, params: [paramOf('weight', weightName!, weight), paramOf('bias', biasName!, bias)] };
}

/**
 * A local response norm as the exporter writes it when ONNX's LRN cannot say it (an even window, or not 4-D): x·x → 1×1 Conv with a band of ones over the
 * channels (the window sums) → ·alpha/size → +k → ^beta → x ÷ that.
 */
export function writtenOutLrn(graph: ImportGraph, squares: OnnxNode): Match | undefined {
    const x = squares.inputs[0];
    const conv = graph.soleReader(squares.outputs[0]);
    if (conv?.opType !== 'Conv' || conv.inputs[0] !== squares.outputs[0] || conv.inputs.length > 2) return undefined;
    const band = graph.constant(conv.inputs[1]);
    const channels = band?.dims[0];
    if (!band || channels === undefined || band.dims[1] !== channels || band.dims.slice(2).some(d => d !== 1)) return undefined;
    // The first row holds the channels after the window's centre, the last row those before it.
    const values = band.values();
    const row = (out: number) => values.slice(out * channels, (out + 1) * channels).reduce((sum, v) => sum + v, 0);
    const [before, after] = [row(channels - 1) - 1, row(0) - 1];
    const size = before + after + 1;
    if (before !== Math.floor(size / 2) || after !== Math.floor((size - 1) / 2)) return undefined;
    for (let out = 0; out < channels; out++) {
        for (let j = 0; j < channels; j++) {
            const inWindow = j >= out - before && j <= out + after;
            if (values[out * channels + j] !== (inWindow ? 1 : 0)) return undefined;
        }
    }
    const scale = graph.soleReader(conv.outputs[0]);
    const scaleBy = scale?.opType === 'Mul' ? graph.constant(otherInput(scale, conv.outputs[0])) : undefined;
    const shift = scale && graph.soleReader(scale.outputs[0]);
    const shiftBy = shift?.opType === 'Add' ? graph.constant(otherInput(shift, scale!.outputs[0])) : undefined;
    const power = shift && graph.soleReader(shift.outputs[0]);
    const exponent = power?.opType === 'Pow' && power.inputs[0] === shift!.outputs[0] ? graph.constant(power.inputs[1]) : undefined;
    const divide = power && graph.soleReader(power.outputs[0]);
    if (!scaleBy || !shiftBy || !exponent || divide?.opType !== 'Div' || divide.inputs[0] !== x || divide.inputs[1] !== power!.outputs[0]) return undefined;
    if ([scaleBy, shiftBy, exponent].some(t => numel(t.dims) !== 1)) return undefined;
    return {
        layers: [{ op: 'lrn', attrs: lrnAttrs(size, scaleBy.values()[0] * size, exponent.values()[0], shiftBy.values()[0]), inputs: [x], outputs: [divide.outputs[0]] }],
        nodes: [conv, scale!, shift!, power!, divide],
    };
}
