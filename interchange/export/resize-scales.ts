/**
 * The `scales` of an ONNX Resize that computes what `upsample` computes (language/ops/interpolation.ts).
 *
 * ONNX's rule, in float32 as onnxruntime evaluates it: the output size is ⌊in · scale⌋ and an output index `dst`
 * reads from dst / scale (nearest: `asymmetric` + `floor`) or (dst + ½) / scale − ½ (linear: `half_pixel`; and
 * nearest-exact: `half_pixel` + `round_prefer_ceil`, which in exact arithmetic is PyTorch's ⌊(dst + ½) / scale⌋).
 * PyTorch instead steps by fl(1/scale_factor) (or fl(in/out) for a size) and takes its output size from the factor
 * in float64. Writing the float32 nearest the factor is therefore not enough: with 0.7 the size ⌊10 · fl(0.7)⌋ is
 * 6, not 7, and with 1.1 index 11 reads ⌊11 / fl(1.1)⌋ = 9 where PyTorch reads 10. So each axis gets the float32,
 * among those next to the ideal scale, for which ONNX's rule gives the same size and (nearest) the same source
 * index for every output index; the linear modes only need the size, since where their source coordinate crosses
 * an integer the two neighbours' weights are 0 and 1 (a difference of rounding, not of meaning).
 * Where ONNX's rule cannot give PyTorch's nearest indices, the exporter writes Gathers of those indices instead.
 */
import { nearestIndicesFor } from '../../language/ops/interpolation.js';

/** Resize's modes the exporter writes: nearest (asymmetric + floor), nearest-exact (half_pixel + round_prefer_ceil), linear. */
export type ResizeMode = 'nearest' | 'nearest-exact' | 'linear';

/** How far from the ideal scale the search goes, in float32 steps each way; far beyond what any size needs. */
const SEARCH_STEPS = 4096;

const bits = new DataView(new ArrayBuffer(4));

/** The float32 `steps` representable values above (or below, for negative `steps`) a positive float32. */
function float32Step(value: number, steps: number): number {
    bits.setFloat32(0, value);
    bits.setInt32(0, bits.getInt32(0) + steps);
    return bits.getFloat32(0);
}

/**
 * Whether ⌊in · scale⌋ is `outSize` both as onnxruntime's kernel computes it (the product rounded to float32) and as
 * its shape inference does (the exact product): 5 · fl(1.4) = 6.99999988 is 7 in float32 and 6 exactly, and a
 * model whose declared shape disagrees with the inferred one loads with warnings.
 */
function givesOutputSize(inSize: number, scale: number, outSize: number): boolean {
    return Math.floor(Math.fround(inSize * scale)) === outSize && Math.floor(inSize * scale) === outSize;
}

/** onnxruntime's source index of output index `o`: asymmetric + floor, or half_pixel + round_prefer_ceil (std::round). */
function onnxNearestIndex(mode: 'nearest' | 'nearest-exact', o: number, scale: number, inSize: number): number {
    const f = Math.fround;
    const index = mode === 'nearest' ? Math.floor(f(o / scale)) : Math.round(f(f(f(o + 0.5) / scale) - 0.5));
    return Math.min(Math.max(index, 0), inSize - 1);
}

function reproducesNearest(mode: 'nearest' | 'nearest-exact', inSize: number, scale: number, expected: Int32Array): boolean {
    for (let o = 0; o < expected.length; o++) {
        if (onnxNearestIndex(mode, o, scale, inSize) !== expected[o]) return false;
    }
    return true;
}

/**
 * The Resize scale for one axis, or undefined when no float32 near the ideal one reproduces it (the exporter then
 * writes something else rather than a model that computes something else).
 */
function axisScale(mode: ResizeMode, inSize: number, outSize: number, scaleFactor: number | undefined): number | undefined {
    // PyTorch copies an axis whose size does not change in the linear modes; scale 1 makes Resize copy it too.
    if (mode === 'linear' && outSize === inSize) return 1;
    const ideal = Math.fround(scaleFactor ?? outSize / inSize);
    const expected = mode !== 'linear' ? nearestIndicesFor(mode, inSize, outSize, scaleFactor) : undefined;
    const fits = (scale: number) => scale > 0 && Number.isFinite(scale) && givesOutputSize(inSize, scale, outSize)
        && (mode === 'linear' || reproducesNearest(mode, inSize, scale, expected!));
    for (let step = 0; step <= SEARCH_STEPS; step++) {
        for (const candidate of step === 0 ? [ideal] : [float32Step(ideal, step), float32Step(ideal, -step)]) {
            if (fits(candidate)) return candidate;
        }
    }
    return undefined;
}

/**
 * The Resize scales of the spatial axes, or undefined when Resize cannot reproduce the upsample. Besides an axis no
 * scale fits, that is a nearest upsample whose output shape equals its input shape but whose indices are not the
 * identity (a factor of 1.1 on 5 rows reads rows 0, 0, 1, 2, 3): onnxruntime copies a tensor whose shape Resize
 * leaves unchanged, whatever the scales say.
 */
export function resizeScales(mode: ResizeMode, inSpatial: readonly number[], outSpatial: readonly number[], scaleFactors: readonly number[] | undefined): number[] | undefined {
    if (mode !== 'linear' && inSpatial.every((size, i) => outSpatial[i] === size)) {
        const identity = inSpatial.every((size, i) => nearestIndicesFor(mode, size, size, scaleFactors?.[i]).every((v, o) => v === o));
        return identity ? inSpatial.map(() => 1) : undefined;
    }
    const scales: number[] = [];
    for (let i = 0; i < inSpatial.length; i++) {
        const scale = axisScale(mode, inSpatial[i], outSpatial[i], scaleFactors?.[i]);
        if (scale === undefined) return undefined;
        scales.push(scale);
    }
    return scales;
}
