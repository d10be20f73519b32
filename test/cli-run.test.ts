/**
 * `convnet run`: its report (text, JSON, profile), the outputs it writes, its inputs (seeded, safetensors, npy,
 * image), determinism, and its errors — each one clear line and a non-zero exit, never a stack trace. The
 * numbers are checked against PyTorch's (test/fixtures/e2e/tiny, made by test/fixtures/e2e/make_e2e_fixtures.py).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { parseByteSize, parseNormalization } from '../cli/run.js';
import { encodeSafetensors, parseSafetensors, toFloat32 } from '../io/safetensors.js';
import { Tensor } from '../runtime/tensor.js';
import { relativeError } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TINY = path.join(ROOT, 'test', 'fixtures', 'e2e', 'tiny');
const IMAGES = path.join(ROOT, 'test', 'fixtures', 'runtime-io', 'images');
const NPY = path.join(ROOT, 'test', 'fixtures', 'runtime-io', 'npy');
let dir: string;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-run-'));
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

interface Ran {
    code: number;
    out: string;
    err: string;
}

async function convnet(...argv: string[]): Promise<Ran> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: t => out.push(t), err: t => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
}

function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

function readTensors(file: string): Map<string, Tensor> {
    const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)));
    return new Map([...parsed.tensors].map(([k, t]) => [k, new Tensor(t.shape, toFloat32(t))]));
}

const tiny = (...extra: string[]) => [
    'run', path.join(TINY, 'tiny.convnet'), '--weights', path.join(TINY, 'weights.safetensors'), '--input', path.join(TINY, 'input.safetensors'), ...extra,
];

/** A single line starting with `convnet:`, with no trace of a stack. */
function expectOneLineError(r: Ran, code = 1): void {
    expect(r.code).toBe(code);
    expect(r.out).toBe('');
    const lines = r.err.split('\n');
    expect(lines[0]).toMatch(/^convnet: /);
    if (code === 1) expect(lines).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
}

