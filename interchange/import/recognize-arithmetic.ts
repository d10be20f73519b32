/**
 * Add, Sub, Mul and Div of two computed tensors, a Mul by one number (`x * 0.5`: the language's scale), and the
 * patterns that start with one: x·x starts GELU's tanh approximation or a local response norm written out, x/√2
 * starts GELU written out with Erf.
 */
import { formatShape, numel } from '../../language/ops/shape-utils.js';
import { unsupported } from './import-error.js';
import type { Recogniser } from './import-graph.js';
import { shortestFloat } from './numbers.js';
import { writtenOutGelu, writtenOutGeluTanh } from './recognize-activation.js';
import { writtenOutLrn } from './recognize-norm.js';

export const recogniseArithmetic: Recogniser = (node, graph) => {
    const [a, b] = node.inputs;
    const op = node.opType.toLowerCase();
    if (node.opType === 'Mul' && a === b) {
        const gelu = writtenOutGeluTanh(graph, node);
        if (gelu) return gelu;
        const lrn = writtenOutLrn(graph, node);
        if (lrn) return lrn;
    }
    if (graph.isActivation(a) && graph.isActivation(b)) return { layers: [{ op, attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] }], nodes: [] };
    const gelu = writtenOutGelu(graph, node);
    if (gelu) return gelu;
    const constant = graph.isActivation(a) ? b : a;
    const t = graph.constant(constant);
    const x = constant === a ? b : a;
    if (node.opType === 'Mul' && t && numel(t.dims) === 1 && graph.isActivation(x) && t.dims.length <= graph.inputShape(node, x).length) {
        return { layers: [{ op: 'scale', attrs: { factor: shortestFloat(t.values()[0]) }, inputs: [x], outputs: [node.outputs[0]] }], nodes: [] };
    }
    const parameter = graph.isActivation(x) ? graph.learnedTensor(constant) : undefined;
    // A learned tensor of a module of its own (ConvNeXt's layer_scale): the language's `param`, then the arithmetic.
    if (parameter) return { layers: [parameter, { op, attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] }], nodes: [] };
    unsupported(node, `${node.opType} of an activation and a constant${t ? ` of shape ${formatShape(t.dims)}${numel(t.dims) === 1 ? ` (${shortestFloat(t.values()[0])})` : ''}` : ''} has no ConvNet op; the language's ${op} combines two computed tensors`);
};

