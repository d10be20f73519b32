/**
 * How a run executes a graph: as a list of steps, each one kernel call. Inference lets a conv absorb what
 * follows it (as onnxruntime and TensorRT do):
 *
 * - a batch norm right after a conv is folded into the conv's weights and bias at load time:
 *   w' = w·s, b' = (b − mean)·s + beta with s = gamma/√(var + eps) per output channel;
 * - a residual sum after that (ResNet's `bn2(conv2(x)) + shortcut`) adds the shortcut in the GEMM's output loop;
 * - a ReLU or ReLU6 after that becomes a clamp in the same loop; another activation (SiLU, hardswish, GELU …) is
 *   applied in that loop too, to each piece of output while it is in cache, rather than in a pass of its own.
 *
 * A node is absorbed only when the tensor between it and the conv has no other reader, is not a network output,
 * and was not asked for (a captured feature map must exist). A fused step runs where its last node stood: by then
 * the shortcut exists (a projection shortcut is often computed after the conv). Without fusion every node is its
 * own step.
 *
 * Parameters the engine cannot reach (ordinary arrays, for the WebAssembly engine) are copied into its memory
 * here, so the kernels read them where they run fastest; convs get their weights transformed for Winograd or
 * packed for the GEMM once, here, rather than on every run.
 */
import { familyOf } from '../language/ops/registry.js';
import { convKernel, transposeGroupWeights } from './kernels/conv.js';
import { findKernel } from './kernels/index.js';
import type { GraphNode, NetworkGraph } from '../language/elaboration/graph.js';
import type { Compute } from './compute.js';
import type { ParameterStore } from './weights.js';
import { transformsWinogradWeightsPerRun, transformWeights, usesWinograd, WINOGRAD_POSITIONS } from './winograd.js';
import { activationOf } from './activations.js';
import { CONV_ABSORBED_ACTIVATIONS } from '../language/analysis/engine-rules.js';
import type { EpilogueActivation } from './gemm.js';

export interface Step {
    /** The node whose kernel runs. */
    readonly node: GraphNode;
    /** Nodes folded into it, in order: a batch norm, a residual sum, an activation (each optional). */
    readonly absorbed: readonly GraphNode[];
    /** The node's inputs, then the shortcut when a residual sum was absorbed. */
    readonly inputs: readonly number[];
    /** The tensor an absorbed residual sum adds (also the last of `inputs`). */
    readonly residual?: number;
    /** The tensors the step writes: the last absorbed node's outputs, or the node's own. */
    readonly outputs: readonly number[];
    /**
     * The kernel's parameters, in compute memory (folded when a batch norm was absorbed; with `winograd`, the
     * transformed weights, when the fast engine runs the conv as Winograd F(4×4, 3×3)).
     */
    readonly params: Readonly<Record<string, Float32Array>>;
    /** The weight is in the engine's packed GEMM layout (see Compute.packInPlace). */
    readonly packedWeight?: boolean;
    /** params.winograd's 36 matrices U[ξ] are each in the engine's packed GEMM layout. */
    readonly packedWinograd?: boolean;
    /** The conv runs by Winograd on its own (unpacked) weight, the engine making U as it runs (Compute.winograd). */
    readonly winogradWeightsPerRun?: boolean;
    /**
     * The weight is transposed as the GEMM takes it: a transposed conv's per group (see transposeGroupWeights), a
     * linear layer's to [in, out] when it multiplies several rows.
     */
    readonly transposedWeight?: boolean;
    /** Clamp applied to the output (an absorbed ReLU: [0, ∞); ReLU6: [0, 6]). */
    readonly clamp?: { readonly lo: number; readonly hi: number };
    /** Any other absorbed activation, applied last (never with a clamp: a chain absorbs one activation). */
    readonly activation?: EpilogueActivation;
}

export interface StepOptions {
    readonly fuse: boolean;
    /** Node indices whose outputs must exist (captured feature maps). */
    readonly keep?: ReadonlySet<number>;
    readonly compute: Compute;
    /** Scratch of at least the largest weight's size (packing weights in place goes through it). */
    readonly scratch: Float32Array;
    /**
     * The parameters belong to this run: arrays already in the engine's memory are used as they are and batch
     * norms are folded into them in place, so the weights exist once (instead of a copy per run).
     */
    readonly adopt?: boolean;
}

