/**
 * Pooling kernels with PyTorch's semantics, in 1, 2 and 3 spatial dimensions (1-D and 2-D are the 3-D case with
 * leading sizes of 1):
 * - max pooling: padding is −∞, taps spaced by the dilation, NaN propagates (as `max_pool*d`);
 * - average pooling: a window is clipped to the end padding (a ceil-mode window that hangs past it is cut there),
 *   and the divisor is the clipped window size with `count_include_pad`, or the real elements in it without, or
 *   `divisor_override` for every window when it is given;
 * - adaptive pooling: output i reads ⌊i·In/Out⌋ … ⌈(i+1)·In/Out⌉ (exclusive) along each dimension;
 * - global pooling: every channel reduced to one value;
 * - spatial pyramid pooling: adaptive pooling to l×l for each level l.
 * Windows are separable, so each dimension's window bounds are computed once per call, not per output.
 */
import { resolveWindowAttrs } from '../../language/ops/conv.js';
import { adaptiveWindow } from '../../language/ops/pool.js';
import { to3d } from '../im2col.js';
import type { Tensor } from '../tensor.js';
import type { OpTable } from '../../language/ops/registry.js';
import type { Kernel } from './types.js';
import type { Compute } from '../compute.js';

/** Per output position along one dimension: the window's first and last+1 real input index and its divisor share. */
interface AxisWindows {
    /** First real input index read (already clipped to ≥ 0). */
    readonly begin: Int32Array;
    /** One past the last real input index read (clipped to ≤ size). */
    readonly end: Int32Array;
    /** Window extent counted for the divisor with count_include_pad (clipped to the end padding). */
    readonly padded: Int32Array;
}

/** Average-pooling windows along one axis, by PyTorch's rule (`cpu_avg_pool`). */
function avgAxis(size: number, out: number, k: number, s: number, padBegin: number, padEnd: number): AxisWindows {
    const begin = new Int32Array(out);
    const end = new Int32Array(out);
    const padded = new Int32Array(out);
    for (let o = 0; o < out; o++) {
        const start = o * s - padBegin;
        const stop = Math.min(start + k, size + padEnd);
        padded[o] = stop - start;
        begin[o] = Math.max(start, 0);
        end[o] = Math.min(stop, size);
    }
    return { begin, end, padded };
}

/** Adaptive windows along one axis. */
function adaptiveAxis(size: number, out: number): AxisWindows {
    const begin = new Int32Array(out);
    const end = new Int32Array(out);
    for (let o = 0; o < out; o++) [begin[o], end[o]] = adaptiveWindow(o, size, out);
    return { begin, end, padded: end.map((e, o) => e - begin[o]) };
}

/** [D, H, W] of an N×C×spatial tensor, 1 for missing leading dimensions. */
function spatial3d(t: Tensor): [number, number, number] {
    return to3d(t.shape.slice(2), 1);
}

/**
 * Reduces every (n, c) plane of `x` over separable windows into `y`: mean (the sum divided by `divisor` when given,
 * else by the padded or real window size) or max (NaN propagates). `y` holds `planes` planes of Do·Ho·Wo values.
 */
function reduceWindows(x: Float32Array, xOffset: number, inSize: readonly number[], axes: readonly AxisWindows[], mode: 'avg' | 'max', countPad: boolean,
    y: Float32Array, yOffset: number, planes: number, yPlaneStride: number, divisor?: number): void {
    const [, H, W] = inSize;
    const [ad, ah, aw] = axes;
    const Do = ad.begin.length, Ho = ah.begin.length, Wo = aw.begin.length;
    const inPlane = inSize[0] * H * W;
    for (let p = 0; p < planes; p++) {
        const src = xOffset + p * inPlane;
        let dst = yOffset + p * yPlaneStride;
        for (let od = 0; od < Do; od++) {
            const d0 = ad.begin[od], d1 = ad.end[od];
            for (let oh = 0; oh < Ho; oh++) {
                const h0 = ah.begin[oh], h1 = ah.end[oh];
                for (let ow = 0; ow < Wo; ow++, dst++) {
                    const w0 = aw.begin[ow], w1 = aw.end[ow];
                    if (mode === 'max') {
                        let m = -Infinity;
                        for (let d = d0; d < d1; d++) {
                            for (let h = h0; h < h1; h++) {
                                const row = src + (d * H + h) * W;
                                for (let w = w0; w < w1; w++) {
                                    const v = x[row + w];
                                    if (v > m || v !== v) m = v;
                                }
                            }
                        }
                        y[dst] = m;
                    } else {
                        if (d0 >= d1 || h0 >= h1 || w0 >= w1) {
                            y[dst] = 0;
                            continue;
                        }
                        let sum = 0;
                        for (let d = d0; d < d1; d++) {
                            for (let h = h0; h < h1; h++) {
                                const row = src + (d * H + h) * W;
                                for (let w = w0; w < w1; w++) sum += x[row + w];
                            }
                        }
                        const count = divisor ?? (countPad
                            ? ad.padded[od] * ah.padded[oh] * aw.padded[ow]
                            : (d1 - d0) * (h1 - h0) * (w1 - w0));
                        y[dst] = sum / count;
                    }
                }
            }
        }
    }
}

