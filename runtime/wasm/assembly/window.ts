// Sliding 2-D windows over each plane (AssemblyScript; see kernels.ts): the depthwise conv, max pooling and
// average pooling share one kernel, `window2d`, with the mode saying what a window does with its taps.

import { BIAS, CLAMP } from './flags';
import { absorbedActivation, activate } from './activation';
import { gemmScratchBytes } from './gemm';
import { clamp4, loadStrided, madd, storeTransposed } from './simd';

/** What a window does with its taps: window2d's `mode` (exported for the JavaScript side, as the flags are). */
export const WINDOW_DEPTHWISE: i32 = 0; // Σ tap weight × input, then bias and clamp
export const WINDOW_MAX: i32 = 1;       // max over the taps inside the image (padding is −∞); NaN propagates
export const WINDOW_AVG: i32 = 2;       // mean over all kh·kw taps, padding counted as 0 (count_include_pad)

@inline function reduceTap(mode: i32, acc: f32, value: f32, weight: usize): f32 {
    return mode == WINDOW_MAX ? max(acc, value) : mode == WINDOW_AVG ? acc + value : acc + value * load<f32>(weight);
}

@inline function reduceTaps(mode: i32, acc: v128, values: v128, weight: usize): v128 {
    return mode == WINDOW_MAX ? f32x4.max(acc, values) : mode == WINDOW_AVG ? f32x4.add(acc, values) : madd(v128.load32_splat(weight), values, acc);
}

/**
 * The interior columns [owLo, owHi) of one output row of a 3×3 depthwise conv (stride ≤ 2, no column dilation),
 * four at a time with the nine weights held in registers; returns the first column it left undone (< 4 remain).
 * Inlined where it is called with a literal stride, so that each load's stride test is decided when compiling.
 */
@inline function depthwise3x3Interior(plane: usize, taps: usize, row: usize, start: f32, ih0: i32, dh: i32, H: i32, W: i32, sw: i32, pw: i32,
    owLo: i32, owHi: i32, clamp: bool, loV: v128, hiV: v128): i32 {
    const w0 = v128.load32_splat(taps), w1 = v128.load32_splat(taps, 4), w2 = v128.load32_splat(taps, 8);
    const w3 = v128.load32_splat(taps, 12), w4 = v128.load32_splat(taps, 16), w5 = v128.load32_splat(taps, 20);
    const w6 = v128.load32_splat(taps, 24), w7 = v128.load32_splat(taps, 28), w8 = v128.load32_splat(taps, 32);
    const rowBytes = <usize>W * 4;
    const top = ih0 >= 0 && ih0 < H;
    const middle = ih0 + dh >= 0 && ih0 + dh < H;
    const bottom = ih0 + 2 * dh >= 0 && ih0 + 2 * dh < H;
    const r0 = plane + <usize>ih0 * rowBytes;
    const r1 = r0 + <usize>dh * rowBytes;
    const r2 = r1 + <usize>dh * rowBytes;
    const step = <usize>sw << 4; // four outputs further along the input row
    let ow = owLo;
    let at = <usize>(ow * sw - pw) << 2;
    // Sixteen columns at a time: four independent sums, so each multiply-add does not wait for the one before.
    for (; ow + 16 <= owHi; ow += 16, at += step << 2) {
        let a0 = f32x4.splat(start), a1 = a0, a2 = a0, a3 = a0;
        if (top) {
            const r = r0 + at;
            a0 = madd(w0, loadStrided(r, sw), a0); a1 = madd(w0, loadStrided(r + step, sw), a1);
            a2 = madd(w0, loadStrided(r + 2 * step, sw), a2); a3 = madd(w0, loadStrided(r + 3 * step, sw), a3);
            a0 = madd(w1, loadStrided(r + 4, sw), a0); a1 = madd(w1, loadStrided(r + step + 4, sw), a1);
            a2 = madd(w1, loadStrided(r + 2 * step + 4, sw), a2); a3 = madd(w1, loadStrided(r + 3 * step + 4, sw), a3);
            a0 = madd(w2, loadStrided(r + 8, sw), a0); a1 = madd(w2, loadStrided(r + step + 8, sw), a1);
            a2 = madd(w2, loadStrided(r + 2 * step + 8, sw), a2); a3 = madd(w2, loadStrided(r + 3 * step + 8, sw), a3);
        }
        if (middle) {
            const r = r1 + at;
            a0 = madd(w3, loadStrided(r, sw), a0); a1 = madd(w3, loadStrided(r + step, sw), a1);
            a2 = madd(w3, loadStrided(r + 2 * step, sw), a2); a3 = madd(w3, loadStrided(r + 3 * step, sw), a3);
            a0 = madd(w4, loadStrided(r + 4, sw), a0); a1 = madd(w4, loadStrided(r + step + 4, sw), a1);
            a2 = madd(w4, loadStrided(r + 2 * step + 4, sw), a2); a3 = madd(w4, loadStrided(r + 3 * step + 4, sw), a3);
            a0 = madd(w5, loadStrided(r + 8, sw), a0); a1 = madd(w5, loadStrided(r + step + 8, sw), a1);
            a2 = madd(w5, loadStrided(r + 2 * step + 8, sw), a2); a3 = madd(w5, loadStrided(r + 3 * step + 8, sw), a3);
        }
        if (bottom) {
            const r = r2 + at;
            a0 = madd(w6, loadStrided(r, sw), a0); a1 = madd(w6, loadStrided(r + step, sw), a1);
            a2 = madd(w6, loadStrided(r + 2 * step, sw), a2); a3 = madd(w6, loadStrided(r + 3 * step, sw), a3);
            a0 = madd(w7, loadStrided(r + 4, sw), a0); a1 = madd(w7, loadStrided(r + step + 4, sw), a1);
            a2 = madd(w7, loadStrided(r + 2 * step + 4, sw), a2); a3 = madd(w7, loadStrided(r + 3 * step + 4, sw), a3);
            a0 = madd(w8, loadStrided(r + 8, sw), a0); a1 = madd(w8, loadStrided(r + step + 8, sw), a1);
            a2 = madd(w8, loadStrided(r + 2 * step + 8, sw), a2); a3 = madd(w8, loadStrided(r + 3 * step + 8, sw), a3);
        }
        if (clamp) {
            a0 = clamp4(a0, loV, hiV); a1 = clamp4(a1, loV, hiV);
            a2 = clamp4(a2, loV, hiV); a3 = clamp4(a3, loV, hiV);
        }
        const out = row + (<usize>ow << 2);
        v128.store(out, a0); v128.store(out, a1, 16); v128.store(out, a2, 32); v128.store(out, a3, 48);
    }
    for (; ow + 4 <= owHi; ow += 4, at += step) {
        let acc = f32x4.splat(start);
        if (top) {
            acc = madd(w0, loadStrided(r0 + at, sw), acc);
            acc = madd(w1, loadStrided(r0 + at + 4, sw), acc);
            acc = madd(w2, loadStrided(r0 + at + 8, sw), acc);
        }
        if (middle) {
            acc = madd(w3, loadStrided(r1 + at, sw), acc);
            acc = madd(w4, loadStrided(r1 + at + 4, sw), acc);
            acc = madd(w5, loadStrided(r1 + at + 8, sw), acc);
        }
        if (bottom) {
            acc = madd(w6, loadStrided(r2 + at, sw), acc);
            acc = madd(w7, loadStrided(r2 + at + 4, sw), acc);
            acc = madd(w8, loadStrided(r2 + at + 8, sw), acc);
        }
        if (clamp) acc = clamp4(acc, loV, hiV);
        v128.store(row + (<usize>ow << 2), acc);
    }
    return ow;
}

