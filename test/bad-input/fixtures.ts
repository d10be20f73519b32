/**
 * Writers of the (mostly broken) files the bad-input cases feed the CLI: .convnet texts, safetensors, .npy,
 * PNG, JPEG and ONNX bytes. Everything is made at test time, from the file formats' public descriptions, so
 * that no big binary is committed and every byte of a case is visible here.
 */
import * as zlib from 'node:zlib';
import jpeg from 'jpeg-js';
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;

// ---------------------------------------------------------------------------------------------------------
// .convnet texts

/** A valid network with 4 parameter tensors: conv1.weight [4,3,3,3], conv1.bias [4], fc.weight [5,4], fc.bias [5]. */
export const TINY_NET = [
    'network Tiny(input: [1, 3, 8, 8]) {',
    '  return input -> conv1: conv(4, kernel: 3, padding: 1) -> relu -> globalavgpool -> flatten -> fc: linear(5)',
    '}',
    '',
].join('\n');

/** The state_dict keys and shapes of TINY_NET. */
export const TINY_PARAMS: [string, number[]][] = [
    ['conv1.weight', [4, 3, 3, 3]],
    ['conv1.bias', [4]],
    ['fc.weight', [5, 4]],
    ['fc.bias', [5]],
];

// ---------------------------------------------------------------------------------------------------------
// safetensors: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, the data.

export interface StTensor {
    name: string;
    dtype?: string;
    shape: number[];
    values?: ArrayLike<number>;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A well-formed safetensors file of float32 tensors (values default to a small ramp). */
export function safetensors(tensors: StTensor[], metadata?: Record<string, string>): Buffer {
    const header: Record<string, unknown> = {};
    if (metadata) header.__metadata__ = metadata;
    const blobs: Buffer[] = [];
    let offset = 0;
    for (const t of tensors) {
        const n = numel(t.shape);
        const data = Buffer.alloc(n * 4);
        for (let i = 0; i < n; i++) data.writeFloatLE(t.values ? t.values[i] : ((i % 7) - 3) * 0.05, i * 4);
        header[t.name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + data.length] };
        blobs.push(data);
        offset += data.length;
    }
    return safetensorsRaw(JSON.stringify(header), Buffer.concat(blobs));
}

/** The weights of TINY_NET; `patch` may change the values of one tensor (NaN, Inf …). */
export function tinyWeights(patch?: { name: string; values: number[] }): Buffer {
    return safetensors(TINY_PARAMS.map(([name, shape]) => ({
        name, shape, values: patch && patch.name === name ? patch.values : undefined,
    })));
}

/** A safetensors file from a header text and data, with the header length as given (default: the true one). */
export function safetensorsRaw(headerText: string, data: Buffer, headerLength?: bigint): Buffer {
    const json = Buffer.from(headerText, 'utf8');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(headerLength ?? BigInt(json.length));
    return Buffer.concat([length, json, data]);
}

// ---------------------------------------------------------------------------------------------------------
// .npy: magic, version 1.0, u16 header length, a Python dict literal padded with spaces and '\n' to 64 bytes.

export function npy(headerDict: string, data: Buffer): Buffer {
    const prefix = 10;
    let header = headerDict;
    const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
    header = header + ' '.repeat(total - prefix - header.length - 1) + '\n';
    const head = Buffer.alloc(prefix);
    Buffer.from([0x93]).copy(head, 0);
    head.write('NUMPY', 1, 'latin1');
    head[6] = 1;
    head[7] = 0;
    head.writeUInt16LE(header.length, 8);
    return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

export function float32(values: ArrayLike<number>, bigEndian = false): Buffer {
    const b = Buffer.alloc(values.length * 4);
    for (let i = 0; i < values.length; i++) {
        if (bigEndian) b.writeFloatBE(values[i], i * 4);
        else b.writeFloatLE(values[i], i * 4);
    }
    return b;
}

/** 1×3×8×8 values, distinct enough that a transposed read gives other outputs. */
export const INPUT_VALUES = Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.sin(i * 0.37) + (i % 5) * 0.1);

