/**
 * ONNX nodes → ConvNet layers. Nodes are read in graph order; each one is either shape arithmetic (folded into a
 * constant, see constant-folding.ts), the start of a pattern that several nodes make together (what the exporter
 * and torch.onnx write for one layer: Sigmoid·x is silu, Reshape → Transpose → Reshape is a channel shuffle,
 * MatMul + Add is linear, Slice + Reduce + Concat per axis is adaptive pooling …), or one layer of its own. Every
 * layer's output shape comes from the language's own op spec, so what is written is what the language will say.
 *
 * Each ONNX op has one recogniser, registered in RECOGNISERS below; the recognisers live by op family in
 * recognize-<family>.ts and share the model through ImportGraph (import-graph.ts). A node that maps to nothing is
 * an `OnnxImportError` naming the op, the node and its index, with the list of supported ops, which is the table's.
 * Once every node is read, merge-layers.ts joins what exporters split, and layer-names.ts names the layers.
 *
 * Only the nodes the graph outputs need are evaluated (needed-nodes.ts). A layer no output needs (a branch the
 * network computes and drops) is written too, as the network has it, or left out with a note when the language
 * cannot say it; shape arithmetic no output needs is never computed.
 */
import { LIMITS } from '../../language/elaboration/limits.js';
import type { Shape } from '../../language/ops/types.js';
import { checkRepresentable } from '../../language/ops/shape-utils.js';
import { displayText, quoted } from '../../language/util/quote.js';
import { FOLDABLE_OPS } from './constant-folding.js';
import { OnnxImportError, unsupported } from './import-error.js';
import { ImportGraph, sameOp, type ImportedLayer, type Match, type Recogniser } from './import-graph.js';
import { layerPath } from './layer-names.js';
import { mergeLayers } from './merge-layers.js';
import { nodesTheOutputsNeed } from './needed-nodes.js';
import type { DecodedModel, OnnxNode } from './onnx-model.js';
import {
    recogniseClip, recogniseElu, recogniseErf, recogniseGelu, recogniseHardSigmoid, recogniseLeakyRelu, recogniseSigmoid, recogniseSoftmax,
} from './recognize-activation.js';
import { recogniseArithmetic } from './recognize-arithmetic.js';
import { recogniseConv, recogniseConvTranspose, recogniseDeformConv } from './recognize-conv.js';
import { recogniseGemm, recogniseMatMul } from './recognize-linear.js';
import { recogniseBatchNormalization, recogniseInstanceNormalization, recogniseLayerNormalization, recogniseLrn } from './recognize-norm.js';
import { recognisePool, recogniseReduce } from './recognize-pool.js';
import {
    recogniseConcat, recogniseDepthToSpace, recogniseDropout, recogniseFlatten, recogniseIdentity, recognisePad, recogniseReshape, recogniseResize,
    recogniseSlice, recogniseSpaceToDepth, recogniseSplit, recogniseTranspose,
} from './recognize-tensor.js';

