/**
 * Every op's shape rule and cost rule against PyTorch. The fixture (test/fixtures/ops/op-cases.json) was written by
 * make_op_fixtures.py with Debian's PyTorch 1.13 / torchvision 0.14: each case is one op in one configuration (a
 * chain step, or a small network for ops with several inputs) and what PyTorch says about the equivalent module when
 * it is run — output shapes, state_dict tensors, parameter and buffer counts and, where torch.profiler counts them,
 * MACs (see the script's header for how conv1d/conv3d/transposed convs are brought under that counter, and why the
 * parameter-free ops have 0).
 *
 * Each case is parsed, validated and elaborated as the editor does; the node of the op under test must then have
 * PyTorch's output shapes, its `params` list must be the module's state_dict (name → shape, buffers marked as
 * buffers), and its MAC count must be the profiler's. Configurations PyTorch refuses (a dim out of range, a mask of
 * the wrong batch …) must be errors in ConvNet as well.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse, singleOp } from './helpers.js';
import { numel } from '../language/ops/shape-utils.js';
import { allOps } from '../language/ops/registry.js';

interface OpCase {
    readonly id: string;
    /** Canonical ConvNet name of the op under test (the graph node's `op`). */
    readonly op: string;
    readonly inputs: readonly (readonly number[])[];
    /** A chain step applied to the single input … */
    readonly step?: string;
    /** … or a whole network. */
    readonly network?: string;
    readonly module?: string;
    readonly torch: TorchResult | { readonly error: string };
}

interface TorchResult {
    readonly outputs: readonly (readonly number[])[];
    readonly state_dict: Readonly<Record<string, readonly number[]>>;
    readonly buffer_names: readonly string[];
    readonly params: number;
    readonly buffers: number;
    readonly macs?: number;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/ops/op-cases.json', import.meta.url), 'utf8')) as { torch: string; cases: OpCase[] };

function sourceOf(c: OpCase): string {
    return c.network ?? singleOp(c.inputs[0], c.step!);
}

const accepted = fixture.cases.flatMap(c => ('error' in c.torch ? [] : [[c.id, c, c.torch] as const]));
const rejected = fixture.cases.flatMap(c => ('error' in c.torch ? [[c.id, c, c.torch.error] as const] : []));

describe(`ops match PyTorch ${fixture.torch} (shapes, state_dict, parameter counts, profiler MACs)`, () => {
    it('has fixtures for every op of the registry (every 1-D, 2-D and 3-D variant)', () => {
        expect(accepted.length).toBeGreaterThan(250);
        expect(rejected.length).toBeGreaterThan(30);
        const ops = new Set(accepted.map(([, c]) => c.op));
        for (const op of allOps().map(o => o.name)) {
            expect(ops, op).toContain(op);
        }
    });

    it.each(accepted)('%s', async (_id, c, torch) => {
        const parsed = await parse(sourceOf(c));
        expect(parsed.errors.map(e => e.message)).toEqual([]);
        const { graph } = analyzeNetwork(parsed);
        const nodes = graph.nodes.filter(n => n.op === c.op);
        expect(nodes.map(n => n.op)).toEqual([c.op]);
        const node = nodes[0];

        // Shapes: the node's outputs, and what the network returns (the case's networks return exactly them).
        expect(node.outputs.map(t => graph.tensors[t].shape)).toEqual(torch.outputs);
        expect(graph.outputs.map(p => graph.tensors[p.tensor].shape)).toEqual(torch.outputs);
        expect(graph.inputs.map(p => graph.tensors[p.tensor].shape)).toEqual(c.inputs);

        // Parameters: name → shape as in the state_dict, buffers marked as buffers, and the counts.
        expect(Object.fromEntries(node.params.map(p => [p.name, p.shape]))).toEqual(torch.state_dict);
        expect(node.params.length).toBe(Object.keys(torch.state_dict).length);
        expect(node.params.filter(p => p.kind === 'buffer').map(p => p.name).sort()).toEqual([...torch.buffer_names].sort());
        const count = (buffers: boolean) => node.params.filter(p => (p.kind === 'buffer') === buffers).reduce((n, p) => n + numel(p.shape), 0);
        expect(count(false)).toBe(torch.params);
        expect(count(true)).toBe(torch.buffers);
        expect(graph.totals.params).toBe(torch.params);
        expect(graph.totals.buffers).toBe(torch.buffers);

        if (torch.macs !== undefined) {
            expect(node.macs).toBe(torch.macs);
            expect(graph.totals.macs).toBe(torch.macs);
        }
    });
});

describe('configurations PyTorch rejects are errors in ConvNet too', () => {
    it.each(rejected)('%s', async (_id, c, error) => {
        const parsed = await parse(sourceOf(c));
        expect(parsed.errors.length, `PyTorch: ${error}`).toBeGreaterThan(0);
    });
});
