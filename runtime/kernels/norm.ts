/**
 * Normalisation kernels in inference mode, as PyTorch's eval():
 * - batch norm: y = (x − running_mean)/√(running_var + eps)·weight + bias per channel, folded into one scale and
 *   shift per channel; without running statistics the mean and biased variance of the channel over the batch and
 *   its positions take their place, and without affine parameters weight is 1 and bias 0 (PyTorch's eval mode);
 * - layer norm: each sample normalised over its trailing `normalized_shape` elements (biased variance), then
 *   weight and bias elementwise over those elements;
 * - layer norm over the channels (LayerNorm2d): each position of each sample normalised over its channels, then
 *   weight and bias per channel;
 * - group norm: channels split into groups, each (sample, group) normalised over its channels and positions, then
 *   weight and bias per channel.
 * - local response normalisation (AlexNet): y = x / (k + alpha/size · Σ x²)^beta, the sum over the channels
 *   c − size//2 … c + (size−1)//2 that exist, at the same position (PyTorch's LocalResponseNorm).
 * Statistics are accumulated in float64 (two passes: mean, then centred squares) so they do not drift on large
 * planes.
 */
import { elementCount } from '../tensor.js';
import type { OpTable } from '../../language/ops/registry.js';
import type { Kernel } from './types.js';

const batchnormKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0].data;
    const { weight, bias, running_mean: runningMean, running_var: runningVariance, scale: fixedScale, shift: fixedShift } = ctx.params;
    const eps = ctx.node.attrs.eps as number;
    const [batch, channels] = x.shape;
    const plane = elementCount(x.shape.slice(2));
    if (fixedScale) {
        // Scale and shift made when the run was prepared (runtime/fusion.ts): a 1×1 depthwise conv with a bias, each
        // channel's plane as one row, on the engine's kernel.
        const g = { channels, input: [1, 1, plane], output: [1, 1, plane], kernel: [1, 1, 1], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0] } as const;
        for (let n = 0; n < batch; n++) {
            ctx.compute.depthwise(x.data, n * channels * plane, g, channels, 1, fixedScale, y, n * channels * plane, { bias: fixedShift });
        }
        return;
    }
    for (let c = 0; c < channels; c++) {
        const [mean, variance] = runningMean ? [runningMean[c], runningVariance[c]] : batchMoments(x.data, batch, channels, plane, c);
        const scale = (weight ? weight[c] : 1) / Math.sqrt(variance + eps);
        const shift = (bias ? bias[c] : 0) - mean * scale;
        for (let n = 0; n < batch; n++) {
            const start = (n * channels + c) * plane;
            for (let i = start; i < start + plane; i++) y[i] = x.data[i] * scale + shift;
        }
    }
};

/** Mean and biased variance of channel `c` over the batch and its positions (two passes, in float64). */
function batchMoments(x: Float32Array, batch: number, channels: number, plane: number, c: number): [number, number] {
    let sum = 0;
    for (let n = 0; n < batch; n++) for (let i = (n * channels + c) * plane, end = i + plane; i < end; i++) sum += x[i];
    const count = batch * plane;
    const mean = sum / count;
    let squares = 0;
    for (let n = 0; n < batch; n++) for (let i = (n * channels + c) * plane, end = i + plane; i < end; i++) squares += (x[i] - mean) ** 2;
    return [mean, squares / count];
}

/** Mean and 1/√(var + eps) of x[start … start+count) (biased variance, as PyTorch's norms). */
function moments(x: Float32Array, start: number, count: number, eps: number): [number, number] {
    let sum = 0;
    for (let i = start; i < start + count; i++) sum += x[i];
    const mean = sum / count;
    let squares = 0;
    for (let i = start; i < start + count; i++) {
        const d = x[i] - mean;
        squares += d * d;
    }
    return [mean, 1 / Math.sqrt(squares / count + eps)];
}

const layernormKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0].data;
    const { weight, bias } = ctx.params;
    const eps = ctx.node.attrs.eps as number;
    const size = weight.length; // ∏ normalized_shape
    const rows = x.data.length / size;
    for (let r = 0; r < rows; r++) {
        const start = r * size;
        const [mean, inv] = moments(x.data, start, size, eps);
        for (let i = 0; i < size; i++) y[start + i] = (x.data[start + i] - mean) * inv * weight[i] + bias[i];
    }
};

/** LayerNorm2d: the channels of one position are `plane` apart; each position's statistics are taken along them. */
const layernorm2dKernel: Kernel = ctx => {
    const x = ctx.inputs[0].data;
    const y = ctx.outputs[0].data;
    const { weight, bias } = ctx.params;
    const eps = ctx.node.attrs.eps as number;
    const [batch, channels] = ctx.inputs[0].shape;
    const plane = elementCount(ctx.inputs[0].shape.slice(2));
    for (let n = 0; n < batch; n++) {
        const sample = n * channels * plane;
        for (let p = 0; p < plane; p++) {
            let sum = 0;
            for (let c = 0, i = sample + p; c < channels; c++, i += plane) sum += x[i];
            const mean = sum / channels;
            let squares = 0;
            for (let c = 0, i = sample + p; c < channels; c++, i += plane) squares += (x[i] - mean) ** 2;
            const inv = 1 / Math.sqrt(squares / channels + eps);
            for (let c = 0, i = sample + p; c < channels; c++, i += plane) y[i] = (x[i] - mean) * inv * weight[c] + bias[c];
        }
    }
};

const groupnormKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0].data;
    const { weight, bias } = ctx.params;
    const eps = ctx.node.attrs.eps as number;
    const groups = ctx.node.attrs.groups as number;
    const [batch, channels] = x.shape;
    const plane = elementCount(x.shape.slice(2));
    const perGroup = channels / groups;
    for (let n = 0; n < batch; n++) {
        for (let g = 0; g < groups; g++) {
            const start = (n * channels + g * perGroup) * plane;
            const [mean, inv] = moments(x.data, start, perGroup * plane, eps);
            for (let cg = 0; cg < perGroup; cg++) {
                const c = g * perGroup + cg;
                const scale = inv * weight[c];
                const shift = bias[c] - mean * scale;
                const base = start + cg * plane;
                for (let i = base; i < base + plane; i++) y[i] = x.data[i] * scale + shift;
            }
        }
    }
};

const lrnKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0].data;
    const { size, alpha, beta, k } = ctx.node.attrs as { size: number; alpha: number; beta: number; k: number };
    const [batch, channels] = x.shape;
    const plane = elementCount(x.shape.slice(2));
    const before = Math.floor(size / 2);
    const after = Math.floor((size - 1) / 2);
    const squares = new Float64Array(channels);
    for (let n = 0; n < batch; n++) {
        const sample = n * channels * plane;
        for (let p = 0; p < plane; p++) {
            for (let c = 0; c < channels; c++) squares[c] = x.data[sample + c * plane + p] ** 2;
            for (let c = 0; c < channels; c++) {
                let sum = 0;
                for (let j = Math.max(0, c - before); j <= Math.min(channels - 1, c + after); j++) sum += squares[j];
                const i = sample + c * plane + p;
                y[i] = x.data[i] / (k + (alpha / size) * sum) ** beta;
            }
        }
    }
};

export const normKernels: OpTable<Kernel> = {
    batchnorm: batchnormKernel,
    layernorm: layernormKernel,
    layernorm2d: layernorm2dKernel,
    groupnorm: groupnormKernel,
    lrn: lrnKernel,
};
