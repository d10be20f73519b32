/**
 * Winograd F(4×4, 3×3) for the fast engine (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016): a 3×3 stride-1 conv as 36 GEMMs over transformed tiles, 36 multiplies per 4×4 outputs and channel pair
 * instead of 144. It replaced F(2×2, 3×3) (16 GEMMs, 64 multiplies per 4×4 outputs): on this project's bench
 * (`npm run bench -- --cases conv3x3,conv3x3_28`, 2-core AMD EPYC, December 2026) F(4×4) took 0.7× F(2×2)'s time at
 * 56² and 0.9× at 28², and its larger rounding stays within 1e-5 of the direct conv's scale. Here: which convs use
 * it, the weight transform U = G g Gᵀ (made once when a run is prepared, for planes of 28² and more; the fast engine
 * makes a smaller plane's as the conv runs, runtime/wasm/assembly/winograd-weights.ts), and the TypeScript kernel
 * of the engine without WebAssembly SIMD; the fast engine's is runtime/wasm/assembly/winograd.ts.
 *
 *     G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1]
 *     Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
 *     Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
 *
 * A 6×6 input tile d becomes V = Bᵀ d B, each of its 36 positions ξ multiplies U[ξ] (a GEMM over channels), and a
 * 4×4 output tile is Aᵀ M A. U is stored as 36 matrices U[ξ] of C_out × C_in (ξ = 6·row + column of the
 * transformed kernel), the A operands of the 36 GEMMs.
 */
import type { GemmKernel, GemmOptions } from './gemm.js';
import { activateRange } from './activations.js';
import type { ConvGeometry } from './im2col.js';

const G = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]];
const BT = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]];
const AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]];

/** Side of an output tile, and of an input tile. */
const TILE = 4;
const INPUT_TILE = TILE + 2;

/** Positions of a transformed tile: the number of GEMMs and of U's matrices. */
export const WINOGRAD_POSITIONS = INPUT_TILE * INPUT_TILE;

/** Which convs the fast engine runs this way: language/analysis/engine-rules.ts, which the roofline shares. */
export { transformsWinogradWeightsPerRun, usesWinograd } from '../language/analysis/engine-rules.js';

/** U[ξ][o][i] = (G g_oi Gᵀ)[ξ] for a weight [C_out, C_in, 3, 3], computed in float64 and rounded once. */
export function transformWeights(weight: Float32Array, cout: number, cin: number, allocate: (elements: number) => Float32Array): Float32Array {
    const u = allocate(WINOGRAD_POSITIONS * cout * cin);
    const plane = cout * cin;
    const gk = new Float64Array(INPUT_TILE * 3); // G g: 6×3
    for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) {
            const at = o * cin + i;
            const k = at * 9;
            for (let r = 0; r < INPUT_TILE; r++) {
                for (let c = 0; c < 3; c++) gk[3 * r + c] = G[r][0] * weight[k + c] + G[r][1] * weight[k + 3 + c] + G[r][2] * weight[k + 6 + c];
            }
            for (let r = 0; r < INPUT_TILE; r++) {
                for (let c = 0; c < INPUT_TILE; c++) u[(INPUT_TILE * r + c) * plane + at] = gk[3 * r] * G[c][0] + gk[3 * r + 1] * G[c][1] + gk[3 * r + 2] * G[c][2];
            }
        }
    }
    return u;
}

/** Tiles of the 4×4 output grid: ⌈Ho/4⌉ × ⌈Wo/4⌉. */
export function winogradTiles(outputH: number, outputW: number): { tilesH: number; tilesW: number } {
    return { tilesH: Math.ceil(outputH / TILE), tilesW: Math.ceil(outputW / TILE) };
}

/**
 * Group j of a grouped conv's Winograd call (Compute.winograd with `groups`): its weights (U of C_out/g × C_in/g
 * per position, groups one after another, or its rows of the untransformed weight), where its input and output
 * start, and its epilogue (bias and residual moved to its channels). g.channels is a group's input channels.
 */
export function winogradGroup<W extends { readonly u: Float32Array } | { readonly weight: Float32Array }>(j: number, groups: number, g: ConvGeometry,
    weights: W, cout: number, xOffset: number, yOffset: number, epilogue: GemmOptions): { weights: W; cout: number; xOffset: number; yOffset: number; epilogue: GemmOptions } {
    const coutG = cout / groups;
    const cinG = g.channels;
    const outputPlane = g.output[0] * g.output[1] * g.output[2];
    const slice = (a: Float32Array, per: number) => a.subarray(j * per, (j + 1) * per);
    return {
        weights: ('u' in weights ? { u: slice(weights.u, WINOGRAD_POSITIONS * coutG * cinG) } : { weight: slice(weights.weight, coutG * cinG * 9) }) as W,
        cout: coutG,
        xOffset: xOffset + j * cinG * g.input[0] * g.input[1] * g.input[2],
        yOffset: yOffset + j * coutG * outputPlane,
        epilogue: { ...epilogue, biasOffset: (epilogue.biasOffset ?? 0) + j * coutG, residualOffset: (epilogue.residualOffset ?? 0) + j * coutG * outputPlane },
    };
}

