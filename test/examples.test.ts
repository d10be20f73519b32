/**
 * The four foundation examples against independent references: torchvision's published totals
 * (a copy of ../shared/reference/torchvision-totals.json in test/fixtures/reference) and the state_dict of the PyTorch model
 * (test/fixtures/state-dicts, made by make_state_dicts.py), key by key and shape by shape.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REFERENCE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'torchvision-totals.json'), 'utf8')).models as Record<string, { input: number[]; output: number[]; params: number; macs: number }>;

const EXAMPLES = [
    { file: 'lenet5.convnet', network: 'LeNet5', reference: 'lenet5' },
    { file: 'resnet18.convnet', network: 'ResNet18', reference: 'resnet18' },
    { file: 'resnet50.convnet', network: 'ResNet50', reference: 'resnet50' },
    { file: 'mobilenet_v2.convnet', network: 'MobileNetV2', reference: 'mobilenet_v2' },
];

describe.each(EXAMPLES)('examples/$file', ({ file, network, reference }) => {
    const load = async () => {
        const filePath = path.join(ROOT, 'examples', file);
        const parsed = await parse(fs.readFileSync(filePath, 'utf8'), { path: filePath });
        return { parsed, analysis: analyzeNetwork(parsed, network) };
    };

    it('checks clean: no errors and no warnings', async () => {
        const { parsed } = await load();
        expect(parsed.diagnostics.map(d => d.message)).toEqual([]);
    });

    it('has the published totals: params exactly, MACs within 0.5%', async () => {
        const { analysis } = await load();
        const expected = REFERENCE[reference];
        const { graph } = analysis;
        expect(graph.inputs.map(p => graph.tensors[p.tensor].shape)).toEqual([expected.input]);
        expect(graph.outputs.map(p => graph.tensors[p.tensor].shape)).toEqual([expected.output]);
        expect(graph.totals.params).toBe(expected.params);
        expect(Math.abs(graph.totals.macs - expected.macs) / expected.macs).toBeLessThan(0.005);
    });

    it('names every parameter and buffer as the PyTorch state_dict does, with the same shapes', async () => {
        const { analysis } = await load();
        const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'state-dicts', `${reference}.json`), 'utf8')) as { state_dict: Record<string, number[]> };
        const ours: Record<string, number[]> = {};
        for (const node of analysis.graph.nodes) for (const p of node.params) ours[`${node.name}.${p.name}`] = [...p.shape];
        expect(Object.keys(ours).sort()).toEqual(Object.keys(fixture.state_dict).sort());
        expect(ours).toEqual(fixture.state_dict);
    });
});
