/**
 * Weights, inputs and the run's guards: safetensors reading/writing and every malformed file, F16/BF16
 * conversion, .npy parsing of numpy's files, PNG/JPEG decoding and resizing against PIL and PyTorch, input
 * preparation, the memory budget refusal, cancellation, and determinism. References were made by
 * test/fixtures/runtime-io/make_runtime_io_fixtures.py (numpy, PIL, PyTorch) or follow from the formats' specs.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeNetwork, parse } from './helpers.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import {
    bfloat16ToFloat, encodeSafetensors, halfToFloat, loadParameters, parseSafetensors, SafetensorsError, toFloat32, WeightsError,
} from '../io/safetensors.js';
import { NpyError, parseNpy } from '../io/npy.js';
import { decodeImage, IMAGENET_NORMALIZATION, ImageError, imageToInput, resizeBilinear } from '../io/image.js';
import { InputError, inputsFromFile, randomInputs } from '../io/inputs.js';
import { MemoryBudgetExceeded, RunCancelled, runNetwork } from '../runtime/executor.js';
import { initializeParameters } from '../runtime/weights.js';
import { Tensor } from '../runtime/tensor.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'runtime-io');
const fixture = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, ...parts)));

async function graphOf(text: string, name?: string): Promise<NetworkGraph> {
    const parsed = await parse(text);
    if (parsed.errors.length) throw new Error(parsed.errors.map(e => e.message).join('\n'));
    return analyzeNetwork(parsed, name).graph;
}

/** A safetensors file with an arbitrary header (no checks), for the malformed cases. */
function craft(header: unknown, data: Uint8Array | number, headerLength?: number): Uint8Array {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
    const out = new Uint8Array(8 + json.length + bytes.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
    out.set(json, 8);
    out.set(bytes, 8 + json.length);
    return out;
}

function catchError(f: () => unknown): Error {
    try {
        f();
    } catch (e) {
        return e as Error;
    }
    throw new Error('expected an error');
}

const CONV_NET = `network Small(input: [1, 2, 6, 6]) {
  return input -> a: conv(4, kernel: 3, padding: 1) -> b: conv(3, kernel: 3, bias: false) -> c: conv(2, kernel: 1)
}
`;

describe('safetensors', () => {
    it('round-trips float32 tensors and metadata, with the data aligned to 8 bytes', () => {
        const a = new Tensor([2, 3], Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]));
        const b = new Tensor([4], Float32Array.from([Infinity, -0, 0.1, 65504]));
        const bytes = encodeSafetensors([['a', a], ['b.c', b]], { producer: 'test' });
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect(headerLength % 8).toBe(0);
        const file = parseSafetensors(bytes);
        expect([...file.tensors.keys()]).toEqual(['a', 'b.c']);
        expect(file.metadata).toEqual({ producer: 'test' });
        expect(file.tensors.get('a')!.shape).toEqual([2, 3]);
        expect(file.tensors.get('b.c')!.dtype).toBe('F32');
        expect(toFloat32(file.tensors.get('a')!)).toEqual(a.data);
        expect(Object.is(toFloat32(file.tensors.get('b.c')!)[1], -0)).toBe(true);
        expect(toFloat32(file.tensors.get('b.c')!)).toEqual(b.data);
    });

    it('reads the files the fixture scripts wrote (PyTorch state_dict with its num_batches_tracked counters)', () => {
        const file = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(FIXTURES, '..', 'e2e', 'tiny', 'weights.safetensors'))));
        expect(file.metadata).toEqual({ format: 'pt' });
        expect(file.tensors.get('stem.weight')!.shape).toEqual([8, 3, 3, 3]);
        expect(file.tensors.get('bn.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    });

    const valid = () => encodeSafetensors([['x.weight', new Tensor([2, 2], new Float32Array(4))], ['x.bias', new Tensor([2], new Float32Array(2))]]);

    it('a header length larger than the file is an error naming both sizes', () => {
        const bytes = craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, 5000);
        const e = catchError(() => parseSafetensors(bytes, 'w.safetensors'));
        expect(e).toBeInstanceOf(SafetensorsError);
        expect(e.message).toMatch(/^w\.safetensors: .*header length .* is 5000 bytes, larger than the \d+ bytes that follow/);
    });

    it('a truncated file names the tensor whose data is cut off', () => {
        const bytes = valid();
        const e = catchError(() => parseSafetensors(bytes.subarray(0, bytes.length - 3)));
        expect(e.message).toMatch(/tensor 'x\.bias': its data ends at byte 24 of the data, but only 21 bytes follow the header/);
    });

    it('a file shorter than the header length field is an error', () => {
        expect(catchError(() => parseSafetensors(new Uint8Array(5))).message).toMatch(/fewer than the 8-byte header length/);
    });

    it('offsets that disagree with dtype and shape name the key, expected and found sizes', () => {
        const e = catchError(() => parseSafetensors(craft({ 'layer.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20)));
        expect(e.message).toBe("tensor 'layer.weight': data_offsets [0, 20] span 20 bytes, but F32 of shape [2, 3] needs 24");
    });

    it('overlapping offsets, holes and unclaimed bytes are errors naming the key', () => {
        const overlap = craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12);
        expect(catchError(() => parseSafetensors(overlap)).message).toMatch(/tensor 'b': data_offsets \[4, 12\] overlap those of 'a'/);
        const hole = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12);
        expect(catchError(() => parseSafetensors(hole)).message).toMatch(/tensor 'b': .* leave a hole at bytes \[4, 8\)/);
        const extra = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 16);
        expect(catchError(() => parseSafetensors(extra)).message).toMatch(/cover 4 bytes of data but 16 follow the header/);
        const backwards = craft({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4);
        expect(catchError(() => parseSafetensors(backwards)).message).toMatch(/tensor 'a': data_offsets \[4, 0\] end before they begin/);
    });

    it('an unknown dtype, a bad shape, a non-JSON header are errors', () => {
        expect(catchError(() => parseSafetensors(craft({ q: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, 1))).message)
            .toMatch(/tensor 'q': unsupported dtype "Q4"/);
        expect(catchError(() => parseSafetensors(craft({ s: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).message)
            .toMatch(/tensor 's': shape \[-1\] is not a list of non-negative integers/);
        const broken = craft({ a: 1 }, 0);
        broken[9] = 0x7b; // '{"' → '{{'
        expect(catchError(() => parseSafetensors(broken)).message).toMatch(/the header is not valid JSON/);
    });

    it('F16 bit patterns convert exactly (IEEE 754 binary16)', () => {
        const cases: [number, number][] = [
            [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504],
            [0x0400, 2 ** -14], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x7c00, Infinity], [0xfc00, -Infinity],
        ];
        for (const [bits, value] of cases) expect(halfToFloat(bits)).toBe(value);
        expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
        expect(halfToFloat(0x7e00)).toBeNaN();
    });

    it('BF16 bit patterns convert exactly (the upper 16 bits of a float32)', () => {
        const cases: [number, number][] = [
            [0x3f80, 1], [0xc000, -2], [0x4049, 3.140625], [0x3e80, 0.25], [0x7f80, Infinity], [0xff80, -Infinity],
            [0x0080, 2 ** -126], [0x0001, 2 ** -133], [0x7f7f, 3.3895313892515355e38],
        ];
        for (const [bits, value] of cases) expect(bfloat16ToFloat(bits)).toBe(value);
        expect(bfloat16ToFloat(0x7fc0)).toBeNaN();
    });

    it('F16 and BF16 tensors convert to the float32 values PyTorch gives', () => {
        const file = parseSafetensors(fixture('half.safetensors'));
        for (const kind of ['f16', 'bf16']) {
            const converted = toFloat32(file.tensors.get(kind)!);
            const reference = toFloat32(file.tensors.get(`${kind}_as_f32`)!);
            expect(file.tensors.get(kind)!.dtype).toBe(kind.toUpperCase());
            expect(converted.length).toBeGreaterThan(10);
            expect(Array.from(converted)).toEqual(Array.from(reference));
        }
    });
});

describe('loading parameters by name', () => {
    it('loads every parameter of every layer by its state_dict key, converting F16/BF16', async () => {
        const graph = await graphOf(CONV_NET);
        const half = (values: number[]) => {
            // F16 bits of small integers: 1 → 0x3c00, 2 → 0x4000, 0 → 0.
            const bits = new Uint16Array(values.map(v => (v === 0 ? 0 : v === 1 ? 0x3c00 : 0x4000)));
            return new Uint8Array(bits.buffer);
        };
        const tensors: [string, Tensor][] = graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, Tensor.zeros(p.shape)] as [string, Tensor]));
        const file = parseSafetensors(encodeSafetensors(tensors));
        // Replace a.bias (F32 [4]) with F16 bits and b.weight's dtype view stays F32.
        const f16 = half([1, 2, 0, 1]);
        file.tensors.set('a.bias', { dtype: 'F16', shape: [4], bytes: f16 });
        file.tensors.set('c.bias', { dtype: 'BF16', shape: [2], bytes: new Uint8Array(new Uint16Array([0x3f80, 0xc000]).buffer) });
        const { store, loaded, ignored } = loadParameters(graph, file);
        expect(loaded).toBe(5);
        expect(ignored).toEqual([]);
        expect([...store.keys()]).toEqual(['a', 'b', 'c']);
        expect(Array.from(store.get('a')!.bias)).toEqual([1, 2, 0, 1]);
        expect(Array.from(store.get('c')!.bias)).toEqual([1, -2]);
        expect(store.get('b')!.weight.length).toBe(3 * 4 * 9);
    });

    async function problem(edit: (tensors: [string, Tensor][]) => [string, Tensor][], options = {}) {
        const graph = await graphOf(CONV_NET);
        const tensors: [string, Tensor][] = graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, Tensor.zeros(p.shape)] as [string, Tensor]));
        const file = parseSafetensors(encodeSafetensors(edit(tensors)));
        let result: unknown;
        const error = catchError(() => { result = loadParameters(graph, file, { source: 'w.safetensors', ...options }); });
        expect(result).toBeUndefined(); // nothing handed out
        expect(error).toBeInstanceOf(WeightsError);
        return error.message;
    }

    it('a missing key is named', async () => {
        expect(await problem(t => t.filter(([k]) => k !== 'b.weight')))
            .toBe('w.safetensors: the weights do not fit Small: 1 key is missing: b.weight');
    });

    it('an unexpected key is listed, not ignored, unless allowed', async () => {
        expect(await problem(t => [...t, ['d.weight', Tensor.zeros([1])]]))
            .toBe('w.safetensors: the weights do not fit Small: 1 key is unexpected (no layer of Small has it): d.weight');
        const graph = await graphOf(CONV_NET);
        const tensors: [string, Tensor][] = graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, Tensor.zeros(p.shape)] as [string, Tensor]));
        const loaded = loadParameters(graph, parseSafetensors(encodeSafetensors([...tensors, ['d.weight', Tensor.zeros([1])]])), { allowUnexpected: true });
        expect(loaded.ignored).toEqual(['d.weight']);
        expect(loaded.loaded).toBe(5);
    });

    it('a wrong shape names the key with the expected and the found shape', async () => {
        expect(await problem(t => t.map(([k, v]) => [k, k === 'a.weight' ? Tensor.zeros([4, 2, 1, 1]) : v])))
            .toBe('w.safetensors: the weights do not fit Small: 1 tensor has the wrong shape: a.weight: expected [4, 2, 3, 3], found [4, 2, 1, 1]');
    });

    it('every problem is reported at once', async () => {
        const message = await problem(t => [...t.filter(([k]) => k !== 'c.bias').map(([k, v]) => [k, k === 'b.weight' ? Tensor.zeros([3]) : v] as [string, Tensor]), ['extra', Tensor.zeros([1])]]);
        expect(message).toContain('b.weight: expected [3, 4, 3, 3], found [3]');
        expect(message).toContain('1 key is missing: c.bias');
        expect(message).toContain('1 key is unexpected (no layer of Small has it): extra');
    });

    it('keys saved with a prefix (DataParallel\'s module.) get a hint', async () => {
        expect(await problem(t => t.map(([k, v]) => [`module.${k}`, v])))
            .toMatch(/every missing key is in the file with the prefix 'module\.'/);
    });

    it('integer num_batches_tracked buffers are accepted and ignored; an integer parameter is not', async () => {
        const graph = await graphOf(`network N(input: [1, 2, 4, 4]) {\n  return input -> bn: batchnorm\n}\n`);
        const header: Record<string, unknown> = {};
        let offset = 0;
        for (const [name, size] of [['weight', 2], ['bias', 2], ['running_mean', 2], ['running_var', 2]] as const) {
            header[`bn.${name}`] = { dtype: 'F32', shape: [size], data_offsets: [offset, offset + 4 * size] };
            offset += 4 * size;
        }
        header['bn.num_batches_tracked'] = { dtype: 'I64', shape: [], data_offsets: [offset, offset + 8] };
        const data = new Uint8Array(offset + 8);
        new Float32Array(data.buffer, 0, offset / 4).set([1, 2, 3, 4, 5, 6, 7, 8]);
        const loaded = loadParameters(graph, parseSafetensors(craft(header, data)));
        expect(loaded.ignored).toEqual(['bn.num_batches_tracked']);
        expect(Array.from(loaded.store.get('bn')!.running_var)).toEqual([7, 8]);
        header['bn.bias'] = { dtype: 'I32', shape: [2], data_offsets: [8, 16] };
        expect(catchError(() => loadParameters(graph, parseSafetensors(craft(header, data)))).message)
            .toMatch(/parameters must be floating point \(F32, F16, BF16 or F64\): bn\.bias is I32/);
    });
});

