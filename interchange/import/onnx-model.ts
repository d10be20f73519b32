/**
 * An ONNX model as the importer reads it: decoded by `onnx-proto` (the library the exporter encodes with), its
 * nodes with their consumers, the shapes of the graph inputs, and every constant — initializers, Constant nodes and
 * what the shape arithmetic around them computes. PyTorch writes `x.view(x.size(0), -1)` or `x.chunk(2, 1)` as
 * Shape → Gather → Unsqueeze → Concat (or Div, Mul, …) feeding a Reshape or Slice; those subgraphs are evaluated
 * here on demand, once the shape of the activation they start from is known, so the op that reads the result sees
 * a plain constant.
 *
 * Weights are never decoded: a parameter needs only its dimensions and the name of the initializer it came from.
 * Before anything is read, the model is checked with the ONNX checker's rules (check-model.ts).
 */
import onnxProto from 'onnx-proto';
import { quoted } from '../../language/util/quote.js';
import { checkModel } from './check-model.js';
import { OnnxImportError } from './import-error.js';

export { OnnxImportError };

const { onnx } = onnxProto;
type Long = { toNumber(): number };
export type AttributeValue = number | string | number[] | ConstTensor | undefined;

export const DataType = onnx.TensorProto.DataType;

/** A constant tensor. `values()` decodes (or computes) its elements the first time they are asked for. */
export interface ConstTensor {
    readonly dims: readonly number[];
    readonly dataType: number;
    values(): readonly number[];
    /** The parameter's name when the tensor is an initializer, or one reshaped/transposed/cast from one. */
    readonly paramName?: string;
}

export interface OnnxNode {
    readonly index: number;
    readonly opType: string;
    readonly domain: string;
    readonly name: string;
    readonly inputs: readonly string[];
    readonly outputs: readonly string[];
    readonly attributes: ReadonlyMap<string, AttributeValue>;
}

export interface OnnxValueInfo {
    readonly name: string;
    /** Dimensions; a symbolic or unknown dimension is a string (`batch`, `?`). */
    readonly dims: readonly (number | string)[];
    readonly elemType: number;
}

export interface DecodedModel {
    readonly irVersion: number;
    readonly opset: number;
    readonly producer: string;
    readonly graphName: string;
    readonly nodes: readonly OnnxNode[];
    /** Graph inputs that are not initializers: the network's inputs. */
    readonly inputs: readonly OnnxValueInfo[];
    readonly outputs: readonly OnnxValueInfo[];
    readonly initializers: ReadonlyMap<string, ConstTensor>;
}

const toNumber = (v: number | Long | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

function describeBytes(bytes: Uint8Array): string {
    const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 64));
    // eslint-disable-next-line no-control-regex
    return /^[\x09\x0a\x0d\x20-\x7e]*$/.test(head) && head.trim() ? ` (it starts with text: "${head.trim().split('\n')[0].slice(0, 40)}")` : '';
}

/** Decodes `bytes` as an ONNX ModelProto; anything else is an `OnnxImportError` that says what the file looks like. */
export function decodeModel(bytes: Uint8Array, source = 'the file'): DecodedModel {
    if (bytes.length === 0) throw new OnnxImportError(`${source} is empty, not an ONNX model`);
    let model: onnxProto.onnx.ModelProto;
    try {
        // A plain Uint8Array: protobufjs makes empty byte fields with `new buf.constructor(0)`, deprecated for a Buffer.
        model = onnx.ModelProto.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
        throw new OnnxImportError(`${source} is not an ONNX model${describeBytes(bytes)}: the protobuf decoder says ${(e as Error).message}`);
    }
    const graph = model.graph;
    const irVersion = toNumber(model.irVersion);
    if (!graph || irVersion <= 0 || irVersion > 100 || ((graph.node ?? []).length === 0 && (graph.output ?? []).length === 0)) {
        throw new OnnxImportError(`${source} is not an ONNX model${describeBytes(bytes)}: it has no ${!graph ? 'graph' : irVersion <= 0 || irVersion > 100 ? 'valid IR version' : 'nodes or outputs'}`);
    }
    const opset = checkModel(model, graph);
    const initializers = new Map<string, ConstTensor>();
    for (const t of graph.initializer ?? []) {
        if (!t.name) continue;
        initializers.set(t.name, tensorFromProto(t, t.name));
    }
    const nodes: OnnxNode[] = (graph.node ?? []).map((n, index) => ({
        index,
        opType: n.opType ?? '',
        domain: n.domain ?? '',
        name: n.name ?? '',
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
        attributes: new Map((n.attribute ?? []).map(a => [a.name ?? '', attributeValue(a)])),
    }));
    const valueInfo = (v: onnxProto.onnx.IValueInfoProto): OnnxValueInfo => {
        const tensorType = v.type?.tensorType;
        const dims = (tensorType?.shape?.dim ?? []).map(d => (d.dimValue !== null && d.dimValue !== undefined && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam || '?'));
        return { name: v.name ?? '', dims, elemType: tensorType?.elemType ?? 0 };
    };
    return {
        irVersion,
        opset,
        producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
        graphName: graph.name ?? '',
        nodes,
        inputs: (graph.input ?? []).filter(i => !initializers.has(i.name ?? '')).map(valueInfo),
        outputs: (graph.output ?? []).map(valueInfo),
        initializers,
    };
}

