/**
 * `convnet summary --train` against PyTorch: the memory of one training step of ResNet-18 and MobileNetV2 as
 * test/fixtures/train-memory/measure_training_memory.py measured it (torch 1.13 on the CPU: the tensors autograd
 * saves, by unique storage, and the allocator's peak during forward, backward and the optimizer's step). Parameters,
 * gradients, optimizer state and the all-reduce must be exact; the kept activations and the peak within 10%.
 * The CLI runs in this process; the Summary view's request goes to the bundled server (out/server.cjs, `node esbuild.mjs`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadExample, ROOT } from './zoo-helpers.js';
import { trainingMemory, type Optimizer } from '../language/analysis/training-memory.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { main } from '../cli/main.js';
import * as os from 'node:os';
import { LspSession, uriOf } from './lsp-client.js';
import { SummaryRequest, type SummaryResult } from '../server/protocol.js';

interface Case {
    network: 'resnet18' | 'mobilenet_v2';
    batch: number;
    optimizer: Optimizer;
    parameter_bytes: number;
    gradient_bytes: number;
    optimizer_state_bytes: number;
    allreduce_bytes: number;
    saved_activation_bytes: number;
    saved_activation_bytes_by_dtype: Record<string, number>;
    peak_bytes: number;
}

const FIXTURE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'train-memory', 'training-memory.json'), 'utf8')) as { cases: Case[] };
const EXAMPLES = { resnet18: ['resnet18.convnet', 'ResNet18'], mobilenet_v2: ['mobilenet_v2.convnet', 'MobileNetV2'] } as const;
const graphs: Partial<Record<Case['network'], NetworkGraph>> = {};

beforeAll(async () => {
    for (const [key, [file, network]] of Object.entries(EXAMPLES)) graphs[key as Case['network']] = (await loadExample(file, network)).graph;
});

const within = (actual: number, reference: number) => Math.abs(actual - reference) / reference;

describe.each(FIXTURE.cases)('$network batch $batch $optimizer, as PyTorch measured it', c => {
    it('parameters, gradients, optimizer state and the all-reduce: exactly', () => {
        const m = trainingMemory(graphs[c.network]!, { batch: c.batch, optimizer: c.optimizer });
        expect(m.parameterBytes).toBe(c.parameter_bytes);
        expect(m.gradientBytes).toBe(c.gradient_bytes);
        expect(m.optimizerStateBytes).toBe(c.optimizer_state_bytes);
        expect(m.allReduceBytes).toBe(c.allreduce_bytes);
    });

    it('the activations kept for backward and the peak: within 10%', () => {
        const m = trainingMemory(graphs[c.network]!, { batch: c.batch, optimizer: c.optimizer });
        expect(within(m.savedActivationBytes, c.saved_activation_bytes)).toBeLessThan(0.1);
        expect(within(m.peakBytes, c.peak_bytes)).toBeLessThan(0.1);
    });

    it('what max pooling keeps: an int64 index per output element, as many bytes as PyTorch saves in int64', () => {
        const m = trainingMemory(graphs[c.network]!, { batch: c.batch, optimizer: c.optimizer });
        const indices = m.layers.filter(l => l.keeps.includes('indices'))
            .reduce((sum, l) => sum + graphs[c.network]!.tensors[graphs[c.network]!.nodes.find(n => n.name === l.name)!.outputs[0]].shape.slice(1).reduce((a, b) => a * b, 1) * c.batch * 8, 0);
        expect(indices).toBe(c.saved_activation_bytes_by_dtype['torch.int64'] ?? 0);
    });
});

describe('layers', () => {
    it('ResNet-18: the ReLU after a batch norm runs in place and keeps nothing more; the conv after it keeps that tensor', () => {
        const m = trainingMemory(graphs.resnet18!, { batch: 1, optimizer: 'sgd' });
        const layer = (name: string) => m.layers.find(l => l.name === name)!;
        expect(layer('relu')).toMatchObject({ keeps: 'output', inPlace: true });
        expect(layer('relu').bytes).toBe(64 * 112 * 112 * 4);
        expect(layer('maxpool')).toMatchObject({ keeps: 'input + indices', sharedWith: 'relu' });
        expect(layer('maxpool').bytes).toBe(64 * 56 * 56 * 8);
        expect(m.layers.filter(l => l.op === 'add').map(l => l.keeps)).toEqual(Array(8).fill('—')); // a sum's gradient is its output's
    });

    it('checkpointing a ResNet-18 stage would keep less, and the saving is never more than what its layers keep', () => {
        const m = trainingMemory(graphs.resnet18!, { batch: 1, optimizer: 'sgd' });
        const layer1 = m.checkpoints.find(c => c.module === 'layer1')!;
        const kept = m.layers.filter(l => l.name.startsWith('layer1.')).reduce((s, l) => s + l.bytes, 0);
        expect(layer1.bytes).toBeGreaterThan(0);
        expect(layer1.bytes).toBeLessThanOrEqual(kept);
        expect(layer1.recomputeFlops).toBeGreaterThan(0);
    });
});

/** Runs the CLI in this process. */
async function convnet(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, { out: t => { out += `${t}\n`; }, err: t => { err += `${t}\n`; } });
    return { code, out, err };
}

const RESNET18 = path.join(ROOT, 'examples', 'resnet18.convnet');