describe('.npy files written by numpy', () => {
    const base = (n: number) => Array.from({ length: n }, (_, i) => 0.5 * i - 3);

    it('reads float32, float64 and float16 arrays with their shapes', () => {
        expect(parseNpy(fixture('npy', 'f4.npy'))).toMatchObject({ shape: [2, 3, 4], descr: '<f4' });
        expect(Array.from(parseNpy(fixture('npy', 'f4.npy')).data)).toEqual(base(24));
        expect(parseNpy(fixture('npy', 'f8.npy')).shape).toEqual([3, 5]);
        expect(Array.from(parseNpy(fixture('npy', 'f8.npy')).data)).toEqual(base(15));
        expect(parseNpy(fixture('npy', 'f2.npy')).descr).toBe('<f2');
        expect(Array.from(parseNpy(fixture('npy', 'f2.npy')).data)).toEqual(base(8));
    });

    it('reads big-endian, integer, unsigned, boolean and 0-d arrays', () => {
        expect(Array.from(parseNpy(fixture('npy', 'f4_big_endian.npy')).data)).toEqual(base(6));
        expect(parseNpy(fixture('npy', 'f4_big_endian.npy')).descr).toBe('>f4');
        expect(Array.from(parseNpy(fixture('npy', 'i8.npy')).data)).toEqual([-2, -1, 0, 1, 2, 3]);
        expect(Array.from(parseNpy(fixture('npy', 'i2_big_endian.npy')).data)).toEqual([0, -300, -600, -900, -1200, -1500]);
        expect(Array.from(parseNpy(fixture('npy', 'u1.npy')).data)).toEqual([250, 251, 252, 253, 254, 255]);
        expect(Array.from(parseNpy(fixture('npy', 'bool.npy')).data)).toEqual([1, 0, 1]);
        expect(parseNpy(fixture('npy', 'scalar.npy'))).toMatchObject({ shape: [], data: Float32Array.from([2.5]) });
    });

    it('reads format versions 2.0 and 3.0 (32-bit header length; UTF-8 header)', () => {
        for (const v of ['f4_v2.npy', 'f4_v3.npy']) {
            const bytes = fixture('npy', v);
            expect(bytes[6]).toBe(Number(v[4]));
            expect(parseNpy(bytes)).toMatchObject({ shape: [2, 2], data: Float32Array.from(base(4)) });
        }
    });

    it('rejects Fortran order with a message saying how to fix it', () => {
        const e = catchError(() => parseNpy(fixture('npy', 'fortran.npy'), 'a.npy'));
        expect(e).toBeInstanceOf(NpyError);
        expect(e.message).toBe('a.npy: the array is stored in Fortran (column-major) order, which is not supported: save it in C order, e.g. np.save(path, np.ascontiguousarray(a))');
    });

    it('rejects a truncated file and a file that is not .npy', () => {
        const bytes = fixture('npy', 'f4.npy');
        expect(catchError(() => parseNpy(bytes.subarray(0, bytes.length - 4))).message).toMatch(/truncated: shape \(2, 3, 4\) of <f4 needs 96 bytes of data, the file holds 92/);
        expect(catchError(() => parseNpy(new TextEncoder().encode('hello world'))).message).toMatch(/not a \.npy file/);
    });
});