/** Ops run by the conv kernel, whose output loop can take a per-channel bias and an activation. */
const runsOnConvKernel = (op: string): boolean => findKernel(op) === convKernel;
/** The absorbed activations that are a clamp; the others are applied last (runtime/gemm.ts's applyEpilogue in TypeScript). */
const CLAMPS: Record<string, { lo: number; hi: number }> = {
    relu: { lo: 0, hi: Infinity },
    relu6: { lo: 0, hi: 6 },
};
const absorbable = (op: string) => CONV_ABSORBED_ACTIVATIONS.has(op);

export function planSteps(graph: NetworkGraph, parameters: ParameterStore, options: StepOptions): Step[] {
    // Appended in place: copying a tensor's reader list per reader was quadratic in the readers of one tensor
    // (an input that 100,000 parallel branches read).
    const readers = new Map<number, GraphNode[]>();
    for (const node of graph.nodes) {
        for (const t of node.inputs) {
            const list = readers.get(t);
            if (list) list.push(node);
            else readers.set(t, [node]);
        }
    }
    const networkOutputs = new Set(graph.outputs.map(o => o.tensor));

    /** Nodes in a chain (the conv and what it absorbed). */
    const absorbedBy = new Set<number>();

    /** The node that alone reads `node`'s single output, when `node`'s output need not exist. */
    const soleSuccessor = (node: GraphNode): GraphNode | undefined => {
        if (node.outputs.length !== 1 || options.keep?.has(node.index) || networkOutputs.has(node.outputs[0])) return undefined;
        const next = readers.get(node.outputs[0]) ?? [];
        return next.length === 1 && next[0].inputs.length === 1 && !absorbedBy.has(next[0].index) ? next[0] : undefined;
    };

    const copy = (data: Float32Array): Float32Array => {
        const placed = options.compute.allocate(data.length);
        placed.set(data);
        return placed;
    };
    /** An array a step only reads: `data` itself when the engine can reach it, else a copy in its memory. */
    const reach = (data: Float32Array) => (options.compute.holds(data) ? data : copy(data));
    /** An array a step may overwrite (to fold a batch norm in): `data` itself only when the run adopted it. */
    const own = (data: Float32Array) => (options.adopt && options.compute.holds(data) ? data : copy(data));

    /** The one node reading `node`'s output, with the other input (the shortcut) when it is a residual sum. */
    const residualSum = (node: GraphNode): { sum: GraphNode; shortcut: number } | undefined => {
        if (node.outputs.length !== 1 || options.keep?.has(node.index) || networkOutputs.has(node.outputs[0])) return undefined;
        const next = readers.get(node.outputs[0]) ?? [];
        // A sum of two conv outputs is claimed by the first conv's chain; the other conv ends before it.
        if (next.length !== 1 || next[0].op !== 'add' || next[0].inputs.length !== 2 || absorbedBy.has(next[0].index)) return undefined;
        const [a, b] = next[0].inputs;
        const shortcut = a === node.outputs[0] ? b : a;
        const same = (s: readonly number[], t: readonly number[]) => s.length === t.length && s.every((d, i) => d === t[i]);
        // Element for element: no broadcast, and not the conv's own output twice.
        if (shortcut === node.outputs[0] || !same(graph.tensors[shortcut].shape, graph.tensors[node.outputs[0]].shape)) return undefined;
        return { sum: next[0], shortcut };
    };

    // Chains first: each fusing conv with what it absorbs; the step is emitted at the chain's last node.
    const chains = new Map<number, { node: GraphNode; absorbed: GraphNode[]; residual?: number }>();
    for (const node of options.fuse ? graph.nodes : []) {
        if (!runsOnConvKernel(node.op)) continue;
        const absorbed: GraphNode[] = [];
        let last = node;
        let residual: number | undefined;
        const norm = soleSuccessor(last);
        // A batch norm with running statistics is a fixed scale and shift, foldable; one with batch statistics is not.
        if (norm?.op === 'batchnorm' && norm.attrs.track_running_stats !== false) {
            absorbed.push(norm);
            last = norm;
        }
        const sum = isDepthwise(graph, node) ? undefined : residualSum(last);
        if (sum) {
            absorbed.push(sum.sum);
            last = sum.sum;
            residual = sum.shortcut;
        }
        const activation = soleSuccessor(last);
        if (activation && absorbable(activation.op)) absorbed.push(activation);
        if (absorbed.length === 0) continue;
        chains.set(absorbed[absorbed.length - 1].index, { node, absorbed, residual });
        absorbed.forEach(n => absorbedBy.add(n.index));
        absorbedBy.add(node.index);
    }

    const steps: Step[] = [];
    for (const current of graph.nodes) {
        const chain = chains.get(current.index);
        if (!chain && absorbedBy.has(current.index)) continue; // runs with its chain, at the chain's last node
        const { node, absorbed, residual } = chain ?? { node: current, absorbed: [] as GraphNode[], residual: undefined };
        const norm = absorbed.find(n => n.op === 'batchnorm');
        const mine = parameters.get(node.name) ?? {};
        const params: Record<string, Float32Array> = norm
            ? foldBatchNorm(mine, parameters.get(norm.name)!, norm.attrs.eps as number, own)
            : Object.fromEntries(Object.entries(mine).map(([name, data]) => [name, reach(data)]));
        // The fast engine runs 3×3 stride-1 convs by Winograd F(4×4, 3×3) — on large planes on weights transformed
        // once here, on small ones on weights it transforms as it runs (language/analysis/engine-rules.ts) — and
        // other dense convs on weights packed once for its GEMM (in place: the packed copy is the same size).
        let packed = false;
        let packedWinograd = false;
        let transposed = false;
        const winogradPerRun = options.compute.kind === 'fast' && transformsWinogradWeightsPerRun(graph, node);
        if (winogradPerRun) {
            // The engine makes U as the conv runs (a small plane's, with large weights): the weight stays as it is.
        } else if (options.compute.kind === 'fast' && usesWinograd(graph, node)) {
            // A grouped conv's groups one after another: U of group j is 36 matrices of C_out/g × C_in/g.
            const [cout, cinG] = node.params.find(p => p.name === 'weight')!.shape;
            const groups = node.attrs.groups as number;
            const coutG = cout / groups;
            const plane = coutG * cinG;
            const u = options.compute.allocate(groups * WINOGRAD_POSITIONS * plane);
            const groupU = (j: number) => u.subarray(j * WINOGRAD_POSITIONS * plane, (j + 1) * WINOGRAD_POSITIONS * plane);
            for (let j = 0; j < groups; j++) transformWeights(params.weight.subarray(j * plane * 9, (j + 1) * plane * 9), coutG, cinG, () => groupU(j));
            // Each U[ξ] packed for the GEMM once here, not at every run: all of them or, where the engine cannot pack
            // in place (C_out/g not a multiple of its panel's rows), none.
            packedWinograd = Array.from({ length: groups * WINOGRAD_POSITIONS }, (_, i) => i)
                .every(i => options.compute.packInPlace(u.subarray(i * plane, (i + 1) * plane), coutG, cinG, options.scratch));
            params.winograd = u;
        } else if (options.compute.kind === 'fast' && usesDenseGemm(graph, node)) {
            // Packing rewrites the array: ours already when folded or copied here, else owned (adopted or copied).
            const weight = norm || params.weight !== mine.weight ? params.weight : own(params.weight);
            const [cout] = node.params.find(p => p.name === 'weight')!.shape;
            packed = options.compute.packInPlace(weight, cout, weight.length / cout, options.scratch);
            if (packed) params.weight = weight;
        } else if (options.compute.kind === 'fast' && familyOf(node.op) === 'convtranspose' && options.scratch.length >= params.weight.length) {
            // Transposed once here instead of on every run, in place through the scratch (no second copy).
            const weight = params.weight !== mine.weight ? params.weight : own(params.weight);
            const [cin] = node.params.find(p => p.name === 'weight')!.shape;
            const groups = node.attrs.groups as number;
            transposeGroupWeights(weight, groups, cin / groups, weight.length / cin, options.scratch);
            weight.set(options.scratch.subarray(0, weight.length));
            // Without groups, Wᵀ is one matrix, packed once for the GEMM too (a group's slice of a packed whole is
            // its own packed matrix only when its depth fits one block: convs' groups are not packed either).
            if (groups === 1) packed = options.compute.packInPlace(weight, weight.length / cin, cin, options.scratch);
            params.weight = weight;
            transposed = true;
        } else if (options.compute.kind === 'fast' && node.op === 'batchnorm' && params.running_mean && node.attrs.track_running_stats !== false) {
            // A batch norm no conv absorbed (DenseNet's, after a concat): its fixed scale and shift, made once here,
            // for the engine's per-channel kernel.
            Object.assign(params, batchNormScaleShift(params, node.attrs.eps as number, elements => options.compute.allocate(elements)));
        } else if (options.compute.kind === 'fast' && node.op === 'linear' && linearRows(graph, node) > 1 && options.scratch.length >= params.weight.length) {
            // Y = X·Wᵀ on the rows as they lie, with Wᵀ made once here: otherwise every run transposes X and Y.
            const weight = params.weight !== mine.weight ? params.weight : own(params.weight);
            const [out, inF] = node.params.find(p => p.name === 'weight')!.shape;
            transposeMatrix(weight, out, inF, options.scratch);
            weight.set(options.scratch.subarray(0, weight.length));
            params.weight = weight;
            transposed = true;
        }
        const activation = absorbed.find(n => absorbable(n.op));
        steps.push({
            node,
            absorbed,
            inputs: residual === undefined ? node.inputs : [...node.inputs, residual],
            residual,
            outputs: current.outputs,
            params,
            packedWeight: packed,
            packedWinograd,
            winogradWeightsPerRun: winogradPerRun,
            transposedWeight: transposed,
            clamp: activation ? CLAMPS[activation.op] : undefined,
            activation: activation && !Object.hasOwn(CLAMPS, activation.op) ? activationOf(activation) : undefined,
        });
    }
    return steps;
}

