/**
 * The zoo examples torchvision does not have, against the papers that define them: the figures each paper prints
 * (within the rounding it prints them with), and where a PyTorch module built after the paper exists as a fixture
 * (test/fixtures/papers/, made by the scripts beside it), its state_dict names and shapes, parameter count and
 * output shapes. Each example also checks clean and runs from a seeded initialisation to finite outputs.
 * The examples are listed in test/zoo-papers/*.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedDiagnostics, loadExample, ROOT, shapesOf, stateDictShapes } from './zoo-helpers.js';
import type { PaperExample } from './zoo-papers/types.js';
import { CLASSIFICATION } from './zoo-papers/classification.js';
import { DENSE } from './zoo-papers/dense.js';
import { runNetwork } from '../runtime/executor.js';
import { initializeParameters } from '../runtime/weights.js';
import { randomInputs } from '../io/inputs.js';

interface Fixture { input: number[]; outputs: number[][]; params: number; state_dict: Record<string, number[]> }

function fixture(name: string): Fixture {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'papers', `${name}.json`), 'utf8')) as Fixture;
}

const ZOO: PaperExample[] = [...CLASSIFICATION, ...DENSE];

describe.each(ZOO)('examples/$file ($network)', example => {
    const load = (input?: number[]) => loadExample(example.file, example.network, input && { from: example.input, to: input });

    it('checks clean: no errors and no warnings (nor in the files it imports)', async () => {
        const { parsed, files } = await load();
        expect(parsed.diagnostics.map(d => d.message)).toEqual(example.warnings ?? []);
        for (const [imported, messages] of Object.entries(importedDiagnostics(files))) expect(messages, imported).toEqual([]);
    });

    it(`has the figures of the paper (${example.source}) and its input and output shapes`, async () => {
        const { graph } = await load();
        expect(shapesOf(graph, graph.inputs)).toEqual([example.input]);
        expect(shapesOf(graph, graph.outputs)).toEqual(example.outputs);
        if (example.params) expect(Math.abs(graph.totals.params - example.params.value)).toBeLessThanOrEqual(example.params.within);
        if (example.macs) expect(Math.abs(graph.totals.macs - example.macs.value)).toBeLessThanOrEqual(example.macs.within);
    });

    if (example.pytorch) it('has the state_dict names and shapes, parameter count and outputs of the PyTorch module', async () => {
        const { graph } = await load();
        const torch = fixture(example.pytorch!);
        expect(shapesOf(graph, graph.inputs)).toEqual([torch.input]);
        expect(shapesOf(graph, graph.outputs)).toEqual(torch.outputs);
        expect(graph.totals.params).toBe(torch.params);
        const ours = stateDictShapes(graph);
        expect(Object.keys(ours).sort()).toEqual(Object.keys(torch.state_dict).sort());
        expect(ours).toEqual(torch.state_dict);
    });

    if (example.alsoAt) it('accepts other input sizes with the output shapes the paper gives', async () => {
        for (const other of example.alsoAt!) {
            const { graph } = await load(other.input);
            expect(shapesOf(graph, graph.outputs), other.input.join('×')).toEqual(other.outputs);
        }
    });

    it(`runs on the runtime from a seeded initialisation to finite outputs${example.runInput ? ` (at ${example.runInput.join('×')})` : ''}`, async () => {
        const { graph } = await load(example.runInput);
        const result = runNetwork(graph, randomInputs(graph, 1), initializeParameters(graph, 1));
        for (const port of graph.outputs) {
            const output = result.outputs.get(port.name)!;
            expect(output.data.every(Number.isFinite), port.name).toBe(true);
            // Not degenerate: the seeded weights and input give different values to different outputs.
            expect(Math.max(...output.data), port.name).toBeGreaterThan(Math.min(...output.data));
        }
    });
});
