/**
 * Winograd F(2×2, 3×3) for the fast engine (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016): a 3×3 stride-1 conv as 16 GEMMs over transformed tiles, 16 multiplies per 2×2 outputs and channel pair
 * instead of 36 (the transforms and GEMMs are in runtime/wasm/assembly/kernels.ts). Here: which convs use it, and
 * the weight transform U = G g Gᵀ, made once when a run is prepared.
 *
 *     G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
 *
 * U is stored as 16 matrices U[ξ] of C_out × C_in (ξ = 4·row + column of the 4×4 transformed kernel), the A
 * operands of the 16 GEMMs.
 */
import type { GraphNode, NetworkGraph } from '../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../language/ops/conv.js';

/**
 * Output planes smaller than this run as im2col + GEMM: the 2×2 tiles of a small plane waste more at its edges,
 * and the transformed weights (16/9 of the 3×3 weights, kept beside them) cost more memory than the plane saves
 * time — ResNet-50's 14×14 and 7×7 stages hold most of its 3×3 weights.
 */
const MIN_OUTPUT_POSITIONS = 28 * 28;

/** Whether the fast engine runs `node` as Winograd F(2×2, 3×3): a dense 2-D 3×3 conv, stride 1, no dilation. */
export function usesWinograd(graph: NetworkGraph, node: GraphNode): boolean {
    if (node.op !== 'conv' || node.attrs.groups !== 1) return false;
    const input = graph.tensors[node.inputs[0]].shape;
    const output = graph.tensors[node.outputs[0]].shape;
    if (input.length !== 4) return false;
    const w = resolveWindowAttrs({ inputs: [input], attrs: node.attrs }, 2);
    return w.kernel.every(k => k === 3) && w.stride.every(s => s === 1) && w.dilation.every(d => d === 1)
        && output[2] * output[3] >= MIN_OUTPUT_POSITIONS && input[1] >= 8;
}

/** U[ξ][o][i] = (G g_oi Gᵀ)[ξ] for a weight [C_out, C_in, 3, 3], computed in float64 and rounded once. */
export function transformWeights(weight: Float32Array, cout: number, cin: number, allocate: (elements: number) => Float32Array): Float32Array {
    const u = allocate(16 * cout * cin);
    const plane = cout * cin;
    const t = new Float64Array(12); // G g: 4×3
    for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) {
            const g = (o * cin + i) * 9;
            for (let c = 0; c < 3; c++) {
                const g0 = weight[g + c], g1 = weight[g + 3 + c], g2 = weight[g + 6 + c];
                t[c] = g0;
                t[3 + c] = (g0 + g1 + g2) / 2;
                t[6 + c] = (g0 - g1 + g2) / 2;
                t[9 + c] = g2;
            }
            for (let r = 0; r < 4; r++) {
                const t0 = t[3 * r], t1 = t[3 * r + 1], t2 = t[3 * r + 2];
                const at = o * cin + i;
                u[(4 * r) * plane + at] = t0;
                u[(4 * r + 1) * plane + at] = (t0 + t1 + t2) / 2;
                u[(4 * r + 2) * plane + at] = (t0 - t1 + t2) / 2;
                u[(4 * r + 3) * plane + at] = t2;
            }
        }
    }
    return u;
}

/** Tiles of the 2×2 output grid: ⌈Ho/2⌉ × ⌈Wo/2⌉. */
export function winogradTiles(outputH: number, outputW: number): { tilesH: number; tilesW: number } {
    return { tilesH: Math.ceil(outputH / 2), tilesW: Math.ceil(outputW / 2) };
}
