/**
 * The installed `convnet` command (cli/bin/convnet.cjs and the bundle it loads), run as a separate process on
 * files in a temporary directory: `check` and `summary`, their output formats, exit codes and errors. Running it
 * as its own process also runs the parser on the main thread's (smaller) stack, where deep nesting must still
 * end in a diagnostic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
const RESNET18 = path.join(ROOT, 'examples', 'resnet18.convnet');
let dir: string;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-cli-'));
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

interface Ran {
    code: number | null;
    out: string;
    err: string;
}

/** Runs the command in the temporary directory (so files print as their bare names). */
function convnet(...args: string[]): Ran {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, out: result.stdout, err: result.stderr };
}

function write(name: string, text: string): string {
    fs.writeFileSync(path.join(dir, name), text);
    return name;
}

const lines = (text: string) => text.split('\n').filter(l => l.length > 0);
const DIAGNOSTIC_LINE = /^[^:\n]+\.convnet:\d+:\d+: (error|warning|info): [^\n]+$/;

describe('convnet check', () => {
    it('prints nothing on stdout and exits 0 for a clean file', () => {
        const r = convnet('check', write('clean.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> conv(8, kernel: 3, padding: 1) -> relu\n}\n'));
        expect(r.code).toBe(0);
        expect(r.out).toBe('');
        expect(r.err.trim()).toBe('1 file checked: no problems');
    });

    it('prints file:line:col: severity: message and exits 1 on an error', () => {
        const file = write('bad.convnet', 'network N(input: [1, 3, 8, 8]) {\n  unused = input -> relu\n  return input -> maxpol(2)\n}\n');
        const r = convnet('check', file);
        expect(r.code).toBe(1);
        // Unknown names (found while linking) come before the checks that follow.
        expect(lines(r.out)).toEqual([
            "bad.convnet:3:19: error: unknown op or block 'maxpol'; did you mean 'maxpool'?",
            "bad.convnet:2:3: warning: 'unused' is assigned but never used",
        ]);
        expect(r.err.trim()).toBe('1 error, 1 warning');
    });

    it('exits 0 when a file has only warnings', () => {
        const r = convnet('check', write('warn.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> linear(10)\n}\n'));
        expect(r.code).toBe(0);
        expect(lines(r.out)).toEqual(['warn.convnet:2:19: warning: linear on a 4-D tensor 1×3×8×8 acts on its last dimension (8) at every position; add flatten before it if you meant all 192 features']);
        expect(r.err.trim()).toBe('0 errors, 1 warning');
    });

    it('checks several files and exits 1 if any has an error', () => {
        const good = write('good.convnet', 'network G(input: [1, 3, 8, 8]) {\n  return input -> relu\n}\n');
        const bad = write('groups.convnet', 'network B(input: [1, 6, 8, 8]) {\n  return input -> conv(8, kernel: 3, groups: 4)\n}\n');
        const r = convnet('check', good, bad);
        expect(r.code).toBe(1);
        expect(lines(r.out)).toEqual(['groups.convnet:2:38: error: conv: input channels (6) are not divisible by groups (4)']);
    });

    it('prints one line per diagnostic, syntax errors included', () => {
        const file = write('broken.convnet', 'network A(input: [1, 3, 8, 8]) {\n  y = if input.channels ==\n  s = "never closed\n}\n');
        const r = convnet('check', file);
        expect(r.code).toBe(1);
        const printed = lines(r.out);
        expect(printed.length).toBeGreaterThan(0);
        for (const l of printed) expect(l).toMatch(DIAGNOSTIC_LINE);
        expect(printed).toContain('broken.convnet:3:7: error: this string is never closed (no " after it)');
    });

    it('shows an error inside an imported block at the call in the checked file', () => {
        write('lib.convnet', 'block Head(classes: int)(x) {\n  return x -> conv(classes, kernel: 1, groups: 4)\n}\n');
        const main = write('main.convnet', 'import "./lib.convnet"\n\nnetwork N(input: [1, 8, 8, 8]) {\n  return input -> Head(10)\n}\n');
        const r = convnet('check', main);
        expect(r.code).toBe(1);
        expect(lines(r.out)).toEqual(['main.convnet:4:19: error: in block Head (lib.convnet:2): conv: output channels (10) are not divisible by groups (4)']);
    });

    it('reports a missing import on the import line', () => {
        const r = convnet('check', write('imports.convnet', 'import "./absent.convnet"\nnetwork N(input: [1, 3, 8, 8]) {\n  return input\n}\n'));
        expect(r.code).toBe(1);
        // The command runs in the temporary directory, so the path is resolved against its real location.
        expect(lines(r.out)).toEqual([`imports.convnet:1:8: error: cannot find './absent.convnet' (looked for ${path.join(fs.realpathSync(dir), 'absent.convnet')})`]);
    });
});

