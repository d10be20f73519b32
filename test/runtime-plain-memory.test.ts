/**
 * The WebAssembly kernels on a plain (non-shared) memory, on one thread: what a browser page that is not
 * cross-origin isolated runs (vscode.dev). Forced here with `memory: 'plain'`; Node itself would take the shared build.
 *
 * A plain memory moves when it grows — every view taken before reads as empty — so besides the outputs these tests
 * check runs whose memory moves while the weights are seeded in it, while they are placed, and in the middle of a
 * run (the first kernels asking the workspace for more than the memory has left). References: PyTorch's outputs
 * (the committed TinyNet fixture; torchvision's ResNet-18 made at test time, test/e2e-fixtures.ts) and the
 * TypeScript reference path, which the op fixtures check against PyTorch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCompute, type Compute } from '../runtime/compute.js';
import { compiledKernels } from '../runtime/wasm/instance.js';
import { prepareNetwork, runNetwork } from '../runtime/executor.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import { isNetwork } from '../language/generated/ast.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { initializeParameters, type ParameterStore } from '../runtime/weights.js';
import { inputsFromFile, randomInputs } from '../io/inputs.js';
import { loadParametersFromBytes } from '../io/safetensors.js';
import type { Tensor } from '../runtime/tensor.js';
import { relativeError } from './helpers.js';
import { generate, readTensors, requireTorch } from './e2e-fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOLERANCE = 1e-4;

async function loadGraph(file: string): Promise<NetworkGraph> {
    const { documents, services } = await loadConvNetFiles([file]);
    expect(documents[0].diagnostics?.filter(d => d.severity === 1).map(d => d.message)).toEqual([]);
    return services.analysis.NetworkAnalyzer.analyze(documents[0].parseResult.value.declarations.find(isNetwork)!).graph;
}

/** A network with PyTorch's weights, input and output from a fixture folder. */
async function loadFixture(convnetFile: string, dir: string) {
    const graph = await loadGraph(convnetFile);
    const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(dir, name)));
    const parameters = loadParametersFromBytes(graph, read('weights.safetensors')).store;
    const inputs = inputsFromFile(graph, read('input.safetensors'), 'input.safetensors').values;
    return { graph, parameters, inputs, expected: readTensors(path.join(dir, 'expected.safetensors')) };
}

function expectOutputs(outputs: ReadonlyMap<string, Tensor>, expected: ReadonlyMap<string, { data: Float32Array }>, what: string): void {
    expect([...outputs.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, reference] of expected) {
        expect(relativeError(outputs.get(name)!.data, reference.data), `${what}: ${name}`).toBeLessThan(TOLERANCE);
    }
}

/**
 * The engine with its Winograd asking the workspace for the whole image's tiles first, as it does on weights it
 * could not pack (winograd.ts's three jobs): a kernel's workspace taken mid-run. With its weights packed it needs
 * none, and a run of ResNet-18 would allocate nothing.
 */
function takingWinogradTiles(compute: Compute): Compute {
    return Object.assign(Object.create(compute) as Compute, {
        winograd: (...args: Parameters<Compute['winograd']>) => {
            args[7]('v', 36 * 64 * 196);
            return compute.winograd(...args);
        },
    });
}

/** Allocates what is left of the engine's memory, so that its next allocation must grow (move) it. */
function fillMemory(compute: Compute): void {
    const probe = compute.allocate(1);
    const left = probe.buffer.byteLength - compute.allocatedBytes;
    if (left > 64) compute.allocate(Math.floor((left - 64) / 4));
}

it('the plain build compiles (relaxed SIMD on Node 22) and runs on one thread; Node itself takes the shared build', () => {
    expect(compiledKernels('plain')).toMatchObject({ variant: 'relaxed-simd', memory: 'plain' });
    expect(compiledKernels()?.memory).toBe('shared');
    const compute = createCompute({ memory: 'plain', threads: 4 });
    expect(compute.description).toBe('wasm relaxed-simd (plain memory), 1 thread');
    compute.dispose();
});

