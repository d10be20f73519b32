/**
 * The ONNX checker's rules the importer relies on, applied to the decoded protobuf before anything is read from it
 * (onnx/checker.cc: check_model, check_graph, check_node, check_tensor). A model that breaks one is refused with the
 * tensor or node named, instead of being half-read: a tensor written twice would let the later writer silently win,
 * an input nobody defines would look like "a constant", and an initializer shorter than its dimensions would be
 * read past its end.
 *
 * What is checked:
 *   - the model imports the ONNX domain at an opset that exists and the importer reads (SUPPORTED_OPSETS), and
 *     every node's domain is one the model imports;
 *   - every tensor is produced once (graph inputs, initializers and node outputs are single assignments);
 *   - every node input is defined before the node (a graph input, an initializer or an earlier node's output:
 *     ONNX requires the nodes in topological order), and every graph output is defined somewhere;
 *   - every tensor's stored values (initializers, and tensors inside attributes such as Constant's value) match its
 *     dimensions: raw_data holds exactly product(dims) × element size bytes, a typed field (float_data, int64_data
 *     …) exactly product(dims) values, of the field its data type is stored in.
 */
import onnxProto from 'onnx-proto';
import { quoted } from '../../language/util/quote.js';
import { describeNode, OnnxImportError } from './import-error.js';

const { onnx } = onnxProto;
type Long = { toNumber(): number };
type ModelProto = onnxProto.onnx.IModelProto;
type GraphProto = onnxProto.onnx.IGraphProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type NodeProto = onnxProto.onnx.INodeProto;

/**
 * ONNX opsets the importer reads. From 7 on, ONNX's arithmetic broadcasts as NumPy does (before, Add needed an
 * explicit `broadcast` attribute) and BatchNormalization has its present form; 26 is the newest opset ONNX has
 * released (the newest onnxruntime 1.30 supports officially).
 */
export const SUPPORTED_OPSETS = { min: 7, max: 26 } as const;

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

const toNumber = (v: number | Long | null | undefined): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Where a tensor's values may be stored, by data type, and how many bits one element takes in raw_data. */
interface StorageRule {
    readonly bits: number;
    /** The typed field the values go in when not raw, and how many field values one element takes. */
    readonly field: TypedField;
    readonly perElement: number;
}

type TypedField = 'floatData' | 'int32Data' | 'stringData' | 'int64Data' | 'doubleData' | 'uint64Data';

const T = onnx.TensorProto.DataType;

/** onnx.proto's TensorProto.DataType, with the storage onnx.proto prescribes for each (types 17–24 by number). */
const STORAGE: ReadonlyMap<number, StorageRule> = new Map<number, StorageRule>([
    [T.FLOAT, { bits: 32, field: 'floatData', perElement: 1 }],
    [T.UINT8, { bits: 8, field: 'int32Data', perElement: 1 }],
    [T.INT8, { bits: 8, field: 'int32Data', perElement: 1 }],
    [T.UINT16, { bits: 16, field: 'int32Data', perElement: 1 }],
    [T.INT16, { bits: 16, field: 'int32Data', perElement: 1 }],
    [T.INT32, { bits: 32, field: 'int32Data', perElement: 1 }],
    [T.INT64, { bits: 64, field: 'int64Data', perElement: 1 }],
    [T.STRING, { bits: 0, field: 'stringData', perElement: 1 }],
    [T.BOOL, { bits: 8, field: 'int32Data', perElement: 1 }],
    [T.FLOAT16, { bits: 16, field: 'int32Data', perElement: 1 }],
    [T.DOUBLE, { bits: 64, field: 'doubleData', perElement: 1 }],
    [T.UINT32, { bits: 32, field: 'uint64Data', perElement: 1 }],
    [T.UINT64, { bits: 64, field: 'uint64Data', perElement: 1 }],
    [T.COMPLEX64, { bits: 64, field: 'floatData', perElement: 2 }],
    [T.COMPLEX128, { bits: 128, field: 'doubleData', perElement: 2 }],
    [T.BFLOAT16, { bits: 16, field: 'int32Data', perElement: 1 }],
    // FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ
    [17, { bits: 8, field: 'int32Data', perElement: 1 }],
    [18, { bits: 8, field: 'int32Data', perElement: 1 }],
    [19, { bits: 8, field: 'int32Data', perElement: 1 }],
    [20, { bits: 8, field: 'int32Data', perElement: 1 }],
    // UINT4, INT4, FLOAT4E2M1: two elements to a byte (and to an int32_data value)
    [21, { bits: 4, field: 'int32Data', perElement: 0.5 }],
    [22, { bits: 4, field: 'int32Data', perElement: 0.5 }],
    [23, { bits: 4, field: 'int32Data', perElement: 0.5 }],
    // FLOAT8E8M0
    [24, { bits: 8, field: 'int32Data', perElement: 1 }],
]);