/** The same 1×3×8×8 array in Fortran (column-major) order. */
export function fortranOrder(values: number[], shape: number[]): number[] {
    const out = new Array<number>(values.length);
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const fstrides = shape.map((_, d) => shape.slice(0, d).reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) {
        let rest = i;
        let f = 0;
        for (let d = 0; d < shape.length; d++) {
            const idx = Math.floor(rest / strides[d]);
            rest -= idx * strides[d];
            f += idx * fstrides[d];
        }
        out[f] = values[i];
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        t[n] = c >>> 0;
    }
    return t;
})();

export function crc32(buf: Buffer): number {
    let c = 0xffffffff;
    for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG with the IHDR as given and `idat` (already zlib-compressed) as its one IDAT chunk. */
export function pngRaw(width: number, height: number, idat: Buffer, colorType = 2, bitDepth = 8): Buffer {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = bitDepth;
    ihdr[9] = colorType;
    ihdr[10] = 0;
    ihdr[11] = 0;
    ihdr[12] = 0;
    return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A real 8-bit RGB PNG of the given size (a colour gradient). */
export function png(width: number, height: number): Buffer {
    const raw = Buffer.alloc(height * (1 + width * 3));
    for (let y = 0; y < height; y++) {
        const row = y * (1 + width * 3);
        raw[row] = 0;
        for (let x = 0; x < width; x++) {
            raw[row + 1 + x * 3] = (x * 255) / Math.max(1, width - 1);
            raw[row + 2 + x * 3] = (y * 255) / Math.max(1, height - 1);
            raw[row + 3 + x * 3] = 128;
        }
    }
    return pngRaw(width, height, zlib.deflateSync(raw));
}

/**
 * A valid grey PNG of width×height zero pixels: tiny on disk, width·height bytes once inflated (a decompression
 * bomb made of a legal image).
 */
export async function pngZeroBomb(width: number, height: number): Promise<Buffer> {
    const total = height * (width + 1);
    const deflate = zlib.createDeflate({ level: 1 });
    const out: Buffer[] = [];
    deflate.on('data', (b: Buffer) => out.push(b));
    const done = new Promise<void>((resolve, reject) => { deflate.on('end', resolve); deflate.on('error', reject); });
    const chunk = Buffer.alloc(8 << 20);
    let left = total;
    while (left > 0) {
        const n = Math.min(left, chunk.length);
        if (!deflate.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            await new Promise<void>(resolve => deflate.once('drain', () => resolve()));
        }
        left -= n;
    }
    deflate.end();
    await done;
    return pngRaw(width, height, Buffer.concat(out), 0, 8);
}

// ---------------------------------------------------------------------------------------------------------
// JPEG

/** A real 8×8 JPEG whose frame header (SOF0) then claims `height`×`width`. */
export function jpegClaiming(width: number, height: number): Buffer {
    const rgba = Buffer.alloc(8 * 8 * 4, 200);
    const bytes = Buffer.from(jpeg.encode({ data: rgba, width: 8, height: 8 }, 90).data);
    for (let i = 0; i + 8 < bytes.length; i++) {
        if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) {
            bytes.writeUInt16BE(height, i + 5);
            bytes.writeUInt16BE(width, i + 7);
            return bytes;
        }
    }
    throw new Error('no SOF0 marker in the encoded JPEG');
}

// ---------------------------------------------------------------------------------------------------------
// ONNX

type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
const A = onnx.AttributeProto.AttributeType;
export const T = onnx.TensorProto.DataType;

export const ints = (name: string, values: number[]) => ({ name, type: A.INTS, ints: values });
export const int = (name: string, value: number) => ({ name, type: A.INT, i: value });
export const str = (name: string, value: string) => ({ name, type: A.STRING, s: Buffer.from(value, 'utf8') });

export function floatTensor(name: string, dims: number[], fill = 0.01): ITensor {
    return { name, dataType: T.FLOAT, dims, rawData: float32(new Array(numel(dims)).fill(fill)) };
}

export function int64Scalar(name: string, value: number): ITensor {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(value));
    return { name, dataType: T.INT64, dims: [], rawData: b };
}

export interface OnnxSpec {
    nodes?: INode[];
    initializers?: ITensor[];
    output?: string;
    opset?: number | null;
    producerName?: string;
    graphName?: string;
    inputName?: string;
    inputDims?: number[];
}

