/**
 * The elaborated network: a plain, serialisable graph that the runtime, the server, the CLI and the exporters
 * all consume. Nodes are in execution order; every node knows its hierarchical (state_dict-style) name, the
 * source text that produced it, its output shapes and what it costs.
 */
import type { Attrs, AttrValue, ParamTensor } from '../ops/types.js';

export interface Position {
    readonly line: number;      // 0-based, as in LSP
    readonly character: number; // 0-based
}

export interface SourceLocation {
    readonly uri: string;
    readonly start: Position;
    readonly end: Position;
}

export interface GraphTensor {
    readonly id: number;
    readonly shape: readonly number[];
    /** Index of the node that produces it; absent for a network input. */
    readonly producer?: number;
    /** The name it was given in the source (`y`, `input`), when it has one. */
    name?: string;
    /** Receptive field along each spatial dimension, in input pixels; absent once the layout is not spatial. */
    readonly receptiveField?: readonly number[];
    /** Distance in input pixels between neighbouring positions (the jump); absent as above. */
    readonly jump?: readonly number[];
}

export interface GraphNode {
    readonly index: number;
    /** Hierarchical name: `layer1.0.conv1`; `<name>.weight` is the state_dict key. */
    readonly name: string;
    readonly op: string;
    readonly attrs: Attrs;
    readonly inputs: readonly number[];
    readonly outputs: readonly number[];
    readonly params: readonly ParamTensor[];
    readonly macs: number;
    readonly flops: number;
    /** Bytes of the outputs in float32. */
    readonly memory: number;
    /** How the output shape follows from the input, with numbers substituted. */
    readonly formula: readonly string[];
    readonly source: SourceLocation;
    /** Innermost module (block instance or list) the node belongs to; -1 for the network itself. */
    readonly module: number;
}

/**
 * The state_dict key of parameter `param` of layer `layer`: `layer1.0.conv1.weight`. A learned tensor declared on
 * its own (`param layer_scale: …`, op `parameter`) is its layer's one tensor, with the empty name: its key is the
 * layer's name, `features.1.0.layer_scale`, as an nn.Parameter set directly on a module.
 */
export function stateDictKey(layer: string, param: string): string {
    return param === '' ? layer : `${layer}.${param}`;
}

/** A block instance or a list of layers: a named group of consecutive nodes (an nn.Module). */
export interface GraphModule {
    readonly index: number;
    readonly name: string;
    readonly kind: 'block' | 'list';
    /** The block's name for a block instance. */
    readonly block?: string;
    /** A block instance's value arguments after defaults (`planes: 64, stride: 1`), in the block's parameter order. */
    args?: Readonly<Record<string, AttrValue>>;
    readonly parent: number;
    /** Nodes [firstNode, endNode) belong to the module. */
    readonly firstNode: number;
    endNode: number;
    readonly source: SourceLocation;
}

export interface GraphPort {
    readonly name: string;
    readonly tensor: number;
}

export interface Totals {
    /** Learned parameters (weights and biases); buffers such as BN running statistics are counted apart. */
    readonly params: number;
    readonly weights: number;
    readonly biases: number;
    readonly buffers: number;
    readonly macs: number;
    readonly flops: number;
    /** Sum of every activation (inputs and outputs of all nodes), bytes in float32. */
    readonly memory: number;
    /** Most activation bytes alive at once when nodes run in order and dead tensors are freed. */
    readonly peakMemory: number;
}

export interface NetworkGraph {
    readonly name: string;
    readonly uri: string;
    readonly inputs: readonly GraphPort[];
    readonly outputs: readonly GraphPort[];
    readonly nodes: readonly GraphNode[];
    readonly tensors: readonly GraphTensor[];
    readonly modules: readonly GraphModule[];
    readonly totals: Totals;
}

/** The conventions every figure uses; shown next to figures wherever they appear. */
export const COST_CONVENTION = {
    macs: 'MACs: multiply-accumulates of conv, linear and matmul, bias excluded (torchvision\'s convention).',
    flops: 'FLOPs: 2·MACs, plus 1 per output element for bias, normalisation, activation and elementwise ops (size + 4 for local response norm), and 1 per window element read by pooling.',
    memory: 'Memory: float32 activations (4 bytes per element).',
} as const;