/**
 * Output rows oh and oh + 1 of a 3×3 stride-1 depthwise conv from a padded plane (input rows ih0 … ih0 + 3), eight
 * columns at a time into `rowA` and `rowB`: each input row, loaded once, feeds both output rows, so two rows read
 * four input rows instead of six — the loads, not the multiply-adds, bound this kernel. `columns` is a multiple of 4.
 */
function depthwise3x3TwoRows(padded: usize, Wp: i32, taps: usize, rowA: usize, rowB: usize, start: f32, ih0: i32, columns: i32,
    clamp: bool, loV: v128, hiV: v128): void {
    const w0 = v128.load32_splat(taps), w1 = v128.load32_splat(taps, 4), w2 = v128.load32_splat(taps, 8);
    const w3 = v128.load32_splat(taps, 12), w4 = v128.load32_splat(taps, 16), w5 = v128.load32_splat(taps, 20);
    const w6 = v128.load32_splat(taps, 24), w7 = v128.load32_splat(taps, 28), w8 = v128.load32_splat(taps, 32);
    const rowBytes = <usize>Wp * 4;
    const r0 = padded + <usize>ih0 * rowBytes;
    const r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    const begin = f32x4.splat(start);
    let ow = 0;
    for (; ow + 8 <= columns; ow += 8) {
        const at = <usize>ow << 2;
        let a0 = begin, a1 = begin, b0 = begin, b1 = begin;
        let x = v128.load(r0 + at), y = v128.load(r0 + at, 16);
        a0 = madd(w0, x, a0); a1 = madd(w0, y, a1);
        x = v128.load(r0 + at, 4); y = v128.load(r0 + at, 20);
        a0 = madd(w1, x, a0); a1 = madd(w1, y, a1);
        x = v128.load(r0 + at, 8); y = v128.load(r0 + at, 24);
        a0 = madd(w2, x, a0); a1 = madd(w2, y, a1);
        x = v128.load(r1 + at); y = v128.load(r1 + at, 16);
        a0 = madd(w3, x, a0); a1 = madd(w3, y, a1); b0 = madd(w0, x, b0); b1 = madd(w0, y, b1);
        x = v128.load(r1 + at, 4); y = v128.load(r1 + at, 20);
        a0 = madd(w4, x, a0); a1 = madd(w4, y, a1); b0 = madd(w1, x, b0); b1 = madd(w1, y, b1);
        x = v128.load(r1 + at, 8); y = v128.load(r1 + at, 24);
        a0 = madd(w5, x, a0); a1 = madd(w5, y, a1); b0 = madd(w2, x, b0); b1 = madd(w2, y, b1);
        x = v128.load(r2 + at); y = v128.load(r2 + at, 16);
        a0 = madd(w6, x, a0); a1 = madd(w6, y, a1); b0 = madd(w3, x, b0); b1 = madd(w3, y, b1);
        x = v128.load(r2 + at, 4); y = v128.load(r2 + at, 20);
        a0 = madd(w7, x, a0); a1 = madd(w7, y, a1); b0 = madd(w4, x, b0); b1 = madd(w4, y, b1);
        x = v128.load(r2 + at, 8); y = v128.load(r2 + at, 24);
        a0 = madd(w8, x, a0); a1 = madd(w8, y, a1); b0 = madd(w5, x, b0); b1 = madd(w5, y, b1);
        x = v128.load(r3 + at); y = v128.load(r3 + at, 16);
        b0 = madd(w6, x, b0); b1 = madd(w6, y, b1);
        x = v128.load(r3 + at, 4); y = v128.load(r3 + at, 20);
        b0 = madd(w7, x, b0); b1 = madd(w7, y, b1);
        x = v128.load(r3 + at, 8); y = v128.load(r3 + at, 24);
        b0 = madd(w8, x, b0); b1 = madd(w8, y, b1);
        if (clamp) {
            a0 = clamp4(a0, loV, hiV); a1 = clamp4(a1, loV, hiV);
            b0 = clamp4(b0, loV, hiV); b1 = clamp4(b1, loV, hiV);
        }
        v128.store(rowA + at, a0); v128.store(rowA + at, a1, 16);
        v128.store(rowB + at, b0); v128.store(rowB + at, b1, 16);
    }
    if (ow < columns) {
        // The last four columns: both rows, four at a time.
        const at = <usize>ow << 2;
        let a = begin, b = begin;
        let x = v128.load(r0 + at); a = madd(w0, x, a);
        x = v128.load(r0 + at, 4); a = madd(w1, x, a);
        x = v128.load(r0 + at, 8); a = madd(w2, x, a);
        x = v128.load(r1 + at); a = madd(w3, x, a); b = madd(w0, x, b);
        x = v128.load(r1 + at, 4); a = madd(w4, x, a); b = madd(w1, x, b);
        x = v128.load(r1 + at, 8); a = madd(w5, x, a); b = madd(w2, x, b);
        x = v128.load(r2 + at); a = madd(w6, x, a); b = madd(w3, x, b);
        x = v128.load(r2 + at, 4); a = madd(w7, x, a); b = madd(w4, x, b);
        x = v128.load(r2 + at, 8); a = madd(w8, x, a); b = madd(w5, x, b);
        x = v128.load(r3 + at); b = madd(w6, x, b);
        x = v128.load(r3 + at, 4); b = madd(w7, x, b);
        x = v128.load(r3 + at, 8); b = madd(w8, x, b);
        if (clamp) {
            a = clamp4(a, loV, hiV);
            b = clamp4(b, loV, hiV);
        }
        v128.store(rowA + at, a);
        v128.store(rowB + at, b);
    }
}

