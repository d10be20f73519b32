/**
 * What the networks of 2017–2022 add to a CNN, as torch.onnx.export writes it, imported back: a conv with
 * padding_mode "reflect" (Pad → Conv), torchvision's LayerNorm2d (Transpose → layer norm → Transpose), a ConvNeXt
 * block (a depthwise conv with padding_mode "replicate", Permutes as lone Transposes, LayerNorm, Linear, GELU) at
 * opset 13 (the layer norms written out) and 17. The fixture (test/fixtures/import/convnext_ops*, made by
 * make_convnext_ops_fixtures.py with PyTorch) holds PyTorch's parameter count, MACs, output shape and state_dict
 * keys; the import must have them, and read each pattern as the language's op for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../interchange/import/onnx-to-convnet.js';
import { ROOT } from './export-cases.js';
import { analyzeNetwork, parse } from './helpers.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'import');
const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'convnext_ops.json'), 'utf8')) as {
    files: Record<string, number>; input: number[]; params: number; macs: number; output: number[]; state_dict: string[];
};

describe('torch.onnx\'s exports of padding_mode, LayerNorm2d and a ConvNeXt block import as the language\'s ops', () => {
    it.each(Object.entries(reference.files))('%s (opset %i)', async file => {
        const result = importOnnx(fs.readFileSync(path.join(FIXTURES, file)), { source: file });
        const parsed = await parse(result.text);
        expect(parsed.diagnostics.map(d => d.message), result.text).toEqual([]);
        const graph = analyzeNetwork(parsed).graph;
        expect([graph.totals.params, graph.totals.macs]).toEqual([reference.params, reference.macs]);
        expect(graph.outputs.map(o => [...graph.tensors[o.tensor].shape])).toEqual([reference.output]);
        expect(graph.nodes.flatMap(n => n.params.map(p => `${n.name}.${p.name}`)).sort()).toEqual([...reference.state_dict].sort());
        expect(graph.nodes.map(n => `${n.op}:${n.name}`), result.text).toEqual([
            'conv:stem', 'layernorm2d:norm', 'dwconv:block.0', 'channelslast:block.1', 'layernorm:block.2', 'linear:block.3', 'gelu:block.4',
            'linear:block.5', 'channelsfirst:block.6', 'add:add',
        ]);
        expect(graph.nodes.find(n => n.name === 'stem')!.attrs).toMatchObject({ padding: 1, padding_mode: 'reflect' });
        expect(graph.nodes.find(n => n.name === 'block.0')!.attrs).toMatchObject({ padding: 1, padding_mode: 'replicate' });
        expect(graph.nodes.find(n => n.name === 'norm')!.attrs.eps).toBeCloseTo(1e-6, 12);
    });
});