/**
 * Max pooling with dilation: taps at start + t·d, those in the padding skipped (−∞). A window whose taps all fall
 * in the padding gives −∞, as PyTorch.
 */
function maxPoolDilated(x: Float32Array, inSize: readonly number[], outSize: readonly number[], k: readonly number[], s: readonly number[],
    dil: readonly number[], pad: readonly number[], y: Float32Array, planes: number): void {
    const [D, H, W] = inSize;
    const [Do, Ho, Wo] = outSize;
    const inPlane = D * H * W;
    // Per axis and output position: the first tap's input index; the taps inside the input are found per window.
    const firstTap = (size: number, out: number, axis: number) => {
        const begin = new Int32Array(out);
        const count = new Int32Array(out);
        for (let o = 0; o < out; o++) {
            const start = o * s[axis] - pad[axis];
            let t0 = 0;
            while (t0 < k[axis] && start + t0 * dil[axis] < 0) t0++;
            let t1 = t0;
            while (t1 < k[axis] && start + t1 * dil[axis] < size) t1++;
            begin[o] = start + t0 * dil[axis];
            count[o] = t1 - t0;
        }
        return { begin, count };
    };
    const ad = firstTap(D, Do, 0), ah = firstTap(H, Ho, 1), aw = firstTap(W, Wo, 2);
    const [dd, dh, dw] = dil;
    let dst = 0;
    for (let p = 0; p < planes; p++) {
        const src = p * inPlane;
        for (let od = 0; od < Do; od++) {
            for (let oh = 0; oh < Ho; oh++) {
                for (let ow = 0; ow < Wo; ow++, dst++) {
                    let m = -Infinity;
                    for (let a = 0, d = ad.begin[od]; a < ad.count[od]; a++, d += dd) {
                        for (let b = 0, h = ah.begin[oh]; b < ah.count[oh]; b++, h += dh) {
                            const row = src + (d * H + h) * W;
                            for (let e = 0, w = aw.begin[ow]; e < aw.count[ow]; e++, w += dw) {
                                const v = x[row + w];
                                if (v > m || v !== v) m = v;
                            }
                        }
                    }
                    y[dst] = m;
                }
            }
        }
    }
}

function slidingPool(mode: 'max' | 'avg'): Kernel {
    return ctx => {
        const x = ctx.inputs[0];
        const y = ctx.outputs[0];
        const dims = x.shape.length - 2;
        const w = resolveWindowAttrs({ inputs: [x.shape], attrs: ctx.node.attrs }, dims, { dilation: mode === 'max' });
        const inSize = spatial3d(x);
        const outSize = spatial3d(y);
        const k = to3d(w.kernel, 1), s = to3d(w.stride, 1), dil = to3d(w.dilation, 1);
        const padBegin = to3d(w.pads.begin, 0), padEnd = to3d(w.pads.end, 0);
        const planes = x.shape[0] * x.shape[1];
        const countPad = mode === 'avg' && ctx.node.attrs.count_include_pad !== false;
        const divisor = mode === 'avg' ? ctx.node.attrs.divisor_override as number | undefined : undefined;
        // The engine's mean divides by every tap: right when padding counts and no window runs past the end padding.
        const fullWindows = [1, 2].every(i => (outSize[i] - 1) * s[i] + k[i] <= inSize[i] + padBegin[i] + padEnd[i]);
        if (dims === 2 && (mode === 'max' || (countPad && fullWindows && divisor === undefined))) {
            const g = { channels: planes, input: inSize, output: outSize, kernel: k, stride: s, dilation: dil, padBegin } as const;
            if (ctx.compute.pool2d(mode, x.data, g, planes, y.data)) return;
        }
        if (mode === 'max' && dil.some(d => d !== 1)) {
            maxPoolDilated(x.data, inSize, outSize, k, s, dil, padBegin, y.data, planes);
            return;
        }
        const axes = [0, 1, 2].map(i => avgAxis(inSize[i], outSize[i], k[i], s[i], padBegin[i], padEnd[i]));
        reduceWindows(x.data, 0, inSize, axes, mode, countPad, y.data, 0, planes, outSize[0] * outSize[1] * outSize[2], divisor);
    };
}