/**
 * One output row of a depthwise conv of any kernel from a padded plane, sixteen columns at a time in four
 * independent sums (so that each multiply-add does not wait for the one before), each tap's weight broadcast once
 * per sixteen; then the last columns four at a time. Inlined where it is called with a literal stride.
 */
@inline function depthwiseRowPaddedAt(padded: usize, Wp: i32, taps: usize, row: usize, start: f32, ih0: i32, kh: i32, kw: i32,
    dh: i32, dw: i32, sw: i32, columns: i32, clamp: bool, loV: v128, hiV: v128): void {
    const rowBytes = <usize>Wp * 4;
    const step = <usize>sw << 4; // four outputs further along the input row
    let ow = 0;
    for (; ow + 16 <= columns; ow += 16) {
        let a0 = f32x4.splat(start), a1 = a0, a2 = a0, a3 = a0;
        for (let i = 0; i < kh; i++) {
            const src = padded + <usize>(ih0 + i * dh) * rowBytes + <usize>(ow * sw) * 4;
            const tapRow = taps + <usize>(i * kw) * 4;
            for (let j = 0; j < kw; j++) {
                const w = v128.load32_splat(tapRow + (<usize>j << 2));
                const at = src + <usize>(j * dw) * 4;
                a0 = madd(w, loadStrided(at, sw), a0);
                a1 = madd(w, loadStrided(at + step, sw), a1);
                a2 = madd(w, loadStrided(at + 2 * step, sw), a2);
                a3 = madd(w, loadStrided(at + 3 * step, sw), a3);
            }
        }
        if (clamp) {
            a0 = clamp4(a0, loV, hiV); a1 = clamp4(a1, loV, hiV);
            a2 = clamp4(a2, loV, hiV); a3 = clamp4(a3, loV, hiV);
        }
        const out = row + (<usize>ow << 2);
        v128.store(out, a0); v128.store(out, a1, 16); v128.store(out, a2, 32); v128.store(out, a3, 48);
    }
    for (; ow < columns; ow += 4) {
        let acc = f32x4.splat(start);
        for (let i = 0; i < kh; i++) {
            const src = padded + <usize>(ih0 + i * dh) * rowBytes + <usize>(ow * sw) * 4;
            const tapRow = taps + <usize>(i * kw) * 4;
            for (let j = 0; j < kw; j++) acc = madd(v128.load32_splat(tapRow + (<usize>j << 2)), loadStrided(src + <usize>(j * dw) * 4, sw), acc);
        }
        if (clamp) acc = clamp4(acc, loV, hiV);
        v128.store(row + (<usize>ow << 2), acc);
    }
}

function depthwiseRowPadded(padded: usize, Wp: i32, taps: usize, row: usize, start: f32, ih0: i32, kh: i32, kw: i32,
    dh: i32, dw: i32, sw: i32, columns: i32, clamp: bool, loV: v128, hiV: v128): void {
    if (sw == 1) depthwiseRowPaddedAt(padded, Wp, taps, row, start, ih0, kh, kw, dh, dw, 1, columns, clamp, loV, hiV);
    else depthwiseRowPaddedAt(padded, Wp, taps, row, start, ih0, kh, kw, dh, dw, 2, columns, clamp, loV, hiV);
}

/** Bytes of scratch windowPadded needs for one plane: the padded plane and two output row buffers. */
@inline function paddedPlaneBytes(Hp: i32, Wp: i32, Wo: i32): usize {
    return <usize>(Hp * Wp + 2 * ((Wo + 3) & ~3)) * 4;
}

/**
 * Output columns [0, columns) of one output row from a padded plane (no bounds to check), four at a time: the
 * taps' weighted sum (depthwise conv), their maximum, or their mean (`scale` = 1/taps), then the clamp.
 */
function windowRowPadded(mode: i32, padded: usize, Wp: i32, taps: usize, row: usize, start: f32, ih0: i32, kh: i32, kw: i32,
    dh: i32, dw: i32, sw: i32, columns: i32, scale: f32, clamp: bool, loV: v128, hiV: v128): void {
    const rowBytes = <usize>Wp * 4;
    for (let ow = 0; ow < columns; ow += 4) {
        let acc = f32x4.splat(start);
        for (let i = 0; i < kh; i++) {
            const src = padded + <usize>(ih0 + i * dh) * rowBytes + <usize>(ow * sw) * 4;
            for (let j = 0; j < kw; j++) {
                const v = loadStrided(src + <usize>(j * dw) * 4, sw);
                if (mode == WINDOW_DEPTHWISE) acc = madd(v128.load32_splat(taps + <usize>(i * kw + j) * 4), v, acc);
                else if (mode == WINDOW_MAX) acc = f32x4.max(acc, v);
                else acc = f32x4.add(acc, v);
            }
        }
        if (mode == WINDOW_AVG) acc = f32x4.mul(acc, f32x4.splat(scale));
        if (clamp) acc = clamp4(acc, loV, hiV);
        v128.store(row + (<usize>ow << 2), acc);
    }
}

/**
 * Output columns [0, columns) of one row of a 3×3 stride-2 max pool (ResNet's and GoogLeNet's stem) from a padded
 * plane, four at a time: the three input rows' maximum first (nine columns: three vectors, the last shared with
 * the next four outputs), then each output's three columns — the even lanes, the odd lanes, and the even lanes one
 * on. The general loop took 1.05 ms for ResNet-18's 64 × 112² (a loaded and shuffled pair of vectors per tap).
 */
function maxPool3x3Stride2Row(padded: usize, Wp: i32, row: usize, ih0: i32, columns: i32): void {
    const rowBytes = <usize>Wp * 4;
    const top = padded + <usize>ih0 * rowBytes, middle = top + rowBytes, bottom = middle + rowBytes;
    let a = f32x4.max(f32x4.max(v128.load(top), v128.load(middle)), v128.load(bottom));
    for (let ow = 0; ow < columns; ow += 4) {
        const at = <usize>(2 * ow) * 4;
        const b = f32x4.max(f32x4.max(v128.load(top + at, 16), v128.load(middle + at, 16)), v128.load(bottom + at, 16));
        const c = f32x4.max(f32x4.max(v128.load(top + at, 32), v128.load(middle + at, 32)), v128.load(bottom + at, 32));
        const even = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
        const odd = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        const next = v128.shuffle<f32>(even, c, 1, 2, 3, 4);
        v128.store(row + (<usize>ow << 2), f32x4.max(f32x4.max(even, odd), next));
        a = c;
    }
}

/**
 * One output of a 3×3 stride-1 depthwise conv with padding 1 at (oh, ow), the taps outside the plane skipped: the
 * first and last rows' few columns depthwise3x3Interior leaves.
 */
