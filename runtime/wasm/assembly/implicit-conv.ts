// A 2-D conv as an implicit GEMM (AssemblyScript; see kernels.ts): C = A·B with A the conv's weights (m × K,
// K = channels·kh·kw) and B the im2col columns (K × P) — but B is never written out. Output row by output row, its
// positions' columns of B are packed straight from the image into gemm.ts's panels of NR columns, and every MR-row
// panel of A multiplies them there with gemm.ts's micro-kernel and epilogue; at stride 1, a panel whose taps all
// land inside the image is not packed at all: the micro-kernel reads it from the image (microKernelDirect).
//
// Why: im2col + GEMM writes the K × P columns, reads them back to pack them and reads the packed copy once per block
// of rows. With few rows of A to share that traffic (a group's 16 channels, a stem's 32 or 64) it is a large part
// of the time: a grouped 3×3 conv of 64 channels in 4 groups on 56² writes 7.2 MB of columns for a 0.8 MB image.
// Here the image rows stay in cache; in exchange A is read once per output row, so this suits convs whose packed A
// is small, with output rows long enough to fill whole panels (the caller decides, compute.ts).

import { PACKED_A } from './flags';
import { KC, MR, NR, activateBlock, microKernel, microKernelDirect, packMatrix, paddedRows } from './gemm';
import { absorbedActivation } from './activation';

/** Bytes of one tap's entry in the table below. */
const TAP_BYTES: i32 = 24;

/**
 * The taps of B's rows, alike for every output row: row p = (c, i, jj) reads channel c's plane (at element c·H·W),
 * i·dh rows below and jj·dw columns right of a position's window origin — (c·H·W + i·dh·W + jj·dw)·4 bytes from it —
 * and lands inside the image for output columns [first, end) of any row it lands in.
 */
function tabulateTaps(K: i32, H: i32, W: i32, kh: i32, kw: i32, sw: i32, dh: i32, dw: i32, pw: i32, Wo: i32, taps: usize): void {
    let c = 0, i = 0, jj = 0;
    for (let p = 0; p < K; p++) {
        const at = taps + <usize>(p * TAP_BYTES);
        const shift = jj * dw - pw; // input column of output column 0's tap
        let first = 0;
        while (first < Wo && first * sw + shift < 0) first++;
        let end = Wo;
        while (end > first && (end - 1) * sw + shift >= W) end--;
        store<i32>(at, c * H * W);
        store<i32>(at, i * dh, 4);
        store<i32>(at, shift, 8);
        store<i32>(at, first, 12);
        store<i32>(at, end, 16);
        store<i32>(at, (c * H * W + i * dh * W + jj * dw) * 4, 20);
        if (++jj == kw) {
            jj = 0;
            if (++i == kh) {
                i = 0;
                c++;
            }
        }
    }
}

/**
 * Packs rows p0 … p0 + kc of B for panels [s0, s1) of output row `oh` (positions s·NR … s·NR + NR) into panels of
 * kc × NR floats, `panel` bytes apart from `dst` on: zero in the padding and past Wo. Eight positions whose tap
 * lands inside the image copy two vectors (stride 1) or gather the even lanes of four (stride 2); the others go
 * element by element.
 */
function packRow(x: usize, H: i32, W: i32, sh: i32, sw: i32, ph: i32, Wo: i32, oh: i32, p0: i32, kc: i32,
    s0: i32, s1: i32, dst: usize, panel: usize, taps: usize): void {
    const rowOrigin = oh * sh - ph;
    for (let p = 0; p < kc; p++) {
        const tap = taps + <usize>((p0 + p) * TAP_BYTES);
        const ih = rowOrigin + load<i32>(tap, 4);
        let out = dst + <usize>s0 * panel + <usize>(p * NR * 4);
        if (ih < 0 || ih >= H) {
            for (let s = s0; s < s1; s++, out += panel) {
                v128.store(out, i32x4.splat(0));
                v128.store(out, i32x4.splat(0), 16);
            }
            continue;
        }
        const shift = load<i32>(tap, 8);
        const first = load<i32>(tap, 12);
        const end = load<i32>(tap, 16);
        const line = x + (<usize>(load<i32>(tap) + ih * W) << 2); // the tap's image row
        for (let s = s0; s < s1; s++, out += panel) {
            const ow = s * NR;
            const iw = ow * sw + shift;
            if (ow >= first && ow + NR <= end) {
                const src = line + (<usize>iw << 2);
                if (sw == 1) {
                    v128.store(out, v128.load(src));
                    v128.store(out, v128.load(src, 16), 16);
                    continue;
                }
                // Stride 2 reads one element past the last tap: inside the row unless that tap is its last element.
                if (sw == 2 && iw + 2 * NR <= W) {
                    v128.store(out, i8x16.shuffle(v128.load(src), v128.load(src, 16), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27));
                    v128.store(out, i8x16.shuffle(v128.load(src, 32), v128.load(src, 48), 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27), 16);
                    continue;
                }
            }
            for (let t = 0; t < NR; t++) {
                const o = ow + t;
                store<f32>(out + (<usize>t << 2), o >= first && o < end ? load<f32>(line + (<usize>(o * sw + shift) << 2)) : 0);
            }
        }
    }
}