/** The recogniser of every ONNX op the importer reads, by op type. */
export const RECOGNISERS: Readonly<Record<string, Recogniser>> = {
    // recognize-conv.ts
    Conv: recogniseConv,
    ConvTranspose: recogniseConvTranspose,
    DeformConv: recogniseDeformConv,
    // recognize-norm.ts
    BatchNormalization: recogniseBatchNormalization,
    InstanceNormalization: recogniseInstanceNormalization,
    LayerNormalization: recogniseLayerNormalization,
    LRN: recogniseLrn,
    // recognize-activation.ts
    Relu: sameOp('relu'),
    Clip: recogniseClip,
    LeakyRelu: recogniseLeakyRelu,
    Elu: recogniseElu,
    Tanh: sameOp('tanh'),
    Sigmoid: recogniseSigmoid,
    HardSigmoid: recogniseHardSigmoid,
    HardSwish: sameOp('hardswish'),
    Gelu: recogniseGelu,
    Erf: recogniseErf,
    Softmax: recogniseSoftmax,
    LogSoftmax: recogniseSoftmax,
    // recognize-pool.ts
    MaxPool: recognisePool,
    AveragePool: recognisePool,
    GlobalAveragePool: sameOp('globalavgpool'),
    GlobalMaxPool: sameOp('globalmaxpool'),
    ReduceMean: recogniseReduce,
    ReduceMax: recogniseReduce,
    // recognize-linear.ts
    Gemm: recogniseGemm,
    MatMul: recogniseMatMul,
    // recognize-arithmetic.ts
    Add: recogniseArithmetic,
    Sub: recogniseArithmetic,
    Mul: recogniseArithmetic,
    Div: recogniseArithmetic,
    // recognize-tensor.ts
    Flatten: recogniseFlatten,
    Reshape: recogniseReshape,
    Transpose: recogniseTranspose,
    DepthToSpace: recogniseDepthToSpace,
    SpaceToDepth: recogniseSpaceToDepth,
    Concat: recogniseConcat,
    Split: recogniseSplit,
    Slice: recogniseSlice,
    Pad: recognisePad,
    Resize: recogniseResize,
    Upsample: recogniseResize,
    Dropout: recogniseDropout,
    Identity: recogniseIdentity,
};

/** ONNX ops the importer reads, for the error message and the README. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(RECOGNISERS).sort();

export interface RecognizedGraph {
    readonly layers: ImportedLayer[];
    readonly inputs: readonly { name: string; shape: Shape; note?: string }[];
    /** Graph outputs: the port name and the tensor that holds it. */
    readonly outputs: readonly { name: string; tensor: string }[];
    readonly shapes: ReadonlyMap<string, Shape>;
    /** Why each layer no output needs that the language cannot say was left out (one sentence each). */
    readonly leftOut: readonly string[];
}

/** The model's nodes as layers, with its inputs and outputs; an `OnnxImportError` for a node the language cannot say. */
export function recognizeModel(model: DecodedModel): RecognizedGraph {
    const needed = nodesTheOutputsNeed(model);
    if (needed.size > LIMITS.nodes) {
        throw new OnnxImportError(`the model's outputs need ${needed.size.toLocaleString('en-US')} nodes, more than the ${LIMITS.nodes.toLocaleString('en-US')} layers the language elaborates in one network; import a part of the model`);
    }
    const graph = new ImportGraph(model);
    const inputs = model.inputs.map(info => {
        let note: string | undefined;
        const shape = info.dims.map((d, i) => {
            if (typeof d === 'number') return d;
            if (i === 0) {
                note = `its batch dimension is symbolic (${quoted(d)}); it is 1 here`;
                return 1;
            }
            throw new OnnxImportError(`input ${quoted(info.name)} has a symbolic size ${quoted(d)} in dimension ${i}; the language needs fixed sizes (export the model with a fixed input size)`);
        });
        if (shape.length === 0) throw new OnnxImportError(`input ${quoted(info.name)} has no shape in the model; the language needs fixed sizes (export the model with its input shapes)`);
        // The language's own limit on sizes, checked here so that the text it is given can hold them.
        const tooLarge = checkRepresentable(shape, `input ${quoted(info.name)}`);
        if (tooLarge) throw new OnnxImportError(tooLarge.message);
        graph.shapes.set(info.name, shape);
        return { name: info.name, shape, note };
    });
    const leftOut: string[] = [];
    for (const node of model.nodes) {
        if (graph.consumed.has(node.index)) continue;
        if (needed.has(node)) read(graph, node);
        // Shape arithmetic no output needs is never evaluated (an unused Range(0, 3·10⁹) would fill the heap).
        // A layer no output needs reads an activation: it is a branch the network computes and drops.
        else if (node.inputs.some(i => graph.isActivation(i))) readUnneeded(graph, node, leftOut);
    }
    if (graph.layers.length > LIMITS.nodes) {
        throw new OnnxImportError(`the model has ${graph.layers.length.toLocaleString('en-US')} layers, more than the ${LIMITS.nodes.toLocaleString('en-US')} the language elaborates in one network; import a part of the model`);
    }
    mergeLayers(graph);
    const outputs = model.outputs.map(o => {
        const tensor = graph.aliases.get(o.name) ?? o.name;
        const parameter = graph.shapes.has(tensor) ? undefined : graph.learnedTensor(tensor);
        if (parameter) graph.addLayer(parameter, [], undefined);
        if (!graph.shapes.has(tensor)) {
            if (graph.constants.isConstant(tensor)) throw new OnnxImportError(`output ${quoted(o.name)} is a constant; the language's networks compute their outputs from their inputs`);
            throw new OnnxImportError(`output ${quoted(o.name)} is produced by no node of the graph`);
        }
        return { name: o.name, tensor };
    });
    for (const layer of graph.layers) {
        layer.path = layerPath(layer, model.nodes);
        // The exporter writes dropout as Identity; its name still says what it was.
        if (layer.op === 'identity' && layer.path && /drop/i.test(layer.path[layer.path.length - 1])) layer.op = 'dropout';
    }
    return { layers: graph.layers, inputs, outputs, shapes: graph.shapes, leftOut };
}

