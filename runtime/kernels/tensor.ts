/**
 * Linear layers and layout ops: linear and matmul (through the shared `gemm`), flatten and reshape (copies: every
 * tensor has its own place in the arena), permute, pad (constant, reflect, replicate) and upsample (nearest, linear,
 * bilinear, trilinear), with PyTorch's semantics.
 */
import { resolvePadding, isIssue } from '../../language/ops/padding.js';
import { isNearestMode, linearSourceWeights, nearestIndicesFor } from '../../language/ops/interpolation.js';
import { permutationOf, upsampleScaleFactors } from '../../language/ops/tensor.js';
import type { OpTable } from '../../language/ops/registry.js';
import type { Kernel } from './types.js';
import type { Tensor } from '../tensor.js';

/**
 * y = x·Wᵀ + b over the last dimension. The fast engine transposes PyTorch's weight [out, in] once when a run is
 * prepared (runtime/fusion.ts) and computes Y[M × out] = X[M × in] · Wᵀ[in × out] on the rows as they lie, the
 * bias added per column in the GEMM's output loop. With the weight as stored (the reference), the kernel computes
 * Yᵀ[out × M] = W[out × in] · Xᵀ[in × M], transposing the M×in input into scratch and the result back; for M = 1
 * (one sample) Xᵀ and Yᵀ are the vectors themselves and nothing is copied.
 */
const linearKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0].data;
    const { weight, bias } = ctx.params;
    const inF = x.shape[x.shape.length - 1];
    const outF = y.length / (x.data.length / inF);
    const rows = x.data.length / inF;
    if (ctx.transposedWeight) {
        // The run transposed W once (runtime/fusion.ts): Y = X·Wᵀ as the rows lie, the bias per column of Y.
        ctx.compute.gemm(rows, outF, inF, x.data, 0, inF, weight, 0, outF, y, 0, outF, false, { bias, biasPerColumn: true });
        return;
    }
    // The bias is per row of Yᵀ: the GEMM's output loop adds it.
    if (rows === 1) {
        ctx.compute.gemm(outF, 1, inF, weight, 0, inF, x.data, 0, 1, y, 0, 1, false, { bias });
        return;
    }
    const xT = ctx.workspace.get('linearXT', inF * rows);
    const yT = ctx.workspace.get('linearYT', outF * rows);
    for (let r = 0; r < rows; r++) for (let i = 0; i < inF; i++) xT[i * rows + r] = x.data[r * inF + i];
    ctx.compute.gemm(outF, rows, inF, weight, 0, inF, xT, 0, rows, yT, 0, rows, false, { bias });
    for (let o = 0; o < outF; o++) for (let r = 0; r < rows; r++) y[r * outF + o] = yT[o * rows + r];
};

/** Batched matrix product of the last two dimensions: one GEMM per leading index. */
const matmulKernel: Kernel = ctx => {
    const [a, b] = ctx.inputs;
    const y = ctx.outputs[0].data;
    const rank = a.shape.length;
    const m = a.shape[rank - 2];
    const k = a.shape[rank - 1];
    const n = b.shape[rank - 1];
    const batch = a.data.length / (m * k);
    for (let i = 0; i < batch; i++) ctx.compute.gemm(m, n, k, a.data, i * m * k, k, b.data, i * k * n, n, y, i * m * n, n, false);
};

const copyKernel: Kernel = ctx => ctx.outputs[0].data.set(ctx.inputs[0].data);

/**
 * Permute (and channelslast / channelsfirst): the output in row-major order, each element read from the input at
 * the output's index mapped back through the permutation. Output axis a steps through the input by the stride of
 * input axis perm[a]; the innermost output axis is a tight strided loop, the outer ones an odometer.
 */
const permuteKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0].data;
    const rank = x.shape.length;
    const perm = permutationOf(ctx.node.op, ctx.node.attrs, rank);
    if (isIssue(perm)) throw new Error(perm.message);
    const inStride = new Array<number>(rank);
    for (let a = rank - 1, s = 1; a >= 0; a--) {
        inStride[a] = s;
        s *= x.shape[a];
    }
    const size = perm.map(p => x.shape[p]);
    const step = perm.map(p => inStride[p]);
    const inner = size[rank - 1];
    const innerStep = step[rank - 1];
    const index = new Array<number>(rank).fill(0);
    let src = 0;
    for (let dst = 0; dst < y.length; dst += inner) {
        for (let i = 0, s = src; i < inner; i++, s += innerStep) y[dst + i] = x.data[s];
        for (let a = rank - 2; a >= 0; a--) {
            src += step[a];
            if (++index[a] < size[a]) break;
            src -= step[a] * size[a];
            index[a] = 0;
        }
    }
};

