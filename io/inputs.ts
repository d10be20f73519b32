/**
 * Values for a network's inputs: seeded standard-normal noise, or the contents of a file — a `.safetensors`
 * (tensors by input name; a file of one tensor feeds a one-input network whatever its key), a `.npy` array, or a
 * PNG/JPEG image (resized to the input's H×W, RGB in [0, 1], optionally normalised). The format is recognised by
 * the file's first bytes, not its name.
 */
import { displayText, quoted } from '../language/util/quote.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { SeededRandom } from '../runtime/random.js';
import { elementCount, Tensor } from '../runtime/tensor.js';
import { parseSafetensors, toFloat32 } from './safetensors.js';
import { parseNpy } from './npy.js';
import { decodeImage, imageToInput, sniffImage, type Normalization } from './image.js';

export class InputError extends Error {}

export type InputKind = 'random' | 'safetensors' | 'npy' | 'image';

export interface PreparedInputs {
    readonly values: Map<string, Tensor>;
    readonly kind: InputKind;
}

/** The generator for inputs is seeded apart from the weights' (`initializeParameters(graph, seed)`). */
export function inputSeed(seed: number): number {
    return (seed ^ 0x5bd1e995) >>> 0;
}

/** Standard-normal values for every input, drawn in input order from one generator seeded by `seed`. */
export function randomInputs(graph: NetworkGraph, seed: number): Map<string, Tensor> {
    const random = new SeededRandom(inputSeed(seed));
    const values = new Map<string, Tensor>();
    for (const port of graph.inputs) {
        const shape = graph.tensors[port.tensor].shape;
        const data = new Float32Array(elementCount(shape));
        random.fillNormal(data);
        values.set(port.name, new Tensor(shape, data));
    }
    return values;
}

function shapeText(shape: readonly number[]): string {
    return shape.length ? shape.join('×') : 'scalar';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
    return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The shape of input `name`, after checking that a value of `shape` fits it: the exact shape, or the shape
 * without its leading batch of 1 (C×H×W for 1×C×H×W).
 */
function checkFits(graph: NetworkGraph, name: string, shape: readonly number[], where: string, what: string): readonly number[] {
    const port = graph.inputs.find(p => p.name === name)!;
    const expected = graph.tensors[port.tensor].shape;
    if (sameShape(shape, expected) || (expected[0] === 1 && sameShape(shape, expected.slice(1)))) return expected;
    throw new InputError(`${where}${what} has shape ${shapeText(shape)}, but input '${name}' of ${graph.name} is ${shapeText(expected)}`);
}

export interface InputFileOptions {
    /** For images: per-channel mean and standard deviation to apply after scaling to [0, 1]. */
    readonly normalization?: Normalization;
}

/** Reads every input of `graph` from one file's bytes; `source` (its path) prefixes error messages. */
export function inputsFromFile(graph: NetworkGraph, bytes: Uint8Array, source: string, options: InputFileOptions = {}): PreparedInputs {
    const where = `${displayText(source, 120)}: `;
    const names = graph.inputs.map(p => p.name);
    const single = (format: string) => {
        if (names.length !== 1) {
            throw new InputError(`${where}${format} holds one tensor, but ${graph.name} has ${names.length} inputs (${names.join(', ')}); give a .safetensors file with a tensor named after each input`);
        }
        return names[0];
    };
    const image = sniffImage(bytes);
    if (image) {
        const name = single(`an image`);
        const port = graph.inputs[0];
        const shape = graph.tensors[port.tensor].shape;
        const data = imageToInput(decodeImage(bytes, source), shape, options.normalization, source);
        return { values: new Map([[name, new Tensor(shape, data)]]), kind: 'image' };
    }
    if (options.normalization) throw new InputError(`${where}normalisation applies to image inputs only (PNG or JPEG)`);
    if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') {
        const name = single('a .npy file');
        const array = parseNpy(bytes, source);
        const shape = checkFits(graph, name, array.shape, where, `the array (${array.descr})`);
        return { values: new Map([[name, new Tensor(shape, array.data)]]), kind: 'npy' };
    }
    if (bytes.length < 9 || bytes[8] !== 0x7b) {
        throw new InputError(`${where}not an input file: neither a PNG or JPEG image, a .npy array nor a .safetensors file`);
    }
    const file = parseSafetensors(bytes, source);
    const keys = [...file.tensors.keys()];
    if (keys.length === 0) throw new InputError(`${where}the file holds no tensor`);
    const values = new Map<string, Tensor>();
    if (keys.length === 1 && names.length === 1) {
        const t = file.tensors.get(keys[0])!;
        values.set(names[0], new Tensor(checkFits(graph, names[0], t.shape, where, `tensor ${quoted(keys[0])}`), toFloat32(t)));
        return { values, kind: 'safetensors' };
    }
    const missing = names.filter(n => !file.tensors.has(n));
    const unexpected = keys.filter(k => !names.includes(k));
    if (missing.length || unexpected.length) {
        const parts: string[] = [];
        if (missing.length) parts.push(`no tensor for input${missing.length === 1 ? '' : 's'} ${missing.map(m => `'${m}'`).join(', ')}`);
        if (unexpected.length) parts.push(`tensor${unexpected.length === 1 ? '' : 's'} ${unexpected.slice(0, 8).map(k => quoted(k)).join(', ')}${unexpected.length > 8 ? ', …' : ''} match${unexpected.length === 1 ? 'es' : ''} no input`);
        throw new InputError(`${where}${parts.join('; ')} (the inputs of ${graph.name} are ${names.map(n => `'${n}'`).join(', ')})`);
    }
    // Check every shape before converting anything.
    const shapes = names.map(n => checkFits(graph, n, file.tensors.get(n)!.shape, where, `tensor '${n}'`));
    names.forEach((n, i) => values.set(n, new Tensor(shapes[i], toFloat32(file.tensors.get(n)!))));
    return { values, kind: 'safetensors' };
}
