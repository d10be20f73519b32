/**
 * Ops that move, cut, join, pad or resize a tensor without weights: Flatten, Reshape (Reshape → Transpose →
 * Reshape is a channel shuffle or a pixel (un)shuffle), Transpose (a permute), DepthToSpace in CRD mode (a pixel
 * shuffle), Concat, Split, Slice (Slices cutting one tensor into consecutive pieces are a split), Pad, Resize and
 * Upsample, and the pass-throughs Identity and Dropout.
 */
import type { AttrValue } from '../../language/ops/types.js';
import { formatShape, numel } from '../../language/ops/shape-utils.js';
import { isIssue } from '../../language/ops/padding.js';
import { permutationOf } from '../../language/ops/tensor.js';
import { quoted } from '../../language/util/quote.js';
import { resolveReshape } from './constant-folding.js';
import { unsupported } from './import-error.js';
import { oneLayer, sameList, unaryLayer, type Draft, type ImportGraph, type Match, type Recogniser } from './import-graph.js';
import { attr, intAttr, intsAttr, normalizeAxis, stringAttr } from './node-attributes.js';
import { shortestFloat } from './numbers.js';
import type { OnnxNode } from './onnx-model.js';
import { compactPadding, padSides } from './padding.js';
import { writtenOutGroupNorm } from './recognize-norm.js';
import { adaptivePoolingAlong } from './recognize-pool.js';
import { upsampleForResize } from './resize-rule.js';
import { sliceParts, singleAxisSlice } from './slice-parts.js';

export const recogniseFlatten: Recogniser = (node, graph) => {
    const shape = graph.inputShape(node, node.inputs[0]);
    const axis = normalizeAxis(intAttr(node, 'axis', 1), shape.length);
    if (axis === 1) return unaryLayer(node, 'flatten');
    return unaryLayer(node, 'reshape', { shape: [numel(shape.slice(0, axis)), numel(shape.slice(axis))] });
};

/**
 * A Reshape to `target` read only by a Transpose by `perm` read only by a Reshape back: the three nodes and the
 * final shape, or undefined when the nodes after `node` are not that.
 */
function viewTransposeView(graph: ImportGraph, node: OnnxNode, target: readonly number[], perm: readonly number[]): { nodes: OnnxNode[]; output: string; shape: number[] } | undefined {
    const transpose = graph.soleReader(node.outputs[0]);
    if (transpose?.opType !== 'Transpose' || !sameList(intsAttr(transpose, 'perm') ?? [], perm)) return undefined;
    const back = graph.soleReader(transpose.outputs[0]);
    const backTarget = back?.opType === 'Reshape' ? graph.constant(back.inputs[1]) : undefined;
    const shape = backTarget && resolveReshape(perm.map(p => target[p]), backTarget.values());
    return back && shape ? { nodes: [transpose, back], output: back.outputs[0], shape } : undefined;
}

/**
 * The layer a Reshape → Transpose → Reshape is, as PyTorch writes these ops out: a channel shuffle
 * ([N, g, C/g, …], swap 1 and 2), a pixel unshuffle ([N, C, H/r, r, W/r, r] → [0, 1, 3, 5, 2, 4]) or a pixel
 * shuffle before opset 11 ([N, C, r, r, H, W] → [0, 1, 4, 2, 5, 3]).
 */
function rearrangement(graph: ImportGraph, node: OnnxNode, input: readonly number[], target: readonly number[]): Match | undefined {
    const layer = (op: string, attrs: Record<string, AttrValue>, view: NonNullable<ReturnType<typeof viewTransposeView>>, expected: readonly number[]): Match | undefined =>
        sameList(view.shape, expected) ? { layers: [{ op, attrs, inputs: [node.inputs[0]], outputs: [view.output] }], nodes: view.nodes } : undefined;
    if (input.length >= 3 && target.length === input.length + 1 && target[0] === input[0] && target[1] * target[2] === input[1] && sameList(target.slice(3), input.slice(2))) {
        const view = viewTransposeView(graph, node, target, [0, 2, 1, ...input.slice(2).map((_, i) => i + 3)]);
        const match = view && layer('shuffle', { groups: target[1] }, view, input);
        if (match) return match;
    }
    if (input.length !== 4 || target.length !== 6 || target[0] !== input[0]) return undefined;
    const [n, c, h, w] = input;
    const r = target[3];
    if (target[1] === c && target[5] === r && r > 1 && target[2] * r === h && target[4] * r === w) {
        const view = viewTransposeView(graph, node, target, [0, 1, 3, 5, 2, 4]);
        const match = view && layer('pixelunshuffle', { factor: r }, view, [n, c * r * r, h / r, w / r]);
        if (match) return match;
    }
    const s = target[2];
    if (target[3] === s && s > 1 && target[1] * s * s === c && target[4] === h && target[5] === w) {
        const view = viewTransposeView(graph, node, target, [0, 1, 4, 2, 5, 3]);
        return view && layer('pixelshuffle', { factor: s }, view, [n, target[1], h * s, w * s]);
    }
    return undefined;
}

