// Winograd F(4×4, 3×3) on a small plane (planes under 28²: language/analysis/engine-rules.ts), its tiles as the
// GEMM's rows (AssemblyScript; see kernels.ts): the 36 products M[ξ]ᵀ (tiles × C_out) = V[ξ]ᵀ (tiles × C_in) ·
// U[ξ]ᵀ (C_in × C_out). A 7×7 plane is four 4×4 tiles: one MR-row panel of the micro-kernel exactly, where as its
// columns (as winograd-blocks.ts has them) they would fill half of an 8-wide panel, the other half computed for
// nothing. 36 products of four tiles are 144 per channel pair, against 256 for F(2×2, 3×3)'s sixteen 2×2 tiles
// and 441 for the direct conv's 49 positions. Measured against the ways this replaced (one thread, 256 → 256
// channels; 2-core AMD EPYC, December 2026): F(2×2) on 8², 10², 12² 1.16, 2.08–2.28, 2.66–2.70 ms against 0.93,
// 1.86–1.89, 1.90 this way; F(4×4) with tiles as columns on 14², 17², 20² 2.40, 4.27–4.51, 4.37–4.45 against 2.42,
// 3.91–4.01, 3.94–4.06 (512 → 512 on 7²: 4.2–4.5 against 3.5–3.6).
//
// U is made as the conv runs (these convs have large weights: 512 → 512 channels on 7² in ResNet): V of every
// tile once, shared (winogradRowsInput), then each part takes NR output channels at a time through their U — made
// a depth block at a time into the part's scratch, each U[ξ]ᵀ a packed B panel — the 36 products for every panel
// of four tiles, and the output transform, four channels a vector.

import { BIAS } from './flags';
import { absorbedActivation, activate } from './activation';
import { KC, MR, NR, microKernel } from './gemm';
import { storeTileRow, transformInput6, transformOutput6, transposeInPlace } from './winograd';
import { TRANSFORM_BYTES, gatherInput, tileTables } from './winograd-blocks';
import { WEIGHT_TRANSFORM_BYTES, transformWeightPanel } from './winograd-weights';

const POSITIONS: i32 = 36;
/** A cache line between positions' parts, so that 36 stores a power of two apart do not share L1's sets (winograd-blocks.ts). */
const LINE: usize = 64;

/** Tiles rounded up to whole MR-row panels. */
@inline function paddedTiles(tiles: i32): i32 {
    return (tiles + MR - 1) / MR * MR;
}

/** Bytes from V[ξ]ᵀ to V[ξ + 1]ᵀ: panels of MR tiles, C_in rows of MR floats each, and a line. */
@inline function vPositionBytesOf(tiles: i32, cin: i32): usize {
    return <usize>paddedTiles(tiles) * cin * 4 + LINE;
}

/** Bytes from one U[ξ]ᵀ depth block to the next in a part's scratch: kc rows of NR, and a line. */
@inline function uPositionBytesOf(kc: i32): usize {
    return <usize>kc * NR * 4 + LINE;
}

/** Bytes of the shared V of `tiles` tiles over C_in channels (winogradRowsInput, winogradRowsChannelPanels). */
export function winogradRowsBytes(cin: i32, tiles: i32): i32 {
    return POSITIONS * <i32>vPositionBytesOf(tiles, cin);
}

/** Bytes of a thread's scratch winogradRowsChannelPanels takes for `tiles` tiles. */
export function winogradRowsScratchBytes(tiles: i32): i32 {
    const nt = paddedTiles(tiles);
    return POSITIONS * <i32>uPositionBytesOf(KC) + POSITIONS * (nt * NR * 4 + <i32>LINE) + TRANSFORM_BYTES + MR * NR * 4 + 4 * nt * 4
        + WEIGHT_TRANSFORM_BYTES;
}

/**
 * V[ξ]ᵀ of channels [c0, c1) of every tile of one image as packed A panels: panel p (tiles 4p … 4p + 3) of
 * position ξ holds C_in rows of MR floats at v + ξ · vPositionBytesOf(tiles, C_in) + (p · C_in + c) · 16 bytes;
 * lanes past the last tile are zero.
 */
