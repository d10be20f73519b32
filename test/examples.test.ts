/**
 * The four foundation examples (LeNet-5, ResNet-18, ResNet-50, MobileNetV2) against independent references:
 * torchvision's published totals (test/fixtures/reference/torchvision-totals.json, a copy of ../shared/reference)
 * and the PyTorch models themselves (test/fixtures/torchvision/<model>.json, written by make_state_dict_fixtures.py
 * from torchvision with no weights and from a PyTorch LeNet-5): every state_dict key with its shape, the output
 * shape, and the output shape of every parameterised layer as forward hooks saw it on a real forward pass.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse, type Parsed } from './helpers.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Reference { input: number[]; output: number[]; params: number; macs: number }
interface Fixture {
    input: number[];
    output: number[];
    params: number;
    state_dict: Record<string, number[]>;
    /** Leaf modules that own parameters, in forward order, with their hooked output shapes. */
    layers: [string, number[]][];
}

const REFERENCE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'torchvision-totals.json'), 'utf8')).models as Record<string, Reference>;

function fixture(reference: string): Fixture {
    return JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'torchvision', `${reference}.json`), 'utf8')) as Fixture;
}

const EXAMPLES = [
    { file: 'lenet5.convnet', network: 'LeNet5', reference: 'lenet5' },
    { file: 'resnet18.convnet', network: 'ResNet18', reference: 'resnet18' },
    { file: 'resnet50.convnet', network: 'ResNet50', reference: 'resnet50' },
    { file: 'mobilenet_v2.convnet', network: 'MobileNetV2', reference: 'mobilenet_v2' },
];

async function load(file: string, network: string): Promise<{ parsed: Parsed; graph: NetworkGraph }> {
    const filePath = path.join(ROOT, 'examples', file);
    const parsed = await parse(fs.readFileSync(filePath, 'utf8'), { path: filePath });
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    return { parsed, graph: analyzeNetwork(parsed, network).graph };
}

function shapesOf(graph: NetworkGraph, ports: NetworkGraph['inputs']): number[][] {
    return ports.map(p => [...graph.tensors[p.tensor].shape]);
}

describe.each(EXAMPLES)('examples/$file', ({ file, network, reference }) => {
    const totals = REFERENCE[reference];
    const torch = fixture(reference);

    it('checks clean: no errors and no warnings', async () => {
        const { parsed } = await load(file, network);
        expect(parsed.diagnostics.map(d => d.message)).toEqual([]);
    });

    it('has the published totals: params exactly, MACs within 0.5%, input and output shapes', async () => {
        const { graph } = await load(file, network);
        expect(shapesOf(graph, graph.inputs)).toEqual([totals.input]);
        expect(shapesOf(graph, graph.outputs)).toEqual([totals.output]);
        expect(graph.totals.params).toBe(totals.params);
        expect(Math.abs(graph.totals.macs - totals.macs) / totals.macs).toBeLessThan(0.005);
    });

    it('has the output shape PyTorch computes and the parameter count of the PyTorch model', async () => {
        const { graph } = await load(file, network);
        expect(shapesOf(graph, graph.inputs)).toEqual([torch.input]);
        expect(shapesOf(graph, graph.outputs)).toEqual([torch.output]);
        expect(graph.totals.params).toBe(torch.params);
    });

    it('names every parameter and buffer as the PyTorch state_dict does, with the same shapes', async () => {
        const { graph } = await load(file, network);
        const ours: Record<string, number[]> = {};
        for (const node of graph.nodes) for (const p of node.params) ours[`${node.name}.${p.name}`] = [...p.shape];
        expect(Object.keys(ours).sort()).toEqual(Object.keys(torch.state_dict).sort());
        expect(ours).toEqual(torch.state_dict);
    });

    it('gives every parameterised layer the output shape PyTorch\'s forward hooks saw, in forward order', async () => {
        const { graph } = await load(file, network);
        const ours = graph.nodes.filter(n => n.params.length > 0).map(n => [n.name, [...graph.tensors[n.outputs[0]].shape]]);
        expect(torch.layers.length).toBeGreaterThan(0);
        expect(ours).toEqual(torch.layers);
    });
});
