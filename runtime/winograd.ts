/**
 * Winograd F(2×2, 3×3) for the fast engine (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016): a 3×3 stride-1 conv as 16 GEMMs over transformed tiles, 16 multiplies per 2×2 outputs and channel pair
 * instead of 36. Here: which convs use it, the weight transform U = G g Gᵀ (made once when a run is prepared), and
 * the TypeScript kernel of the engine without WebAssembly SIMD; the fast engine's is in
 * runtime/wasm/assembly/kernels.ts.
 *
 *     G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]     Aᵀ = [1 1 1 0; 0 1 −1 −1]
 *
 * A 4×4 input tile d becomes V = Bᵀ d B, each of its 16 positions ξ multiplies U[ξ] (a GEMM over channels), and a
 * 2×2 output tile is Aᵀ M A.
 *
 * U is stored as 16 matrices U[ξ] of C_out × C_in (ξ = 4·row + column of the 4×4 transformed kernel), the A
 * operands of the 16 GEMMs.
 */
import type { GraphNode, NetworkGraph } from '../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../language/ops/conv.js';
import type { GemmKernel, GemmOptions } from './gemm.js';
import type { ConvGeometry } from './im2col.js';

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

/**
 * The conv of one image by Winograd F(2×2, 3×3) in TypeScript, with `gemm` for the 16 products: `u` the
 * transformed weights, `v` (16·C_in·tiles) and `m` (16·C_out·tiles) scratch, the epilogue applied as each output
 * is written. Edge tiles read zeros past the input and write only the outputs that exist.
 */
export function winogradConv(gemm: GemmKernel, x: Float32Array, xOffset: number, g: ConvGeometry, u: Float32Array, cout: number,
    y: Float32Array, yOffset: number, v: Float32Array, m: Float32Array, epilogue: GemmOptions): void {
    const [, H, W] = g.input;
    const [, Ho, Wo] = g.output;
    const cin = g.channels;
    const { tilesH, tilesW } = winogradTiles(Ho, Wo);
    const tiles = tilesH * tilesW;
    const d = new Float64Array(16);
    const t = new Float64Array(16);
    // V[ξ][c][tile] = (Bᵀ d B)[ξ].
    for (let c = 0; c < cin; c++) {
        const plane = xOffset + c * H * W;
        for (let th = 0; th < tilesH; th++) {
            for (let tw = 0; tw < tilesW; tw++) {
                const row0 = 2 * th - g.padBegin[1];
                const col0 = 2 * tw - g.padBegin[2];
                for (let i = 0; i < 4; i++) {
                    const row = row0 + i;
                    for (let j = 0; j < 4; j++) {
                        const col = col0 + j;
                        d[4 * i + j] = row >= 0 && row < H && col >= 0 && col < W ? x[plane + row * W + col] : 0;
                    }
                }
                for (let j = 0; j < 4; j++) {
                    t[j] = d[j] - d[8 + j];
                    t[4 + j] = d[4 + j] + d[8 + j];
                    t[8 + j] = d[8 + j] - d[4 + j];
                    t[12 + j] = d[4 + j] - d[12 + j];
                }
                const at = c * tiles + th * tilesW + tw;
                for (let i = 0; i < 4; i++) {
                    const r = 4 * i;
                    v[(r) * cin * tiles + at] = t[r] - t[r + 2];
                    v[(r + 1) * cin * tiles + at] = t[r + 1] + t[r + 2];
                    v[(r + 2) * cin * tiles + at] = t[r + 2] - t[r + 1];
                    v[(r + 3) * cin * tiles + at] = t[r + 1] - t[r + 3];
                }
            }
        }
    }
    // M[ξ] = U[ξ] · V[ξ]: C_out × tiles, for each of the 16 positions.
    for (let xi = 0; xi < 16; xi++) {
        gemm(cout, tiles, cin, u, xi * cout * cin, cin, v, xi * cin * tiles, tiles, m, xi * cout * tiles, tiles, false);
    }
    // Y = Aᵀ M A per tile, then bias, residual and clamp as in the GEMM's output loop.
    const { bias, biasOffset = 0, residual, residualOffset = 0, lo = -Infinity, hi = Infinity } = epilogue;
    const P = Ho * Wo;
    for (let o = 0; o < cout; o++) {
        const shift = bias ? bias[biasOffset + o] : 0;
        for (let th = 0; th < tilesH; th++) {
            for (let tw = 0; tw < tilesW; tw++) {
                const at = o * tiles + th * tilesW + tw;
                for (let xi = 0; xi < 16; xi++) d[xi] = m[xi * cout * tiles + at];
                for (let j = 0; j < 4; j++) {
                    t[j] = d[j] + d[4 + j] + d[8 + j];
                    t[4 + j] = d[4 + j] - d[8 + j] - d[12 + j];
                }
                for (let i = 0; i < 2; i++) {
                    const row = 2 * th + i;
                    if (row >= Ho) break;
                    const r = 4 * i;
                    const left = t[r] + t[r + 1] + t[r + 2];
                    const right = t[r + 1] - t[r + 2] - t[r + 3];
                    for (let j = 0; j < 2; j++) {
                        const col = 2 * tw + j;
                        if (col >= Wo) break;
                        const position = o * P + row * Wo + col;
                        let value = (j === 0 ? left : right) + shift;
                        if (residual) value += residual[residualOffset + position];
                        y[yOffset + position] = Math.min(Math.max(value, lo), hi);
                    }
                }
            }
        }
    }
}
