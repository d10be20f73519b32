// im2col and its adjoint col2im for 2-D windows (AssemblyScript; see kernels.ts): the column matrix a conv's
// GEMM multiplies, and the scatter back that a transposed conv needs.

/** First of `count` window positions o whose tap lands at or after the start: o·stride + offset ≥ 0. */
@inline function firstInside(count: i32, stride: i32, offset: i32): i32 {
    let o = 0;
    while (o < count && o * stride + offset < 0) o++;
    return o;
}

/** One past the last of positions [first, count) whose tap lands before `size`: o·stride + offset < size. */
@inline function endInside(first: i32, count: i32, stride: i32, offset: i32, size: i32): i32 {
    let o = count;
    while (o > first && (o - 1) * stride + offset >= size) o--;
    return o;
}

/**
 * im2col of one image for a 2-D window (the layout of runtime/im2col.ts): rows (c, i, j) of channels
 * [c0, c1), each of P = Ho·Wo output positions; x and cols are byte addresses of channel 0 and row 0.
 */
export function im2col2d(x: usize, c0: i32, c1: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
    dh: i32, dw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32, cols: usize): void {
    const P = Ho * Wo;
    const K = kh * kw;
    for (let c = c0; c < c1; c++) {
        const plane = x + <usize>c * H * W * 4;
        for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
                let dst = cols + <usize>((c * K + i * kw + j) * P) * 4;
                // Output columns [owLo, owHi) read inside the image; the rest are padding.
                const owLo = firstInside(Wo, sw, j * dw - pw);
                const owHi = endInside(owLo, Wo, sw, j * dw - pw, W);
                for (let oh = 0; oh < Ho; oh++) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) {
                        memory.fill(dst, 0, <usize>Wo * 4);
                        dst += <usize>Wo * 4;
                        continue;
                    }
                    const row = plane + <usize>(ih * W) * 4;
                    if (owLo > 0) memory.fill(dst, 0, <usize>owLo * 4);
                    const firstIw = owLo * sw - pw + j * dw;
                    if (sw == 1) {
                        memory.copy(dst + (<usize>owLo << 2), row + (<usize>firstIw << 2), <usize>(owHi - owLo) * 4);
                    } else {
                        let src = row + (<usize>firstIw << 2);
                        const step = <usize>sw << 2;
                        for (let ow = owLo; ow < owHi; ow++) {
                            store<f32>(dst + (<usize>ow << 2), load<f32>(src));
                            src += step;
                        }
                    }
                    if (owHi < Wo) memory.fill(dst + (<usize>owHi << 2), 0, <usize>(Wo - owHi) * 4);
                    dst += <usize>Wo * 4;
                }
            }
        }
    }
}

/** Adds grid columns [from, to) of one column-matrix row (`src`) into image row `row` at x = ow·sw + offset. */
@inline function addScattered(row: usize, src: usize, from: i32, to: i32, sw: i32, offset: i32): void {
    for (let ow = from; ow < to; ow++) {
        const at = row + <usize>(ow * sw + offset) * 4;
        store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>ow << 2)));
    }
}

/**
 * col2im, im2col's adjoint, for a 2-D window (runtime/im2col.ts's layout): adds every entry of the column matrix
 * back into the image position it came from, for image channels [c0, c1) — disjoint outputs per thread. `y` is
 * the image (H×W planes, accumulated into), the window grid is Hg×Wg; used by the transposed conv. Stride 1 adds
 * four columns at a time; stride 2 (undilated) takes taps j and j + 1 together, whose columns land on alternate
 * image columns: four of each interleaved are eight consecutive outputs.
 */
export function col2im2d(cols: usize, y: usize, c0: i32, c1: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32,
    dh: i32, dw: i32, ph: i32, pw: i32, Hg: i32, Wg: i32): void {
    const P = Hg * Wg;
    const K = kh * kw;
    const pairs = sw == 2 && dw == 1;
    for (let c = c0; c < c1; c++) {
        const plane = y + <usize>c * H * W * 4;
        for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
                let src = cols + <usize>((c * K + i * kw + j) * P) * 4;
                // Grid columns [owLo, owHi) land inside the image.
                const offset = j * dw - pw;
                const owLo = firstInside(Wg, sw, offset);
                const owHi = endInside(owLo, Wg, sw, offset, W);
                if (pairs && j + 1 < kw) {
                    // Tap j + 1 lands one column right of tap j: both inside on grid columns [lo, hi).
                    const nextLo = firstInside(Wg, 2, offset + 1), nextHi = endInside(nextLo, Wg, 2, offset + 1, W);
                    const lo = max(owLo, nextLo), hi = min(owHi, nextHi);
                    const quads = lo < hi ? (hi - lo) & ~3 : 0;
                    for (let oh = 0; oh < Hg; oh++, src += <usize>Wg * 4) {
                        const ih = oh * sh - ph + i * dh;
                        if (ih < 0 || ih >= H) continue;
                        const row = plane + <usize>(ih * W) * 4;
                        const next = src + <usize>P * 4;
                        for (let ow = lo; ow < lo + quads; ow += 4) {
                            const a = v128.load(src + (<usize>ow << 2)), b = v128.load(next + (<usize>ow << 2));
                            const at = row + <usize>(2 * ow + offset) * 4;
                            v128.store(at, f32x4.add(v128.load(at), v128.shuffle<f32>(a, b, 0, 4, 1, 5)));
                            v128.store(at, f32x4.add(v128.load(at, 16), v128.shuffle<f32>(a, b, 2, 6, 3, 7)), 16);
                        }
                        // What the vectors left: each tap's columns outside [lo, lo + quads).
                        addScattered(row, src, owLo, min(owHi, lo), 2, offset);
                        addScattered(row, src, max(owLo, lo + quads), owHi, 2, offset);
                        addScattered(row, next, nextLo, min(nextHi, lo), 2, offset + 1);
                        addScattered(row, next, max(nextLo, lo + quads), nextHi, 2, offset + 1);
                    }
                    j++;
                    continue;
                }
                for (let oh = 0; oh < Hg; oh++, src += <usize>Wg * 4) {
                    const ih = oh * sh - ph + i * dh;
                    if (ih < 0 || ih >= H) continue;
                    const row = plane + <usize>(ih * W) * 4;
                    let ow = owLo;
                    if (sw == 1) {
                        const to = row + <usize>(owLo + offset) * 4;
                        for (; ow + 4 <= owHi; ow += 4) {
                            const at = to + (<usize>(ow - owLo) << 2);
                            v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>ow << 2))));
                        }
                    }
                    addScattered(row, src, ow, owHi, sw, offset);
                }
            }
        }
    }
}
