/** ONNX emitters of normalisations, activations and the linear layer (decomposed where the opset lacks the op). */
import type { GraphNode } from '../../language/elaboration/graph.js';
import { type Builder, float, int, ints, str } from './onnx-builder.js';
import type { EmitContext } from './onnx-emit.js';
import { numel } from '../../language/ops/shape-utils.js';

/**
 * Batch norm. With running statistics, BatchNormalization (a layer without affine parameters gets constant ones and
 * zeros for them: the initializers stay the state_dict). Without them (track_running_stats: false) it normalises
 * with the batch's statistics, written out: the mean and biased variance over every axis but the channels, then
 * the weight and bias reshaped to [C, 1, …] — BatchNormalization's training mode is not for inference sessions.
 */
export function emitBatchnorm(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const channels = shape[1];
    const affine = b.hasParam(node, 'weight');
    const eps = node.attrs.eps as number;
    if (b.hasParam(node, 'running_mean')) {
        const scale = affine ? b.param(node, 'weight') : b.floats(node, 'ones', Array(channels).fill(1));
        const shift = affine ? b.param(node, 'bias') : b.floats(node, 'zeros', Array(channels).fill(0));
        b.add('BatchNormalization', [c.inputs[0], scale, shift, b.param(node, 'running_mean'), b.param(node, 'running_var')], c.outputs, [
            float('epsilon', eps),
            // ONNX's momentum weighs the running statistic, PyTorch's the new batch (training only).
            float('momentum', 1 - (node.attrs.momentum as number)),
        ], node.name);
        return;
    }
    const axes = [0, ...shape.slice(2).map((_, i) => i + 2)];
    if (!affine) {
        normalizeOver(b, node, c.inputs[0], axes, eps, c.outputs[0]);
        return;
    }
    const y = normalizeOver(b, node, c.inputs[0], axes, eps);
    const perChannel = [channels, ...shape.slice(2).map(() => 1)];
    const weight = b.step(node, 'Reshape', [b.param(node, 'weight'), b.int64s(node, 'channel_shape', perChannel)], [], 'weight');
    const bias = b.step(node, 'Reshape', [b.param(node, 'bias'), b.int64s(node, 'channel_shape', perChannel)], [], 'bias');
    const scaled = b.step(node, 'Mul', [y, weight], [], 'scaled');
    b.add('Add', [scaled, bias], c.outputs, [], node.name);
}

/** (x − mean)/√(var + eps) over `axes` by ReduceMean (biased variance, as PyTorch), into `output` when given. */
function normalizeOver(b: Builder, node: GraphNode, input: string, axes: readonly number[], eps: number, output?: string): string {
    const mean = b.reduce(node, 'ReduceMean', input, axes, 'mean');
    const centred = b.step(node, 'Sub', [input, mean], [], 'centred');
    const squares = b.step(node, 'Mul', [centred, centred], [], 'squares');
    const variance = b.reduce(node, 'ReduceMean', squares, axes, 'variance');
    const shifted = b.step(node, 'Add', [variance, b.floats(node, 'eps', [eps], [])], [], 'variance_eps');
    const std = b.step(node, 'Sqrt', [shifted], [], 'std');
    if (output === undefined) return b.step(node, 'Div', [centred, std], [], 'normalized');
    b.add('Div', [centred, std], [output], [], node.name);
    return output;
}

/**
 * Layer norm of `input` (rank `rank`) over its axes `axis` … rank − 1 into `output`, written by the node `name`:
 * LayerNormalization from opset 17, written out below it.
 */
function layerNorm(b: Builder, node: GraphNode, input: string, output: string, name: string, rank: number, axis: number): void {
    const eps = node.attrs.eps as number;
    if (b.opset >= 17) {
        b.add('LayerNormalization', [input, b.param(node, 'weight'), b.param(node, 'bias')], [output], [int('axis', axis), float('epsilon', eps)], name);
        return;
    }
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const y = normalizeOver(b, node, input, axes, eps);
    const scaled = b.step(node, 'Mul', [y, b.param(node, 'weight')], [], 'scaled');
    b.add('Add', [scaled, b.param(node, 'bias')], [output], [], name);
}

export function emitLayernorm(c: EmitContext): void {
    const rank = c.inShape(0).length;
    const normalized = (c.node.attrs.normalized_shape as number[] | undefined) ?? c.inShape(0).slice(1);
    layerNorm(c.b, c.node, c.inputs[0], c.outputs[0], c.node.name, rank, rank - normalized.length);
}

/** LayerNorm2d as torchvision computes it (and torch.onnx writes it): Transpose to channels-last, layer norm over C, Transpose back. */
export function emitLayernorm2d(c: EmitContext): void {
    const { b, node } = c;
    const last = b.step(node, 'Transpose', [c.inputs[0]], [ints('perm', [0, 2, 3, 1])], 'channels_last');
    const normalized = b.unique(`${node.name}/layernorm`);
    layerNorm(b, node, last, normalized, normalized, 4, 3);
    b.add('Transpose', [normalized], c.outputs, [ints('perm', [0, 3, 1, 2])], node.name);
}

/**
 * Local response normalisation. ONNX's LRN sums the squares of channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉, which
 * is PyTorch's window (c − ⌊size/2⌋ … c + ⌊(size−1)/2⌋) only for an odd size, and onnxruntime runs it on 4-D
 * inputs only. Any other is written out: the sums of squares as a 1×1 conv with a band of ones over the channels,
 * then x / (k + alpha/size · sum)^beta.
 */
export function emitLrn(c: EmitContext): void {
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

export function emitGroupnorm(c: EmitContext): void {
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

export function emitRelu6(c: EmitContext): void {
    const { b, node } = c;
    b.add('Clip', [c.inputs[0], b.floats(node, 'min', [0], []), b.floats(node, 'max', [6], [])], c.outputs, [], node.name);
}

export const HARD_SIGMOID = [float('alpha', 1 / 6), float('beta', 0.5)];

export function emitHardswish(c: EmitContext): void {
    const { b, node } = c;
    if (b.opset >= 14) {
        b.add('HardSwish', c.inputs, c.outputs, [], node.name);
        return;
    }
    const gate = b.step(node, 'HardSigmoid', [c.inputs[0]], HARD_SIGMOID);
    b.add('Mul', [c.inputs[0], gate], c.outputs, [], node.name);
}

export function emitSilu(c: EmitContext): void {
    const { b, node } = c;
    const gate = b.step(node, 'Sigmoid', [c.inputs[0]]);
    b.add('Mul', [c.inputs[0], gate], c.outputs, [], node.name);
}

export function emitGelu(c: EmitContext): void {
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

export function emitLinear(c: EmitContext): void {
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
