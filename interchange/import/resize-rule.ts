/**
 * An ONNX Resize (or Upsample) as a ConvNet `upsample`, only when the two read the input at the same places.
 *
 * ONNX's rule (the operator spec, in float32 as onnxruntime evaluates it): the output size is ⌊in · scale⌋ (or the
 * given size, and then scale = out/in); output index `o` maps to a source coordinate by the
 * coordinate_transformation_mode, then to an index by the nearest_mode (nearest) or to two neighbours and a weight
 * (linear, the coordinate clamped to the input). The language's `upsample` follows PyTorch's rule
 * (language/ops/interpolation.ts), which differs: it steps by 1/scale_factor rather than dividing by the scale,
 * sizes in float64, copies an axis whose size does not change, and has no rounding modes.
 *
 * So rather than translate attribute by attribute, each candidate `upsample` (the scales as `scale_factor`, or the
 * output size as `size`; with or without align_corners; nearest or nearest-exact) is evaluated by both rules on
 * every axis and the first that gives the same output sizes and the same source indices (nearest) or the same
 * coordinates up to float32 rounding (linear) is taken. When none does, the Resize is refused naming the attributes that make it differ.
 */
import type { AttrValue } from '../../language/ops/types.js';
import { linearSourceWeights, nearestIndicesFor } from '../../language/ops/interpolation.js';
import { compactInts, shortestFloat } from './numbers.js';

export interface ResizeRequest {
    readonly mode: 'nearest' | 'linear';
    readonly coordinateMode: string;
    /** round_prefer_floor, round_prefer_ceil, floor, ceil; `simple` for Upsample and Resize-10. */
    readonly nearestMode: string;
    /** The spatial sizes of the input. */
    readonly input: readonly number[];
    /** Per spatial axis: the scales, or else the sizes. */
    readonly scales?: readonly number[];
    readonly sizes?: readonly number[];
}

export type UpsampleChoice =
    | { readonly attrs: Record<string, AttrValue> }
    | { readonly refusal: string };

const KNOWN_COORDINATE_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];

/** ONNX's source coordinate of output index `o` on one axis, in float32. */
function onnxCoordinate(mode: string, o: number, scale: number, inSize: number, outSize: number): number {
    const f = Math.fround;
    switch (mode) {
        case 'half_pixel': return f(f(f(o + 0.5) / scale) - 0.5);
        case 'pytorch_half_pixel': return outSize > 1 ? f(f(f(o + 0.5) / scale) - 0.5) : 0;
        case 'align_corners': return outSize === 1 ? 0 : f(f(o * (inSize - 1)) / (outSize - 1));
        case 'asymmetric': return f(o / scale);
        default: return f(f(o + 0.5) / scale); // tf_half_pixel_for_nn
    }
}

function onnxNearestIndex(nearestMode: string, x: number, downsampling: boolean): number {
    switch (nearestMode) {
        case 'floor': return Math.floor(x);
        case 'ceil': return Math.ceil(x);
        case 'round_prefer_ceil': return Math.round(x);
        case 'simple': return downsampling ? Math.ceil(x) : Math.floor(x);
        default: return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x); // round_prefer_floor
    }
}

/** The largest coordinate difference that is float32 rounding rather than a different rule. */
function coordinateTolerance(x: number): number {
    return 8 * 2 ** -23 * Math.max(1, Math.abs(x));
}

interface Candidate {
    readonly attrs: Record<string, AttrValue>;
    readonly scaleFactors?: readonly number[];
    readonly alignCorners: boolean;
    /** For a nearest Resize: PyTorch's legacy nearest or its nearest-exact (the pixel with the nearest centre). */
    readonly nearest: 'nearest' | 'nearest-exact';
}

