/**
 * The torchvision zoo examples (AlexNet, VGG-16, SqueezeNet 1.0, ShuffleNet V2 1.0×, GoogLeNet, Inception-v3)
 * against independent references: torchvision's published totals (test/fixtures/reference/torchvision-totals.json,
 * a copy of ../shared/reference) and the PyTorch models themselves (test/fixtures/torchvision/*.json, written by
 * make_zoo_fixtures.py from torchvision with no weights): every state_dict key with its shape, and the output
 * shape. Each example also runs on the project's runtime from a seeded initialisation; VGG-16 and Inception-v3
 * run at a reduced input size there (their totals are checked at the reference size).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedDiagnostics, loadExample, ROOT, shapesOf, stateDictShapes, type LoadedExample } from './zoo-helpers.js';
import { runNetwork } from '../runtime/executor.js';
import { initializeParameters } from '../runtime/weights.js';
import { randomInputs } from '../io/inputs.js';

interface Reference { input: number[]; output: number[]; params: number; macs: number }
interface Fixture { input: number[]; output: number[]; params: number; state_dict: Record<string, number[]> }

const REFERENCE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'torchvision-totals.json'), 'utf8')).models as Record<string, Reference>;

function fixture(reference: string): Fixture {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'torchvision', `${reference}.json`), 'utf8')) as Fixture;
}

interface Example {
    file: string;
    network: string;
    reference: string;
    /** Input of the seeded run when it is not the reference input (to keep the test affordable). */
    runInput?: number[];
    /** Warnings the example is expected to have, exactly (a property of the torchvision model it reproduces). */
    warnings?: string[];
}

const ZOO: Example[] = [
    { file: 'alexnet.convnet', network: 'AlexNet', reference: 'alexnet' },
    { file: 'vgg16.convnet', network: 'VGG16', reference: 'vgg16', runInput: [1, 3, 64, 64] },
    {
        file: 'squeezenet.convnet', network: 'SqueezeNet1_0', reference: 'squeezenet1_0',
        // torchvision's SqueezeNet 1.0 opens with an unpadded 7×7 stride-2 conv: at 224² it never reads the last
        // row and column, and the example says so in a comment rather than altering the model.
        warnings: [
            'features.0: conv: with stride 2 the last 1 input row is never read (224 + 0 + 0 − 7 = 217 is not a multiple of 2); adjust padding or the input size',
            'features.0: conv: with stride 2 the last 1 input column is never read (224 + 0 + 0 − 7 = 217 is not a multiple of 2); adjust padding or the input size',
        ],
    },
    { file: 'shufflenet_v2.convnet', network: 'ShuffleNetV2', reference: 'shufflenet_v2_x1_0' },
    { file: 'googlenet.convnet', network: 'GoogLeNet', reference: 'googlenet' },
    { file: 'inception_v3.convnet', network: 'InceptionV3', reference: 'inception_v3', runInput: [1, 3, 139, 139] },
];

/** Parses an example (with the files it imports), optionally with its network's input declaration replaced. */
function load(example: Example, input?: number[]): Promise<LoadedExample> {
    return loadExample(example.file, example.network, input && { from: REFERENCE[example.reference].input, to: input });
}

describe.each(ZOO)('examples/$file', example => {
    const reference = REFERENCE[example.reference];

    it('checks clean: no errors and no warnings (nor in the files it imports)', async () => {
        const { parsed, files } = await load(example);
        expect(parsed.diagnostics.map(d => d.message)).toEqual(example.warnings ?? []);
        for (const [imported, messages] of Object.entries(importedDiagnostics(files))) expect(messages, imported).toEqual([]);
    });

    it(`has the published totals: params exactly, MACs within 0.5%, input and output shapes`, async () => {
        const { graph } = await load(example);
        expect(shapesOf(graph, graph.inputs)).toEqual([reference.input]);
        expect(shapesOf(graph, graph.outputs)).toEqual([reference.output]);
        expect(graph.totals.params).toBe(reference.params);
        expect(Math.abs(graph.totals.macs - reference.macs) / reference.macs).toBeLessThan(0.005);
    });

    it('has the output shape PyTorch computes and the parameter count of the PyTorch model', async () => {
        const { graph } = await load(example);
        const torch = fixture(example.reference);
        expect(shapesOf(graph, graph.inputs)).toEqual([torch.input]);
        expect(shapesOf(graph, graph.outputs)).toEqual([torch.output]);
        expect(graph.totals.params).toBe(torch.params);
    });

    it('names every parameter and buffer as the PyTorch state_dict does, with the same shapes', async () => {
        const { graph } = await load(example);
        const ours = stateDictShapes(graph);
        const expected = fixture(example.reference).state_dict;
        expect(Object.keys(ours).sort()).toEqual(Object.keys(expected).sort());
        expect(ours).toEqual(expected);
    });

    it(`runs on the runtime from a seeded initialisation to finite outputs${example.runInput ? ` (at ${example.runInput.join('×')})` : ''}`, async () => {
        const { graph } = await load(example, example.runInput);
        const input = example.runInput ?? reference.input;
        expect(shapesOf(graph, graph.inputs)).toEqual([input]);
        const result = runNetwork(graph, randomInputs(graph, 1), initializeParameters(graph, 1));
        const output = result.outputs.get(graph.outputs[0].name)!;
        expect([...output.shape]).toEqual(reference.output);
        expect(output.data.every(Number.isFinite)).toBe(true);
        // Not degenerate: the seeded weights and input give different scores to different classes.
        expect(Math.max(...output.data)).toBeGreaterThan(Math.min(...output.data));
    });
});