/** The rows a linear layer multiplies: its input's elements over its input features. */
function linearRows(graph: NetworkGraph, node: GraphNode): number {
    const shape = graph.tensors[node.inputs[0]].shape;
    return shape.reduce((a, b) => a * b, 1) / shape[shape.length - 1];
}

/** The rows × cols matrix `a` transposed into `into` (cols × rows). */
function transposeMatrix(a: Float32Array, rows: number, cols: number, into: Float32Array): void {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) into[c * rows + r] = a[r * cols + c];
}

/** A conv the conv kernel computes with one GEMM per image on its whole weight (groups = 1). */
function usesDenseGemm(graph: NetworkGraph, node: GraphNode): boolean {
    return runsOnConvKernel(node.op) && !isDepthwise(graph, node) && node.attrs.groups === 1;
}

/** A conv the conv kernel computes directly (groups = input channels), not through the GEMM. */
function isDepthwise(graph: NetworkGraph, node: GraphNode): boolean {
    return familyOf(node.op) === 'dwconv' || node.attrs.groups === graph.tensors[node.inputs[0]].shape[1];
}

/** Channel c of a batch norm with running statistics as y = x·scale + shift, in float64. */
function normAffine(norm: Readonly<Record<string, Float32Array>>, eps: number, c: number): [scale: number, shift: number] {
    const { weight: gamma, bias: beta, running_mean: mean, running_var: variance } = norm;
    const scale = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + eps);
    return [scale, (beta ? beta[c] : 0) - mean[c] * scale];
}