function depthwise3x3Point(plane: usize, taps: usize, start: f32, H: i32, W: i32, oh: i32, ow: i32, clamp: bool, lo: f32, hi: f32): f32 {
    let acc = start;
    for (let i = 0; i < 3; i++) {
        const ih = oh - 1 + i;
        if (ih < 0 || ih >= H) continue;
        for (let j = 0; j < 3; j++) {
            const iw = ow - 1 + j;
            if (iw >= 0 && iw < W) acc += load<f32>(plane + <usize>(ih * W + iw) * 4) * load<f32>(taps + <usize>(i * 3 + j) * 4);
        }
    }
    return clamp ? min(max(acc, lo), hi) : acc;
}

/**
 * The four input rows from `from` (`rowBytes` apart), columns −1 … 6 (left) or W − 5 … W + 2 (right), into an
 * 8-wide strip with zeros for the columns outside: the padding a two-rows pass over the edge columns reads.
 */
@inline function edgeStrips(from: usize, rowBytes: usize, W: i32, left: usize, right: usize): void {
    const zero = f32x4.splat(0);
    const lastFour = <usize>(W - 4) * 4;
    for (let r: usize = 0; r < 4; r++) {
        const row = from + r * rowBytes;
        const a = v128.load(row), b = v128.load(row, 16);
        v128.store(left + r * 32, v128.shuffle<f32>(zero, a, 0, 4, 5, 6));
        v128.store(left + r * 32, v128.shuffle<f32>(a, b, 3, 4, 5, 6), 16);
        const c = v128.load(row + lastFour - 4), d = v128.load(row + lastFour);
        v128.store(right + r * 32, c);
        v128.store(right + r * 32, v128.shuffle<f32>(d, zero, 3, 4, 5, 6), 16);
    }
}

/**
 * A 3×3 stride-1 depthwise conv with padding 1 (the output plane the input's size) read straight from each input
 * plane, with no padded copy of it (on 112² × 32 the copy was a fifth of the time). Output rows two at a time
 * between the first and the last (depthwise3x3TwoRows): columns 4 … W − 5 from the plane itself (the last four
 * recomputed where their number is not a multiple of four), the four at each edge from 8-wide strips with the
 * padding's zeros in `scratch`. The first and last rows go through depthwise3x3Interior, the row outside skipped.
 * Needs W ≥ 12.
 */
function depthwise3x3Direct(x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32, multiplier: i32,
    H: i32, W: i32, flags: i32, lo: f32, hi: f32, scratch: usize): void {
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    const act = absorbedActivation(flags);
    const rowBytes = <usize>W * 4;
    const inner = W - 8;              // columns 4 … W − 5
    const columns = inner & ~3;
    const overlap = <usize>(W - 8) * 4; // the four columns W − 8 … W − 5
    const right = <usize>(W - 4) * 4;
    const leftStrip = scratch, rightStrip = scratch + 128;
    for (let oc = c0; oc < c1; oc++) {
        const plane = x + <usize>(oc / multiplier) * H * W * 4;
        const taps = weight + <usize>oc * 36;
        const out = y + <usize>oc * H * W * 4;
        const start: f32 = (flags & BIAS) ? load<f32>(bias + (<usize>oc << 2)) : 0;
        let oh = 1;
        for (; oh + 2 <= H - 1; oh += 2) {
            const outA = out + <usize>oh * rowBytes, outB = outA + rowBytes;
            depthwise3x3TwoRows(plane + 12, W, taps, outA + 16, outB + 16, start, oh - 1, columns, clamp, loV, hiV);
            if (columns < inner) depthwise3x3TwoRows(plane + overlap - 4, W, taps, outA + overlap, outB + overlap, start, oh - 1, 4, clamp, loV, hiV);
            edgeStrips(plane + <usize>(oh - 1) * rowBytes, rowBytes, W, leftStrip, rightStrip);
            depthwise3x3TwoRows(leftStrip, 8, taps, outA, outB, start, 0, 4, clamp, loV, hiV);
            depthwise3x3TwoRows(rightStrip, 8, taps, outA + right, outB + right, start, 0, 4, clamp, loV, hiV);
        }
        for (let r = 0; r < H; r++) {
            // The first row, the last, and one more when the rows between are odd in number.
            if (r > 0 && r < oh) r = oh;
            const row = out + <usize>r * rowBytes;
            let ow = depthwise3x3Interior(plane, taps, row, start, r - 1, 1, H, W, 1, 1, 1, W - 1, clamp, loV, hiV);
            for (; ow < W; ow++) store<f32>(row + (<usize>ow << 2), depthwise3x3Point(plane, taps, start, H, W, r, ow, clamp, lo, hi));
            store<f32>(row, depthwise3x3Point(plane, taps, start, H, W, r, 0, clamp, lo, hi));
        }
        if (act) activate(act, out, out, 0, H * W, lo, hi);
    }
}

/**
 * window2d through a padded copy of each input plane in `scratch` — zeros around it for a conv or a mean, −∞
 * for a max — so that every output column is an interior one, computed four at a time: small planes (14×14,
 * 7×7) would otherwise spend most of their time in the bounds-checked border columns. Each row is finished in a
 * row buffer rounded up to four and copied out. False (nothing done) when the padded plane does not fit in the
 * scratch or the stride is over 2.
 */
