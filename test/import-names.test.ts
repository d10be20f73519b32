/**
 * Names survive a round trip through ONNX: a network whose layers torchvision names with a keyword (`block`), a `-`
 * (`block1-0`), a digit first (`3x3`), a Python keyword (`lambda`) or in a loop (`denselayer1` …) is exported, imported
 * back, and the written `.convnet` says those names in quotes, so its state_dict keys are the original's.
 */
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../interchange/export/onnx.js';
import { importOnnx } from '../interchange/import/onnx-to-convnet.js';
import { convnetText } from '../interchange/import/convnet-text.js';
import { stateDictKey, type NetworkGraph } from '../language/elaboration/graph.js';
import { initializeParameters } from '../runtime/weights.js';
import { COVERAGE_NETWORKS } from './export-cases.js';
import { analyzeNetwork, parse } from './helpers.js';

const keys = (graph: NetworkGraph) => graph.nodes.flatMap(n => n.params.map(p => stateDictKey(n.name, p.name))).sort();

describe('an import writes quoted labels, so names come back exactly', () => {
    it('block, block1-0, 3x3, in, return and computed names round-trip through ONNX', async () => {
        const original = analyzeNetwork(await parse(COVERAGE_NETWORKS['names as torchvision writes them'])).graph;
        const imported = importOnnx(exportOnnx(original, initializeParameters(original, 1)).bytes, { source: 'names.onnx' });
        expect(imported.text).toContain("'block1-0'");
        expect(imported.text).toContain("x -> 'block': [dwconv(3, padding: 1), 'in': batchnorm, relu, '3x3': conv(4, kernel: 1)]");
        expect(imported.text).toContain("      denseblock1: [denselayer1: Denselayer1, denselayer2: Denselayer1],\n      transition1: conv(4, kernel: 1),");
        expect(imported.text).toContain("    -> 'return': conv(4, kernel: 1)");
        expect(imported.text).toContain('-> lambda: conv(2, kernel: 1)'); // a Python keyword, not one of the language
        expect(imported.text).toMatch(/return 'out-1': \w+, out2: \w+/);
        const parsed = await parse(imported.text);
        expect(parsed.errors).toEqual([]);
        const back = analyzeNetwork(parsed).graph;
        expect(keys(back)).toEqual(keys(original));
        expect(keys(back)).toEqual(expect.arrayContaining(['features.block1-0.block.in.running_mean', 'features.denseblock2.denselayer2.conv1.weight', 'lambda.weight']));
        expect(back.outputs.map(o => o.name)).toEqual(['out-1', 'out2']);
    });

    it('a label is written bare when it can be, quoted otherwise, and never computed', () => {
        expect(['conv1', '0', '12', 'block', 'block1-0', '01', 'a{b}', "it's", 'say "hi"', 'both \'"', 'x\\y', 'param'].map(t => convnetText(t, 'label'))).toEqual([
            'conv1', '0', '12', "'block'", "'block1-0'", "'01'", "'a{{b}}'", '"it\'s"', '\'say "hi"\'', "'both \\'\"'", "'x\\\\y'", "'param'",
        ]);
        expect(['216', 'out-1', 'y'].map(t => convnetText(t, 'output'))).toEqual(["'216'", "'out-1'", 'y']);
        // What no label can hold is renamed as before.
        expect(['', 'a.b', 'tab\there', 'esc\x1b[2J', 'rtl\u202e'].map(t => convnetText(t, 'label'))).toEqual(['_', 'a_b', 'tab_here', 'esc_2J', 'rtl_']);
    });

    it('every label it writes reads back as the same name', async () => {
        const names = ['block', 'block1-0', '01', 'a{b}', "it's", 'say "hi"', 'both \'"', 'x\\y', '}{'];
        const items = names.map(n => `${convnetText(n, 'label')}: relu`).join(', ');
        const parsed = await parse(`network N(input: [1, 2, 4, 4]) {\n  return input -> [${items}]\n}\n`);
        expect(parsed.errors).toEqual([]);
        expect(analyzeNetwork(parsed).graph.nodes.map(n => n.name)).toEqual(names.map(n => `sequential.${n}`));
    });
});