export function winogradRowsInput(x: usize, c0: i32, c1: i32, cin: i32, H: i32, W: i32, ph: i32, pw: i32, tilesH: i32, tilesW: i32,
    v: usize, scratch: usize): void {
    const tiles = tilesH * tilesW;
    const nt = paddedTiles(tiles);
    const vPositionBytes = vPositionBytesOf(tiles, cin);
    const work = scratch;
    const tables = scratch + TRANSFORM_BYTES;
    tileTables(0, tiles, nt, tilesW, ph, pw, tables);
    const ihs = tables, iws = tables + (<usize>nt << 2);
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        for (let q = 0; q < tiles; q += MR) {
            gatherInput(plane, H, W, ihs + (<usize>q << 2), iws + (<usize>q << 2), min(MR, tiles - q), work);
            // Bᵀ d: down each column j; then (Bᵀ d) B: along each row.
            for (let j = 0; j < 6; j++) transformInput6(work + <usize>j * 16, 6 * 16);
            for (let i = 0; i < 6; i++) transformInput6(work + <usize>(6 * i) * 16, 16);
            const to = v + <usize>((q / MR) * cin + c) * MR * 4;
            for (let xi = 0; xi < POSITIONS; xi++) v128.store(to + <usize>xi * vPositionBytes, v128.load(work + <usize>xi * 16));
        }
    }
}

/**
 * U[ξ]ᵀ of output channels jr … jr + NR over depths p0 … p0 + kc as B panels at u (ξ's at ξ · uPositionBytes): two
 * MR-channel halves side by side in each row of NR; a half past C_out is zeros.
 */
function transformWeightColumns(g: usize, cout: i32, cin: i32, jr: i32, p0: i32, kc: i32, u: usize, uPositionBytes: usize, work: usize): void {
    transformWeightPanel(g, cout, cin, jr, p0, kc, u, uPositionBytes, work, NR * 4);
    if (jr + MR < cout) {
        transformWeightPanel(g, cout, cin, jr + MR, p0, kc, u + MR * 4, uPositionBytes, work, NR * 4);
        return;
    }
    const zero = f32x4.splat(0);
    for (let xi = 0; xi < POSITIONS; xi++) {
        const half = u + <usize>xi * uPositionBytes + MR * 4;
        for (let c = 0; c < kc; c++) v128.store(half + <usize>c * NR * 4, zero);
    }
}

/**
 * Y = Aᵀ M A of output channels jr … jr + cols over every tile, four channels a vector, finished with bias,
 * residual (`residual` bytes after y), clamp or activation as flags ask: M[ξ]ᵀ's row for tile t at
 * m + ξ · mPositionBytes + t · NR · 4 bytes, one float per channel.
 */
function transformOutputColumns(m: usize, mPositionBytes: usize, jr: i32, cols: i32, y: usize, Ho: i32, Wo: i32,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, tiles: i32, nt: i32, tables: usize, work: usize): void {
    const ohs = tables + (<usize>(2 * nt) << 2), ows = tables + (<usize>(3 * nt) << 2);
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    const gathered = work;
    const columns = gathered + 36 * 16; // (Aᵀ M): row r = 0…3, column j = 0…5
    const results = columns + 24 * 16; // y(r, s), lane k: channel h + k
    const spare = results + 16 * 16;
    const plane = <usize>Ho * Wo * 4;
    for (let h = 0; h < cols; h += MR) {
        const count = min(MR, cols - h);
        for (let t = 0; t < tiles; t++) {
            const from = m + <usize>t * NR * 4 + (<usize>h << 2);
            for (let xi = 0; xi < POSITIONS; xi++) v128.store(gathered + <usize>xi * 16, v128.load(from + <usize>xi * mPositionBytes));
            for (let j = 0; j < 6; j++) transformOutput6(gathered + <usize>j * 16, 6 * 16, columns + <usize>j * 16, 6 * 16);
            for (let r = 0; r < 4; r++) transformOutput6(columns + <usize>(6 * r) * 16, 16, results + <usize>(4 * r) * 16, 16);
            const oh0 = load<i32>(ohs + (<usize>t << 2)), ow = load<i32>(ows + (<usize>t << 2));
            for (let r = 0; r < 4 && oh0 + r < Ho; r++) {
                const row = results + <usize>(4 * r) * 16;
                // Vector k becomes channel h + k's four columns of row r.
                transposeInPlace(row);
                for (let k = 0; k < count; k++) {
                    const o = jr + h + k;
                    const shift: f32 = flags & BIAS ? load<f32>(bias + (<usize>o << 2)) : 0;
                    storeTileRow(v128.load(row + (<usize>k << 4)), y + <usize>o * plane + (<usize>((oh0 + r) * Wo + ow) << 2), Wo - ow, flags,
                        shift, f32x4.splat(shift), residual, lo, hi, loV, hiV, spare);
                }
            }
        }
    }
    // An absorbed activation (SiLU, hardswish …) over each finished plane, while it is in cache.
    const act = absorbedActivation(flags);
    if (act) {
        for (let o = jr; o < jr + cols; o++) activate(act, y + <usize>o * plane, y + <usize>o * plane, 0, Ho * Wo, lo, hi);
    }
}