function attributeValue(a: onnxProto.onnx.IAttributeProto): AttributeValue {
    const T = onnx.AttributeProto.AttributeType;
    switch (a.type) {
        case T.FLOAT: return a.f ?? 0;
        case T.INT: return toNumber(a.i);
        case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
        case T.FLOATS: return [...(a.floats ?? [])];
        case T.INTS: return (a.ints ?? []).map(toNumber);
        case T.TENSOR: return a.t ? tensorFromProto(a.t) : undefined;
        default: return undefined;
    }
}

const INT_TYPES = new Set<number>([DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64, DataType.BOOL]);

export const isIntType = (dataType: number): boolean => INT_TYPES.has(dataType);

/** A TensorProto as a constant; its values are decoded only when asked for (never for weights). */
export function tensorFromProto(t: onnxProto.onnx.ITensorProto, paramName?: string): ConstTensor {
    const dims = (t.dims ?? []).map(toNumber);
    const dataType = t.dataType ?? DataType.FLOAT;
    let cache: number[] | undefined;
    return {
        dims, dataType, paramName,
        values: () => (cache ??= decodeValues(t, dims, dataType)),
    };
}

function decodeValues(t: onnxProto.onnx.ITensorProto, dims: readonly number[], dataType: number): number[] {
    const count = dims.reduce((a, b) => a * b, 1);
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new OnnxImportError(`tensor ${quoted(t.name ?? '')} keeps its values in an external file, and the importer needs them: import the model with its data embedded (onnx.save with save_as_external_data=False)`);
    const raw = t.rawData;
    if (raw && raw.length > 0) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const out: number[] = [];
        const read: Record<number, [number, (o: number) => number]> = {
            [DataType.FLOAT]: [4, o => view.getFloat32(o, true)],
            [DataType.DOUBLE]: [8, o => view.getFloat64(o, true)],
            [DataType.INT64]: [8, o => Number(view.getBigInt64(o, true))],
            [DataType.UINT64]: [8, o => Number(view.getBigUint64(o, true))],
            [DataType.INT32]: [4, o => view.getInt32(o, true)],
            [DataType.UINT32]: [4, o => view.getUint32(o, true)],
            [DataType.INT16]: [2, o => view.getInt16(o, true)],
            [DataType.UINT16]: [2, o => view.getUint16(o, true)],
            [DataType.INT8]: [1, o => view.getInt8(o)],
            [DataType.UINT8]: [1, o => view.getUint8(o)],
            [DataType.BOOL]: [1, o => view.getUint8(o)],
            [DataType.FLOAT16]: [2, o => float16(view.getUint16(o, true))],
        };
        const reader = read[dataType];
        if (!reader) throw new OnnxImportError(`tensor ${quoted(t.name ?? '')} has data type ${dataType}, which the importer cannot read as a number; shape arithmetic must use integer or float tensors`);
        for (let i = 0; i < count; i++) out.push(reader[1](i * reader[0]));
        return out;
    }
    if (t.floatData?.length) return [...t.floatData];
    if (t.doubleData?.length) return [...t.doubleData];
    if (t.int64Data?.length) return t.int64Data.map(toNumber);
    if (t.uint64Data?.length) return t.uint64Data.map(toNumber);
    if (t.int32Data?.length) return dataType === DataType.FLOAT16 ? t.int32Data.map(float16) : [...t.int32Data];
    return count === 0 ? [] : Array(count).fill(0);
}

function float16(bits: number): number {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A constant computed here (shape arithmetic), from its dimensions and elements. */
export function computedTensor(dims: readonly number[], dataType: number, values: readonly number[] | (() => readonly number[]), paramName?: string): ConstTensor {
    let cache: readonly number[] | undefined = typeof values === 'function' ? undefined : values;
    const make = typeof values === 'function' ? values : undefined;
    return { dims, dataType, paramName, values: () => (cache ??= make!()) };
}
