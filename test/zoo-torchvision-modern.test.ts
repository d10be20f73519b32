/**
 * The networks of 2017–2022 in examples/ (ResNeXt-50 32×4d, DenseNet-121, MobileNetV3-Large, RegNetY-400MF,
 * EfficientNet-B0, ConvNeXt-Tiny) against torchvision itself, made at test time:
 * test/fixtures/torchvision/make_modern_zoo_fixtures.py, run once with /usr/bin/python3 (Debian's python3-torch and
 * python3-torchvision) for all of them, writes into test/.generated/zoo-modern/ each model's modules as its forward
 * pass calls them (class, first output shape, parameters, MACs, epsilon or p), a state_dict of a random initialisation with every
 * normalisation, bias and layer scale randomised, an input, and the logits PyTorch computes in float64. The files
 * are reused while the script is unchanged. Without PyTorch the tests fail, saying what to install.
 *
 * For each example:
 *   - `convnet check` has nothing to say: no errors and no warnings, in it or in the blocks it imports;
 *   - `convnet summary --json`, layer by layer: every module torchvision calls is a layer or module of ours under
 *     the same name, with the same output shape, the same parameters, (conv and linear) the same MACs and an op
 *     of its kind (a container is a block or list);
 *   - the settings the logits hardly show: every normalisation's epsilon, every dropout's and stochastic depth's p;
 *   - the state_dict: every key and shape of torchvision's, and no other;
 *   - totals: parameters exactly torchvision's (the model's and the published num_params), MACs within 0.5% of
 *     PyTorch's count (they are equal) and rounding to torchvision's published GFLOPS;
 *   - `convnet run --weights` on torchvision's state_dict, loaded by name with nothing renamed, gives PyTorch's logits
 *     within 1e-3 relative (max |ours − PyTorch| / max |PyTorch|) and the same top 5 in the same order.
 * Their ONNX and PyTorch exports and the ONNX round trip are checked with every other example (export-onnx,
 * export-pytorch and import-onnx tests, which glob examples/).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { parseSafetensors, toFloat32 } from '../io/safetensors.js';
import { stateDictKey } from '../language/elaboration/graph.js';
import { relativeError } from './helpers.js';
import { importedDiagnostics, loadExample, ROOT, type LoadedExample } from './zoo-helpers.js';

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'torchvision', 'make_modern_zoo_fixtures.py');
const GENERATED = path.join(ROOT, 'test', '.generated', 'zoo-modern');
const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-3;

interface TorchModule { type: string; output: number[]; params: number; macs: number; eps?: number; p?: number }
interface Figures {
    input: number[];
    output: number[];
    params: number;
    published_params: Record<string, number>;
    macs: number;
    modules: Record<string, TorchModule>;
    top5: number[];
    top5_margin: number;
}
interface Row { name: string; op?: string; output: number[]; params: number; macs: number }
interface Summary { params: number; macs: number; inputs: { shape: number[] }[]; outputs: { shape: number[] }[]; layers: Row[]; modules: Row[] }

interface Model {
    model: string;
    file: string;
    network: string;
    /** torchvision's documentation: num_params and GFLOPS of the model's weights (meta "_ops", torchvision ≥ 0.15). */
    published: { params: number; gflops: number };
    /**
     * Modules whose output is not torchvision's by design, with what it is instead: (ours, theirs, all of
     * torchvision's modules) → the output shape expected of ours.
     */
    outputs?: { pattern: RegExp; why: string; expected: (name: string, theirs: TorchModule, all: Record<string, TorchModule>) => number[] };
}

const MODELS: Model[] = [
    { model: 'resnext50_32x4d', file: 'resnext50_32x4d.convnet', network: 'ResNeXt50_32x4d', published: { params: 25_028_904, gflops: 4.23 } },
    {
        model: 'densenet121', file: 'densenet121.convnet', network: 'DenseNet121', published: { params: 7_978_856, gflops: 2.83 },
        // torchvision's _DenseLayer returns its growth-rate new channels and _DenseBlock concatenates; the example's layer
        // returns its input and its new channels concatenated (the file says why): its input is what its norm1 reads.
        outputs: {
            pattern: /\.denselayer\d+$/,
            why: 'a dense layer returns its input with its new channels',
            expected: (name, theirs, all) => [theirs.output[0], all[`${name}.norm1`].output[1] + theirs.output[1], ...theirs.output.slice(2)],
        },
    },
    { model: 'mobilenet_v3_large', file: 'mobilenet_v3_large.convnet', network: 'MobileNetV3Large', published: { params: 5_483_032, gflops: 0.22 } },
    { model: 'regnet_y_400mf', file: 'regnet_y_400mf.convnet', network: 'RegNetY400MF', published: { params: 4_344_144, gflops: 0.40 } },
    { model: 'efficientnet_b0', file: 'efficientnet_b0.convnet', network: 'EfficientNetB0', published: { params: 5_288_548, gflops: 0.39 } },
    { model: 'convnext_tiny', file: 'convnext_tiny.convnet', network: 'ConvNeXtTiny', published: { params: 28_589_128, gflops: 4.46 } },
];

