/**
 * The shared Squeeze-and-Excitation block (examples/blocks/squeeze_excitation.convnet) against torchvision's
 * torchvision.ops.SqueezeExcitation, in a tiny network that uses it in the paper's setting (ReLU, sigmoid gate),
 * MobileNetV3's (hard-sigmoid gate) and EfficientNet's (SiLU). The reference (test/fixtures/torchvision/
 * se_block.json) was made by make_se_block_fixture.py with PyTorch: the block must have torchvision's state_dict keys
 * and shapes and its parameter count, and run on torchvision's weights to torchvision's output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse, relativeError } from './helpers.js';
import { runNetwork } from '../runtime/executor.js';
import { Tensor } from '../runtime/tensor.js';
import type { ParameterStore } from '../runtime/weights.js';
import { ROOT } from './export-cases.js';

interface Stored { shape: number[]; values: number[] }
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'torchvision', 'se_block.json'), 'utf8')) as {
    params: number; input: Stored; output: Stored; state_dict: Record<string, Stored>;
};

const TINY = `import "./blocks/squeeze_excitation.convnet"

network Tiny(input: [1, 3, 6, 6]) {
  return input -> stem: conv(16, kernel: 3, padding: 1) -> se: SqueezeExcitation(squeeze: 4)
    -> conv: conv(24, kernel: 1) -> se2: SqueezeExcitation(squeeze: 8, gate: "hardsigmoid")
    -> se3: SqueezeExcitation(squeeze: 6, activation: "silu")
}
`;

describe('the shared SE block is torchvision\'s SqueezeExcitation', () => {
    const load = async () => {
        const block = fs.readFileSync(path.join(ROOT, 'examples', 'blocks', 'squeeze_excitation.convnet'), 'utf8');
        const parsed = await parse(TINY, { path: '/se/tiny.convnet', files: { '/se/blocks/squeeze_excitation.convnet': block } });
        expect(parsed.diagnostics.map(d => d.message)).toEqual([]);
        return analyzeNetwork(parsed).graph;
    };

    it('has torchvision\'s state_dict keys, shapes and parameter count', async () => {
        const graph = await load();
        const ours = Object.fromEntries(graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, [...p.shape]])));
        expect(ours).toEqual(Object.fromEntries(Object.entries(fixture.state_dict).map(([k, t]) => [k, t.shape])));
        expect(Object.keys(ours)).toContain('se2.fc1.weight');
        expect(graph.totals.params).toBe(fixture.params);
        expect(graph.totals.buffers).toBe(0);
    });

    it('computes torchvision\'s output from its weights', async () => {
        const graph = await load();
        const store: ParameterStore = new Map();
        for (const [key, t] of Object.entries(fixture.state_dict)) {
            const dot = key.lastIndexOf('.');
            store.set(key.slice(0, dot), { ...store.get(key.slice(0, dot)), [key.slice(dot + 1)]: Float32Array.from(t.values) });
        }
        const input = new Tensor(fixture.input.shape, Float32Array.from(fixture.input.values));
        const output = runNetwork(graph, new Map([['input', input]]), store).outputs.get(graph.outputs[0].name)!;
        expect([...output.shape]).toEqual(fixture.output.shape);
        expect(relativeError(output.data, Float32Array.from(fixture.output.values))).toBeLessThan(1e-4);
    });
});
