// Winograd F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016), in
// AssemblyScript (see kernels.ts).
//
// A 3×3 stride-1 conv computes each 2×2 output tile from a 4×4 input tile d as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A:
// 16 multiplies per tile and channel pair instead of 36. With U = G g Gᵀ (made once per conv, runtime/winograd.ts)
// and V = Bᵀ d B, the 16 elementwise products summed over input channels are 16 GEMMs,
// M[ξ] (C_out × tiles) = U[ξ] (C_out × C_in) · V[ξ] (C_in × tiles), then Y = Aᵀ M A per tile.
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]      Aᵀ = [1 1 1 0; 0 1 −1 −1]
// V and M are laid out [ξ][channel][tile], tiles row-major over the ⌈Ho/2⌉ × ⌈Wo/2⌉ grid, so four horizontally
// adjacent tiles are four consecutive elements: the transforms below run on four tiles at once.

import { BIAS, CLAMP, RESIDUAL } from './flags';
import { loadStrided } from './simd';

/** Bᵀ d B of four tiles at once: d given as 16 vectors (row-major), each holding that element of the four tiles. */
@inline function transformInput(v: usize, stride: usize,
    d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128,
    d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128): void {
    // Bᵀ d: rows r0 − r2, r1 + r2, r2 − r1, r1 − r3.
    const t00 = f32x4.sub(d00, d20), t01 = f32x4.sub(d01, d21), t02 = f32x4.sub(d02, d22), t03 = f32x4.sub(d03, d23);
    const t10 = f32x4.add(d10, d20), t11 = f32x4.add(d11, d21), t12 = f32x4.add(d12, d22), t13 = f32x4.add(d13, d23);
    const t20 = f32x4.sub(d20, d10), t21 = f32x4.sub(d21, d11), t22 = f32x4.sub(d22, d12), t23 = f32x4.sub(d23, d13);
    const t30 = f32x4.sub(d10, d30), t31 = f32x4.sub(d11, d31), t32 = f32x4.sub(d12, d32), t33 = f32x4.sub(d13, d33);
    // (Bᵀ d) B: the same on columns.
    v128.store(v, f32x4.sub(t00, t02)); v128.store(v + stride, f32x4.add(t01, t02));
    v128.store(v + 2 * stride, f32x4.sub(t02, t01)); v128.store(v + 3 * stride, f32x4.sub(t01, t03));
    v128.store(v + 4 * stride, f32x4.sub(t10, t12)); v128.store(v + 5 * stride, f32x4.add(t11, t12));
    v128.store(v + 6 * stride, f32x4.sub(t12, t11)); v128.store(v + 7 * stride, f32x4.sub(t11, t13));
    v128.store(v + 8 * stride, f32x4.sub(t20, t22)); v128.store(v + 9 * stride, f32x4.add(t21, t22));
    v128.store(v + 10 * stride, f32x4.sub(t22, t21)); v128.store(v + 11 * stride, f32x4.sub(t21, t23));
    v128.store(v + 12 * stride, f32x4.sub(t30, t32)); v128.store(v + 13 * stride, f32x4.add(t31, t32));
    v128.store(v + 14 * stride, f32x4.sub(t32, t31)); v128.store(v + 15 * stride, f32x4.sub(t31, t33));
}

/** Input element (ih, iw) of a plane, 0 outside the image. */
@inline function tileElement(plane: usize, W: i32, H: i32, ih: i32, iw: i32, inside: bool): f32 {
    return inside || (ih >= 0 && ih < H && iw >= 0 && iw < W) ? load<f32>(plane + <usize>(ih * W + iw) * 4) : 0;
}

/**
 * V = Bᵀ d B for channels [c0, c1) of one image: tile (ty, tx) reads input rows 2ty − ph … +3 and columns
 * 2tx − pw … +3 (zero outside). Groups of four tiles wholly inside the image load with stride-2 vector loads.
 */
export function winogradInput(x: usize, v: usize, c0: i32, c1: i32, channels: i32, H: i32, W: i32, ph: i32, pw: i32, tilesH: i32, tilesW: i32): void {
    const tiles = tilesH * tilesW;
    const stride = <usize>channels * tiles * 4; // from V[ξ] to V[ξ + 1]
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        const base = v + <usize>c * tiles * 4;
        for (let ty = 0; ty < tilesH; ty++) {
            const ih = 2 * ty - ph;
            const rowsInside = ih >= 0 && ih + 3 < H;
            let tx = 0;
            if (rowsInside) {
                // Tiles with 2tx − pw ≥ 0 and 2(tx + 3) − pw + 4 ≤ W (the last lane's stride-2 load reads one past).
                while (tx < tilesW && 2 * tx - pw < 0) {
                    winogradInputTile(plane, base + <usize>(ty * tilesW + tx) * 4, stride, H, W, ih, 2 * tx - pw);
                    tx++;
                }
                for (; tx + 4 <= tilesW && 2 * (tx + 3) - pw + 5 <= W; tx += 4) {
                    const r0 = plane + <usize>(ih * W + 2 * tx - pw) * 4;
                    const r1 = r0 + <usize>W * 4, r2 = r1 + <usize>W * 4, r3 = r2 + <usize>W * 4;
                    transformInput(base + <usize>(ty * tilesW + tx) * 4, stride,
                        loadStrided(r0, 2), loadStrided(r0 + 4, 2), loadStrided(r0 + 8, 2), loadStrided(r0 + 12, 2),
                        loadStrided(r1, 2), loadStrided(r1 + 4, 2), loadStrided(r1 + 8, 2), loadStrided(r1 + 12, 2),
                        loadStrided(r2, 2), loadStrided(r2 + 4, 2), loadStrided(r2 + 8, 2), loadStrided(r2 + 12, 2),
                        loadStrided(r3, 2), loadStrided(r3 + 4, 2), loadStrided(r3 + 8, 2), loadStrided(r3 + 12, 2));
                }
            }
            for (; tx < tilesW; tx++) winogradInputTile(plane, base + <usize>(ty * tilesW + tx) * 4, stride, H, W, ih, 2 * tx - pw);
        }
    }
}

