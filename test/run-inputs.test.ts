/**
 * The one resolution of a run shared by `convnet run` and the editor (io/run-inputs.ts): the budget and the engine
 * checked before any file is read, seeded or loaded weights, seeded or loaded inputs, and normalisation that a
 * setting applies to images only while an explicit request for it on a tensor input is an error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGENET_NORMALIZATION } from '../io/image.js';
import { InputError, inputsFromFile } from '../io/inputs.js';
import { loadRunInputs, openRun } from '../io/run-inputs.js';
import { MemoryBudgetExceeded, runNetwork } from '../runtime/executor.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { initializeParameters } from '../runtime/weights.js';
import { analyzeNetwork, parse } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-run-inputs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadRunInputs', async () => {
    const graph = analyzeNetwork(await parse('network N(input: [1, 3, 4, 4]) {\n  return input -> c: conv(2, kernel: 1)\n}\n')).graph;
    const tensorFile = path.join(dir, 'x.safetensors');
    const values = Float32Array.from({ length: 48 }, (_, i) => i / 48);
    fs.writeFileSync(tensorFile, encodeSafetensors([['input', { shape: [1, 3, 4, 4], data: values }]]));
    const imageFile = path.join(dir, 'x.png');
    const png = new PNG({ width: 4, height: 4 });
    png.data.fill(128);
    fs.writeFileSync(imageFile, PNG.sync.write(png));

    it('seeds the weights and the input when no file is given, as initializeParameters does', () => {
        const run = loadRunInputs(graph, { seed: 3 });
        expect(run.weights).toEqual({ source: 'seed', seed: 3 });
        expect(run.inputKind).toBe('random');
        expect([...run.parameters.get('c')!.weight]).toEqual([...initializeParameters(graph, 3).get('c')!.weight]);
    });

    it('a normalisation from a setting leaves a tensor input as it is, and normalises an image', () => {
        const tensor = loadRunInputs(graph, { seed: 0, input: tensorFile, normalization: IMAGENET_NORMALIZATION, normalizationFrom: 'setting' });
        expect(tensor.inputKind).toBe('safetensors');
        expect([...tensor.inputs.get('input')!.data]).toEqual([...values]);
        const image = loadRunInputs(graph, { seed: 0, input: imageFile, normalization: IMAGENET_NORMALIZATION, normalizationFrom: 'setting' });
        const expected = inputsFromFile(graph, fs.readFileSync(imageFile), imageFile, { normalization: IMAGENET_NORMALIZATION }).values.get('input')!;
        expect([...image.inputs.get('input')!.data]).toEqual([...expected.data]);
        // (128/255 − 0.485) / 0.229 for the red channel: ImageNet's numbers, not the code's.
        expect(image.inputs.get('input')!.data[0]).toBeCloseTo((128 / 255 - 0.485) / 0.229, 5);
    });

    it('a normalisation asked for on a tensor input is an error that says so', () => {
        expect(() => loadRunInputs(graph, { seed: 0, input: tensorFile, normalization: IMAGENET_NORMALIZATION })).toThrow(InputError);
        expect(() => loadRunInputs(graph, { seed: 0, input: tensorFile, normalization: IMAGENET_NORMALIZATION })).toThrow(/normalisation applies to image inputs only/);
    });
});

describe('openRun', async () => {
    const graph = analyzeNetwork(await parse('network N(input: [1, 3, 4, 4]) {\n  return input -> c: conv(2, kernel: 1)\n}\n')).graph;

    it('refuses a budget too small before it reads the weights or the input (files that do not exist are never opened)', () => {
        const missing = path.join(dir, 'does-not-exist.safetensors');
        expect(() => openRun(graph, { seed: 0, weights: missing, input: missing, memoryBudget: 64 })).toThrow(MemoryBudgetExceeded);
    });

    it('makes the engine asked for and loads into it; the run gives what a run with the same seeded weights gives', () => {
        for (const engine of ['fast', 'reference'] as const) {
            const run = openRun(graph, { seed: 5, engine, threads: 1 });
            try {
                expect(run.compute.kind).toBe(engine);
                if (engine === 'fast') expect(run.compute.description).toMatch(/^wasm .*1 thread$/);
                expect(run.plannedBytes).toBeGreaterThan(0);
                const y = runNetwork(graph, run.inputs, run.parameters, { compute: run.compute }).outputs.values().next().value!;
                const x = run.inputs.get('input')!.data;
                const w = initializeParameters(graph, 5).get('c')!;
                // Output channel 0 at position 0: Σ_c w[0, c]·x[c, 0] + b[0], computed here from PyTorch's definition.
                const expected = w.weight[0] * x[0] + w.weight[1] * x[16] + w.weight[2] * x[32] + w.bias[0];
                expect(y.data[0]).toBeCloseTo(expected, 5);
            } finally {
                run.dispose();
            }
        }
    });
});
