// Winograd F(4×4, 3×3) a block of tiles at a time, on U made when the run was prepared (AssemblyScript; see
// kernels.ts, and winograd.ts for the transforms; winograd-rows.ts has small planes', on U made as they run). A thread takes a block of `nt` output tiles through all three steps — V = Bᵀ d B of its tiles for
// every input channel, the 36 products M[ξ] = U[ξ] · V[ξ], Y = Aᵀ M A for every output channel — in its own
// scratch, so V and M of the block never leave its cache. Done as three jobs over the whole image (winograd.ts),
// V and M of a 56² plane with 64 channels are 1.8 MB each: they go through memory, and a step split by channels
// hands the next, split by tiles, what the other thread wrote.
//
// Tiles are numbered row by row over the ⌈Ho/4⌉ × ⌈Wo/4⌉ grid, and a block is a run of those numbers, so that
// its GEMMs have whole panels of 8 tiles but at the image's end; a block's four-tile groups may cross a row's end.

import { BIAS } from './flags';
import { absorbedActivation, activate } from './activation';
import { KC, MR, NR, microKernel, paddedRows } from './gemm';
import { element, gatherFourTilesRow, storeTileRow, transformInput6, transposeInPlace, transformOutput6 } from './winograd';

const POSITIONS: i32 = 36;
const LINE: usize = 64;
/** A thread's vectors for the transforms: 36 gathered, 24 after Aᵀ down the columns, 16 results, one spare. */
export const TRANSFORM_BYTES: i32 = (36 + 24 + 16 + 1) * 16;

/**
 * Bytes of a thread's scratch for blocks of `nt` tiles (a multiple of NR): V and M of a block, the transforms,
 * an edge tile and the tiles' positions.
 */
export function winogradBlockScratchBytes(cin: i32, cout: i32, nt: i32): i32 {
    return POSITIONS * ((cin + cout) * nt * 4 + 2 * <i32>LINE) + TRANSFORM_BYTES + MR * NR * 4 + 4 * nt * 4;
}

/**
 * The 36 input elements of a group of four tiles (count of them real, the other lanes 0) as vectors at `d`:
 * vector 6i + j, lane k holds row i, column j of tile k's 6×6 input window, which starts at row ih[k] and column
 * iw[k] (i32 tables at `ih` and `iw`, zero outside the image). Four adjacent tiles inside the image are one
 * row-wise gather; otherwise tile by tile, checking bounds only for a window over the image's edge.
 */
@inline export function gatherInput(plane: usize, H: i32, W: i32, ih: usize, iw: usize, count: i32, d: usize): void {
    const ih0 = load<i32>(ih), iw0 = load<i32>(iw);
    if (count == 4 && load<i32>(ih, 12) == ih0 && load<i32>(iw, 12) == iw0 + 12 && ih0 >= 0 && ih0 + 6 <= H && iw0 >= 0 && iw0 + 18 <= W) {
        for (let i = 0; i < 6; i++) gatherFourTilesRow(plane + <usize>((ih0 + i) * W + iw0) * 4, d + <usize>(6 * i) * 16);
        return;
    }
    for (let k = 0; k < 4; k++) {
        const at = d + (<usize>k << 2);
        if (k >= count) {
            for (let e = 0; e < 36; e++) store<f32>(at + <usize>e * 16, 0);
            continue;
        }
        const ihk = load<i32>(ih + (<usize>k << 2)), iwk = load<i32>(iw + (<usize>k << 2));
        if (ihk >= 0 && ihk + 6 <= H && iwk >= 0 && iwk + 6 <= W) {
            for (let i = 0; i < 6; i++) {
                const row = plane + <usize>((ihk + i) * W + iwk) * 4;
                const to = at + <usize>(6 * i) * 16;
                for (let j = 0; j < 6; j++) store<f32>(to + <usize>j * 16, load<f32>(row + (<usize>j << 2)));
            }
        } else {
            for (let i = 0; i < 6; i++) {
                for (let j = 0; j < 6; j++) store<f32>(at + <usize>(6 * i + j) * 16, element(plane, W, H, ihk + i, iwk + j));
            }
        }
    }
}

/**
 * Each tile's input window (row, column) and output (row, column) for tiles f0 … f0 + nb, worked out once for
 * every channel: four i32 tables of nt entries from `tables` (ih, iw, oh, ow).
 */
