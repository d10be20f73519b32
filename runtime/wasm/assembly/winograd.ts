// Winograd F(4×4, 3×3) (Lavin & Gray, 2016), in AssemblyScript (see kernels.ts): the transforms around the 36
// GEMMs M[ξ] (C_out × tiles) = U[ξ] (C_out × C_in) · V[ξ] (C_in × tiles) — runtime/winograd.ts has the matrices
// and the TypeScript reference. A 3×3 stride-1 conv computes each 4×4 output tile from a 6×6 input tile d as
// Y = Aᵀ[U ⊙ (Bᵀ d B)]A: 36 multiplies per tile and channel pair instead of 144.
//     Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//     Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
// V and M are laid out [ξ][channel][tile], tiles row-major over the ⌈Ho/4⌉ × ⌈Wo/4⌉ grid: four horizontally
// adjacent tiles are four consecutive elements, so the transforms run on four tiles at once, one per lane.
//
// The transforms here serve both ways the engine runs a conv: block by block of tiles (winograd-blocks.ts, where
// U is packed) and, where it is not (C_out not a multiple of MR), as three jobs over the whole image —
// winogradInput, a batch of 36 GEMMs, winogradOutput.

import { BIAS, CLAMP, RESIDUAL } from './flags';
import { clamp4 } from './simd';
import { absorbedActivation, activate } from './activation';

/** Bytes of a thread's scratch the input transform uses: the 36 gathered vectors of four tiles. */
const GATHERED_BYTES: usize = 36 * 16;

/** Bᵀ applied to six vectors (x, x + step, …): the six results in place. 4·Bᵀ's rows, factored. */
@inline export function transformInput6(at: usize, step: usize): void {
    const d0 = v128.load(at), d1 = v128.load(at + step), d2 = v128.load(at + 2 * step);
    const d3 = v128.load(at + 3 * step), d4 = v128.load(at + 4 * step), d5 = v128.load(at + 5 * step);
    const four = f32x4.splat(4), two = f32x4.splat(2), five = f32x4.splat(5);
    const s12 = f32x4.add(d1, d2), s34 = f32x4.add(d3, d4);
    const d12 = f32x4.sub(d1, d2), d43 = f32x4.sub(d4, d3);
    const d31 = f32x4.sub(d3, d1), d42 = f32x4.sub(d4, d2);
    v128.store(at, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
    v128.store(at + step, f32x4.sub(s34, f32x4.mul(four, s12)));
    v128.store(at + 2 * step, f32x4.add(f32x4.mul(four, d12), d43));
    v128.store(at + 3 * step, f32x4.add(f32x4.mul(two, d31), d42));
    v128.store(at + 4 * step, f32x4.sub(d42, f32x4.mul(two, d31)));
    v128.store(at + 5 * step, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** Input element (ih, iw) of a plane, 0 outside the image. */
@inline export function element(plane: usize, W: i32, H: i32, ih: i32, iw: i32): f32 {
    return ih >= 0 && ih < H && iw >= 0 && iw < W ? load<f32>(plane + <usize>(ih * W + iw) * 4) : 0;
}

/**
 * Row i of four horizontally adjacent tiles — the 18 consecutive input elements at `row` — as six vectors at `at`
 * (vector j, lane k: tile k's element j): four loads and a transpose, where tile k's elements 4 and 5 are tile
 * k + 1's first two.
 */
@inline export function gatherFourTilesRow(row: usize, at: usize): void {
    const l0 = v128.load(row), l1 = v128.load(row, 16), l2 = v128.load(row, 32), l3 = v128.load(row, 48);
    const l4 = v128.load64_zero(row, 64);
    const a = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5), b = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7);
    const e = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5), f = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
    const e0 = v128.shuffle<f32>(a, e, 0, 1, 4, 5), e1 = v128.shuffle<f32>(a, e, 2, 3, 6, 7);
    const e2 = v128.shuffle<f32>(b, f, 0, 1, 4, 5), e3 = v128.shuffle<f32>(b, f, 2, 3, 6, 7);
    v128.store(at, e0); v128.store(at, e1, 16); v128.store(at, e2, 32); v128.store(at, e3, 48);
    v128.store(at, v128.shuffle<f32>(e0, l4, 1, 2, 3, 4), 64);
    v128.store(at, v128.shuffle<f32>(e1, l4, 1, 2, 3, 5), 80);
}

