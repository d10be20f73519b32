/**
 * `--convention torchvision|fvcore|thop|ptflops|paper`: each preset against the figures the tool publishes (its
 * README table, torchvision's documentation, the papers) at the precision they are printed, and exactly against the
 * tool's rule applied to the torchvision model by PyTorch (test/fixtures/conventions/make_convention_fixtures.py).
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadExample, ROOT } from './zoo-helpers.js';
import { countWithConvention, type ConventionName } from '../language/analysis/conventions.js';
import { summarizeNetwork, summaryFigures } from '../language/analysis/summary.js';
import { renderSummaryTable } from '../language/render/summary-table.js';

interface ToolFigures { input: number[]; fvcore: number; thop: number; ptflops: number; unseen: { fvcore: number; thop: number; ptflops: number } }
const FIXTURE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'conventions', 'conventions.json'), 'utf8')).models as Record<string, ToolFigures>;
const TORCHVISION = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'torchvision-totals.json'), 'utf8')).models as Record<string, { macs: number }>;

const ZOO: { model: string; file: string; network: string }[] = [
    { model: 'alexnet', file: 'alexnet.convnet', network: 'AlexNet' },
    { model: 'vgg16', file: 'vgg16.convnet', network: 'VGG16' },
    { model: 'resnet18', file: 'resnet18.convnet', network: 'ResNet18' },
    { model: 'resnet50', file: 'resnet50.convnet', network: 'ResNet50' },
    { model: 'mobilenet_v2', file: 'mobilenet_v2.convnet', network: 'MobileNetV2' },
    { model: 'densenet121', file: 'densenet121.convnet', network: 'DenseNet121' },
    { model: 'squeezenet1_0', file: 'squeezenet.convnet', network: 'SqueezeNet1_0' },
    { model: 'shufflenet_v2_x1_0', file: 'shufflenet_v2.convnet', network: 'ShuffleNetV2' },
    { model: 'googlenet', file: 'googlenet.convnet', network: 'GoogLeNet' },
    { model: 'inception_v3', file: 'inception_v3.convnet', network: 'InceptionV3' },
    { model: 'resnext50_32x4d', file: 'resnext50_32x4d.convnet', network: 'ResNeXt50_32x4d' },
    { model: 'mobilenet_v3_large', file: 'mobilenet_v3_large.convnet', network: 'MobileNetV3Large' },
    { model: 'efficientnet_b0', file: 'efficientnet_b0.convnet', network: 'EfficientNetB0' },
    { model: 'regnet_y_400mf', file: 'regnet_y_400mf.convnet', network: 'RegNetY400MF' },
    { model: 'convnext_tiny', file: 'convnext_tiny.convnet', network: 'ConvNeXtTiny' },
];

const totals = new Map<string, Record<ConventionName, number>>();
async function totalsOf(model: string): Promise<Record<ConventionName, number>> {
    if (!totals.has(model)) {
        const entry = ZOO.find(z => z.model === model)!;
        const { graph } = await loadExample(entry.file, entry.network);
        const of = (c: ConventionName) => countWithConvention(graph, c).total;
        totals.set(model, { torchvision: of('torchvision'), paper: of('paper'), fvcore: of('fvcore'), thop: of('thop'), ptflops: of('ptflops') });
    }
    return totals.get(model)!;
}

describe('each preset equals its tool\'s rule applied by PyTorch to the torchvision model', () => {
    // Exactly, plus the rule applied to the functional calls of torchvision's forward the tool's hooks cannot see
    // (F.relu in GoogLeNet, x.mean in ShuffleNetV2 …): a .convnet file says what is computed, not how it was called.
    it.each(ZOO)('$model', async ({ model }) => {
        const ours = await totalsOf(model);
        const tool = FIXTURE[model];
        expect({ fvcore: ours.fvcore, thop: ours.thop, ptflops: ours.ptflops }).toEqual({
            fvcore: tool.fvcore + tool.unseen.fvcore, thop: tool.thop + tool.unseen.thop, ptflops: tool.ptflops + tool.unseen.ptflops,
        });
    });
});

/** A figure printed with `digits` decimals in units of `unit` (1e9: G). */
function printed(value: number, unit: number, digits: number): number {
    return Number((value / unit).toFixed(digits));
}