@inline export function tileTables(f0: i32, nb: i32, nt: i32, tilesW: i32, ph: i32, pw: i32, tables: usize): void {
    const iws = tables + (<usize>nt << 2), ohs = iws + (<usize>nt << 2), ows = ohs + (<usize>nt << 2);
    for (let k = 0; k < nb; k++) {
        const ty = (f0 + k) / tilesW, tx = f0 + k - ty * tilesW;
        store<i32>(tables + (<usize>k << 2), 4 * ty - ph);
        store<i32>(iws + (<usize>k << 2), 4 * tx - pw);
        store<i32>(ohs + (<usize>k << 2), 4 * ty);
        store<i32>(ows + (<usize>k << 2), 4 * tx);
    }
}

/** Bytes from V[ξ] to V[ξ + 1] for `panels` panels of 8 tiles over C_in channels (see transformInputPanels). */
@inline function vPositionBytesOf(panels: i32, cin: i32): usize {
    return <usize>panels * cin * NR * 4 + LINE;
}

/**
 * V = Bᵀ d B of channels [c0, c1) of nb tiles (the tables' first nb) as the GEMM's packed B: panel p (8 tiles) of
 * position ξ holds C_in rows of 8 at v + ξ · vPositionBytesOf(panels, C_in) + ((p · C_in + c) · 8) floats. Each
 * position's part is a cache line longer than it needs: parts a power of two apart (4 KiB for 64 channels)
 * would put the 36 vectors a transform stores or loads in the same set of L1's lines.
 */
function transformInputPanels(x: usize, c0: i32, c1: i32, cin: i32, H: i32, W: i32, nb: i32, nt: i32, tables: usize, v: usize, work: usize): void {
    const panels = (nb + NR - 1) / NR;
    const vPositionBytes = vPositionBytesOf(panels, cin);
    const ihs = tables, iws = tables + (<usize>nt << 2);
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        for (let q = 0; q < nb; q += 4) {
            gatherInput(plane, H, W, ihs + (<usize>q << 2), iws + (<usize>q << 2), min(4, nb - q), work);
            // Bᵀ d: down each column j; then (Bᵀ d) B: along each row.
            for (let j = 0; j < 6; j++) transformInput6(work + <usize>j * 16, 6 * 16);
            for (let i = 0; i < 6; i++) transformInput6(work + <usize>(6 * i) * 16, 16);
            const to = v + (<usize>((q >> 3) * cin + c) * NR + <usize>(q & 7)) * 4;
            for (let xi = 0; xi < POSITIONS; xi++) v128.store(to + <usize>xi * vPositionBytes, v128.load(work + <usize>xi * 16));
        }
    }
    zeroLastPanelHalf(v, nb, cin, c0, c1, POSITIONS, vPositionBytes);
}

/**
 * A last panel of V half written (nb tiles, nb mod 8 in 1 … 4) holds stale floats in its other half: zeros there
 * for channels [c0, c1) of each of `positions` positions, so that no denormal or NaN slows its products (their
 * results are never read).
 */
function zeroLastPanelHalf(v: usize, nb: i32, cin: i32, c0: i32, c1: i32, positions: i32, vPositionBytes: usize): void {
    if ((nb & 7) == 0 || (nb & 7) > 4) return;
    const half = v + (<usize>((nb >> 3) * cin) * NR + 4) * 4;
    for (let xi = 0; xi < positions; xi++) {
        for (let c = c0; c < c1; c++) v128.store(half + <usize>xi * vPositionBytes + <usize>c * NR * 4, f32x4.splat(0));
    }
}

/**
 * Y = Aᵀ M A of output channels [o0, o1) over the nb tiles of the tables (from f0), finished with bias, residual
 * (`residual` bytes after y), clamp or activation as flags ask: M[ξ]'s row for channel o at
 * m + ξ · mPositionBytes + (o − o0) · ldcBytes, one float per tile.
 */