/** How a padding is filled, as F.pad's modes (a conv's padding_mode "zeros" is "constant" with 0). */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * For each output index along one padded axis, the input index it copies (−1: the constant). Reflect mirrors
 * about the edge without repeating it (PyTorch's `reflect`), replicate repeats the edge, circular wraps around.
 */
function padAxisMap(size: number, before: number, out: number, mode: PadMode): Int32Array {
    const map = new Int32Array(out);
    for (let o = 0; o < out; o++) {
        let i = o - before;
        if (i < 0 || i >= size) {
            if (mode === 'constant') i = -1;
            else if (mode === 'replicate') i = i < 0 ? 0 : size - 1;
            else if (mode === 'circular') i = ((i % size) + size) % size;
            else {
                const period = 2 * (size - 1);
                i = period === 0 ? 0 : Math.abs(i) % period;
                if (i >= size) i = period - i;
            }
        }
        map[o] = i;
    }
    return map;
}

/**
 * Pads the spatial axes of `x` by `begin` and `end` per axis into `y` (of shape [N, C, …padded]), filling as F.pad
 * does in `mode` (`value` for constant). The pad layer and the convs with a padding_mode use it.
 */
export function padInto(x: Tensor, begin: readonly number[], end: readonly number[], mode: PadMode, value: number, y: Float32Array): void {
    const spatial = x.shape.slice(2);
    // Work in 3-D form: leading axes of size 1 map 0 → 0.
    const lead = 3 - spatial.length;
    const inSize = [...Array(lead).fill(1), ...spatial];
    const outSize = [...Array(lead).fill(1), ...spatial.map((s, i) => s + begin[i] + end[i])];
    const maps = [0, 1, 2].map(a => (a < lead ? new Int32Array(1) : padAxisMap(inSize[a], begin[a - lead], outSize[a], mode)));
    const [D, H, W] = inSize;
    const [Do, Ho, Wo] = outSize;
    const planes = x.shape[0] * x.shape[1];
    let dst = 0;
    for (let p = 0; p < planes; p++) {
        const src = p * D * H * W;
        for (let od = 0; od < Do; od++) {
            const id = maps[0][od];
            for (let oh = 0; oh < Ho; oh++) {
                const ih = maps[1][oh];
                if (id < 0 || ih < 0) {
                    y.fill(value, dst, dst + Wo);
                    dst += Wo;
                    continue;
                }
                const row = src + (id * H + ih) * W;
                for (let ow = 0; ow < Wo; ow++) {
                    const iw = maps[2][ow];
                    y[dst++] = iw < 0 ? value : x.data[row + iw];
                }
            }
        }
    }
}

const padKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const spatial = x.shape.slice(2);
    const pads = resolvePadding(ctx.node.attrs.padding, { input: spatial, kernelEff: spatial.map(() => 1), stride: spatial.map(() => 1) });
    if (isIssue(pads)) throw new Error(pads.message);
    padInto(x, pads.begin, pads.end, ctx.node.attrs.mode as PadMode, ctx.node.attrs.value as number, ctx.outputs[0].data);
};

