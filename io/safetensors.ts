/**
 * The safetensors format (Hugging Face): 8 bytes of little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{"<key>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …, "__metadata__": {str: str}}`
 * (possibly padded with spaces), then the byte buffer; offsets are relative to the buffer, which the tensors
 * must cover exactly, without holes or overlaps. Everything is checked before any tensor is handed out, so a
 * malformed file yields one clear error naming the key and nothing partly loaded.
 *
 * `loadParameters` maps a PyTorch `state_dict` saved this way onto a graph by hierarchical name.
 */
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { elementCount } from '../runtime/tensor.js';
import { displayText, quoted } from '../language/util/quote.js';
import { parameterKey, type ParameterStore } from '../runtime/weights.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
    F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Dtypes stored as floating point (loadable as parameters). */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16'];

/** The format's own limit on the header (100 MB), against a corrupt length reading as terabytes. */
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {}

export interface SafetensorsTensor {
    readonly dtype: SafetensorsDtype;
    readonly shape: readonly number[];
    /** The tensor's bytes, a view into the file. */
    readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
    /** In the order of the header. */
    readonly tensors: Map<string, SafetensorsTensor>;
    readonly metadata?: Record<string, string>;
}

function describe(source: string | undefined): string {
    return source ? `${displayText(source, 120)}: ` : '';
}

/** Parses and validates a whole safetensors file. `source` (a path) prefixes every error message. */
export function parseSafetensors(file: Uint8Array, source?: string): SafetensorsFile {
    const where = describe(source);
    const fail = (message: string): never => {
        throw new SafetensorsError(`${where}${message}`);
    };
    if (file.length < 8) fail(`not a safetensors file: ${file.length} bytes, fewer than the 8-byte header length`);
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const headerLength = Number(view.getBigUint64(0, true));
    if (headerLength > file.length - 8) {
        fail(`not a valid safetensors file: the header length in its first 8 bytes is ${headerLength} bytes, larger than the ${file.length - 8} bytes that follow (truncated file, or not safetensors)`);
    }
    if (headerLength > MAX_HEADER_BYTES) fail(`the header is ${headerLength} bytes, over the format's limit of ${MAX_HEADER_BYTES}`);
    if (headerLength < 2) fail(`the header is ${headerLength} bytes, too short for a JSON object`);
    let text: string;
    try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(8, 8 + headerLength));
    } catch {
        return fail('the header is not valid UTF-8');
    }
    if (!text.startsWith('{')) fail('the header does not start with a JSON object (\'{\')');
    let header: unknown;
    try {
        header = JSON.parse(text);
    } catch (e) {
        return fail(`the header is not valid JSON (${(e as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
    // JSON.parse keeps the last of two equal keys: a file that names a tensor twice is ambiguous, not the last one.
    const twice = firstRepeatedKey(text);
    if (twice !== undefined) fail(`the header names ${quoted(twice)} twice; a tensor may be described once`);
    const dataStart = 8 + headerLength;
    const dataLength = file.length - dataStart;
    const tensors = new Map<string, SafetensorsTensor>();
    const ranges: { key: string; begin: number; end: number }[] = [];
    let metadata: Record<string, string> | undefined;
    for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
        if (key === '__metadata__') {
            if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some(v => typeof v !== 'string')) {
                fail('__metadata__ must be an object of string values');
            }
            metadata = value as Record<string, string>;
            continue;
        }
        const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`tensor ${quoted(key)}: its header entry is not an object`);
        for (const field of ['dtype', 'shape', 'data_offsets'] as const) {
            if (entry[field] === undefined) fail(`tensor ${quoted(key)}: its header entry has no ${field}`);
        }
        const dtype = entry.dtype;
        if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
            fail(`tensor ${quoted(key)}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
        }
        const shape = entry.shape;
        if (!Array.isArray(shape) || shape.some(d => !Number.isSafeInteger(d) || d < 0)) {
            fail(`tensor ${quoted(key)}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
        }
        const offsets = entry.data_offsets;
        if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some(o => !Number.isSafeInteger(o) || o < 0)) {
            fail(`tensor ${quoted(key)}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
        }
        const [begin, end] = offsets as [number, number];
        if (end < begin) fail(`tensor ${quoted(key)}: data_offsets [${begin}, ${end}] end before they begin`);
        const expectedBytes = elementCount(shape as number[]) * DTYPE_BYTES[dtype as SafetensorsDtype];
        if (end - begin !== expectedBytes) {
            fail(`tensor ${quoted(key)}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} of shape [${(shape as number[]).join(', ')}] needs ${expectedBytes}`);
        }
        if (end > dataLength) {
            fail(`tensor ${quoted(key)}: its data ends at byte ${end} of the data, but only ${dataLength} bytes follow the header (truncated file, or the header lies about the offsets)`);
        }
        ranges.push({ key, begin, end });
        tensors.set(key, { dtype: dtype as SafetensorsDtype, shape: shape as number[], bytes: file.subarray(dataStart + begin, dataStart + end) });
    }
    // The byte buffer must be covered exactly: in offset order, each tensor starts where the previous ended.
    ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
    let position = 0;
    for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i];
        if (r.begin < position) fail(`tensor '${r.key}': data_offsets [${r.begin}, ${r.end}] overlap those of '${ranges[i - 1].key}' [${ranges[i - 1].begin}, ${ranges[i - 1].end}]`);
        if (r.begin > position) fail(`tensor '${r.key}': data_offsets [${r.begin}, ${r.end}] leave a hole at bytes [${position}, ${r.begin}) of the data`);
        position = r.end;
    }
    if (position !== dataLength) {
        fail(`the tensors cover ${position} bytes of data but ${dataLength} follow the header (${dataLength - position} bytes unaccounted for)`);
    }
    return { tensors, metadata };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE half precision bits → number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
    if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 bits → number: the upper half of a float32. */