describe('images', () => {
    const pixels = (name: string) => parseNpy(fixture('images', name)); // H×W×3 uint8 as PIL decodes it

    function toHWC(image: { width: number; height: number; data: Float32Array }): number[] {
        const plane = image.width * image.height;
        const out: number[] = [];
        for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out.push(Math.round(image.data[c * plane + i] * 255));
        return out;
    }

    it('decodes RGB, RGBA (alpha dropped), grey and palette PNGs exactly as PIL does', () => {
        for (const name of ['rgb.png', 'rgba.png', 'gray.png', 'palette.png']) {
            const image = decodeImage(fixture('images', name));
            const reference = pixels(name.replace('.', '_') + '.npy');
            expect([image.height, image.width, 3]).toEqual(reference.shape);
            expect(toHWC(image)).toEqual(Array.from(reference.data));
        }
    });

    it('decodes a JPEG within 3 levels of libjpeg (PIL), as JPEG decoders may differ in rounding', () => {
        const image = decodeImage(fixture('images', 'rgb.jpg'));
        const reference = pixels('rgb_jpg.npy');
        expect([image.height, image.width, 3]).toEqual(reference.shape);
        const ours = toHWC(image);
        const worst = Math.max(...ours.map((v, i) => Math.abs(v - reference.data[i])));
        expect(worst).toBeLessThanOrEqual(3);
    });

    it('resizes like PIL\'s bilinear filter (torch.nn.functional.interpolate with antialias=True)', () => {
        const image = decodeImage(fixture('images', 'rgb.png'));
        for (const [h, w] of [[3, 4], [11, 13], [8, 3]]) {
            const reference = parseNpy(fixture('images', `rgb_png_resized_${h}x${w}.npy`));
            expect(reference.shape).toEqual([3, h, w]);
            const resized = resizeBilinear(image, h, w);
            const worst = Math.max(...Array.from(resized.data, (v, i) => Math.abs(v - reference.data[i])));
            expect(worst).toBeLessThan(1e-6);
        }
    });

    it('feeds an input of 1×3×H×W with optional normalisation, or a grey 1×1×H×W input', () => {
        const image = decodeImage(fixture('images', 'rgb.png'));
        const plain = imageToInput(image, [1, 3, 5, 7]);
        expect(Array.from(plain)).toEqual(Array.from(image.data));
        const normalized = imageToInput(image, [1, 3, 5, 7], IMAGENET_NORMALIZATION);
        const plane = 35;
        for (const i of [0, 17, 34]) {
            for (let c = 0; c < 3; c++) {
                expect(normalized[c * plane + i]).toBeCloseTo((plain[c * plane + i] - IMAGENET_NORMALIZATION.mean[c]) / IMAGENET_NORMALIZATION.std[c], 6);
            }
        }
        const grey = imageToInput(image, [1, 1, 5, 7]);
        expect(grey[3]).toBeCloseTo(0.299 * plain[3] + 0.587 * plain[plane + 3] + 0.114 * plain[2 * plane + 3], 6);
        expect(() => imageToInput(image, [2, 3, 5, 7])).toThrow(ImageError);
        expect(catchError(() => imageToInput(image, [1, 4, 8, 8], undefined, 'x.png')).message)
            .toBe('x.png: an image can only feed an input of shape 1×3×H×W (RGB) or 1×1×H×W (grey); this input is 1×4×8×8');
    });

    it('a file that is neither PNG nor JPEG, or a broken one, is an ImageError', () => {
        expect(() => decodeImage(new Uint8Array([1, 2, 3]))).toThrow(/not a PNG or JPEG image/);
        const png = fixture('images', 'rgb.png');
        expect(() => decodeImage(png.subarray(0, 40), 'cut.png')).toThrow(/^cut\.png: cannot decode the PNG image/);
    });
});

