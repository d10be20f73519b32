/** ONNX emitters of the ops that move elements: reshape, permute, pad, upsample, split, slice, channel and pixel shuffle. */
import { isNearestMode, nearestIndicesFor } from '../../language/ops/interpolation.js';
import { resizeScales } from './resize-scales.js';
import { int, ints, str } from './onnx-builder.js';
import { type EmitContext, fail } from './onnx-emit.js';
import { isIssue, resolvePadding } from '../../language/ops/padding.js';
import { normalizeDim, permutationOf, upsampleScaleFactors } from '../../language/ops/tensor.js';

export function emitReshapeTo(c: EmitContext): void {
    const { b, node } = c;
    const inShape = c.inShape(0);
    const outShape = c.outShape(0);
    if (node.op === 'flatten' && inShape.length >= 2 && outShape.length === 2 && outShape[0] === inShape[0]) {
        b.add('Flatten', c.inputs, c.outputs, [int('axis', 1)], node.name);
        return;
    }
    b.add('Reshape', [c.inputs[0], b.int64s(node, 'shape', outShape)], c.outputs, [], node.name);
}

/** Permute, channelslast and channelsfirst: one Transpose. */
export function emitPermute(c: EmitContext): void {
    const perm = permutationOf(c.node.op, c.node.attrs, c.inShape(0).length);
    if (isIssue(perm)) fail(c.node, perm.message);
    c.b.add('Transpose', c.inputs, c.outputs, [ints('perm', perm)], c.node.name);
}

export function emitPad(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const spatial = shape.slice(2);
    const pads = resolvePadding(node.attrs.padding, { input: spatial, kernelEff: spatial.map(() => 1), stride: spatial.map(() => 1) });
    if (isIssue(pads)) fail(node, pads.message);
    const mode = node.attrs.mode === 'replicate' ? 'edge' : String(node.attrs.mode);
    const all = [0, 0, ...pads.begin, 0, 0, ...pads.end];
    const inputs = [c.inputs[0], b.int64s(node, 'pads', all)];
    if (mode === 'constant') inputs.push(b.floats(node, 'value', [node.attrs.value as number], []));
    b.add('Pad', inputs, c.outputs, [str('mode', mode)], node.name);
}

/**
 * Upsample as Resize, with per-axis scales chosen so that Resize reproduces the spec's coordinate rule exactly
 * (resize-scales.ts): nearest as `asymmetric` + `floor`, nearest-exact as `half_pixel` + `round_prefer_ceil`
 * (checked index by index: float32 may round a centre the other way), the linear modes as `half_pixel` (equal to
 * PyTorch's `pytorch_half_pixel` except that it also centres a one-element output, as PyTorch does) or
 * `align_corners`.
 * Where no float32 scale makes ONNX's nearest rule give PyTorch's indices (its float32 step can put an index that
 * lands on an integer on either side), each resized axis is a Gather of the source indices instead: exact in any
 * runtime.
 */
export function emitUpsample(c: EmitContext): void {
    const { b, node } = c;
    const inSpatial = c.inShape(0).slice(2);
    const outSpatial = c.outShape(0).slice(2);
    const dims = inSpatial.length;
    const mode = node.attrs.mode as string;
    const nearest = isNearestMode(mode);
    const scaleFactors = upsampleScaleFactors(node.attrs, dims);
    const scales = resizeScales(nearest ? mode as 'nearest' | 'nearest-exact' : 'linear', inSpatial, outSpatial, scaleFactors);
    if (scales) {
        const attributes = mode === 'nearest'
            ? [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]
            : mode === 'nearest-exact'
                ? [str('mode', 'nearest'), str('coordinate_transformation_mode', 'half_pixel'), str('nearest_mode', 'round_prefer_ceil')]
                : [str('mode', 'linear'), str('coordinate_transformation_mode', node.attrs.align_corners === true ? 'align_corners' : 'half_pixel')];
        b.add('Resize', [c.inputs[0], '', b.floats(node, 'scales', [1, 1, ...scales])], c.outputs, attributes, node.name);
        return;
    }
    if (!nearest) fail(node, `no ONNX Resize scale gives the output size ${outSpatial.join('×')} from ${inSpatial.join('×')}`);
    const sources = inSpatial.map((size, i) => [...nearestIndicesFor(mode, size, outSpatial[i], scaleFactors?.[i])]);
    const resized = sources.flatMap((map, i) => (map.length === inSpatial[i] && map.every((v, o) => v === o) ? [] : [i]));
    let x = c.inputs[0];
    resized.forEach((axis, k) => {
        const indices = b.int64s(node, `indices_${axis + 2}`, sources[axis]);
        const last = k === resized.length - 1;
        const inputs = [x, indices];
        const attributes = [int('axis', axis + 2)];
        if (last) b.add('Gather', inputs, c.outputs, attributes, node.name);
        else x = b.step(node, 'Gather', inputs, attributes, `gather_${axis + 2}`);
    });
}