export const recogniseReshape: Recogniser = (node, graph) => {
    const [x] = node.inputs;
    const input = graph.inputShape(node, x);
    const targetRaw = graph.constantInput(node, 1, 'target shape');
    const target = resolveReshape(input, targetRaw, intAttr(node, 'allowzero', 0) === 1);
    if (!target) unsupported(node, `cannot view ${formatShape(input)} as (${targetRaw.join(', ')})`);
    const out = node.outputs[0];
    const rearranged = rearrangement(graph, node, input, target);
    if (rearranged) return rearranged;
    if (input.length >= 2 && target.length === 3 && target[0] === input[0]) {
        const match = writtenOutGroupNorm(graph, node, input, target[1]);
        if (match) return match;
    }
    if (input.length > 2 && target.length === 2 && target[0] === input[0]) return { layers: [{ op: 'flatten', attrs: {}, inputs: [x], outputs: [out] }], nodes: [] };
    return { layers: [{ op: 'reshape', attrs: { shape: target }, inputs: [x], outputs: [out] }], nodes: [] };
};

/**
 * A Transpose of an activation is a permute (one inside a Reshape → Transpose → Reshape shuffle is taken by the
 * Reshape before it is reached). Moving the channels to the end or back is written by its name: channelslast,
 * channelsfirst.
 */
export const recogniseTranspose: Recogniser = (node, graph) => {
    const rank = graph.inputShape(node, node.inputs[0]).length;
    // ONNX's default perm reverses the axes.
    const perm = (intsAttr(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i)).map(a => normalizeAxis(a, rank));
    if (perm.length !== rank || new Set(perm).size !== rank) unsupported(node, `its perm [${perm.join(', ')}] is not an order of the ${rank} axes of its input`);
    for (const op of ['channelslast', 'channelsfirst']) {
        const named = rank >= 3 ? permutationOf(op, {}, rank) : undefined;
        if (named && !isIssue(named) && sameList(named, perm)) return unaryLayer(node, op);
    }
    return unaryLayer(node, 'permute', { dims: perm });
};

/** DepthToSpace in CRD mode is PyTorch's pixel shuffle; DCR mode (ONNX's default) orders the channels block first. */
export const recogniseDepthToSpace: Recogniser = node => {
    const mode = stringAttr(node, 'mode', 'DCR');
    if (mode !== 'CRD') unsupported(node, `DepthToSpace in ${quoted(mode)} mode takes channel (i·r + j)·C + c for pixel (i, j) of channel c; the language's pixelshuffle (PyTorch's, DepthToSpace mode "CRD") takes channel c·r² + i·r + j`);
    return unaryLayer(node, 'pixelshuffle', { factor: intAttr(node, 'blocksize', 0) });
};

/** SpaceToDepth orders its channels block first, which no op of the language (nor PyTorch's pixel_unshuffle) does. */
export const recogniseSpaceToDepth: Recogniser = node => unsupported(node, 'SpaceToDepth puts pixel (i, j) of channel c in channel (i·r + j)·C + c; the language\'s pixelunshuffle (PyTorch\'s, written out as Reshape → Transpose → Reshape) puts it in channel c·r² + i·r + j');

export const recogniseConcat: Recogniser = (node, graph) => {
    if (!node.inputs.every(i => graph.isActivation(i))) unsupported(node, 'it joins a constant to an activation; the language concatenates computed tensors only');
    const rank = graph.inputShape(node, node.inputs[0]).length;
    const axis = normalizeAxis(intAttr(node, 'axis', 1), rank);
    return oneLayer({ op: 'concat', attrs: axis === 1 ? {} : { dim: axis }, inputs: [...node.inputs], outputs: [node.outputs[0]] });
};

