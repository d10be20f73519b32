/**
 * The parameters of a network, by layer and PyTorch name (`layer1.0.conv1` → `weight`), either initialised from
 * a seed or loaded from a state_dict. Kept apart from the activation arena: they live as long as the model.
 */
import { familyOf, findOp } from '../language/ops/registry.js';
import { stateDictKey, type NetworkGraph } from '../language/elaboration/graph.js';
import { elementCount } from './tensor.js';
import { SeededRandom } from './random.js';

export type ParameterStore = Map<string, Record<string, Float32Array>>;

/** `<layer>.<param>`, the state_dict key (the layer's name alone for a learned tensor of its own: stateDictKey). */
export function parameterKey(layer: string, param: string): string {
    return stateDictKey(layer, param);
}

export function parameterBytes(graph: NetworkGraph): number {
    let total = 0;
    for (const node of graph.nodes) for (const p of node.params) total += elementCount(p.shape) * 4;
    return total;
}

/**
 * Deterministic initialisation with PyTorch's `kaiming_uniform_` (a = 0, fan-in, ReLU gain): weights uniform in
 * ±√(6/fan_in), so activations keep their scale through deep ReLU nets; biases uniform in ±1/√fan_in (PyTorch's
 * conv/linear bias rule); norms start as the identity (weight 1, bias 0, running mean 0, running variance 1); a learned
 * tensor of its own (`param … = init`) starts as its init value.
 * Numbers are drawn in graph order from one generator, so a seed names the same weights on every machine.
 * `allocate` gives the zeroed arrays (a compute engine's memory, so that a run can adopt them without a copy).
 */
export function initializeParameters(graph: NetworkGraph, seed: number,
    allocate: (elements: number) => Float32Array = elements => new Float32Array(elements)): ParameterStore {
    const random = new SeededRandom(seed);
    const store: ParameterStore = new Map();
    for (const node of graph.nodes) {
        if (node.params.length === 0) continue;
        const tensors: Record<string, Float32Array> = {};
        const weight = node.params.find(p => p.name === 'weight');
        // PyTorch's fan-in: dimension 1 of the weight times its kernel (for a transposed conv, C_out/g·∏k).
        const fanIn = weight && weight.shape.length >= 2 ? elementCount(weight.shape.slice(1)) : 1;
        const isNorm = findOp(node.op)?.category === 'normalization';
        const isLearnedTensor = familyOf(node.op) === 'parameter';
        for (const p of node.params) {
            const data = allocate(elementCount(p.shape));
            if (isLearnedTensor) {
                data.fill(node.attrs.init as number); // `param … = init`: every element starts there, as in PyTorch
            } else if (isNorm) {
                if (p.name === 'weight' || p.name === 'running_var') data.fill(1);
            } else if (p.kind === 'weight') {
                const bound = Math.sqrt(6 / fanIn);
                random.fillUniform(data, -bound, bound);
            } else if (p.kind === 'bias') {
                const bound = 1 / Math.sqrt(fanIn);
                random.fillUniform(data, -bound, bound);
            }
            tensors[p.name] = data;
        }
        store.set(node.name, tensors);
    }
    return store;
}