/** Tiles of a conv's output plane: ⌈Ho/4⌉ · ⌈Wo/4⌉. */
export function winogradTileCount(g: ConvGeometry): number {
    const { tilesH, tilesW } = winogradTiles(g.output[1], g.output[2]);
    return tilesH * tilesW;
}

/** out = L · d · Lᵀ for an r×c matrix L and a c×c tile d (row-major), through `t` (r×c scratch). */
function sandwich(l: readonly (readonly number[])[], d: Float64Array, t: Float64Array, out: Float64Array): void {
    const r = l.length;
    const c = l[0].length;
    for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) {
            let s = 0;
            for (let k = 0; k < c; k++) s += l[i][k] * d[k * c + j];
            t[i * c + j] = s;
        }
    }
    for (let i = 0; i < r; i++) {
        for (let j = 0; j < r; j++) {
            let s = 0;
            for (let k = 0; k < c; k++) s += t[i * c + k] * l[j][k];
            out[i * r + j] = s;
        }
    }
}

/**
 * The conv of one image by Winograd F(4×4, 3×3) in TypeScript, with `gemm` for the 36 products: `u` the
 * transformed weights, `v` (36·C_in·tiles) and `m` (36·C_out·tiles) scratch, the epilogue applied as each output
 * is written. Edge tiles read zeros past the input and write only the outputs that exist.
 */
export function winogradConv(gemm: GemmKernel, x: Float32Array, xOffset: number, g: ConvGeometry, u: Float32Array, cout: number,
    y: Float32Array, yOffset: number, v: Float32Array, m: Float32Array, epilogue: GemmOptions): void {
    const [, H, W] = g.input;
    const [, Ho, Wo] = g.output;
    const cin = g.channels;
    const n = INPUT_TILE;
    const tile = TILE;
    const positions = WINOGRAD_POSITIONS;
    const { tilesH, tilesW } = winogradTiles(Ho, Wo);
    const tiles = tilesH * tilesW;
    const d = new Float64Array(positions);
    const t = new Float64Array(positions);
    const out = new Float64Array(positions);
    // V[ξ][c][tile] = (Bᵀ d B)[ξ].
    for (let c = 0; c < cin; c++) {
        const plane = xOffset + c * H * W;
        for (let th = 0; th < tilesH; th++) {
            for (let tw = 0; tw < tilesW; tw++) {
                const row0 = tile * th - g.padBegin[1];
                const col0 = tile * tw - g.padBegin[2];
                for (let i = 0; i < n; i++) {
                    const row = row0 + i;
                    for (let j = 0; j < n; j++) {
                        const col = col0 + j;
                        d[n * i + j] = row >= 0 && row < H && col >= 0 && col < W ? x[plane + row * W + col] : 0;
                    }
                }
                sandwich(BT, d, t, out);
                const where = c * tiles + th * tilesW + tw;
                for (let xi = 0; xi < positions; xi++) v[xi * cin * tiles + where] = out[xi];
            }
        }
    }
    // M[ξ] = U[ξ] · V[ξ]: C_out × tiles, for each position of the transformed tile.
    for (let xi = 0; xi < positions; xi++) {
        gemm(cout, tiles, cin, u, xi * cout * cin, cin, v, xi * cin * tiles, tiles, m, xi * cout * tiles, tiles, false);
    }
    // Y = Aᵀ M A per tile, then bias, residual, clamp and activation as in the GEMM's output loop.
    const { bias, biasOffset = 0, residual, residualOffset = 0, lo = -Infinity, hi = Infinity, activation } = epilogue;
    const P = Ho * Wo;
    for (let o = 0; o < cout; o++) {
        const shift = bias ? bias[biasOffset + o] : 0;
        for (let th = 0; th < tilesH; th++) {
            for (let tw = 0; tw < tilesW; tw++) {
                const where = o * tiles + th * tilesW + tw;
                for (let xi = 0; xi < positions; xi++) d[xi] = m[xi * cout * tiles + where];
                sandwich(AT, d, t, out);
                for (let i = 0; i < tile; i++) {
                    const row = tile * th + i;
                    if (row >= Ho) break;
                    for (let j = 0; j < tile; j++) {
                        const col = tile * tw + j;
                        if (col >= Wo) break;
                        const position = o * P + row * Wo + col;
                        let value = out[i * tile + j] + shift;
                        if (residual) value += residual[residualOffset + position];
                        y[yOffset + position] = Math.min(Math.max(value, lo), hi);
                    }
                }
            }
        }
        if (activation) activateRange(activation.op, activation.parameter, y, y, yOffset + o * P, yOffset + (o + 1) * P);
    }
}
