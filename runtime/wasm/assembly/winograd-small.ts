// Winograd F(2×2, 3×3) (Lavin & Gray, 2016) for 3×3 stride-1 convs on planes too small for F(4×4)'s tiles
// (AssemblyScript; see kernels.ts). A 7×7 plane is four 4×4 tiles — half of one 8-tile GEMM panel, the other half
// computed for nothing — but sixteen 2×2 tiles: two whole panels, at 16 multiplies per tile and channel pair
// (36 × 8 padded for F(4×4)'s four tiles, 9 × 49 per pair for the direct conv). Such convs have large weights
// (512 → 512 channels on 7² in ResNet), so U is made as the conv runs, as winograd-blocks.ts's
// winogradChannelPanels does for F(4×4): V of every tile once, shared, then each part takes MR output channels
// at a time through their U (a depth block at a time, in its scratch), the 16 products and the output transform.
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//     G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   (winograd-weights.ts)
//     Aᵀ = [1 1 1 0; 0 1 −1 −1]
// Tiles are numbered row by row over the ⌈Ho/2⌉ × ⌈Wo/2⌉ grid; four consecutive tiles are the four lanes of a
// vector (a group may cross a row's end), and eight a GEMM panel, as in winograd-blocks.ts.

import { BIAS, CLAMP, RESIDUAL } from './flags';
import { absorbedActivation, activate } from './activation';
import { KC, MR, NR } from './gemm';
import { element } from './winograd';
import { positionProducts, zeroLastPanelHalf } from './winograd-blocks';
import { WEIGHT_TRANSFORM_BYTES, transformWeightPanel2 } from './winograd-weights';

const POSITIONS: i32 = 16;
const LINE: usize = 64;
/** A thread's vectors for the transforms: 16 gathered, 8 after Aᵀ down the columns, 4 results. */
const TRANSFORM_BYTES: i32 = (16 + 8 + 4) * 16;

/** Bᵀ applied to four vectors (at, at + step, …), in place. */
@inline function transformInput4(at: usize, step: usize): void {
    const d0 = v128.load(at), d1 = v128.load(at + step), d2 = v128.load(at + 2 * step), d3 = v128.load(at + 3 * step);
    v128.store(at, f32x4.sub(d0, d2));
    v128.store(at + step, f32x4.add(d1, d2));
    v128.store(at + 2 * step, f32x4.sub(d2, d1));
    v128.store(at + 3 * step, f32x4.sub(d1, d3));
}

/** Aᵀ applied to four vectors (at, at + step, …): two results at out and out + outStep. */
@inline function transformOutput4(at: usize, step: usize, out: usize, outStep: usize): void {
    const m0 = v128.load(at), m1 = v128.load(at + step), m2 = v128.load(at + 2 * step), m3 = v128.load(at + 3 * step);
    v128.store(out, f32x4.add(f32x4.add(m0, m1), m2));
    v128.store(out + outStep, f32x4.sub(f32x4.sub(m1, m2), m3));
}

/** Bytes from V[ξ] to V[ξ + 1]: `panels` panels of 8 tiles over C_in channels, and a cache line (winograd-blocks.ts says why). */
@inline function vPositionBytesOf(panels: i32, cin: i32): usize {
    return <usize>panels * cin * NR * 4 + LINE;
}

/** Bytes of the shared V of `tiles` tiles over C_in channels. */
export function winograd2PanelsBytes(cin: i32, tiles: i32): i32 {
    return POSITIONS * <i32>vPositionBytesOf((tiles + NR - 1) / NR, cin);
}

/** Bytes from one U[ξ] depth block to the next in a part's scratch. */
const U_POSITION_BYTES: usize = <usize>KC * MR * 4 + LINE;

/** Bytes of a thread's scratch winograd2ChannelPanels takes for `tiles` tiles. */
export function winograd2ChannelScratchBytes(tiles: i32): i32 {
    const nt = (tiles + NR - 1) / NR * NR;
    return POSITIONS * <i32>U_POSITION_BYTES + POSITIONS * (MR * nt * 4 + <i32>LINE) + TRANSFORM_BYTES + MR * NR * 4 + WEIGHT_TRANSFORM_BYTES;
}

/**
 * V = Bᵀ d B of channels [c0, c1) of every tile of one image (x: C_in planes of H × W, padded by ph, pw before) as
 * the GEMM's packed B: panel p (8 tiles) of position ξ holds C_in rows of 8 at
 * v + ξ · vPositionBytesOf(panels, C_in) + (p · C_in + c) · 8 floats.
 */