/** Makes (or reuses, while the script is unchanged) the fixtures of every model, in one Python process. */
function generate(): void {
    const stamp = path.join(GENERATED, 'stamp.txt');
    const digest = crypto.createHash('sha256').update(fs.readFileSync(SCRIPT)).update(MODELS.map(m => m.model).join(',')).digest('hex');
    const files = MODELS.flatMap(m => ['layers.json', 'weights.safetensors', 'input.safetensors', 'expected.safetensors'].map(f => path.join(GENERATED, m.model, f)));
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest && files.every(f => fs.existsSync(f))) return;
    const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (probe.status !== 0) {
        throw new Error(`these tests need PyTorch and torchvision for ${PYTHON}, to make their references: install Debian's packages with `
            + `\`apt-get install python3-torch python3-torchvision\` (${PYTHON} said: ${(probe.stderr || probe.error?.message || '').trim().split('\n').at(-1)})`);
    }
    const started = Date.now();
    const result = spawnSync(PYTHON, [SCRIPT, '--out', GENERATED, '--models', MODELS.map(m => m.model).join(',')], { encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) {
        throw new Error(`${path.relative(ROOT, SCRIPT)} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${result.stderr}`);
    }
    console.log(`torchvision references made in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${result.stderr.trim()}`);
    fs.writeFileSync(stamp, digest);
}

function figures(model: Model): Figures {
    return JSON.parse(fs.readFileSync(path.join(GENERATED, model.model, 'layers.json'), 'utf8')) as Figures;
}

function readTensors(file: string): Map<string, { shape: readonly number[]; data: Float32Array }> {
    const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)), file);
    return new Map([...parsed.tensors].map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t) }]));
}

/** Runs the CLI in this process; fails on a non-zero exit or anything on stderr. */
async function cli(args: string[]): Promise<string> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, { out: t => out.push(t), err: t => err.push(t) });
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    return out.join('\n');
}

/**
 * The ops a layer may be for each torchvision module class (a depthwise Conv2d may be written `dwconv`, an
 * AdaptiveAvgPool2d(1) `globalavgpool`); a class not listed is a container, which must be a block or list of ours.
 */
const OPS_OF: Record<string, string[]> = {
    Conv2d: ['conv', 'dwconv'], Linear: ['linear'], BatchNorm2d: ['batchnorm'], LayerNorm: ['layernorm'], LayerNorm2d: ['layernorm2d'],
    ReLU: ['relu'], ReLU6: ['relu6'], Hardswish: ['hardswish'], Hardsigmoid: ['hardsigmoid'], SiLU: ['silu'], Sigmoid: ['sigmoid'], GELU: ['gelu'],
    MaxPool2d: ['maxpool'], AvgPool2d: ['avgpool'], AdaptiveAvgPool2d: ['adaptiveavgpool', 'globalavgpool'], Flatten: ['flatten'],
    Dropout: ['dropout'], StochasticDepth: ['stochasticdepth'], Permute: ['permute', 'channelslast', 'channelsfirst'], Identity: ['identity'],
};

