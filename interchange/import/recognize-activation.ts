/**
 * Activations: one ONNX op each (Relu, Clip as relu or relu6, LeakyRelu, Elu, Tanh, Gelu, Softmax …), those that
 * are two nodes (Sigmoid·x is silu, HardSigmoid·x is hardswish), and GELU written out with Erf or Tanh.
 */
import { unsupported } from './import-error.js';
import { oneLayer, otherInput, unaryLayer, type ImportGraph, type Match, type Recogniser } from './import-graph.js';
import { attr, floatAttr, intAttr, normalizeAxis, stringAttr } from './node-attributes.js';
import { shortestFloat } from './numbers.js';
import type { OnnxNode } from './onnx-model.js';

export const recogniseClip: Recogniser = (node, graph) => {
    const low = node.inputs[1] ? graph.constant(node.inputs[1])?.values()[0] : attr(node, 'min');
    const high = node.inputs[2] ? graph.constant(node.inputs[2])?.values()[0] : attr(node, 'max');
    if ((node.inputs[1] && low === undefined) || (node.inputs[2] && high === undefined)) unsupported(node, 'its bounds are computed, not constant');
    const lo = typeof low === 'number' ? low : -Infinity;
    const hi = typeof high === 'number' ? high : Infinity;
    if (lo === 0 && hi === 6) return unaryLayer(node, 'relu6');
    if (lo === 0 && hi > 3.4e38) return unaryLayer(node, 'relu');
    unsupported(node, `Clip to [${lo}, ${hi}] is neither relu (0, ∞) nor relu6 (0, 6)`);
};

export const recogniseLeakyRelu: Recogniser = node => {
    const slope = shortestFloat(floatAttr(node, 'alpha', 0.01));
    return unaryLayer(node, 'leakyrelu', slope === 0.01 ? {} : { negative_slope: slope });
};

export const recogniseElu: Recogniser = node => {
    const alpha = shortestFloat(floatAttr(node, 'alpha', 1));
    return unaryLayer(node, 'elu', alpha === 1 ? {} : { alpha });
};

export const recogniseSigmoid: Recogniser = (node, graph) => {
    // x·sigmoid(x) is SiLU (torch.onnx and the exporter both write it so).
    return timesInput(graph, node, 'silu') ?? unaryLayer(node, 'sigmoid');
};

export const recogniseHardSigmoid: Recogniser = (node, graph) => {
    const alpha = floatAttr(node, 'alpha', 0.2);
    const beta = floatAttr(node, 'beta', 0.5);
    if (Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
        unsupported(node, `HardSigmoid with alpha ${shortestFloat(alpha)} and beta ${shortestFloat(beta)} is not PyTorch's hardsigmoid (alpha 1/6, beta 0.5)`);
    }
    return timesInput(graph, node, 'hardswish') ?? unaryLayer(node, 'hardsigmoid');
};

/** `gate(x)·x`, the node's output multiplied by its own input, as the one layer `op`. */
function timesInput(graph: ImportGraph, gate: OnnxNode, op: string): Match | undefined {
    const x = gate.inputs[0];
    const mul = graph.soleReader(gate.outputs[0]);
    if (mul?.opType !== 'Mul' || otherInput(mul, gate.outputs[0]) !== x) return undefined;
    return oneLayer({ op, attrs: {}, inputs: [x], outputs: [mul.outputs[0]] }, [mul]);
}

export const recogniseGelu: Recogniser = node => {
    const approximate = stringAttr(node, 'approximate', 'none');
    return unaryLayer(node, 'gelu', approximate === 'tanh' ? { approximate: 'tanh' } : {});
};

export const recogniseErf: Recogniser = node => unsupported(node, 'Erf is read only inside GELU (x·(1 + erf(x/√2))/2)');

/** Softmax and LogSoftmax. */
export const recogniseSoftmax: Recogniser = (node, graph) => {
    const shape = graph.inputShape(node, node.inputs[0]);
    const axis = normalizeAxis(intAttr(node, 'axis', graph.model.opset >= 13 ? -1 : 1), shape.length);
    if (graph.model.opset < 13 && axis !== shape.length - 1) {
        unsupported(node, `before opset 13 ${node.opType} flattens every dimension from axis ${axis} on, which no softmax over one dimension equals`);
    }
    return unaryLayer(node, node.opType === 'Softmax' ? 'softmax' : 'logsoftmax', axis === 1 ? {} : { dim: axis });
};

