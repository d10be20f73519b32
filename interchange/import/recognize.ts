/**
 * ONNX nodes → ConvNet layers. Nodes are read in graph order; each one is either shape arithmetic (folded into a
 * constant, see constant-folding.ts), the start of a pattern that several nodes make together (what the exporter
 * and torch.onnx write for one layer: Sigmoid·x is silu, Reshape → Transpose → Reshape is a channel shuffle,
 * MatMul + Add is linear, Slice + Reduce + Concat per axis is adaptive pooling …), or one layer of its own. Every
 * layer's output shape comes from the language's own op spec, so what is written is what the language will say.
 *
 * A node that maps to nothing is an `OnnxImportError` naming the op, the node and its index, with the list of
 * supported ops.
 *
 * Only the nodes the graph outputs need are evaluated (needed-nodes.ts). A layer no output needs (a branch the
 * network computes and drops) is written too, as the network has it, or left out with a note when the language
 * cannot say it; shape arithmetic no output needs is never computed.
 */
import { LIMITS } from '../../language/elaboration/limits.js';
import { findOp } from '../../language/ops/registry.js';
import type { AttrValue, OpIssue, Shape } from '../../language/ops/types.js';
import { slidingOutputSize } from '../../language/ops/conv.js';
import { adaptiveWindow } from '../../language/ops/pool.js';
import { checkRepresentable, formatShape, numel } from '../../language/ops/shape-utils.js';
import { displayText, quoted } from '../../language/util/quote.js';
import { ConstantEvaluator, FOLDABLE_OPS, resolveReshape, sliceRange } from './constant-folding.js';
import { convnetText } from './convnet-text.js';
import { describeNode } from './import-error.js';
import { nodesTheOutputsNeed } from './needed-nodes.js';
import { compactInts, shortestFloat } from './numbers.js';
import { upsampleForResize } from './resize-rule.js';
import { OnnxImportError, type AttributeValue, type ConstTensor, type DecodedModel, type OnnxNode } from './onnx-model.js';

/** A parameter tensor of a layer: its PyTorch name (`weight`) and the ONNX tensor it is. */
export interface ImportedParam {
    readonly name: string;
    /** The ONNX tensor name the node reads (an initializer, or one reshaped from one). */
    readonly tensor: string;
    /** The initializer's own name when the tensor was derived from one (`fc.weight` under a Transpose). */
    readonly paramName?: string;
    readonly dims: readonly number[];
}

export interface ImportedLayer {
    op: string;
    /** Attributes given (spec names); defaults are filled in for shapes and left out of the text. */
    readonly attrs: Record<string, AttrValue>;
    readonly inputs: readonly string[];
    outputs: string[];
    outputShapes: Shape[];
    readonly params: readonly ImportedParam[];
    /** The ONNX nodes it was made from (indices). */
    readonly nodes: number[];
    /** The hierarchical name the model gives it (`layer1.0.conv1`), from its parameters or its node's name. */
    path?: string[];
    paramCount: number;
    bufferCount: number;
    macs: number;
    /** Warnings of the language's shape rule (as `convnet check` will show them). */
    warnings: OpIssue[];
}

/** ONNX ops the importer reads, for the error message and the README. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [
    'Conv', 'ConvTranspose', 'DeformConv', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization',
    'Relu', 'Clip', 'LeakyRelu', 'Elu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Gelu', 'Erf', 'Softmax', 'LogSoftmax',
    'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax',
    'Gemm', 'MatMul', 'Flatten', 'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Add', 'Sub', 'Mul', 'Div',
    'Dropout', 'Identity', 'Pad', 'Resize', 'Upsample', 'LRN',
].sort();

const PARAM_SUFFIXES = new Set(['weight', 'bias', 'running_mean', 'running_var']);

/**
 * The deepest module path kept. Each level of a path becomes a list or a block around the layer, and the language
 * nests blocks at most LIMITS.callDepth (64) deep; segments beyond this are joined into the last one.
 */
const MAX_PATH_DEPTH = 32;

/** ONNX's auto_pad values (onnx/defs: NOTSET, SAME_UPPER, SAME_LOWER, VALID). */
const AUTO_PAD_VALUES = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
type AutoPad = typeof AUTO_PAD_VALUES[number];

/** The attributes of an lrn layer, leaving out those at their defaults. */
function lrnAttrs(size: number, alpha: number, beta: number, k: number): Record<string, AttrValue> {
    const attrs: Record<string, AttrValue> = { size };
    const given = { alpha: shortestFloat(alpha), beta: shortestFloat(beta), k: shortestFloat(k) };
    const defaults = { alpha: 1e-4, beta: 0.75, k: 1 };
    for (const name of ['alpha', 'beta', 'k'] as const) if (given[name] !== defaults[name]) attrs[name] = given[name];
    return attrs;
}

/** Padding as the language writes it: `1`, per dimension `(1, 2)` or per side `((0, 1), (0, 1))`. */
export function compactPadding(begin: readonly number[], end: readonly number[]): AttrValue {
    if (begin.every((b, i) => b === end[i])) return compactInts(begin);
    return begin.map((b, i) => [b, end[i]]);
}

interface Draft {
    op: string;
    attrs: Record<string, AttrValue>;
    inputs: string[];
    outputs: string[];
    params?: ImportedParam[];
}

interface Match {
    readonly layers: Draft[];
    /** Nodes the match consumed besides the anchor. */
    readonly nodes: readonly OnnxNode[];
}

export interface RecognizedGraph {
    readonly layers: ImportedLayer[];
    readonly inputs: readonly { name: string; shape: Shape; note?: string }[];
    /** Graph outputs: the port name and the tensor that holds it. */
    readonly outputs: readonly { name: string; tensor: string }[];
    readonly shapes: ReadonlyMap<string, Shape>;
    /** Why each layer no output needs that the language cannot say was left out (one sentence each). */
    readonly leftOut: readonly string[];
}

export class Recognizer {
    private readonly shapes = new Map<string, Shape>();
    private readonly ev: ConstantEvaluator;
    private readonly consumersOf = new Map<string, OnnxNode[]>();
    private readonly graphOutputs = new Set<string>();
    private readonly consumed = new Set<number>();
    private readonly layers: ImportedLayer[] = [];
    /** Output tensor → the tensor it is an alias of (Identity nodes that only rename a graph output). */
    private readonly aliases = new Map<string, string>();
    /** The nodes the graph outputs depend on. */
    private readonly needed: ReadonlySet<OnnxNode>;
    private readonly leftOut: string[] = [];

    constructor(private readonly model: DecodedModel) {
        this.ev = new ConstantEvaluator(model, t => this.shapes.get(t));
        this.needed = nodesTheOutputsNeed(model);
        if (this.needed.size > LIMITS.nodes) {
            throw new OnnxImportError(`the model's outputs need ${this.needed.size.toLocaleString('en-US')} nodes, more than the ${LIMITS.nodes.toLocaleString('en-US')} layers the language elaborates in one network; import a part of the model`);
        }
        for (const node of model.nodes) {
            for (const input of new Set(node.inputs)) {
                if (!input) continue;
                if (!this.consumersOf.has(input)) this.consumersOf.set(input, []);
                this.consumersOf.get(input)!.push(node);
            }
        }
        for (const o of model.outputs) this.graphOutputs.add(o.name);
    }

    run(): RecognizedGraph {
        const inputs = this.model.inputs.map(info => {
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
            this.shapes.set(info.name, shape);
            return { name: info.name, shape, note };
        });
        for (const node of this.model.nodes) {
            if (this.consumed.has(node.index)) continue;
            if (this.needed.has(node)) this.read(node);
            // Shape arithmetic no output needs is never evaluated (an unused Range(0, 3·10⁹) would fill the heap).
            // A layer no output needs reads an activation: it is a branch the network computes and drops.
            else if (node.inputs.some(i => this.isActivation(i))) this.readUnneeded(node);
        }
        if (this.layers.length > LIMITS.nodes) {
            throw new OnnxImportError(`the model has ${this.layers.length.toLocaleString('en-US')} layers, more than the ${LIMITS.nodes.toLocaleString('en-US')} the language elaborates in one network; import a part of the model`);
        }
        this.mergeAdaptivePools();
        this.absorbIdentities();
        this.foldSpatialPyramids();
        const outputs = this.model.outputs.map(o => {
            const tensor = this.aliases.get(o.name) ?? o.name;
            if (!this.shapes.has(tensor)) {
                if (this.ev.isConstant(tensor)) throw new OnnxImportError(`output ${quoted(o.name)} is a constant; the language's networks compute their outputs from their inputs`);
                throw new OnnxImportError(`output ${quoted(o.name)} is produced by no node of the graph`);
            }
            return { name: o.name, tensor };
        });
        for (const layer of this.layers) {
            layer.path = this.pathOf(layer);
            // The exporter writes dropout as Identity; its name still says what it was.
            if (layer.op === 'identity' && layer.path && /drop/i.test(layer.path[layer.path.length - 1])) layer.op = 'dropout';
        }
        return { layers: this.layers, inputs, outputs, shapes: this.shapes, leftOut: this.leftOut };
    }

    /** One node (and the nodes a pattern starting at it takes along) as layers, or an `OnnxImportError`. */
    private read(node: OnnxNode): void {
        if (node.domain && node.domain !== 'ai.onnx') this.unsupported(node, `its domain ${quoted(node.domain)} is not the standard ONNX domain, whose ops are the only ones the importer reads`);
        if (FOLDABLE_OPS.has(node.opType) && this.ev.folds(node)) {
            this.consumed.add(node.index);
            return;
        }
        const match = this.recognize(node);
        this.consumed.add(node.index);
        for (const n of match.nodes) this.consumed.add(n.index);
        const nodes = [node.index, ...match.nodes.map(n => n.index)];
        for (const draft of match.layers) this.addLayer(draft, [...nodes], node);
    }

    /**
     * A layer no output needs, written as the network has it (the exporter writes a tensor a network computes and
     * never returns). It changes no output, so when the language cannot say it, it is left out — with the layers
     * after it that read it — and the file's header says why, instead of refusing the whole model.
     */
    private readUnneeded(node: OnnxNode): void {
        const layersBefore = this.layers.length;
        try {
            this.read(node);
        } catch (e) {
            if (!(e instanceof OnnxImportError)) throw e;
            for (const layer of this.layers.splice(layersBefore)) for (const t of layer.outputs) this.shapes.delete(t);
            this.leftOut.push(`${e.message.replace(/\.$/, '')}; no output needs it, so it is left out`);
        }
    }

    // ----- helpers ---------------------------------------------------------------------------------------------

