/**
 * Every activation kernel against its true value element by element, over the whole float32 line: the fixture
 * (test/fixtures/activations/, written by make_activation_sweep.py with Debian's PyTorch 1.13) holds 7,942 inputs —
 * a fine grid on [−12, 12], a coarse one out to ±120, powers of ten down to 1e−30, the ends of float32, ±∞ and
 * NaN — and PyTorch's float32 output of each activation for them.
 *
 * The fast engine's WebAssembly kernels (runtime/wasm/assembly/activation.ts) compute in float32 with polynomial
 * exp, tanh and erfc; the reference computes in float64. Both must give each element within
 *
 *     |ours − true| ≤ 2e−6 · |true|               where |true| ≥ 1e−10 (a few float32 ulps),
 *     |ours − true| ≤ 2e−5 · |true| + 1e−36       below — GELU's tails, where an ulp of x² in exp(−x²/2) is
 *                                                 several ulps of the result, and SiLU's below x = −88, where
 *                                                 e⁻ˣ overflows float32 and the result is 0 instead of −1e−37
 *
 * the same infinities, and NaN exactly where the fixture has NaN. The run goes
 * through a plain one-thread engine and a two-thread one with every activation split, so that the parts' seams and
 * the last one to three elements of a vector are crossed (the worker's parts or the caller's: a test checks that the
 * worker took some).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeNetwork, parse, singleOp } from './helpers.js';
import { prepareNetwork } from '../runtime/executor.js';
import { createCompute, type Compute } from '../runtime/compute.js';
import { compiledKernels } from '../runtime/wasm/instance.js';
import { createWasmCompute, PARALLEL_THRESHOLDS } from '../runtime/wasm/compute.js';
import { Tensor } from '../runtime/tensor.js';

interface SweepCase { readonly name: string; readonly snippet: string; readonly offset: number }

const index = JSON.parse(readFileSync(new URL('./fixtures/activations/sweep.json', import.meta.url), 'utf8')) as
    { count: number; inputOffset: number; cases: SweepCase[] };
const bytes = readFileSync(new URL('./fixtures/activations/sweep.bin', import.meta.url));
const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const input = blob.slice(index.inputOffset, index.inputOffset + index.count);

/**
 * The sweep 31 times over, so that a run is long enough for the worker thread to take parts (a split job's parts
 * are cut in runs of 16 elements: their seams fall inside the copies), and still ends with a part-filled vector.
 */
const COPIES = 31;
const tiled = (values: Float32Array) => {
    const out = new Float32Array(values.length * COPIES);
    for (let i = 0; i < COPIES; i++) out.set(values, i * values.length);
    return out;
};

const RELATIVE = 2e-6;
const TINY = 1e-10;
const TAIL_RELATIVE = 2e-5;
const ABSOLUTE = 1e-36;

/** The first element that disagrees with PyTorch, described; undefined when all agree. */
function firstDisagreement(actual: Float32Array, expected: Float32Array): string | undefined {
    for (let i = 0; i < expected.length; i++) {
        const a = actual[i], e = expected[i];
        const tolerance = Math.abs(e) >= TINY ? RELATIVE * Math.abs(e) : TAIL_RELATIVE * Math.abs(e) + ABSOLUTE;
        const agrees = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= tolerance;
        if (!agrees) return `x = ${input[i % input.length]} (element ${i}): ${a}, expected ${e}`;
    }
    return undefined;
}

const compiled = compiledKernels();
const engines: [string, () => Compute][] = [
    ['reference', () => createCompute({ engine: 'reference' })],
    ['fast, 1 thread', () => createCompute({ engine: 'fast', threads: 1 })],
    // Every activation split over both threads (threshold 0), whatever its size.
    ...(compiled ? [['fast, 2 threads, always split', () => createWasmCompute(compiled, 2, 0, { ...PARALLEL_THRESHOLDS, elementwise: 0 })] as [string, () => Compute]] : []),
];

describe(`activations match their true values element by element over ${index.count} float32 values`, () => {
    const made: Compute[] = [];
    afterAll(() => made.forEach(c => c.dispose()));

    it('has the fast kernels to test', () => {
        expect(compiled, 'this Node has WebAssembly SIMD').toBeDefined();
        expect(index.cases.length).toBe(13);
    });

    for (const [engine, make] of engines) {
        describe(engine, () => {
            // One engine for all the cases: a worker thread that starts late or is descheduled leaves its parts to
            // the caller, which runs every part, seams included, all the same.
            let compute: Compute | undefined;
            const engineReady = async (): Promise<Compute> => {
                if (!compute) {
                    compute = make();
                    made.push(compute);
                    // Splitting starts once the worker runs its loop (a run before that is the caller's alone).
                    await compute.started;
                }
                return compute;
            };
            const runOn = async (snippet: string): Promise<Float32Array> => {
                const graph = analyzeNetwork(await parse(singleOp([index.count * COPIES], snippet))).graph;
                const prepared = prepareNetwork(graph, new Map(), { compute: await engineReady() });
                return [...prepared.run(new Map([['input', new Tensor([index.count * COPIES], tiled(input))]])).outputs.values()][0].data;
            };
            for (const c of index.cases) {
                it(c.name, async () => {
                    const expected = tiled(blob.slice(c.offset, c.offset + index.count));
                    expect(firstDisagreement(await runOn(c.snippet), expected)).toBeUndefined();
                });
            }
            if (engine.includes('2 threads')) {
                it('the worker thread took parts (a GELU run again until it has, at most 200 times)', async () => {
                    const gelu = index.cases.find(c => c.name === 'gelu')!;
                    const expected = tiled(blob.slice(gelu.offset, gelu.offset + index.count));
                    for (let i = 0; i < 200 && (await engineReady()).workerParts === 0; i++) {
                        expect(firstDisagreement(await runOn(gelu.snippet), expected)).toBeUndefined();
                    }
                    expect((await engineReady()).workerParts).toBeGreaterThan(0);
                });
            }
        });
    }
});