export function bfloat16ToFloat(b: number): number {
    const scratch = new Float32Array(1);
    new Uint32Array(scratch.buffer)[0] = (b & 0xffff) << 16;
    return scratch[0];
}

/** Converts a tensor of any supported dtype to float32 (integers and booleans by value). */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
    const { bytes, dtype } = tensor;
    const count = bytes.length / DTYPE_BYTES[dtype];
    const out = new Float32Array(count);
    if (dtype === 'F32' && LITTLE_ENDIAN) {
        new Uint8Array(out.buffer).set(bytes);
        return out;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (dtype) {
        case 'F32': for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true); break;
        case 'F64': for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true); break;
        case 'F16': {
            const table = halfTable();
            for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)];
            break;
        }
        case 'BF16': {
            const bits = new Uint32Array(out.buffer);
            for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
            break;
        }
        case 'I64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true)); break;
        case 'U64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigUint64(8 * i, true)); break;
        case 'I32': for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true); break;
        case 'U32': for (let i = 0; i < count; i++) out[i] = view.getUint32(4 * i, true); break;
        case 'I16': for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true); break;
        case 'U16': for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, true); break;
        case 'I8': for (let i = 0; i < count; i++) out[i] = view.getInt8(i); break;
        case 'U8': case 'BOOL': for (let i = 0; i < count; i++) out[i] = bytes[i]; break;
    }
    return out;
}

let HALF_TABLE: Float32Array | undefined;
function halfTable(): Float32Array {
    if (!HALF_TABLE) {
        HALF_TABLE = new Float32Array(65536);
        for (let h = 0; h < 65536; h++) HALF_TABLE[h] = halfToFloat(h);
    }
    return HALF_TABLE;
}

export interface TensorToWrite {
    readonly shape: readonly number[];
    readonly data: Float32Array;
}

/**
 * Encodes float32 tensors as a safetensors file (keys in the given order, data packed in that order). The header
 * is padded with spaces to a multiple of 8 bytes so that the data stays aligned, as the reference writer does.
 */