describe('each preset gives the figures its tool publishes', () => {
    // thop's README, "Results of Recent Models" (MACs(G), two decimals).
    const THOP_README: Record<string, number> = {
        alexnet: 0.77, vgg16: 15.61, resnet18: 1.82, resnet50: 4.14, resnext50_32x4d: 4.29, densenet121: 2.90,
        squeezenet1_0: 0.82, mobilenet_v2: 0.33, shufflenet_v2_x1_0: 0.15, inception_v3: 5.75,
    };
    // ptflops' README, "Benchmark / torchvision" (MACs(G) at 224×224).
    const PTFLOPS_README: Record<string, number> = {
        alexnet: 0.72, vgg16: 15.5, resnet18: 1.82, resnet50: 4.12, squeezenet1_0: 0.83, densenet121: 2.88,
    };
    it.each(Object.entries(THOP_README))('thop %s: %s G', async (model, published) => {
        const ours = await totalsOf(model);
        // The README's thop ran on torchvision's modules: what it printed is ours less what its hooks cannot see.
        expect(printed(ours.thop - FIXTURE[model].unseen.thop, 1e9, 2)).toBe(published);
    });
    it.each(Object.entries(PTFLOPS_README))('ptflops %s: %s G', async (model, published) => {
        const ours = await totalsOf(model);
        expect(printed(ours.ptflops - FIXTURE[model].unseen.ptflops, 1e9, published === 15.5 ? 1 : 2)).toBe(published);
    });
    // torchvision's documented "GFLOPS" (../shared/reference/torchvision-totals.json holds the exact MACs).
    it.each(ZOO.filter(z => TORCHVISION[z.model]))('torchvision $model', async ({ model }) => {
        expect((await totalsOf(model)).torchvision).toBe(TORCHVISION[model].macs);
    });
    // Torchvision's documentation (models/*.py docs, "GFLOPS") for the later networks.
    it.each([
        ['resnext50_32x4d', 4.23], ['densenet121', 2.83], ['mobilenet_v3_large', 0.22], ['regnet_y_400mf', 0.40],
        ['efficientnet_b0', 0.39], ['convnext_tiny', 4.46],
    ] as const)('torchvision %s: %s GFLOPS', async (model, published) => {
        expect(printed((await totalsOf(model)).torchvision, 1e9, 2)).toBe(published);
    });
    // The papers' own figures (multiply-adds): MobileNetV2 (Sandler et al. 2018, Table 4: 300M), ShuffleNet V2 1×
    // (Ma et al. 2018, Table 8: 146M), ResNet-18 (He et al. 2016, Table 1: 1.8×10⁹), EfficientNet-B0 (Tan & Le 2019,
    // Table 2: 0.39B), RegNetY-400MF (Radosavovic et al. 2020: 0.4 GF).
    // Papers print rounded figures, so within 1% (MobileNetV3-Large's paper, 219M, counts its own implementation:
    // torchvision's is 217M, and the test leaves it out). EfficientNet-B0 "0.39B" is ours to two decimals.
    it('paper efficientnet_b0: 0.39 B multiply-adds', async () => {
        expect(printed((await totalsOf('efficientnet_b0')).paper, 1e9, 2)).toBe(0.39);
    });
    it.each([
        ['mobilenet_v2', 300e6], ['shufflenet_v2_x1_0', 146e6], ['resnet18', 1.8e9], ['regnet_y_400mf', 0.4e9],
    ] as const)('paper %s: %s multiply-adds', async (model, published) => {
        expect(Math.abs((await totalsOf(model)).paper / published - 1)).toBeLessThan(0.01);
    });
});

describe('convnet summary --convention / --precision', () => {
    const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
    const RESNET18 = path.join(ROOT, 'examples', 'resnet18.convnet');
    const run = (...args: string[]) => {
        const r = spawnSync(process.execPath, [BIN, 'summary', RESNET18, ...args], { encoding: 'utf8', timeout: 60_000 });
        return { code: r.status, out: r.stdout, err: r.stderr };
    };

    it('--convention thop --json: thop\'s count of ResNet-18 (its rule applied by PyTorch)', () => {
        const r = run('--convention', 'thop', '--json');
        expect(r.code).toBe(0);
        const net = JSON.parse(r.out).networks[0];
        expect(net.convention.total).toBe(FIXTURE.resnet18.thop);
        expect(net.macs).toBe(TORCHVISION.resnet18.macs);
    });

    it('--precision int8: BOPs are torchvision\'s MACs × 8 × 8, weights one byte per parameter and BN statistic', () => {
        const r = run('--precision', 'int8', '--json');
        expect(r.code).toBe(0);
        const p = JSON.parse(r.out).networks[0].precision;
        expect(p.bops).toBe(TORCHVISION.resnet18.macs * 64);
        // torchvision's ResNet-18: 11,689,512 parameters and 2 × 4,800 BN running statistics.
        expect(p.weightBytes).toBe(11_689_512 + 9_600);
        const text = run('--precision', 'fp16');
        expect(text.out).toMatch(/At fp16 \(2 bytes per element\): weights 22\.3 MiB/);
        expect(text.out).not.toMatch(/Bit-operations/);
    });

    it.each([
        [['--convention', 'flops'], "--convention must be torchvision, fvcore, thop, ptflops or paper, not 'flops'"],
        [['--precision', 'mixed'], '--precision mixed is a training format (16-bit activations, float32 weights); it goes with --train'],
        [['--precision', 'fp64'], "--precision must be fp32, fp16, bf16 or int8 (or, with --train, fp32 or mixed), not 'fp64'"],
        [['--train', '--precision', 'int8'], "--train counts float32 or mixed-precision training: --precision must be fp32 or mixed with --train, not 'int8'"],
        [['--train', '--convention', 'thop'], '--convention goes with the summary itself, not with --train'],
    ])('bad input %j: one sentence, exit 2', (args, message) => {
        const r = run(...args);
        expect(r.code).toBe(2);
        expect(r.err.split('\n')[0]).toBe(`convnet: ${message}`);
        expect(r.out).toBe('');
    });
});

describe('the Summary view\'s copy carries the figures it shows (language/render/summary-table.ts)', () => {
    it('ResNet-18 as thop counts at int8: the column says whose count, the totals are thop\'s and MACs × 64 BOPs', async () => {
        const { graph } = await loadExample('resnet18.convnet', 'ResNet18');
        const csv = renderSummaryTable(summarizeNetwork(graph), 'csv', summaryFigures(graph, 'thop', 'int8')).split('\n');
        expect(csv[0]).toBe('Layer,Op,Output shape,Params,MACs (thop),Memory (int8 bytes),Traffic (int8 bytes),BOPs');
        const total = csv[csv.length - 1].split(',');
        expect(total[0]).toBe('Total');
        expect(Number(total[4])).toBe(FIXTURE.resnet18.thop);
        expect(Number(total[7])).toBe(TORCHVISION.resnet18.macs * 8 * 8);
        // The output activations at one byte each: what float32 takes, a quarter.
        expect(Number(total[5])).toBe(summarizeNetwork(graph).memory / 4);
    });
});
