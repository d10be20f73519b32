/**
 * im2col and col2im (Chellapilla et al., "High Performance Convolutional Neural Networks for Document
 * Processing", 2006; Caffe's layout): a convolution becomes one matrix multiply by copying every receptive
 * window of the input into a column.
 *
 * Layout (channel-first, so it multiplies PyTorch's weight [C_out, C_in, kD, kH, kW] viewed as a
 * C_out × (C_in·kD·kH·kW) matrix without reordering):
 *
 *     cols[(c·K + k) · P + p] = x[c, position of kernel tap k in output window p]   (0 in the padding)
 *
 * where K = kD·kH·kW taps in row-major order and P = D_out·H_out·W_out output positions in row-major order.
 * Then  y[C_out × P] = W[C_out × C·K] · cols[C·K × P].
 *
 * Worked example: one channel holding 1…16 as a 4×4 image, a 3×3 kernel, stride 1, no padding → a 2×2 output,
 * so cols is 9 × 4; row k lists what tap k sees in each of the four windows:
 *
 *     x = [ 1  2  3  4 ]        tap (0,0): 1  2  5  6      tap (1,1): 6  7 10 11
 *         [ 5  6  7  8 ]        tap (0,1): 2  3  6  7      …
 *         [ 9 10 11 12 ]        tap (0,2): 3  4  7  8      tap (2,2): 11 12 15 16
 *         [13 14 15 16 ]        tap (1,0): 5  6  9 10
 *
 * (Laying a window out channel-last, as in the NHWC formulation, only permutes the rows: the test of the source
 * material's 1×4×4×2 example checks exactly that permutation.)
 *
 * 1-D and 2-D are the 3-D case with leading sizes of 1, so one implementation serves conv1d/2d/3d.
 */

/** Geometry of a sliding window in 3-D form (1-D and 2-D pad the leading dimensions with 1). */
export interface ConvGeometry {
    readonly channels: number;
    readonly input: readonly [number, number, number];   // D, H, W
    readonly output: readonly [number, number, number];  // D_out, H_out, W_out
    readonly kernel: readonly [number, number, number];
    readonly stride: readonly [number, number, number];
    readonly dilation: readonly [number, number, number];
    /** Padding before each dimension (the end padding only changes the output size, already in `output`). */
    readonly padBegin: readonly [number, number, number];
}

/** Expands per-dimension values of a 1-, 2- or 3-D op to the 3-D form (leading dimensions get `fill`). */
export function to3d(values: readonly number[], fill: number): [number, number, number] {
    const out: [number, number, number] = [fill, fill, fill];
    for (let i = 0; i < values.length; i++) out[3 - values.length + i] = values[i];
    return out;
}

export function taps(g: ConvGeometry): number {
    return g.kernel[0] * g.kernel[1] * g.kernel[2];
}

export function outputPositions(g: ConvGeometry): number {
    return g.output[0] * g.output[1] * g.output[2];
}

/**
 * Walks the column matrix of `g` in order, one output row of a tap at a time: `column` is where its W_out entries
 * start in the matrix, `image` where the input row they read starts in the image (−1 when the row lies in the
 * padding), and `firstIw` the input column of its first entry (then every W-stride). im2col copies along it,
 * col2im adds back along it: one is the adjoint of the other.
 */
function forEachTapRow(g: ConvGeometry, imageOffset: number, colsOffset: number, visit: (column: number, image: number, firstIw: number) => void): void {
    const [D, H, W] = g.input;
    const [Do, Ho, Wo] = g.output;
    const [kd, kh, kw] = g.kernel;
    const [sd, sh] = g.stride;
    const [dd, dh, dw] = g.dilation;
    const [pd, ph, pw] = g.padBegin;
    const P = Do * Ho * Wo;
    let row = colsOffset;
    for (let c = 0; c < g.channels; c++) {
        const plane = imageOffset + c * D * H * W;
        for (let a = 0; a < kd; a++) {
            for (let b = 0; b < kh; b++) {
                for (let e = 0; e < kw; e++, row += P) {
                    let column = row;
                    for (let od = 0; od < Do; od++) {
                        const id = od * sd - pd + a * dd;
                        for (let oh = 0; oh < Ho; oh++, column += Wo) {
                            const ih = oh * sh - ph + b * dh;
                            const inside = id >= 0 && id < D && ih >= 0 && ih < H;
                            visit(column, inside ? plane + (id * H + ih) * W : -1, -pw + e * dw);
                        }
                    }
                }
            }
        }
    }
}

/** Writes the (channels·K) × P column matrix of `x[xOffset …]` (one image, `g.channels` channels) into `cols`. */
export function im2col(x: Float32Array, xOffset: number, g: ConvGeometry, cols: Float32Array, colsOffset = 0): void {
    const W = g.input[2], Wo = g.output[2], sw = g.stride[2];
    forEachTapRow(g, xOffset, colsOffset, (column, image, firstIw) => {
        if (image < 0) {
            cols.fill(0, column, column + Wo);
            return;
        }
        for (let ow = 0, iw = firstIw; ow < Wo; ow++, iw += sw) cols[column + ow] = iw >= 0 && iw < W ? x[image + iw] : 0;
    });
}

/**
 * The adjoint of im2col: adds every entry of the (channels·K) × P matrix `cols` back to the input position it
 * came from. A transposed conv is W^T·x followed by col2im with the roles of input and output swapped:
 * here `g.input` is the transposed conv's *output* (the image being accumulated) and `g.output` its input grid.
 */
export function col2im(cols: Float32Array, colsOffset: number, g: ConvGeometry, y: Float32Array, yOffset: number): void {
    const W = g.input[2], Wo = g.output[2], sw = g.stride[2];
    forEachTapRow(g, yOffset, colsOffset, (column, image, firstIw) => {
        if (image < 0) return;
        for (let ow = 0, iw = firstIw; ow < Wo; ow++, iw += sw) if (iw >= 0 && iw < W) y[image + iw] += cols[column + ow];
    });
}