/**
 * The conv's output channels [r0, r1) (whole panels of NR, but at C_out's end) over every tile, from the shared V
 * (winogradRowsInput, over `vChannels` channels: a grouped conv's V holds every group's, and `v` is where this
 * group's C_in start) and the conv's weight g [C_out, C_in, 3, 3]; y is one image's C_out planes of Ho × Wo,
 * finished with bias, residual (`residual` bytes after y), clamp or activation as flags ask.
 */
export function winogradRowsChannelPanels(v: usize, cin: i32, vChannels: i32, tilesH: i32, tilesW: i32, g: usize, cout: i32,
    y: usize, Ho: i32, Wo: i32, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, r0: i32, r1: i32, scratch: usize): void {
    const tiles = tilesH * tilesW;
    const nt = paddedTiles(tiles);
    const vPositionBytes = vPositionBytesOf(tiles, vChannels);
    const u = scratch;
    const uPositionBytes = uPositionBytesOf(KC);
    // M[ξ]ᵀ: nt rows of NR channels.
    const m = u + <usize>POSITIONS * uPositionBytes;
    const ldcBytes: usize = NR * 4;
    const mPositionBytes = <usize>nt * ldcBytes + LINE;
    const work = m + <usize>POSITIONS * mPositionBytes;
    const edge = work + <usize>TRANSFORM_BYTES;
    const tables = edge + MR * NR * 4;
    const weightWork = tables + (<usize>(4 * nt) << 2);
    tileTables(0, tiles, nt, tilesW, 0, 0, tables); // only the outputs' rows and columns are read
    for (let jr = r0; jr < r1; jr += NR) {
        const cols = min(NR, cout - jr);
        for (let p0 = 0; p0 < cin; p0 += KC) {
            const kc = min(KC, cin - p0);
            transformWeightColumns(g, cout, cin, jr, p0, kc, u, uPositionBytes, weightWork);
            for (let xi = 0; xi < POSITIONS; xi++) {
                const uXi = u + <usize>xi * uPositionBytes, vXi = v + <usize>xi * vPositionBytes, mXi = m + <usize>xi * mPositionBytes;
                // Whole tiles with their size a constant (the inlined micro-kernel then has no edge code), then the rest.
                const fullTiles = cols == NR ? tiles / MR * MR : 0;
                for (let q = 0; q < fullTiles; q += MR) {
                    microKernel(kc, vXi + <usize>((q / MR) * vChannels + p0) * MR * 4, uXi, mXi + <usize>q * ldcBytes, ldcBytes,
                        MR, NR, p0 > 0, false, 0, 0, 0, 0, 0, edge);
                }
                for (let q = fullTiles; q < tiles; q += MR) {
                    microKernel(kc, vXi + <usize>((q / MR) * vChannels + p0) * MR * 4, uXi, mXi + <usize>q * ldcBytes, ldcBytes,
                        min(MR, tiles - q), cols, p0 > 0, false, 0, 0, 0, 0, 0, edge);
                }
            }
        }
        transformOutputColumns(m, mPositionBytes, jr, cols, y, Ho, Wo, flags, bias, residual, lo, hi, tiles, nt, tables, work);
    }
}