/** One tile of winogradInput, with bounds checks (tiles at the image's edges). */
function winogradInputTile(plane: usize, v: usize, stride: usize, H: i32, W: i32, ih: i32, iw: i32): void {
    const d00 = tileElement(plane, W, H, ih, iw, false), d01 = tileElement(plane, W, H, ih, iw + 1, false);
    const d02 = tileElement(plane, W, H, ih, iw + 2, false), d03 = tileElement(plane, W, H, ih, iw + 3, false);
    const d10 = tileElement(plane, W, H, ih + 1, iw, false), d11 = tileElement(plane, W, H, ih + 1, iw + 1, false);
    const d12 = tileElement(plane, W, H, ih + 1, iw + 2, false), d13 = tileElement(plane, W, H, ih + 1, iw + 3, false);
    const d20 = tileElement(plane, W, H, ih + 2, iw, false), d21 = tileElement(plane, W, H, ih + 2, iw + 1, false);
    const d22 = tileElement(plane, W, H, ih + 2, iw + 2, false), d23 = tileElement(plane, W, H, ih + 2, iw + 3, false);
    const d30 = tileElement(plane, W, H, ih + 3, iw, false), d31 = tileElement(plane, W, H, ih + 3, iw + 1, false);
    const d32 = tileElement(plane, W, H, ih + 3, iw + 2, false), d33 = tileElement(plane, W, H, ih + 3, iw + 3, false);
    const t00 = d00 - d20, t01 = d01 - d21, t02 = d02 - d22, t03 = d03 - d23;
    const t10 = d10 + d20, t11 = d11 + d21, t12 = d12 + d22, t13 = d13 + d23;
    const t20 = d20 - d10, t21 = d21 - d11, t22 = d22 - d12, t23 = d23 - d13;
    const t30 = d10 - d30, t31 = d11 - d31, t32 = d12 - d32, t33 = d13 - d33;
    store<f32>(v, t00 - t02); store<f32>(v + stride, t01 + t02); store<f32>(v + 2 * stride, t02 - t01); store<f32>(v + 3 * stride, t01 - t03);
    store<f32>(v + 4 * stride, t10 - t12); store<f32>(v + 5 * stride, t11 + t12); store<f32>(v + 6 * stride, t12 - t11); store<f32>(v + 7 * stride, t11 - t13);
    store<f32>(v + 8 * stride, t20 - t22); store<f32>(v + 9 * stride, t21 + t22); store<f32>(v + 10 * stride, t22 - t21); store<f32>(v + 11 * stride, t21 - t23);
    store<f32>(v + 12 * stride, t30 - t32); store<f32>(v + 13 * stride, t31 + t32); store<f32>(v + 14 * stride, t32 - t31); store<f32>(v + 15 * stride, t31 - t33);
}

/**
 * Y = Aᵀ M A for output channels [c0, c1) of one image, then + bias, + residual (laid out as Y, `residual`
 * bytes after it), clamp, as flags ask; tiles hanging over the bottom or right edge write only their inside part.
 */