describe('network inputs', () => {
    const NET = `network Net(input: [1, 3, 4, 4]) {\n  return input -> conv(2, kernel: 1)\n}\n`;

    it('a .npy array feeds a one-input network, with or without the batch dimension', async () => {
        const graph = await graphOf(NET);
        const { values, kind } = inputsFromFile(graph, fixture('npy', 'input_1x3x4x4.npy'), 'x.npy');
        expect(kind).toBe('npy');
        expect(values.get('input')!.shape).toEqual([1, 3, 4, 4]);
        expect(values.get('input')!.data[47]).toBe(0.5 * 47 - 3);
    });

    it('a wrong shape is an error showing both shapes', async () => {
        const graph = await graphOf(NET);
        const e = catchError(() => inputsFromFile(graph, fixture('npy', 'f4.npy'), 'x.npy'));
        expect(e).toBeInstanceOf(InputError);
        expect(e.message).toBe("x.npy: the array (<f4) has shape 2×3×4, but input 'input' of Net is 1×3×4×4");
        const file = encodeSafetensors([['image', Tensor.zeros([1, 3, 5, 5])]]);
        expect(catchError(() => inputsFromFile(graph, file, 'x.safetensors')).message)
            .toBe("x.safetensors: tensor 'image' has shape 1×3×5×5, but input 'input' of Net is 1×3×4×4");
    });

    it('a single-tensor safetensors file is used whatever its key; several tensors go by input name', async () => {
        const graph = await graphOf(NET);
        const one = encodeSafetensors([['whatever', new Tensor([3, 4, 4], new Float32Array(48).fill(2))]]);
        expect(inputsFromFile(graph, one, 'x.safetensors').values.get('input')!.data[5]).toBe(2);
        const two = await graphOf(`network Two(a: [1, 2], b: [1, 2]) {\n  return a + b\n}\n`);
        const file = encodeSafetensors([['b', new Tensor([1, 2], Float32Array.from([3, 4]))], ['a', new Tensor([1, 2], Float32Array.from([1, 2]))]]);
        const values = inputsFromFile(two, file, 'x.safetensors').values;
        expect(Array.from(values.get('a')!.data)).toEqual([1, 2]);
        expect(Array.from(values.get('b')!.data)).toEqual([3, 4]);
        const wrong = encodeSafetensors([['a', Tensor.zeros([1, 2])], ['c', Tensor.zeros([1, 2])]]);
        expect(catchError(() => inputsFromFile(two, wrong, 'x.safetensors')).message)
            .toBe("x.safetensors: no tensor for input 'b'; tensor 'c' matches no input (the inputs of Two are 'a', 'b')");
        expect(catchError(() => inputsFromFile(two, fixture('npy', 'f4.npy'), 'x.npy')).message)
            .toMatch(/a \.npy file holds one tensor, but Two has 2 inputs \(a, b\)/);
    });

    it('a file of another kind is an InputError saying which kinds are read', async () => {
        const graph = await graphOf(NET);
        expect(catchError(() => inputsFromFile(graph, new TextEncoder().encode('1,2,3\n4,5,6\n'), 'x.csv')).message)
            .toBe('x.csv: not an input file: neither a PNG or JPEG image, a .npy array nor a .safetensors file');
    });

    it('an image feeds a 1×3×H×W input, resized', async () => {
        const graph = await graphOf(NET);
        const { values, kind } = inputsFromFile(graph, fixture('images', 'rgb.jpg'), 'x.jpg', { normalization: IMAGENET_NORMALIZATION });
        expect(kind).toBe('image');
        expect(values.get('input')!.shape).toEqual([1, 3, 4, 4]);
        expect(() => inputsFromFile(graph, fixture('npy', 'input_1x3x4x4.npy'), 'x.npy', { normalization: IMAGENET_NORMALIZATION }))
            .toThrow(/normalisation applies to image inputs only/);
    });

    it('random inputs are standard normal and the same for the same seed', async () => {
        const graph = await graphOf(`network Big(input: [1, 3, 64, 64]) {\n  return input -> relu\n}\n`);
        const a = randomInputs(graph, 7).get('input')!.data;
        expect(randomInputs(graph, 7).get('input')!.data).toEqual(a);
        expect(randomInputs(graph, 8).get('input')!.data).not.toEqual(a);
        const mean = a.reduce((s, v) => s + v, 0) / a.length;
        const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
        expect(Math.abs(mean)).toBeLessThan(0.05);
        expect(Math.abs(std - 1)).toBeLessThan(0.05);
    });
});

