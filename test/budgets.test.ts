/**
 * Budgets: the `# budget: …` comment above a network (a diagnostic on its name, live in the editor) and
 * `convnet check --budget …` (exit status 1 for CI). The figures compared are PyTorch's: torchvision's ResNet-18 has
 * 11,689,512 parameters and 1,814,073,344 MACs (../shared/reference/torchvision-totals.json).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './zoo-helpers.js';
import { parse } from './helpers.js';
import { parseBudget } from '../language/analysis/budgets.js';

const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
const RESNET18 = path.join(ROOT, 'examples', 'resnet18.convnet');
const check = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, 'check', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('convnet check --budget', () => {
    it('ResNet-18 over params < 5M and macs < 600M: two errors with the figures and the ratio, exit 1', () => {
        const r = check(RESNET18, '--budget', 'params<5M,macs<600M');
        expect(r.code).toBe(1);
        // 11,689,512 / 5e6 = 2.3×; 1,814,073,344 / 600e6 = 3.0×
        expect(r.out).toContain('ResNet18: Params 11.69 M exceed the budget of 5.00 M by 2.3× (--budget)');
        expect(r.out).toContain('ResNet18: MACs 1.81 G exceed the budget of 600.00 M by 3.0× (--budget)');
    });

    it('within its budget: exit 0', () => {
        const r = check(RESNET18, '--budget', 'params < 11.7M, macs <= 1814073344');
        expect(r.code).toBe(0);
        expect(r.out).toBe('');
    });

    it('on the limit itself: < refuses it, <= allows it', () => {
        expect(check(RESNET18, '--budget', 'params < 11689512').code).toBe(1);
        expect(check(RESNET18, '--budget', 'params <= 11689512').code).toBe(0);
    });

    it.each([
        ['params 5M', "--budget: 'params 5M' is not a budget: write a figure, < or <=, and a limit, e.g. 'macs < 600M' or 'memory < 200MiB'"],
        ['speed < 3', "--budget: unknown budget figure 'speed' (params, macs, flops, memory, memory(train, batch N), latency(DEVICE))"],
        ['memory < 3Q', "--budget: 'Q' is not a size unit in 'memory < 3Q' (B, KB, MB, GB, KiB, MiB, GiB)"],
        ['memory(train, batch 0) < 8GiB', "--budget: 'memory(train, batch 0) < 8GiB': 'batch 0' is not batch N (1 … 2147483648), sgd, sgd-momentum, adam, fp32 or mixed"],
        ['latency(desktop-cpu-core) < 20', "--budget: 'latency(desktop-cpu-core) < 20': a latency limit needs a time unit (s, ms, us)"],
        ['latency(toaster) < 20ms', "--budget: 'latency(toaster) < 20ms': unknown device 'toaster' (desktop-cpu-core, laptop-gpu, phone-arm-core, this-machine)"],
    ])('bad budget %j: one sentence, exit 2', (budget, message) => {
        const r = check(RESNET18, '--budget', budget);
        expect(r.code).toBe(2);
        expect(r.err.split('\n')[0]).toBe(`convnet: ${message}`);
    });
});

describe('latency budgets: the roofline of a device profile', () => {
    // One linear layer 4096 → 4096 without bias: 2·4096² = 33,554,432 FLOPs; it reads its 4096² float32 weights
    // (67,108,864 B) and its input (16,384 B) and writes its output (16,384 B). On the desktop profile (Intel's
    // published i7-8700K figures: 75.2 GFLOP/s for one core, 41.6 GB/s) it is memory-bound:
    // 67,141,632 B / 41.6 GB/s = 1.6140 ms, + 2 µs per layer = 1.616 ms (compute alone: 0.446 ms).
    const LINEAR = (budget: string) => `# budget: ${budget}\nnetwork Wide(x: [1, 4096]) {\n  return x -> linear(4096, bias: false)\n}\n`;
    it('over and within the predicted time on a shipped profile', async () => {
        const over = await parse(LINEAR('latency(desktop-cpu-core) < 1.6ms'));
        expect(over.diagnostics.map(d => d.message)).toEqual(['Wide: latency(desktop-cpu-core) 1.62 ms exceed the budget of 1.6 ms by 1.0×']);
        expect((await parse(LINEAR('latency(desktop-cpu-core) < 1.62ms, latency(laptop-gpu) < 300us'))).diagnostics).toEqual([]);
    });
    it('this machine uncalibrated: the budget cannot be checked, and says how to calibrate (exit 1 in CI)', () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-budget-'));
        try {
            const r = spawnSync(process.execPath, [BIN, 'check', RESNET18, '--budget', 'latency(this machine) < 20ms'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CACHE_HOME: cache } });
            expect(r.status).toBe(1);
            expect(r.stdout).toContain('ResNet18: latency(this-machine) cannot be checked: this machine is not calibrated yet');
            expect(r.stdout).toContain('run: convnet calibrate (--budget)');
        } finally {
            fs.rmSync(cache, { recursive: true, force: true });
        }
    });
});

describe('# budget: above a network', () => {
    const NET = (budget: string) => `# budget: ${budget}\nnetwork Small(input: [1, 3, 32, 32]) {\n  return input -> conv(16, kernel: 3, padding: 1, bias: false) -> relu -> flatten -> fc: linear(10)\n}\n`;
    // conv: 16·3·3·3 = 432 params, 32·32·16·27 = 442,368 MACs; fc: 16,384·10 + 10 = 163,850 params, 163,840 MACs.
    it('an exceeded budget is an error on the network\'s name, with the figure, the budget and the ratio', async () => {
        const parsed = await parse(NET('params < 100k, macs < 700k'));
        const errors = parsed.diagnostics.filter(d => d.severity === 1);
        expect(errors.map(d => d.message)).toEqual(['Small: Params 164.28 k exceed the budget of 100.00 k by 1.6×']);
        expect(errors[0].range.start).toEqual({ line: 1, character: 8 });
    });
    it('a budget met gives no diagnostic; a malformed one says what is wrong', async () => {
        expect((await parse(NET('params < 200k, macs < 700k, memory(train, batch 8) < 1GiB'))).diagnostics).toEqual([]);
        const bad = await parse(NET('params < lots'));
        expect(bad.diagnostics.map(d => d.message)).toEqual(["budget of Small: 'params < lots' is not a budget: write a figure, < or <=, and a limit, e.g. 'macs < 600M' or 'memory < 200MiB'"]);
    });
    it('refuses what is no unit or no number, and an item longer than any budget before matching it', () => {
        expect(parseBudget('params < 5constructor')).toEqual({ error: "'constructor' is not a count unit in 'params < 5constructor' (k, M, G, T)" });
        expect(parseBudget('memory < 5toString')).toEqual({ error: "'toString' is not a size unit in 'memory < 5toString' (B, KB, MB, GB, KiB, MiB, GiB)" });
        expect(parseBudget('macs < 1e999')).toEqual({ error: "'macs < 1e999': the limit 1e999 is not a finite number" });
        const long = parseBudget(`params${' '.repeat(40_000)}x`);
        expect('error' in long && long.error).toMatch(/^a budget item of 40007 characters \('params +… +x'\) is longer than any budget$/);
    });
    it('parses every unit to the number it names', () => {
        expect(parseBudget('params < 5M, macs <= 1.5G, memory < 200MiB, memory(train, batch 32, adam, mixed) < 8GiB')).toEqual({ items: [
            { metric: 'params', label: 'params', limit: 5e6, inclusive: false },
            { metric: 'macs', label: 'MACs', limit: 1.5e9, inclusive: true },
            { metric: 'memory', label: 'memory', limit: 200 * 2 ** 20, inclusive: false },
            { metric: 'train-memory', label: 'memory(train, batch 32, adam, mixed)', limit: 8 * 2 ** 30, inclusive: false, training: { batch: 32, optimizer: 'adam', precision: 'mixed' } },
        ] });
    });
});
