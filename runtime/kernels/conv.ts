/**
 * Convolution kernels: conv 1d/2d/3d (im2col + GEMM, one GEMM per group; a 1×1 stride-1 unpadded conv
 * multiplies the input directly), depthwise conv (a direct kernel, runtime/depthwise.ts), transposed conv (GEMM + col2im) and
 * deformable conv (bilinear sampling inside im2col, as torchvision's deform_conv2d). A conv whose padding_mode is
 * not "zeros" pads its input first (reflect, replicate or circular, as PyTorch's F.pad) and convolves that unpadded.
 */
import { familyOf } from '../../language/ops/registry.js';
import { resolveWindowAttrs } from '../../language/ops/conv.js';
import type { GraphNode } from '../../language/elaboration/graph.js';
import { outputPositions, taps, to3d, type ConvGeometry } from '../im2col.js';
import type { Kernel, KernelContext } from './types.js';
import type { GemmOptions } from '../gemm.js';
import type { WinogradScratch, WinogradWeights } from '../compute.js';
import { elementCount, Tensor } from '../tensor.js';
import { padInto, type PadMode } from './tensor.js';

/** Spatial dimensions of a conv op, from its name (conv1d, dwconv3d, convtranspose …). */
function spatialDims(op: string): number {
    return op.endsWith('1d') ? 1 : op.endsWith('3d') ? 3 : 2;
}

/**
 * Each node's window geometry as last worked out, with the input shape and channels it was for: a prepared
 * network runs the same nodes on the same shapes every time, and resolving the attributes anew for each conv of
 * each run was some 1% of MobileNetV2's time on two threads.
 */
const geometries = new WeakMap<GraphNode, { readonly shape: readonly number[]; readonly channels: number; readonly geometry: ConvGeometry }>();

/** Window geometry of a node, resolved by the same rule the shape inference uses. */
export function windowOf(ctx: KernelContext, channels: number, grid: readonly number[], image: readonly number[]): ConvGeometry {
    const shape = ctx.inputs[0].shape;
    const known = geometries.get(ctx.node);
    if (known && known.channels === channels && known.shape.length === shape.length && known.shape.every((d, i) => d === shape[i])) {
        return known.geometry;
    }
    const dims = spatialDims(ctx.node.op);
    const w = resolveWindowAttrs({ inputs: [shape], attrs: ctx.node.attrs }, dims);
    const geometry: ConvGeometry = Object.freeze({
        channels,
        input: Object.freeze(to3d(image, 1)),
        output: Object.freeze(to3d(grid, 1)),
        kernel: Object.freeze(to3d(w.kernel, 1)),
        stride: Object.freeze(to3d(w.stride, 1)),
        dilation: Object.freeze(to3d(w.dilation, 1)),
        padBegin: Object.freeze(to3d(w.pads.begin, 0)),
    });
    geometries.set(ctx.node, { shape: [...shape], channels, geometry });
    return geometry;
}

function groupsOf(ctx: KernelContext): number {
    return familyOf(ctx.node.op) === 'dwconv' ? ctx.inputs[0].shape[1] : (ctx.node.attrs.groups as number);
}

/** Each output plane set to its channel's bias (0 without one): where a transposed conv's col2im adds its taps. */
function fillWithBias(y: Float32Array, bias: Float32Array | undefined, batch: number, channels: number, plane: number): void {
    for (let n = 0; n < batch; n++) {
        for (let c = 0; c < channels; c++) {
            const start = (n * channels + c) * plane;
            y.fill(bias ? bias[c] : 0, start, start + plane);
        }
    }
}

/**
 * A conv with a padding_mode other than "zeros" and some padding: the padded input's shape, the pads and the
 * im2col columns the conv needs (the padded copy lives in the im2col scratch after them). Undefined otherwise.
 */