    private unsupported(node: OnnxNode, reason: string): never {
        throw new OnnxImportError(`${describeNode(node)}: ${reason}`);
    }

    private attr(node: OnnxNode, name: string): AttributeValue {
        return node.attributes.get(name);
    }

    private int(node: OnnxNode, name: string, fallback: number): number {
        const v = this.attr(node, name);
        return typeof v === 'number' ? v : fallback;
    }

    private float(node: OnnxNode, name: string, fallback: number): number {
        const v = this.attr(node, name);
        return typeof v === 'number' ? v : fallback;
    }

    private ints(node: OnnxNode, name: string): number[] | undefined {
        const v = this.attr(node, name);
        return Array.isArray(v) ? v : undefined;
    }

    private string(node: OnnxNode, name: string, fallback: string): string {
        const v = this.attr(node, name);
        return typeof v === 'string' ? v : fallback;
    }

    private constant(tensor: string | undefined): ConstTensor | undefined {
        return tensor ? this.ev.constant(tensor) : undefined;
    }

    /** Values of a constant input, or an error naming the node when the input is computed. */
    private constValues(node: OnnxNode, index: number, what: string): readonly number[] {
        const t = this.constant(node.inputs[index]);
        if (!t) this.unsupported(node, `its ${what} (input ${index + 1}, ${quoted(node.inputs[index] ?? '')}) is computed from activations; the importer needs it constant`);
        return t.values();
    }

    private shape(node: OnnxNode, tensor: string): Shape {
        const shape = this.shapes.get(tensor);
        if (!shape) this.unsupported(node, `the shape of its input ${quoted(tensor)} is unknown (it is not produced by a supported node before it)`);
        return shape;
    }

    private isActivation(tensor: string | undefined): boolean {
        return !!tensor && this.shapes.has(tensor);
    }

    /** The one node reading `tensor`, when exactly one (not yet consumed) node does and it is no graph output. */
    private only(tensor: string): OnnxNode | undefined {
        const readers = this.consumersOf.get(tensor) ?? [];
        if (readers.length !== 1 || this.graphOutputs.has(tensor) || this.consumed.has(readers[0].index)) return undefined;
        return readers[0];
    }

    private readers(tensor: string): OnnxNode[] {
        return (this.consumersOf.get(tensor) ?? []).filter(n => !this.consumed.has(n.index));
    }

    private param(name: string, tensor: string, t: ConstTensor): ImportedParam {
        return { name, tensor, paramName: t.paramName, dims: t.dims };
    }

    /** A constant of one element equal to `value` within `tolerance` (relative; float32 rounding). */
    private isScalar(tensor: string, value: number, tolerance = 1e-6): boolean {
        const t = this.constant(tensor);
        if (!t || numel(t.dims) === 0 || numel(t.dims) > 1) return false;
        return Math.abs(t.values()[0] - value) <= tolerance * Math.max(1, Math.abs(value));
    }

    /** The other input of a binary node, when one of its inputs is `tensor`. */
    private other(node: OnnxNode, tensor: string): string | undefined {
        if (node.inputs.length !== 2) return undefined;
        if (node.inputs[0] === tensor) return node.inputs[1];
        if (node.inputs[1] === tensor) return node.inputs[0];
        return undefined;
    }

    private addLayer(draft: Draft, nodes: number[], anchor: OnnxNode): void {
        const spec = findOp(draft.op);
        if (!spec) throw new Error(`importer: no op '${draft.op}'`);
        for (const [name, value] of Object.entries(draft.attrs)) {
            if (!isFiniteAttr(value)) this.unsupported(anchor, `as ${draft.op} its ${name} would be ${attrText(value)}, and the language's numbers are finite; fix the attribute in the model`);
        }
        const attrs = withDefaults(draft.op, draft.attrs);
        const inputShapes = draft.inputs.map(t => this.shape(anchor, t));
        const result = spec.shape({ inputs: inputShapes, attrs });
        const error = result.issues.find(i => i.severity === 'error');
        if (!result.outputs || error) {
            this.unsupported(anchor, `as ${draft.op}(${describeAttrs(draft.attrs)}) on ${inputShapes.map(formatShape).join(', ')} it is refused by the language: ${error?.message ?? 'no output shape'}`);
        }
        if (result.outputs.length !== draft.outputs.length) throw new Error(`importer: ${draft.op} gives ${result.outputs.length} outputs, the node ${draft.outputs.length}`);
        const cost = spec.cost({ inputs: inputShapes, attrs }, result.outputs);
        const params = draft.params ?? [];
        for (const p of cost.params) {
            const found = params.find(q => q.name === p.name);
            if (!found || numel(found.dims) !== numel(p.shape)) {
                this.unsupported(anchor, `as ${draft.op} its parameter '${p.name}' should have ${numel(p.shape)} values (${formatShape(p.shape)}), the model's ${found ? `has ${numel(found.dims)} (${formatShape(found.dims)})` : 'is missing'}`);
            }
        }
        for (const q of params) {
            if (!cost.params.some(p => p.name === q.name)) throw new Error(`importer: ${draft.op} has no parameter '${q.name}'`);
        }
        draft.outputs.forEach((t, i) => this.shapes.set(t, result.outputs![i]));
        this.layers.push({
            op: draft.op, attrs: draft.attrs, inputs: draft.inputs, outputs: draft.outputs, outputShapes: [...result.outputs], params, nodes,
            paramCount: cost.params.filter(p => p.kind !== 'buffer').reduce((a, p) => a + numel(p.shape), 0),
            bufferCount: cost.params.filter(p => p.kind === 'buffer').reduce((a, p) => a + numel(p.shape), 0),
            macs: cost.macs,
            warnings: result.issues.filter(i => i.severity === 'warning'),
        });
    }

    /** The spatial padding of a windowed node: explicit pads or auto_pad, as begin/end per dimension. */
    private pads(node: OnnxNode, input: readonly number[], kernel: readonly number[], stride: readonly number[], dilation: readonly number[]): { begin: number[]; end: number[] } {
        const dims = kernel.length;
        const autoPad = this.autoPad(node);
        if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
            const begin: number[] = [];
            const end: number[] = [];
            for (let i = 0; i < dims; i++) {
                const out = Math.ceil(input[i] / stride[i]);
                const total = Math.max((out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - input[i], 0);
                const small = Math.floor(total / 2);
                begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
                end.push(autoPad === 'SAME_UPPER' ? total - small : small);
            }
            return { begin, end };
        }
        if (autoPad === 'VALID') return { begin: Array(dims).fill(0), end: Array(dims).fill(0) };
        const pads = this.ints(node, 'pads') ?? Array(2 * dims).fill(0);
        if (pads.length !== 2 * dims) this.unsupported(node, `pads has ${pads.length} values for ${dims} spatial dimensions`);
        if (pads.some(p => p < 0)) this.unsupported(node, `negative pads (${pads.join(', ')}) crop the input; the language pads only`);
        return { begin: pads.slice(0, dims), end: pads.slice(dims) };
    }

