/**
 * Convolutions: Conv (1-D to 3-D, grouped and depthwise), ConvTranspose (with the exporter's ConvTranspose → Pad
 * → Add for an output_padding beyond ONNX Runtime's limit) and DeformConv. A convolution owns its weights, so they
 * must be constants.
 */
import type { AttrValue } from '../../language/ops/types.js';
import { formatShape, numel } from '../../language/ops/shape-utils.js';
import { unsupported } from './import-error.js';
import { oneLayer, otherInput, paramOf, type Draft, type Recogniser } from './import-graph.js';
import { intAttr, intsAttr } from './node-attributes.js';
import { compactInts } from './numbers.js';
import type { OnnxNode } from './onnx-model.js';
import { autoPad, compactPadding, padSides, windowPadding } from './padding.js';

export const recogniseConv: Recogniser = (node, graph) => {
    const [x, w, b] = node.inputs;
    const weight = graph.constant(w);
    if (!weight) unsupported(node, 'its weights are computed, not constant; the language\'s conv owns its weights');
    const dims = weight.dims.length - 2;
    if (dims < 1 || dims > 3) unsupported(node, `a ${dims}-D convolution has no ConvNet op (conv1d, conv, conv3d)`);
    const input = graph.inputShape(node, x);
    const { kernel, stride, dilation, groups } = windowAttrs(node, weight.dims);
    const cin = input[1];
    const cout = weight.dims[0];
    if (weight.dims[1] * groups !== cin) unsupported(node, `its weight ${formatShape(weight.dims)} with group ${groups} does not fit ${cin} input channels`);
    const pads = windowPadding(node, input.slice(2), kernel, stride, dilation);
    const bias = b ? graph.constant(b) : undefined;
    if (b && !bias) unsupported(node, 'its bias is computed, not constant');
    const depthwise = groups === cin && groups > 1 && cout % cin === 0;
    const attrs: Record<string, AttrValue> = depthwise ? { kernel: compactInts(kernel) } : { channels: cout, kernel: compactInts(kernel) };
    if (depthwise && cout !== cin) attrs.multiplier = cout / cin;
    if (stride.some(s => s !== 1)) attrs.stride = compactInts(stride);
    if ([...pads.begin, ...pads.end].some(p => p !== 0)) attrs.padding = compactPadding(pads.begin, pads.end);
    if (dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
    if (!depthwise && groups !== 1) attrs.groups = groups;
    if (!bias) attrs.bias = false;
    const op = (depthwise ? ['dwconv1d', 'dwconv', 'dwconv3d'] : ['conv1d', 'conv', 'conv3d'])[dims - 1];
    const params = [paramOf('weight', w, weight), ...(bias ? [paramOf('bias', b, bias)] : [])];
    return oneLayer({ op, attrs, inputs: [x], outputs: [node.outputs[0]], params });
};

export const recogniseConvTranspose: Recogniser = (node, graph) => {
    const [x, w, b] = node.inputs;
    const weight = graph.constant(w);
    if (!weight) unsupported(node, 'its weights are computed, not constant');
    const dims = weight.dims.length - 2;
    if (dims < 1 || dims > 3) unsupported(node, `a ${dims}-D transposed convolution has no ConvNet op`);
    const input = graph.inputShape(node, x);
    const { kernel, stride, dilation, groups } = windowAttrs(node, weight.dims);
    const outputPadding = [...(intsAttr(node, 'output_padding') ?? Array(dims).fill(0))];
    if (weight.dims[0] !== input[1]) unsupported(node, `its weight ${formatShape(weight.dims)} does not fit ${input[1]} input channels`);
    let begin: number[];
    let end: number[];
    const outputShape = intsAttr(node, 'output_shape');
    const pad = autoPad(node);
    if (outputShape || pad === 'SAME_UPPER' || pad === 'SAME_LOWER') {
        const target = outputShape ? outputShape.slice(-dims) : input.slice(2).map((i, d) => i * stride[d]);
        begin = [];
        end = [];
        for (let d = 0; d < dims; d++) {
            const full = stride[d] * (input[2 + d] - 1) + outputPadding[d] + dilation[d] * (kernel[d] - 1) + 1;
            let total = full - target[d];
            if (total < 0) {
                outputPadding[d] -= total;
                total = 0;
            }
            const half = Math.floor(total / 2);
            begin.push(pad === 'SAME_UPPER' ? half : total - half);
            end.push(pad === 'SAME_UPPER' ? total - half : half);
        }
    } else {
        ({ begin, end } = windowPadding(node, input.slice(2), kernel, stride, dilation));
    }
    let bias = b ? graph.constant(b) : undefined;
    let biasTensor = b;
    if (b && !bias) unsupported(node, 'its bias is computed, not constant');
    const extra: OnnxNode[] = [];
    let output = node.outputs[0];
    // The exporter writes an output_padding beyond ONNX Runtime's limit as ConvTranspose → Pad (→ + bias).
    const padNode = graph.soleReader(output);
    if (padNode?.opType === 'Pad' && !bias) {
        const padding = padSides(graph, padNode, input.length);
        if (padding && padding.mode === 'constant' && padding.value === 0 && padding.begin.every(p => p === 0)
            && padding.end.every((p, d) => p + outputPadding[d] < Math.max(stride[d], dilation[d]))) {
            padding.end.forEach((p, d) => (outputPadding[d] += p));
            extra.push(padNode);
            output = padNode.outputs[0];
            const add = graph.soleReader(output);
            const other = add?.opType === 'Add' ? otherInput(add, output) : undefined;
            const addend = other ? graph.constant(other) : undefined;
            if (add && other && addend && numel(addend.dims) === weight.dims[1] * groups) {
                bias = addend;
                biasTensor = other;
                extra.push(add);
                output = add.outputs[0];
            }
        }
    }
    const attrs: Record<string, AttrValue> = { channels: weight.dims[1] * groups, kernel: compactInts(kernel) };
    if (stride.some(s => s !== 1)) attrs.stride = compactInts(stride);
    if ([...begin, ...end].some(p => p !== 0)) attrs.padding = compactPadding(begin, end);
    if (outputPadding.some(p => p !== 0)) attrs.output_padding = compactInts(outputPadding);
    if (dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
    if (groups !== 1) attrs.groups = groups;
    if (!bias) attrs.bias = false;
    const op = ['convtranspose1d', 'convtranspose', 'convtranspose3d'][dims - 1];
    const params = [paramOf('weight', w, weight), ...(bias ? [paramOf('bias', biasTensor, bias)] : [])];
    return { layers: [{ op, attrs, inputs: [x], outputs: [output], params }], nodes: extra };
};

export const recogniseDeformConv: Recogniser = (node, graph) => {
    const [x, w, offset, b, mask] = node.inputs;
    const weight = graph.constant(w);
    if (!weight) unsupported(node, 'its weights are computed, not constant');
    if (weight.dims.length !== 4) unsupported(node, 'only 2-D deformable convolution has a ConvNet op');
    const input = graph.inputShape(node, x);
    const { kernel, stride, dilation, groups } = windowAttrs(node, weight.dims);
    const pads = windowPadding(node, input.slice(2), kernel, stride, dilation);
    const bias = b ? graph.constant(b) : undefined;
    if (b && !bias) unsupported(node, 'its bias is computed, not constant');
    if (!graph.isActivation(offset) || (mask && !graph.isActivation(mask))) unsupported(node, 'its offsets (and mask) must be computed tensors');
    const attrs: Record<string, AttrValue> = { channels: weight.dims[0], kernel: compactInts(kernel) };
    if (stride.some(s => s !== 1)) attrs.stride = compactInts(stride);
    if ([...pads.begin, ...pads.end].some(p => p !== 0)) attrs.padding = compactPadding(pads.begin, pads.end);
    if (dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
    if (groups !== 1) attrs.groups = groups;
    if (!bias) attrs.bias = false;
    const draft: Draft = {
        op: 'deformconv', attrs, inputs: mask ? [x, offset, mask] : [x, offset], outputs: [node.outputs[0]],
        params: [paramOf('weight', w, weight), ...(bias ? [paramOf('bias', b, bias)] : [])],
    };
    return oneLayer(draft);
};

/** A convolution's window: kernel (from the weight when not given), strides, dilations and group, ONNX's defaults filled in. */
function windowAttrs(node: OnnxNode, weightDims: readonly number[]): { kernel: number[]; stride: number[]; dilation: number[]; groups: number } {
    const dims = weightDims.length - 2;
    return {
        kernel: intsAttr(node, 'kernel_shape') ?? weightDims.slice(2),
        stride: intsAttr(node, 'strides') ?? Array(dims).fill(1),
        dilation: intsAttr(node, 'dilations') ?? Array(dims).fill(1),
        groups: intAttr(node, 'group', 1),
    };
}