export const recogniseSplit: Recogniser = (node, graph) => {
    const [x] = node.inputs;
    const shape = graph.inputShape(node, x);
    const axis = normalizeAxis(intAttr(node, 'axis', 0), shape.length);
    const count = node.outputs.length;
    let sizes: number[];
    if (node.inputs[1]) sizes = [...graph.constantInput(node, 1, 'split sizes')];
    else if (intsAttr(node, 'split')) sizes = intsAttr(node, 'split')!;
    else {
        // Equal pieces; from opset 18 (num_outputs) the last one is smaller when the size does not divide.
        const each = Math.ceil(shape[axis] / count);
        sizes = Array.from({ length: count }, (_, i) => Math.min(each, shape[axis] - i * each));
    }
    if (sizes.length !== count) unsupported(node, `it gives ${count} outputs but ${sizes.length} split sizes (${sizes.join(', ')}); give one size per output`);
    if (sizes.some(size => size < 1)) unsupported(node, `its pieces along axis ${axis} would be ${sizes.join(', ')} of ${shape[axis]}, and the language's split makes no empty piece; give every output at least one element`);
    return oneLayer({ op: 'split', attrs: splitAttrs(sizes, axis), inputs: [x], outputs: [...node.outputs] });
};

/** A split into pieces of `sizes` along `axis`: their count when equal, else the sizes. */
function splitAttrs(sizes: readonly number[], axis: number): Record<string, AttrValue> {
    const attrs: Record<string, AttrValue> = { sections: sizes.every(s => s === sizes[0]) ? sizes.length : [...sizes] };
    if (axis !== 1) attrs.dim = axis;
    return attrs;
}

export const recogniseSlice: Recogniser = (node, graph) => {
    const x = node.inputs[0];
    const shape = graph.inputShape(node, x);
    const parts = sliceParts(graph, node);
    // The exporter's adaptive pooling: Slice → Reduce{Mean,Max} → … → Concat along one axis.
    if (parts.length === 1) {
        const adaptive = adaptivePoolingAlong(graph, node, parts[0].axis);
        if (adaptive) return adaptive;
        // Slices that cut one tensor into consecutive pieces are a split (torch.onnx writes x.chunk so).
        const split = slicesAsSplit(graph, node, shape, parts[0].axis);
        if (split) return split;
    }
    const layers: Draft[] = [];
    let current = x;
    parts.forEach((p, i) => {
        const attrs: Record<string, AttrValue> = { start: p.start };
        if (p.end < shape[p.axis] || p.step !== 1) attrs.end = p.end;
        if (p.axis !== 1) attrs.dim = p.axis;
        if (p.step !== 1) attrs.step = p.step;
        const out = i === parts.length - 1 ? node.outputs[0] : `${node.outputs[0]}#${i}`;
        layers.push({ op: 'slice', attrs, inputs: [current], outputs: [out] });
        current = out;
    });
    return { layers, nodes: [] };
};

function slicesAsSplit(graph: ImportGraph, node: OnnxNode, shape: readonly number[], axis: number): Match | undefined {
    const x = node.inputs[0];
    const pieces = graph.readersLeft(x)
        .map(n => ({ n, part: n.inputs[0] === x ? singleAxisSlice(graph, n) : undefined }))
        .filter(p => p.part && p.part.axis === axis && p.part.step === 1)
        .sort((p, q) => p.part!.start - q.part!.start);
    if (pieces.length < 2 || !pieces.some(p => p.n === node)) return undefined;
    let next = 0;
    for (const p of pieces) {
        if (p.part!.start !== next) return undefined;
        next = p.part!.end;
    }
    if (next !== shape[axis]) return undefined;
    const sizes = pieces.map(p => p.part!.end - p.part!.start);
    return { layers: [{ op: 'split', attrs: splitAttrs(sizes, axis), inputs: [x], outputs: pieces.map(p => p.n.outputs[0]) }], nodes: pieces.map(p => p.n).filter(n => n !== node) };
}

export const recogniseDropout: Recogniser = (node, graph) => {
    if (node.outputs[1] && graph.readersLeft(node.outputs[1]).length) unsupported(node, 'its mask output is used');
    const ratio = node.inputs[1] ? graph.constant(node.inputs[1])?.values()[0] : attr(node, 'ratio');
    const p = shortestFloat(typeof ratio === 'number' ? ratio : 0.5);
    return unaryLayer(node, 'dropout', p === 0.5 ? {} : { p });
};

export const recogniseIdentity: Recogniser = (node, graph) => {
    // The exporter renames a network output with Identity (node and output named after the port).
    const out = node.outputs[0];
    if (graph.graphOutputs.has(out) && node.name === out && graph.isActivation(node.inputs[0])) {
        graph.aliases.set(out, node.inputs[0]);
        return { layers: [], nodes: [] };
    }
    return unaryLayer(node, 'identity');
};

