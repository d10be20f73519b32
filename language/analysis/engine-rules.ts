/**
 * Which layers the project's fast engine runs by which kernel, where that is a fact about the engine other parts
 * predict from: the runtime does it (runtime/winograd.ts), the roofline models it (roofline.ts).
 */
import type { GraphNode, NetworkGraph } from '../elaboration/graph.js';
import { resolveWindowAttrs } from '../ops/conv.js';
import { familyOf } from '../ops/registry.js';

/**
 * Output planes smaller than this run as im2col + GEMM. A 7×7 plane is four 4×4 tiles, one panel of rows of the
 * GEMM's micro-kernel (runtime/wasm/assembly/winograd-rows.ts); smaller planes were not measured.
 */
const MIN_OUTPUT_POSITIONS = 7 * 7;

/**
 * Input channels a conv needs to run by Winograd, a grouped conv's in each group: with fewer, the input and output
 * transforms of each channel outweigh the products they save. The bench's 3×3 conv of 4 groups of 16 channels on
 * 56² took 1.67–1.71 ms direct and 1.22 by Winograd at one thread, 1.07–1.09 and 0.84 at two. Groups of 8 lost
 * while each group was a job of its own (RegNet-Y-400MF 7% at one thread, 20–25% at two); with every group's work
 * one job they gain: RegNet-Y-400MF 27.1–27.9 → 25.3–26.0 ms at one thread, 18.2–19.0 → 17.2–19.8 at two, ResNeXt-50
 * 198–202 → 194–197 and the same at two (2-core AMD EPYC, December 2026).
 */
const MIN_CHANNELS = 8;

/**
 * From this output plane up, the transformed weights U (36 matrices: 4× the 3×3 weights) are made once, when a
 * run is prepared; below it, as the conv runs (runtime/wasm/assembly/winograd-rows.ts), which takes no memory
 * beyond the run's scratch. Small planes are where convs have large weights and few tiles to spread U's transform
 * over: kept, ResNet-50's 14² stage's U would take its peak memory from 1.39× to 1.9× its weights and arena (the
 * target is ≤ 1.5×); made as it runs, the 256 → 256 @14² conv took 1.98 ms against 1.63 ms with U made ahead
 * (4.45 ms direct; one thread, same bench).
 */
const PREPARED_MIN_OUTPUT_POSITIONS = 28 * 28;

/**
 * How the fast engine runs `node` (input and output shapes given): by Winograd F(4×4, 3×3) — a 2-D 3×3 conv (dense,
 * or grouped, MIN_CHANNELS input channels or more a group), stride 1, no dilation, on a large enough plane —
 * on U made once ('prepared') or as it runs ('per-run'); or not.
 */
function winogradWeightsOf(node: GraphNode, input: readonly number[], output: readonly number[]): 'prepared' | 'per-run' | undefined {
    const groups = (node.attrs.groups as number | undefined) ?? 1;
    if (input.length !== 4 || input[1] / groups < MIN_CHANNELS) return undefined;
    const w = resolveWindowAttrs({ inputs: [input], attrs: node.attrs }, 2);
    const positions = output[2] * output[3];
    if (!w.kernel.every(k => k === 3) || !w.stride.every(s => s === 1) || !w.dilation.every(d => d === 1) || positions < MIN_OUTPUT_POSITIONS) return undefined;
    return positions >= PREPARED_MIN_OUTPUT_POSITIONS ? 'prepared' : 'per-run';
}

function winogradWeightsIn(graph: NetworkGraph, node: GraphNode): ReturnType<typeof winogradWeightsOf> {
    if (node.op !== 'conv' || node.inputs.length === 0) return undefined;
    return winogradWeightsOf(node, graph.tensors[node.inputs[0]].shape, graph.tensors[node.outputs[0]].shape);
}

/** Whether the fast engine runs `node` by Winograd F(4×4, 3×3) (winogradWeightsOf). */
export function usesWinograd(graph: NetworkGraph, node: GraphNode): boolean {
    return winogradWeightsIn(graph, node) !== undefined;
}

/** Whether a Winograd conv's transformed weights are made as it runs rather than once (PREPARED_MIN_OUTPUT_POSITIONS). */
export function transformsWinogradWeightsPerRun(graph: NetworkGraph, node: GraphNode): boolean {
    return winogradWeightsIn(graph, node) === 'per-run';
}

/**
 * The activations a conv absorbs into its output loop when the fast engine runs it (runtime/fusion.ts: ReLU and
 * ReLU6 as a clamp, the others applied to each finished block); the roofline counts them as fused the same way.
 */
export const CONV_ABSORBED_ACTIVATIONS: ReadonlySet<string> = new Set(['relu', 'relu6', 'leakyrelu', 'elu', 'sigmoid', 'tanh', 'hardswish', 'hardsigmoid', 'silu', 'gelu']);

/**
 * Whether the engine runs `node` as one GEMM straight on its input, without im2col: a dense 1×1 conv, stride 1,
 * unpadded (runtime/kernels/conv.ts, `pointwise`, decides the same from the conv's geometry).
 */
export function runsWithoutIm2col(graph: NetworkGraph, node: GraphNode): boolean {
    if (familyOf(node.op) !== 'conv' || node.attrs.groups !== 1) return false;
    const input = graph.tensors[node.inputs[0]].shape;
    if (input.length < 3) return false;
    const w = resolveWindowAttrs({ inputs: [input], attrs: node.attrs }, input.length - 2);
    return w.kernel.every(k => k === 1) && w.stride.every(s => s === 1) && [...w.pads.begin, ...w.pads.end].every(p => p === 0);
}