describe('convnet summary --train', () => {
    it('--json: the figures of the analysis, with the all-reduce PyTorch\'s gradients add up to', async () => {
        const ran = await convnet('summary', RESNET18, '--train', '--batch', '16', '--optimizer', 'adam', '--json');
        expect(ran.code).toBe(0);
        const training = JSON.parse(ran.out).networks[0].training;
        const reference = FIXTURE.cases.find(c => c.network === 'resnet18' && c.optimizer === 'adam')!;
        expect(training).toMatchObject({ batch: 16, optimizer: 'adam', precision: 'fp32', allReduceBytes: reference.allreduce_bytes, optimizerStateBytes: reference.optimizer_state_bytes });
    });

    it('the text report names each part and the all-reduce', async () => {
        const ran = await convnet('summary', RESNET18, '--train', '--batch', '4');
        expect(ran.code).toBe(0);
        expect(ran.out).toContain('ResNet18 — training, batch 4, SGD with momentum, float32');
        expect(ran.out).toMatch(/Gradient all-reduce per step:\s+44\.6 MiB/);
        expect(ran.out).toMatch(/maxpool\s+maxpool\s+input \+ indices \(kept by relu\)/);
        expect(ran.out).toContain('Checkpointing a module would keep less:');
    });

    it('--fit: the batch fits and one more does not; PyTorch\'s measured peaks, a line in the batch, agree within 10%', async () => {
        const ran = await convnet('summary', RESNET18, '--train', '--optimizer', 'sgd-momentum', '--fit', '2GiB', '--json');
        expect(ran.code).toBe(0);
        const { fit } = JSON.parse(ran.out).networks[0].training;
        const budget = 2 * 2 ** 30;
        expect(fit.budget).toBe(budget);
        expect(fit.peakBytes).toBeLessThanOrEqual(budget);
        expect(fit.nextPeakBytes).toBeGreaterThan(budget);
        expect(trainingMemory(graphs.resnet18!, { batch: fit.batch, optimizer: 'sgd-momentum' }).peakBytes).toBe(fit.peakBytes);
        expect(trainingMemory(graphs.resnet18!, { batch: fit.batch + 1, optimizer: 'sgd-momentum' }).peakBytes).toBe(fit.nextPeakBytes);
        const [one, sixteen] = [1, 16].map(b => FIXTURE.cases.find(c => c.network === 'resnet18' && c.batch === b && c.optimizer === 'sgd-momentum')!.peak_bytes);
        const perSample = (sixteen - one) / 15;
        const pytorchFit = Math.floor((budget - (one - perSample)) / perSample);
        expect(within(fit.batch, pytorchFit)).toBeLessThan(0.1);
    });

    it('a budget smaller than one sample says so', async () => {
        const ran = await convnet('summary', RESNET18, '--train', '--fit', '64MiB');
        expect(ran.code).toBe(0);
        expect(ran.out).toMatch(/Fits 64\.0 MiB: no batch — one sample already needs/);
    });

    it.each([
        [['--train', '--batch', '0'], "--batch must be a whole number of samples from 1 to 2147483648, not '0'"],
        [['--train', '--batch', '2.5'], "--batch must be a whole number of samples from 1 to 2147483648, not '2.5'"],
        [['--train', '--optimizer', 'foo'], "--optimizer must be sgd, sgd-momentum or adam, not 'foo'"],
        [['--train', '--fit', 'lots'], "--fit must be a memory size such as 8GiB, 512MiB or 100000000 (bytes), not 'lots'"],
        [['--train', '--precision', 'fp8'], "--precision must be fp32 or mixed, not 'fp8'"],
        [['--batch', '4'], '--batch goes with --train (the memory of a training step)'],
        [['--train', '--format', 'csv'], 'give --train or --format, not both'],
    ])('bad input %j: one clear sentence, exit 2', async (args, message) => {
        const ran = await convnet('summary', RESNET18, ...args);
        expect(ran.code).toBe(2);
        expect(ran.err.split('\n')[0]).toBe(`convnet: ${message}`);
        expect(ran.err).not.toMatch(/at .*\.ts:\d+/);
        expect(ran.out).toBe('');
    });
});

describe('the Summary view\'s data: the language server answers a summary request with training parameters', () => {
    it('ResNet-18, batch 16, SGD with momentum: PyTorch\'s all-reduce and optimizer state, its peak within 10%', async () => {
        const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-train-'));
        const file = path.join(workspace, 'resnet18.convnet');
        const text = fs.readFileSync(RESNET18, 'utf8');
        fs.writeFileSync(file, text);
        const session = await LspSession.start(workspace);
        try {
            expect(await session.open(file, text)).toEqual([]);
            const result = await session.connection.sendRequest(SummaryRequest.method, { uri: uriOf(file), training: { batch: 16, optimizer: 'sgd-momentum' } }) as SummaryResult;
            const reference = FIXTURE.cases.find(c => c.network === 'resnet18' && c.batch === 16)!;
            expect(result.training).toMatchObject({ batch: 16, optimizer: 'sgd-momentum', allReduceBytes: reference.allreduce_bytes, optimizerStateBytes: reference.optimizer_state_bytes });
            expect(within(result.training!.peakBytes, reference.peak_bytes)).toBeLessThan(0.1);
            const plain = await session.connection.sendRequest(SummaryRequest.method, { uri: uriOf(file) }) as SummaryResult;
            expect(plain.training).toBeUndefined();
        } finally {
            await session.stop();
            fs.rmSync(workspace, { recursive: true, force: true });
        }
    });
});
