/**
 * PyTorch export checked by PyTorch itself: every example and every op configuration (see export-cases.ts) is
 * written as a module, built by Debian's PyTorch (/usr/bin/python3), given the seeded weights through the module's
 * own safetensors loader, and run on the same input as our runtime; the outputs must agree within 1e-4 relative to
 * the output's scale, and the module's state_dict must be the network's names and shapes. All cases run in one
 * Python process (test/export-pytorch-runner.py).
 *
 * Needs python3-torch and python3-torchvision (Debian); without them this suite fails, saying so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNetwork } from '../runtime/executor.js';
import { stateDictKey } from '../language/elaboration/graph.js';
import { exportPytorch, PytorchExportError } from '../interchange/export/pytorch.js';
import { randomInputs } from '../io/inputs.js';
import type { Tensor } from '../runtime/tensor.js';
import { initializeParameters } from '../runtime/weights.js';
import { exampleCases, opCases, relativeError } from './export-cases.js';
import { analyzeNetwork, parse } from './helpers.js';
import { runInPytorch, torchProblem, type PytorchResult } from './pytorch-runner.js';

const TOLERANCE = 1e-4;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-pytorch-export-'));
let ours = new Map<string, Map<string, Tensor>>();
let results = new Map<string, PytorchResult>();
let worst = { error: 0, id: '' };

describe('PyTorch export runs in PyTorch as in our runtime', async () => {
    const cases = [...await exampleCases(), ...await opCases()];

    beforeAll(() => {
        const problem = torchProblem();
        if (problem) throw new Error(problem);
        // Seed 7 for the weights and the input; our runtime's outputs are the reference.
        const runs = cases.map(c => ({ id: c.id, graph: c.graph, parameters: initializeParameters(c.graph, 7), inputs: randomInputs(c.graph, 7) }));
        ours = new Map(runs.map(r => [r.id, runNetwork(r.graph, r.inputs, r.parameters).outputs]));
        results = runInPytorch(work, runs);
    }, 300_000);

    afterAll(() => {
        fs.rmSync(work, { recursive: true, force: true });
        console.log(`PyTorch export: largest relative error ${worst.error.toExponential(2)} (${worst.id})`);
    });

    it('has PyTorch (python3-torch, python3-torchvision)', () => {
        expect(torchProblem()).toBeUndefined();
    });

    it('finds the examples and every op configuration', () => {
        expect(cases.filter(c => c.id.startsWith('examples/')).length).toBeGreaterThanOrEqual(4);
        expect(cases.length).toBeGreaterThan(250);
    });

    it.each(cases.map(c => [c.id, c] as const))('%s', (id, c) => {
        const result = results.get(id);
        expect(result, 'ran').toBeDefined();
        expect(result!.error ?? '').toBe('');
        // state_dict: the network's names and shapes (num_batches_tracked are PyTorch's own counters).
        const theirs = Object.fromEntries(Object.entries(result!.stateDict!).filter(([k]) => !k.endsWith('num_batches_tracked')));
        const expected = Object.fromEntries(c.graph.nodes.flatMap(n => n.params.map(q => [stateDictKey(n.name, q.name), [...q.shape]])));
        expect(theirs).toEqual(expected);
        let error = 0;
        for (const [name, tensor] of ours.get(id)!) {
            const t = result!.outputs!.get(name);
            expect(t, `output ${name}`).toBeDefined();
            expect([...t!.shape], `shape of ${name}`).toEqual([...tensor.shape]);
            error = Math.max(error, relativeError(t!.data, tensor.data));
        }
        if (error > worst.error) worst = { error, id };
        expect(error).toBeLessThan(TOLERANCE);
    });
});

describe('the PyTorch source', () => {
    it('writes blocks as classes with their arguments, lists as nn.Sequential, layers under their names', async () => {
        const parsed = await parse(`
block BasicBlock(planes: int, stride: int = 1)(x) {
  y = x -> conv1: conv(planes, kernel: 3, stride: stride, padding: 1, bias: false) -> bn1: batchnorm -> relu
        -> conv2: conv(planes, kernel: 3, padding: 1, bias: false) -> bn2: batchnorm
  s = if stride != 1 or x.channels != planes then x -> downsample: [conv(planes, kernel: 1, stride: stride, bias: false), batchnorm] else x
  return relu(y + s)
}
network Tiny(input: [1, 3, 16, 16]) {
  return input -> conv1: conv(8, kernel: 3, padding: 1) -> layer1: [BasicBlock(8), BasicBlock(8)]
    -> layer2: [BasicBlock(16, stride: 2), BasicBlock(16)] -> layer3: [BasicBlock(32, stride: 2), BasicBlock(32)]
}
`);
        const source = exportPytorch(analyzeNetwork(parsed).graph).source;
        expect(source).toContain('class BasicBlock(nn.Module):');
        expect(source).toContain('def __init__(self, planes):');
        expect(source).toContain('self.conv1 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)');
        // The instances with a downsample branch are their own class, taking the input's channels.
        expect(source).toContain('class BasicBlock_2(nn.Module):');
        expect(source).toContain('self.downsample = nn.Sequential(nn.Conv2d(in_channels, planes, 1, stride=2, bias=False), nn.BatchNorm2d(planes))');
        expect(source).toContain('self.layer1 = nn.Sequential(BasicBlock(planes=8), BasicBlock(planes=8))');
        expect(source).toContain('self.layer2 = nn.Sequential(BasicBlock_2(in_channels=8, planes=16), BasicBlock(planes=16))');
        expect(source).toContain('self.layer3 = nn.Sequential(BasicBlock_2(in_channels=16, planes=32), BasicBlock(planes=32))');
        expect(source).toContain('class Tiny(nn.Module):');
        expect(source).toMatch(/y = y \+ x\n\s+y = F\.relu\(y\)/);
        expect(source).toContain('def load_weights(model, path):');
    });

    it('refuses clearly, naming the layer, what PyTorch cannot express', async () => {
        const parsed = await parse('network P(x: [1, 2, 9, 9]) {\n  return x -> pool: avgpool(3, padding: ((1, 0), (0, 1)), count_include_pad: false)\n}\n');
        const graph = analyzeNetwork(parsed).graph;
        expect(() => exportPytorch(graph)).toThrow(PytorchExportError);
        expect(() => exportPytorch(graph)).toThrow(/layer 'pool' \(avgpool\) to PyTorch: .*count_include_pad: false/);
    });
});