export function winograd2InputPanels(x: usize, c0: i32, c1: i32, cin: i32, H: i32, W: i32, ph: i32, pw: i32, tilesH: i32, tilesW: i32,
    v: usize, scratch: usize): void {
    const tiles = tilesH * tilesW;
    const panels = (tiles + NR - 1) / NR;
    const vPositionBytes = vPositionBytesOf(panels, cin);
    const d = scratch; // 16 vectors: element (i, j) of four tiles' 4×4 input windows at 4i + j, lane k: tile q + k
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        for (let q = 0; q < tiles; q += 4) {
            for (let k = 0; k < 4; k++) {
                const f = q + k;
                const ty = f / tilesW, tx = f - ty * tilesW;
                const ih = 2 * ty - ph, iw = 2 * tx - pw;
                for (let e = 0; e < 16; e++) {
                    store<f32>(d + (<usize>e << 4) + (<usize>k << 2), f < tiles ? element(plane, W, H, ih + (e >> 2), iw + (e & 3)) : 0);
                }
            }
            // Bᵀ d: down each column j; then (Bᵀ d) B: along each row.
            for (let j = 0; j < 4; j++) transformInput4(d + <usize>j * 16, 4 * 16);
            for (let i = 0; i < 4; i++) transformInput4(d + <usize>(4 * i) * 16, 16);
            const to = v + (<usize>((q >> 3) * cin + c) * NR + <usize>(q & 7)) * 4;
            for (let xi = 0; xi < POSITIONS; xi++) v128.store(to + <usize>xi * vPositionBytes, v128.load(d + <usize>xi * 16));
        }
    }
    zeroLastPanelHalf(v, tiles, cin, c0, c1, POSITIONS, vPositionBytes);
}

/**
 * The conv's output channels [r0, r1) (whole panels of MR) over every tile, from the shared V (winograd2InputPanels)
 * and the conv's weight g [C_out, C_in, 3, 3]: y is one image's C_out planes of Ho × Wo, finished with bias,
 * residual (`residual` bytes after y), clamp or activation as flags ask.
 */
export function winograd2ChannelPanels(v: usize, cin: i32, tilesH: i32, tilesW: i32, g: usize, cout: i32,
    y: usize, Ho: i32, Wo: i32, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, r0: i32, r1: i32, scratch: usize): void {
    const tiles = tilesH * tilesW;
    const panels = (tiles + NR - 1) / NR;
    const nt = panels * NR;
    const vPositionBytes = vPositionBytesOf(panels, cin);
    const u = scratch;
    // M[ξ]: MR rows of nt tiles.
    const m = u + <usize>POSITIONS * U_POSITION_BYTES;
    const ldcBytes = <usize>nt * 4;
    const mPositionBytes = <usize>MR * ldcBytes + LINE;
    const gathered = m + <usize>POSITIONS * mPositionBytes; // 16 vectors: M[ξ] of four tiles
    const columns = gathered + 16 * 16;                     // 8: (Aᵀ M), row r = 0, 1, column j = 0…3
    const results = columns + 8 * 16;                       // 4: y(r, s) at 2r + s
    const edge = results + 4 * 16;
    const weightWork = edge + MR * NR * 4;
    const act = absorbedActivation(flags);
    for (let ir = r0; ir < r1; ir += MR) {
        const rows = min(MR, cout - ir);
        for (let p0 = 0; p0 < cin; p0 += KC) {
            const kc = min(KC, cin - p0);
            transformWeightPanel2(g, cout, cin, ir, p0, kc, u, U_POSITION_BYTES, weightWork);
            positionProducts(POSITIONS, kc, p0, cin, panels, rows, u, U_POSITION_BYTES, v, vPositionBytes, m, mPositionBytes, ldcBytes, edge);
        }
        for (let o = ir; o < ir + rows; o++) {
            const out = y + <usize>o * Ho * Wo * 4;
            const shift: f32 = flags & BIAS ? load<f32>(bias + (<usize>o << 2)) : 0;
            const from = m + <usize>(o - ir) * ldcBytes;
            for (let q = 0; q < tiles; q += 4) {
                for (let xi = 0; xi < POSITIONS; xi++) v128.store(gathered + <usize>xi * 16, v128.load(from + <usize>xi * mPositionBytes + (<usize>q << 2)));
                for (let j = 0; j < 4; j++) transformOutput4(gathered + <usize>j * 16, 4 * 16, columns + <usize>j * 16, 4 * 16);
                for (let r = 0; r < 2; r++) transformOutput4(columns + <usize>(4 * r) * 16, 16, results + <usize>(2 * r) * 16, 16);
                for (let k = 0; k < min(4, tiles - q); k++) {
                    const ty = (q + k) / tilesW, tx = q + k - ty * tilesW;
                    for (let e = 0; e < 4; e++) {
                        const oh = 2 * ty + (e >> 1), ow = 2 * tx + (e & 1);
                        if (oh >= Ho || ow >= Wo) continue;
                        const to = out + (<usize>(oh * Wo + ow) << 2);
                        let value = load<f32>(results + (<usize>e << 4) + (<usize>k << 2)) + shift;
                        if (flags & RESIDUAL) value += load<f32>(to + residual);
                        if (flags & CLAMP) value = min(max(value, lo), hi);
                        store<f32>(to, value);
                    }
                }
            }
            // An absorbed activation (SiLU, hardswish …) over the finished plane, while it is in cache.
            if (act) activate(act, out, out, 0, Ho * Wo, lo, hi);
        }
    }
}