describe('convnet run', () => {
    it('prints shapes, statistics, top-5 of each row, the time and the memory', async () => {
        const r = await convnet(...tiny());
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const lines = r.out.split('\n');
        expect(lines[0]).toMatch(/^TinyNet: 25 layers; weights: .*weights\.safetensors \(25 tensors; ignored: 3 num_batches_tracked\); input: input 2×3×20×20 from .*input\.safetensors$/);
        expect(lines[1]).toMatch(/^output logits: 2×10 {2}min -17\.29\d* {2}max 8\.03\d* {2}mean -3\.03\d* {2}std 6\.55\d*$/);
        expect(lines[2]).toMatch(/^ {2}top-5 of row 0: 1 \(8\.03\d*\), 6 \(5\.58\d*\), /);
        expect(lines[3]).toMatch(/^ {2}top-5 of row 1: 1 \(5\.81\d*\), 6 \(3\.27\d*\), /);
        expect(lines[4]).toMatch(/^output features: 2×16×5×5 {2}min 0 {2}max 43\.04\d* /);
        expect(lines[5]).toMatch(/^time: [\d.]+ ms \(wasm (relaxed-)?simd, \d+ threads?\)$/);
        expect(lines[6]).toMatch(/^memory planned: [\d.]+ KiB \(activations .*, scratch .*, parameters 12\.4 KiB\)$/);
    });

    it('writes every output under its name, matching PyTorch within 1e-4 relative', async () => {
        const file = path.join(dir, 'out.safetensors');
        const r = await convnet(...tiny('--output', file));
        expect(r.code).toBe(0);
        expect(r.out).toContain(`outputs written to ${file} (logits, features)`);
        const ours = readTensors(file);
        const expected = readTensors(path.join(TINY, 'expected.safetensors'));
        expect([...ours.keys()]).toEqual(['logits', 'features']);
        for (const [name, reference] of expected) {
            expect(ours.get(name)!.shape).toEqual(reference.shape);
            expect(relativeError(ours.get(name)!.data, reference.data)).toBeLessThan(1e-4);
        }
        expect(parseSafetensors(new Uint8Array(fs.readFileSync(file))).metadata).toEqual({ producer: 'convnet run', network: 'TinyNet' });
    });

    it('--json prints the same report as JSON, with statistics of the PyTorch outputs', async () => {
        const r = await convnet(...tiny('--json'));
        expect(r.code).toBe(0);
        const report = JSON.parse(r.out);
        expect(report.network).toBe('TinyNet');
        expect(report.weights).toMatchObject({ source: 'file', tensors: 25, ignored: ['bn.num_batches_tracked', 'branch.bn.num_batches_tracked', 'res.bn1.num_batches_tracked'] });
        expect(report.inputs).toEqual([{ name: 'input', shape: [2, 3, 20, 20], source: 'safetensors', path: path.join(TINY, 'input.safetensors') }]);
        const expected = readTensors(path.join(TINY, 'expected.safetensors'));
        const logits = expected.get('logits')!.data;
        const [stats, features] = report.outputs;
        expect(stats).toMatchObject({ name: 'logits', shape: [2, 10] });
        expect(stats.min).toBeCloseTo(Math.min(...logits), 4);
        expect(stats.max).toBeCloseTo(Math.max(...logits), 4);
        const mean = logits.reduce((s, v) => s + v, 0) / logits.length;
        expect(stats.mean).toBeCloseTo(mean, 4);
        expect(stats.std).toBeCloseTo(Math.sqrt(logits.reduce((s, v) => s + (v - mean) ** 2, 0) / logits.length), 4);
        for (let row = 0; row < 2; row++) {
            const values = Array.from(logits.subarray(10 * row, 10 * row + 10));
            const order = values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(p => p[1]);
            expect(stats.top5PerRow[row].map((t: { index: number }) => t.index)).toEqual(order);
        }
        expect(features).toMatchObject({ name: 'features', shape: [2, 16, 5, 5], min: 0 });
        expect(features.top5).toBeUndefined();
        expect(report.totalMs).toBeGreaterThan(0);
        expect(report.memory.total).toBe(report.memory.activations + report.memory.scratch + report.memory.parameters);
        expect(report.profile).toBeUndefined();
    });

    it('--profile adds a per-layer table, slowest first, and totals by op', async () => {
        const r = await convnet(...tiny('--profile'));
        expect(r.code).toBe(0);
        const lines = r.out.split('\n');
        // A tiny network: five warm runs fit in the profile's second; the times are their medians.
        const start = lines.indexOf('per step, slowest first: the median of 5 warm runs after the first (# is the execution order; a conv with the layers it absorbed is one step):');
        expect(start).toBeGreaterThan(0);
        expect(r.out).toMatch(/^time: [\d.]+ ms \(wasm [^)]*\); warm: [\d.]+ ms, the median of 5 more runs$/m);
        expect(lines[start + 2]).toMatch(/^\s*#\s+Layer\s+Op\s+Output shape\s+ms\s+share$/);
        // 25 layers run as 16 steps: each conv absorbs the batch norm and the activation after it (ReLU, ReLU6, the
        // SE gate's sigmoid; runtime/fusion.ts).
        const rows = lines.slice(start + 4, start + 4 + 16);
        const names = rows.map(l => l.trim().split(/\s+/)[1]);
        expect(new Set(names).size).toBe(16);
        expect(names).toContain('res.conv1');
        expect(names).not.toContain('bn');
        const ms = rows.map(l => Number(l.trim().split(/\s+/).at(-2)));
        expect([...ms].sort((a, b) => b - a)).toEqual(ms);
        expect(lines.at(-1)).toMatch(/^by op: conv [\d.]+ ms \([\d.]+%\)|by op: .*conv [\d.]+ ms/);
        const json = JSON.parse((await convnet(...tiny('--profile', '--json'))).out);
        expect(json.profile[0]).toMatchObject({ node: 0, name: 'stem', op: 'conv + batchnorm + relu' }); // execution order
        expect(json.profile).toHaveLength(16);
        expect(json.profile.map((t: { op: string }) => t.op)).toContain('conv + sigmoid');
        expect(json.warm.runs).toBe(5);
        // Before them, untimed runs while V8 swaps in its optimized kernels: a tiny network's 20 within the quarter second.
        expect(json.warm.untimedRuns).toBe(20);
        for (const step of json.profile) expect(step.minMs <= step.ms && step.ms <= step.maxMs, step.name).toBe(true);
        const reference = JSON.parse((await convnet(...tiny('--profile', '--json', '--engine', 'reference'))).out);
        expect(reference.profile.map((t: { name: string }) => t.name).slice(0, 3)).toEqual(['stem', 'bn', 'relu']);
        expect(reference.profile).toHaveLength(25);
        // The fallback where WebAssembly SIMD is missing: the fast plan (fused steps) on the TypeScript kernels.
        const typescript = JSON.parse((await convnet(...tiny('--profile', '--json', '--engine', 'typescript'))).out);
        expect(typescript.engine).toBe('typescript (no WebAssembly SIMD)');
        expect(typescript.profile.map((t: { op: string }) => t.op)).toEqual(json.profile.map((t: { op: string }) => t.op));
    });

    it('seeds weights and inputs: the same seed gives identical outputs, another seed others', async () => {
        const net = write('seeded.convnet', 'network Seeded(input: [1, 3, 16, 16]) {\n  return input -> conv(8, kernel: 3) -> batchnorm -> relu -> globalavgpool -> flatten -> fc: linear(5)\n}\n');
        const run = async (seed: string) => {
            const file = path.join(dir, `seed${seed}-${Math.random()}.safetensors`);
            const r = await convnet('run', net, '--seed', seed, '--output', file);
            expect(r.code).toBe(0);
            return { text: r.out.split('\n').slice(0, 3).join('\n'), bytes: fs.readFileSync(file) };
        };
        const first = await run('5');
        const second = await run('5');
        expect(first.text).toMatch(/^Seeded: 6 layers; weights: seeded \(seed 5\); input: input 1×3×16×16 random normal \(seed 5\)\noutput output: 1×5 .*\n {2}top-5: /);
        expect(second.bytes.equals(first.bytes)).toBe(true);
        expect(second.text).toBe(first.text);
        expect((await run('6')).bytes.equals(first.bytes)).toBe(false);
    });

    it('takes a .npy array and a PNG or JPEG image (resized, normalised) as the input', async () => {
        const net = write('image.convnet', 'network Image(input: [1, 3, 4, 4]) {\n  return input -> identity\n}\n');
        const npy = await convnet('run', net, '--input', path.join(NPY, 'input_1x3x4x4.npy'), '--json');
        expect(npy.code).toBe(0);
        expect(JSON.parse(npy.out).outputs[0]).toMatchObject({ min: -3, max: 0.5 * 47 - 3 });
        const png = await convnet('run', net, '--input', path.join(IMAGES, 'rgb.png'), '--json');
        expect(png.code).toBe(0);
        const stats = JSON.parse(png.out).outputs[0];
        expect(stats.min).toBeGreaterThanOrEqual(0);
        expect(stats.max).toBeLessThanOrEqual(1);
        const normalized = await convnet('run', net, '--input', path.join(IMAGES, 'rgb.jpg'), '--normalize', 'imagenet', '--json');
        expect(normalized.code).toBe(0);
        expect(JSON.parse(normalized.out).outputs[0].min).toBeLessThan(-1);
        const custom = await convnet('run', net, '--input', path.join(IMAGES, 'rgb.png'), '--normalize', '0.5,0.5,0.5/0.5,0.5,0.5', '--json');
        const c = JSON.parse(custom.out).outputs[0];
        expect(c.min).toBeCloseTo(stats.min * 2 - 1, 5);
        expect(c.max).toBeCloseTo(stats.max * 2 - 1, 5);
    });

    it('chooses a network with --network and asks for one when the file has several', async () => {
        const file = write('two.convnet', 'network A(input: [1, 2]) {\n  return input -> relu\n}\nnetwork B(input: [1, 3]) {\n  return input -> sigmoid\n}\n');
        const ambiguous = await convnet('run', file);
        expectOneLineError(ambiguous, 2);
        expect(ambiguous.err).toMatch(/has 2 networks \(A, B\); choose one with --network NAME/);
        const b = await convnet('run', file, '--network', 'B');
        expect(b.code).toBe(0);
        expect(b.out).toMatch(/^B: 1 layers; .*\noutput output: 1×3 /);
    });
});