export function modePadding(node: GraphNode, input: readonly number[], output: readonly number[]): { mode: PadMode; begin: number[]; end: number[]; shape: number[]; columns: number } | undefined {
    const mode = node.attrs.padding_mode as string | undefined;
    if (mode === undefined || mode === 'zeros') return undefined;
    const dims = input.length - 2;
    const w = resolveWindowAttrs({ inputs: [input], attrs: node.attrs }, dims);
    if (w.pads.begin.every(p => p === 0) && w.pads.end.every(p => p === 0)) return undefined;
    const groups = familyOf(node.op) === 'dwconv' ? input[1] : node.attrs.groups as number;
    const columns = (input[1] / groups) * elementCount(w.kernel) * elementCount(output.slice(2));
    const shape = [input[0], input[1], ...input.slice(2).map((s, i) => s + w.pads.begin[i] + w.pads.end[i])];
    return { mode: mode as PadMode, begin: [...w.pads.begin], end: [...w.pads.end], shape, columns };
}

/** The epilogue's part for an activation the conv absorbed: a clamp (ReLU, ReLU6) or another applied last. */
function absorbedActivation(ctx: KernelContext): Pick<GemmOptions, 'lo' | 'hi' | 'activation'> {
    return { ...ctx.clamp, activation: ctx.activation };
}

/**
 * Conv: per image and group, y_g[C_out/g × P] = W_g · cols_g, with the bias (and an absorbed batch norm's shift,
 * already folded into weight and bias), an absorbed residual sum and activation applied in the GEMM's output loop.
 */
export const convKernel: Kernel = ctx => {
    const padding = modePadding(ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape);
    if (padding) {
        // The padded copy sits in the im2col scratch after the columns the conv builds (the executor sizes it so).
        const scratch = ctx.workspace.get('im2col', padding.columns + elementCount(padding.shape));
        const padded = new Tensor(padding.shape, scratch.subarray(padding.columns, padding.columns + elementCount(padding.shape)));
        padInto(ctx.inputs[0], padding.begin, padding.end, padding.mode, 0, padded.data);
        const unpadded = { ...ctx.node, attrs: { ...ctx.node.attrs, padding: 0, padding_mode: 'zeros' } };
        convKernel({ ...ctx, node: unpadded, inputs: [padded, ...ctx.inputs.slice(1)] });
        return;
    }
    const x = ctx.inputs[0];
    const y = ctx.outputs[0];
    const [batch, cin] = x.shape;
    const cout = y.shape[1];
    const groups = groupsOf(ctx);
    const g = windowOf(ctx, cin / groups, y.shape.slice(2), x.shape.slice(2));
    const weight = ctx.params.weight;
    const bias = ctx.params.bias;
    // The direct kernel is 2-D: a 3-D conv qualifies only when depth plays no part (one plane in, one out, unpadded).
    if (groups === cin && cout % cin === 0 && g.input[0] === 1 && g.kernel[0] === 1 && g.output[0] === 1 && g.padBegin[0] === 0) {
        const P = outputPositions(g);
        for (let n = 0; n < batch; n++) {
            ctx.compute.depthwise(x.data, n * cin * g.input[1] * g.input[2], g, cin, cout / cin, weight, y.data, n * cout * P,
                { bias, residual: ctx.residual?.data, residualOffset: n * cout * P, ...absorbedActivation(ctx) });
        }
        return;
    }
    const K = taps(g);
    const P = outputPositions(g);
    const inPlane = g.input[0] * g.input[1] * g.input[2];
    if (winograd(ctx, g, batch, cin, cout, inPlane, P)) return;
    const cinG = cin / groups;
    const coutG = cout / groups;
    const pointwise = K === 1 && g.stride.every(s => s === 1) && g.padBegin.every(p => p === 0) && P === inPlane;
    const cols = pointwise ? x.data : ctx.workspace.get('im2col', cinG * K * P);
    const epilogueAt = (grp: number, yOffset: number): GemmOptions =>
        ({ bias, biasOffset: grp * coutG, residual: ctx.residual?.data, residualOffset: yOffset, packedA: ctx.packedWeight, ...absorbedActivation(ctx) });
    for (let n = 0; n < batch; n++) {
        // Every group at once where the engine has an implicit conv for this one, else group by group.
        if (!pointwise && ctx.compute.implicitConv(x.data, n * cin * inPlane, g, coutG, groups, weight, 0, y.data, n * cout * P, epilogueAt(0, n * cout * P))) continue;
        for (let grp = 0; grp < groups; grp++) {
            const xOffset = (n * cin + grp * cinG) * inPlane;
            const yOffset = (n * cout + grp * coutG) * P;
            const weightOffset = grp * coutG * cinG * K;
            const epilogue = epilogueAt(grp, yOffset);
            if (!pointwise) ctx.compute.im2col(x.data, xOffset, g, cols, 0);
            ctx.compute.gemm(coutG, P, cinG * K, weight, weightOffset, cinG * K, cols, pointwise ? xOffset : 0, P, y.data, yOffset, P, false, epilogue);
        }
    }
};

