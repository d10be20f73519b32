/**
 * Code injection through what ends up in generated files (file names in the PyTorch module's docstring, names
 * that shadow Python's, file names in the SVG), and leaks of the temporary folder's absolute path into the
 * files written from it.
 */
import type { Case, Ctx, Ran } from './harness.js';
import { TINY_NET, onnxModel } from './fixtures.js';

const PARSE = 'import ast,sys; ast.parse(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1])';
const IMPORT = [
    'import importlib.util, sys',
    'spec = importlib.util.spec_from_file_location("exported", sys.argv[1])',
    'module = importlib.util.module_from_spec(spec)',
    'spec.loader.exec_module(module)',
].join('; ');

/** The exported module parses, imports (with torch) and creates no PWNED file. */
function pythonSafe(file: string) {
    return async (r: Ran, ctx: Ctx) => {
        if (r.code !== 0) return;
        const parsed = await ctx.python(['-c', PARSE, file]);
        if (parsed.code !== 0) ctx.problem(`python3 cannot parse ${file}: ${lastLine(parsed.stderr)}`);
        const imported = await ctx.python(['-c', IMPORT, file]);
        if (imported.code !== 0) ctx.problem(`python3 cannot import ${file}: ${lastLine(imported.stderr)}`);
        const pwned = ['PWNED', 'PWNED2', 'PWNED3'].filter(n => ctx.exists(n));
        if (pwned.length) ctx.problem(`importing ${file} ran the injected code (created ${pwned.join(', ')})`);
    };
}

const lastLine = (s: string) => JSON.stringify(s.trim().split('\n').slice(-2).join(' | ').slice(0, 300));

/** Export of TINY_NET saved under a hostile file name, to out.py, then the Python checks. */
function hostileFileName(name: string, fileName: string): Case {
    return {
        name,
        expect: 'ok',
        setup: ctx => { ctx.write(fileName, TINY_NET); },
        args: ['export', fileName, '--pytorch', 'out.py'],
        writes: ['out.py'],
        check: pythonSafe('out.py'),
    };
}

export const injectionCases: Case[] = [
    hostileFileName(
        'export --pytorch of a file named x"""; import os; os.system("touch PWNED") #.convnet: the module is inert',
        'x"""; import os; os.system("touch PWNED") #.convnet',
    ),
    hostileFileName(
        'export --pytorch of a file whose name has a newline and Python code after it: the module is inert',
        'y\nimport os; os.system("touch PWNED2")\n#.convnet',
    ),
    hostileFileName(
        "export --pytorch of a file named w\\x'''.convnet (a broken escape in a docstring): the module parses",
        "w\\x'''.convnet",
    ),
    hostileFileName(
        'export --pytorch of a file named u\\N{.convnet (a malformed \\N escape in a docstring): the module parses',
        'u\\N{.convnet',
    ),
    {
        name: 'export --pytorch of labels, tensors, blocks and a network named like Python keywords and modules runs in PyTorch',
        expect: 'ok',
        setup: ctx => {
            ctx.write('shadow.convnet', [
                'block F(c: int)(self) {',
                '  torch = self -> nn: conv(c, kernel: 3, padding: 1) -> lambda: batchnorm',
                '  return torch -> None: relu',
                '}',
                'network nn(self: [1, 3, 8, 8]) {',
                '  F = self -> json: F(4) -> class: globalavgpool -> flatten',
                '  struct = F -> def: linear(5)',
                '  return sys: struct',
                '}',
                '',
            ].join('\n'));
        },
        args: ['export', 'shadow.convnet', '--pytorch', 'shadow.py', '--seed', '3'],
        writes: ['shadow.py', 'shadow.safetensors'],
        check: async (r, ctx) => {
            if (r.code !== 0) return;
            // The module's own command line (README): builds, loads the weights, runs a random input.
            const ran = await ctx.python(['shadow.py', 'shadow.safetensors']);
            if (ran.code !== 0) ctx.problem(`python3 shadow.py shadow.safetensors failed: ${lastLine(ran.stderr)}`);
        },
    },
    {
        name: 'graph --svg of a file named <svg onload=alert(1)>&".convnet writes well-formed SVG without the markup',
        expect: 'ok',
        setup: ctx => { ctx.write('<svg onload=alert(1)>&".convnet', TINY_NET); },
        args: ['graph', '<svg onload=alert(1)>&".convnet', '--svg', 'g.svg'],
        writes: ['g.svg'],
        check: async (r, ctx) => {
            if (r.code !== 0) return;
            const svg = ctx.read('g.svg').toString('utf8');
            if (/<svg[^>]*onload/i.test(svg)) ctx.problem('the file name\'s markup is in the SVG as markup');
            const xml = await ctx.python(['-c', 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])', 'g.svg']);
            if (xml.code !== 0) ctx.problem(`g.svg is not well-formed XML: ${lastLine(xml.stderr)}`);
        },
    },
    // Leaks of the folder's path (the harness searches every written file for it)
    {
        name: 'export --onnx does not write the folder\'s absolute path into the model',
        expect: 'ok',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['export', 'net.convnet', '--onnx', 'net.onnx'],
        writes: ['net.onnx'],
    },
    {
        name: 'graph --svg does not write the folder\'s absolute path into the drawing',
        expect: 'ok',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['graph', 'net.convnet', '--svg', 'net.svg'],
        writes: ['net.svg'],
    },
    {
        name: 'export --pytorch --seed does not write the folder\'s absolute path into the module or its weights',
        expect: 'ok',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['export', 'net.convnet', '--pytorch', 'net.py', '--seed', '1'],
        writes: ['net.py', 'net.safetensors'],
    },
    {
        name: 'export of a file imported from a subfolder does not write the folder\'s absolute path',
        expect: 'ok',
        setup: ctx => {
            ctx.write('lib/blocks.convnet', 'block Stem(c: int)(x) {\n  return x -> conv(c, kernel: 3, padding: 1) -> relu\n}\n');
            ctx.write('net.convnet', 'import "./lib/blocks.convnet"\nnetwork N(input: [1, 3, 8, 8]) {\n  return input -> stem: Stem(4) -> globalavgpool\n}\n');
        },
        args: ['export', 'net.convnet', '--onnx', 'n.onnx', '--pytorch', 'n.py'],
        writes: ['n.onnx', 'n.py'],
    },
    {
        name: 'run --output does not write the folder\'s absolute path into the outputs file',
        expect: 'ok',
        setup: ctx => { ctx.write('net.convnet', TINY_NET); },
        args: ['run', 'net.convnet', '--output', 'out.safetensors'],
        writes: ['out.safetensors'],
    },
    {
        name: 'import --out does not write the folder\'s absolute path into the .convnet file',
        expect: 'ok',
        setup: ctx => { ctx.write('model.onnx', onnxModel()); },
        args: ['import', 'model.onnx', '--out', 'model.convnet'],
        writes: ['model.convnet'],
    },
    {
        name: 'import to stdout does not print the folder\'s absolute path into the text',
        expect: 'ok',
        setup: ctx => { ctx.write('model.onnx', onnxModel()); },
        args: ['import', 'model.onnx'],
        stdoutIsProduct: true,
    },
];
