/**
 * Building an ONNX graph: attributes, raw little-endian tensor data, and `Builder`, which hands out unique tensor
 * names, adds nodes and Constant nodes, and adds each parameter once as an initializer under its state_dict name.
 * The op emitters of onnx.ts write through it.
 */
import onnxProto from 'onnx-proto';
import { stateDictKey, type GraphNode } from '../../language/elaboration/graph.js';
import { numel } from '../../language/ops/shape-utils.js';
import type { ParameterStore } from '../../runtime/weights.js';

const { onnx } = onnxProto;
export type Attribute = onnxProto.onnx.IAttributeProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** What cannot be exported exactly, naming the layer; raised before anything is written. */
export class OnnxExportError extends Error {}

const A = onnx.AttributeProto.AttributeType;
export const int = (name: string, i: number): Attribute => ({ name, type: A.INT, i });
export const ints = (name: string, values: readonly number[]): Attribute => ({ name, type: A.INTS, ints: [...values] });
export const float = (name: string, f: number): Attribute => ({ name, type: A.FLOAT, f });
export const str = (name: string, s: string): Attribute => ({ name, type: A.STRING, s: new TextEncoder().encode(s) });

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function floatBytes(data: Float32Array): Uint8Array {
    // A view: the encoder copies it into the message.
    if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    data.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return out;
}

function int64Bytes(values: readonly number[]): Uint8Array {
    const out = new Uint8Array(values.length * 8);
    const view = new DataView(out.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    return out;
}

/** The pieces of a model being built, with unique names for the tensors a decomposition adds. */
export class Builder {
    readonly nodes: NodeProto[] = [];
    readonly initializers: TensorProto[] = [];
    private readonly used = new Set<string>();
    private constants = 0;

    constructor(readonly opset: number, private readonly parameters: ParameterStore, reserved: Iterable<string>) {
        for (const name of reserved) this.used.add(name);
    }

    /** A fresh tensor name `<base>`, `<base>_1`, … not used yet. */
    unique(base: string): string {
        let name = base;
        for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
        this.used.add(name);
        return name;
    }

    add(opType: string, inputs: readonly string[], outputs: readonly string[], attribute: Attribute[] = [], name?: string, domain?: string): void {
        this.nodes.push({ opType, input: [...inputs], output: [...outputs], attribute, name: name ?? outputs[0], ...(domain ? { domain } : {}) });
    }

    /** Adds `opType` for layer `node` with one fresh output `<layer>/<step>`, returned. */
    step(node: GraphNode, opType: string, inputs: readonly string[], attribute: Attribute[] = [], step = opType): string {
        const out = this.unique(`${node.name}/${step}`);
        this.add(opType, inputs, [out], attribute, out);
        return out;
    }

    private constant(node: GraphNode, step: string, tensor: TensorProto): string {
        const out = this.unique(`${node.name}/${step}`);
        this.constants++;
        this.add('Constant', [], [out], [{ name: 'value', type: A.TENSOR, t: { ...tensor, name: out } }], out);
        return out;
    }

    int64s(node: GraphNode, step: string, values: readonly number[], scalar = false): string {
        return this.constant(node, step, { dataType: onnx.TensorProto.DataType.INT64, dims: scalar ? [] : [values.length], rawData: int64Bytes(values) });
    }

    floats(node: GraphNode, step: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
        return this.constant(node, step, { dataType: onnx.TensorProto.DataType.FLOAT, dims: [...dims], rawData: floatBytes(Float32Array.from(values)) });
    }

    /** The initializer of parameter `param` of layer `node` (added on first use), named by its state_dict key. */
    param(node: GraphNode, param: string): string {
        const spec = node.params.find(p => p.name === param);
        const data = this.parameters.get(node.name)?.[param];
        if (!spec || !data) throw new OnnxExportError(`layer '${node.name}' (${node.op}): no value for parameter '${param}'`);
        if (data.length !== numel(spec.shape)) throw new OnnxExportError(`layer '${node.name}': parameter '${param}' has ${data.length} values, its shape [${spec.shape.join(', ')}] needs ${numel(spec.shape)}`);
        const name = stateDictKey(node.name, param);
        if (!this.initializers.some(t => t.name === name)) {
            this.used.add(name);
            this.initializers.push({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [...spec.shape], rawData: floatBytes(data) });
        }
        return name;
    }

    hasParam(node: GraphNode, param: string): boolean {
        return node.params.some(p => p.name === param);
    }

    /** Reduce over `axes` (attribute before opset 18, input from 18 on). */
    reduce(node: GraphNode, opType: 'ReduceMean' | 'ReduceMax', input: string, axes: readonly number[], step: string = opType): string {
        if (this.opset >= 18) return this.step(node, opType, [input, this.int64s(node, `${step}_axes`, axes)], [int('keepdims', 1)], step);
        return this.step(node, opType, [input], [ints('axes', axes), int('keepdims', 1)], step);
    }
}