function transformOutputTiles(m: usize, mPositionBytes: usize, ldcBytes: usize, o0: i32, o1: i32, y: usize, Ho: i32, Wo: i32,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, f0: i32, nb: i32, nt: i32, tilesW: i32, tables: usize, work: usize): void {
    const ohs = tables + (<usize>(2 * nt) << 2), ows = tables + (<usize>(3 * nt) << 2);
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    const gathered = work;
    const columns = gathered + 36 * 16; // (Aᵀ M): row r = 0…3, column j = 0…5
    const results = columns + 24 * 16; // y(r, s)
    const spare = results + 16 * 16;
    const act = absorbedActivation(flags);
    for (let o = o0; o < o1; o++) {
        const out = y + <usize>o * Ho * Wo * 4;
        const shift: f32 = flags & BIAS ? load<f32>(bias + (<usize>o << 2)) : 0;
        const shiftV = f32x4.splat(shift);
        const from = m + <usize>(o - o0) * ldcBytes;
        for (let q = 0; q < nb; q += 4) {
            const count = min(4, nb - q);
            for (let xi = 0; xi < POSITIONS; xi++) v128.store(gathered + <usize>xi * 16, v128.load(from + <usize>xi * mPositionBytes + (<usize>q << 2)));
            for (let j = 0; j < 6; j++) transformOutput6(gathered + <usize>j * 16, 6 * 16, columns + <usize>j * 16, 6 * 16);
            for (let r = 0; r < 4; r++) transformOutput6(columns + <usize>(6 * r) * 16, 16, results + <usize>(4 * r) * 16, 16);
            for (let r = 0; r < 4; r++) {
                const row = results + <usize>(4 * r) * 16;
                transposeInPlace(row);
                for (let k = 0; k < count; k++) {
                    const oh = load<i32>(ohs + (<usize>(q + k) << 2)) + r;
                    if (oh >= Ho) continue;
                    const ow = load<i32>(ows + (<usize>(q + k) << 2));
                    storeTileRow(v128.load(row + (<usize>k << 4)), out + (<usize>(oh * Wo + ow) << 2), Wo - ow, flags, shift, shiftV,
                        residual, lo, hi, loV, hiV, spare);
                }
            }
        }
        // An absorbed activation (SiLU, hardswish …) over the tiles' outputs of this channel while they are in
        // cache: row by row over each run of the tiles within one tile row.
        if (act) {
            for (let f = f0; f < f0 + nb;) {
                const ty = f / tilesW, tx = f - ty * tilesW;
                const run = min(tilesW - tx, f0 + nb - f);
                const c0 = 4 * tx, c1 = min(Wo, 4 * (tx + run));
                for (let oh = 4 * ty; oh < min(Ho, 4 * ty + 4); oh++) activate(act, out, out, oh * Wo + c0, oh * Wo + c1, lo, hi);
                f += run;
            }
        }
    }
}

/**
 * The conv's output for tiles f0 … f0 + nb (nb ≤ nt): x is one image's C_in planes of H × W, padded by ph, pw
 * before; u holds U[ξ] (C_out × C_in) packed for the GEMM (gemm.ts's packMatrix) at ξ · paddedRows(C_out) · C_in
 * floats; y is one image's C_out planes of Ho × Wo, finished with bias, residual (`residual` bytes after y),
 * clamp or activation as flags ask.
 */
export function winogradBlock(x: usize, cin: i32, H: i32, W: i32, ph: i32, pw: i32, tilesW: i32, u: usize, cout: i32,
    y: usize, Ho: i32, Wo: i32, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32,
    f0: i32, nb: i32, nt: i32, scratch: usize): void {
    const panels = (nb + NR - 1) / NR;
    const v = scratch;
    const vPositionBytes = vPositionBytesOf(panels, cin);
    // M[ξ]: C_out rows of nt tiles.
    const m = v + <usize>POSITIONS * (cin * nt * 4 + LINE);
    const ldcBytes = <usize>nt * 4;
    const mPositionBytes = <usize>cout * ldcBytes + LINE;
    const work = m + <usize>POSITIONS * mPositionBytes;
    const edge = work + <usize>TRANSFORM_BYTES;
    const tables = edge + MR * NR * 4;
    tileTables(f0, nb, nt, tilesW, ph, pw, tables);
    transformInputPanels(x, 0, cin, cin, H, W, nb, nt, tables, v, work);

    const rows = paddedRows(cout);
    const uPositionBytes = <usize>rows * cin * 4;
    for (let xi = 0; xi < POSITIONS; xi++) {
        const uXi = u + <usize>xi * uPositionBytes, vXi = v + <usize>xi * vPositionBytes, mXi = m + <usize>xi * mPositionBytes;
        for (let p0 = 0; p0 < cin; p0 += KC) {
            const kc = min(KC, cin - p0);
            // U is packed only where C_out is a multiple of MR (packInPlace, runtime/fusion.ts): every row panel is
            // whole, and with its size a constant the inlined micro-kernel has no edge code.
            for (let ir = 0; ir < cout; ir += MR) {
                // U[ξ]'s panel of rows ir … ir + 3 over depths p0 … p0 + kc, as packMatrix lays it out.
                const pa = uXi + <usize>(p0 * rows + ir * kc) * 4;
                for (let jr = 0; jr < panels; jr++) {
                    microKernel(kc, pa, vXi + <usize>(jr * cin + p0) * NR * 4, mXi + <usize>ir * ldcBytes + (<usize>(jr * NR) << 2), ldcBytes,
                        MR, NR, p0 > 0, false, 0, 0, 0, 0, 0, edge);
                }
            }
        }
    }
    transformOutputTiles(m, mPositionBytes, ldcBytes, 0, cout, y, Ho, Wo, flags, bias, residual, lo, hi, f0, nb, nt, tilesW, tables, work);
}