/**
 * Bytes of scratch `implicitConv2d` needs for a depth of K and rows of Wo positions, besides a packed copy of A
 * (paddedRows(m)·K floats) when A is not packed: a row's panels of B at one depth block, an edge tile, the taps.
 */
export function implicitConvScratchBytes(K: i32, Wo: i32): i32 {
    return (Wo + NR - 1) / NR * NR * min(K, KC) * 4 + MR * NR * 4 + K * TAP_BYTES;
}

/**
 * Output rows [oh0, oh1) of a 2-D conv of one image's `channels` planes (H × W at x) with weights `a`
 * (m × channels·kh·kw, row-major; in gemm.ts's packed layout when flags has PACKED_A) into m planes of Ho × Wo at
 * y, then bias, residual (`residual` bytes from y) and clamp or activation as flags ask. `scratch` is the calling thread's.
 */
export function implicitConv2d(x: usize, channels: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
    ph: i32, pw: i32, Ho: i32, Wo: i32, a: usize, m: i32, flags: i32, bias: usize, residual: usize, lo: f32, hi: f32,
    y: usize, oh0: i32, oh1: i32, scratch: usize): void {
    const K = channels * kh * kw;
    const ldcBytes = <usize>(Ho * Wo) << 2;
    const rows = paddedRows(m);
    const strips = (Wo + NR - 1) / NR;
    const panels = scratch;
    const edge = panels + <usize>(strips * NR * min(K, KC) * 4);
    const taps = edge + <usize>(MR * NR * 4);
    tabulateTaps(K, H, W, kh, kw, sw, dh, dw, pw, Wo, taps);
    let packedA = a;
    if (!(flags & PACKED_A)) {
        packedA = taps + <usize>(K * TAP_BYTES);
        packMatrix(a, m, K, K, packedA);
    }
    // At stride 1 the panels whose taps all land inside the image — rows [inside0, inside1) of the output, its
    // panels [direct0, direct1) — are not packed: the micro-kernel reads B straight from the image.
    // (Integer division truncates toward zero: the last row and panel are counted only from non-negative bounds.)
    const lastRow = H - 1 - (kh - 1) * dh + ph; // output rows up to lastRow / sh have every tap inside
    const columnsEnd = min(Wo, W + pw - (kw - 1) * dw); // output columns before this have every tap inside
    const inside0 = (ph + sh - 1) / sh;
    const inside1 = sw == 1 && lastRow >= 0 ? lastRow / sh + 1 : 0;
    const direct0 = (pw + NR - 1) / NR;
    const direct1 = max(direct0, columnsEnd >= NR ? (columnsEnd - NR) / NR + 1 : 0);
    for (let oh = oh0; oh < oh1; oh++) {
        const rowInside = oh >= inside0 && oh < inside1;
        const s0 = rowInside ? min(direct0, strips) : strips;
        const s1 = rowInside ? min(direct1, strips) : strips;
        const origin = x + (<usize>((oh * sh - ph) * W - pw) << 2); // output column 0's window origin (when inside)
        for (let p0 = 0; p0 < K; p0 += KC) {
            const kc = min(KC, K - p0);
            const panel = <usize>(kc * NR * 4);
            packRow(x, H, W, sh, sw, ph, Wo, oh, p0, kc, 0, s0, panels, panel, taps);
            packRow(x, H, W, sh, sw, ph, Wo, oh, p0, kc, s1, strips, panels, panel, taps);
            // The first depth block writes C, the last one finishes it (bias, residual, clamp).
            const add = p0 > 0;
            const epilogue = p0 + kc >= K;
            const offsets = taps + <usize>(p0 * TAP_BYTES + 20);
            for (let s = 0; s < strips; s++) {
                const c = y + (<usize>(oh * Wo + s * NR) << 2);
                const cols = min(NR, Wo - s * NR);
                const direct = s >= s0 && s < s1;
                for (let ir = 0; ir < m; ir += MR) {
                    // Packed A's depth block p0 starts at p0·rows, and in it the panel of rows ir … ir + MR at ir·kc.
                    const pa = packedA + <usize>(p0 * rows + ir * kc) * 4;
                    if (direct) {
                        microKernelDirect(kc, pa, origin + (<usize>(s * NR) << 2), offsets, TAP_BYTES, c + <usize>ir * ldcBytes, ldcBytes,
                            min(MR, m - ir), cols, add, epilogue, flags, bias + (<usize>ir << 2), residual, lo, hi, edge);
                    } else {
                        microKernel(kc, pa, panels + <usize>s * panel, c + <usize>ir * ldcBytes, ldcBytes,
                            min(MR, m - ir), cols, add, epilogue, flags, bias + (<usize>ir << 2), residual, lo, hi, edge);
                    }
                }
            }
        }
        // An absorbed activation (SiLU, hardswish …) over the finished output row of every channel.
        const act = absorbedActivation(flags);
        if (act) activateBlock(act, y + (<usize>(oh * Wo) << 2), ldcBytes, m, Wo, lo, hi);
    }
}
