/**
 * Messages: careless command lines (help, unknown options, the wrong kind of file), sources that push the
 * parser and the elaboration (a 200 KB identifier, an unclosed comment, lone surrogates, huge loops, deep
 * nesting), and run options out of range (memory budgets, threads, seeds), where the answer must be one bounded
 * message and a non-zero exit — or, for a fine request, success.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Case, Ctx, Ran } from './harness.js';
import { ROOT, lines } from './harness.js';
import { TINY_NET, onnxModel, png } from './fixtures.js';

const net = (ctx: Ctx) => ctx.write('net.convnet', TINY_NET);
const LENET = path.join(ROOT, 'examples', 'lenet5.convnet');

/** One non-empty line on stderr and nothing on stdout. */
function oneSentence(r: Ran, ctx: Ctx): void {
    const err = lines(r.stderr);
    if (err.length !== 1) ctx.problem(`the refusal takes ${err.length} lines of stderr, not one: ${JSON.stringify(r.stderr.slice(0, 400))}`);
}

/** A network of `n` layers in a loop. */
const loopNet = (body: string) => `network Loop(input: [1, 3, 8, 8]) {\n  return input -> [${body}]\n}\n`;

/** An older Node than the CLI needs, where one is installed (Debian's). */
function oldNode(): string | undefined {
    for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
        if (!fs.existsSync(candidate)) continue;
        const v = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
        const major = Number((v.stdout ?? '').split('.')[0]);
        if (v.status === 0 && major > 0 && major < 22) return candidate;
    }
    return undefined;
}
const OLD_NODE = oldNode();

