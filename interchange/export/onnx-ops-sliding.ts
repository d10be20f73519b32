/** ONNX emitters of the sliding-window ops: convolutions (plain, depthwise, transposed, deformable) and pooling. */
import { familyOf } from '../../language/ops/registry.js';
import type { GraphNode } from '../../language/elaboration/graph.js';
import { adaptiveWindow } from '../../language/ops/pool.js';
import { type Builder, int, ints, str } from './onnx-builder.js';
import { type EmitContext, fail, windowOf, ONNX_OPSET } from './onnx-emit.js';
import { perDimension } from '../../language/ops/shape-utils.js';

/**
 * Conv. A padding_mode other than zeros pads first and convolves unpadded: reflect and replicate as a Pad node
 * (modes reflect and edge, PyTorch's F.pad), circular as a Slice of each end and a Concat per axis — ONNX's Pad
 * has no wrap mode before opset 19, and this form is exact in every runtime at every opset.
 */
export function emitConv(c: EmitContext): void {
    const { b, node } = c;
    const dims = c.inShape(0).length - 2;
    const w = windowOf(c, dims);
    const cin = c.inShape(0)[1];
    const groups = familyOf(node.op) === 'dwconv' ? cin : node.attrs.groups as number;
    const mode = (node.attrs.padding_mode as string | undefined) ?? 'zeros';
    let input = c.inputs[0];
    let pads = w.pads;
    if (mode !== 'zeros' && pads.some(p => p > 0)) {
        const begin = pads.slice(0, dims);
        const end = pads.slice(dims);
        input = mode === 'circular'
            ? wrapAround(b, node, input, c.inShape(0), begin, end)
            : b.step(node, 'Pad', [input, b.int64s(node, 'pads', [0, 0, ...begin, 0, 0, ...end])], [str('mode', mode === 'replicate' ? 'edge' : 'reflect')]);
        pads = pads.map(() => 0);
    }
    const inputs = [input, b.param(node, 'weight')];
    if (b.hasParam(node, 'bias')) inputs.push(b.param(node, 'bias'));
    b.add('Conv', inputs, c.outputs, [
        ints('kernel_shape', w.kernel), ints('strides', w.stride), ints('dilations', w.dilation), ints('pads', pads), int('group', groups),
    ], node.name);
}

/** Circular padding, axis by axis: the last `begin` rows, the tensor, the first `end` rows, joined along the axis. */
function wrapAround(b: Builder, node: GraphNode, input: string, shape: readonly number[], begin: readonly number[], end: readonly number[]): string {
    let current = input;
    begin.forEach((before, i) => {
        const after = end[i];
        if (before === 0 && after === 0) return;
        const axis = i + 2;
        const size = shape[axis];
        const slice = (start: number, stop: number, step: string) => b.step(node, 'Slice',
            [current, b.int64s(node, `${step}_starts`, [start]), b.int64s(node, `${step}_ends`, [stop]), b.int64s(node, `${step}_axes`, [axis])], [], step);
        const pieces = [...(before > 0 ? [slice(size - before, size, `wrap${axis}_before`)] : []), current, ...(after > 0 ? [slice(0, after, `wrap${axis}_after`)] : [])];
        current = b.step(node, 'Concat', pieces, [int('axis', axis)], `wrap${axis}`);
    });
    return current;
}

/**
 * Transposed conv. PyTorch allows output_padding up to max(stride, dilation) − 1, ONNX Runtime only below the
 * stride: output_padding only trims less of the full output's end, so it is moved into the end padding where that
 * padding allows; rows beyond the full output (bias only) are added by Pad before the bias.
 */
export function emitConvTranspose(c: EmitContext): void {
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

export function emitDeformConv(c: EmitContext): void {
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
 * PyTorch: that is AveragePool over the extended padding times a constant map of full/clipped window sizes. An
 * average with divisor_override is the full-window mean times window size / divisor (ONNX has no divisor).
 */
export function emitPool(kind: 'max' | 'avg'): (c: EmitContext) => void {
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
        const divisor = kind === 'avg' ? node.attrs.divisor_override as number | undefined : undefined;
        if (divisor !== undefined) {
            // Each window's sum over divisor_override: the mean over the whole window (the padding and the floor-mode
            // extension of the end padding are zeros, and no window runs past them) times window size / divisor.
            attributes[attributes.length - 1] = int('count_include_pad', 1);
            const pooled = b.step(node, opType, [c.inputs[0]], attributes);
            const taps = w.kernel.reduce((a, k) => a * k, 1);
            b.add('Mul', [pooled, b.floats(node, 'window_over_divisor', [taps / divisor], [])], c.outputs, [], node.name);
            return;
        }
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

export function emitAdaptive(kind: 'max' | 'avg'): (c: EmitContext) => void {
    return c => {
        const dims = c.inShape(0).length - 2;
        adaptivePool(c.b, c.node, kind, c.inputs[0], c.inShape(0), c.outShape(0).slice(2, 2 + dims), c.outputs[0]);
    };
}

export function emitSpp(c: EmitContext): void {
    const { b, node } = c;
    const levels = node.attrs.levels as readonly number[];
    const kind = node.attrs.mode === 'avg' ? 'avg' : 'max';
    const pieces = levels.map(l => {
        const pooled = adaptivePool(b, node, kind, c.inputs[0], c.inShape(0), [l, l], undefined, `level${l}`);
        return b.step(node, 'Flatten', [pooled], [int('axis', 1)], `level${l}_flatten`);
    });
    b.add('Concat', pieces, c.outputs, [int('axis', 1)], node.name);
}
