/**
 * NumPy's `.npy` format (numpy.lib.format): the magic `\x93NUMPY`, a major and minor version byte, the header
 * length (u16 little-endian in version 1, u32 in versions 2 and 3), then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }` (Latin-1 in versions 1–2, UTF-8 in 3),
 * padded with spaces and a newline, then the array's bytes. Floating, integer and boolean arrays of either byte
 * order are read as float32 in C (row-major) order.
 */
import { displayText, quoted } from '../language/util/quote.js';
import { halfToFloat } from './safetensors.js';
import { elementCount } from '../runtime/tensor.js';

export class NpyError extends Error {}

export interface NpyArray {
    readonly shape: readonly number[];
    readonly data: Float32Array;
    /** The header's `descr`, e.g. `<f4`. */
    readonly descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Header {
    descr: string;
    fortranOrder: boolean;
    shape: number[];
}

/** Parses the dict literal numpy writes (strings, booleans, integers and tuples only). */
function parseHeader(text: string, fail: (m: string) => never): Header {
    let i = 0;
    const skip = () => {
        while (i < text.length && /\s/.test(text[i])) i++;
    };
    const expect = (c: string) => {
        skip();
        if (text[i] !== c) fail(`header: expected '${c}' at character ${i} of ${quoted(text.trim())}`);
        i++;
    };
    const value = (): unknown => {
        skip();
        const c = text[i];
        if (c === "'" || c === '"') {
            const end = text.indexOf(c, i + 1);
            if (end < 0) fail('header: unterminated string');
            const s = text.slice(i + 1, end);
            i = end + 1;
            return s;
        }
        if (c === '(') {
            i++;
            const items: unknown[] = [];
            skip();
            while (text[i] !== ')') {
                items.push(value());
                skip();
                if (text[i] === ',') i++;
                else if (text[i] !== ')') fail(`header: expected ',' or ')' at character ${i}`);
                skip();
            }
            i++;
            return items;
        }
        const word = /^(True|False|-?\d+L?)/.exec(text.slice(i));
        if (!word) return fail(`header: cannot read the value at character ${i} of ${quoted(text.trim())}`);
        i += word[0].length;
        if (word[0] === 'True') return true;
        if (word[0] === 'False') return false;
        return Number.parseInt(word[0], 10);
    };
    const dict: Record<string, unknown> = {};
    expect('{');
    skip();
    while (text[i] !== '}') {
        const key = value();
        if (typeof key !== 'string') fail('header: a key is not a string');
        expect(':');
        dict[key as string] = value();
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail(`header: expected ',' or '}' at character ${i}`);
        skip();
        if (i >= text.length) fail('header: the dict is not closed');
    }
    const { descr, fortran_order: fortranOrder, shape } = dict;
    if (typeof descr !== 'string') fail(`header: 'descr' is missing or not a simple dtype (structured arrays are not supported)`);
    if (typeof fortranOrder !== 'boolean') fail(`header: 'fortran_order' is missing`);
    if (!Array.isArray(shape) || shape.some(d => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) fail(`header: 'shape' is missing or not a tuple of sizes`);
    return { descr: descr as string, fortranOrder: fortranOrder as boolean, shape: shape as number[] };
}

/** Parses a `.npy` file; `source` (a path) prefixes error messages. */
export function parseNpy(file: Uint8Array, source?: string): NpyArray {
    const fail = (message: string): never => {
        throw new NpyError(`${source ? `${displayText(source, 120)}: ` : ''}${message}`);
    };
    if (file.length < 10 || MAGIC.some((b, k) => file[k] !== b)) fail('not a .npy file (it does not start with \\x93NUMPY)');
    const major = file[6];
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let headerStart: number;
    let headerLength: number;
    if (major === 1) {
        headerStart = 10;
        headerLength = view.getUint16(8, true);
    } else if (major === 2 || major === 3) {
        if (file.length < 12) fail('truncated .npy header');
        headerStart = 12;
        headerLength = view.getUint32(8, true);
    } else {
        return fail(`unsupported .npy format version ${major}.${file[7]} (1.0, 2.0 and 3.0 are supported)`);
    }
    if (headerStart + headerLength > file.length) fail(`the header is ${headerLength} bytes, more than the file holds (truncated file)`);
    const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(file.subarray(headerStart, headerStart + headerLength));
    const header = parseHeader(text, fail);
    if (header.fortranOrder) {
        fail(`the array is stored in Fortran (column-major) order, which is not supported: save it in C order, e.g. np.save(path, np.ascontiguousarray(a))`);
    }
    const match = /^([<>|=])([fiub])(\d+)$/.exec(header.descr);
    if (!match) return fail(`unsupported dtype '${header.descr}' (float, int, uint and bool arrays are supported)`);
    const [, order, kind, sizeText] = match;
    const size = Number(sizeText);
    const supported = kind === 'f' ? [2, 4, 8] : kind === 'b' ? [1] : [1, 2, 4, 8];
    if (!supported.includes(size)) fail(`unsupported dtype '${header.descr}'`);
    // '=' is the writer's native order; numpy always writes '<' or '>' (or '|' for single bytes).
    const little = order !== '>';
    const count = elementCount(header.shape);
    const dataStart = headerStart + headerLength;
    const needed = count * size;
    if (file.length - dataStart < needed) {
        fail(`truncated: shape (${header.shape.join(', ')}) of ${header.descr} needs ${needed} bytes of data, the file holds ${file.length - dataStart}`);
    }
    const data = new Float32Array(count);
    const get = (i: number): number => {
        const at = dataStart + i * size;
        switch (kind) {
            case 'f': return size === 4 ? view.getFloat32(at, little) : size === 8 ? view.getFloat64(at, little) : halfToFloat(view.getUint16(at, little));
            case 'b': return file[at] ? 1 : 0;
            case 'i': return size === 1 ? view.getInt8(at) : size === 2 ? view.getInt16(at, little) : size === 4 ? view.getInt32(at, little) : Number(view.getBigInt64(at, little));
            default: return size === 1 ? file[at] : size === 2 ? view.getUint16(at, little) : size === 4 ? view.getUint32(at, little) : Number(view.getBigUint64(at, little));
        }
    };
    for (let i = 0; i < count; i++) data[i] = get(i);
    return { shape: header.shape, data, descr: header.descr };
}
