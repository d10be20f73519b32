/**
 * The model as the recognisers see it while its nodes are read in graph order: the shapes of the activations read
 * so far, the constants (constant-folding.ts), which nodes read which tensor and which are taken already, and the
 * layers made. A recogniser (the table in recognize.ts) asks it about the node it reads and the nodes after it, and
 * adds a layer through it, which gives the layer its output shapes and costs by the language's own op spec.
 */
import { findOp } from '../../language/ops/registry.js';
import type { AttrValue, OpIssue, Shape } from '../../language/ops/types.js';
import { formatShape, numel } from '../../language/ops/shape-utils.js';
import { quoted } from '../../language/util/quote.js';
import { ConstantEvaluator } from './constant-folding.js';
import { OnnxImportError, unsupported } from './import-error.js';
import { shortestFloat } from './numbers.js';
import type { ConstTensor, DecodedModel, OnnxNode } from './onnx-model.js';

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

/** A layer a recogniser found, before the language's op spec gives it shapes and costs. */
export interface Draft {
    op: string;
    attrs: Record<string, AttrValue>;
    inputs: string[];
    outputs: string[];
    params?: ImportedParam[];
}

/** What a recogniser makes of a node: the layers, and the nodes after it that they take along. */
export interface Match {
    readonly layers: Draft[];
    /** Nodes the match consumed besides the anchor. */
    readonly nodes: readonly OnnxNode[];
}

/** Reads one ONNX node (of the op type it is registered for) as layers, or refuses it with `unsupported`. */
export type Recogniser = (node: OnnxNode, graph: ImportGraph) => Match;

export class ImportGraph {
    /** Shapes of the activations known so far: the graph inputs and the outputs of the layers made. */
    readonly shapes = new Map<string, Shape>();
    readonly constants: ConstantEvaluator;
    readonly graphOutputs = new Set<string>();
    /** Nodes already read, on their own or as part of a pattern. */
    readonly consumed = new Set<number>();
    readonly layers: ImportedLayer[] = [];
    /** Output tensor → the tensor it is an alias of (Identity nodes that only rename a graph output). */
    readonly aliases = new Map<string, string>();
    private readonly consumersOf = new Map<string, OnnxNode[]>();

    constructor(readonly model: DecodedModel) {
        this.constants = new ConstantEvaluator(model, t => this.shapes.get(t));
        for (const node of model.nodes) {
            for (const input of new Set(node.inputs)) {
                if (!input) continue;
                if (!this.consumersOf.has(input)) this.consumersOf.set(input, []);
                this.consumersOf.get(input)!.push(node);
            }
        }
        for (const o of model.outputs) this.graphOutputs.add(o.name);
    }

    constant(tensor: string | undefined): ConstTensor | undefined {
        return tensor ? this.constants.constant(tensor) : undefined;
    }

    /** Values of a constant input, or an error naming the node when the input is computed. */
    constantInput(node: OnnxNode, index: number, what: string): readonly number[] {
        const t = this.constant(node.inputs[index]);
        if (!t) unsupported(node, `its ${what} (input ${index + 1}, ${quoted(node.inputs[index] ?? '')}) is computed from activations; the importer needs it constant`);
        return t.values();
    }

    /** A constant of one element equal to `value` within `tolerance` (relative; float32 rounding). */
    isScalar(tensor: string, value: number, tolerance = 1e-6): boolean {
        const t = this.constant(tensor);
        if (!t || numel(t.dims) === 0 || numel(t.dims) > 1) return false;
        return Math.abs(t.values()[0] - value) <= tolerance * Math.max(1, Math.abs(value));
    }

    /** The shape of an activation `node` reads, or an error naming the node when it is not known. */
    inputShape(node: OnnxNode, tensor: string | undefined): Shape {
        // A malformed node can lack the input its op reads (`Conv` with no inputs, or with "" for the data).
        if (!tensor) unsupported(node, `an input its op needs is missing (its inputs: [${node.inputs.map(i => quoted(i)).join(', ')}])`);
        const shape = this.shapes.get(tensor);
        if (!shape) unsupported(node, `the shape of its input ${quoted(tensor)} is unknown (it is not produced by a supported node before it)`);
        return shape;
    }

    isActivation(tensor: string | undefined): boolean {
        return !!tensor && this.shapes.has(tensor);
    }

    /** The one node reading `tensor`, when exactly one (not yet consumed) node does and it is no graph output. */
    soleReader(tensor: string): OnnxNode | undefined {
        const readers = this.consumersOf.get(tensor) ?? [];
        if (readers.length !== 1 || this.graphOutputs.has(tensor) || this.consumed.has(readers[0].index)) return undefined;
        return readers[0];
    }

    /** The nodes reading `tensor` that are not read yet. */
    readersLeft(tensor: string): OnnxNode[] {
        return (this.consumersOf.get(tensor) ?? []).filter(n => !this.consumed.has(n.index));
    }

