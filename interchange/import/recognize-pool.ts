/**
 * Pooling: MaxPool and AveragePool (with the exporter's ceil mode written as floor mode plus end padding, its
 * count-the-padding average times a map of window sizes, and divisor_override as the mean times window size /
 * divisor), global pooling, ReduceMean/ReduceMax over the spatial axes, and the exporter's adaptive pooling
 * (Slice → Reduce → Concat per axis).
 */
import type { AttrValue } from '../../language/ops/types.js';
import { slidingOutputSize } from '../../language/ops/conv.js';
import { adaptiveWindow } from '../../language/ops/pool.js';
import { unsupported } from './import-error.js';
import { otherInput, sameList, type ImportGraph, type Match, type Recogniser } from './import-graph.js';
import { intAttr, intsAttr, normalizeAxis } from './node-attributes.js';
import { compactInts } from './numbers.js';
import { numel } from '../../language/ops/shape-utils.js';
import type { OnnxNode } from './onnx-model.js';
import { compactPadding, windowPadding } from './padding.js';
import { writtenOutNorm } from './recognize-norm.js';
import { singleAxisSlice } from './slice-parts.js';

/** MaxPool and AveragePool. */
export const recognisePool: Recogniser = (node, graph) => {
    const max = node.opType === 'MaxPool';
    const x = node.inputs[0];
    if (node.outputs[1] && graph.readersLeft(node.outputs[1]).length) unsupported(node, 'its indices output is used');
    const input = graph.inputShape(node, x);
    const kernel = intsAttr(node, 'kernel_shape');
    if (!kernel) unsupported(node, 'it has no kernel_shape');
    const dims = kernel.length;
    if (dims < 1 || dims > 3 || input.length !== dims + 2) unsupported(node, `a ${dims}-D pooling of a ${input.length}-D tensor has no ConvNet op`);
    const stride = intsAttr(node, 'strides') ?? Array(dims).fill(1);
    const dilation = max ? intsAttr(node, 'dilations') ?? Array(dims).fill(1) : Array(dims).fill(1);
    if (!max && intsAttr(node, 'dilations')?.some(d => d !== 1)) unsupported(node, 'a dilated average pooling has no ConvNet op');
    const { begin, end } = windowPadding(node, input.slice(2), kernel, stride, dilation);
    let ceil = intAttr(node, 'ceil_mode', 0) === 1;
    const countPad = !max && intAttr(node, 'count_include_pad', 0) === 1;
    const spatial = input.slice(2);
    const outOf = (b: readonly number[], e: readonly number[], c: boolean) => spatial.map((i, d) => slidingOutputSize(i, kernel[d], stride[d], dilation[d], b[d], e[d], c).size);
    const onnxOut = outOf(begin, end, ceil);
    let padBegin = begin;
    let padEnd = end;
    const extra: OnnxNode[] = [];
    let output = node.outputs[0];
    // The exporter writes ceil mode as floor mode with the end padding its windows need: read it back.
    if (!ceil && end.some((e, d) => e > begin[d]) && sameList(outOf(begin, begin, true), onnxOut)) {
        padEnd = begin;
        ceil = true;
        if (countPad) {
            // … and an average that counts the padding, times the map of full/clipped window sizes.
            const mul = graph.soleReader(output);
            const factor = mul?.opType === 'Mul' ? graph.constant(otherInput(mul, output)) : undefined;
            if (mul && factor && sameList(factor.dims, [1, 1, ...onnxOut]) && isClippedWindowMap(factor.values(), spatial, kernel, stride, begin, onnxOut)) {
                extra.push(mul);
                output = mul.outputs[0];
            }
        }
    }
    // The exporter's divisor_override: the full-window mean (the padding counted) times window size / divisor.
    let divisor: number | undefined;
    if (countPad && dims >= 2 && output === node.outputs[0]) {
        const mul = graph.soleReader(output);
        const factor = mul?.opType === 'Mul' ? graph.constant(otherInput(mul, output)) : undefined;
        const taps = kernel.reduce((a, k) => a * k, 1);
        const value = factor && numel(factor.dims) === 1 ? factor.values()[0] : 0;
        const d = value > 0 ? Math.round(taps / value) : 0;
        if (mul && d >= 1 && Math.abs(taps / d - value) <= 1e-6 * value) {
            divisor = d;
            extra.push(mul);
            output = mul.outputs[0];
        }
    }
    const attrs: Record<string, AttrValue> = { kernel: compactInts(kernel) };
    if (!sameList(stride, kernel)) attrs.stride = compactInts(stride);
    const padded = [...padBegin, ...padEnd].some(p => p !== 0);
    if (padded) attrs.padding = compactPadding(padBegin, padEnd);
    if (max && dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
    if (ceil) attrs.ceil_mode = true;
    if (!max && padded && !countPad) attrs.count_include_pad = false;
    if (divisor !== undefined) attrs.divisor_override = divisor;
    const op = (max ? ['maxpool1d', 'maxpool', 'maxpool3d'] : ['avgpool1d', 'avgpool', 'avgpool3d'])[dims - 1];
    return { layers: [{ op, attrs, inputs: [x], outputs: [output] }], nodes: extra };
};

/** Whether `values` is the exporter's map of full/clipped window sizes of a ceil-mode average (see onnx.ts). */
function isClippedWindowMap(values: readonly number[], spatial: readonly number[], kernel: readonly number[], stride: readonly number[], begin: readonly number[], out: readonly number[]): boolean {
    const ratios = out.map((o, i) => Array.from({ length: o }, (_, k) => {
        const start = k * stride[i] - begin[i];
        return kernel[i] / (Math.min(start + kernel[i], spatial[i] + begin[i]) - start);
    }));
    let factors = [1];
    for (const axis of ratios) factors = factors.flatMap(f => axis.map(r => f * r));
    return factors.length === values.length && factors.every((f, i) => Math.abs(f - values[i]) <= 1e-5 * f);
}

/** ReduceMean and ReduceMax: global pooling over the spatial axes, or the start of a layer or batch norm written out. */
export const recogniseReduce: Recogniser = (node, graph) => {
    const x = node.inputs[0];
    const shape = graph.inputShape(node, x);
    const axesRaw = intsAttr(node, 'axes') ?? (node.inputs[1] ? [...graph.constantInput(node, 1, 'axes')] : shape.map((_, i) => i));
    const axes = axesRaw.map(a => normalizeAxis(a, shape.length)).sort((a, b) => a - b);
    const keep = intAttr(node, 'keepdims', 1) === 1;
    const spatial = shape.slice(2).map((_, i) => i + 2);
    if (node.opType === 'ReduceMean' && keep) {
        const norm = writtenOutNorm(graph, node, axes);
        if (norm) return norm;
    }
    if (shape.length < 3 || !sameList(axes, spatial)) {
        unsupported(node, `${node.opType} over axes (${axes.join(', ')}) of a ${shape.length}-D tensor has no ConvNet op; over every spatial axis it is global pooling, and the exporter's adaptive pooling (Slice → ${node.opType} → Concat per axis) is read whole`);
    }
    const op = node.opType === 'ReduceMean' ? 'globalavgpool' : 'globalmaxpool';
    if (keep) return { layers: [{ op, attrs: {}, inputs: [x], outputs: [node.outputs[0]] }], nodes: [] };
    // x.mean([2, 3]) (torchvision's ShuffleNetV2) drops the spatial axes: global pooling, then flatten.
    const pooled = `${node.outputs[0]}#pooled`;
    return {
        layers: [
            { op, attrs: {}, inputs: [x], outputs: [pooled] },
            { op: 'flatten', attrs: {}, inputs: [pooled], outputs: [node.outputs[0]] },
        ],
        nodes: [],
    };
};

/**
 * The exporter's adaptive pooling along one axis, from one of its Slices: for each output position a Slice of the
 * position's window → Reduce{Mean,Max} over the axis, all joined by a Concat along it.
 */
export function adaptivePoolingAlong(graph: ImportGraph, node: OnnxNode, axis: number): Match | undefined {
    const x = node.inputs[0];
    const shape = graph.inputShape(node, x);
    const reduce = graph.soleReader(node.outputs[0]);
    if (!reduce || (reduce.opType !== 'ReduceMean' && reduce.opType !== 'ReduceMax') || axis < 2) return undefined;
    const concat = graph.soleReader(reduce.outputs[0]);
    if (concat?.opType !== 'Concat' || normalizeAxis(intAttr(concat, 'axis', 0), shape.length) !== axis) return undefined;
    const nodes: OnnxNode[] = [];
    const size = shape[axis];
    const o = concat.inputs.length;
    for (let k = 0; k < o; k++) {
        const r = graph.model.nodes.find(n => n.outputs[0] === concat.inputs[k]);
        if (!r || r.opType !== reduce.opType || graph.readersLeft(r.outputs[0]).length !== 1 || intAttr(r, 'keepdims', 1) !== 1) return undefined;
        const axes = intsAttr(r, 'axes') ?? (r.inputs[1] ? graph.constant(r.inputs[1])?.values() : undefined);
        if (!axes || axes.length !== 1 || normalizeAxis(axes[0], shape.length) !== axis) return undefined;
        const s = graph.model.nodes.find(n => n.outputs[0] === r.inputs[0]);
        const part = s && s.inputs[0] === x && graph.readersLeft(s.outputs[0]).length === 1 ? singleAxisSlice(graph, s) : undefined;
        const [start, end] = adaptiveWindow(k, size, o);
        if (!part || part.axis !== axis || part.step !== 1 || part.start !== start || part.end !== end) return undefined;
        if (s !== node) nodes.push(s!);
        nodes.push(r);
    }
    nodes.push(concat);
    const outputSize = shape.slice(2);
    outputSize[axis - 2] = o;
    const op = `adaptive${reduce.opType === 'ReduceMean' ? 'avg' : 'max'}pool${['1d', '', '3d'][shape.length - 3] ?? ''}`;
    return { layers: [{ op, attrs: { output_size: compactInts(outputSize) }, inputs: [x], outputs: [concat.outputs[0]] }], nodes };
}
