/**
 * `convnet diff` (issue 18 part 1): two designs aligned layer by layer, checked against PyTorch. The pairs —
 * ResNet-18 / ResNet-34, MobileNetV2 1.0 / 0.75 width, ShuffleNet V1 g = 3 / g = 8 — have their figures made by
 * test/fixtures/diff/make_diff_fixtures.py from torchvision's models (and a ShuffleNet V1 module written after the
 * paper): every parameterised layer added, removed or changed, its params, MACs and output shape on both sides, and
 * the totals' deltas and ratios are PyTorch's. Also: renamed layers aligned by structure, a file against its
 * version in git, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import type { NetworkDiff } from '../language/analysis/diff.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'diff');
const EXAMPLES = path.join(ROOT, 'examples');

interface TorchModule { type: string; output: number[]; params: number; macs: number }
interface TorchModel { params: number; buffers: number; macs: number; output: number[]; modules: Record<string, TorchModule> }
const TORCH = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'diff_fixtures.json'), 'utf8')).models as Record<string, TorchModel>;

async function convnet(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: t => out.push(t), err: t => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
}

async function diffJson(...operands: string[]): Promise<NetworkDiff> {
    const r = await convnet('diff', ...operands, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as NetworkDiff;
}

/** Leaf modules with parameters: their names are the layers' names (state_dict prefixes) in both worlds. */
const parameterised = (m: TorchModel) => new Set(Object.entries(m.modules).filter(([, v]) => v.params > 0).map(([k]) => k));
const sorted = (s: Iterable<string>) => [...s].sort();

const PAIRS = [
    { title: 'ResNet-18 → ResNet-34', a: path.join(EXAMPLES, 'resnet18.convnet'), b: path.join(FIXTURES, 'resnet34.convnet'), ta: 'resnet18', tb: 'resnet34' },
    { title: 'MobileNetV2 1.0 → 0.75 width', a: path.join(EXAMPLES, 'mobilenet_v2.convnet'), b: path.join(FIXTURES, 'mobilenet_v2_075.convnet'), ta: 'mobilenet_v2_1.0', tb: 'mobilenet_v2_0.75' },
    {
        title: 'ShuffleNet V1 g = 3 → g = 8 (two networks of one file)',
        a: `${path.join(FIXTURES, 'shufflenet_v1_groups.convnet')}#ShuffleNetG3`, b: `${path.join(FIXTURES, 'shufflenet_v1_groups.convnet')}#ShuffleNetG8`,
        ta: 'shufflenet_v1_g3', tb: 'shufflenet_v1_g8',
    },
];

describe.each(PAIRS)('$title against PyTorch', ({ a, b, ta, tb }) => {
    const A = TORCH[ta];
    const B = TORCH[tb];
    let diff: NetworkDiff;
    beforeAll(async () => {
        diff = await diffJson(a, b);
    }, 60_000);

    it('adds and removes the layers PyTorch has on one side only', () => {
        const inA = parameterised(A);
        const inB = parameterised(B);
        const added = diff.layers.filter(r => r.status === 'added' && r.after!.params > 0).map(r => r.after!.name);
        const removed = diff.layers.filter(r => r.status === 'removed' && r.before!.params > 0).map(r => r.before!.name);
        expect(sorted(added)).toEqual(sorted([...inB].filter(n => !inA.has(n))));
        expect(sorted(removed)).toEqual(sorted([...inA].filter(n => !inB.has(n))));
        // Every parameterised layer of each model is on its side of some row.
        expect(sorted(diff.layers.flatMap(r => (r.before && r.before.params > 0 ? [r.before.name] : [])))).toEqual(sorted(inA));
        expect(sorted(diff.layers.flatMap(r => (r.after && r.after.params > 0 ? [r.after.name] : [])))).toEqual(sorted(inB));
    });

    it('changes exactly the layers whose params, MACs or output shape differ in PyTorch, with PyTorch\'s figures on both sides', () => {
        const paired = diff.layers.filter(r => r.before && r.after && (r.before.params > 0 || r.after.params > 0));
        expect(paired.every(r => r.match === 'name' && r.before!.name === r.after!.name)).toBe(true);
        const differs = (x: TorchModule, y: TorchModule) => x.params !== y.params || x.macs !== y.macs || x.output.join() !== y.output.join();
        const expected = paired.filter(r => differs(A.modules[r.before!.name], B.modules[r.after!.name])).map(r => r.after!.name);
        const reported = paired.filter(r => ['params', 'macs', 'output'].some(f => r.changes.includes(f as never))).map(r => r.after!.name);
        expect(sorted(reported)).toEqual(sorted(expected));
        for (const r of paired) {
            const [x, y] = [A.modules[r.before!.name], B.modules[r.after!.name]];
            expect({ name: r.after!.name, before: [r.before!.params, r.before!.macs, r.before!.output], after: [r.after!.params, r.after!.macs, r.after!.output] })
                .toEqual({ name: r.after!.name, before: [x.params, x.macs, x.output], after: [y.params, y.macs, y.output] });
            expect(r.delta.params).toBe(y.params - x.params);
            expect(r.delta.macs).toBe(y.macs - x.macs);
        }
    });

    it('has PyTorch\'s totals, deltas and ratios', () => {
        const t = diff.totals;
        expect([t.params.before, t.params.after, t.params.delta]).toEqual([A.params, B.params, B.params - A.params]);
        expect([t.macs.before, t.macs.after, t.macs.delta]).toEqual([A.macs, B.macs, B.macs - A.macs]);
        expect([t.buffers.before, t.buffers.after, t.buffers.delta]).toEqual([A.buffers, B.buffers, B.buffers - A.buffers]);
        expect(t.params.ratio).toBeCloseTo(B.params / A.params, 12);
        expect(t.macs.ratio).toBeCloseTo(B.macs / A.macs, 12);
        expect(diff.after.outputs[0].shape).toEqual(B.output);
        expect(diff.identical).toBe(false);
    });
});