    /** A node that changes nothing: its readers read its input instead. */
    bypass(node: OnnxNode): Match {
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

    /**
     * A learned tensor of the model's own modules (ConvNeXt's `features.1.0.layer_scale`) as the language's
     * `param`: an initializer under a state_dict name, not a number the exporter made up (`onnx::Mul_123`) nor a
     * layer's weight, bias or statistics; its value is the `param`'s start when every element has it.
     */
    learnedTensor(tensor: string): Draft | undefined {
        const t = this.constant(tensor);
        if (!t || t.paramName === undefined || !STATE_DICT_NAME.test(t.paramName) || LAYER_PARAMETER.test(t.paramName) || numel(t.dims) <= 1) return undefined;
        const values = t.values();
        const attrs: Record<string, AttrValue> = { shape: [...t.dims] };
        if (values.every(v => v === values[0])) attrs.init = shortestFloat(values[0]);
        return { op: 'parameter', attrs, inputs: [], outputs: [tensor], params: [paramOf('', tensor, t)] };
    }

    /**
     * Adds a layer made from `nodes`, after the language's op spec accepts it; refusals name the `anchor` node (a
     * layer of no node, a learned tensor the graph returns, has none).
     */
    addLayer(draft: Draft, nodes: number[], anchor: OnnxNode | undefined): void {
        const refuse: (reason: string) => never = reason => {
            if (anchor) unsupported(anchor, reason);
            throw new OnnxImportError(`${draft.outputs.map(t => quoted(t)).join(', ')}: ${reason}`);
        };
        const spec = findOp(draft.op);
        if (!spec) throw new Error(`importer: no op '${draft.op}'`);
        for (const [name, value] of Object.entries(draft.attrs)) {
            if (!isFiniteAttr(value)) refuse(`as ${draft.op} its ${name} would be ${attrText(value)}, and the language's numbers are finite; fix the attribute in the model`);
        }
        const attrs = withDefaults(draft.op, draft.attrs);
        const inputShapes = draft.inputs.map(t => {
            if (!anchor) throw new Error(`importer: a layer of no node (${draft.op}) reads ${t}`);
            return this.inputShape(anchor, t);
        });
        const result = spec.shape({ inputs: inputShapes, attrs });
        const error = result.issues.find(i => i.severity === 'error');
        if (!result.outputs || error) {
            refuse(`as ${draft.op}(${describeAttrs(draft.attrs)}) on ${inputShapes.map(formatShape).join(', ')} it is refused by the language: ${error?.message ?? 'no output shape'}`);
        }
        if (result.outputs.length !== draft.outputs.length) throw new Error(`importer: ${draft.op} gives ${result.outputs.length} outputs, the node ${draft.outputs.length}`);
        const cost = spec.cost({ inputs: inputShapes, attrs }, result.outputs);
        const params = draft.params ?? [];
        for (const p of cost.params) {
            const found = params.find(q => q.name === p.name);
            if (!found || numel(found.dims) !== numel(p.shape)) {
                refuse(`as ${draft.op} its parameter '${p.name}' should have ${numel(p.shape)} values (${formatShape(p.shape)}), the model's ${found ? `has ${numel(found.dims)} (${formatShape(found.dims)})` : 'is missing'}`);
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
}

/** A match of one layer (and the nodes after the anchor it takes along). */
export function oneLayer(draft: Draft, nodes: OnnxNode[] = []): Match {
    return { layers: [draft], nodes };
}

/** The node as one layer `op` of its first input and first output. */
export function unaryLayer(node: OnnxNode, op: string, attrs: Record<string, AttrValue> = {}): Match {
    return oneLayer({ op, attrs, inputs: [node.inputs[0]], outputs: [node.outputs[0]] });
}

/** The recogniser of an ONNX op that is the language's `op` with no attributes to read. */
export function sameOp(op: string): Recogniser {
    return node => unaryLayer(node, op);
}

export function paramOf(name: string, tensor: string, t: ConstTensor): ImportedParam {
    return { name, tensor, paramName: t.paramName, dims: t.dims };
}

/** The other input of a binary node, when one of its inputs is `tensor`. */
export function otherInput(node: OnnxNode, tensor: string): string | undefined {
    if (node.inputs.length !== 2) return undefined;
    if (node.inputs[0] === tensor) return node.inputs[1];
    if (node.inputs[1] === tensor) return node.inputs[0];
    return undefined;
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

/** Dotted module path and attribute name, as PyTorch writes a state_dict key. */
const STATE_DICT_NAME = /^[A-Za-z_][\w-]*(\.[\w-]+)*$/;

/** A key of a layer's own tensors (conv.weight, bn.running_var), which a layer reads, never a `param`. */
const LAYER_PARAMETER = /(^|\.)(weight|bias|running_mean|running_var)$/;
