/**
 * Terminal tricks: escape sequences, BEL, NUL, CR and newlines in the names the CLI prints back — ONNX node,
 * tensor and producer names, file names, network names given as options, weights keys, the source text. The
 * harness rejects any raw control character in stdout or stderr; these cases also check that a newline in a
 * name cannot forge a line of output.
 */
import type { Case, Ctx, Ran } from './harness.js';
import { TINY_NET, TINY_PARAMS, floatTensor, ints, onnxModel, safetensors } from './fixtures.js';

const ESC = '\x1b';
const FORGED = 'convnet: all checks passed';

/** No line of the output starts with the forged text (a newline in a name did not start a new line). */
function noForgedLine(r: Ran, ctx: Ctx): void {
    const forged = (r.stdout + '\n' + r.stderr).split('\n').filter(l => l.startsWith(FORGED) || l.startsWith('.convnet'));
    if (forged.length) ctx.problem(`a newline in a name started a line of its own: ${JSON.stringify(forged[0])}`);
}

export const terminalCases: Case[] = [
    {
        name: 'import of an ONNX model whose node, tensor, graph and producer names hold ESC, BEL, NUL, CR and newlines',
        expect: 'ok',
        setup: ctx => {
            // ESC, BEL, CR, LF, NUL and a right-to-left override (U+202E, "Trojan Source") in every name.
            const nasty = (s: string) => `${s}${ESC}]0;owned${'\x07'}${ESC}[2J${ESC}[31m\r\n${FORGED}\x00\u202e`;
            ctx.write('nasty.onnx', onnxModel({
                producerName: nasty('producer'),
                graphName: nasty('graph'),
                inputName: nasty('x'),
                nodes: [
                    { opType: 'Conv', name: nasty('/conv/Conv'), input: [nasty('x'), nasty('conv.weight'), 'conv.bias'], output: [nasty('c')], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
                    { opType: 'Relu', name: nasty('/relu/Relu'), input: [nasty('c')], output: [nasty('y')] },
                ],
                initializers: [floatTensor(nasty('conv.weight'), [4, 3, 3, 3]), floatTensor('conv.bias', [4])],
                output: nasty('y'),
            }));
        },
        args: ['import', 'nasty.onnx', '--out', 'nasty.convnet'],
        writes: ['nasty.convnet'],
        check: async (r, ctx) => {
            noForgedLine(r, ctx);
            if (r.code !== 0) return;
            const text = ctx.read('nasty.convnet').toString('utf8');
            if (/[\x00-\x08\x0b-\x1f\x7f]/.test(text)) ctx.problem('the written .convnet file holds raw control characters');
            if (/[\u202a-\u202e\u2066-\u2069]/.test(text)) ctx.problem('the written .convnet file holds bidirectional overrides (U+202E …)');
            const checked = await ctx.cli(['check', 'nasty.convnet']);
            if (checked.code !== 0) ctx.problem(`the imported file does not check: ${JSON.stringify(checked.stdout.slice(0, 300))}`);
        },
    },
    {
        name: 'import of an unsupported op whose op type and node name hold escape sequences and a forged line',
        expect: 'error',
        setup: ctx => {
            ctx.write('evil.onnx', onnxModel({
                nodes: [
                    { opType: 'Conv', name: '/conv/Conv', input: ['x', 'conv.weight', 'conv.bias'], output: ['c'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
                    { opType: `Evil${ESC}[2J${ESC}[H\x07`, name: `node${ESC}[8m\r\n${FORGED}\x00`, input: ['c'], output: ['y'] },
                ],
            }));
        },
        args: ['import', 'evil.onnx'],
        check: noForgedLine,
    },
    {
        name: 'check of a .convnet file whose name holds ESC sequences and BEL prints them escaped',
        expect: 'error',
        setup: ctx => { ctx.write(`red${ESC}[31m${ESC}]0;title\x07.convnet`, 'network N(input: [1, 3, 8, 8]) {\n  return input -> maxpol(2)\n}\n'); },
        args: [`check`, `red${ESC}[31m${ESC}]0;title\x07.convnet`],
    },
    {
        name: 'check of a .convnet file whose name holds a newline cannot forge a line of output',
        expect: 'error',
        setup: ctx => { ctx.write(`a\n${FORGED}\n.convnet`, 'network N(input: [1, 3, 8, 8]) {\n  return input -> maxpol(2)\n}\n'); },
        args: ['check', `a\n${FORGED}\n.convnet`],
        check: (r, ctx) => {
            noForgedLine(r, ctx);
            if (r.stdout.split('\n').filter(l => l.length > 0).length !== 1) ctx.problem(`one error printed over ${r.stdout.split('\n').filter(l => l.length > 0).length} lines`);
        },
    },
    {
        name: 'summary of a .convnet file whose name holds CR and ESC (a successful command) prints them escaped',
        expect: 'ok',
        setup: ctx => { ctx.write(`net\r${ESC}[2K.convnet`, TINY_NET); },
        args: ['summary', `net\r${ESC}[2K.convnet`],
    },
    {
        name: 'source text holding ESC sequences, BEL and NUL: the syntax error shows them escaped',
        expect: 'error',
        setup: ctx => { ctx.write('ctl.convnet', `network N(input: [1, 3, 8, 8]) {\n  return input -> ${ESC}[2J${ESC}]0;x\x07relu\x00 -> relu\n}\n`); },
        args: ['check', 'ctl.convnet'],
    },
    {
        name: 'a string literal holding ESC sequences in an import: the message shows them escaped',
        expect: 'error',
        setup: ctx => { ctx.write('imp.convnet', `import "./${ESC}[31mred${ESC}[0m\x07.convnet"\n` + TINY_NET); },
        args: ['check', 'imp.convnet'],
    },
    {
        name: 'a .convnet file with Windows line endings (CRLF) is fine and no CR is printed',
        expect: 'ok',
        setup: ctx => {
            ctx.write('crlf.convnet', '# a network saved on Windows\r\nnetwork Tiny(input: [1, 3, 8, 8]) {\r\n  x = input -> conv1: conv(4, kernel: 3, padding: 1)\r\n  return x -> relu -> globalavgpool -> flatten -> fc: linear(5)\r\n}\r\n');
        },
        args: ['summary', 'crlf.convnet'],
    },
    {
        name: '--network with escape sequences (an unknown network) is echoed escaped',
        expect: 'error',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['summary', 'net.convnet', '--network', `${ESC}[2J${ESC}[31mTiny\x07\r\n${FORGED}`],
        check: noForgedLine,
    },
    {
        name: '--engine with escape sequences is echoed escaped',
        expect: 'error',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['run', 'net.convnet', '--engine', `${ESC}[2Jfast\x07`],
    },
    {
        name: 'an unknown option with escape sequences is echoed escaped',
        expect: 'error',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['run', 'net.convnet', `--${ESC}[2J${ESC}[31mforce\x07`],
    },
    {
        name: 'a weights key holding ESC sequences and a newline is listed escaped',
        expect: 'error',
        setup: ctx => {
            ctx.write('net.convnet', TINY_NET);
            ctx.write('W.safetensors', safetensors([
                ...TINY_PARAMS.map(([name, shape]) => ({ name, shape })),
                { name: `evil${ESC}[2J${ESC}]0;t\x07\r\n${FORGED}`, shape: [1] },
            ]));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
        check: noForgedLine,
    },
];
