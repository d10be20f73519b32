/**
 * The drawing of a network with its blocks folded: consecutive instances of one block that do the same work are
 * one box "×N", so ResNet-50's stages of 3, 4, 6 and 3 bottlenecks (He et al., table 1) read as a first block
 * (strided, with its projection) and one box for the rest.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layoutGraph } from '../language/render/graph-layout.js';
import { analyzeNetwork, parse } from './helpers.js';
import { ROOT } from './export-cases.js';

describe('folded drawings', () => {
    it('ResNet-50 with every block folded: each stage is its first bottleneck and one box for the repeated ones', async () => {
        const parsed = await parse(fs.readFileSync(path.join(ROOT, 'examples', 'resnet50.convnet'), 'utf8'));
        const { graph } = analyzeNetwork(parsed);
        const blocks = new Set(graph.modules.filter(m => m.kind === 'block').map(m => m.index));
        const layout = await layoutGraph(graph, blocks);
        const folded = layout.boxes.filter(b => b.collapsed).map(b => b.lines[0]);
        expect(folded).toEqual([
            'layer1.0 · Bottleneck', 'layer1.1 … 2 · Bottleneck ×2',
            'layer2.0 · Bottleneck', 'layer2.1 … 3 · Bottleneck ×3',
            'layer3.0 · Bottleneck', 'layer3.1 … 5 · Bottleneck ×5',
            'layer4.0 · Bottleneck', 'layer4.1 … 2 · Bottleneck ×2',
        ]);
        // The repeated box ends with the stage's output shape, and the drawing stays one chain of edges.
        const stage3 = layout.boxes.find(b => b.lines[0] === 'layer3.1 … 5 · Bottleneck ×5')!;
        expect(stage3.lines[1]).toBe('1×1024×14×14');
        const ids = new Set(layout.boxes.map(b => b.id));
        for (const edge of layout.edges) expect(ids.has(edge.id.split('>')[0]) && ids.has(edge.id.split('>')[1]), edge.id).toBe(true);
        expect(layout.edges.length).toBe(layout.boxes.filter(b => !(b.kind === 'module' && !b.collapsed)).length - 1);
    });
});