describe('ResNet-18 → ResNet-34 in words', () => {
    it('reports each added block as one row, with PyTorch\'s parameters of the block', async () => {
        const r = await convnet('diff', path.join(EXAMPLES, 'resnet18.convnet'), path.join(FIXTURES, 'resnet34.convnet'));
        expect(r.code).toBe(0);
        const added = ['layer1.2', 'layer2.2', 'layer2.3', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.2'];
        const B = TORCH.resnet34;
        for (const block of added) {
            const params = Object.entries(B.modules).filter(([k]) => k.startsWith(`${block}.`)).reduce((s, [, m]) => s + m.params, 0);
            const line = r.out.split('\n').find(l => l.startsWith(`+  ${block} `));
            expect(line, block).toMatch(new RegExp(`BasicBlock .*\\+${params.toLocaleString('en-US')} `));
        }
        expect(r.out).toContain('56 layers added, 0 removed');
        const md = await convnet('diff', path.join(EXAMPLES, 'resnet18.convnet'), path.join(FIXTURES, 'resnet34.convnet'), '--format', 'markdown');
        expect(md.code).toBe(0);
        expect(md.out).toContain(`| Params | ${TORCH.resnet18.params.toLocaleString('en-US')} | ${B.params.toLocaleString('en-US')} | +${(B.params - TORCH.resnet18.params).toLocaleString('en-US')} |`);
    });
});

let dir: string;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-diff-'));
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});
function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
}

describe('alignment of renamed layers', () => {
    it('pairs layers whose names changed by their place in the op sequence', async () => {
        const before = write('named.convnet', `network N(input: [1, 3, 32, 32]) {
  return input -> stem: conv(16, kernel: 3, padding: 1) -> relu -> body: conv(32, kernel: 3, padding: 1) -> relu
    -> globalavgpool -> flatten -> fc: linear(10)
}
`);
        const after = write('renamed.convnet', `network N(input: [1, 3, 32, 32]) {
  return input -> conv0: conv(16, kernel: 3, padding: 1) -> relu -> body: conv(48, kernel: 3, padding: 1) -> relu
    -> extra: conv(48, kernel: 1) -> globalavgpool -> flatten -> head: linear(10)
}
`);
        const diff = await diffJson(before, after);
        const byAfter = new Map(diff.layers.filter(r => r.after).map(r => [r.after!.name, r]));
        // conv(16) renamed stem → conv0: same figures (3·16·9 + 16 params), only the name differs.
        expect(byAfter.get('conv0')).toMatchObject({ status: 'changed', match: 'structure', before: { name: 'stem', params: 3 * 16 * 9 + 16 }, changes: ['name'] });
        expect(byAfter.get('head')).toMatchObject({ status: 'changed', match: 'structure', before: { name: 'fc' } });
        expect(byAfter.get('head')!.changes).toEqual(['name', 'params', 'macs', 'flops']);   // 32 → 48 inputs
        expect(byAfter.get('body')).toMatchObject({ status: 'changed', match: 'name' });
        expect(byAfter.get('body')!.attributes).toEqual([{ name: 'channels', before: 32, after: 48 }]);
        expect(byAfter.get('extra')).toMatchObject({ status: 'added', delta: { params: 48 * 48 + 48 } });
        expect(diff.counts).toMatchObject({ added: 1, removed: 0, renamed: 2 });
    });

    it('says "no differences" for a file compared with itself', async () => {
        const r = await convnet('diff', path.join(EXAMPLES, 'resnet18.convnet'), path.join(EXAMPLES, 'resnet18.convnet'));
        expect(r.code).toBe(0);
        expect(r.out.split('\n')[1]).toBe('no differences');
        const diff = await diffJson(path.join(EXAMPLES, 'resnet18.convnet'), path.join(EXAMPLES, 'resnet18.convnet'));
        expect(diff.identical).toBe(true);
        expect(diff.counts.same).toBe(diff.layers.length);
        expect(diff.totals.params.ratio).toBe(1);
    });
});

