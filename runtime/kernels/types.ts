/** What a kernel is given: its node, input and (pre-allocated) output tensors, its parameters and scratch memory. */
import type { EpilogueActivation } from '../gemm.js';
import type { GraphNode } from '../../language/elaboration/graph.js';
import type { Compute } from '../compute.js';
import type { Tensor } from '../tensor.js';
import type { Workspace } from '../workspace.js';

export interface KernelContext {
    readonly node: GraphNode;
    readonly inputs: readonly Tensor[];
    /** Already sized from the graph's shapes; a kernel fills every element. */
    readonly outputs: readonly Tensor[];
    /** By PyTorch name: weight, bias, running_mean, running_var (a conv's weight and bias with a batch norm folded in). */
    readonly params: Readonly<Record<string, Float32Array>>;
    readonly workspace: Workspace;
    /** The GEMM and im2col to use (the fast engine or the TypeScript reference). */
    readonly compute: Compute;
    /** An activation absorbed into this node (see runtime/fusion.ts): clamp the output to [lo, hi]. Conv kernels only. */
    readonly clamp?: { readonly lo: number; readonly hi: number };
    /** Any other activation absorbed into this node (SiLU, hardswish …), applied last. Conv kernels only. */
    readonly activation?: EpilogueActivation;
    /** The weight is packed for the engine's GEMM (runtime/fusion.ts): pass `packedA`. */
    readonly packedWeight?: boolean;
    /** params.winograd's matrices are packed for the engine's GEMM (runtime/fusion.ts): pass `packedA` to its Winograd. */
    readonly packedWinograd?: boolean;
    /** The conv runs by Winograd on its own weight, untransformed: the engine makes U as it runs (runtime/fusion.ts). */
    readonly winogradWeightsPerRun?: boolean;
    /**
     * The weight is already transposed (runtime/fusion.ts): a transposed conv's per group (runtime/kernels/conv.ts's
     * transposeGroupWeights), a linear layer's to [in, out].
     */
    readonly transposedWeight?: boolean;
    /** A residual sum absorbed into this conv (runtime/fusion.ts): add this tensor, shaped as the output, before the clamp. */
    readonly residual?: Tensor;
}

export type Kernel = (ctx: KernelContext) => void;