describe('running', () => {
    it('refuses a network over the memory budget before allocating, naming the figure and the largest layers', async () => {
        // 16×64×2048×2048 float32 activations: 16 GiB per tensor, far more than this test could allocate.
        const graph = await graphOf(`network Huge(input: [16, 3, 2048, 2048]) {\n  return input -> big: conv(64, kernel: 3, padding: 1) -> relu -> small: conv(8, kernel: 1)\n}\n`);
        const e = catchError(() => runNetwork(graph, new Map(), new Map(), { memoryBudget: 2 * 1024 ** 3 }));
        expect(e).toBeInstanceOf(MemoryBudgetExceeded);
        expect(e.message).toMatch(/^Huge needs [\d.]+ GiB \(activations [\d.]+ GiB, scratch [\d.]+ GiB, parameters [\d.]+ KiB\), over the memory budget of 2\.00 GiB\. Largest layers: big \(conv, 16×64×2048×2048: 16\.0 GiB\); relu \(relu, 16×64×2048×2048: 16\.0 GiB\)/);
    });

    it('cancellation through an AbortSignal stops between layers with RunCancelled', async () => {
        const graph = await graphOf(CONV_NET);
        const controller = new AbortController();
        const seen: string[] = [];
        const e = catchError(() => runNetwork(graph, randomInputs(graph, 1), initializeParameters(graph, 1), {
            signal: controller.signal,
            onProgress: (done, total, node) => {
                seen.push(`${done}/${total} ${node.name}`);
                if (node.name === 'b') controller.abort();
            },
        }));
        expect(e).toBeInstanceOf(RunCancelled);
        expect(e.message).toBe('run cancelled after 2 of 3 layers');
        expect(seen).toEqual(['0/3 a', '1/3 b']);
    });

    it('is deterministic: the same seed gives identical outputs twice, another seed different ones', async () => {
        const graph = await graphOf(CONV_NET);
        const run = (seed: number) => runNetwork(graph, randomInputs(graph, seed), initializeParameters(graph, seed)).outputs.get('output')!.data;
        const first = run(3);
        expect(run(3)).toEqual(first);
        expect(run(4)).not.toEqual(first);
    });
});