/**
 * The conv by Winograd, image by image (a grouped conv's groups in one call): on U made when the run was prepared,
 * or on its own weight where the engine makes U as it goes (a small plane's: language/analysis/engine-rules.ts);
 * false when the conv does not run by Winograd on this engine.
 */
function winograd(ctx: KernelContext, g: ConvGeometry, batch: number, cin: number, cout: number, inPlane: number, P: number): boolean {
    const transformed = ctx.params.winograd;
    if (!transformed && !ctx.winogradWeightsPerRun) return false;
    const weights: WinogradWeights = transformed ? { u: transformed } : { weight: ctx.params.weight };
    // On its own weight a conv's shared V (36 · C_in · tiles, as packed panels) mostly fits the im2col scratch
    // planned for its direct conv (9 · C_in · positions): nothing is allocated mid-run — unless the input itself is
    // a padded copy in that scratch (a padding_mode), which V could overwrite (a 1×200 plane's V is the larger).
    // The whole image's V and M, where U could not be packed, are allocated on first use.
    const columns = ctx.workspace.get('im2col', 1);
    const x = ctx.inputs[0].data;
    const inputInColumns = x.byteOffset >= columns.byteOffset && x.byteOffset < columns.byteOffset + columns.byteLength;
    const vPurpose = transformed || inputInColumns ? 'winogradV' : 'im2col';
    const scratch: WinogradScratch = (purpose, elements) => ctx.workspace.get(purpose === 'm' ? 'winogradM' : vPurpose, elements);
    for (let n = 0; n < batch; n++) {
        const epilogue = { bias: ctx.params.bias, residual: ctx.residual?.data, residualOffset: n * cout * P, packedA: ctx.packedWinograd, ...absorbedActivation(ctx) };
        if (!ctx.compute.winograd(x, n * cin * inPlane, g, weights, cout, ctx.outputs[0].data, n * cout * P, scratch, epilogue, groupsOf(ctx))) return false;
    }
    return true;
}

/**
 * Transposed conv: for each group, cols[(C_out/g)·K × P_in] = W_gᵀ · x_g, then col2im adds each column's taps
 * into the output (each plane set to its bias first) at o = i·s − p_begin + k·d. PyTorch's weight is [C_in, C_out/g, k…].
 */
export const convTransposeKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0];
    const [batch, cin] = x.shape;
    const cout = y.shape[1];
    const groups = ctx.node.attrs.groups as number;
    const cinG = cin / groups;
    const coutG = cout / groups;
    // For col2im the "image" is this op's output and the window grid is its input.
    const g = windowOf(ctx, coutG, x.shape.slice(2), y.shape.slice(2));
    const K = taps(g);
    const Pin = outputPositions(g);
    const outPlane = g.input[0] * g.input[1] * g.input[2];
    const rows = coutG * K;
    // Wᵀ of each group: [C_out/g·K × C_in/g] — transposed (and, without groups, packed) when the run was prepared
    // (runtime/fusion.ts), else here.
    let weightT = ctx.params.weight;
    if (!ctx.transposedWeight) {
        weightT = ctx.workspace.get('weightT', groups * rows * cinG);
        transposeGroupWeights(ctx.params.weight, groups, cinG, rows, weightT);
    }
    const cols = ctx.workspace.get('im2col', rows * Pin);
    fillWithBias(y.data, ctx.params.bias, batch, cout, outPlane);
    for (let n = 0; n < batch; n++) {
        for (let grp = 0; grp < groups; grp++) {
            ctx.compute.gemm(rows, Pin, cinG, weightT, grp * rows * cinG, cinG, x.data, (n * cin + grp * cinG) * Pin, Pin, cols, 0, Pin, false,
                ctx.packedWeight ? { packedA: true } : undefined);
            ctx.compute.col2im(cols, 0, g, y.data, (n * cout + grp * coutG) * outPlane);
        }
    }
};