/** One node (and the nodes a pattern starting at it takes along) as layers, or an `OnnxImportError`. */
function read(graph: ImportGraph, node: OnnxNode): void {
    if (node.domain && node.domain !== 'ai.onnx') unsupported(node, `its domain ${quoted(node.domain)} is not the standard ONNX domain, whose ops are the only ones the importer reads`);
    if (FOLDABLE_OPS.has(node.opType) && graph.constants.folds(node)) {
        graph.consumed.add(node.index);
        return;
    }
    const match = recognizeNode(graph, node);
    graph.consumed.add(node.index);
    for (const n of match.nodes) graph.consumed.add(n.index);
    const nodes = [node.index, ...match.nodes.map(n => n.index)];
    for (const draft of match.layers) graph.addLayer(draft, [...nodes], node);
}

/**
 * A layer no output needs, written as the network has it (the exporter writes a tensor a network computes and
 * never returns). It changes no output, so when the language cannot say it, it is left out — with the layers
 * after it that read it — and the file's header says why, instead of refusing the whole model.
 */
function readUnneeded(graph: ImportGraph, node: OnnxNode, leftOut: string[]): void {
    const layersBefore = graph.layers.length;
    try {
        read(graph, node);
    } catch (e) {
        if (!(e instanceof OnnxImportError)) throw e;
        for (const layer of graph.layers.splice(layersBefore)) for (const t of layer.outputs) graph.shapes.delete(t);
        leftOut.push(`${e.message.replace(/\.$/, '')}; no output needs it, so it is left out`);
    }
}

/** The node's recogniser at work, once its inputs are known not to be all constant. */
function recognizeNode(graph: ImportGraph, node: OnnxNode): Match {
    if (node.inputs.some(i => i) && node.inputs.every(i => !i || graph.constants.isConstant(i))) {
        unsupported(node, 'every input is constant, but the importer cannot evaluate this op on constants');
    }
    // Own keys only: an op named `constructor` or `toString` is no recogniser.
    const recognise = Object.hasOwn(RECOGNISERS, node.opType) ? RECOGNISERS[node.opType] : undefined;
    if (!recognise) unsupported(node, `the importer has no mapping for ${displayText(node.opType, 60)}; it reads\n${wrapList(SUPPORTED_ONNX_OPS)}\n  (and evaluates shape arithmetic on constants: Shape, Gather, Unsqueeze, Cast …)`);
    return recognise(node, graph);
}

/** Names as indented lines of at most about 100 characters (a message stays readable in a terminal). */
function wrapList(names: readonly string[]): string {
    const lines: string[] = [];
    let line = '';
    for (const name of names) {
        if (line && line.length + name.length + 2 > 100) {
            lines.push(`  ${line},`);
            line = '';
        }
        line = line ? `${line}, ${name}` : name;
    }
    if (line) lines.push(`  ${line}`);
    return lines.join('\n');
}