/** GELU written out: x/√2 (or x·√½) → Erf → + 1 → · x → · 0.5, in torch.onnx's or the exporter's order. */
export function writtenOutGelu(graph: ImportGraph, node: OnnxNode): Match | undefined {
    const [a, b] = node.inputs;
    const x = graph.isActivation(a) ? a : b;
    const c = x === a ? b : a;
    const scaled = (node.opType === 'Div' && x === a && graph.isScalar(c, Math.SQRT2, 1e-5)) || (node.opType === 'Mul' && graph.isScalar(c, Math.SQRT1_2, 1e-5));
    if (!scaled) return undefined;
    const erf = graph.soleReader(node.outputs[0]);
    if (erf?.opType !== 'Erf') return undefined;
    const plus = graph.soleReader(erf.outputs[0]);
    if (plus?.opType !== 'Add' || !graph.isScalar(otherInput(plus, erf.outputs[0]) ?? '', 1)) return undefined;
    const product = graph.soleReader(plus.outputs[0]);
    if (product?.opType !== 'Mul') return undefined;
    const factor = otherInput(product, plus.outputs[0]);
    if (factor === x) {
        const half = graph.soleReader(product.outputs[0]);
        if (half?.opType !== 'Mul' || !graph.isScalar(otherInput(half, product.outputs[0]) ?? '', 0.5)) return undefined;
        return { layers: [{ op: 'gelu', attrs: {}, inputs: [x], outputs: [half.outputs[0]] }], nodes: [erf, plus, product, half] };
    }
    const halfNode = graph.model.nodes.find(n => n.outputs.includes(factor ?? ''));
    if (!halfNode || halfNode.opType !== 'Mul' || graph.consumed.has(halfNode.index) || otherInput(halfNode, x) === undefined || !graph.isScalar(otherInput(halfNode, x)!, 0.5)) return undefined;
    if (graph.readersLeft(halfNode.outputs[0]).length !== 1) return undefined;
    return { layers: [{ op: 'gelu', attrs: {}, inputs: [x], outputs: [product.outputs[0]] }], nodes: [erf, plus, halfNode, product] };
}

/**
 * GELU's tanh approximation as the exporter writes it (opset < 20):
 * x·x → ·x → ·0.044715 → x + … → ·√(2/π) → Tanh → + 1 → · (x·0.5).
 */
export function writtenOutGeluTanh(graph: ImportGraph, square: OnnxNode): Match | undefined {
    const x = square.inputs[0];
    const cube = graph.soleReader(square.outputs[0]);
    if (cube?.opType !== 'Mul' || otherInput(cube, square.outputs[0]) !== x) return undefined;
    const scaledCube = graph.soleReader(cube.outputs[0]);
    if (scaledCube?.opType !== 'Mul' || !graph.isScalar(otherInput(scaledCube, cube.outputs[0]) ?? '', 0.044715, 1e-5)) return undefined;
    const sum = graph.soleReader(scaledCube.outputs[0]);
    if (sum?.opType !== 'Add' || otherInput(sum, scaledCube.outputs[0]) !== x) return undefined;
    const scaled = graph.soleReader(sum.outputs[0]);
    if (scaled?.opType !== 'Mul' || !graph.isScalar(otherInput(scaled, sum.outputs[0]) ?? '', Math.sqrt(2 / Math.PI), 1e-5)) return undefined;
    const tanh = graph.soleReader(scaled.outputs[0]);
    if (tanh?.opType !== 'Tanh') return undefined;
    const plus = graph.soleReader(tanh.outputs[0]);
    if (plus?.opType !== 'Add' || !graph.isScalar(otherInput(plus, tanh.outputs[0]) ?? '', 1)) return undefined;
    const product = graph.soleReader(plus.outputs[0]);
    const halfName = product?.opType === 'Mul' ? otherInput(product, plus.outputs[0]) : undefined;
    const half = graph.model.nodes.find(n => halfName !== undefined && n.outputs[0] === halfName);
    if (!product || !half || half.opType !== 'Mul' || graph.consumed.has(half.index) || graph.readersLeft(half.outputs[0]).length !== 1) return undefined;
    const factor = otherInput(half, x);
    if (factor === undefined || !graph.isScalar(factor, 0.5)) return undefined;
    return { layers: [{ op: 'gelu', attrs: { approximate: 'tanh' }, inputs: [x], outputs: [product.outputs[0]] }], nodes: [cube, scaledCube, sum, scaled, tanh, plus, half, product] };
}