export function encodeSafetensors(tensors: Iterable<[string, TensorToWrite]>, metadata?: Record<string, string>): Uint8Array {
    const entries = [...tensors];
    const header: Record<string, unknown> = {};
    if (metadata) header.__metadata__ = metadata;
    let offset = 0;
    for (const [key, t] of entries) {
        if (key === '__metadata__') throw new SafetensorsError('a tensor may not be called __metadata__');
        if (t.data.length !== elementCount(t.shape)) throw new SafetensorsError(`tensor ${quoted(key)}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
        header[key] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.length * 4] };
        offset += t.data.length * 4;
    }
    let json = new TextEncoder().encode(JSON.stringify(header));
    const padded = Math.ceil(json.length / 8) * 8;
    if (padded !== json.length) {
        const p = new Uint8Array(padded).fill(0x20);
        p.set(json);
        json = p;
    }
    const out = new Uint8Array(8 + json.length + offset);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    let position = 8 + json.length;
    for (const [, t] of entries) {
        if (LITTLE_ENDIAN) {
            out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
        } else {
            const view = new DataView(out.buffer);
            for (let i = 0; i < t.data.length; i++) view.setFloat32(position + 4 * i, t.data[i], true);
        }
        position += t.data.byteLength;
    }
    return out;
}

export class WeightsError extends Error {}

export interface LoadParametersOptions {
    /** Ignore keys of the file that no layer of the network has (default: they are an error, listed). */
    readonly allowUnexpected?: boolean;
    /** Prefixes error messages (the file's path). */
    readonly source?: string;
}

export interface LoadedParameters {
    readonly store: ParameterStore;
    /** How many tensors were used. */
    readonly loaded: number;
    /** Keys skipped: PyTorch's `num_batches_tracked` counters, and unexpected keys when allowed. */
    readonly ignored: readonly string[];
    /** Parameters holding NaN or ±Inf (`conv1.weight (3 of 432 values)`): a run on them gives NaN, and says why. */
    readonly nonFinite: readonly string[];
}

/** The first key that appears twice among the top-level keys of a JSON object's text (already known to be valid JSON). */
function firstRepeatedKey(json: string): string | undefined {
    const seen = new Set<string>();
    let depth = 0;
    for (let i = 0; i < json.length; i++) {
        const c = json[i];
        if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') depth--;
        else if (c === '"') {
            let end = i + 1;
            while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
            // A string at depth 1 followed by ':' is a key of the top-level object.
            let next = end + 1;
            while (next < json.length && ' \t\n\r'.includes(json[next])) next++;
            if (depth === 1 && json[next] === ':') {
                const key = JSON.parse(json.slice(i, end + 1)) as string;
                if (seen.has(key)) return key;
                seen.add(key);
            }
            i = end;
        }
    }
    return undefined;
}

/** Lists at most `limit` items, then says how many more. */
function listSome(items: readonly string[], limit = 4): string {
    const shown = items.slice(0, limit).join(', ');
    return items.length > limit ? `${shown}, … and ${items.length - limit} more` : shown;
}

function shapeText(shape: readonly number[]): string {
    return `[${shape.join(', ')}]`;
}

/**
 * Loads a network's parameters from a parsed safetensors `state_dict` by hierarchical name (`layer1.0.conv1` +
 * `weight`). Every problem — missing keys, unexpected keys, wrong shapes, non-float dtypes — is collected and
 * reported at once in a `WeightsError`, before any tensor is converted; on success every parameter of every
 * layer is present. F32, F16, BF16 and F64 are converted to float32. `num_batches_tracked` buffers (PyTorch's
 * batch-norm step counters, integer scalars) are accepted and ignored.
 */
export function loadParameters(graph: NetworkGraph, file: SafetensorsFile, options: LoadParametersOptions = {}): LoadedParameters {
    const where = describe(options.source);
    const expected = new Map<string, { layer: string; param: string; shape: readonly number[] }>();
    for (const node of graph.nodes) {
        for (const p of node.params) expected.set(parameterKey(node.name, p.name), { layer: node.name, param: p.name, shape: p.shape });
    }
    const problems: string[] = [];
    const missing = [...expected.keys()].filter(k => !file.tensors.has(k));
    const unexpected: string[] = [];
    const ignored: string[] = [];
    const wrongShape: string[] = [];
    const wrongDtype: string[] = [];
    for (const [key, tensor] of file.tensors) {
        const want = expected.get(key);
        if (!want) {
            // Batch norm's step counter: an integer scalar in PyTorch (a float one after a blanket conversion).
            if ((key === 'num_batches_tracked' || key.endsWith('.num_batches_tracked')) && elementCount(tensor.shape) <= 1) ignored.push(key);
            else if (options.allowUnexpected) ignored.push(key);
            else unexpected.push(key);
            continue;
        }
        if (!FLOAT_DTYPES.includes(tensor.dtype)) wrongDtype.push(`${displayText(key, 40)} is ${tensor.dtype}`);
        if (tensor.shape.length !== want.shape.length || tensor.shape.some((d, i) => d !== want.shape[i])) {
            wrongShape.push(`${displayText(key, 40)}: expected ${shapeText(want.shape)}, found ${shapeText(tensor.shape)}`);
        }
    }
    if (wrongShape.length) problems.push(`${wrongShape.length} tensor${wrongShape.length === 1 ? ' has' : 's have'} the wrong shape: ${listSome(wrongShape, 4)}`);
    if (missing.length) problems.push(`${missing.length} key${missing.length === 1 ? ' is' : 's are'} missing: ${listSome(missing)}`);
    if (unexpected.length) {
        problems.push(`${unexpected.length} key${unexpected.length === 1 ? ' is' : 's are'} unexpected (no layer of ${graph.name} has ${unexpected.length === 1 ? 'it' : 'them'}): ${listSome(unexpected.map(k => displayText(k, 40)))}`);
    }
    if (wrongDtype.length) problems.push(`parameters must be floating point (F32, F16, BF16 or F64): ${listSome(wrongDtype, 4)}`);
    if (problems.length) {
        let hint = '';
        const prefix = commonPrefixHint(unexpected, missing);
        if (prefix) hint = ` (${prefix})`;
        throw new WeightsError(`${where}the weights do not fit ${graph.name}: ${problems.join('; ')}${hint}`);
    }
    const store: ParameterStore = new Map();
    const nonFinite: string[] = [];
    for (const [key, want] of expected) {
        let layer = store.get(want.layer);
        if (!layer) store.set(want.layer, layer = {});
        const values = toFloat32(file.tensors.get(key)!);
        layer[want.param] = values;
        let bad = 0;
        for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
        if (bad) nonFinite.push(`${displayText(key)} (${bad} of ${values.length} values)`);
    }
    return { store, loaded: expected.size, ignored, nonFinite };
}

/** Parses a safetensors file's bytes and loads the network's parameters from it (see `loadParameters`). */
export function loadParametersFromBytes(graph: NetworkGraph, bytes: Uint8Array, options: LoadParametersOptions = {}): LoadedParameters {
    return loadParameters(graph, parseSafetensors(bytes, options.source), options);
}

/** When the file's keys are the network's with a prefix (`module.` from DataParallel, `model.`), says so. */
function commonPrefixHint(unexpected: readonly string[], missing: readonly string[]): string | undefined {
    if (!unexpected.length || !missing.length) return undefined;
    const first = missing[0];
    const match = unexpected.find(u => u.endsWith(`.${first}`));
    if (!match) return undefined;
    const prefix = match.slice(0, match.length - first.length);
    if (missing.every(m => unexpected.includes(prefix + m))) return `every missing key is in the file with the prefix ${quoted(prefix)}: save the state_dict without it`;
    return undefined;
}