function topK(data: ArrayLike<number>, k: number): number[] {
    return Array.from(data, (v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i);
}

beforeAll(() => generate(), 600_000);

describe.each(MODELS)('examples/$file ($network) against torchvision $model', model => {
    const file = path.join(ROOT, 'examples', model.file);
    let summary: Summary;
    let loaded: LoadedExample;

    beforeAll(async () => {
        const json = JSON.parse(await cli(['summary', file, '--json'])) as { networks: (Summary & { name: string })[] };
        summary = json.networks.find(n => n.name === model.network)!;
        expect(summary, `network ${model.network}`).toBeDefined();
        loaded = await loadExample(model.file, model.network);
    }, 120_000);

    it('checks clean: no errors and no warnings, nor in the blocks it imports', () => {
        const { parsed, files } = loaded;
        expect(parsed.diagnostics.map(d => `${d.range.start.line + 1}: ${String(d.message)}`)).toEqual([]);
        for (const [imported, messages] of Object.entries(importedDiagnostics(files))) expect(messages, imported).toEqual([]);
    });

    it('has torchvision\'s parameters exactly and its MACs (torchvision\'s convention), input and output shapes', () => {
        const torch = figures(model);
        expect(summary.inputs.map(i => i.shape)).toEqual([torch.input]);
        expect(summary.outputs.map(o => o.shape)).toEqual([torch.output]);
        expect(summary.params).toBe(torch.params);
        expect(summary.params).toBe(model.published.params);
        expect(Object.values(torch.published_params).every(p => p === model.published.params)).toBe(true);
        expect(Math.abs(summary.macs - torch.macs) / torch.macs).toBeLessThan(0.005);
        expect(summary.macs).toBe(torch.macs);
        expect(Math.round(summary.macs / 1e7) / 100).toBe(model.published.gflops);
    });

    it('has every module torchvision calls under its name, with its output shape, parameters and MACs', () => {
        const torch = figures(model);
        const ours = new Map([...summary.layers, ...summary.modules].map(r => [r.name, r]));
        const mismatches: string[] = [];
        for (const [name, theirs] of Object.entries(torch.modules)) {
            const mine = ours.get(name);
            if (!mine) {
                mismatches.push(`${name} (${theirs.type}): missing`);
                continue;
            }
            const exception = model.outputs?.pattern.test(name) ? model.outputs : undefined;
            const output = exception ? exception.expected(name, theirs, torch.modules) : theirs.output;
            if (JSON.stringify(mine.output) !== JSON.stringify(output)) mismatches.push(`${name} (${theirs.type}): output ${mine.output.join('×')}, expected ${output.join('×')}${exception ? ` (${exception.why})` : ''}`);
            if (mine.params !== theirs.params) mismatches.push(`${name} (${theirs.type}): ${mine.params} parameters, torchvision ${theirs.params}`);
            if (['Conv2d', 'Linear'].includes(theirs.type) && mine.macs !== theirs.macs) mismatches.push(`${name} (${theirs.type}): ${mine.macs} MACs, torchvision ${theirs.macs}`);
            const ops = OPS_OF[theirs.type];
            if (ops ? !ops.includes(mine.op ?? 'a block or list') : mine.op !== undefined) mismatches.push(`${name} (${theirs.type}): ${mine.op ?? 'a block or list'}`);
        }
        expect(mismatches).toEqual([]);
        // Every layer with parameters is one of torchvision's modules, but a block's own learned tensor (ConvNeXt's
        // layer_scale), which is a parameter of the module, not a module: the next test finds it in the state_dict.
        expect(summary.layers.filter(l => l.params > 0 && l.op !== 'parameter' && !(l.name in torch.modules)).map(l => l.name)).toEqual([]);
    });

    it('names every parameter and buffer as torchvision\'s state_dict does, with its shape', () => {
        const { graph } = loaded;
        const file = path.join(GENERATED, model.model, 'weights.safetensors');
        const theirs = Object.fromEntries([...parseSafetensors(new Uint8Array(fs.readFileSync(file)), file).tensors]
            .filter(([key]) => !key.endsWith('num_batches_tracked')).map(([key, t]) => [key, [...t.shape]]));
        const ours = Object.fromEntries(graph.nodes.flatMap(n => n.params.map(p => [stateDictKey(n.name, p.name), [...p.shape]])));
        expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
        expect(ours).toEqual(theirs);
    });

    it('has torchvision\'s settings that the logits hardly show: every norm\'s epsilon, every dropout\'s and stochastic depth\'s p', () => {
        const { graph } = loaded;
        const nodes = new Map(graph.nodes.map(n => [n.name, n]));
        const settings = Object.entries(figures(model).modules).flatMap(([name, m]) => (['eps', 'p'] as const)
            .filter(key => m[key] !== undefined).map(key => ({ name, key, theirs: m[key]!, ours: nodes.get(name)?.attrs[key] })));
        expect(settings.filter(s => s.key === 'eps').length).toBeGreaterThan(0);
        expect(settings.filter(s => !(typeof s.ours === 'number' && Math.abs(s.ours - s.theirs) <= 1e-12 * s.theirs))
            .map(s => `${s.name}: ${s.key} ${String(s.ours)}, torchvision ${s.theirs}`)).toEqual([]);
    });

    it(`runs on torchvision's state_dict to PyTorch's logits within ${TOLERANCE} relative, with the same top 5`, async () => {
        const torch = figures(model);
        const dir = path.join(GENERATED, model.model);
        const out = path.join(dir, 'ours.safetensors');
        await cli(['run', file, '--weights', path.join(dir, 'weights.safetensors'), '--input', path.join(dir, 'input.safetensors'), '--output', out, '--force']);
        const ours = readTensors(out).get('output')!;
        const expected = readTensors(path.join(dir, 'expected.safetensors')).get('output')!;
        expect(ours.shape).toEqual(expected.shape);
        const error = relativeError(ours.data, expected.data);
        console.log(`${model.network}: largest relative error ${error.toExponential(2)} (top-5 margin ${torch.top5_margin.toExponential(2)})`);
        expect(error).toBeLessThanOrEqual(TOLERANCE);
        expect(topK(ours.data, 5)).toEqual(torch.top5);
    }, 120_000);
});