function windowPadded(mode: i32, x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32, multiplier: i32,
    H: i32, W: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32,
    flags: i32, lo: f32, hi: f32, scratch: usize): bool {
    if (sw > 2) return false;
    const columns = (Wo + 3) & ~3;
    // Columns read: up to (columns − 1)·sw + (kw − 1)·dw, and a stride-2 load reads 7 past its first.
    const Wp = ((columns - 1) * sw + (kw - 1) * dw + 1 + 8 + 3) & ~3;
    const Hp = (Ho - 1) * sh + (kh - 1) * dh + 1;
    if (paddedPlaneBytes(Hp, Wp, Wo) > <usize>gemmScratchBytes()) return false;
    const padded = scratch;
    const rowBuffer = scratch + <usize>(Hp * Wp) * 4;
    const border = f32x4.splat(mode == WINDOW_MAX ? -Infinity : 0);
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    const act = absorbedActivation(flags);
    const scale: f32 = 1 / <f32>(kh * kw);
    const threeByThree = mode == WINDOW_DEPTHWISE && kh == 3 && kw == 3 && dw == 1;
    const maxPool3x3Stride2 = mode == WINDOW_MAX && kh == 3 && kw == 3 && sh == 2 && sw == 2 && dh == 1 && dw == 1;
    let copied = -1;
    for (let oc = c0; oc < c1; oc++) {
        const source = oc / multiplier;
        if (source != copied) {
            // The input plane at (ph, pw) in an Hp × Wp plane of the border value. Every plane is copied to the same
            // place, so the border, written once, stays: only the first plane fills the whole scratch.
            if (copied < 0) for (let at: usize = 0; at < <usize>(Hp * Wp) * 4; at += 16) v128.store(padded + at, border);
            const plane = x + <usize>source * H * W * 4;
            const count = min(W, Wp - pw);
            for (let r = 0; r < H && r + ph < Hp; r++) {
                if (count > 0) memory.copy(padded + <usize>((r + ph) * Wp + pw) * 4, plane + <usize>(r * W) * 4, <usize>count * 4);
            }
            copied = source;
        }
        const start: f32 = mode == WINDOW_MAX ? -Infinity : mode == WINDOW_DEPTHWISE && (flags & BIAS) ? load<f32>(bias + (<usize>oc << 2)) : 0;
        const taps = mode == WINDOW_DEPTHWISE ? weight + <usize>oc * kh * kw * 4 : 0;
        const out = y + <usize>oc * Ho * Wo * 4;
        let oh = 0;
        if (threeByThree && sh == 1 && sw == 1 && dh == 1) {
            for (; oh + 2 <= Ho; oh += 2) {
                const outA = out + <usize>(oh * Wo) * 4;
                const outB = outA + <usize>Wo * 4;
                if (columns == Wo) {
                    // Rows of a multiple of four columns go straight to the output.
                    depthwise3x3TwoRows(padded, Wp, taps, outA, outB, start, oh, columns, clamp, loV, hiV);
                    continue;
                }
                const rowB = rowBuffer + (<usize>columns << 2);
                depthwise3x3TwoRows(padded, Wp, taps, rowBuffer, rowB, start, oh, columns, clamp, loV, hiV);
                memory.copy(outA, rowBuffer, <usize>Wo * 4);
                memory.copy(outB, rowB, <usize>Wo * 4);
            }
        }
        for (; oh < Ho; oh++) {
            if (threeByThree && sw == 1) depthwise3x3Interior(padded, taps, rowBuffer, start, oh * sh, dh, Hp, Wp, 1, 0, 0, columns, clamp, loV, hiV);
            else if (threeByThree) depthwise3x3Interior(padded, taps, rowBuffer, start, oh * sh, dh, Hp, Wp, 2, 0, 0, columns, clamp, loV, hiV);
            else if (maxPool3x3Stride2) maxPool3x3Stride2Row(padded, Wp, rowBuffer, oh * 2, columns);
            else if (mode == WINDOW_DEPTHWISE) depthwiseRowPadded(padded, Wp, taps, rowBuffer, start, oh * sh, kh, kw, dh, dw, sw, columns, clamp, loV, hiV);
            else windowRowPadded(mode, padded, Wp, taps, rowBuffer, start, oh * sh, kh, kw, dh, dw, sw, columns, scale, clamp, loV, hiV);
            memory.copy(out + <usize>(oh * Wo) * 4, rowBuffer, <usize>Wo * 4);
        }
        // An absorbed activation (SiLU, hardswish …) over the finished plane, while it is in cache.
        if (act) activate(act, out, out, 0, Ho * Wo, lo, hi);
    }
    return true;
}

/**
 * depthwiseInterleaved's 3×3 convs (MobileNet's, at stride 1 and 2): the nine taps' vectors held in registers, four
 * outputs at a time in four independent sums, the last ones one at a time. Inlined where `sw` is a literal.
 */
@inline function interleaved3x3(padded: usize, Wp: i32, tapVectors: usize, out: usize, start: v128, Ho: i32, Wo: i32,
    sh: i32, sw: i32, clamp: bool, loV: v128, hiV: v128): void {
    const w0 = v128.load(tapVectors), w1 = v128.load(tapVectors, 16), w2 = v128.load(tapVectors, 32);
    const w3 = v128.load(tapVectors, 48), w4 = v128.load(tapVectors, 64), w5 = v128.load(tapVectors, 80);
    const w6 = v128.load(tapVectors, 96), w7 = v128.load(tapVectors, 112), w8 = v128.load(tapVectors, 128);
    const rowBytes = <usize>Wp << 4;
    const step = <usize>sw << 4;
    for (let oh = 0; oh < Ho; oh++) {
        const row = out + (<usize>(oh * Wo) << 4);
        const r0 = padded + <usize>(oh * sh) * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes;
        let ow = 0;
        for (; ow + 4 <= Wo; ow += 4) {
            const at = <usize>(ow * sw) << 4;
            let a0 = start, a1 = start, a2 = start, a3 = start;
            a0 = madd(w0, v128.load(r0 + at), a0); a1 = madd(w0, v128.load(r0 + at + step), a1);
            a2 = madd(w0, v128.load(r0 + at + 2 * step), a2); a3 = madd(w0, v128.load(r0 + at + 3 * step), a3);
            a0 = madd(w1, v128.load(r0 + at, 16), a0); a1 = madd(w1, v128.load(r0 + at + step, 16), a1);
            a2 = madd(w1, v128.load(r0 + at + 2 * step, 16), a2); a3 = madd(w1, v128.load(r0 + at + 3 * step, 16), a3);
            a0 = madd(w2, v128.load(r0 + at, 32), a0); a1 = madd(w2, v128.load(r0 + at + step, 32), a1);
            a2 = madd(w2, v128.load(r0 + at + 2 * step, 32), a2); a3 = madd(w2, v128.load(r0 + at + 3 * step, 32), a3);
            a0 = madd(w3, v128.load(r1 + at), a0); a1 = madd(w3, v128.load(r1 + at + step), a1);
            a2 = madd(w3, v128.load(r1 + at + 2 * step), a2); a3 = madd(w3, v128.load(r1 + at + 3 * step), a3);
            a0 = madd(w4, v128.load(r1 + at, 16), a0); a1 = madd(w4, v128.load(r1 + at + step, 16), a1);
            a2 = madd(w4, v128.load(r1 + at + 2 * step, 16), a2); a3 = madd(w4, v128.load(r1 + at + 3 * step, 16), a3);
            a0 = madd(w5, v128.load(r1 + at, 32), a0); a1 = madd(w5, v128.load(r1 + at + step, 32), a1);
            a2 = madd(w5, v128.load(r1 + at + 2 * step, 32), a2); a3 = madd(w5, v128.load(r1 + at + 3 * step, 32), a3);
            a0 = madd(w6, v128.load(r2 + at), a0); a1 = madd(w6, v128.load(r2 + at + step), a1);
            a2 = madd(w6, v128.load(r2 + at + 2 * step), a2); a3 = madd(w6, v128.load(r2 + at + 3 * step), a3);
            a0 = madd(w7, v128.load(r2 + at, 16), a0); a1 = madd(w7, v128.load(r2 + at + step, 16), a1);
            a2 = madd(w7, v128.load(r2 + at + 2 * step, 16), a2); a3 = madd(w7, v128.load(r2 + at + 3 * step, 16), a3);
            a0 = madd(w8, v128.load(r2 + at, 32), a0); a1 = madd(w8, v128.load(r2 + at + step, 32), a1);
            a2 = madd(w8, v128.load(r2 + at + 2 * step, 32), a2); a3 = madd(w8, v128.load(r2 + at + 3 * step, 32), a3);
            if (clamp) {
                a0 = clamp4(a0, loV, hiV); a1 = clamp4(a1, loV, hiV);
                a2 = clamp4(a2, loV, hiV); a3 = clamp4(a3, loV, hiV);
            }
            const to = row + (<usize>ow << 4);
            v128.store(to, a0); v128.store(to, a1, 16); v128.store(to, a2, 32); v128.store(to, a3, 48);
        }
        for (; ow < Wo; ow++) {
            const at = <usize>(ow * sw) << 4;
            let acc = madd(w0, v128.load(r0 + at), start);
            acc = madd(w1, v128.load(r0 + at, 16), acc); acc = madd(w2, v128.load(r0 + at, 32), acc);
            acc = madd(w3, v128.load(r1 + at), acc); acc = madd(w4, v128.load(r1 + at, 16), acc);
            acc = madd(w5, v128.load(r1 + at, 32), acc); acc = madd(w6, v128.load(r2 + at), acc);
            acc = madd(w7, v128.load(r2 + at, 16), acc); acc = madd(w8, v128.load(r2 + at, 32), acc);
            if (clamp) acc = clamp4(acc, loV, hiV);
            v128.store(row + (<usize>ow << 4), acc);
        }
    }
}