export function emitSplit(c: EmitContext): void {
    const { b, node } = c;
    const rank = c.inShape(0).length;
    const dim = normalizeDim(node.attrs.dim as number, rank)!;
    const sizes = c.node.outputs.map((_, i) => c.outShape(i)[dim]);
    b.add('Split', [c.inputs[0], b.int64s(node, 'split', sizes)], c.outputs, [int('axis', dim)], node.name);
}

export function emitSlice(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const dim = normalizeDim(node.attrs.dim as number, shape.length)!;
    const size = shape[dim];
    const raw = node.attrs.start as number;
    const start = Math.min(Math.max(raw < 0 ? raw + size : raw, 0), size);
    const step = node.attrs.step as number;
    const count = c.outShape(0)[dim];
    const end = start + (count - 1) * step + 1;
    b.add('Slice', [c.inputs[0], b.int64s(node, 'starts', [start]), b.int64s(node, 'ends', [end]), b.int64s(node, 'axes', [dim]), b.int64s(node, 'steps', [step])], c.outputs, [], node.name);
}

export function emitShuffle(c: EmitContext): void {
    const { b, node } = c;
    const shape = c.inShape(0);
    const groups = node.attrs.groups as number;
    const [batch, channels, ...spatial] = shape;
    const grouped = b.step(node, 'Reshape', [c.inputs[0], b.int64s(node, 'grouped_shape', [batch, groups, channels / groups, ...spatial])], [], 'grouped');
    const perm = [0, 2, 1, ...spatial.map((_, i) => i + 3)];
    const transposed = b.step(node, 'Transpose', [grouped], [ints('perm', perm)]);
    b.add('Reshape', [transposed, b.int64s(node, 'shape', [...shape])], c.outputs, [], node.name);
}

/**
 * Pixel shuffle is ONNX's DepthToSpace in CRD mode (channel c·r² + i·r + j → pixel (i, j) of channel c). Pixel
 * unshuffle is not SpaceToDepth, whose channels are block-major ((i·r + j)·C + c); it is written as the reshape,
 * transpose and reshape that PyTorch's definition is.
 */
export function emitPixelShuffle(c: EmitContext): void {
    c.b.add('DepthToSpace', c.inputs, c.outputs, [int('blocksize', c.node.attrs.factor as number), str('mode', 'CRD')], c.node.name);
}

export function emitPixelUnshuffle(c: EmitContext): void {
    const { b, node } = c;
    const r = node.attrs.factor as number;
    const [batch, channels, height, width] = c.inShape(0);
    const blocks = b.step(node, 'Reshape', [c.inputs[0], b.int64s(node, 'blocks_shape', [batch, channels, height / r, r, width / r, r])], [], 'blocks');
    const moved = b.step(node, 'Transpose', [blocks], [ints('perm', [0, 1, 3, 5, 2, 4])]);
    b.add('Reshape', [moved, b.int64s(node, 'shape', [...c.outShape(0)])], c.outputs, [], node.name);
}