/**
 * V = Bᵀ d B for channels [c0, c1) of one image: tile (ty, tx) reads input rows 4ty − ph … +5 and columns
 * 4tx − pw … +5 (zero outside). Four tiles at a time: their 36 elements gathered into `scratch` as vectors
 * (lane k: tile tx + k) — by four loads and a transpose per row where the tiles lie inside the image, else one
 * element at a time — then Bᵀ on the columns and on the rows, and stored at V[ξ].
 */
export function winogradInput(x: usize, v: usize, c0: i32, c1: i32, channels: i32, H: i32, W: i32, ph: i32, pw: i32,
    tilesH: i32, tilesW: i32, scratch: usize): void {
    const tiles = tilesH * tilesW;
    const stride = <usize>channels * tiles * 4; // from V[ξ] to V[ξ + 1]
    const d = scratch;
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        const base = v + <usize>c * tiles * 4;
        for (let ty = 0; ty < tilesH; ty++) {
            const ih = 4 * ty - ph;
            const rowsInside = ih >= 0 && ih + 5 < H;
            for (let tx = 0; tx < tilesW; tx += 4) {
                const count = min(4, tilesW - tx);
                const iw = 4 * tx - pw;
                if (rowsInside && count == 4 && iw >= 0 && iw + 18 <= W) {
                    for (let i = 0; i < 6; i++) gatherFourTilesRow(plane + <usize>((ih + i) * W + iw) * 4, d + <usize>(6 * i) * 16);
                } else {
                    for (let i = 0; i < 6; i++) {
                        for (let j = 0; j < 6; j++) {
                            const at = d + <usize>(6 * i + j) * 16;
                            for (let k = 0; k < 4; k++) {
                                store<f32>(at + (<usize>k << 2), k < count ? element(plane, W, H, ih + i, iw + 4 * k + j) : 0);
                            }
                        }
                    }
                }
                // Bᵀ d: down each column j; then (Bᵀ d) B: along each row.
                for (let j = 0; j < 6; j++) transformInput6(d + <usize>j * 16, 6 * 16);
                for (let i = 0; i < 6; i++) transformInput6(d + <usize>(6 * i) * 16, 16);
                const to = base + <usize>(ty * tilesW + tx) * 4;
                if (count == 4) {
                    for (let xi = 0; xi < 36; xi++) v128.store(to + <usize>xi * stride, v128.load(d + <usize>xi * 16));
                } else {
                    for (let xi = 0; xi < 36; xi++) {
                        for (let k = 0; k < count; k++) store<f32>(to + <usize>xi * stride + (<usize>k << 2), load<f32>(d + <usize>xi * 16 + (<usize>k << 2)));
                    }
                }
            }
        }
    }
}

/** Aᵀ applied to six vectors (at, at + step, …): four results at out, out + outStep, …. */
@inline export function transformOutput6(at: usize, step: usize, out: usize, outStep: usize): void {
    const m0 = v128.load(at), m1 = v128.load(at + step), m2 = v128.load(at + 2 * step);
    const m3 = v128.load(at + 3 * step), m4 = v128.load(at + 4 * step), m5 = v128.load(at + 5 * step);
    const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
    v128.store(out, f32x4.add(f32x4.add(m0, a), c));
    v128.store(out + outStep, f32x4.add(b, f32x4.mul(f32x4.splat(2), e)));
    v128.store(out + 2 * outStep, f32x4.add(a, f32x4.mul(f32x4.splat(4), c)));
    v128.store(out + 3 * outStep, f32x4.add(f32x4.add(b, f32x4.mul(f32x4.splat(8), e)), m5));
}

/**
 * Four vectors at `at` transposed in place: y(r, 0…3) of four tiles (vector s: column s, lane k: tile k) become
 * each tile's row r (vector k: tile k's four columns).
 */
@inline export function transposeInPlace(at: usize): void {
    const s0 = v128.load(at), s1 = v128.load(at, 16), s2 = v128.load(at, 32), s3 = v128.load(at, 48);
    const a = v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), b = v128.shuffle<f32>(s0, s1, 2, 6, 3, 7);
    const e = v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), f = v128.shuffle<f32>(s2, s3, 2, 6, 3, 7);
    v128.store(at, v128.shuffle<f32>(a, e, 0, 1, 4, 5));
    v128.store(at, v128.shuffle<f32>(a, e, 2, 3, 6, 7), 16);
    v128.store(at, v128.shuffle<f32>(b, f, 0, 1, 4, 5), 32);
    v128.store(at, v128.shuffle<f32>(b, f, 2, 3, 6, 7), 48);
}

