/**
 * End to end: `convnet run` on the examples with torchvision's state_dict reproduces PyTorch's output.
 *
 * - A small committed fixture (test/fixtures/e2e/tiny: a net of conv, depthwise conv, batch norm, pooling, concat,
 *   squeeze-and-excitation, residual and linear layers, a batch of 2, two outputs) needs nothing at test time.
 * - ResNet-18, MobileNetV2 and DeepLabV3's ASPP head (torchvision's DeepLabHead on 2048×28² features) use the
 *   torchvision modules with random weights; their state_dicts (≈ 47, 14 and 65 MB) are not committed but made here, into test/.generated/e2e/, by
 *   test/fixtures/e2e/make_e2e_fixtures.py run with /usr/bin/python3 — Debian's python3-torch and
 *   python3-torchvision. Without them these tests fail with a message saying what to install.
 *
 * Tolerance: max |ours − PyTorch| / max |PyTorch| ≤ 1e-3, PyTorch's output computed in float64.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { relativeError } from './helpers.js';
import { GENERATED, generate, readTensors, requireTorch } from './e2e-fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOLERANCE = 1e-3;

async function runAndCompare(convnetFile: string, dir: string, outFile: string): Promise<Map<string, number>> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['run', convnetFile, '--weights', path.join(dir, 'weights.safetensors'), '--input', path.join(dir, 'input.safetensors'), '--output', outFile, '--force'],
        { out: t => out.push(t), err: t => err.push(t) });
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    const ours = readTensors(outFile);
    const expected = readTensors(path.join(dir, 'expected.safetensors'));
    const errors = new Map<string, number>();
    for (const [name, reference] of expected) {
        const mine = ours.get(name);
        expect(mine, `output '${name}'`).toBeDefined();
        expect(mine!.shape).toEqual(reference.shape);
        errors.set(name, relativeError(mine!.data, reference.data));
    }
    expect([...ours.keys()].sort()).toEqual([...expected.keys()].sort());
    return errors;
}

describe('committed tiny fixture (no PyTorch needed)', () => {
    it('TinyNet reproduces PyTorch for both outputs', async () => {
        const dir = path.join(ROOT, 'test', 'fixtures', 'e2e', 'tiny');
        fs.mkdirSync(GENERATED, { recursive: true });
        const errors = await runAndCompare(path.join(dir, 'tiny.convnet'), dir, path.join(GENERATED, 'tiny-output.safetensors'));
        console.log(`TinyNet max relative error: ${[...errors].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
        for (const [name, error] of errors) expect(error, name).toBeLessThanOrEqual(TOLERANCE);
    });
});

const MODELS = [
    { model: 'resnet18', example: 'resnet18.convnet' },
    { model: 'mobilenet_v2', example: 'mobilenet_v2.convnet' },
    { model: 'deeplabv3_head', example: 'deeplabv3_aspp.convnet' },
].filter(m => fs.existsSync(path.join(ROOT, 'examples', m.example)));

describe('torchvision models with their state_dict (PyTorch made at test time)', () => {
    it('covers ResNet-18 at least', () => {
        expect(MODELS.map(m => m.model)).toContain('resnet18');
    });

    for (const { model, example } of MODELS) {
        it(`${example} reproduces torchvision's ${model} within ${TOLERANCE} relative`, async () => {
            requireTorch();
            const dir = generate(model);
            const errors = await runAndCompare(path.join(ROOT, 'examples', example), dir, path.join(dir, 'ours.safetensors'));
            console.log(`${model} max relative error: ${[...errors].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
            for (const [name, error] of errors) expect(error, name).toBeLessThanOrEqual(TOLERANCE);
        }, 600_000);
    }
});