/** Nearest, nearest-exact or (bi/tri)linear resampling with the coordinate rule of language/ops/interpolation.ts. */
const upsampleKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0];
    const dims = x.shape.length - 2;
    const lead = 3 - dims;
    const inSize = [...Array(lead).fill(1), ...x.shape.slice(2)];
    const outSize = [...Array(lead).fill(1), ...y.shape.slice(2)];
    const attrs = ctx.node.attrs;
    const scaleFactors = upsampleScaleFactors(attrs, dims);
    const scaleFactor = (axis: number) => scaleFactors?.[axis - lead];
    const [D, H, W] = inSize;
    const [Do, Ho, Wo] = outSize;
    const planes = x.shape[0] * x.shape[1];
    const src = x.data;
    const out = y.data;
    if (isNearestMode(attrs.mode as string)) {
        const maps = [0, 1, 2].map(a => (a < lead ? new Int32Array(1) : nearestIndicesFor(attrs.mode as string, inSize[a], outSize[a], scaleFactor(a))));
        let dst = 0;
        for (let p = 0; p < planes; p++) {
            const base = p * D * H * W;
            for (let od = 0; od < Do; od++) {
                for (let oh = 0; oh < Ho; oh++) {
                    const row = base + (maps[0][od] * H + maps[1][oh]) * W;
                    for (let ow = 0; ow < Wo; ow++) out[dst++] = src[row + maps[2][ow]];
                }
            }
        }
        return;
    }
    const alignCorners = attrs.align_corners === true;
    const [ad, ah, aw] = [0, 1, 2].map(a => (a < lead
        ? linearSourceWeights(1, 1, alignCorners, undefined)
        : linearSourceWeights(inSize[a], outSize[a], alignCorners, scaleFactor(a))));
    let dst = 0;
    for (let p = 0; p < planes; p++) {
        const base = p * D * H * W;
        for (let od = 0; od < Do; od++) {
            const d0 = base + ad.i0[od] * H * W, d1 = base + ad.i1[od] * H * W, wd = ad.w1[od];
            for (let oh = 0; oh < Ho; oh++) {
                const h0 = ah.i0[oh] * W, h1 = ah.i1[oh] * W, wh = ah.w1[oh];
                const r00 = d0 + h0, r01 = d0 + h1, r10 = d1 + h0, r11 = d1 + h1;
                for (let ow = 0; ow < Wo; ow++) {
                    const w0 = aw.i0[ow], w1 = aw.i1[ow], ww = aw.w1[ow];
                    const v00 = src[r00 + w0] + (src[r00 + w1] - src[r00 + w0]) * ww;
                    const v01 = src[r01 + w0] + (src[r01 + w1] - src[r01 + w0]) * ww;
                    const v10 = src[r10 + w0] + (src[r10 + w1] - src[r10 + w0]) * ww;
                    const v11 = src[r11 + w0] + (src[r11 + w1] - src[r11 + w0]) * ww;
                    const v0 = v00 + (v01 - v00) * wh;
                    const v1 = v10 + (v11 - v10) * wh;
                    out[dst++] = v0 + (v1 - v0) * wd;
                }
            }
        }
    }
};

/**
 * Pixel shuffle and unshuffle move the same elements in opposite directions between a deep tensor
 * [N, C·r², H, W] and a wide one [N, C, H·r, W·r]: deep channel c·r² + i·r + j at (h, w) is wide channel c at
 * (h·r + i, w·r + j). Shuffle copies deep → wide, unshuffle wide → deep.
 */
function pixelShuffleKernel(direction: 'up' | 'down'): Kernel {
    return ctx => {
        const r = ctx.node.attrs.factor as number;
        const [deep, wide] = direction === 'up' ? [ctx.inputs[0], ctx.outputs[0]] : [ctx.outputs[0], ctx.inputs[0]];
        const [batch, channels, H, W] = wide.shape;
        const h = H / r, w = W / r;
        for (let n = 0; n < batch; n++) {
            for (let c = 0; c < channels; c++) {
                const wideChannel = (n * channels + c) * H * W;
                for (let i = 0; i < r; i++) {
                    for (let j = 0; j < r; j++) {
                        let d = ((n * channels + c) * r * r + i * r + j) * h * w;
                        for (let y = 0; y < h; y++) {
                            let v = wideChannel + (y * r + i) * W + j;
                            if (direction === 'up') for (let x = 0; x < w; x++, v += r) wide.data[v] = deep.data[d++];
                            else for (let x = 0; x < w; x++, v += r) deep.data[d++] = wide.data[v];
                        }
                    }
                }
            }
        }
    };
}

export const tensorKernels: OpTable<Kernel> = {
    linear: linearKernel,
    matmul: matmulKernel,
    flatten: copyKernel,
    reshape: copyKernel,
    permute: permuteKernel,
    pad: padKernel,
    upsample: upsampleKernel,
    pixelshuffle: pixelShuffleKernel('up'),
    pixelunshuffle: pixelShuffleKernel('down'),
};
