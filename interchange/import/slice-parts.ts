/**
 * What a Slice node selects, per axis: the first index, the end and the step, with ONNX's clamping applied
 * (attributes before opset 10, constant inputs after). The Slice recogniser and the patterns made of Slices
 * (x.chunk as a split, the exporter's adaptive pooling) read Slices through these.
 */
import { sliceRange } from './constant-folding.js';
import { unsupported } from './import-error.js';
import type { ImportGraph } from './import-graph.js';
import { intsAttr, normalizeAxis } from './node-attributes.js';
import type { OnnxNode } from './onnx-model.js';

export interface SlicePart {
    readonly axis: number;
    readonly start: number;
    readonly end: number;
    readonly step: number;
}

export function sliceParts(graph: ImportGraph, node: OnnxNode): SlicePart[] {
    const shape = graph.inputShape(node, node.inputs[0]);
    let starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[];
    if (intsAttr(node, 'starts')) {
        starts = intsAttr(node, 'starts')!;
        ends = intsAttr(node, 'ends') ?? [];
        axes = intsAttr(node, 'axes') ?? starts.map((_, i) => i);
        steps = starts.map(() => 1);
    } else {
        starts = graph.constantInput(node, 1, 'starts');
        ends = graph.constantInput(node, 2, 'ends');
        axes = node.inputs[3] ? graph.constantInput(node, 3, 'axes') : starts.map((_, i) => i);
        steps = node.inputs[4] ? graph.constantInput(node, 4, 'steps') : starts.map(() => 1);
    }
    return axes.map((a, i) => {
        const axis = normalizeAxis(a, shape.length);
        const step = steps[i] ?? 1;
        if (step < 1) unsupported(node, `a Slice with step ${step} (backwards) has no ConvNet op`);
        const { first, count } = sliceRange(shape[axis], starts[i], ends[i], step);
        if (count <= 0) unsupported(node, `it selects nothing along axis ${axis}`);
        return { axis, start: first, end: first + (count - 1) * step + 1, step };
    });
}

/** What `node` selects when it is a Slice not read yet that cuts along one axis (and can be read at all). */
export function singleAxisSlice(graph: ImportGraph, node: OnnxNode): SlicePart | undefined {
    if (node.opType !== 'Slice' || graph.consumed.has(node.index)) return undefined;
    try {
        const parts = sliceParts(graph, node);
        return parts.length === 1 ? parts[0] : undefined;
    } catch {
        return undefined;
    }
}