    /** The node's auto_pad, refused when it is not one ONNX defines (a misspelt value would silently mean no padding). */
    private autoPad(node: OnnxNode): AutoPad {
        const value = this.attr(node, 'auto_pad');
        if (value === undefined) return 'NOTSET';
        if (typeof value !== 'string' || !(AUTO_PAD_VALUES as readonly string[]).includes(value)) {
            this.unsupported(node, `its auto_pad is ${typeof value === 'string' ? quoted(value) : 'not a string'}, which ONNX does not define; it must be NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
        }
        return value as AutoPad;
    }

    // ----- the ops ---------------------------------------------------------------------------------------------

    private recognize(node: OnnxNode): Match {
        const one = (draft: Draft, nodes: OnnxNode[] = []): Match => ({ layers: [draft], nodes });
        const unary = (op: string, attrs: Record<string, AttrValue> = {}) => one({ op, attrs, inputs: [node.inputs[0]], outputs: [node.outputs[0]] });
        const [x] = node.inputs;
        if (node.inputs.some(i => i) && node.inputs.every(i => !i || this.ev.isConstant(i))) {
            this.unsupported(node, 'every input is constant, but the importer cannot evaluate this op on constants');
        }
        switch (node.opType) {
            case 'Conv': return one(this.conv(node));
            case 'ConvTranspose': return this.convTranspose(node);
            case 'DeformConv': return one(this.deformConv(node));
            case 'BatchNormalization': {
                const [, scale, bias, mean, variance] = node.inputs;
                const ts = [scale, bias, mean, variance].map(t => this.constant(t));
                if (ts.some(t => !t)) this.unsupported(node, 'its scale, bias, mean and variance must be constant (initializers)');
                if (node.outputs.slice(1).some(o => o && this.readers(o).length)) this.unsupported(node, 'its running-statistics outputs (training mode) are used');
                const attrs: Record<string, AttrValue> = {};
                const eps = shortestFloat(this.float(node, 'epsilon', 1e-5));
                if (eps !== 1e-5) attrs.eps = eps;
                const momentum = pytorchMomentum(this.float(node, 'momentum', 0.9));
                if (momentum !== 0.1) attrs.momentum = momentum;
                return one({
                    op: 'batchnorm', attrs, inputs: [x], outputs: [node.outputs[0]],
                    params: [this.param('weight', scale, ts[0]!), this.param('bias', bias, ts[1]!), this.param('running_mean', mean, ts[2]!), this.param('running_var', variance, ts[3]!)],
                });
            }
            case 'InstanceNormalization': {
                // InstanceNorm with a per-channel affine is group norm with one group per channel.
                const shape = this.shape(node, x);
                const [, scale, bias] = node.inputs.map(t => this.constant(t));
                if (!scale || !bias) this.unsupported(node, 'its scale and bias must be constant');
                const attrs: Record<string, AttrValue> = { groups: shape[1] };
                const eps = shortestFloat(this.float(node, 'epsilon', 1e-5));
                if (eps !== 1e-5) attrs.eps = eps;
                return one({ op: 'groupnorm', attrs, inputs: [x], outputs: [node.outputs[0]], params: [this.param('weight', node.inputs[1], scale), this.param('bias', node.inputs[2], bias)] });
            }
            case 'LayerNormalization': {
                const shape = this.shape(node, x);
                const axis = normalizeAxis(this.int(node, 'axis', -1), shape.length);
                const scale = this.constant(node.inputs[1]);
                const bias = this.constant(node.inputs[2]);
                if (!scale || !bias) this.unsupported(node, 'needs a constant scale and bias (the language\'s layernorm has both)');
                if (node.outputs.slice(1).some(o => o && this.readers(o).length)) this.unsupported(node, 'its mean and inverse-deviation outputs are used');
                const attrs: Record<string, AttrValue> = {};
                if (axis !== 1) attrs.normalized_shape = shape.slice(axis);
                const eps = shortestFloat(this.float(node, 'epsilon', 1e-5));
                if (eps !== 1e-5) attrs.eps = eps;
                return one({ op: 'layernorm', attrs, inputs: [x], outputs: [node.outputs[0]], params: [this.param('weight', node.inputs[1], scale), this.param('bias', node.inputs[2], bias)] });
            }
            case 'Relu': return unary('relu');
            case 'Clip': return unary(this.clip(node));
            case 'LeakyRelu': {
                const slope = shortestFloat(this.float(node, 'alpha', 0.01));
                return unary('leakyrelu', slope === 0.01 ? {} : { negative_slope: slope });
            }
            case 'Elu': {
                const alpha = shortestFloat(this.float(node, 'alpha', 1));
                return unary('elu', alpha === 1 ? {} : { alpha });
            }
            case 'Tanh': return unary('tanh');
            case 'Sigmoid': {
                // x·sigmoid(x) is SiLU (torch.onnx and the exporter both write it so).
                const mul = this.only(node.outputs[0]);
                if (mul?.opType === 'Mul' && this.other(mul, node.outputs[0]) === x) return one({ op: 'silu', attrs: {}, inputs: [x], outputs: [mul.outputs[0]] }, [mul]);
                return unary('sigmoid');
            }
            case 'HardSigmoid': {
                const alpha = this.float(node, 'alpha', 0.2);
                const beta = this.float(node, 'beta', 0.5);
                if (Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
                    this.unsupported(node, `HardSigmoid with alpha ${shortestFloat(alpha)} and beta ${shortestFloat(beta)} is not PyTorch's hardsigmoid (alpha 1/6, beta 0.5)`);
                }
                const mul = this.only(node.outputs[0]);
                if (mul?.opType === 'Mul' && this.other(mul, node.outputs[0]) === x) return one({ op: 'hardswish', attrs: {}, inputs: [x], outputs: [mul.outputs[0]] }, [mul]);
                return unary('hardsigmoid');
            }
            case 'HardSwish': return unary('hardswish');
            case 'Gelu': {
                const approximate = this.string(node, 'approximate', 'none');
                return unary('gelu', approximate === 'tanh' ? { approximate: 'tanh' } : {});
            }
            case 'Softmax':
            case 'LogSoftmax': {
                const shape = this.shape(node, x);
                const axis = normalizeAxis(this.int(node, 'axis', this.model.opset >= 13 ? -1 : 1), shape.length);
                if (this.model.opset < 13 && axis !== shape.length - 1) {
                    this.unsupported(node, `before opset 13 ${node.opType} flattens every dimension from axis ${axis} on, which no softmax over one dimension equals`);
                }
                return unary(node.opType === 'Softmax' ? 'softmax' : 'logsoftmax', axis === 1 ? {} : { dim: axis });
            }
            case 'MaxPool':
            case 'AveragePool': return this.pool(node);
            case 'GlobalAveragePool': return unary('globalavgpool');
            case 'GlobalMaxPool': return unary('globalmaxpool');
            case 'ReduceMean':
            case 'ReduceMax': return this.reduce(node);
            case 'Gemm': return one(this.gemm(node));
            case 'MatMul': return this.matmul(node);
            case 'Flatten': {
                const shape = this.shape(node, x);
                const axis = normalizeAxis(this.int(node, 'axis', 1), shape.length);
                if (axis === 1) return unary('flatten');
                return unary('reshape', { shape: [numel(shape.slice(0, axis)), numel(shape.slice(axis))] });
            }
            case 'Reshape': return this.reshape(node);
            case 'Transpose':
                this.unsupported(node, `a Transpose of an activation (perm ${JSON.stringify(this.ints(node, 'perm') ?? 'reversed')}) has no ConvNet op; it is read only inside a channel shuffle (Reshape → Transpose → Reshape)`);
                break;
            case 'Concat': {
                if (!node.inputs.every(i => this.isActivation(i))) this.unsupported(node, 'it joins a constant to an activation; the language concatenates computed tensors only');
                const rank = this.shape(node, x).length;
                const axis = normalizeAxis(this.int(node, 'axis', 1), rank);
                return one({ op: 'concat', attrs: axis === 1 ? {} : { dim: axis }, inputs: [...node.inputs], outputs: [node.outputs[0]] });
            }
            case 'Add':
            case 'Sub':
            case 'Mul':
            case 'Div': return this.arithmetic(node);
            case 'Split': return one(this.split(node));
            case 'Slice': return this.slice(node);
            case 'Dropout': {
                if (node.outputs[1] && this.readers(node.outputs[1]).length) this.unsupported(node, 'its mask output is used');
                const ratio = node.inputs[1] ? this.constant(node.inputs[1])?.values()[0] : this.attr(node, 'ratio');
                const p = shortestFloat(typeof ratio === 'number' ? ratio : 0.5);
                return unary('dropout', p === 0.5 ? {} : { p });
            }
            case 'Identity': {
                // The exporter renames a network output with Identity (node and output named after the port).
                const out = node.outputs[0];
                if (this.graphOutputs.has(out) && node.name === out && this.isActivation(x)) {
                    this.aliases.set(out, x);
                    return { layers: [], nodes: [] };
                }
                return unary('identity');
            }
            case 'Pad': {
                const attrs = this.padAttrs(node);
                // torch.onnx writes a Pad of zeros before some poolings: nothing to say.
                if (attrs.padding === 0) return this.bypass(node);
                return unary('pad', attrs);
            }
            case 'Resize':
            case 'Upsample': return unary('upsample', this.resizeAttrs(node));
            case 'LRN': {
                // ONNX centres an even window one channel later than PyTorch (see the exporter): read odd ones only.
                const size = this.int(node, 'size', 0);
                if (size % 2 === 0) this.unsupported(node, `an even window (size ${size}) is placed differently from PyTorch's LocalResponseNorm, the language's lrn`);
                return unary('lrn', lrnAttrs(size, this.float(node, 'alpha', 1e-4), this.float(node, 'beta', 0.75), this.float(node, 'bias', 1)));
            }
            case 'Erf':
                this.unsupported(node, 'Erf is read only inside GELU (x·(1 + erf(x/√2))/2)');
                break;
        }
        this.unsupported(node, `the importer has no mapping for ${displayText(node.opType, 60)}; it reads\n${wrapList(SUPPORTED_ONNX_OPS)}\n  (and evaluates shape arithmetic on constants: Shape, Gather, Unsqueeze, Cast …)`);
    }

    /** A node that changes nothing: its readers read its input instead. */
    private bypass(node: OnnxNode): Match {
        const [input] = node.inputs;
        const [output] = node.outputs;
        for (const reader of this.consumersOf.get(output) ?? []) {
            (reader.inputs as string[]).forEach((t, i, all) => {
                if (t === output) all[i] = input;
            });
            if (!this.consumersOf.has(input)) this.consumersOf.set(input, []);
            if (!this.consumersOf.get(input)!.includes(reader)) this.consumersOf.get(input)!.push(reader);
        }
        this.consumersOf.delete(output);
        if (this.graphOutputs.has(output)) this.aliases.set(output, input);
        return { layers: [], nodes: [] };
    }

    private conv(node: OnnxNode): Draft {
        const [x, w, b] = node.inputs;
        const weight = this.constant(w);
        if (!weight) this.unsupported(node, 'its weights are computed, not constant; the language\'s conv owns its weights');
        const dims = weight.dims.length - 2;
        if (dims < 1 || dims > 3) this.unsupported(node, `a ${dims}-D convolution has no ConvNet op (conv1d, conv, conv3d)`);
        const input = this.shape(node, x);
        const kernel = this.ints(node, 'kernel_shape') ?? weight.dims.slice(2);
        const stride = this.ints(node, 'strides') ?? Array(dims).fill(1);
        const dilation = this.ints(node, 'dilations') ?? Array(dims).fill(1);
        const groups = this.int(node, 'group', 1);
        const cin = input[1];
        const cout = weight.dims[0];
        if (weight.dims[1] * groups !== cin) this.unsupported(node, `its weight ${formatShape(weight.dims)} with group ${groups} does not fit ${cin} input channels`);
        const pads = this.pads(node, input.slice(2), kernel, stride, dilation);
        const bias = b ? this.constant(b) : undefined;
        if (b && !bias) this.unsupported(node, 'its bias is computed, not constant');
        const depthwise = groups === cin && groups > 1 && cout % cin === 0;
        const attrs: Record<string, AttrValue> = depthwise ? { kernel: compactInts(kernel) } : { channels: cout, kernel: compactInts(kernel) };
        if (depthwise && cout !== cin) attrs.multiplier = cout / cin;
        if (stride.some(s => s !== 1)) attrs.stride = compactInts(stride);
        if ([...pads.begin, ...pads.end].some(p => p !== 0)) attrs.padding = compactPadding(pads.begin, pads.end);
        if (dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
        if (!depthwise && groups !== 1) attrs.groups = groups;
        if (!bias) attrs.bias = false;
        const op = (depthwise ? ['dwconv1d', 'dwconv', 'dwconv3d'] : ['conv1d', 'conv', 'conv3d'])[dims - 1];
        const params = [this.param('weight', w, weight), ...(bias ? [this.param('bias', b, bias)] : [])];
        return { op, attrs, inputs: [x], outputs: [node.outputs[0]], params };
    }

    private convTranspose(node: OnnxNode): Match {
        const [x, w, b] = node.inputs;
        const weight = this.constant(w);
        if (!weight) this.unsupported(node, 'its weights are computed, not constant');
        const dims = weight.dims.length - 2;
        if (dims < 1 || dims > 3) this.unsupported(node, `a ${dims}-D transposed convolution has no ConvNet op`);
        const input = this.shape(node, x);
        const kernel = this.ints(node, 'kernel_shape') ?? weight.dims.slice(2);
        const stride = this.ints(node, 'strides') ?? Array(dims).fill(1);
        const dilation = this.ints(node, 'dilations') ?? Array(dims).fill(1);
        const groups = this.int(node, 'group', 1);
        const outputPadding = [...(this.ints(node, 'output_padding') ?? Array(dims).fill(0))];
        if (weight.dims[0] !== input[1]) this.unsupported(node, `its weight ${formatShape(weight.dims)} does not fit ${input[1]} input channels`);
        let begin: number[];
        let end: number[];
        const outputShape = this.ints(node, 'output_shape');
        const autoPad = this.autoPad(node);
        if (outputShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
            const target = outputShape ? outputShape.slice(-dims) : input.slice(2).map((i, d) => i * stride[d]);
            begin = [];
            end = [];
            for (let d = 0; d < dims; d++) {
                const full = stride[d] * (input[2 + d] - 1) + outputPadding[d] + dilation[d] * (kernel[d] - 1) + 1;
                let total = full - target[d];
                if (total < 0) {
                    outputPadding[d] -= total;
                    total = 0;
                }
                const half = Math.floor(total / 2);
                begin.push(autoPad === 'SAME_UPPER' ? half : total - half);
                end.push(autoPad === 'SAME_UPPER' ? total - half : half);
            }
        } else {
            ({ begin, end } = this.pads(node, input.slice(2), kernel, stride, dilation));
        }
        let bias = b ? this.constant(b) : undefined;
        let biasTensor = b;
        if (b && !bias) this.unsupported(node, 'its bias is computed, not constant');
        const extra: OnnxNode[] = [];
        let output = node.outputs[0];
        // The exporter writes an output_padding beyond ONNX Runtime's limit as ConvTranspose → Pad (→ + bias).
        const pad = this.only(output);
        if (pad?.opType === 'Pad' && !bias) {
            const padding = this.padSides(pad, input.length);
            if (padding && padding.mode === 'constant' && padding.value === 0 && padding.begin.every(p => p === 0)
                && padding.end.every((p, d) => p + outputPadding[d] < Math.max(stride[d], dilation[d]))) {
                padding.end.forEach((p, d) => (outputPadding[d] += p));
                extra.push(pad);
                output = pad.outputs[0];
                const add = this.only(output);
                const other = add?.opType === 'Add' ? this.other(add, output) : undefined;
                const addend = other ? this.constant(other) : undefined;
                if (add && other && addend && numel(addend.dims) === weight.dims[1] * groups) {
                    bias = addend;
                    biasTensor = other;
                    extra.push(add);
                    output = add.outputs[0];
                }
            }
        }
        const attrs: Record<string, AttrValue> = { channels: weight.dims[1] * groups, kernel: compactInts(kernel) };
        if (stride.some(s => s !== 1)) attrs.stride = compactInts(stride);
        if ([...begin, ...end].some(p => p !== 0)) attrs.padding = compactPadding(begin, end);
        if (outputPadding.some(p => p !== 0)) attrs.output_padding = compactInts(outputPadding);
        if (dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
        if (groups !== 1) attrs.groups = groups;
        if (!bias) attrs.bias = false;
        const op = ['convtranspose1d', 'convtranspose', 'convtranspose3d'][dims - 1];
        const params = [this.param('weight', w, weight), ...(bias ? [this.param('bias', biasTensor, bias)] : [])];
        return { layers: [{ op, attrs, inputs: [x], outputs: [output], params }], nodes: extra };
    }

    private deformConv(node: OnnxNode): Draft {
        const [x, w, offset, b, mask] = node.inputs;
        const weight = this.constant(w);
        if (!weight) this.unsupported(node, 'its weights are computed, not constant');
        if (weight.dims.length !== 4) this.unsupported(node, 'only 2-D deformable convolution has a ConvNet op');
        const input = this.shape(node, x);
        const kernel = this.ints(node, 'kernel_shape') ?? weight.dims.slice(2);
        const stride = this.ints(node, 'strides') ?? [1, 1];
        const dilation = this.ints(node, 'dilations') ?? [1, 1];
        const groups = this.int(node, 'group', 1);
        const pads = this.pads(node, input.slice(2), kernel, stride, dilation);
        const bias = b ? this.constant(b) : undefined;
        if (b && !bias) this.unsupported(node, 'its bias is computed, not constant');
        if (!this.isActivation(offset) || (mask && !this.isActivation(mask))) this.unsupported(node, 'its offsets (and mask) must be computed tensors');
        const attrs: Record<string, AttrValue> = { channels: weight.dims[0], kernel: compactInts(kernel) };
        if (stride.some(s => s !== 1)) attrs.stride = compactInts(stride);
        if ([...pads.begin, ...pads.end].some(p => p !== 0)) attrs.padding = compactPadding(pads.begin, pads.end);
        if (dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
        if (groups !== 1) attrs.groups = groups;
        if (!bias) attrs.bias = false;
        return {
            op: 'deformconv', attrs, inputs: mask ? [x, offset, mask] : [x, offset], outputs: [node.outputs[0]],
            params: [this.param('weight', w, weight), ...(bias ? [this.param('bias', b, bias)] : [])],
        };
    }

    private clip(node: OnnxNode): string {
        const low = node.inputs[1] ? this.constant(node.inputs[1])?.values()[0] : this.attr(node, 'min');
        const high = node.inputs[2] ? this.constant(node.inputs[2])?.values()[0] : this.attr(node, 'max');
        if ((node.inputs[1] && low === undefined) || (node.inputs[2] && high === undefined)) this.unsupported(node, 'its bounds are computed, not constant');
        const lo = typeof low === 'number' ? low : -Infinity;
        const hi = typeof high === 'number' ? high : Infinity;
        if (lo === 0 && hi === 6) return 'relu6';
        if (lo === 0 && hi > 3.4e38) return 'relu';
        this.unsupported(node, `Clip to [${lo}, ${hi}] is neither relu (0, ∞) nor relu6 (0, 6)`);
    }

    private pool(node: OnnxNode): Match {
        const max = node.opType === 'MaxPool';
        const x = node.inputs[0];
        if (node.outputs[1] && this.readers(node.outputs[1]).length) this.unsupported(node, 'its indices output is used');
        const input = this.shape(node, x);
        const kernel = this.ints(node, 'kernel_shape');
        if (!kernel) this.unsupported(node, 'it has no kernel_shape');
        const dims = kernel.length;
        if (dims < 1 || dims > 3 || input.length !== dims + 2) this.unsupported(node, `a ${dims}-D pooling of a ${input.length}-D tensor has no ConvNet op`);
        const stride = this.ints(node, 'strides') ?? Array(dims).fill(1);
        const dilation = max ? this.ints(node, 'dilations') ?? Array(dims).fill(1) : Array(dims).fill(1);
        if (!max && this.ints(node, 'dilations')?.some(d => d !== 1)) this.unsupported(node, 'a dilated average pooling has no ConvNet op');
        const { begin, end } = this.pads(node, input.slice(2), kernel, stride, dilation);
        let ceil = this.int(node, 'ceil_mode', 0) === 1;
        const countPad = !max && this.int(node, 'count_include_pad', 0) === 1;
        const spatial = input.slice(2);
        const outOf = (b: readonly number[], e: readonly number[], c: boolean) => spatial.map((i, d) => slidingOutputSize(i, kernel[d], stride[d], dilation[d], b[d], e[d], c).size);
        const onnxOut = outOf(begin, end, ceil);
        let padBegin = begin;
        let padEnd = end;
        const extra: OnnxNode[] = [];
        let output = node.outputs[0];
        // The exporter writes ceil mode as floor mode with the end padding its windows need: read it back.
        if (!ceil && end.some((e, d) => e > begin[d]) && sameList(outOf(begin, begin, true), onnxOut)) {
            padEnd = begin;
            ceil = true;
            if (countPad) {
                // … and an average that counts the padding, times the map of full/clipped window sizes.
                const mul = this.only(output);
                const factor = mul?.opType === 'Mul' ? this.constant(this.other(mul, output)) : undefined;
                if (mul && factor && sameList(factor.dims, [1, 1, ...onnxOut]) && this.isClippedWindowMap(factor.values(), spatial, kernel, stride, begin, onnxOut)) {
                    extra.push(mul);
                    output = mul.outputs[0];
                }
            }
        }
        const attrs: Record<string, AttrValue> = { kernel: compactInts(kernel) };
        if (!sameList(stride, kernel)) attrs.stride = compactInts(stride);
        const padded = [...padBegin, ...padEnd].some(p => p !== 0);
        if (padded) attrs.padding = compactPadding(padBegin, padEnd);
        if (max && dilation.some(d => d !== 1)) attrs.dilation = compactInts(dilation);
        if (ceil) attrs.ceil_mode = true;
        if (!max && padded && !countPad) attrs.count_include_pad = false;
        const op = (max ? ['maxpool1d', 'maxpool', 'maxpool3d'] : ['avgpool1d', 'avgpool', 'avgpool3d'])[dims - 1];
        return { layers: [{ op, attrs, inputs: [x], outputs: [output] }], nodes: extra };
    }

    /** Whether `values` is the exporter's map of full/clipped window sizes of a ceil-mode average (see onnx.ts). */
    private isClippedWindowMap(values: readonly number[], spatial: readonly number[], kernel: readonly number[], stride: readonly number[], begin: readonly number[], out: readonly number[]): boolean {
        const ratios = out.map((o, i) => Array.from({ length: o }, (_, k) => {
            const start = k * stride[i] - begin[i];
            return kernel[i] / (Math.min(start + kernel[i], spatial[i] + begin[i]) - start);
        }));
        let factors = [1];
        for (const axis of ratios) factors = factors.flatMap(f => axis.map(r => f * r));
        return factors.length === values.length && factors.every((f, i) => Math.abs(f - values[i]) <= 1e-5 * f);
    }

    private reduce(node: OnnxNode): Match {
        const x = node.inputs[0];
        const shape = this.shape(node, x);
        const axesRaw = this.ints(node, 'axes') ?? (node.inputs[1] ? [...this.constValues(node, 1, 'axes')] : shape.map((_, i) => i));
        const axes = axesRaw.map(a => normalizeAxis(a, shape.length)).sort((a, b) => a - b);
        const keep = this.int(node, 'keepdims', 1) === 1;
        const spatial = shape.slice(2).map((_, i) => i + 2);
        if (node.opType === 'ReduceMean' && keep) {
            const layerNorm = this.layerNorm(node, axes);
            if (layerNorm) return layerNorm;
        }
        if (shape.length < 3 || !sameList(axes, spatial)) {
            this.unsupported(node, `${node.opType} over axes (${axes.join(', ')}) of a ${shape.length}-D tensor has no ConvNet op; over every spatial axis it is global pooling, and the exporter's adaptive pooling (Slice → ${node.opType} → Concat per axis) is read whole`);
        }
        const op = node.opType === 'ReduceMean' ? 'globalavgpool' : 'globalmaxpool';
        if (keep) return { layers: [{ op, attrs: {}, inputs: [x], outputs: [node.outputs[0]] }], nodes: [] };
        // x.mean([2, 3]) (torchvision's ShuffleNetV2) drops the spatial axes: global pooling, then flatten.
        const pooled = `${node.outputs[0]}#pooled`;
        return {
            layers: [
                { op, attrs: {}, inputs: [x], outputs: [pooled] },
                { op: 'flatten', attrs: {}, inputs: [pooled], outputs: [node.outputs[0]] },
            ],
            nodes: [],
        };
    }

    /**
     * Layer norm written out (the exporter below opset 17, torch.onnx below 17): mean → x − mean → square (Mul or
     * Pow 2) → mean → + eps → Sqrt → (x − mean)/… → · weight → + bias, over the trailing axes.
     */
    private layerNorm(mean: OnnxNode, axes: readonly number[]): Match | undefined {
        const x = mean.inputs[0];
        const shape = this.shape(mean, x);
        if (axes[axes.length - 1] !== shape.length - 1 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return undefined;
        const sub = this.only(mean.outputs[0]);
        if (sub?.opType !== 'Sub' || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) return undefined;
        const centred = sub.outputs[0];
        const readers = this.readers(centred);
        if (readers.length !== 2 || this.graphOutputs.has(centred)) return undefined;
        const square = readers.find(n => (n.opType === 'Mul' && n.inputs[0] === centred && n.inputs[1] === centred) || (n.opType === 'Pow' && n.inputs[0] === centred && this.isScalar(n.inputs[1], 2)));
        const div = readers.find(n => n.opType === 'Div' && n.inputs[0] === centred);
        if (!square || !div) return undefined;
        const variance = this.only(square.outputs[0]);
        const varianceAxes = variance?.opType === 'ReduceMean' ? this.ints(variance, 'axes') ?? (variance.inputs[1] ? this.constant(variance.inputs[1])?.values() : undefined) : undefined;
        if (!variance || !varianceAxes || !sameList(varianceAxes.map(a => normalizeAxis(a, shape.length)), axes) || this.int(variance, 'keepdims', 1) !== 1) return undefined;
        const addEps = this.only(variance.outputs[0]);
        const epsName = addEps?.opType === 'Add' ? this.other(addEps, variance.outputs[0]) : undefined;
        const epsTensor = epsName ? this.constant(epsName) : undefined;
        if (!addEps || !epsTensor || numel(epsTensor.dims) !== 1) return undefined;
        const sqrt = this.only(addEps.outputs[0]);
        if (sqrt?.opType !== 'Sqrt' || div.inputs[1] !== sqrt.outputs[0] || this.readers(sqrt.outputs[0]).length !== 1) return undefined;
        const mul = this.only(div.outputs[0]);
        const weightName = mul?.opType === 'Mul' ? this.other(mul, div.outputs[0]) : undefined;
        const weight = weightName ? this.constant(weightName) : undefined;
        const add = mul ? this.only(mul.outputs[0]) : undefined;
        const biasName = add?.opType === 'Add' ? this.other(add, mul!.outputs[0]) : undefined;
        const bias = biasName ? this.constant(biasName) : undefined;
        const normalized = shape.slice(axes[0]);
        if (!mul || !add || !weight || !bias || numel(weight.dims) !== numel(normalized) || numel(bias.dims) !== numel(normalized)) return undefined;
        const attrs: Record<string, AttrValue> = {};
        if (axes[0] !== 1) attrs.normalized_shape = normalized;
        const eps = shortestFloat(epsTensor.values()[0]);
        if (eps !== 1e-5) attrs.eps = eps;
        return {
            layers: [{ op: 'layernorm', attrs, inputs: [x], outputs: [add.outputs[0]], params: [this.param('weight', weightName!, weight), this.param('bias', biasName!, bias)] }],
            nodes: [sub, square, variance, addEps, sqrt, div, mul, add],
        };
    }

    private gemm(node: OnnxNode): Draft {
        const [a, b, c] = node.inputs;
        const shape = this.shape(node, a);
        if (this.int(node, 'transA', 0) !== 0) this.unsupported(node, 'Gemm with transA has no ConvNet op');
        const alpha = this.float(node, 'alpha', 1);
        const beta = this.float(node, 'beta', 1);
        const transB = this.int(node, 'transB', 0) === 1;
        const weight = this.constant(b);
        if (!weight) {
            if (c || transB || alpha !== 1) this.unsupported(node, 'a Gemm of two computed tensors is read only as a plain matrix product (no transB, alpha or C)');
            return { op: 'matmul', attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] };
        }
        if (alpha !== 1 || (c && beta !== 1)) this.unsupported(node, `Gemm with alpha ${alpha} and beta ${beta} scales the product; linear does not`);
        if (weight.dims.length !== 2 || shape.length !== 2) this.unsupported(node, `Gemm of ${formatShape(shape)} by ${formatShape(weight.dims)} is not a linear layer`);
        const out = transB ? weight.dims[0] : weight.dims[1];
        const bias = c ? this.constant(c) : undefined;
        if (c && (!bias || numel(bias.dims) !== out)) this.unsupported(node, `its C (${bias ? formatShape(bias.dims) : 'computed'}) is not a bias of ${out} values`);
        return {
            op: 'linear', attrs: bias ? { features: out } : { features: out, bias: false }, inputs: [a], outputs: [node.outputs[0]],
            params: [this.param('weight', b, weight), ...(bias ? [this.param('bias', c, bias)] : [])],
        };
    }

    private matmul(node: OnnxNode): Match {
        const [a, b] = node.inputs;
        const weight = this.constant(b);
        if (!weight) {
            if (!this.isActivation(a)) this.unsupported(node, 'a constant times a computed tensor has no ConvNet op (linear multiplies by its weight on the right)');
            return { layers: [{ op: 'matmul', attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] }], nodes: [] };
        }
        if (weight.dims.length !== 2) this.unsupported(node, `a MatMul by a constant of shape ${formatShape(weight.dims)} is not a linear layer (its weight would be 2-D)`);
        const out = weight.dims[1];
        const add = this.only(node.outputs[0]);
        const other = add?.opType === 'Add' ? this.other(add, node.outputs[0]) : undefined;
        const bias = other ? this.constant(other) : undefined;
        if (add && other && bias && numel(bias.dims) === out && bias.dims[bias.dims.length - 1] === out) {
            return {
                layers: [{ op: 'linear', attrs: { features: out }, inputs: [a], outputs: [add.outputs[0]], params: [this.param('weight', b, weight), this.param('bias', other, bias)] }],
                nodes: [add],
            };
        }
        return { layers: [{ op: 'linear', attrs: { features: out, bias: false }, inputs: [a], outputs: [node.outputs[0]], params: [this.param('weight', b, weight)] }], nodes: [] };
    }

    private reshape(node: OnnxNode): Match {
        const [x] = node.inputs;
        const input = this.shape(node, x);
        const targetRaw = this.constValues(node, 1, 'target shape');
        const target = resolveReshape(input, targetRaw, this.int(node, 'allowzero', 0) === 1);
        if (!target) this.unsupported(node, `cannot view ${formatShape(input)} as (${targetRaw.join(', ')})`);
        const out = node.outputs[0];
        // Channel shuffle: [N, C, …] → [N, g, C/g, …] → swap 1 and 2 → [N, C, …].
        if (input.length >= 3 && target.length === input.length + 1 && target[0] === input[0] && target[1] * target[2] === input[1] && sameList(target.slice(3), input.slice(2))) {
            const transpose = this.only(out);
            const perm = transpose?.opType === 'Transpose' ? this.ints(transpose, 'perm') : undefined;
            const back = transpose && perm && sameList(perm, [0, 2, 1, ...input.slice(2).map((_, i) => i + 3)]) ? this.only(transpose.outputs[0]) : undefined;
            if (transpose && back?.opType === 'Reshape') {
                const backTarget = this.constant(back.inputs[1]);
                const transposed = [target[0], target[2], target[1], ...target.slice(3)];
                if (backTarget && sameList(resolveReshape(transposed, backTarget.values()) ?? [], input)) {
                    return { layers: [{ op: 'shuffle', attrs: { groups: target[1] }, inputs: [x], outputs: [back.outputs[0]] }], nodes: [transpose, back] };
                }
            }
        }
        // Group norm as the exporter and torch.onnx write it: [N, G, −1] → InstanceNormalization → back → ·w + b.
        if (input.length >= 2 && target.length === 3 && target[0] === input[0]) {
            const match = this.groupNorm(node, input, target[1]);
            if (match) return match;
        }
        if (input.length > 2 && target.length === 2 && target[0] === input[0]) return { layers: [{ op: 'flatten', attrs: {}, inputs: [x], outputs: [out] }], nodes: [] };
        return { layers: [{ op: 'reshape', attrs: { shape: target }, inputs: [x], outputs: [out] }], nodes: [] };
    }

    private groupNorm(node: OnnxNode, input: Shape, groups: number): Match | undefined {
        const norm = this.only(node.outputs[0]);
        if (norm?.opType !== 'InstanceNormalization') return undefined;
        const [, scale, shift] = norm.inputs.map(t => this.constant(t));
        if (!scale || !shift || scale.values().some(v => v !== 1) || shift.values().some(v => v !== 0)) return undefined;
        const back = this.only(norm.outputs[0]);
        const backTarget = back?.opType === 'Reshape' ? this.constant(back.inputs[1]) : undefined;
        if (!back || !backTarget || !sameList(resolveReshape([input[0], groups, numel(input.slice(1)) / groups], backTarget.values()) ?? [], input)) return undefined;
        const mul = this.only(back.outputs[0]);
        const weightName = mul?.opType === 'Mul' ? this.other(mul, back.outputs[0]) : undefined;
        const weight = weightName ? this.constant(weightName) : undefined;
        const add = mul ? this.only(mul.outputs[0]) : undefined;
        const biasName = add?.opType === 'Add' ? this.other(add, mul!.outputs[0]) : undefined;
        const bias = biasName ? this.constant(biasName) : undefined;
        if (!mul || !add || !weight || !bias || numel(weight.dims) !== input[1] || numel(bias.dims) !== input[1]) return undefined;
        const attrs: Record<string, AttrValue> = { groups };
        const eps = shortestFloat(this.float(norm, 'epsilon', 1e-5));
        if (eps !== 1e-5) attrs.eps = eps;
        return {
            layers: [{ op: 'groupnorm', attrs, inputs: [node.inputs[0]], outputs: [add.outputs[0]], params: [this.param('weight', weightName!, weight), this.param('bias', biasName!, bias)] }],
            nodes: [norm, back, mul, add],
        };
    }

    private arithmetic(node: OnnxNode): Match {
        const [a, b] = node.inputs;
        const op = node.opType.toLowerCase();
        if (node.opType === 'Mul' && a === b) {
            const gelu = this.geluTanh(node);
            if (gelu) return gelu;
            const lrn = this.writtenOutLrn(node);
            if (lrn) return lrn;
        }
        if (this.isActivation(a) && this.isActivation(b)) return { layers: [{ op, attrs: {}, inputs: [a, b], outputs: [node.outputs[0]] }], nodes: [] };
        const gelu = this.gelu(node);
        if (gelu) return gelu;
        const constant = this.isActivation(a) ? b : a;
        const t = this.constant(constant);
        this.unsupported(node, `${node.opType} of an activation and a constant${t ? ` of shape ${formatShape(t.dims)}${numel(t.dims) === 1 ? ` (${shortestFloat(t.values()[0])})` : ''}` : ''} has no ConvNet op; the language's ${op} combines two computed tensors`);
    }

    /**
     * A local response norm as the exporter writes it when ONNX's LRN cannot say it (an even window, or not 4-D): x·x → 1×1 Conv with a band of ones over the
     * channels (the window sums) → ·alpha/size → +k → ^beta → x ÷ that.
     */
    private writtenOutLrn(squares: OnnxNode): Match | undefined {
        const x = squares.inputs[0];
        const conv = this.only(squares.outputs[0]);
        if (conv?.opType !== 'Conv' || conv.inputs[0] !== squares.outputs[0] || conv.inputs.length > 2) return undefined;
        const band = this.constant(conv.inputs[1]);
        const channels = band?.dims[0];
        if (!band || channels === undefined || band.dims[1] !== channels || band.dims.slice(2).some(d => d !== 1)) return undefined;
        // The first row holds the channels after the window's centre, the last row those before it.
        const values = band.values();
        const row = (out: number) => values.slice(out * channels, (out + 1) * channels).reduce((sum, v) => sum + v, 0);
        const [before, after] = [row(channels - 1) - 1, row(0) - 1];
        const size = before + after + 1;
        if (before !== Math.floor(size / 2) || after !== Math.floor((size - 1) / 2)) return undefined;
        for (let out = 0; out < channels; out++) {
            for (let j = 0; j < channels; j++) {
                const inWindow = j >= out - before && j <= out + after;
                if (values[out * channels + j] !== (inWindow ? 1 : 0)) return undefined;
            }
        }
        const scale = this.only(conv.outputs[0]);
        const scaleBy = scale?.opType === 'Mul' ? this.constant(this.other(scale, conv.outputs[0])) : undefined;
        const shift = scale && this.only(scale.outputs[0]);
        const shiftBy = shift?.opType === 'Add' ? this.constant(this.other(shift, scale!.outputs[0])) : undefined;
        const power = shift && this.only(shift.outputs[0]);
        const exponent = power?.opType === 'Pow' && power.inputs[0] === shift!.outputs[0] ? this.constant(power.inputs[1]) : undefined;
        const divide = power && this.only(power.outputs[0]);
        if (!scaleBy || !shiftBy || !exponent || divide?.opType !== 'Div' || divide.inputs[0] !== x || divide.inputs[1] !== power!.outputs[0]) return undefined;
        if ([scaleBy, shiftBy, exponent].some(t => numel(t.dims) !== 1)) return undefined;
        return {
            layers: [{ op: 'lrn', attrs: lrnAttrs(size, scaleBy.values()[0] * size, exponent.values()[0], shiftBy.values()[0]), inputs: [x], outputs: [divide.outputs[0]] }],
            nodes: [conv, scale!, shift!, power!, divide],
        };
    }

    /** GELU written out: x/√2 (or x·√½) → Erf → + 1 → · x → · 0.5, in torch.onnx's or the exporter's order. */
    private gelu(node: OnnxNode): Match | undefined {
        const [a, b] = node.inputs;
        const x = this.isActivation(a) ? a : b;
        const c = x === a ? b : a;
        const scaled = (node.opType === 'Div' && x === a && this.isScalar(c, Math.SQRT2, 1e-5)) || (node.opType === 'Mul' && this.isScalar(c, Math.SQRT1_2, 1e-5));
        if (!scaled) return undefined;
        const erf = this.only(node.outputs[0]);
        if (erf?.opType !== 'Erf') return undefined;
        const plus = this.only(erf.outputs[0]);
        if (plus?.opType !== 'Add' || !this.isScalar(this.other(plus, erf.outputs[0]) ?? '', 1)) return undefined;
        const product = this.only(plus.outputs[0]);
        if (product?.opType !== 'Mul') return undefined;
        const factor = this.other(product, plus.outputs[0]);
        if (factor === x) {
            const half = this.only(product.outputs[0]);
            if (half?.opType !== 'Mul' || !this.isScalar(this.other(half, product.outputs[0]) ?? '', 0.5)) return undefined;
            return { layers: [{ op: 'gelu', attrs: {}, inputs: [x], outputs: [half.outputs[0]] }], nodes: [erf, plus, product, half] };
        }
        const halfNode = this.model.nodes.find(n => n.outputs.includes(factor ?? '')) ;
        if (!halfNode || halfNode.opType !== 'Mul' || this.consumed.has(halfNode.index) || this.other(halfNode, x) === undefined || !this.isScalar(this.other(halfNode, x)!, 0.5)) return undefined;
        if (this.readers(halfNode.outputs[0]).length !== 1) return undefined;
        return { layers: [{ op: 'gelu', attrs: {}, inputs: [x], outputs: [product.outputs[0]] }], nodes: [erf, plus, halfNode, product] };
    }

    /**
     * GELU's tanh approximation as the exporter writes it (opset < 20):
     * x·x → ·x → ·0.044715 → x + … → ·√(2/π) → Tanh → + 1 → · (x·0.5).
     */
    private geluTanh(square: OnnxNode): Match | undefined {
        const x = square.inputs[0];
        const cube = this.only(square.outputs[0]);
        if (cube?.opType !== 'Mul' || this.other(cube, square.outputs[0]) !== x) return undefined;
        const scaledCube = this.only(cube.outputs[0]);
        if (scaledCube?.opType !== 'Mul' || !this.isScalar(this.other(scaledCube, cube.outputs[0]) ?? '', 0.044715, 1e-5)) return undefined;
        const sum = this.only(scaledCube.outputs[0]);
        if (sum?.opType !== 'Add' || this.other(sum, scaledCube.outputs[0]) !== x) return undefined;
        const scaled = this.only(sum.outputs[0]);
        if (scaled?.opType !== 'Mul' || !this.isScalar(this.other(scaled, sum.outputs[0]) ?? '', Math.sqrt(2 / Math.PI), 1e-5)) return undefined;
        const tanh = this.only(scaled.outputs[0]);
        if (tanh?.opType !== 'Tanh') return undefined;
        const plus = this.only(tanh.outputs[0]);
        if (plus?.opType !== 'Add' || !this.isScalar(this.other(plus, tanh.outputs[0]) ?? '', 1)) return undefined;
        const product = this.only(plus.outputs[0]);
        const halfName = product?.opType === 'Mul' ? this.other(product, plus.outputs[0]) : undefined;
        const half = this.model.nodes.find(n => halfName !== undefined && n.outputs[0] === halfName);
        if (!product || !half || half.opType !== 'Mul' || this.consumed.has(half.index) || this.readers(half.outputs[0]).length !== 1) return undefined;
        const factor = this.other(half, x);
        if (factor === undefined || !this.isScalar(factor, 0.5)) return undefined;
        return { layers: [{ op: 'gelu', attrs: { approximate: 'tanh' }, inputs: [x], outputs: [product.outputs[0]] }], nodes: [cube, scaledCube, sum, scaled, tanh, plus, half, product] };
    }

    private split(node: OnnxNode): Draft {
        const [x] = node.inputs;
        const shape = this.shape(node, x);
        const axis = normalizeAxis(this.int(node, 'axis', 0), shape.length);
        const count = node.outputs.length;
        let sizes: number[];
        if (node.inputs[1]) sizes = [...this.constValues(node, 1, 'split sizes')];
        else if (this.ints(node, 'split')) sizes = this.ints(node, 'split')!;
        else {
            // Equal pieces; from opset 18 (num_outputs) the last one is smaller when the size does not divide.
            const each = Math.ceil(shape[axis] / count);
            sizes = Array.from({ length: count }, (_, i) => Math.min(each, shape[axis] - i * each));
        }
        if (sizes.length !== count) this.unsupported(node, `it gives ${count} outputs but ${sizes.length} split sizes (${sizes.join(', ')}); give one size per output`);
        if (sizes.some(size => size < 1)) this.unsupported(node, `its pieces along axis ${axis} would be ${sizes.join(', ')} of ${shape[axis]}, and the language's split makes no empty piece; give every output at least one element`);
        const attrs: Record<string, AttrValue> = { sections: sizes.every(s => s === sizes[0]) ? count : sizes };
        if (axis !== 1) attrs.dim = axis;
        return { op: 'split', attrs, inputs: [x], outputs: [...node.outputs] };
    }

    private sliceParts(node: OnnxNode): { axis: number; start: number; end: number; step: number }[] {
        const shape = this.shape(node, node.inputs[0]);
        let starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[];
        if (this.ints(node, 'starts')) {
            starts = this.ints(node, 'starts')!;
            ends = this.ints(node, 'ends') ?? [];
            axes = this.ints(node, 'axes') ?? starts.map((_, i) => i);
            steps = starts.map(() => 1);
        } else {
            starts = this.constValues(node, 1, 'starts');
            ends = this.constValues(node, 2, 'ends');
            axes = node.inputs[3] ? this.constValues(node, 3, 'axes') : starts.map((_, i) => i);
            steps = node.inputs[4] ? this.constValues(node, 4, 'steps') : starts.map(() => 1);
        }
        return axes.map((a, i) => {
            const axis = normalizeAxis(a, shape.length);
            const step = steps[i] ?? 1;
            if (step < 1) this.unsupported(node, `a Slice with step ${step} (backwards) has no ConvNet op`);
            const { first, count } = sliceRange(shape[axis], starts[i], ends[i], step);
            if (count <= 0) this.unsupported(node, `it selects nothing along axis ${axis}`);
            return { axis, start: first, end: first + (count - 1) * step + 1, step };
        });
    }

    private slice(node: OnnxNode): Match {
        const x = node.inputs[0];
        const shape = this.shape(node, x);
        const parts = this.sliceParts(node);
        // The exporter's adaptive pooling: Slice → Reduce{Mean,Max} → … → Concat along one axis.
        if (parts.length === 1) {
            const adaptive = this.adaptiveAxis(node, parts[0].axis);
            if (adaptive) return adaptive;
            // Slices that cut one tensor into consecutive pieces are a split (torch.onnx writes x.chunk so).
            const split = this.sliceSplit(node, shape, parts[0].axis);
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
    }

    private singleAxisSlice(node: OnnxNode): { axis: number; start: number; end: number; step: number } | undefined {
        if (node.opType !== 'Slice' || this.consumed.has(node.index)) return undefined;
        try {
            const parts = this.sliceParts(node);
            return parts.length === 1 ? parts[0] : undefined;
        } catch {
            return undefined;
        }
    }

    private sliceSplit(node: OnnxNode, shape: Shape, axis: number): Match | undefined {
        const x = node.inputs[0];
        const pieces = this.readers(x)
            .map(n => ({ n, part: n.inputs[0] === x ? this.singleAxisSlice(n) : undefined }))
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
        const attrs: Record<string, AttrValue> = { sections: sizes.every(s => s === sizes[0]) ? sizes.length : sizes };
        if (axis !== 1) attrs.dim = axis;
        return { layers: [{ op: 'split', attrs, inputs: [x], outputs: pieces.map(p => p.n.outputs[0]) }], nodes: pieces.map(p => p.n).filter(n => n !== node) };
    }

    private adaptiveAxis(node: OnnxNode, axis: number): Match | undefined {
        const x = node.inputs[0];
        const shape = this.shape(node, x);
        const reduce = this.only(node.outputs[0]);
        if (!reduce || (reduce.opType !== 'ReduceMean' && reduce.opType !== 'ReduceMax') || axis < 2) return undefined;
        const concat = this.only(reduce.outputs[0]);
        if (concat?.opType !== 'Concat' || normalizeAxis(this.int(concat, 'axis', 0), shape.length) !== axis) return undefined;
        const nodes: OnnxNode[] = [];
        const size = shape[axis];
        const o = concat.inputs.length;
        for (let k = 0; k < o; k++) {
            const r = this.model.nodes.find(n => n.outputs[0] === concat.inputs[k]);
            if (!r || r.opType !== reduce.opType || this.readers(r.outputs[0]).length !== 1 || this.int(r, 'keepdims', 1) !== 1) return undefined;
            const axes = this.ints(r, 'axes') ?? (r.inputs[1] ? this.constant(r.inputs[1])?.values() : undefined);
            if (!axes || axes.length !== 1 || normalizeAxis(axes[0], shape.length) !== axis) return undefined;
            const s = this.model.nodes.find(n => n.outputs[0] === r.inputs[0]);
            const part = s && s.inputs[0] === x && this.readers(s.outputs[0]).length === 1 ? this.singleAxisSlice(s) : undefined;
            const [start, end] = adaptiveWindow(k, size, o);
            if (!part || part.axis !== axis || part.step !== 1 || part.start !== start || part.end !== end) return undefined;
            if (s !== node) nodes.push(s!);
            nodes.push(r);
        }
        nodes.push(concat);
        const outputSize = shape.slice(2);
        outputSize[axis - 2] = o;
        const op = `adaptive${reduce.opType === 'ReduceMean' ? 'avg' : 'max'}pool${['1d', '', '3d'][shape.length - 3] ?? ''}`;
        return { layers: [{ op, attrs: { output_size: compactInts(outputSize) }, inputs: [x], outputs: [concat.outputs[0]] }], nodes };
    }

    /** Pad's sides, mode and value (attributes before opset 11, inputs after), or undefined if not constant. */
    /** `rank` is the input's rank when its shape is not known yet (a Pad right after the layer being read). */
    private padSides(node: OnnxNode, inputRank?: number): { begin: number[]; end: number[]; mode: string; value: number; rank: number } | undefined {
        const rank = this.shapes.get(node.inputs[0])?.length ?? inputRank;
        if (rank === undefined) return undefined;
        let pads: readonly number[] | undefined = this.ints(node, 'pads');
        let value = this.float(node, 'value', 0);
        if (!pads) {
            pads = this.constant(node.inputs[1])?.values();
            if (!pads) return undefined;
            if (node.inputs[2]) {
                const v = this.constant(node.inputs[2]);
                if (!v) return undefined;
                value = v.values()[0] ?? 0;
            }
            if (node.inputs[3]) {
                const axes = this.constant(node.inputs[3])?.values();
                if (!axes) return undefined;
                const full = Array(2 * rank).fill(0);
                axes.forEach((a, i) => {
                    const axis = normalizeAxis(a, rank);
                    full[axis] = pads![i];
                    full[rank + axis] = pads![axes.length + i];
                });
                pads = full;
            }
        }
        if (pads.length !== 2 * rank) return undefined;
        const mode = this.string(node, 'mode', 'constant');
        return { begin: pads.slice(2, rank), end: pads.slice(rank + 2), mode, value, rank: pads[0] || pads[1] || pads[rank] || pads[rank + 1] ? -1 : rank };
    }

    private padAttrs(node: OnnxNode): Record<string, AttrValue> {
        const sides = this.padSides(node);
        if (!sides) this.unsupported(node, 'its pads (or value) are computed, not constant');
        if (sides.rank < 0) this.unsupported(node, 'it pads the batch or channel dimension; the language pads spatial dimensions only');
        if ([...sides.begin, ...sides.end].some(p => p < 0)) this.unsupported(node, 'negative pads crop the tensor; the language pads only');
        const mode = { constant: 'constant', reflect: 'reflect', edge: 'replicate' }[sides.mode];
        if (!mode) this.unsupported(node, `Pad mode ${quoted(sides.mode)} has no ConvNet equivalent (constant, reflect, edge)`);
        const attrs: Record<string, AttrValue> = { padding: compactPadding(sides.begin, sides.end) };
        if (mode !== 'constant') attrs.mode = mode;
        else if (sides.value !== 0) attrs.value = shortestFloat(sides.value);
        return attrs;
    }

    private resizeAttrs(node: OnnxNode): Record<string, AttrValue> {
        const x = node.inputs[0];
        const shape = this.shape(node, x);
        const dims = shape.length - 2;
        if (dims < 1 || dims > 3) this.unsupported(node, `resizing a ${shape.length}-D tensor has no ConvNet op`);
        let scales: readonly number[] | undefined;
        let sizes: readonly number[] | undefined;
        if (node.opType === 'Upsample') {
            scales = this.ints(node, 'scales') ?? (this.attr(node, 'scales') as number[] | undefined) ?? (node.inputs[1] ? this.constValues(node, 1, 'scales') : undefined);
        } else if (this.model.opset < 11) {
            scales = this.constValues(node, 1, 'scales');
        } else {
            const s = node.inputs[2] ? this.constValues(node, 2, 'scales') : undefined;
            scales = s && s.length ? s : undefined;
            sizes = node.inputs[3] ? this.constValues(node, 3, 'sizes') : undefined;
            if (sizes && !sizes.length) sizes = undefined;
        }
        if (!scales && !sizes) this.unsupported(node, 'it has neither scales nor sizes');
        if (this.attr(node, 'axes')) this.unsupported(node, 'Resize with axes is not read');
        const rawMode = this.string(node, 'mode', 'nearest');
        const linear = rawMode === 'linear' || rawMode === 'bilinear';
        if (rawMode !== 'nearest' && !linear) this.unsupported(node, `Resize mode ${quoted(rawMode)} has no ConvNet equivalent (nearest, linear)`);
        if (sizes && (sizes.length !== shape.length || sizes[0] !== shape[0] || sizes[1] !== shape[1])) this.unsupported(node, `its sizes (${sizes.join(', ')}) resize the batch or channels`);
        if (scales && (scales.length !== shape.length || scales[0] !== 1 || scales[1] !== 1)) this.unsupported(node, `its scales (${scales.join(', ')}) resize the batch or channels`);
        const resize = this.model.opset >= 11 && node.opType === 'Resize';
        // Resize-10 and Upsample have neither attribute: they map asymmetrically and round as `simple`.
        const coordinateMode = resize ? this.string(node, 'coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
        const nearestMode = resize ? this.string(node, 'nearest_mode', 'round_prefer_floor') : 'simple';
        const upscaling = (sizes ?? scales!).slice(2).every((v, i) => (sizes ? v >= shape[2 + i] : v >= 1));
        if (linear && this.int(node, 'antialias', 0) !== 0 && !upscaling) this.unsupported(node, 'antialias = 1 filters before downsampling, which upsample does not');
        const choice = upsampleForResize({
            mode: linear ? 'linear' : 'nearest', coordinateMode, nearestMode, input: shape.slice(2),
            ...(sizes ? { sizes: sizes.slice(2) } : { scales: scales!.slice(2) }),
        });
        if ('refusal' in choice) this.unsupported(node, choice.refusal);
        return linear ? { mode: ['linear', 'bilinear', 'trilinear'][dims - 1], ...choice.attrs } : choice.attrs;
    }

    // ----- after the walk --------------------------------------------------------------------------------------

    private producerOf(tensor: string): ImportedLayer | undefined {
        return this.layers.find(l => l.outputs.includes(tensor));
    }

    private readersOf(tensor: string): ImportedLayer[] {
        return this.layers.filter(l => l.inputs.includes(tensor));
    }

    private isOutput(tensor: string): boolean {
        return this.graphOutputs.has(tensor) || [...this.aliases.values()].includes(tensor);
    }

    private replace(remove: ImportedLayer[], add: ImportedLayer): void {
        const at = Math.min(...remove.map(l => this.layers.indexOf(l)));
        for (const l of remove) this.layers.splice(this.layers.indexOf(l), 1);
        this.layers.splice(at, 0, add);
    }

    private reshaped(layer: ImportedLayer, op: string, attrs: Record<string, AttrValue>, inputs: string[], outputs: string[], nodes: number[], expected: readonly Shape[]): ImportedLayer | undefined {
        const spec = findOp(op)!;
        const full = withDefaults(op, attrs);
        const shapes = inputs.map(t => this.shapes.get(t)!);
        const result = spec.shape({ inputs: shapes, attrs: full });
        if (!result.outputs || result.issues.some(i => i.severity === 'error') || result.outputs.length !== expected.length || !result.outputs.every((s, i) => sameList(s, expected[i]))) return undefined;
        const cost = spec.cost({ inputs: shapes, attrs: full }, result.outputs);
        return { ...layer, op, attrs, inputs, outputs, outputShapes: [...result.outputs], nodes, params: [], paramCount: 0, bufferCount: 0, macs: cost.macs, warnings: result.issues.filter(i => i.severity === 'warning') };
    }

    /** Adaptive pooling along one axis, then along another (the exporter's per-axis decomposition): one layer. */
    private mergeAdaptivePools(): void {
        for (let i = 0; i < this.layers.length; i++) {
            const first = this.layers[i];
            if (!first.op.startsWith('adaptive') || this.isOutput(first.outputs[0])) continue;
            const readers = this.readersOf(first.outputs[0]);
            const second = readers[0];
            if (readers.length !== 1 || second.op !== first.op) continue;
            const a = first.attrs.output_size;
            const b = second.attrs.output_size;
            const dims = first.outputShapes[0].length - 2;
            const inShape = this.shapes.get(first.inputs[0])!;
            const sa = typeof a === 'number' ? Array(dims).fill(a) : a as number[];
            const sb = typeof b === 'number' ? Array(dims).fill(b) : b as number[];
            const mid = first.outputShapes[0].slice(2);
            // Each reduces the axes where its size differs from its input's; together they reduce both.
            const size = mid.map((m, d) => (sb[d] !== m ? sb[d] : sa[d] !== inShape[2 + d] ? sa[d] : m));
            const merged = this.reshaped(second, first.op, { output_size: compactInts(size) }, first.inputs.slice(), second.outputs.slice(), [...first.nodes, ...second.nodes], second.outputShapes);
            if (!merged) continue;
            this.replace([first, second], merged);
            i--;
        }
    }

    /** Flatten(pool_l(x)) for every level, concatenated: the exporter's spatial pyramid pooling, read back whole. */
    private foldSpatialPyramids(): void {
        for (const concat of [...this.layers]) {
            if (concat.op !== 'concat' || (concat.attrs.dim !== undefined && concat.attrs.dim !== 1) || concat.inputs.length < 1) continue;
            const parts = concat.inputs.map(t => {
                const flatten = this.producerOf(t);
                if (!flatten || flatten.op !== 'flatten' || this.readersOf(t).length !== 1 || this.isOutput(t)) return undefined;
                const pool = this.producerOf(flatten.inputs[0]);
                if (!pool || this.readersOf(flatten.inputs[0]).length !== 1 || this.isOutput(flatten.inputs[0])) return undefined;
                const level = pyramidLevel(pool, this.shapes.get(pool.inputs[0])!);
                return level ? { flatten, pool, ...level } : undefined;
            });
            if (parts.some(p => !p)) continue;
            const all = parts as NonNullable<typeof parts[number]>[];
            const x = all[0].pool.inputs[0];
            const modes = new Set(all.map(p => p.mode).filter(m => m !== 'any'));
            const mode = modes.size === 0 ? 'max' : [...modes][0];
            if (!all.every(p => p.pool.inputs[0] === x) || modes.size > 1 || this.shapes.get(x)!.length !== 4) continue;
            const scopes = new Set([concat, ...all.flatMap(p => [p.flatten, p.pool])].map(l => this.scopeOfNodes(l.nodes)?.join('.') ?? ''));
            if (scopes.size !== 1) continue;
            const attrs: Record<string, AttrValue> = {};
            const levels = all.map(p => p.level);
            if (!sameList(levels, [1, 2, 4])) attrs.levels = levels.length === 1 ? levels[0] : levels;
            if (mode !== 'max') attrs.mode = mode;
            const nodes = [...all.flatMap(p => [...p.pool.nodes, ...p.flatten.nodes]), ...concat.nodes];
            const spp = this.reshaped(concat, 'spp', attrs, [x], concat.outputs.slice(), nodes, concat.outputShapes);
            if (spp) this.replace([concat, ...all.flatMap(p => [p.pool, p.flatten])], spp);
        }
    }

    /** An Identity that only ends a decomposition (same layer name as what it copies) is part of that layer. */
    private absorbIdentities(): void {
        for (const identity of [...this.layers]) {
            if (identity.op !== 'identity') continue;
            const producer = this.producerOf(identity.inputs[0]);
            if (!producer || producer.outputs.length !== 1 || this.readersOf(identity.inputs[0]).length !== 1 || this.isOutput(identity.inputs[0])) continue;
            const scope = this.scopeOfNodes(identity.nodes)?.join('.');
            if (!scope || this.scopeOfNodes(producer.nodes)?.join('.') !== scope || producer.nodes.length < 2) continue;
            producer.outputs = identity.outputs.slice();
            producer.nodes.push(...identity.nodes);
            this.layers.splice(this.layers.indexOf(identity), 1);
        }
    }

    // ----- names -----------------------------------------------------------------------------------------------

    /** The scope a node's name gives: `layer1.0.conv1` (the exporter's), `/layer1/layer1.0/conv1/Conv` (torch.onnx's). */
    private scopeOfNode(node: OnnxNode): string[] | undefined {
        const name = node.name;
        if (!name) return undefined;
        if (name.startsWith('/')) {
            const segments = name.split('/').slice(1, -1);
            const path: string[] = [];
            let previous: string | undefined;
            for (const segment of segments) {
                // torch.onnx names a child of a Sequential `<parent's segment>.<index>` (`block.0` → `block.0.2`).
                if (previous !== undefined && segment.startsWith(`${previous}.`)) path.push(...segment.slice(previous.length + 1).split('.'));
                else path.push(...segment.split('.'));
                previous = segment;
            }
            return path.length ? path : undefined;
        }
        const base = name.split('/')[0];
        // Generated names (`Conv_0`, `Relu_12`) say nothing about the layer.
        if (/^[A-Z][A-Za-z0-9]*(_\d+)?$/.test(base)) return undefined;
        return base.split('.');
    }

    /** The scope of the last of `indices` that has one (a decomposition's final node carries the layer's name). */
    private scopeOfNodes(indices: readonly number[]): string[] | undefined {
        for (const i of [...indices].reverse()) {
            const scope = this.scopeOfNode(this.model.nodes[i]);
            if (scope) return scope;
        }
        return undefined;
    }

    /** The layer's hierarchical name: from its parameters' names (state_dict keys) or else its nodes' names. */
    private pathOf(layer: ImportedLayer): string[] | undefined {
        const prefixes = new Set<string>();
        for (const p of layer.params) {
            const name = p.paramName ?? p.tensor;
            const dot = name.lastIndexOf('.');
            if (dot > 0 && PARAM_SUFFIXES.has(name.slice(dot + 1))) prefixes.add(name.slice(0, dot));
            else prefixes.add('');
        }
        let path: string[] | undefined;
        if (prefixes.size === 1 && ![...prefixes][0].includes('::') && [...prefixes][0] !== '') path = [...prefixes][0].split('.');
        else path = this.scopeOfNodes(layer.nodes);
        if (!path || path.length === 0) return undefined;
        // The segments beyond the deepest kept become one, so the written modules nest within the language's limits.
        if (path.length > MAX_PATH_DEPTH) path = [...path.slice(0, MAX_PATH_DEPTH - 1), path.slice(MAX_PATH_DEPTH - 1).join('_')];
        // A segment the language cannot say (`block1-0`) becomes an identifier; the rest of the name stays.
        return path.map(segment => convnetText(segment, 'label'));
    }
}

/** A pooling layer as one level of a spatial pyramid: the grid size it pools to. */
function pyramidLevel(pool: ImportedLayer, input: Shape): { level: number; mode: 'max' | 'avg' | 'any' } | undefined {
    const [h, w] = input.slice(2);
    const out = pool.outputShapes[0];
    if (out.length !== 4 || out[2] !== out[3]) return undefined;
    const level = out[2];
    if (pool.op === 'globalmaxpool' || pool.op === 'globalavgpool') return { level: 1, mode: pool.op === 'globalmaxpool' ? 'max' : 'avg' };
    if (pool.op === 'adaptivemaxpool' || pool.op === 'adaptiveavgpool') return { level, mode: pool.op === 'adaptivemaxpool' ? 'max' : 'avg' };
    if ((pool.op === 'maxpool' || pool.op === 'avgpool') && h % level === 0 && w % level === 0) {
        const kernel = [h / level, w / level];
        const attrs = withDefaults(pool.op, pool.attrs);
        const k = typeof attrs.kernel === 'number' ? [attrs.kernel, attrs.kernel] : attrs.kernel as number[];
        const s = attrs.stride === undefined ? k : typeof attrs.stride === 'number' ? [attrs.stride, attrs.stride] : attrs.stride as number[];
        if (sameList(k, kernel) && sameList(s, kernel) && attrs.padding === 0 && !attrs.ceil_mode && (attrs.dilation ?? 1) === 1) return { level, mode: pool.op === 'maxpool' ? 'max' : 'avg' };
    }
    // An adaptive pooling to the input's own size is written as Identity.
    if (pool.op === 'identity' && h === w) return { level: h, mode: 'any' };
    return undefined;
}

/** PyTorch's momentum from ONNX's (ONNX weighs the running statistic, PyTorch the new batch). */
function pytorchMomentum(onnxMomentum: number): number {
    const complement = 1 - onnxMomentum;
    for (let p = 1; p <= 9; p++) {
        const candidate = Number(complement.toPrecision(p));
        if (Math.fround(1 - candidate) === Math.fround(onnxMomentum)) return candidate;
    }
    return shortestFloat(complement);
}

function normalizeAxis(axis: number, rank: number): number {
    return axis < 0 ? axis + rank : axis;
}

export function sameList(a: readonly number[], b: readonly number[]): boolean {
    return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The attributes with the spec's defaults filled in (what the shape and cost rules read). */
export function withDefaults(op: string, attrs: Record<string, AttrValue>): Record<string, AttrValue> {
    const spec = findOp(op)!;
    const full: Record<string, AttrValue> = { ...attrs };
    for (const a of spec.attrs) {
        if (!(a.name in full) && a.default !== undefined) full[a.name] = a.default;
        if (a.type === 'intList' && typeof full[a.name] === 'number') full[a.name] = [full[a.name] as number];
    }
    return full;
}

function describeAttrs(attrs: Record<string, AttrValue>): string {
    return Object.entries(attrs).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
}

/** An attribute value for a message: `NaN`, `(1, Infinity)`. */
function attrText(value: AttrValue): string {
    return Array.isArray(value) ? `(${value.map(attrText).join(', ')})` : String(value);
}

/** Whether every number in an attribute value is finite (what the language's numbers can say). */
function isFiniteAttr(value: AttrValue): boolean {
    if (typeof value === 'number') return Number.isFinite(value);
    return Array.isArray(value) ? value.every(isFiniteAttr) : true;
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