/**
 * The narrowest plane a 3×3 stride-1 depthwise conv reads in place (depthwise3x3Direct) rather than through a padded
 * copy. One thread, both kernels alternated in one process: 20–26% faster at 112² (32 and 96 channels), 18% at
 * 56² × 144, 5% at 56² × 32; 5–16% slower at 20², 28², 40² and 48² (the edge strips and the extra calls a row pair
 * takes cost more than the copy saves on a short row).
 */
const DIRECT_3X3_MIN_WIDTH: i32 = 56;

/**
 * Whether a depthwise conv of outputs `Wo` wide runs four channels at a time, interleaved (depthwiseInterleaved).
 * Measured on MobileNetV2's and EfficientNet-B0's layers (one thread, old and new kernels alternated in one
 * process): 3×3 at stride 1 — where the padded plane's two-rows-a-pass kernel is at its best — gains up to 16 wide
 * (7²: 2.4× faster, 14²: 1.6×), is level at 28 and 7% slower at 56; at stride 2 it gains up to 56 (1.6–1.9×); other
 * kernels (5×5) gain at 7², 14² and 28² (1.5–1.8×).
 */
@inline function runsInterleaved(Wo: i32, kh: i32, kw: i32, sw: i32): bool {
    return Wo <= (sw > 1 ? 64 : kh == 3 && kw == 3 ? 16 : 32);
}

/**
 * A depthwise conv (one output channel per input channel) of a small plane, four channels at a time: their planes
 * interleaved into a padded buffer of one vector per position — the four channels' values — so that each tap is one
 * load and one multiply-add for four channels, with no border columns and no row shorter than a vector. A 7×7 or
 * 14×14 plane on its own is mostly overhead (its padded copy row by row, rows of 7 or 14 through a row buffer):
 * MobileNetV2's 7² convs ran at 4–5 GFLOP/s. Then the absorbed activation over the interleaved outputs, and the
 * planes taken apart again. `c1 − c0` is a multiple of 4; false (nothing done) when the buffers do not fit the
 * scratch.
 */