describe('convnet run errors: one clear line, non-zero exit', () => {
    it('an unknown network', async () => {
        const r = await convnet(...tiny('--network', 'Nope'));
        expectOneLineError(r, 2);
        expect(r.err).toMatch(/tiny\.convnet: no network named 'Nope' \(it has TinyNet\)$/);
    });

    it('a missing .convnet, weights or input file', async () => {
        expectOneLineError(await convnet('run', path.join(dir, 'none.convnet')), 2);
        const weights = await convnet('run', path.join(TINY, 'tiny.convnet'), '--weights', path.join(dir, 'none.safetensors'));
        expectOneLineError(weights);
        expect(weights.err).toBe(`convnet: ${path.join(dir, 'none.safetensors')}: cannot read the weights: no such file`);
        expectOneLineError(await convnet('run', path.join(TINY, 'tiny.convnet'), '--input', path.join(dir, 'none.npy')));
    });

    it('a malformed weights file', async () => {
        const good = fs.readFileSync(path.join(TINY, 'weights.safetensors'));
        const truncated = path.join(dir, 'truncated.safetensors');
        fs.writeFileSync(truncated, good.subarray(0, good.length - 100));
        const r = await convnet('run', path.join(TINY, 'tiny.convnet'), '--weights', truncated);
        expectOneLineError(r);
        expect(r.err).toMatch(/truncated\.safetensors: tensor '[\w.]+': its data ends at byte \d+ of the data, but only \d+ bytes follow the header/);
    });

    it('weights that do not fit the network', async () => {
        const weights = path.join(dir, 'wrong.safetensors');
        const original = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(TINY, 'weights.safetensors'))));
        const tensors = [...original.tensors]
            .filter(([k, t]) => k !== 'fc.bias' && t.dtype === 'F32')
            .map(([k, t]) => [k, k === 'stem.weight' ? Tensor.zeros([8, 3, 5, 5]) : new Tensor(t.shape, toFloat32(t))] as [string, Tensor]);
        fs.writeFileSync(weights, encodeSafetensors(tensors));
        const r = await convnet('run', path.join(TINY, 'tiny.convnet'), '--weights', weights);
        expectOneLineError(r);
        expect(r.err).toBe(`convnet: ${weights}: the weights do not fit TinyNet: 1 tensor has the wrong shape: stem.weight: expected [8, 3, 3, 3], found [8, 3, 5, 5]; 1 key is missing: fc.bias`);
    });

    it('unexpected tensors in the weights are an error unless --allow-unexpected', async () => {
        const weights = path.join(dir, 'extra.safetensors');
        const original = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(TINY, 'weights.safetensors'))));
        const tensors = [...original.tensors].map(([k, t]) => [k, new Tensor(t.shape, toFloat32(t))] as [string, Tensor]);
        fs.writeFileSync(weights, encodeSafetensors([...tensors, ['head.weight', Tensor.zeros([3, 16])]]));
        const strict = await convnet(...tiny().map(a => (a.endsWith('weights.safetensors') ? weights : a)));
        expectOneLineError(strict);
        expect(strict.err).toBe(`convnet: ${weights}: the weights do not fit TinyNet: 1 key is unexpected (no layer of TinyNet has it): head.weight`);
        const allowed = await convnet(...tiny('--allow-unexpected').map(a => (a.endsWith('weights.safetensors') ? weights : a)));
        expect(allowed.code).toBe(0);
        expect(allowed.out.split('\n')[0]).toContain('(25 tensors; ignored: 3 num_batches_tracked, 1 unexpected)');
    });

    it('an input of the wrong shape shows both shapes', async () => {
        const r = await convnet('run', path.join(TINY, 'tiny.convnet'), '--input', path.join(NPY, 'input_1x3x4x4.npy'));
        expectOneLineError(r);
        expect(r.err).toBe(`convnet: ${path.join(NPY, 'input_1x3x4x4.npy')}: the array (<f4) has shape 1×3×4×4, but input 'input' of TinyNet is 2×3×20×20`);
        const image = await convnet('run', path.join(TINY, 'tiny.convnet'), '--input', path.join(IMAGES, 'rgb.png'));
        expectOneLineError(image);
        expect(image.err).toMatch(/an image can only feed an input of shape 1×3×H×W \(RGB\) or 1×1×H×W \(grey\); this input is 2×3×20×20$/);
    });

    it('a run over the memory budget is refused with the figure and the largest layers', async () => {
        const r = await convnet(...tiny('--memory-budget', '20KiB'));
        expectOneLineError(r);
        expect(r.err).toMatch(/^convnet: TinyNet needs [\d.]+ KiB \(activations .*\), over the memory budget of 20\.0 KiB\. Largest layers: stem \(conv, 2×8×10×10: 6\.25 KiB\); bn .*Reduce the input size or batch, or raise the budget\.$/);
    });

    it('--normalize without an image input', async () => {
        const r = await convnet('run', path.join(TINY, 'tiny.convnet'), '--normalize', 'imagenet');
        expectOneLineError(r);
        expect(r.err).toBe('convnet: --normalize applies to an image given with --input');
    });

    it('a network with errors prints them and exits 1', async () => {
        const file = write('broken.convnet', 'network Broken(input: [1, 3, 8, 8]) {\n  return input -> convv(8, kernel: 3)\n}\n');
        const r = await convnet('run', file);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/broken\.convnet:2:19: error: unknown op or block 'convv'/);
        expect(r.err).toMatch(/convnet: .*broken\.convnet: 1 error; fix it to run the network$/);
    });

    it('bad option values are usage errors (exit 2)', async () => {
        for (const [args, message] of [
            [['--seed', 'x'], "--seed must be an integer from 0 to 4294967295, not 'x'"],
            [['--memory-budget', 'lots'], "--memory-budget must be a size such as 2GiB, 512MiB or 100000000 (bytes), not 'lots'"],
            [['--normalize', 'cifar'], "--normalize must be 'imagenet' or MEAN,…/STD,…"],
            [['--frobnicate'], 'unknown option --frobnicate'],
            [['--weights'], '--weights needs a value'],
        ] as const) {
            const r = await convnet('run', path.join(TINY, 'tiny.convnet'), ...args);
            expect(r.code).toBe(2);
            expect(r.err.split('\n')[0]).toContain(`convnet: ${message}`);
            expect(r.err).toContain('convnet run FILE [options]');
        }
        expect((await convnet('run')).err).toMatch(/^convnet: run takes exactly one file/);
    });

    it('the installed command exits non-zero with the message and no stack trace', () => {
        const bundle = path.join(ROOT, 'out', 'cli.cjs');
        expect(fs.existsSync(bundle), 'out/cli.cjs is built by `npm test` (node esbuild.mjs)').toBe(true);
        const bad = spawnSync(process.execPath, [path.join(ROOT, 'cli', 'bin', 'convnet.cjs'), ...tiny('--memory-budget', '1KiB')], { encoding: 'utf8' });
        expect(bad.status).toBe(1);
        expect(bad.stdout).toBe('');
        expect(bad.stderr).toMatch(/^convnet: TinyNet needs .* over the memory budget of 1\.00 KiB\./);
        expect(bad.stderr.trim().split('\n')).toHaveLength(1);
        const good = spawnSync(process.execPath, [path.join(ROOT, 'cli', 'bin', 'convnet.cjs'), ...tiny()], { encoding: 'utf8' });
        expect(good.stderr).toBe('');
        expect(good.status).toBe(0);
        expect(good.stdout).toMatch(/^TinyNet: 25 layers/);
    });
});

describe('option parsing', () => {
    it('memory sizes: binary units with i, decimal without, plain bytes', () => {
        expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
        expect(parseByteSize('512 MiB')).toBe(512 * 1024 ** 2);
        expect(parseByteSize('1.5GB')).toBe(1.5e9);
        expect(parseByteSize('100000')).toBe(100000);
        expect(parseByteSize('64k')).toBe(64000);
        expect(parseByteSize('-1')).toBeUndefined();
        expect(parseByteSize('lots')).toBeUndefined();
    });

    it('normalisation: imagenet, or means/stds', () => {
        expect(parseNormalization('imagenet')).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
        expect(parseNormalization('0.5,0.4/0.2,0.1')).toEqual({ mean: [0.5, 0.4], std: [0.2, 0.1] });
        expect(parseNormalization('0.5/0')).toBeUndefined();
        expect(parseNormalization('0.5,0.5/0.2')).toBeUndefined();
    });
});
