/**
 * `convnet import` of what torch.onnx.export writes for the networks of 2017–2022 (ResNeXt-50 32×4d, DenseNet-121,
 * MobileNetV3-Large, RegNetY-400MF, EfficientNet-B0, ConvNeXt-Tiny), made at test time by
 * test/fixtures/torchvision/make_modern_onnx_exports.py (Debian's PyTorch; reused while the script is unchanged):
 *   - the default export (constant folding folds each batch norm after a conv into it, and names the folded tensors
 *     onnx::Conv_…): the import reads without an error, has PyTorch's MACs and output shape, and its layers keep the
 *     module names the nodes carry — every Conv2d and Linear of torchvision is a layer of that name, and every layer
 *     with parameters is named after a module of torchvision;
 *   - the export with batch norms kept (training=PRESERVE, no folding): torchvision's parameters exactly and its
 *     state_dict, every key, with nothing renamed — ConvNeXt's layer_scale as the language's `param`.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../interchange/import/onnx-to-convnet.js';
import { stateDictKey } from '../language/elaboration/graph.js';
import { ROOT } from './export-cases.js';
import { analyzeNetwork, parse } from './helpers.js';

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'torchvision', 'make_modern_onnx_exports.py');
const GENERATED = path.join(ROOT, 'test', '.generated', 'import-modern');
const PYTHON = '/usr/bin/python3';
const MODELS = ['resnext50_32x4d', 'densenet121', 'mobilenet_v3_large', 'regnet_y_400mf', 'efficientnet_b0', 'convnext_tiny'];

interface Figures { output: number[]; params: number; macs: number; state_dict: string[]; weighted: string[] }

/** Makes (or reuses, while the scripts are unchanged) every model's exports and figures, in one Python process. */
function generate(): void {
    const stamp = path.join(GENERATED, 'stamp.txt');
    const digest = crypto.createHash('sha256').update(fs.readFileSync(SCRIPT))
        .update(fs.readFileSync(path.join(path.dirname(SCRIPT), 'make_modern_zoo_fixtures.py'))).update(MODELS.join(',')).digest('hex');
    const files = MODELS.flatMap(m => [`${m}.onnx`, `${m}_preserve.onnx`, `${m}.json`].map(f => path.join(GENERATED, f)));
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest && files.every(f => fs.existsSync(f))) return;
    const result = spawnSync(PYTHON, [SCRIPT, '--out', GENERATED, '--models', MODELS.join(',')], { encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) {
        throw new Error(`${path.relative(ROOT, SCRIPT)} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}); `
            + `it needs Debian's python3-torch and python3-torchvision:\n${result.stderr}`);
    }
    fs.writeFileSync(stamp, digest);
}

async function imported(file: string) {
    const result = importOnnx(fs.readFileSync(path.join(GENERATED, file)), { source: file });
    const parsed = await parse(result.text);
    expect(parsed.errors.map(d => d.message), result.text.slice(0, 4000)).toEqual([]);
    return { result, graph: analyzeNetwork(parsed).graph };
}

beforeAll(() => generate(), 600_000);

describe.each(MODELS)('torch.onnx.export of torchvision %s imports', model => {
    const figures = () => JSON.parse(fs.readFileSync(path.join(GENERATED, `${model}.json`), 'utf8')) as Figures;

    it('as exported by default (batch norms folded): PyTorch\'s MACs and output, and the module names the nodes carry', async () => {
        const { graph } = await imported(`${model}.onnx`);
        const torch = figures();
        expect(graph.totals.macs).toBe(torch.macs);
        expect(graph.outputs.map(o => [...graph.tensors[o.tensor].shape])).toEqual([torch.output]);
        const names = new Set(graph.nodes.map(n => n.name));
        expect(torch.weighted.filter(n => !names.has(n)), 'Conv2d and Linear modules without a layer of their name').toEqual([]);
        const moduleOf = (key: string) => key.slice(0, key.lastIndexOf('.'));
        const modules = new Set(torch.state_dict.map(moduleOf));
        const keys = graph.nodes.flatMap(n => n.params.map(p => stateDictKey(n.name, p.name)));
        expect(keys.filter(k => !modules.has(moduleOf(k))), 'parameters of a layer named after no module').toEqual([]);
    });

    it('with batch norms kept: torchvision\'s parameters and its state_dict, every key under its name', async () => {
        const { graph, result } = await imported(`${model}_preserve.onnx`);
        const torch = figures();
        expect([graph.totals.params, graph.totals.macs]).toEqual([torch.params, torch.macs]);
        expect(graph.nodes.flatMap(n => n.params.map(p => stateDictKey(n.name, p.name))).sort()).toEqual([...torch.state_dict].sort());
        expect(result.generatedNames).toBe(0);
    });
});
