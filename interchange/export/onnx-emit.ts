/**
 * What every ONNX emitter is written with: the layer being written (its node, input and output tensor names and
 * shapes) and the graph builder, plus the few helpers emitters of every family share.
 */
import type { GraphNode, NetworkGraph } from '../../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../../language/ops/conv.js';
import { OnnxExportError, type Attribute, type Builder } from './onnx-builder.js';

/** The opsets the exporter writes: 13 … 21, 17 unless the network needs more (ONNX's DeformConv is from 19). */
export const ONNX_OPSET = { min: 13, max: 21, default: 17, deformConv: 19 } as const;

export interface EmitContext {
    readonly b: Builder;
    readonly node: GraphNode;
    readonly graph: NetworkGraph;
    readonly inputs: readonly string[];
    readonly outputs: readonly string[];
    readonly inShape: (i: number) => readonly number[];
    readonly outShape: (i: number) => readonly number[];
}

export function fail(node: GraphNode, reason: string): never {
    throw new OnnxExportError(`cannot export layer '${node.name}' (${node.op}) to ONNX: ${reason}`);
}

/** Kernel, strides, dilations and pads ([begin…, end…]) of a windowed op, as the language resolves them. */
export function windowOf(c: EmitContext, dims: number, dilation = true) {
    const w = resolveWindowAttrs({ inputs: [c.inShape(0)], attrs: c.node.attrs }, dims, { dilation });
    if (w.issues.length) fail(c.node, w.issues[0].message);
    return { kernel: w.kernel, stride: w.stride, dilation: w.dilation, pads: [...w.pads.begin, ...w.pads.end] };
}

export function simple(opType: string, attributes: (c: EmitContext) => Attribute[] = () => []): (c: EmitContext) => void {
    return c => c.b.add(opType, c.inputs, c.outputs, attributes(c), c.node.name);
}