export const messageCases: Case[] = [
    {
        name: 'convnet --help prints the usage on stdout and succeeds',
        expect: 'ok',
        args: ['--help'],
        check: (r, ctx) => { if (!/usage/i.test(r.stdout)) ctx.problem('no usage on stdout'); },
    },
    {
        name: 'convnet run --help prints the usage and succeeds (not "unknown option --help")',
        expect: 'ok',
        args: ['run', '--help'],
        check: (r, ctx) => {
            if (!/--memory-budget/.test(r.stdout)) ctx.problem('the usage of run is not on stdout');
            if (/unknown option/i.test(r.stderr)) ctx.problem('calls --help an unknown option');
        },
    },
    {
        name: 'convnet with no arguments fails with the usage',
        expect: 'error',
        args: [],
    },
    {
        name: 'convnet frobnicate (an unknown command) fails',
        expect: 'error',
        args: ['frobnicate', 'net.convnet'],
    },
    {
        name: 'convnet check --bogus fails naming the option',
        expect: 'error',
        setup: net,
        args: ['check', '--bogus', 'net.convnet'],
        check: (r, ctx) => { if (!r.stderr.includes('--bogus')) ctx.problem('the message does not name --bogus'); },
    },
    {
        name: 'convnet check notes.log (not a .convnet file) fails',
        expect: 'error',
        setup: ctx => { ctx.write('notes.log', '2026-01-02 12:00:01 INFO started\n2026-01-02 12:00:02 ERROR {"code": 7}\n'); },
        args: ['check', 'notes.log'],
    },
    {
        name: 'convnet run model.onnx fails and points to convnet import',
        expect: 'error',
        setup: ctx => { ctx.write('model.onnx', onnxModel()); },
        args: ['run', 'model.onnx'],
        check: (r, ctx) => { if (!/import/.test(r.stderr)) ctx.problem('the message does not point to `convnet import`'); },
    },
    {
        name: 'convnet run PNG-as-network (an image given as the .convnet file) fails',
        expect: 'error',
        setup: ctx => { ctx.write('cat.png', png(4, 4)); },
        args: ['run', 'cat.png'],
    },
    {
        name: 'convnet export with neither --onnx nor --pytorch fails',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet'],
    },
    {
        name: 'convnet export --opset 99 fails and writes nothing',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--onnx', 'a.onnx', '--opset', '99'],
    },
    {
        name: 'convnet summary --network Missing fails',
        expect: 'error',
        setup: net,
        args: ['summary', 'net.convnet', '--network', 'Missing'],
    },
    {
        name: 'a 200 KB identifier: the message stays bounded and comes within 5 s',
        expect: 'error',
        setup: ctx => { ctx.write('long.convnet', `network N(input: [1, 3, 8, 8]) {\n  return input -> ${'a'.repeat(200_000)}\n}\n`); },
        args: ['check', 'long.convnet'],
        // A 200 KB file is checked in well under a second (README: 10,000 layers, 307 KiB, in 0.94 s).
        check: (r, ctx) => { if (r.ms > 5_000) ctx.problem(`took ${(r.ms / 1000).toFixed(1)} s to check a 200 KB file`); },
    },
    {
        name: 'a 200 KB string literal as an import path: the message stays bounded',
        expect: 'error',
        setup: ctx => { ctx.write('long.convnet', `import "./${'b'.repeat(200_000)}.convnet"\n${TINY_NET}`); },
        args: ['check', 'long.convnet'],
    },
    {
        name: 'an unclosed /* comment fails with a located message',
        expect: 'error',
        setup: ctx => { ctx.write('open.convnet', `${TINY_NET}\n/* started a comment and never ended it\nnetwork M(input: [1, 3, 8, 8]) {\n  return input\n}\n`); },
        args: ['check', 'open.convnet'],
        check: (r, ctx) => { if (!/open\.convnet:\d+:\d+/.test(r.stdout + r.stderr)) ctx.problem('no file:line:col in the message'); },
    },
    {
        name: 'a lone UTF-16 surrogate (raw bytes ED A0 80) in an import string fails cleanly',
        expect: 'error',
        setup: ctx => {
            ctx.write('sur.convnet', Buffer.concat([Buffer.from('import "./'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`.convnet"\n${TINY_NET}`)]));
        },
        args: ['check', 'sur.convnet'],
    },
    {
        name: 'a lone UTF-16 surrogate written as an escape (\\ud800) in an import string fails cleanly',
        expect: 'error',
        setup: ctx => { ctx.write('sur.convnet', `import "./\\ud800.convnet"\n${TINY_NET}`); },
        args: ['check', 'sur.convnet'],
    },
    {
        name: 'an import of ../../../../etc/passwd fails without printing the file',
        expect: 'error',
        setup: ctx => { ctx.write('pw.convnet', `import "../../../../../../../../etc/passwd"\n${TINY_NET}`); },
        args: ['check', 'pw.convnet'],
        check: (r, ctx) => { if (/root:/.test(r.stdout + r.stderr)) ctx.problem('printed lines of /etc/passwd'); },
    },
    {
        name: 'an import of /proc/self/environ fails without printing the environment',
        expect: 'error',
        setup: ctx => { ctx.write('env.convnet', `import "/proc/self/environ"\n${TINY_NET}`); },
        args: ['check', 'env.convnet'],
        check: (r, ctx) => { if (/PATH=/.test(r.stdout + r.stderr)) ctx.problem('printed the environment'); },
    },
    {
        name: 'a file that imports itself does not loop',
        expect: 'either',
        setup: ctx => { ctx.write('self.convnet', `import "./self.convnet"\n${TINY_NET}`); },
        args: ['summary', 'self.convnet'],
    },
    {
        name: '100000 nested parentheses end in a diagnostic, not a stack overflow',
        expect: 'error',
        setup: ctx => { ctx.write('deep.convnet', `network N(input: [1, 3, 8, 8]) {\n  return input -> conv(${'('.repeat(100_000)}4${')'.repeat(100_000)}, kernel: 3)\n}\n`); },
        args: ['check', 'deep.convnet'],
    },
    {
        name: 'a loop of range(1000000000) layers is refused within the limits',
        expect: 'error',
        setup: ctx => { ctx.write('loop.convnet', loopNet('for i in range(1000000000): relu')); },
        args: ['summary', 'loop.convnet'],
    },
    {
        name: 'repeat 10 ** 12: relu is refused within the limits',
        expect: 'error',
        setup: ctx => { ctx.write('rep.convnet', loopNet('repeat 10 ** 12: relu')); },
        args: ['check', 'rep.convnet'],
    },
    {
        name: 'conv with 2**1000 channels is refused within the limits',
        expect: 'error',
        setup: ctx => { ctx.write('wide.convnet', 'network N(input: [1, 3, 8, 8]) {\n  return input -> conv(2 ** 1000, kernel: 3)\n}\n'); },
        args: ['summary', 'wide.convnet'],
    },
    {
        name: 'an input with a zero dimension is refused',
        expect: 'error',
        setup: ctx => { ctx.write('zero.convnet', 'network N(input: [1, 3, 0, 8]) {\n  return input -> conv(4, kernel: 1)\n}\n'); },
        args: ['run', 'zero.convnet'],
    },
    {
        name: '--memory-budget 1000000GiB is refused up front',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--memory-budget', '1000000GiB'],
    },
    {
        name: '--memory-budget -5GiB is refused',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--memory-budget', '-5GiB'],
    },
    {
        name: '--memory-budget lots (not a size) is refused',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--memory-budget', 'lots'],
    },
    {
        name: '--threads 256 on LeNet-5 finishes quickly with the threads capped',
        expect: 'ok',
        args: ['run', LENET, '--threads', '256'],
        check: (r, ctx) => {
            if (r.ms > 10_000) ctx.problem(`took ${(r.ms / 1000).toFixed(1)} s`);
            const m = /(\d+) threads?\)/.exec(r.stdout);
            if (m && Number(m[1]) > Math.max(os.availableParallelism(), 1) * 4) ctx.problem(`ran ${m[1]} threads on ${os.availableParallelism()} cores`);
        },
    },
    {
        name: '--threads 0 is refused',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--threads', '0'],
    },
    {
        name: '--threads 1.5 is refused',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--threads', '1.5'],
    },
    {
        name: '--seed banana is refused',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--seed', 'banana'],
    },
    {
        name: '--normalize with a zero std is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('img.png', png(8, 8)); },
        args: ['run', 'net.convnet', '--input', 'img.png', '--normalize', '0.5,0.5,0.5/0,0,0'],
    },
    {
        name: '--normalize with two values for three channels is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('img.png', png(8, 8)); },
        args: ['run', 'net.convnet', '--input', 'img.png', '--normalize', '0.5,0.5/0.25,0.25'],
    },
    {
        name: 'a network needing more than 4 GiB is refused in one sentence, even with a large budget',
        expect: 'error',
        setup: ctx => { ctx.write('big.convnet', 'network Big(input: [1, 48, 4096, 4096]) {\n  return input -> relu -> sigmoid\n}\n'); },
        // 3 GiB per tensor, two alive at once (no scratch); a budget that allows them, below this machine's memory.
        args: ['run', 'big.convnet', '--memory-budget', `${Math.max(12, Math.floor(os.totalmem() / 2 ** 30 * 0.8))}GiB`],
        check: oneSentence,
    },
    {
        name: 'a network over the default budget is refused in one sentence',
        expect: 'error',
        setup: ctx => { ctx.write('big.convnet', 'network Big(input: [1, 64, 2048, 2048]) {\n  return input -> conv(64, kernel: 3, padding: 1) -> relu\n}\n'); },
        args: ['run', 'big.convnet'],
        check: oneSentence,
    },
    ...(OLD_NODE ? [{
        name: `run directly with an older Node (${OLD_NODE}) says so without the internal-error status 70`,
        expect: 'error' as const,
        node: OLD_NODE,
        args: ['--help'],
    }] : []),
];
