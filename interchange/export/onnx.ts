/**
 * ONNX export: an elaborated network and its parameters as an ONNX model (protobuf, encoded by `onnx-proto`).
 *
 * - Initializers are the network's parameters under their state_dict names (`layer1.0.conv1.weight`), with
 *   PyTorch's shapes; helper constants (pads, shapes, scales) are Constant nodes, so the initializers are exactly
 *   the state_dict.
 * - Every node is named after its layer (`layer1.0.conv1`); the nodes a decomposition adds are `<layer>/<step>`.
 *   Each layer's output tensor carries the layer's name; the network's inputs and outputs keep their port names.
 * - Shapes are static, as everywhere in the language: reshapes use the elaborated output shapes.
 * - Opset 13 … 21 (default 17; 19 when the network has a deformable conv, ONNX's first DeformConv). Ops newer than
 *   the opset are decomposed: HardSwish (< 14) into HardSigmoid·x, LayerNormalization (< 17) into ReduceMean …,
 *   Gelu (< 20) into Erf or Tanh. Group norm is always InstanceNormalization on [N, G, −1] plus the per-channel
 *   affine (ONNX's GroupNormalization changed meaning between opsets 18 and 21).
 * - Anything that cannot be expressed exactly is an `OnnxExportError` naming the layer, before anything is written.
 */
import onnxProto from 'onnx-proto';
import { stateDictKey, type NetworkGraph } from '../../language/elaboration/graph.js';
import { normalizeDim } from '../../language/ops/tensor.js';
import { displayText } from '../../language/util/quote.js';
import { Builder, float, int, OnnxExportError } from './onnx-builder.js';
import { baseNameOfUri } from '../../language/util/uri.js';
import { ONNX_OPSET, simple, type EmitContext } from './onnx-emit.js';
import { emitAdaptive, emitConv, emitConvTranspose, emitDeformConv, emitPool, emitSpp } from './onnx-ops-sliding.js';
import { emitBatchnorm, emitGelu, emitGroupnorm, emitHardswish, emitLayernorm, emitLayernorm2d, emitLinear, emitLrn, emitRelu6, emitSilu, HARD_SIGMOID } from './onnx-ops-layers.js';
import { emitPad, emitPermute, emitPixelShuffle, emitPixelUnshuffle, emitReshapeTo, emitShuffle, emitSlice, emitSplit, emitUpsample } from './onnx-ops-layout.js';
import { emitParameter, emitScale } from './onnx-ops-parameter.js';
import { entryFor, type OpTable } from '../../language/ops/registry.js';
import type { ParameterStore } from '../../runtime/weights.js';

const { onnx } = onnxProto;

export { OnnxExportError, ONNX_OPSET };

export interface OnnxExportOptions {
    /** ONNX opset (13 … 21). Default: 17, or 19 when the network has a deformable conv. */
    readonly opset?: number;
    /** Written into the model's producer_version. */
    readonly producerVersion?: string;
}

export interface OnnxExport {
    readonly bytes: Uint8Array;
    readonly opset: number;
    readonly irVersion: number;
    /** ONNX nodes written (a layer may become several). */
    readonly nodeCount: number;
    /** Initializer names, in order: the state_dict keys. */
    readonly initializers: readonly string[];
}

/** The opset a network is exported at when none is asked for. */
export function defaultOpset(graph: NetworkGraph): number {
    return graph.nodes.some(n => n.op === 'deformconv') ? ONNX_OPSET.deformConv : ONNX_OPSET.default;
}

/** The IR version an opset needs (ONNX's versioning table). */
function irVersionFor(opset: number): number {
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    return 10;
}

/** How every op family is written as ONNX nodes (a table checked against the op registry). */
export const ONNX_EMITTERS: OpTable<(c: EmitContext) => void> = {
    conv: emitConv,
    dwconv: emitConv,
    convtranspose: emitConvTranspose,
    deformconv: emitDeformConv,
    maxpool: emitPool('max'),
    avgpool: emitPool('avg'),
    adaptiveavgpool: emitAdaptive('avg'),
    adaptivemaxpool: emitAdaptive('max'),
    globalavgpool: simple('GlobalAveragePool'), globalmaxpool: simple('GlobalMaxPool'),
    spp: emitSpp,
    batchnorm: emitBatchnorm, layernorm: emitLayernorm, layernorm2d: emitLayernorm2d, groupnorm: emitGroupnorm, lrn: emitLrn,
    relu: simple('Relu'),
    relu6: emitRelu6,
    leakyrelu: simple('LeakyRelu', c => [float('alpha', c.node.attrs.negative_slope as number)]),
    elu: simple('Elu', c => [float('alpha', c.node.attrs.alpha as number)]),
    sigmoid: simple('Sigmoid'),
    tanh: simple('Tanh'),
    hardswish: emitHardswish,
    hardsigmoid: simple('HardSigmoid', () => HARD_SIGMOID),
    silu: emitSilu,
    gelu: emitGelu,
    softmax: simple('Softmax', c => [int('axis', normalizeDim(c.node.attrs.dim as number, c.inShape(0).length)!)]),
    logsoftmax: simple('LogSoftmax', c => [int('axis', normalizeDim(c.node.attrs.dim as number, c.inShape(0).length)!)]),
    dropout: simple('Identity'),
    stochasticdepth: simple('Identity'),
    identity: simple('Identity'),
    linear: emitLinear,
    matmul: simple('MatMul'),
    flatten: emitReshapeTo,
    reshape: emitReshapeTo,
    permute: emitPermute,
    pad: emitPad,
    upsample: emitUpsample,
    pixelshuffle: emitPixelShuffle,
    pixelunshuffle: emitPixelUnshuffle,
    add: simple('Add'), sub: simple('Sub'), mul: simple('Mul'), div: simple('Div'),
    concat: simple('Concat', c => [int('axis', normalizeDim(c.node.attrs.dim as number, c.inShape(0).length)!)]),
    split: emitSplit,
    slice: emitSlice,
    shuffle: emitShuffle,
    parameter: emitParameter,
    scale: emitScale,
};