function depthwiseInterleaved(x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32,
    H: i32, W: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32,
    flags: i32, lo: f32, hi: f32, scratch: usize): bool {
    const Hp = (Ho - 1) * sh + (kh - 1) * dh + 1;
    const Wp = (Wo - 1) * sw + (kw - 1) * dw + 1;
    const taps = kh * kw;
    const paddedBytes = <usize>(Hp * Wp) << 4;
    const outBytes = <usize>(Ho * Wo) << 4;
    if (paddedBytes + outBytes + (<usize>taps << 4) > <usize>gemmScratchBytes()) return false;
    const padded = scratch, out = scratch + paddedBytes, tapVectors = out + outBytes;
    // Zeros around the planes (the padding), written once: each four channels rewrite only the inside.
    for (let at: usize = 0; at < paddedBytes; at += 16) v128.store(padded + at, f32x4.splat(0));
    const rows = max(0, min(H, Hp - ph)), columns = max(0, min(W, Wp - pw));
    const planeIn = <usize>(H * W) << 2, planeOut = <usize>(Ho * Wo) << 2;
    const positions = Ho * Wo;
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    const act = absorbedActivation(flags);
    const step = <usize>sw << 4; // the next output's input position
    for (let c = c0; c < c1; c += 4) {
        // The four planes, position by position: four columns at a time through a 4×4 transpose, then one by one.
        const p0 = x + <usize>c * planeIn, p1 = p0 + planeIn, p2 = p1 + planeIn, p3 = p2 + planeIn;
        for (let r = 0; r < rows; r++) {
            const from = <usize>(r * W) << 2;
            let to = padded + (<usize>((r + ph) * Wp + pw) << 4);
            let col = 0;
            for (; col + 4 <= columns; col += 4, to += 64) {
                const at = from + (<usize>col << 2);
                storeTransposed(v128.load(p0 + at), v128.load(p1 + at), v128.load(p2 + at), v128.load(p3 + at), to, to + 16, to + 32, to + 48);
            }
            for (; col < columns; col++, to += 16) {
                const at = from + (<usize>col << 2);
                let v = f32x4.splat(load<f32>(p0 + at));
                v = f32x4.replace_lane(v, 1, load<f32>(p1 + at));
                v = f32x4.replace_lane(v, 2, load<f32>(p2 + at));
                v128.store(to, f32x4.replace_lane(v, 3, load<f32>(p3 + at)));
            }
        }
        // Each tap's four weights (a channel's taps lie together), and the four biases.
        const w0 = weight + <usize>c * taps * 4, w1 = w0 + <usize>taps * 4, w2 = w1 + <usize>taps * 4, w3 = w2 + <usize>taps * 4;
        for (let t = 0; t < taps; t++) {
            const at = <usize>t << 2;
            let v = f32x4.splat(load<f32>(w0 + at));
            v = f32x4.replace_lane(v, 1, load<f32>(w1 + at));
            v = f32x4.replace_lane(v, 2, load<f32>(w2 + at));
            v128.store(tapVectors + (<usize>t << 4), f32x4.replace_lane(v, 3, load<f32>(w3 + at)));
        }
        const start = (flags & BIAS) ? v128.load(bias + (<usize>c << 2)) : f32x4.splat(0);
        if (kh == 3 && kw == 3 && dh == 1 && dw == 1 && sw <= 2) {
            if (sw == 1) interleaved3x3(padded, Wp, tapVectors, out, start, Ho, Wo, sh, 1, clamp, loV, hiV);
            else interleaved3x3(padded, Wp, tapVectors, out, start, Ho, Wo, sh, 2, clamp, loV, hiV);
        } else for (let oh = 0; oh < Ho; oh++) {
            const row = out + (<usize>(oh * Wo) << 4);
            const inRow = padded + (<usize>(oh * sh * Wp) << 4);
            let ow = 0;
            // Four outputs at a time: four independent sums, so that each multiply-add does not wait for the last.
            for (; ow + 4 <= Wo; ow += 4) {
                let a0 = start, a1 = start, a2 = start, a3 = start;
                for (let i = 0; i < kh; i++) {
                    const source = inRow + (<usize>(i * dh * Wp + ow * sw) << 4);
                    const tapRow = tapVectors + (<usize>(i * kw) << 4);
                    for (let j = 0; j < kw; j++) {
                        const w = v128.load(tapRow + (<usize>j << 4));
                        const at = source + (<usize>(j * dw) << 4);
                        a0 = madd(w, v128.load(at), a0);
                        a1 = madd(w, v128.load(at + step), a1);
                        a2 = madd(w, v128.load(at + 2 * step), a2);
                        a3 = madd(w, v128.load(at + 3 * step), a3);
                    }
                }
                if (clamp) {
                    a0 = clamp4(a0, loV, hiV); a1 = clamp4(a1, loV, hiV);
                    a2 = clamp4(a2, loV, hiV); a3 = clamp4(a3, loV, hiV);
                }
                const to = row + (<usize>ow << 4);
                v128.store(to, a0); v128.store(to, a1, 16); v128.store(to, a2, 32); v128.store(to, a3, 48);
            }
            for (; ow < Wo; ow++) {
                let acc = start;
                for (let i = 0; i < kh; i++) {
                    const source = inRow + (<usize>(i * dh * Wp + ow * sw) << 4);
                    const tapRow = tapVectors + (<usize>(i * kw) << 4);
                    for (let j = 0; j < kw; j++) acc = madd(v128.load(tapRow + (<usize>j << 4)), v128.load(source + (<usize>(j * dw) << 4)), acc);
                }
                if (clamp) acc = clamp4(acc, loV, hiV);
                v128.store(row + (<usize>ow << 4), acc);
            }
        }
        if (act) activate(act, out, out, 0, positions * 4, lo, hi);
        // The four planes taken apart again: positions are in the same order in both layouts.
        const q0 = y + <usize>c * planeOut, q1 = q0 + planeOut, q2 = q1 + planeOut, q3 = q2 + planeOut;
        let position = 0;
        for (; position + 4 <= positions; position += 4) {
            const from = out + (<usize>position << 4);
            const at = <usize>position << 2;
            storeTransposed(v128.load(from), v128.load(from, 16), v128.load(from, 32), v128.load(from, 48), q0 + at, q1 + at, q2 + at, q3 + at);
        }
        for (; position < positions; position++) {
            const v = v128.load(out + (<usize>position << 4));
            const at = <usize>position << 2;
            store<f32>(q0 + at, f32x4.extract_lane(v, 0));
            store<f32>(q1 + at, f32x4.extract_lane(v, 1));
            store<f32>(q2 + at, f32x4.extract_lane(v, 2));
            store<f32>(q3 + at, f32x4.extract_lane(v, 3));
        }
    }
    return true;
}

/**
 * A 1×1 depthwise conv at stride 1 with no padding — a per-channel scale and shift (a batch norm no conv absorbed):
 * each plane of [c0, c1) as one run, sixteen elements a step, then the clamp or activation as flags ask.
 */
function scalePlanes(x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32, multiplier: i32, size: i32,
    flags: i32, lo: f32, hi: f32): void {
    const clamp = (flags & CLAMP) != 0;
    const act = absorbedActivation(flags);
    const loV = f32x4.splat(lo), hiV = f32x4.splat(hi);
    for (let oc = c0; oc < c1; oc++) {
        const from = x + <usize>(oc / multiplier) * size * 4, to = y + <usize>oc * size * 4;
        const w: f32 = load<f32>(weight + (<usize>oc << 2));
        const b: f32 = flags & BIAS ? load<f32>(bias + (<usize>oc << 2)) : 0;
        const wv = f32x4.splat(w), bv = f32x4.splat(b);
        let i = 0;
        for (; i + 4 <= size; i += 4) {
            let v = madd(wv, v128.load(from + (<usize>i << 2)), bv);
            if (clamp) v = clamp4(v, loV, hiV);
            v128.store(to + (<usize>i << 2), v);
        }
        for (; i < size; i++) {
            let v = load<f32>(from + (<usize>i << 2)) * w + b;
            if (clamp) v = min(max(v, lo), hi);
            store<f32>(to + (<usize>i << 2), v);
        }
        if (act) activate(act, to, to, 0, size, lo, hi);
    }
}

/**
 * A window that is the whole plane (global pooling): the mean or maximum of each plane of [c0, c1) as one run of
 * `size` elements, sixteen at a time in four sums (or maxima), so that no step waits for the one before. A NaN
 * anywhere in a plane makes its maximum NaN, as in PyTorch.
 */
function globalWindow(mode: i32, x: usize, y: usize, c0: i32, c1: i32, size: i32): void {
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * size * 4;
        const start = mode == WINDOW_MAX ? f32x4.splat(-Infinity) : f32x4.splat(0);
        let a0 = start, a1 = start, a2 = start, a3 = start;
        let i = 0;
        for (; i + 16 <= size; i += 16) {
            const at = plane + (<usize>i << 2);
            if (mode == WINDOW_MAX) {
                a0 = f32x4.max(a0, v128.load(at)); a1 = f32x4.max(a1, v128.load(at, 16));
                a2 = f32x4.max(a2, v128.load(at, 32)); a3 = f32x4.max(a3, v128.load(at, 48));
            } else {
                a0 = f32x4.add(a0, v128.load(at)); a1 = f32x4.add(a1, v128.load(at, 16));
                a2 = f32x4.add(a2, v128.load(at, 32)); a3 = f32x4.add(a3, v128.load(at, 48));
            }
        }
        const v = mode == WINDOW_MAX ? f32x4.max(f32x4.max(a0, a1), f32x4.max(a2, a3)) : f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
        let acc: f32 = mode == WINDOW_MAX
            ? max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)))
            : f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
        for (; i < size; i++) {
            const value = load<f32>(plane + (<usize>i << 2));
            acc = mode == WINDOW_MAX ? max(acc, value) : acc + value;
        }
        store<f32>(y + (<usize>c << 2), mode == WINDOW_MAX ? acc : acc / <f32>size);
    }
}