/** The base model: x [1,3,8,8] → Conv (conv.weight, conv.bias, 3×3, pad 1) → c → Relu → y; `spec` replaces parts. */
export function onnxModel(spec: OnnxSpec = {}): Buffer {
    const input = spec.inputName ?? 'x';
    const nodes: INode[] = spec.nodes ?? [
        { opType: 'Conv', name: '/conv/Conv', input: [input, 'conv.weight', 'conv.bias'], output: ['c'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
        { opType: 'Relu', name: '/relu/Relu', input: ['c'], output: ['y'] },
    ];
    const initializers = spec.initializers ?? [floatTensor('conv.weight', [4, 3, 3, 3]), floatTensor('conv.bias', [4])];
    const dims = spec.inputDims ?? [1, 3, 8, 8];
    return Buffer.from(onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: spec.opset === null ? [] : [{ domain: '', version: spec.opset ?? 17 }],
        producerName: spec.producerName ?? 'bad-input-test',
        graph: {
            name: spec.graphName ?? 'main_graph',
            node: nodes,
            initializer: initializers,
            input: [{ name: input, type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map(d => ({ dimValue: d })) } } } }],
            output: [{ name: spec.output ?? 'y', type: { tensorType: { elemType: T.FLOAT } } }],
        },
    }).finish());
}

/** The base model's Conv followed by a chain of `n` elementwise activations. */
export function onnxChain(n: number): Buffer {
    const ops = ['Relu', 'Sigmoid', 'Tanh'];
    const nodes: INode[] = [
        { opType: 'Conv', name: '/conv/Conv', input: ['x', 'conv.weight', 'conv.bias'], output: ['t0'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
    ];
    for (let i = 0; i < n; i++) {
        const op = ops[i % ops.length];
        nodes.push({ opType: op, name: `/act${i}/${op}`, input: [`t${i}`], output: [`t${i + 1}`] });
    }
    return onnxModel({ nodes, output: `t${n}` });
}

function varint(value: number): Buffer {
    const bytes: number[] = [];
    let v = value;
    while (v >= 0x80) {
        bytes.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
    }
    bytes.push(v);
    return Buffer.from(bytes);
}

const lengthDelimited = (field: number, length: number) => Buffer.concat([varint((field << 3) | 2), varint(length)]);

/**
 * A ModelProto whose graph holds an If node whose then_branch graph holds an If node … `depth` levels deep
 * (GraphProto.node = 1, NodeProto.op_type = 4, NodeProto.attribute = 5, AttributeProto.name = 1, .type = 20,
 * .g = 6; ModelProto.ir_version = 1, .graph = 7, .opset_import = 8). Built as prefixes, outermost first.
 */
export function onnxNestedGraphs(depth: number): Buffer {
    const opType = Buffer.concat([lengthDelimited(4, 2), Buffer.from('If')]);
    const attrName = Buffer.concat([lengthDelimited(1, 11), Buffer.from('then_branch')]);
    const attrType = Buffer.concat([varint((20 << 3) | 0), varint(5)]);
    // Sizes inside out: graph_0 is empty.
    const graphSize: number[] = [0];
    const parts: Buffer[][] = [];
    for (let level = 1; level <= depth; level++) {
        const g = graphSize[level - 1];
        const attrBody = attrName.length + attrType.length + lengthDelimited(6, g).length + g;
        const nodeBody = opType.length + lengthDelimited(5, attrBody).length + attrBody;
        const graphBody = lengthDelimited(1, nodeBody).length + nodeBody;
        graphSize.push(graphBody);
        parts.push([lengthDelimited(1, nodeBody), opType, lengthDelimited(5, attrBody), attrName, attrType, lengthDelimited(6, g)]);
    }
    const opset = Buffer.from(onnx.OperatorSetIdProto.encode({ domain: '', version: 17 }).finish());
    const head = Buffer.concat([varint((1 << 3) | 0), varint(8), lengthDelimited(8, opset.length), opset, lengthDelimited(7, graphSize[depth])]);
    const out: Buffer[] = [head];
    for (let level = depth; level >= 1; level--) out.push(...parts[level - 1]);
    return Buffer.concat(out);
}
