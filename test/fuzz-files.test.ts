/**
 * Mutated files users hand us: valid safetensors weights, .npy and safetensors inputs, PNG and JPEG images and
 * ONNX models, with bytes flipped, overwritten with huge or negative numbers, inserted, deleted or cut off. Reading
 * each must either succeed or fail with the reader's own error, one line that does not call itself a bug — never
 * another exception (a TypeError, a RangeError from an allocation), never a hang. `npm run test:fuzz` runs a
 * hundred times as many (fuzz-scale.ts).
 */
import fc from 'fast-check';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../interchange/export/onnx.js';
import { ImageError, decodeImage } from '../io/image.js';
import { OnnxImportError, importOnnx } from '../interchange/import/onnx-to-convnet.js';
import { InputError, inputsFromFile } from '../io/inputs.js';
import { NpyError, parseNpy } from '../io/npy.js';
import { SafetensorsError, WeightsError, encodeSafetensors, loadParametersFromBytes } from '../io/safetensors.js';
import { initializeParameters } from '../runtime/weights.js';
import { analyzeNetwork, parse } from './helpers.js';
import { runs, timeout } from './fuzz-scale.js';

type Mutation =
    | { kind: 'flip'; at: number; bit: number }
    | { kind: 'set'; at: number; value: number }
    | { kind: 'number'; at: number; value: bigint }
    | { kind: 'insert'; at: number; bytes: Uint8Array }
    | { kind: 'delete'; at: number; length: number }
    | { kind: 'truncate'; at: number };

const HUGE = [0n, 1n, 0x7fn, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0xffffffffn, 2n ** 40n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: fc.constantFrom(...HUGE) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** Mutations mostly in the first bytes (headers), where they matter most. */
function place(at: number, length: number): number {
    return length === 0 ? 0 : at % 3 === 0 ? at % length : at % Math.min(length, 128);
}

function mutate(original: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
    let bytes = Uint8Array.from(original);
    for (const m of mutations) {
        const at = place(m.at, bytes.length);
        switch (m.kind) {
            case 'flip': if (bytes.length) bytes[at] ^= 1 << m.bit; break;
            case 'set': if (bytes.length) bytes[at] = m.value; break;
            case 'number': {
                const copy = Uint8Array.from(bytes);
                for (let i = 0; i < 8 && at + i < copy.length; i++) copy[at + i] = Number((m.value >> BigInt(8 * i)) & 0xffn);
                bytes = copy;
                break;
            }
            case 'insert': bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]); break;
            case 'delete': bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]); break;
            case 'truncate': bytes = bytes.subarray(0, at); break;
        }
    }
    return bytes;
}

/** Runs `read`; a failure must be one of `expected`, in one line that does not call itself a bug. */
function readsCleanly(read: () => unknown, expected: readonly (new (...args: never[]) => Error)[]): void {
    try {
        read();
    } catch (e) {
        if (!expected.some(type => e instanceof type)) throw e; // the property fails, showing the unexpected error
        const message = (e as Error).message;
        expect(message.length).toBeGreaterThan(0);
        expect(message).not.toMatch(/internal error|importer bug|undefined|NaN bytes/);
        expect(message.split('\n').every(line => line.length <= 1000)).toBe(true);
    }
}

const NET = `
network Small(input: [1, 3, 8, 8]) {
  return input -> conv1: conv(4, kernel: 3, padding: 1) -> bn1: batchnorm -> relu -> maxpool(2)
    -> flatten -> fc: linear(5)
}
`;

const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

describe('mutated files are read or refused cleanly', async () => {
    const graph = analyzeNetwork(await parse(NET)).graph;
    const parameters = initializeParameters(graph, 1);
    const weights = encodeSafetensors(graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, { shape: p.shape, data: parameters.get(n.name)![p.name] }] as [string, { shape: readonly number[]; data: Float32Array }])));
    const inputTensor = encodeSafetensors([['input', { shape: [1, 3, 8, 8], data: new Float32Array(192).fill(0.5) }]]);
    const npyHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }";
    const padded = npyHeader.padEnd(118, ' ') + '\n';
    const npy = Uint8Array.from([...Buffer.from('\x93NUMPY', 'latin1'), 1, 0, padded.length & 0xff, padded.length >> 8, ...Buffer.from(padded, 'latin1'), ...new Uint8Array(new Float32Array(192).fill(0.25).buffer)]);
    const image = new PNG({ width: 8, height: 6 });
    image.data.fill(200);
    const png = new Uint8Array(PNG.sync.write(image));
    const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 6, data: Buffer.alloc(8 * 6 * 4, 120) }, 90).data);
    const onnx = exportOnnx(graph, parameters).bytes;

    it('the unmutated files are read (the mutations start from valid files)', () => {
        expect(loadParametersFromBytes(graph, weights).loaded).toBe(graph.nodes.reduce((n, node) => n + node.params.length, 0));
        for (const bytes of [inputTensor, npy, png]) expect(inputsFromFile(graph, bytes, 'x').values.get('input')!.shape).toEqual([1, 3, 8, 8]);
        expect(decodeImage(jpg).width).toBe(8);
        expect(importOnnx(onnx, { source: 'small.onnx' }).layers).toBeGreaterThan(3);
    });

    it('safetensors weights', () => {
        fc.assert(fc.property(mutations, m => readsCleanly(() => loadParametersFromBytes(graph, mutate(weights, m), { source: 'w.safetensors' }), [SafetensorsError, WeightsError])), { numRuns: runs(300) });
    }, timeout(60_000));

    it('safetensors and .npy inputs', () => {
        fc.assert(fc.property(mutations, fc.boolean(), (m, asNpy) => readsCleanly(() => inputsFromFile(graph, mutate(asNpy ? npy : inputTensor, m), 'x'), [InputError, NpyError, SafetensorsError])), { numRuns: runs(300) });
        fc.assert(fc.property(mutations, m => readsCleanly(() => parseNpy(mutate(npy, m), 'x.npy'), [NpyError])), { numRuns: runs(100) });
    }, timeout(60_000));

    it('PNG and JPEG images', () => {
        fc.assert(fc.property(mutations, fc.boolean(), (m, asJpeg) => readsCleanly(() => inputsFromFile(graph, mutate(asJpeg ? jpg : png, m), 'x'), [InputError, ImageError, NpyError, SafetensorsError])), { numRuns: runs(300) });
    }, timeout(60_000));

    it('ONNX models', () => {
        fc.assert(fc.property(mutations, m => readsCleanly(() => importOnnx(mutate(onnx, m), { source: 'm.onnx' }), [OnnxImportError])), { numRuns: runs(200) });
    }, timeout(120_000));
});