/** A batch norm with running statistics as a scale and a shift per channel (each rounded once). */
function batchNormScaleShift(norm: Readonly<Record<string, Float32Array>>, eps: number, allocate: (elements: number) => Float32Array): { scale: Float32Array; shift: Float32Array } {
    const channels = norm.running_mean.length;
    const scale = allocate(channels);
    const shift = allocate(channels);
    for (let c = 0; c < channels; c++) [scale[c], shift[c]] = normAffine(norm, eps, c);
    return { scale, shift };
}

/**
 * The conv's weight and bias with the batch norm that follows it folded in (each scale in float64, the products
 * rounded once). Writes into `own(array)`: a copy, or the array itself when the run adopted the parameters.
 */
function foldBatchNorm(conv: Readonly<Record<string, Float32Array>>, norm: Readonly<Record<string, Float32Array>>, eps: number,
    own: (data: Float32Array) => Float32Array): Record<string, Float32Array> {
    const channels = norm.running_mean.length;
    const weight = own(conv.weight);
    // Without a conv bias the batch norm's shift array becomes the bias (adopted or copied); without affine
    // parameters (affine: false) the scale is 1 and the shift 0.
    const bias = own(conv.bias ?? norm.bias ?? new Float32Array(channels));
    const perChannel = weight.length / channels;
    for (let c = 0; c < channels; c++) {
        const [scale, shift] = normAffine(norm, eps, c);
        for (let i = c * perChannel; i < (c + 1) * perChannel; i++) weight[i] *= scale;
        bias[c] = (conv.bias ? bias[c] : 0) * scale + shift;
    }
    return { weight, bias };
}
