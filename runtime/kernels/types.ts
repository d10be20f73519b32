/** What a kernel is given: its node, input and (pre-allocated) output tensors, its parameters and scratch memory. */
import type { GraphNode } from '../../language/elaboration/graph.js';
import type { Tensor } from '../tensor.js';
import type { Workspace } from '../workspace.js';

export interface KernelContext {
    readonly node: GraphNode;
    readonly inputs: readonly Tensor[];
    /** Already sized from the graph's shapes; a kernel fills every element. */
    readonly outputs: readonly Tensor[];
    /** By PyTorch name: weight, bias, running_mean, running_var. */
    readonly params: Readonly<Record<string, Float32Array>>;
    readonly workspace: Workspace;
}

export type Kernel = (ctx: KernelContext) => void;