describe('deep nesting on the main thread', () => {
    const cases: Record<string, string> = {
        'nested lists': `network N(input: [1, 3, 8, 8], v: any = ${'['.repeat(5000)}1${']'.repeat(5000)}) {\n  return input\n}\n`,
        'unclosed lists': `network N(input: [1, 3, 8, 8], v: any = ${'['.repeat(5000)}1) {\n  return input\n}\n`,
        'unclosed calls': `network N(input: [1, 3, 8, 8]) {\n  x = ${'max('.repeat(5000)}1,\n}\n`,
        'long chain': `network N(input: [1, 3, 8, 8]) {\n  return input${' -> relu'.repeat(20000)}\n}\n`,
    };
    for (const [name, text] of Object.entries(cases)) {
        it(`${name}: a diagnostic, not a crash`, () => {
            const r = convnet('check', write('deep.convnet', text));
            expect(r.code).toBe(1);
            expect(r.err).not.toMatch(/RangeError|internal error|Maximum call stack/);
            expect(lines(r.out).some(l => /: error: (nested more than \d+ levels deep|an expression with more than \d+ operators)/.test(l))).toBe(true);
            for (const l of lines(r.out)) expect(l).toMatch(DIAGNOSTIC_LINE);
        });
    }
});

describe('commands that wait for the engine\'s threads, as processes', () => {
    // Warm timings wait for the worker threads to start, which are unref'd once running: a process with nothing
    // else to do must still live until they have started (it once ended there, silently, with exit code 0).
    it('run --profile on two threads prints the warm per-layer table', () => {
        const r = convnet('run', write('small.convnet', 'network S(input: [1, 16, 32, 32]) {\n  return input -> conv(16, kernel: 3, padding: 1) -> relu\n}\n'), '--profile', '--threads', '2');
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/^time: [\d.]+ ms \(wasm [^)]*, 2 threads\); warm: [\d.]+ ms, the median of \d+ more runs?$/m);
        expect(r.out).toMatch(/^per step, slowest first/m);
    });
    it('calibrate on two threads writes its profile', () => {
        const r = spawnSync(process.execPath, [BIN, 'calibrate', '--threads', '2', '--out', 'machine.json'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
        expect(r.stderr).not.toMatch(/Error|^\s+at /m);
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^this machine: calibrated by convnet/m);
        expect(r.stderr).toMatch(/machine\.json: written/);
        expect(JSON.parse(fs.readFileSync(path.join(dir, 'machine.json'), 'utf8'))).toHaveProperty('name');
    }, 200_000);
});

