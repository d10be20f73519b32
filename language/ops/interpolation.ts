/**
 * Where each output index of `upsample` reads from, along one spatial axis: PyTorch's coordinate rule for
 * `F.interpolate` / `nn.Upsample` on a contiguous tensor (its default CPU kernels, aten/src/ATen/native/UpSample.h
 * and UpSampleKernel.cpp). This is the one statement of the rule: the runtime's kernel (both engines) reads it, and
 * the ONNX exporter checks the `Resize` it writes against it.
 *
 * PyTorch computes in float32 (the op-math type of a float tensor), so the rule does too (`Math.fround` after
 * every operation: a product, sum or quotient of two float32 values computed in float64 and rounded once is the
 * correctly rounded float32 result). That matters where a source coordinate lands on an integer: with a scale
 * factor of 1.1, output index 11 reads ⌊11 · fl(1/1.1)⌋ = ⌊10.0000003⌋ = 10, not 9.
 *
 *   scale   = (in − 1)/(out − 1) with align_corners (0 for one output),
 *             else 1/scale_factor when a scale factor was given (PyTorch does not recompute it from the sizes),
 *             else in/out
 *   nearest: src = min(⌊dst · scale⌋, in − 1)                       — every index, no shortcut
 *   nearest-exact: src = min(⌊(dst + ½) · scale⌋, in − 1)             — the pixel centre's nearest (Pillow's, scipy's);
 *            the product is taken in float64 and rounded to float32 before the floor, as PyTorch's floorf does
 *   linear:  src = dst · scale (align_corners) or max(scale · (dst + ½) − ½, 0); the two neighbours ⌊src⌋ and
 *            ⌊src⌋ + 1 (clamped to the input) weighted by the fraction — except that an axis whose output size
 *            equals its input size is copied, whatever the scale factor says.
 *
 * (PyTorch's channels-last nearest kernel takes shortcuts of its own when out = in or out = 2·in; a `[N, 1, H, W]`
 * tensor can take that path inside PyTorch. The target here is the default contiguous layout.)
 */

/** The float32 step between source coordinates of neighbouring output indices, as PyTorch computes it. */
export function interpolationScale(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): number {
    if (alignCorners) return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
    return Math.fround(scaleFactor !== undefined && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize);
}

/** The source index of every output index along one axis, nearest mode. */
export function nearestSourceIndices(inSize: number, outSize: number, scaleFactor: number | undefined): Int32Array {
    const scale = interpolationScale(inSize, outSize, false, scaleFactor);
    const map = new Int32Array(outSize);
    for (let o = 0; o < outSize; o++) map[o] = Math.min(Math.floor(Math.fround(o * scale)), inSize - 1);
    return map;
}

/** The source index of every output index along one axis, nearest-exact mode (PyTorch's `nearest-exact`). */
export function nearestExactSourceIndices(inSize: number, outSize: number, scaleFactor: number | undefined): Int32Array {
    const scale = interpolationScale(inSize, outSize, false, scaleFactor);
    const map = new Int32Array(outSize);
    for (let o = 0; o < outSize; o++) map[o] = Math.min(Math.floor(Math.fround((o + 0.5) * scale)), inSize - 1);
    return map;
}

/** Whether an upsample mode picks one source element per output element (nearest, nearest-exact). */
export function isNearestMode(mode: string): boolean {
    return mode === 'nearest' || mode === 'nearest-exact';
}

/** The source indices of a nearest mode along one axis. */
export function nearestIndicesFor(mode: string, inSize: number, outSize: number, scaleFactor: number | undefined): Int32Array {
    return mode === 'nearest-exact' ? nearestExactSourceIndices(inSize, outSize, scaleFactor) : nearestSourceIndices(inSize, outSize, scaleFactor);
}

/** Linear interpolation along one axis: per output index, the two source indices and the weight of the second. */
export interface LinearAxisWeights {
    readonly i0: Int32Array;
    readonly i1: Int32Array;
    readonly w1: Float32Array;
}

export function linearSourceWeights(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): LinearAxisWeights {
    const i0 = new Int32Array(outSize);
    const i1 = new Int32Array(outSize);
    const w1 = new Float32Array(outSize);
    if (outSize === inSize) {
        for (let o = 0; o < outSize; o++) i0[o] = i1[o] = o;
        return { i0, i1, w1 };
    }
    const scale = interpolationScale(inSize, outSize, alignCorners, scaleFactor);
    for (let o = 0; o < outSize; o++) {
        let src = alignCorners ? Math.fround(scale * o) : Math.fround(Math.fround(scale * (o + 0.5)) - 0.5);
        if (src < 0) src = 0;
        const lo = Math.min(Math.floor(src), inSize - 1);
        i0[o] = lo;
        i1[o] = lo < inSize - 1 ? lo + 1 : lo;
        w1[o] = Math.min(Math.max(src - lo, 0), 1);
    }
    return { i0, i1, w1 };
}