const TYPED_FIELDS: readonly [TypedField, string][] = [
    ['floatData', 'float_data'], ['int32Data', 'int32_data'], ['stringData', 'string_data'],
    ['int64Data', 'int64_data'], ['doubleData', 'double_data'], ['uint64Data', 'uint64_data'],
];

/** Refuses `model` (an `OnnxImportError` naming the tensor or node) when it breaks a rule above; else its ONNX opset. */
export function checkModel(model: ModelProto, graph: GraphProto): number {
    const opset = checkOpsets(model);
    const imported = new Set((model.opsetImport ?? []).map(o => o.domain ?? ''));
    const nodes = graph.node ?? [];
    nodes.forEach((node, index) => checkNodeDomain(node, index, imported));
    checkTensors(graph);
    checkSingleAssignment(graph);
    return opset;
}

/** The ONNX domain's opset: declared once, at a version that exists and the importer reads. */
function checkOpsets(model: ModelProto): number {
    const supported = `the importer reads ONNX opsets ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}`;
    const versions = (model.opsetImport ?? []).filter(o => DEFAULT_DOMAINS.has(o.domain ?? '')).map(o => toNumber(o.version));
    if (versions.length === 0) {
        throw new OnnxImportError(`the model declares no opset for the ONNX domain (its opset_import has no entry for ''); ${supported}: re-export it with an opset`);
    }
    if (new Set(versions).size > 1) {
        throw new OnnxImportError(`the model declares the ONNX domain at several opsets (${versions.join(', ')}) in its opset_import; ${supported}: re-export it with one`);
    }
    const opset = versions[0];
    if (!Number.isSafeInteger(opset) || opset < SUPPORTED_OPSETS.min || opset > SUPPORTED_OPSETS.max) {
        const why = opset > SUPPORTED_OPSETS.max ? 'which ONNX has not released' : 'older than the importer reads';
        throw new OnnxImportError(`the model declares ONNX opset ${opset}, ${why}; ${supported}: convert or re-export it to one of them`);
    }
    for (const o of model.opsetImport ?? []) {
        const version = toNumber(o.version);
        if (!Number.isSafeInteger(version) || version < 1) {
            throw new OnnxImportError(`the model imports domain ${quoted(o.domain ?? '')} at version ${version}, which no domain has; opset versions start at 1`);
        }
    }
    return opset;
}

function checkNodeDomain(node: NodeProto, index: number, imported: ReadonlySet<string>): void {
    const domain = node.domain ?? '';
    if (DEFAULT_DOMAINS.has(domain) || imported.has(domain)) return;
    throw new OnnxImportError(`${describeNode(nodeRef(node, index))} is in domain ${quoted(domain)}, which the model's opset_import does not declare; a node's domain must be imported (the standard ONNX domain is '')`);
}

const nodeRef = (node: NodeProto, index: number) => ({ index, name: node.name ?? '', opType: node.opType ?? '' });

/**
 * Graph inputs, initializers and node outputs are single assignments, each node input is defined before its node,
 * and each graph output is defined. (An initializer may also be listed as a graph input: that is one tensor.)
 */
function checkSingleAssignment(graph: GraphProto): void {
    const definedBy = new Map<string, string>();
    const define = (name: string, what: string) => {
        const earlier = definedBy.get(name);
        if (earlier !== undefined) {
            throw new OnnxImportError(`${what} defines tensor ${quoted(name)}, which ${earlier} already defines; every tensor of an ONNX graph is produced once (rename one of them)`);
        }
        definedBy.set(name, what);
    };
    const initializers = new Set<string>();
    for (const t of graph.initializer ?? []) {
        if (!t.name) throw new OnnxImportError('an initializer of the model has no name; every initializer must be named so that nodes can read it');
        define(t.name, `initializer ${quoted(t.name)}`);
        initializers.add(t.name);
    }
    for (const s of graph.sparseInitializer ?? []) {
        const name = s.values?.name ?? '';
        throw new OnnxImportError(`the model stores ${name ? quoted(name) : 'a tensor'} as a sparse initializer, which the importer does not read; store it as a dense initializer`);
    }
    for (const input of graph.input ?? []) {
        const name = input.name ?? '';
        if (!name) throw new OnnxImportError('an input of the graph has no name; every graph input must be named');
        if (!initializers.has(name)) define(name, `graph input ${quoted(name)}`);
    }
    const later = laterProducers(graph);
    (graph.node ?? []).forEach((node, index) => {
        const what = describeNode(nodeRef(node, index));
        (node.input ?? []).forEach((input, position) => {
            if (!input || definedBy.has(input)) return; // '' is an optional input left out
            const producer = later.get(input);
            const why = producer !== undefined && producer > index
                ? `which only ${describeNode(nodeRef(graph.node![producer], producer))} after it produces: ONNX needs the nodes in topological order`
                : 'which no graph input, initializer or earlier node defines';
            throw new OnnxImportError(`${what} reads ${quoted(input)} as input ${position + 1}, ${why}; fix the model so every input is defined before it is read`);
        });
        for (const output of node.output ?? []) if (output) define(output, what);
    });
    for (const output of graph.output ?? []) {
        const name = output.name ?? '';
        if (!definedBy.has(name)) {
            throw new OnnxImportError(`graph output ${quoted(name)} is defined by no graph input, initializer or node; every output must be computed by the graph`);
        }
    }
}