/**
 * A transposed conv's weight [C_in, C_out/g·K] (PyTorch's layout, K taps per output channel) as the GEMM takes it:
 * per group, Wᵀ [C_out/g·K × C_in/g], written to `out` (not `weight` itself).
 */
export function transposeGroupWeights(weight: Float32Array, groups: number, cinG: number, rows: number, out: Float32Array): void {
    for (let grp = 0; grp < groups; grp++) {
        for (let ci = 0; ci < cinG; ci++) {
            const src = (grp * cinG + ci) * rows;
            for (let r = 0; r < rows; r++) out[grp * rows * cinG + r * cinG + ci] = weight[src + r];
        }
    }
}

/**
 * Value of the image plane at a fractional position, bilinearly interpolated, 0 outside — exactly as
 * torchvision's deform_conv2d (a position within one pixel of the border still gets the in-image corners).
 */
function bilinear(plane: Float32Array, base: number, H: number, W: number, h: number, w: number): number {
    if (h <= -1 || h >= H || w <= -1 || w >= W) return 0;
    const h0 = Math.floor(h);
    const w0 = Math.floor(w);
    const lh = h - h0;
    const lw = w - w0;
    const at = (i: number, j: number) => (i >= 0 && i < H && j >= 0 && j < W ? plane[base + i * W + j] : 0);
    return (1 - lh) * (1 - lw) * at(h0, w0) + (1 - lh) * lw * at(h0, w0 + 1) + lh * (1 - lw) * at(h0 + 1, w0) + lh * lw * at(h0 + 1, w0 + 1);
}

/**
 * Deformable conv v1/v2: im2col where tap k of output position p reads the input at its regular position plus
 * the learned offset (dy, dx) = offsets[2·(G_off·K + k) …] (times the mask, when given), then the usual GEMM.
 */
export const deformConvKernel: Kernel = ctx => {
    const [x, offsets, mask] = ctx.inputs;
    const y = ctx.outputs[0];
    const [batch, cin, H, W] = x.shape;
    const cout = y.shape[1];
    const groups = ctx.node.attrs.groups as number;
    const g = windowOf(ctx, cin, y.shape.slice(2), x.shape.slice(2));
    const [, kh, kw] = g.kernel;
    const [, sh, sw] = g.stride;
    const [, dh, dw] = g.dilation;
    const [, ph, pw] = g.padBegin;
    const [, Ho, Wo] = g.output;
    const K = kh * kw;
    const P = Ho * Wo;
    const offsetGroups = offsets.shape[1] / (2 * K);
    const channelsPerOffsetGroup = cin / offsetGroups;
    const cinG = cin / groups;
    const coutG = cout / groups;
    const cols = ctx.workspace.get('im2col', cin * K * P);
    for (let n = 0; n < batch; n++) {
        for (let c = 0; c < cin; c++) {
            const og = Math.floor(c / channelsPerOffsetGroup);
            const planeBase = (n * cin + c) * H * W;
            for (let i = 0; i < kh; i++) {
                for (let j = 0; j < kw; j++) {
                    const k = i * kw + j;
                    const offsetY = ((n * offsetGroups + og) * 2 * K + 2 * k) * P;
                    const offsetX = offsetY + P;
                    const maskBase = mask ? ((n * offsetGroups + og) * K + k) * P : 0;
                    const row = (c * K + k) * P;
                    for (let oh = 0; oh < Ho; oh++) {
                        for (let ow = 0; ow < Wo; ow++) {
                            const p = oh * Wo + ow;
                            const h = oh * sh - ph + i * dh + offsets.data[offsetY + p];
                            const w = ow * sw - pw + j * dw + offsets.data[offsetX + p];
                            const value = bilinear(x.data, planeBase, H, W, h, w);
                            cols[row + p] = mask ? value * mask.data[maskBase + p] : value;
                        }
                    }
                }
            }
        }
        for (let grp = 0; grp < groups; grp++) {
            ctx.compute.gemm(coutG, P, cinG * K, ctx.params.weight, grp * coutG * cinG * K, cinG * K, cols, grp * cinG * K * P, P, y.data, (n * cout + grp * coutG) * P, P, false,
                { bias: ctx.params.bias, biasOffset: grp * coutG });
        }
    }
};