function adaptivePool(mode: 'max' | 'avg'): Kernel {
    return ctx => {
        const x = ctx.inputs[0];
        const y = ctx.outputs[0];
        const inSize = spatial3d(x);
        const outSize = spatial3d(y);
        const planes = x.shape[0] * x.shape[1];
        if (poolTilingWindows(ctx.compute, mode, x.data, inSize, outSize, planes, y.data)) return;
        const axes = [0, 1, 2].map(i => adaptiveAxis(inSize[i], outSize[i]));
        reduceWindows(x.data, 0, inSize, axes, mode, false, y.data, 0, planes, outSize[0] * outSize[1] * outSize[2]);
    };
}

function globalPool(mode: 'max' | 'avg'): Kernel {
    return ctx => {
        const x = ctx.inputs[0];
        const y = ctx.outputs[0].data;
        const planes = x.shape[0] * x.shape[1];
        const size = x.data.length / planes;
        if (poolTilingWindows(ctx.compute, mode, x.data, spatial3d(x), [1, 1, 1], planes, y)) return;
        for (let p = 0; p < planes; p++) {
            const start = p * size;
            if (mode === 'max') {
                let m = -Infinity;
                for (let i = start; i < start + size; i++) {
                    const v = x.data[i];
                    if (v > m || v !== v) m = v;
                }
                y[p] = m;
            } else {
                let sum = 0;
                for (let i = start; i < start + size; i++) sum += x.data[i];
                y[p] = sum / size;
            }
        }
    };
}

type Size3d = readonly [number, number, number];

/**
 * Pools with the engine's kernel when the windows tile every plane exactly — each output reads In/Out inputs
 * along every axis (a global pool, or an adaptive one whose sizes divide: ResNet's and MobileNet's 7² → 1²) —
 * which is a plain pool of kernel = stride = In/Out. False when they do not, or the engine has no such kernel.
 */
function poolTilingWindows(compute: Compute, mode: 'max' | 'avg', x: Float32Array, inSize: Size3d, outSize: Size3d,
    planes: number, y: Float32Array): boolean {
    if (!inSize.every((size, i) => size % outSize[i] === 0)) return false;
    // One output per plane: the plane as one row and its window the whole row, whatever its dimensions.
    const [input, output]: [Size3d, Size3d] = outSize.every(size => size === 1)
        ? [[1, 1, inSize[0] * inSize[1] * inSize[2]], [1, 1, 1]]
        : [inSize, outSize];
    const kernel: Size3d = [input[0] / output[0], input[1] / output[1], input[2] / output[2]];
    return compute.pool2d(mode, x, { channels: planes, input, output, kernel, stride: kernel, dilation: [1, 1, 1], padBegin: [0, 0, 0] }, planes, y);
}

/**
 * Spatial pyramid pooling. Output order (ours, as the common SPP-net implementations): levels in the order given;
 * within a level, each sample's l×l bins flattened channel-major, i.e. feature index
 * `offset(level) + c·l² + i·l + j`, where offset(level) = C·Σ of the earlier levels' l² — the same as
 * `torch.cat([adaptive_{max,avg}_pool2d(x, l).flatten(1) for l in levels], 1)`.
 */
const sppKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0];
    const [batch, channels, H, W] = x.shape;
    const levels = ctx.node.attrs.levels as readonly number[];
    const mode = ctx.node.attrs.mode === 'avg' ? 'avg' : 'max';
    const features = y.shape[1];
    let offset = 0;
    for (const l of levels) {
        const axes = [adaptiveAxis(1, 1), adaptiveAxis(H, l), adaptiveAxis(W, l)];
        for (let n = 0; n < batch; n++) {
            reduceWindows(x.data, n * channels * H * W, [1, H, W], axes, mode, false, y.data, n * features + offset, channels, l * l);
        }
        offset += channels * l * l;
    }
};

export const poolKernels: OpTable<Kernel> = {
    maxpool: slidingPool('max'),
    avgpool: slidingPool('avg'),
    adaptiveavgpool: adaptivePool('avg'),
    adaptivemaxpool: adaptivePool('max'),
    globalavgpool: globalPool('avg'),
    globalmaxpool: globalPool('max'),
    spp: sppKernel,
};