export const recognisePad: Recogniser = (node, graph) => {
    const sides = padSides(graph, node);
    if (!sides) unsupported(node, 'its pads (or value) are computed, not constant');
    if (sides.rank < 0) unsupported(node, 'it pads the batch or channel dimension; the language pads spatial dimensions only');
    if ([...sides.begin, ...sides.end].some(p => p < 0)) unsupported(node, 'negative pads crop the tensor; the language pads only');
    const mode = { constant: 'constant', reflect: 'reflect', edge: 'replicate' }[sides.mode];
    if (!mode) unsupported(node, `Pad mode ${quoted(sides.mode)} has no ConvNet equivalent (constant, reflect, edge)`);
    const attrs: Record<string, AttrValue> = { padding: compactPadding(sides.begin, sides.end) };
    if (mode !== 'constant') attrs.mode = mode;
    else if (sides.value !== 0) attrs.value = shortestFloat(sides.value);
    // torch.onnx writes a Pad of zeros before some poolings: nothing to say.
    if (attrs.padding === 0) return graph.bypass(node);
    return unaryLayer(node, 'pad', attrs);
};

/** Resize and Upsample, as the upsample whose sampling agrees with ONNX's (resize-rule.ts). */
export const recogniseResize: Recogniser = (node, graph) => {
    const x = node.inputs[0];
    const shape = graph.inputShape(node, x);
    const dims = shape.length - 2;
    if (dims < 1 || dims > 3) unsupported(node, `resizing a ${shape.length}-D tensor has no ConvNet op`);
    let scales: readonly number[] | undefined;
    let sizes: readonly number[] | undefined;
    if (node.opType === 'Upsample') {
        scales = intsAttr(node, 'scales') ?? (attr(node, 'scales') as number[] | undefined) ?? (node.inputs[1] ? graph.constantInput(node, 1, 'scales') : undefined);
    } else if (graph.model.opset < 11) {
        scales = graph.constantInput(node, 1, 'scales');
    } else {
        const s = node.inputs[2] ? graph.constantInput(node, 2, 'scales') : undefined;
        scales = s && s.length ? s : undefined;
        sizes = node.inputs[3] ? graph.constantInput(node, 3, 'sizes') : undefined;
        if (sizes && !sizes.length) sizes = undefined;
    }
    if (!scales && !sizes) unsupported(node, 'it has neither scales nor sizes');
    if (attr(node, 'axes')) unsupported(node, 'Resize with axes is not read');
    const rawMode = stringAttr(node, 'mode', 'nearest');
    const linear = rawMode === 'linear' || rawMode === 'bilinear';
    if (rawMode !== 'nearest' && !linear) unsupported(node, `Resize mode ${quoted(rawMode)} has no ConvNet equivalent (nearest, linear)`);
    if (sizes && (sizes.length !== shape.length || sizes[0] !== shape[0] || sizes[1] !== shape[1])) unsupported(node, `its sizes (${sizes.join(', ')}) resize the batch or channels`);
    if (scales && (scales.length !== shape.length || scales[0] !== 1 || scales[1] !== 1)) unsupported(node, `its scales (${scales.join(', ')}) resize the batch or channels`);
    const resize = graph.model.opset >= 11 && node.opType === 'Resize';
    // Resize-10 and Upsample have neither attribute: they map asymmetrically and round as `simple`.
    const coordinateMode = resize ? stringAttr(node, 'coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
    const nearestMode = resize ? stringAttr(node, 'nearest_mode', 'round_prefer_floor') : 'simple';
    const upscaling = (sizes ?? scales!).slice(2).every((v, i) => (sizes ? v >= shape[2 + i] : v >= 1));
    if (linear && intAttr(node, 'antialias', 0) !== 0 && !upscaling) unsupported(node, 'antialias = 1 filters before downsampling, which upsample does not');
    const choice = upsampleForResize({
        mode: linear ? 'linear' : 'nearest', coordinateMode, nearestMode, input: shape.slice(2),
        ...(sizes ? { sizes: sizes.slice(2) } : { scales: scales!.slice(2) }),
    });
    if ('refusal' in choice) unsupported(node, choice.refusal);
    return unaryLayer(node, 'upsample', linear ? { mode: ['linear', 'bilinear', 'trilinear'][dims - 1], ...choice.attrs } : choice.attrs);
};