function axisAgrees(request: ResizeRequest, candidate: Candidate, axis: number, onnxScale: number, outSize: number): boolean {
    const inSize = request.input[axis];
    const scaleFactor = candidate.scaleFactors?.[axis];
    // The candidate's own output size: ⌊in · scale_factor⌋ in float64, or the size it names.
    if ((scaleFactor !== undefined ? Math.floor(inSize * scaleFactor) : outSize) !== outSize) return false;
    if (request.mode === 'nearest') {
        const ours = nearestIndicesFor(candidate.nearest, inSize, outSize, scaleFactor);
        for (let o = 0; o < outSize; o++) {
            const x = onnxCoordinate(request.coordinateMode, o, onnxScale, inSize, outSize);
            const index = Math.min(Math.max(onnxNearestIndex(request.nearestMode, x, onnxScale < 1), 0), inSize - 1);
            if (index !== ours[o]) return false;
        }
        return true;
    }
    const ours = linearSourceWeights(inSize, outSize, candidate.alignCorners, scaleFactor);
    for (let o = 0; o < outSize; o++) {
        const x = Math.min(Math.max(onnxCoordinate(request.coordinateMode, o, onnxScale, inSize, outSize), 0), inSize - 1);
        // Past the last row both neighbours are that row, whatever the weight.
        const effective = ours.i1[o] === ours.i0[o] ? ours.i0[o] : ours.i0[o] + ours.w1[o];
        if (Math.abs(effective - x) > coordinateTolerance(x)) return false;
    }
    return true;
}

/** The `upsample` attributes (besides mode) that reproduce the Resize, or why there are none. */
export function upsampleForResize(request: ResizeRequest): UpsampleChoice {
    const { input, scales, sizes } = request;
    if (!KNOWN_COORDINATE_MODES.includes(request.coordinateMode)) {
        return { refusal: `coordinate_transformation_mode '${request.coordinateMode}' has no ConvNet equivalent` };
    }
    const outSizes = sizes ?? input.map((size, i) => Math.floor(Math.fround(size * scales![i])));
    // onnxruntime's kernel rounds the product to float32, ONNX's shape inference does not: 5 · fl(1.4) is 7 or 6.
    const ambiguous = scales?.findIndex((scale, i) => Math.floor(input[i] * scale) !== outSizes[i]) ?? -1;
    if (ambiguous >= 0) {
        return { refusal: `its scale ${shortestFloat(scales![ambiguous])} on ${input[ambiguous]} rows gives ${outSizes[ambiguous]} in float32 but ${outSizes[ambiguous] - 1} in exact arithmetic, and ONNX runtimes disagree on which; give the output size (sizes) instead` };
    }
    if (outSizes.some(s => s < 1)) return { refusal: `its output size ${outSizes.join('×')} has an empty dimension` };
    const onnxScales = scales ?? outSizes.map((out, i) => Math.fround(out / input[i]));
    const candidates: Candidate[] = [];
    // Nearest: PyTorch's legacy rule first (what most exporters mean), then nearest-exact (half_pixel with rounding).
    const nearestModes = request.mode === 'nearest' ? ['nearest', 'nearest-exact'] as const : ['nearest'] as const;
    for (const nearest of nearestModes) {
        for (const alignCorners of request.mode === 'linear' ? [false, true] : [false]) {
            const mode: Record<string, AttrValue> = { ...(nearest === 'nearest-exact' ? { mode: nearest } : {}), ...(alignCorners ? { align_corners: true } : {}) };
            if (scales) {
                const factors = scales.map(shortestFloat);
                candidates.push({ attrs: { scale_factor: factors.every(s => s === factors[0]) ? factors[0] : factors, ...mode }, scaleFactors: factors, alignCorners, nearest });
            }
            candidates.push({ attrs: { size: compactInts(outSizes), ...mode }, alignCorners, nearest });
        }
    }
    const agrees = (c: Candidate) => input.every((_, axis) => axisAgrees(request, c, axis, onnxScales[axis], outSizes[axis]));
    // onnxruntime copies a tensor whose shape Resize leaves unchanged, whatever its scales say; the spec does not.
    if (outSizes.every((size, i) => size === input[i])) {
        const copy = candidates.find(c => c.attrs.size !== undefined && !c.alignCorners)!;
        if (agrees(copy)) return { attrs: copy.attrs };
        return { refusal: `its output has its input's shape, which onnxruntime computes as a copy but the scales ${onnxScales.map(shortestFloat).join(', ')} do not; runtimes disagree on what it computes` };
    }
    const found = candidates.find(agrees);
    if (found) return { attrs: found.attrs };
    const how = request.mode === 'nearest'
        ? `coordinate_transformation_mode '${request.coordinateMode}' with nearest_mode '${request.nearestMode}'`
        : `mode 'linear' with coordinate_transformation_mode '${request.coordinateMode}'`;
    return { refusal: `its ${how} at scales ${onnxScales.map(shortestFloat).join(', ')} reads the input at positions no ConvNet upsample reproduces (upsample follows PyTorch's interpolate)` };
}