/**
 * Four outputs of a tile's row stored at `to` — only the first `inside` where the tile hangs over the right edge,
 * through `spare` (16 bytes) — after + bias (`shift`, and as a vector), + residual (`residual` bytes on) and the
 * clamp, as flags ask.
 */
@inline export function storeTileRow(values: v128, to: usize, inside: i32, flags: i32, shift: f32, shiftV: v128, residual: usize,
    lo: f32, hi: f32, loV: v128, hiV: v128, spare: usize): void {
    if (inside >= 4) {
        let value = f32x4.add(values, shiftV);
        if (flags & RESIDUAL) value = f32x4.add(value, v128.load(to + residual));
        if (flags & CLAMP) value = clamp4(value, loV, hiV);
        v128.store(to, value);
        return;
    }
    v128.store(spare, values);
    for (let s = 0; s < inside; s++) {
        let value = load<f32>(spare + (<usize>s << 2)) + shift;
        if (flags & RESIDUAL) value += load<f32>(to + (<usize>s << 2) + residual);
        if (flags & CLAMP) value = min(max(value, lo), hi);
        store<f32>(to + (<usize>s << 2), value);
    }
}

/**
 * Y = Aᵀ M A for output channels [c0, c1) of one image, then + bias, + residual (laid out as Y, `residual` bytes
 * after it), clamp or activation, as flags ask. Four tiles at a time through `scratch`: M's 36 vectors gathered, Aᵀ down the
 * columns (24 vectors), Aᵀ along the rows (16: y(r, s) of the four tiles), then each output row's four tiles
 * transposed back into consecutive columns; tiles hanging over the bottom or right edge write only their inside.
 */
export function winogradOutput(m: usize, y: usize, c0: i32, c1: i32, channels: i32, Ho: i32, Wo: i32, tilesH: i32, tilesW: i32,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32, scratch: usize): void {
    const tiles = tilesH * tilesW;
    const stride = <usize>channels * tiles * 4;
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    const gathered = scratch;                  // 36 vectors: M[ξ] of the four tiles
    const columns = scratch + GATHERED_BYTES;  // 24: (Aᵀ M), row r = 0…3, column j = 0…5
    const results = columns + 24 * 16;        // 16: y(r, s)
    const act = absorbedActivation(flags);
    for (let c = c0; c < c1; c++) {
        const base = m + <usize>c * tiles * 4;
        const out = y + <usize>c * Ho * Wo * 4;
        const shift: f32 = flags & BIAS ? load<f32>(bias + (<usize>c << 2)) : 0;
        const shiftV = f32x4.splat(shift);
        for (let ty = 0; ty < tilesH; ty++) {
            for (let tx = 0; tx < tilesW; tx += 4) {
                const count = min(4, tilesW - tx);
                const from = base + <usize>(ty * tilesW + tx) * 4;
                if (count == 4) {
                    for (let xi = 0; xi < 36; xi++) v128.store(gathered + <usize>xi * 16, v128.load(from + <usize>xi * stride));
                } else {
                    for (let xi = 0; xi < 36; xi++) {
                        for (let k = 0; k < 4; k++) {
                            store<f32>(gathered + <usize>xi * 16 + (<usize>k << 2), k < count ? load<f32>(from + <usize>xi * stride + (<usize>k << 2)) : 0);
                        }
                    }
                }
                for (let j = 0; j < 6; j++) transformOutput6(gathered + <usize>j * 16, 6 * 16, columns + <usize>j * 16, 6 * 16);
                for (let r = 0; r < 4; r++) transformOutput6(columns + <usize>(6 * r) * 16, 16, results + <usize>(4 * r) * 16, 16);
                for (let r = 0; r < 4; r++) {
                    const oh = 4 * ty + r;
                    if (oh >= Ho) break;
                    const row = results + <usize>(4 * r) * 16;
                    transposeInPlace(row);
                    const rowOut = out + <usize>(oh * Wo) * 4;
                    for (let k = 0; k < count; k++) {
                        const ow = 4 * (tx + k);
                        storeTileRow(v128.load(row + (<usize>k << 4)), rowOut + (<usize>ow << 2), Wo - ow, flags, shift, shiftV,
                            residual, lo, hi, loV, hiV, results + 16 * 16);
                    }
                }
            }
        }
        // An absorbed activation (SiLU, hardswish …) over the finished plane, while it is in cache.
        if (act) activate(act, out, out, 0, Ho * Wo, lo, hi);
    }
}