/**
 * A sliding 2-D window over each plane of channels [c0, c1) — a depthwise conv (output channel oc reads input
 * channel oc / multiplier with its own kh×kw taps, then bias[oc] and the clamp or activation as flags ask) or
 * max pooling.
 * Taps outside the image are skipped (zero padding adds nothing to a sum; max pooling pads with −∞). Within a
 * row, interior columns (every tap inside the image) are computed four at a time — contiguous loads at stride 1,
 * even lanes of two loads at stride 2 — and the border columns one at a time.
 */
export function window2d(mode: i32, x: usize, y: usize, weight: usize, bias: usize, c0: i32, c1: i32, multiplier: i32,
    H: i32, W: i32, Ho: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32,
    flags: i32, lo: f32, hi: f32, scratch: usize): void {
    if (mode != WINDOW_DEPTHWISE && Ho == 1 && Wo == 1 && kh == H && kw == W && ph == 0 && pw == 0) {
        globalWindow(mode, x, y, c0, c1, H * W);
        return;
    }
    if (mode == WINDOW_DEPTHWISE && kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && Ho == H && Wo == W) {
        scalePlanes(x, y, weight, bias, c0, c1, multiplier, H * W, flags, lo, hi);
        return;
    }
    if (mode == WINDOW_DEPTHWISE && multiplier == 1 && c1 - c0 >= 4 && runsInterleaved(Wo, kh, kw, sw)) {
        const whole = c0 + ((c1 - c0) & ~3);
        if (depthwiseInterleaved(x, y, weight, bias, c0, whole, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw, flags, lo, hi, scratch)) {
            // The last one to three channels as any other plane.
            if (whole < c1) window2d(mode, x, y, weight, bias, whole, c1, multiplier, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw, flags, lo, hi, scratch);
            return;
        }
    }
    if (mode == WINDOW_DEPTHWISE && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && ph == 1 && pw == 1
        && Ho == H && Wo == W && W >= DIRECT_3X3_MIN_WIDTH && H >= 2) {
        depthwise3x3Direct(x, y, weight, bias, c0, c1, multiplier, H, W, flags, lo, hi, scratch);
        return;
    }
    if (windowPadded(mode, x, y, weight, bias, c0, c1, multiplier, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw, flags, lo, hi, scratch)) return;
    // Planes too large for the scratch, or strides over 2: bounds checked in place.
    // Interior columns: ow·sw − pw ≥ 0 and ow·sw − pw + (kw − 1)·dw ≤ W − 1.
    let owLo = (pw + sw - 1) / sw;
    let owHi = W - 1 - (kw - 1) * dw + pw >= 0 ? (W - 1 - (kw - 1) * dw + pw) / sw + 1 : 0;
    owLo = min(owLo, Wo);
    owHi = max(owLo, min(owHi, Wo));
    const loV = f32x4.splat(lo);
    const hiV = f32x4.splat(hi);
    const clamp = (flags & CLAMP) != 0;
    const act = absorbedActivation(flags);
    // A mean divides by every tap, padding included; a sum or max needs no scale.
    const scale: f32 = mode == WINDOW_AVG ? 1 / <f32>(kh * kw) : 1;
    const scaleV = f32x4.splat(scale);
    for (let oc = c0; oc < c1; oc++) {
        const plane = x + <usize>(oc / multiplier) * H * W * 4;
        const taps: usize = mode == WINDOW_DEPTHWISE ? weight + <usize>oc * kh * kw * 4 : 0;
        const out = y + <usize>oc * Ho * Wo * 4;
        const start: f32 = mode == WINDOW_MAX ? -Infinity : mode == WINDOW_DEPTHWISE && (flags & BIAS) ? load<f32>(bias + (<usize>oc << 2)) : 0;
        for (let oh = 0; oh < Ho; oh++) {
            const row = out + <usize>oh * Wo * 4;
            // Border columns, one at a time.
            for (let ow = 0; ow < Wo; ow++) {
                if (ow == owLo) ow = owHi;
                if (ow >= Wo) break;
                let acc = start;
                for (let i = 0; i < kh; i++) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (let j = 0; j < kw; j++) {
                        const iw = ow * sw - pw + j * dw;
                        if (iw >= 0 && iw < W) acc = reduceTap(mode, acc, load<f32>(plane + <usize>(ih * W + iw) * 4), taps + <usize>(i * kw + j) * 4);
                    }
                }
                acc *= scale;
                if (clamp) acc = min(max(acc, lo), hi);
                store<f32>(row + (<usize>ow << 2), acc);
            }
            // Interior columns, four at a time where the stride allows.
            let ow = owLo;
            if (sw <= 2) {
                for (; ow + 4 <= owHi; ow += 4) {
                    let acc = f32x4.splat(start);
                    for (let i = 0; i < kh; i++) {
                        const ih = oh * sh - ph + i * dh;
                        if (ih < 0 || ih >= H) continue;
                        const src = plane + <usize>(ih * W + ow * sw - pw) * 4;
                        const tapRow = taps + <usize>(i * kw) * 4;
                        for (let j = 0; j < kw; j++) {
                            const at = src + <usize>(j * dw) * 4;
                            const v = sw == 1 ? v128.load(at) : v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
                            acc = reduceTaps(mode, acc, v, tapRow + (<usize>j << 2));
                        }
                    }
                    acc = f32x4.mul(acc, scaleV);
                    if (clamp) acc = clamp4(acc, loV, hiV);
                    v128.store(row + (<usize>ow << 2), acc);
                }
            }
            for (; ow < owHi; ow++) {
                let acc = start;
                for (let i = 0; i < kh; i++) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    const src = plane + <usize>(ih * W + ow * sw - pw) * 4;
                    for (let j = 0; j < kw; j++) acc = reduceTap(mode, acc, load<f32>(src + <usize>(j * dw) * 4), taps + <usize>(i * kw + j) * 4);
                }
                acc *= scale;
                if (clamp) acc = min(max(acc, lo), hi);
                store<f32>(row + (<usize>ow << 2), acc);
            }
        }
        if (act) activate(act, out, out, 0, Ho * Wo, lo, hi);
    }
}