function valueInfo(name: string, shape: readonly number[]): onnxProto.onnx.IValueInfoProto {
    return {
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map(d => ({ dimValue: d })) } } },
    };
}

/**
 * The ONNX model of `graph` with `parameters`. Throws `OnnxExportError` (naming the layer) for anything that
 * cannot be exported exactly; nothing partial is returned.
 */
export function exportOnnx(graph: NetworkGraph, parameters: ParameterStore, options: OnnxExportOptions = {}): OnnxExport {
    const opset = options.opset ?? defaultOpset(graph);
    if (!Number.isInteger(opset) || opset < ONNX_OPSET.min || opset > ONNX_OPSET.max) {
        throw new OnnxExportError(`ONNX opset ${opset} is not supported: choose ${ONNX_OPSET.min} … ${ONNX_OPSET.max}`);
    }
    if (graph.nodes.length === 0 && graph.outputs.length === 0) throw new OnnxExportError(`${graph.name} has no layers and no outputs to export`);
    for (const node of graph.nodes) {
        if (!entryFor(ONNX_EMITTERS, node.op)) throw new OnnxExportError(`cannot export layer '${node.name}': the ONNX exporter has no mapping for op '${node.op}'`);
        for (const p of node.params) {
            if (!parameters.get(node.name)?.[p.name]) throw new OnnxExportError(`cannot export layer '${node.name}' (${node.op}): no value for its parameter '${p.name}'`);
        }
    }
    // Tensor names: inputs by port; a network output by its port when it is a layer's output returned once;
    // every other layer output by the layer's name.
    const names = new Map<number, string>();
    const reserved = new Set<string>();
    for (const port of graph.inputs) {
        names.set(port.tensor, port.name);
        reserved.add(port.name);
    }
    for (const node of graph.nodes) for (const p of node.params) reserved.add(stateDictKey(node.name, p.name));
    const returnedOnce = new Map<number, number>();
    for (const port of graph.outputs) returnedOnce.set(port.tensor, (returnedOnce.get(port.tensor) ?? 0) + 1);
    const needsIdentity: { port: string; tensor: number }[] = [];
    for (const port of graph.outputs) {
        if (reserved.has(port.name)) {
            if (names.get(port.tensor) === port.name) continue; // an input returned under its own name
            throw new OnnxExportError(`the output '${port.name}' of ${graph.name} has the name of an input or parameter; rename it`);
        }
        reserved.add(port.name);
        const producedHere = graph.tensors[port.tensor].producer !== undefined;
        if (producedHere && returnedOnce.get(port.tensor) === 1 && !names.has(port.tensor)) names.set(port.tensor, port.name);
        else needsIdentity.push({ port: port.name, tensor: port.tensor });
    }
    const b = new Builder(opset, parameters, reserved);
    for (const node of graph.nodes) {
        node.outputs.forEach((t, i) => {
            if (names.has(t)) return;
            // A learned tensor of its own is read by its initializer's name (its state_dict key).
            if (node.op === 'parameter') names.set(t, stateDictKey(node.name, ''));
            else names.set(t, b.unique(node.outputs.length > 1 ? `${node.name}:${i}` : node.name));
        });
    }
    for (const node of graph.nodes) {
        const c: EmitContext = {
            b, node, graph,
            inputs: node.inputs.map(t => names.get(t)!),
            outputs: node.outputs.map(t => names.get(t)!),
            inShape: i => graph.tensors[node.inputs[i]].shape,
            outShape: i => graph.tensors[node.outputs[i]].shape,
        };
        entryFor(ONNX_EMITTERS, node.op)!(c);
    }
    for (const { port, tensor } of needsIdentity) b.add('Identity', [names.get(tensor)!], [port], [], port);
    const model: onnxProto.onnx.IModelProto = {
        irVersion: irVersionFor(opset),
        opsetImport: [{ domain: '', version: opset }],
        producerName: 'convnet',
        producerVersion: options.producerVersion ?? '0.1.0',
        // The source's base name only: a model that is shared must not carry the author's folders.
        docString: `${graph.name}, exported from ${displayText(baseNameOfUri(graph.uri), 200)}`,
        graph: {
            name: graph.name,
            node: b.nodes,
            initializer: b.initializers,
            input: graph.inputs.map(p => valueInfo(p.name, graph.tensors[p.tensor].shape)),
            output: graph.outputs.map(p => valueInfo(p.name, graph.tensors[p.tensor].shape)),
        },
    };
    const bytes = onnx.ModelProto.encode(model).finish();
    return { bytes, opset, irVersion: irVersionFor(opset), nodeCount: b.nodes.length, initializers: b.initializers.map(t => t.name!) };
}