export function winogradOutput(m: usize, y: usize, c0: i32, c1: i32, channels: i32, Ho: i32, Wo: i32, tilesH: i32, tilesW: i32,
    flags: i32, bias: usize, residual: usize, lo: f32, hi: f32): void {
    const tiles = tilesH * tilesW;
    const stride = <usize>channels * tiles * 4;
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    for (let c = c0; c < c1; c++) {
        const base = m + <usize>c * tiles * 4;
        const out = y + <usize>c * Ho * Wo * 4;
        const b = f32x4.splat(flags & BIAS ? load<f32>(bias + (<usize>c << 2)) : 0);
        for (let ty = 0; ty < tilesH; ty++) {
            const fullRows = 2 * ty + 2 <= Ho;
            let tx = 0;
            for (; fullRows && tx + 4 <= tilesW && 2 * tx + 8 <= Wo; tx += 4) {
                const at = base + <usize>(ty * tilesW + tx) * 4;
                const m00 = v128.load(at), m01 = v128.load(at + stride), m02 = v128.load(at + 2 * stride), m03 = v128.load(at + 3 * stride);
                const m10 = v128.load(at + 4 * stride), m11 = v128.load(at + 5 * stride), m12 = v128.load(at + 6 * stride), m13 = v128.load(at + 7 * stride);
                const m20 = v128.load(at + 8 * stride), m21 = v128.load(at + 9 * stride), m22 = v128.load(at + 10 * stride), m23 = v128.load(at + 11 * stride);
                const m30 = v128.load(at + 12 * stride), m31 = v128.load(at + 13 * stride), m32 = v128.load(at + 14 * stride), m33 = v128.load(at + 15 * stride);
                // Aᵀ M: rows m0 + m1 + m2 and m1 − m2 − m3.
                const s0 = f32x4.add(f32x4.add(m00, m10), m20), s1 = f32x4.add(f32x4.add(m01, m11), m21);
                const s2 = f32x4.add(f32x4.add(m02, m12), m22), s3 = f32x4.add(f32x4.add(m03, m13), m23);
                const u0 = f32x4.sub(f32x4.sub(m10, m20), m30), u1 = f32x4.sub(f32x4.sub(m11, m21), m31);
                const u2 = f32x4.sub(f32x4.sub(m12, m22), m32), u3 = f32x4.sub(f32x4.sub(m13, m23), m33);
                // (Aᵀ M) A: the same on columns; y(r, s) of the four tiles.
                let y00 = f32x4.add(f32x4.add(f32x4.add(s0, s1), s2), b), y01 = f32x4.add(f32x4.sub(f32x4.sub(s1, s2), s3), b);
                let y10 = f32x4.add(f32x4.add(f32x4.add(u0, u1), u2), b), y11 = f32x4.add(f32x4.sub(f32x4.sub(u1, u2), u3), b);
                // Interleave the tiles' two columns: output columns 2tx … 2tx + 7 of rows 2ty and 2ty + 1.
                const row0 = out + <usize>((2 * ty) * Wo + 2 * tx) * 4;
                const row1 = row0 + <usize>Wo * 4;
                let a0 = v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y00, y01, 2, 6, 3, 7);
                let b0 = v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), b1 = v128.shuffle<f32>(y10, y11, 2, 6, 3, 7);
                if (flags & RESIDUAL) {
                    a0 = f32x4.add(a0, v128.load(row0 + residual)); a1 = f32x4.add(a1, v128.load(row0 + residual, 16));
                    b0 = f32x4.add(b0, v128.load(row1 + residual)); b1 = f32x4.add(b1, v128.load(row1 + residual, 16));
                }
                if (flags & CLAMP) {
                    a0 = f32x4.min(f32x4.max(a0, loV), hiV); a1 = f32x4.min(f32x4.max(a1, loV), hiV);
                    b0 = f32x4.min(f32x4.max(b0, loV), hiV); b1 = f32x4.min(f32x4.max(b1, loV), hiV);
                }
                v128.store(row0, a0); v128.store(row0, a1, 16);
                v128.store(row1, b0); v128.store(row1, b1, 16);
            }
            for (; tx < tilesW; tx++) {
                const at = base + <usize>(ty * tilesW + tx) * 4;
                const e0 = load<f32>(at), e1 = load<f32>(at + stride), e2 = load<f32>(at + 2 * stride), e3 = load<f32>(at + 3 * stride);
                const e4 = load<f32>(at + 4 * stride), e5 = load<f32>(at + 5 * stride), e6 = load<f32>(at + 6 * stride), e7 = load<f32>(at + 7 * stride);
                const e8 = load<f32>(at + 8 * stride), e9 = load<f32>(at + 9 * stride), e10 = load<f32>(at + 10 * stride), e11 = load<f32>(at + 11 * stride);
                const e12 = load<f32>(at + 12 * stride), e13 = load<f32>(at + 13 * stride), e14 = load<f32>(at + 14 * stride), e15 = load<f32>(at + 15 * stride);
                const s0 = e0 + e4 + e8, s1 = e1 + e5 + e9, s2 = e2 + e6 + e10, s3 = e3 + e7 + e11;
                const u0 = e4 - e8 - e12, u1 = e5 - e9 - e13, u2 = e6 - e10 - e14, u3 = e7 - e11 - e15;
                const bias0 = f32x4.extract_lane(b, 0);
                for (let r = 0; r < 2; r++) {
                    const oh = 2 * ty + r;
                    if (oh >= Ho) break;
                    for (let q = 0; q < 2; q++) {
                        const ow = 2 * tx + q;
                        if (ow >= Wo) break;
                        let value: f32 = r == 0 ? (q == 0 ? s0 + s1 + s2 : s1 - s2 - s3) : (q == 0 ? u0 + u1 + u2 : u1 - u2 - u3);
                        const to = out + <usize>(oh * Wo + ow) * 4;
                        value += bias0;
                        if (flags & RESIDUAL) value += load<f32>(to + residual);
                        if (flags & CLAMP) value = min(max(value, lo), hi);
                        store<f32>(to, value);
                    }
                }
            }
        }
    }
}
