/**
 * Matrix products: Gemm and MatMul by a constant weight are linear layers (MatMul + Add of a bias is one); a
 * product of two computed tensors is matmul.
 */
import { formatShape, numel } from '../../language/ops/shape-utils.js';
import { unsupported } from './import-error.js';
import { oneLayer, otherInput, paramOf, type Recogniser } from './import-graph.js';
import { floatAttr, intAttr } from './node-attributes.js';

export const recogniseGemm: Recogniser = (node, graph) => {
    const [a, b, c] = node.inputs;
    const shape = graph.inputShape(node, a);
    if (intAttr(node, 'transA', 0) !== 0) unsupported(node, 'Gemm with transA has no ConvNet op');
    const alpha = floatAttr(node, 'alpha', 1);
    const beta = floatAttr(node, 'beta', 1);
    const transB = intAttr(node, 'transB', 0) === 1;
    const weight = graph.constant(b);
    if (!weight) {
        if (c || transB || alpha !== 1) unsupported(node, 'a Gemm of two computed tensors is read only as a plain matrix product (no transB, alpha or C)');
        return oneLayer({ op: 'matmul', attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] });
    }
    if (alpha !== 1 || (c && beta !== 1)) unsupported(node, `Gemm with alpha ${alpha} and beta ${beta} scales the product; linear does not`);
    if (weight.dims.length !== 2 || shape.length !== 2) unsupported(node, `Gemm of ${formatShape(shape)} by ${formatShape(weight.dims)} is not a linear layer`);
    const out = transB ? weight.dims[0] : weight.dims[1];
    const bias = c ? graph.constant(c) : undefined;
    if (c && (!bias || numel(bias.dims) !== out)) unsupported(node, `its C (${bias ? formatShape(bias.dims) : 'computed'}) is not a bias of ${out} values`);
    return oneLayer({
        op: 'linear', attrs: bias ? { features: out } : { features: out, bias: false }, inputs: [a], outputs: [node.outputs[0]],
        params: [paramOf('weight', b, weight), ...(bias ? [paramOf('bias', c, bias)] : [])],
    });
};

export const recogniseMatMul: Recogniser = (node, graph) => {
    const [a, b] = node.inputs;
    const weight = graph.constant(b);
    if (!weight) {
        if (!graph.isActivation(a)) unsupported(node, 'a constant times a computed tensor has no ConvNet op (linear multiplies by its weight on the right)');
        return { layers: [{ op: 'matmul', attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] }], nodes: [] };
    }
    if (weight.dims.length !== 2) unsupported(node, `a MatMul by a constant of shape ${formatShape(weight.dims)} is not a linear layer (its weight would be 2-D)`);
    const out = weight.dims[1];
    const add = graph.soleReader(node.outputs[0]);
    const other = add?.opType === 'Add' ? otherInput(add, node.outputs[0]) : undefined;
    const bias = other ? graph.constant(other) : undefined;
    if (add && other && bias && numel(bias.dims) === out && bias.dims[bias.dims.length - 1] === out) {
        return {
            layers: [{ op: 'linear', attrs: { features: out }, inputs: [a], outputs: [add.outputs[0]], params: [paramOf('weight', b, weight), paramOf('bias', other, bias)] }],
            nodes: [add],
        };
    }
    return { layers: [{ op: 'linear', attrs: { features: out, bias: false }, inputs: [a], outputs: [node.outputs[0]], params: [paramOf('weight', b, weight)] }], nodes: [] };
};