/** The first node that produces each tensor (for saying "produced only later" rather than "undefined"). */
function laterProducers(graph: GraphProto): Map<string, number> {
    const producers = new Map<string, number>();
    (graph.node ?? []).forEach((node, index) => {
        for (const output of node.output ?? []) if (output && !producers.has(output)) producers.set(output, index);
    });
    return producers;
}

/** Every stored tensor: initializers and the tensors held in node attributes (Constant's value, ConstantOfShape's …). */
function checkTensors(graph: GraphProto): void {
    for (const t of graph.initializer ?? []) checkTensor(t, `initializer ${quoted(t.name ?? '')}`);
    (graph.node ?? []).forEach((node, index) => {
        for (const a of node.attribute ?? []) {
            const where = `attribute ${quoted(a.name ?? '')} of ${describeNode(nodeRef(node, index))}`;
            if (a.t) checkTensor(a.t, `the tensor in ${where}`);
            for (const t of a.tensors ?? []) checkTensor(t, `a tensor in ${where}`);
        }
    });
}

/** How many values `field` holds. */
function storedCount(t: TensorProto, field: TypedField): number {
    return (t[field] as readonly unknown[] | null | undefined)?.length ?? 0;
}

/** A tensor's dimensions, data type and stored values agree (onnx/checker.cc check_tensor). */
export function checkTensor(t: TensorProto, what: string): void {
    const dims = (t.dims ?? []).map(toNumber);
    const bad = dims.find(d => !Number.isSafeInteger(d) || d < 0);
    if (bad !== undefined) throw new OnnxImportError(`${what} has dimension ${bad} in (${dims.join(', ')}); dimensions are whole numbers ≥ 0`);
    const dataType = t.dataType ?? 0;
    const rule = STORAGE.get(dataType);
    if (!rule) throw new OnnxImportError(`${what} has data type ${dataType}, which is not an ONNX tensor type the importer knows (1 to 24); re-export it with a standard type`);
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return; // its bytes are in another file, read only if needed
    const count = dims.reduce((a, b) => a * b, 1);
    const raw = t.rawData?.length ?? 0;
    const typed = TYPED_FIELDS.filter(([field]) => storedCount(t, field) > 0);
    if (raw > 0 && typed.length > 0 || typed.length > 1) {
        const fields = [...(raw > 0 ? ['raw_data'] : []), ...typed.map(([, name]) => name)];
        throw new OnnxImportError(`${what} stores its values in ${fields.join(' and ')}; a tensor keeps them in exactly one field`);
    }
    if (raw > 0) {
        if (dataType === T.STRING) throw new OnnxImportError(`${what} is a string tensor with raw_data; strings are stored in string_data`);
        const expected = Math.ceil(count * rule.bits / 8);
        if (raw !== expected) {
            throw new OnnxImportError(`${what} has ${raw} bytes of raw_data, but its dimensions (${dims.join(', ')}) need ${count} × ${rule.bits / 8} = ${expected}; the file is truncated or the dimensions are wrong`);
        }
        return;
    }
    if (typed.length === 0) {
        if (count === 0) return;
        throw new OnnxImportError(`${what} has dimensions (${dims.join(', ')}) but stores no values; a tensor with ${count} element${count === 1 ? '' : 's'} needs them in raw_data or ${TYPED_FIELDS.find(([f]) => f === rule.field)![1]}`);
    }
    const [field, fieldName] = typed[0];
    const ruleFieldName = TYPED_FIELDS.find(([f]) => f === rule.field)![1];
    if (field !== rule.field) throw new OnnxImportError(`${what} stores data type ${dataType} in ${fieldName}; ONNX keeps that type in ${ruleFieldName}`);
    const stored = storedCount(t, field);
    const expected = Math.ceil(count * rule.perElement);
    if (stored !== expected) {
        throw new OnnxImportError(`${what} has ${stored} value${stored === 1 ? '' : 's'} in ${fieldName}, but its dimensions (${dims.join(', ')}) need ${expected}; the file is truncated or the dimensions are wrong`);
    }
}
