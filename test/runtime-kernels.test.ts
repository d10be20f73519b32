/**
 * Every runtime kernel against PyTorch. The fixtures (test/fixtures/kernels/kernels.json + kernels.bin) were written
 * by make_kernel_fixtures.py with Debian's PyTorch 1.13 / torchvision 0.14: each case is a small ConvNet network,
 * its inputs and parameters (by layer and state_dict name), and what PyTorch computes for it.
 *
 * Each case is parsed and elaborated as the editor does, its parameters loaded into a ParameterStore, run with
 * `runNetwork`, and each output compared with PyTorch's:
 *
 *     relative error = max|ours − torch| / max|torch|  ≤ 1e−4      (test/helpers.ts: relativeError)
 *
 * Non-finite reference values (a max-pool window that lies wholly in the padding gives −∞) must match exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse, relativeError } from './helpers.js';
import { runNetwork } from '../runtime/executor.js';
import { allOps } from '../language/ops/registry.js';
import { elementCount, Tensor } from '../runtime/tensor.js';
import type { ParameterStore } from '../runtime/weights.js';

interface FixtureTensor {
    readonly name: string;
    readonly shape: readonly number[];
    readonly offset: number;
    readonly layer?: string;
}

interface FixtureCase {
    readonly name: string;
    readonly family: string;
    readonly snippet: string;
    readonly inputs: readonly FixtureTensor[];
    readonly params: readonly FixtureTensor[];
    readonly outputs: readonly FixtureTensor[];
}

const TOLERANCE = 1e-4;

const index = JSON.parse(readFileSync(new URL('./fixtures/kernels/kernels.json', import.meta.url), 'utf8')) as { elements: number; cases: FixtureCase[] };
const bytes = readFileSync(new URL('./fixtures/kernels/kernels.bin', import.meta.url));
const blob = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

function data(t: FixtureTensor): Float32Array {
    return blob.slice(t.offset, t.offset + elementCount(t.shape));
}


const opsRun = new Set<string>();

const families = new Map<string, FixtureCase[]>();
for (const c of index.cases) families.set(c.family, [...(families.get(c.family) ?? []), c]);

describe('runtime kernels match PyTorch (relative error ≤ 1e-4 of the output\'s largest magnitude)', () => {
    it('has fixtures', () => {
        expect(blob.length).toBe(index.elements);
        expect(index.cases.length).toBeGreaterThan(200);
    });

    for (const [family, cases] of families) {
        describe(family, () => {
            for (const c of cases) {
                it(c.name, async () => {
                    const parsed = await parse(c.snippet);
                    expect(parsed.errors.map(e => e.message), c.snippet).toEqual([]);
                    const graph = analyzeNetwork(parsed).graph;
                    for (const node of graph.nodes) opsRun.add(node.op);
                    const inputs = new Map(c.inputs.map(t => [t.name, new Tensor(t.shape, data(t))]));
                    const params: ParameterStore = new Map();
                    for (const p of c.params) params.set(p.layer!, { ...params.get(p.layer!), [p.name]: data(p) });
                    // Every parameter the graph asks for is in the fixture, with PyTorch's shape.
                    for (const node of graph.nodes) {
                        for (const p of node.params) {
                            const given = c.params.find(q => q.layer === node.name && q.name === p.name);
                            expect(given?.shape, `${node.name}.${p.name}`).toEqual(p.shape);
                        }
                    }
                    const result = runNetwork(graph, inputs, params);
                    expect([...result.outputs.keys()].sort()).toEqual(c.outputs.map(o => o.name).sort());
                    for (const expected of c.outputs) {
                        const actual = result.outputs.get(expected.name)!;
                        expect(actual.shape, `shape of ${expected.name}`).toEqual(expected.shape);
                        const error = relativeError(actual.data, data(expected));
                        expect(error, `relative error of ${expected.name}`).toBeLessThanOrEqual(TOLERANCE);
                    }
                });
            }
        });
    }

    it('ran the kernel of every op (every 1-D, 2-D and 3-D variant) against a PyTorch reference', () => {
        const missing = allOps().map(op => op.name).filter(op => !opsRun.has(op));
        expect(missing).toEqual([]);
    });
});

describe('ReLU at the edges of float32, as torch.relu', () => {
    // torch.relu(torch.tensor([nan, -nan, -inf, inf, -0., -1e-30, 2.5])) → [nan, nan, 0, inf, -0., 0, 2.5]
    // (torch 1.13): NaN propagates whatever its sign bit; a zero's sign is not compared here (0 == -0).
    const negativeNaN = new Float32Array(new Uint32Array([0xffc00000]).buffer)[0];
    const given = [NaN, negativeNaN, -Infinity, Infinity, -0, -1e-30, 2.5];
    const expected = [NaN, NaN, 0, Infinity, 0, 0, 2.5];
    it.each(['reference', 'fast'] as const)('on the %s engine', async engine => {
        const graph = analyzeNetwork(await parse('network R(input: [1, 7]) {\n  return input -> relu\n}\n')).graph;
        const input = new Tensor([1, 7], Float32Array.from(given));
        const out = [...runNetwork(graph, new Map([['input', input]]), new Map(), { engine }).outputs.values()][0].data;
        expected.forEach((value, i) => {
            if (Number.isNaN(value)) expect(out[i], `element ${i}`).toBeNaN();
            else expect(out[i] === value, `element ${i}: ${out[i]} for ${given[i]}`).toBe(true);
        });
    });
});
