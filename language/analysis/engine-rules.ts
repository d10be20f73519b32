/**
 * Which layers the project's fast engine runs by which kernel, where that is a fact about the engine other parts
 * predict from: the runtime does it (runtime/winograd.ts), the roofline models it (roofline.ts).
 */
import type { GraphNode, NetworkGraph } from '../elaboration/graph.js';
import { resolveWindowAttrs } from '../ops/conv.js';
import { familyOf } from '../ops/registry.js';

/**
 * Output planes smaller than this run as im2col + GEMM. Measured with `npm run bench -- --cases conv3x3_14,conv3x3_7`
 * (2-core AMD EPYC, December 2026): at 14² F(4×4) was faster on one
 * thread but its transformed weights, 4× the 3×3 weights and kept beside them, took ResNet-50's peak memory from
 * 1.38× to 1.83× its weights and arena (its 14² stage holds most of its 3×3 weights); at 7² it was 1.8× slower.
 */
const MIN_OUTPUT_POSITIONS = 28 * 28;

/** Whether the fast engine runs `node` by Winograd F(4×4, 3×3): a dense 2-D 3×3 conv, stride 1, no dilation, on a large plane. */
export function usesWinograd(graph: NetworkGraph, node: GraphNode): boolean {
    if (node.op !== 'conv' || node.attrs.groups !== 1) return false;
    const input = graph.tensors[node.inputs[0]].shape;
    const output = graph.tensors[node.outputs[0]].shape;
    if (input.length !== 4) return false;
    const w = resolveWindowAttrs({ inputs: [input], attrs: node.attrs }, 2);
    return w.kernel.every(k => k === 3) && w.stride.every(s => s === 1) && w.dilation.every(d => d === 1)
        && output[2] * output[3] >= MIN_OUTPUT_POSITIONS && input[1] >= 8;
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
