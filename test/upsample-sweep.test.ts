/**
 * `upsample` against PyTorch's `F.interpolate` over a sweep of scale factors and sizes (test/fixtures/upsample,
 * written by make_upsample_sweep.py with Debian's PyTorch): nearest, nearest-exact, linear, bilinear and trilinear,
 * with and without align_corners, at factors from 0.3 to 3.3 that give output sizes equal to, twice and just off the input size.
 *
 * - both engines (the TypeScript reference and the fast engine) equal PyTorch: the nearest modes exactly (their
 *   values are copies), the linear modes within 1e-5;
 * - the ONNX export, run by onnxruntime-node, equals our output likewise (so it equals PyTorch);
 * - the PyTorch export, run by PyTorch, equals PyTorch's own `F.interpolate` likewise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { runNetwork } from '../runtime/executor.js';
import { exportOnnx } from '../interchange/export/onnx.js';
import { elementCount, Tensor } from '../runtime/tensor.js';
import { analyzeNetwork, parse } from './helpers.js';
import { runInPytorch, torchProblem, type PytorchResult } from './pytorch-runner.js';

interface Stored {
    readonly shape: readonly number[];
    readonly offset: number;
}

interface SweepCase {
    readonly name: string;
    readonly snippet: string;
    readonly input: string;
    readonly output: Stored;
    readonly exact: boolean;
}

const TOLERANCE = 1e-5;
const index = JSON.parse(fs.readFileSync(new URL('./fixtures/upsample/sweep.json', import.meta.url), 'utf8')) as {
    elements: number; inputs: (Stored & { name: string })[]; cases: SweepCase[];
};
const bytes = fs.readFileSync(new URL('./fixtures/upsample/sweep.bin', import.meta.url));
const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const stored = (t: Stored) => blob.slice(t.offset, t.offset + elementCount(t.shape));
const inputOf = (c: SweepCase) => {
    const entry = index.inputs.find(i => i.name === c.input)!;
    return new Tensor(entry.shape, stored(entry));
};

/** The largest absolute difference; Infinity when the shapes differ. */
function maxDifference(actual: { shape: readonly number[]; data: ArrayLike<number> }, expected: Stored): number {
    if (actual.shape.join() !== expected.shape.join()) return Infinity;
    const reference = stored(expected);
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(actual.data[i] - reference[i]));
    return worst;
}

function expectClose(difference: number, c: SweepCase, what: string): void {
    if (c.exact) expect(difference, `${what}: nearest copies values, so it must be exact`).toBe(0);
    else expect(difference, what).toBeLessThanOrEqual(TOLERANCE);
}

const graphs = new Map<string, NetworkGraph>();

beforeAll(async () => {
    for (const c of index.cases) graphs.set(c.name, analyzeNetwork(await parse(c.snippet)).graph);
});

describe('the sweep', () => {
    it('covers every mode, 1-D to 3-D, sizes equal to, twice and just off the input', () => {
        expect(blob.length).toBe(index.elements);
        const outputs = index.cases.map(c => ({ c, x: index.inputs.find(i => i.name === c.input)!.shape }));
        const along = (pred: (input: number, output: number) => boolean) => outputs.filter(({ c, x }) => x.slice(2).some((s, i) => pred(s, c.output.shape[2 + i])));
        expect(along((i, o) => o === i).filter(({ c }) => !/scale_factor=1\.0 /.test(c.name)).length).toBeGreaterThan(40);
        expect(along((i, o) => o === 2 * i).filter(({ c }) => !/scale_factor=2\.0 /.test(c.name)).length).toBeGreaterThan(20);
        expect(along((i, o) => Math.abs(o - i) === 1).length).toBeGreaterThan(40);
        for (const mode of ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear']) expect(index.cases.some(c => c.name.startsWith(mode)), mode).toBe(true);
        expect(index.cases.some(c => c.name.includes('align_corners=true'))).toBe(true);
    });

    it('includes the cases that used to differ from PyTorch', () => {
        // nearest, [0 … 4] at 1.1 → PyTorch reads [0, 0, 1, 2, 3] (no copy when the size stays); 12 at 1.1 reads 10 at index 11.
        expect(index.cases.some(c => c.name === 'nearest x=[1, 2, 5, 6] scale_factor=1.1 -> [5, 6]')).toBe(true);
        expect(index.cases.some(c => c.name === 'nearest x=[1, 2, 12] scale_factor=1.1 -> [13]')).toBe(true);
        expect(index.cases.some(c => c.name === 'bilinear align_corners=false x=[1, 2, 5, 6] scale_factor=1.1 -> [5, 6]')).toBe(true);
    });
});

describe.each([['reference', { engine: 'reference' as const }], ['fast', {}]])('the %s engine equals PyTorch', (_engine, options) => {
    it.each(index.cases.map(c => [c.name, c] as const))('%s', (_name, c) => {
        const graph = graphs.get(c.name)!;
        const result = runNetwork(graph, new Map([['input', inputOf(c)]]), new Map(), options);
        expectClose(maxDifference(result.outputs.get(graph.outputs[0].name)!, c.output), c, 'largest difference from PyTorch');
    });
});

describe('the ONNX export in onnxruntime-node equals our runtime', () => {
    it.each(index.cases.map(c => [c.name, c] as const))('%s', async (_name, c) => {
        const graph = graphs.get(c.name)!;
        const input = inputOf(c);
        const ours = runNetwork(graph, new Map([['input', input]]), new Map(), { engine: 'reference' }).outputs.get(graph.outputs[0].name)!;
        const session = await ort.InferenceSession.create(exportOnnx(graph, new Map()).bytes);
        try {
            const result = await session.run({ input: new ort.Tensor('float32', input.data, [...input.shape]) });
            const theirs = result[graph.outputs[0].name];
            expect([...theirs.dims]).toEqual([...ours.shape]);
            const data = theirs.data as Float32Array;
            let difference = 0;
            for (let i = 0; i < data.length; i++) difference = Math.max(difference, Math.abs(data[i] - ours.data[i]));
            expectClose(difference, c, 'largest difference from our runtime');
        } finally {
            await session.release();
        }
    });
});

describe('the PyTorch export in PyTorch equals F.interpolate', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-upsample-sweep-'));
    let results = new Map<string, PytorchResult>();

    beforeAll(() => {
        const problem = torchProblem();
        if (problem) throw new Error(problem);
        results = runInPytorch(work, index.cases.map(c => ({ id: c.name, graph: graphs.get(c.name)!, parameters: new Map(), inputs: new Map([['input', inputOf(c)]]) })));
    }, 300_000);
    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    it.each(index.cases.map(c => [c.name, c] as const))('%s', (name, c) => {
        const result = results.get(name);
        expect(result?.error ?? '').toBe('');
        expectClose(maxDifference(result!.outputs!.get(graphs.get(name)!.outputs[0].name)!, c.output), c, 'largest difference from PyTorch');
    });
});