describe('a file against its version in git', () => {
    const git = (cwd: string, ...args: string[]) => {
        const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
    };

    it('compares the committed version (and its committed imports) with the file as it is now', async () => {
        const repo = path.join(dir, 'repo');
        fs.mkdirSync(path.join(repo, 'blocks'), { recursive: true });
        git(repo, 'init', '-q');
        const block = (c: number) => `block Stage(c: int)(x) {\n  return x -> conv1: conv(c, kernel: 3, padding: 1, bias: false) -> bn1: batchnorm -> relu\n}\n`.replace('c: int', `c: int = ${c}`);
        fs.writeFileSync(path.join(repo, 'blocks', 'stage.convnet'), block(8));
        const net = (width: number) => `import "./blocks/stage.convnet"\nnetwork Net(input: [1, 3, 16, 16]) {\n  return input -> stage1: Stage(${width}) -> pool: globalavgpool -> flatten -> fc: linear(10)\n}\n`;
        const file = path.join(repo, 'net.convnet');
        fs.writeFileSync(file, net(16));
        git(repo, 'add', '.');
        git(repo, 'commit', '-q', '-m', 'v1');
        fs.writeFileSync(file, net(32));
        // An uncommitted change to the import is read from the disk for the file as it is now only.
        fs.writeFileSync(path.join(repo, 'blocks', 'stage.convnet'), block(8).replace('kernel: 3, padding: 1', 'kernel: 5, padding: 2'));
        const diff = await diffJson(file, '--git', 'HEAD');
        const conv = diff.layers.find(r => r.after?.name === 'stage1.conv1')!;
        expect(conv.status).toBe('changed');
        expect(conv.attributes).toEqual([{ name: 'channels', before: 16, after: 32 }, { name: 'kernel', before: 3, after: 5 }, { name: 'padding', before: 1, after: 2 }]);
        // PyTorch's counts: Conv2d(3, 16, 3) → Conv2d(3, 32, 5); Linear(16, 10) → Linear(32, 10); BN 2·C.
        expect(diff.totals.params.before).toBe(3 * 16 * 9 + 2 * 16 + 16 * 10 + 10);
        expect(diff.totals.params.after).toBe(3 * 32 * 25 + 2 * 32 + 32 * 10 + 10);
        expect(diff.before.label).toContain('(HEAD)');
        const same = await convnet('diff', file, '--git', 'HEAD', '--network', 'Net');
        expect(same.code).toBe(2);
        expect(same.err).toContain('unknown option --network');
    });

    it('refuses an unknown revision, a file that is not committed and a folder outside any repository in one sentence', async () => {
        const repo = path.join(dir, 'repo');
        const file = path.join(repo, 'net.convnet');
        const unknown = await convnet('diff', file, '--git', 'no-such-branch');
        expect(unknown.code).toBe(2);
        expect(unknown.err).toMatch(/^convnet: the repository of .*net\.convnet has no revision 'no-such-branch'$/);
        const fresh = path.join(repo, 'new.convnet');
        fs.copyFileSync(file, fresh);
        const uncommitted = await convnet('diff', fresh, '--git', 'HEAD');
        expect(uncommitted.code).toBe(2);
        expect(uncommitted.err).toMatch(/^convnet: .*new\.convnet is not in HEAD \(it was not committed there\)$/);
        const outside = write('outside/net.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> relu\n}\n');
        const previous = process.env.GIT_CEILING_DIRECTORIES;
        process.env.GIT_CEILING_DIRECTORIES = dir; // no repository above the temporary folder counts
        try {
            const r = await convnet('diff', outside, '--git', 'HEAD');
            expect(r.code).toBe(2);
            expect(r.err).toMatch(/^convnet: .*outside\/net\.convnet is not inside a git repository, so it has no HEAD version$/);
        } finally {
            if (previous === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
            else process.env.GIT_CEILING_DIRECTORIES = previous;
        }
        const option = await convnet('diff', file, '--git', '--upload-pack=x');
        expect(option.code).toBe(2);
        expect(option.err).toContain('--git takes a revision');
    });
});

describe('bad input', () => {
    const resnet = path.join(EXAMPLES, 'resnet18.convnet');
    const shuffle = path.join(FIXTURES, 'shufflenet_v1_groups.convnet');

    it('a missing file, an unknown network, a file of several networks unnamed, a file with errors, a wrong count of files', async () => {
        const missing = await convnet('diff', resnet, path.join(dir, 'nothere.convnet'));
        expect(missing.code).toBe(2);
        expect(missing.err).toMatch(/^convnet: .*nothere\.convnet: no such file$/);
        const unknown = await convnet('diff', resnet, `${shuffle}#ShuffleNetG5`);
        expect(unknown.code).toBe(2);
        expect(unknown.err).toMatch(/no network named 'ShuffleNetG5' \(it has ShuffleNetG3, ShuffleNetG8\)$/);
        const several = await convnet('diff', resnet, shuffle);
        expect(several.code).toBe(2);
        expect(several.err).toMatch(/has 2 networks \(ShuffleNetG3, ShuffleNetG8\); name one as .*shufflenet_v1_groups\.convnet#ShuffleNetG3$/);
        const broken = write('broken.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> conv(4, kernel: 9)\n}\n');
        const errors = await convnet('diff', resnet, broken);
        expect(errors.code).toBe(1);
        expect(errors.err).toMatch(/broken\.convnet:2:27: error: conv: the kernel \(9\) is larger than the padded input height/);
        expect(errors.err).toMatch(/broken\.convnet: 2 errors; fix them to compare the network$/);
        const one = await convnet('diff', resnet);
        expect(one.code).toBe(2);
        expect(one.err).toContain('diff takes two files (or one file and --git REV)');
        const format = await convnet('diff', resnet, resnet, '--format', 'csv');
        expect(format.code).toBe(2);
        for (const r of [missing, unknown, several, errors, one, format]) expect(r.err).not.toMatch(/\n\s+at \S+ \(.*:\d+:\d+\)/);
    });
});

describe('the editor\'s comparison worker (out/compare-worker.cjs, as ConvNet: Compare with… runs it)', () => {
    const runWorker = async (start: unknown): Promise<{ type: string; diff?: NetworkDiff; networks?: string[]; message?: string }> => {
        const { Worker } = await import('node:worker_threads');
        const worker = new Worker(path.join(ROOT, 'out', 'compare-worker.cjs'));
        try {
            return await new Promise((resolve, reject) => {
                worker.once('message', resolve);
                worker.once('error', reject);
                worker.postMessage(start);
            });
        } finally {
            await worker.terminate();
        }
    };

    it('compares an editor\'s unsaved text with a file, asks which network of a file of several, and says why a file cannot be read', async () => {
        const b = path.join(FIXTURES, 'mobilenet_v2_075.convnet');
        const unsaved = fs.readFileSync(b, 'utf8');
        const done = await runWorker({
            before: { kind: 'file', path: path.join(EXAMPLES, 'mobilenet_v2.convnet'), label: 'mobilenet_v2.convnet' },
            after: { kind: 'text', uri: `file://${b}`, text: unsaved, label: 'mobilenet_v2_075.convnet' },
        });
        expect(done.type).toBe('diff');
        const [A, B] = [TORCH['mobilenet_v2_1.0'], TORCH['mobilenet_v2_0.75']];
        expect([done.diff!.totals.params.before, done.diff!.totals.params.after, done.diff!.totals.macs.delta]).toEqual([A.params, B.params, B.macs - A.macs]);
        const choose = await runWorker({
            before: { kind: 'file', path: path.join(FIXTURES, 'shufflenet_v1_groups.convnet'), label: 'shufflenet_v1_groups.convnet' },
            after: { kind: 'file', path: path.join(EXAMPLES, 'resnet18.convnet'), label: 'resnet18.convnet' },
        });
        expect(choose).toEqual({ type: 'choose', side: 'before', networks: ['ShuffleNetG3', 'ShuffleNetG8'] });
        const missing = await runWorker({
            before: { kind: 'file', path: path.join(dir, 'gone.convnet'), label: 'gone.convnet' },
            after: { kind: 'file', path: path.join(EXAMPLES, 'resnet18.convnet'), label: 'resnet18.convnet' },
        });
        expect(missing.type).toBe('error');
        expect(missing.message).toMatch(/gone\.convnet: no such file$/);
    }, 60_000);
});