describe('convnet summary --json', () => {
    it('gives the documented fields with the right types, and torchvision\'s figures for ResNet-18', () => {
        const r = convnet('summary', RESNET18, '--json');
        expect(r.code).toBe(0);
        const json = JSON.parse(r.out) as { networks: Record<string, unknown>[] };
        expect(json.networks).toHaveLength(1);
        const [net] = json.networks as {
            name: unknown; inputs: { name: unknown; shape: unknown }[]; outputs: { name: unknown; shape: unknown }[];
            params: unknown; macs: unknown; flops: unknown; memory: unknown;
            layers: { name: unknown; op: unknown; output: unknown; params: unknown; macs: unknown }[];
        }[];
        const isShape = (s: unknown) => Array.isArray(s) && s.length > 0 && s.every(d => Number.isInteger(d) && d > 0);
        expect(net.name).toBe('ResNet18');
        expect(net.inputs).toEqual([{ name: 'input', shape: [1, 3, 224, 224] }]);
        expect(net.outputs).toEqual([{ name: 'output', shape: [1, 1000] }]);
        for (const key of ['params', 'macs', 'flops', 'memory'] as const) expect(Number.isInteger(net[key])).toBe(true);
        // The published torchvision figures: 11,689,512 parameters and 1.814 GMACs at 224×224.
        expect(net.params).toBe(11689512);
        expect(net.macs).toBe(1814073344);
        expect(net.layers.length).toBeGreaterThan(0);
        for (const layer of net.layers) {
            expect(typeof layer.name).toBe('string');
            expect(typeof layer.op).toBe('string');
            expect(isShape(layer.output)).toBe(true);
            expect(Number.isInteger(layer.params)).toBe(true);
            expect(Number.isInteger(layer.macs)).toBe(true);
        }
        // torchvision's module names; conv1: 64·3·7·7 weights, 112·112·64 outputs × 3·7·7 MACs each.
        expect(net.layers[0]).toMatchObject({ name: 'conv1', op: 'conv', output: [1, 64, 112, 112], params: 9408, macs: 118013952 });
        expect(net.layers[net.layers.length - 1]).toMatchObject({ name: 'fc', op: 'linear', output: [1, 1000], params: 513000, macs: 512000 });
        expect(net.layers.map(l => l.name)).toContain('layer2.0.downsample.0');
        expect((net.layers as { params: number }[]).reduce((sum, l) => sum + l.params, 0)).toBe(11689512);
    });

    const two = 'network Small(input: [1, 3, 8, 8]) {\n  return input -> conv(4, kernel: 3)\n}\n\nnetwork Large(input: [1, 3, 16, 16]) {\n  return input -> conv(8, kernel: 3, padding: 1)\n}\n';

    it('summarises every network of a file, or the one --network names', () => {
        const file = write('two.convnet', two);
        const all = JSON.parse(convnet('summary', file, '--json').out) as { networks: { name: string }[] };
        expect(all.networks.map(n => n.name)).toEqual(['Small', 'Large']);
        const r = convnet('summary', file, '--network', 'Large', '--json');
        expect(r.code).toBe(0);
        const picked = JSON.parse(r.out) as { networks: { name: string; outputs: { shape: number[] }[]; params: number }[] };
        expect(picked.networks).toHaveLength(1);
        expect(picked.networks[0].name).toBe('Large');
        expect(picked.networks[0].outputs[0].shape).toEqual([1, 8, 16, 16]);
        // 8 filters of 3·3·3 plus 8 biases.
        expect(picked.networks[0].params).toBe(8 * 27 + 8);
    });

    it('says which networks there are when --network names none of them (exit 2)', () => {
        const r = convnet('summary', write('two2.convnet', two), '--network', 'Medium', '--json');
        expect(r.code).toBe(2);
        expect(r.out).toBe('');
        expect(r.err.trim()).toBe("two2.convnet: no network named 'Medium' (it has Small, Large)");
    });

    it('prints the errors instead of a summary when the file has errors (exit 1)', () => {
        const r = convnet('summary', write('err.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> maxpol(2)\n}\n'), '--json');
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(lines(r.err)).toEqual([
            "err.convnet:2:19: error: unknown op or block 'maxpol'; did you mean 'maxpool'?",
            'err.convnet: 1 error; fix it for a summary',
        ]);
    });

    it('prints a table without --json', () => {
        const r = convnet('summary', RESNET18);
        expect(r.code).toBe(0);
        expect(r.out).toContain('Total params: 11,689,512');
        expect(r.out).toContain('MACs: 1,814,073,344');
    });
});

describe('usage errors', () => {
    it('a missing file is a clear error with exit 2', () => {
        for (const command of ['check', 'summary']) {
            const r = convnet(command, 'nowhere.convnet');
            expect(r.code).toBe(2);
            expect(r.out).toBe('');
            expect(r.err.trim()).toBe('convnet: nowhere.convnet: no such file');
        }
    });

    it('an unknown option is a usage error with exit 2', () => {
        const file = write('ok.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input\n}\n');
        for (const args of [['check', '--frobnicate', file], ['summary', file, '--verbose']]) {
            const r = convnet(...args);
            expect(r.code).toBe(2);
            expect(r.out).toBe('');
            const [first, second] = lines(r.err);
            expect(first).toBe(`convnet: unknown option --${args.includes('--frobnicate') ? 'frobnicate' : 'verbose'}`);
            expect(second).toBe('usage:');
        }
    });

    it('--network without a name is a usage error', () => {
        const r = convnet('summary', write('ok2.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input\n}\n'), '--network');
        expect(r.code).toBe(2);
        expect(lines(r.err)[0]).toBe('convnet: --network needs a value');
    });

    it('an unknown command is a usage error', () => {
        const r = convnet('frobnicate');
        expect(r.code).toBe(2);
        expect(lines(r.err)[0]).toBe("convnet: unknown command 'frobnicate'");
    });
});

describe('the bundle run directly', () => {
    it('runs the command as the entry point does, not nothing with exit 0', () => {
        const bundle = path.join(ROOT, 'out', 'cli.cjs');
        const clean = write('direct.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> conv(8, kernel: 3, padding: 1) -> relu\n}\n');
        const ok = spawnSync(process.execPath, [bundle, 'check', clean], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
        expect(ok.status).toBe(0);
        expect(ok.stderr.trim()).toBe('1 file checked: no problems');
        const bad = write('direct-bad.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> maxpol(2)\n}\n');
        const failed = spawnSync(process.execPath, [bundle, 'check', bad], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
        expect(failed.status).toBe(1);
        expect(failed.stdout).toContain("direct-bad.convnet:2:19: error: unknown op or block 'maxpol'");
    });
});