describe('outputs equal PyTorch', () => {
    it(`TinyNet (committed fixture: conv, depthwise, batch norm, pooling, concat, SE, residual, linear) within ${TOLERANCE}`, async () => {
        const dir = path.join(ROOT, 'test', 'fixtures', 'e2e', 'tiny');
        const { graph, parameters, inputs, expected } = await loadFixture(path.join(dir, 'tiny.convnet'), dir);
        const result = runNetwork(graph, inputs, parameters, { memory: 'plain' });
        expect(result.engine).toMatch(/plain memory/);
        expectOutputs(result.outputs, expected, 'TinyNet');
    });

    it(`ResNet-18 with torchvision's weights, its memory moving in the middle of the first run, within ${TOLERANCE}`, async () => {
        requireTorch();
        const dir = generate('resnet18');
        const { graph, parameters, inputs, expected } = await loadFixture(path.join(ROOT, 'examples', 'resnet18.convnet'), dir);
        const compute = createCompute({ memory: 'plain' });
        try {
            const prepared = prepareNetwork(graph, parameters, { compute: takingWinogradTiles(compute) });
            fillMemory(compute);
            const moves = compute.moves;
            const first = prepared.run(inputs);
            // The first Winograd conv asks the workspace for its tiles: the memory grew, and moved, mid-run.
            expect(compute.moves).toBeGreaterThan(moves);
            expectOutputs(first.outputs, expected, 'first run');
            const second = prepared.run(inputs);
            expectOutputs(second.outputs, expected, 'second run');
            prepared.dispose();
        } finally {
            compute.dispose();
        }
    }, 120_000);
});

describe('outputs equal the reference path (the TypeScript kernels layer by layer)', () => {
    const compare = (graph: NetworkGraph, outputs: ReadonlyMap<string, Tensor>, parameters: ParameterStore, seed: number) => {
        const reference = runNetwork(graph, randomInputs(graph, seed), parameters, { engine: 'reference' });
        expectOutputs(outputs, reference.outputs, graph.name);
    };

    it.each(['mobilenet_v2.convnet', 'se_resnet.convnet', 'shufflenet_v2.convnet', 'lenet5.convnet', 'deformable.convnet'])('%s', async file => {
        const graph = await loadGraph(path.join(ROOT, 'examples', file));
        const parameters = initializeParameters(graph, 5);
        const result = runNetwork(graph, randomInputs(graph, 5), parameters, { memory: 'plain' });
        expect(result.engine).toMatch(/plain memory/);
        compare(graph, result.outputs, parameters, 5);
    }, 60_000);

    it('ResNet-18 seeded in an engine with no memory to start with: it moves while the weights are made, placed, run and placed again', async () => {
        const graph = await loadGraph(path.join(ROOT, 'examples', 'resnet18.convnet'));
        const compute = createCompute({ memory: 'plain', expectedBytes: 0 });
        try {
            // As openRun does: seeded weights made in the engine's memory and used there without a copy.
            const seeded = initializeParameters(graph, 9, elements => compute.allocate(elements));
            const movesWhileSeeding = compute.moves;
            expect(movesWhileSeeding).toBeGreaterThan(0);
            const prepared = prepareNetwork(graph, seeded, { compute: takingWinogradTiles(compute) });
            expect(compute.moves).toBeGreaterThan(movesWhileSeeding);
            fillMemory(compute);
            const moves = compute.moves;
            const result = prepared.run(randomInputs(graph, 9));
            expect(compute.moves).toBeGreaterThan(moves);
            prepared.dispose();
            const ordinary = initializeParameters(graph, 9);
            compare(graph, result.outputs, ordinary, 9);
            // A layer's feature maps, as the Run view asks: the same weights placed again in the same engine (which
            // moves once more), the layer kept out of fusion.
            const layer = graph.nodes.find(n => n.name === 'layer1.0.relu' || (n.name.startsWith('layer1.0') && n.op === 'relu'))!.index;
            const before = compute.moves;
            fillMemory(compute);
            const captured = runNetwork(graph, randomInputs(graph, 9), seeded, { compute, capture: new Set([layer]) }).captured.get(layer)!;
            expect(compute.moves).toBeGreaterThan(before);
            const reference = runNetwork(graph, randomInputs(graph, 9), ordinary, { engine: 'reference', capture: new Set([layer]) }).captured.get(layer)!;
            expect(relativeError(captured.data, reference.data)).toBeLessThan(TOLERANCE);
        } finally {
            compute.dispose();
        }
    }, 120_000);
});
