/**
 * Writers that would overwrite: outputs over existing files, over the command's own inputs, through symlinks,
 * into missing folders, and exports that must write all of their files or none.
 */
import * as fs from 'node:fs';
import type { Case, Ctx } from './harness.js';
import { TINY_NET, onnxModel, tinyWeights } from './fixtures.js';

const net = (ctx: Ctx) => ctx.write('net.convnet', TINY_NET);
const netAndWeights = (ctx: Ctx) => {
    net(ctx);
    ctx.write('W.safetensors', tinyWeights());
};

export const writerCases: Case[] = [
    {
        name: 'run --output over an existing file is refused without --force',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('existing.safetensors', 'my results from last week\n'); },
        args: ['run', 'net.convnet', '--output', 'existing.safetensors'],
    },
    {
        name: 'run --output over an existing file with --force replaces it (and only it)',
        expect: 'ok',
        setup: ctx => { net(ctx); ctx.write('existing.safetensors', 'my results from last week\n'); },
        args: ['run', 'net.convnet', '--output', 'existing.safetensors', '--force'],
        writes: ['existing.safetensors'],
    },
    {
        name: 'run --output onto its own --weights file is refused',
        expect: 'error',
        setup: netAndWeights,
        args: ['run', 'net.convnet', '--weights', 'W.safetensors', '--output', 'W.safetensors'],
    },
    {
        name: 'run --output onto its own --weights file is refused even with --force',
        expect: 'error',
        setup: netAndWeights,
        args: ['run', 'net.convnet', '--weights', 'W.safetensors', '--output', 'W.safetensors', '--force'],
    },
    {
        name: 'run --output naming the --weights file another way (./sub/../W) is refused even with --force',
        expect: 'error',
        setup: ctx => { netAndWeights(ctx); ctx.write('sub/keep.txt', 'x'); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors', '--output', './sub/../W.safetensors', '--force'],
    },
    {
        name: 'run --output onto its own --input file is refused even with --force',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            ctx.write('x.safetensors', Buffer.from(new Uint8Array(0)));
        },
        // The input's content does not matter: the command must refuse before reading it.
        args: ['run', 'net.convnet', '--input', 'x.safetensors', '--output', 'x.safetensors', '--force'],
    },
    {
        name: 'graph --svg onto the .convnet file it draws is refused',
        expect: 'error',
        setup: net,
        args: ['graph', 'net.convnet', '--svg', 'net.convnet'],
    },
    {
        name: 'export --onnx onto the .convnet file it exports is refused',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--onnx', 'net.convnet'],
    },
    {
        name: 'export --pytorch W.py --weights W.safetensors is refused (the sidecar W.safetensors is the input)',
        expect: 'error',
        setup: netAndWeights,
        args: ['export', 'net.convnet', '--pytorch', 'W.py', '--weights', 'W.safetensors'],
    },
    {
        name: 'export --onnx a.onnx --pytorch a.onnx (the same path twice) is refused',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--onnx', 'a.onnx', '--pytorch', 'a.onnx'],
    },
    {
        name: 'export --pytorch a.py --onnx a.safetensors --seed 0 (the sidecar collides with the ONNX file) is refused',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--pytorch', 'a.py', '--onnx', 'a.safetensors', '--seed', '0'],
    },
    {
        name: 'graph --svg through a symlink to an important file is refused (the file is left alone)',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('important.txt', 'do not touch\n'); ctx.symlink('important.txt', 'out.svg'); },
        args: ['graph', 'net.convnet', '--svg', 'out.svg'],
    },
    {
        name: 'export --onnx through a dangling symlink is refused (nothing is created at its target)',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.symlink('victim.txt', 'out.onnx'); },
        args: ['export', 'net.convnet', '--onnx', 'out.onnx'],
    },
    {
        name: 'run --output into a missing directory fails and creates no directory',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--output', 'missing/o.safetensors'],
    },
    {
        name: 'graph --svg into a missing directory fails',
        expect: 'error',
        setup: net,
        args: ['graph', 'net.convnet', '--svg', 'missing/deeper/g.svg'],
    },
    {
        name: 'export --onnx a.onnx --pytorch missing/x.py writes no a.onnx (all or nothing)',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--onnx', 'a.onnx', '--pytorch', 'missing/x.py'],
    },
    {
        name: 'export --onnx to a path that is a directory fails cleanly',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('out.onnx/keep.txt', 'x'); },
        args: ['export', 'net.convnet', '--onnx', 'out.onnx'],
    },
    {
        name: 'export --onnx with an empty file name fails',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--onnx', ''],
    },
    {
        name: 'run --output /dev/full (disk full on write) fails cleanly',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--output', '/dev/full'],
    },
    {
        name: 'import --out over the input model is refused',
        expect: 'error',
        setup: ctx => { ctx.write('model.onnx', onnxModel()); },
        args: ['import', 'model.onnx', '--out', 'model.onnx'],
    },
    {
        name: 'import --out over an existing .convnet file is refused without --force',
        expect: 'error',
        setup: ctx => { ctx.write('model.onnx', onnxModel()); ctx.write('mine.convnet', TINY_NET); },
        args: ['import', 'model.onnx', '--out', 'mine.convnet'],
    },
    {
        name: 'export --pytorch W.py --seed 0 does not replace an unrelated existing W.safetensors without --force',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', 'weights I trained for a week\n'); },
        args: ['export', 'net.convnet', '--pytorch', 'W.py', '--seed', '0'],
    },
    {
        name: 'export --pytorch x.safetensors --seed 0 (the module and its sidecar would be one file) is refused',
        expect: 'error',
        setup: net,
        args: ['export', 'net.convnet', '--pytorch', 'x.safetensors', '--seed', '0'],
    },
    {
        name: 'run --output H.safetensors --force where H is a hard link to the --weights file leaves the weights intact',
        expect: 'either',
        setup: ctx => { netAndWeights(ctx); fs.linkSync(ctx.path('W.safetensors'), ctx.path('H.safetensors')); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors', '--output', 'H.safetensors', '--force'],
        // Refusing (same file) or replacing the link H by a new file are both fine; W.safetensors must not change.
        writes: ['H.safetensors'],
    },
    {
        name: 'graph --svg alias.svg --force where alias.svg is a hard link to the source leaves the source intact',
        expect: 'either',
        setup: ctx => { net(ctx); fs.linkSync(ctx.path('net.convnet'), ctx.path('alias.svg')); },
        args: ['graph', 'net.convnet', '--svg', 'alias.svg', '--force'],
        writes: ['alias.svg'],
    },
    {
        name: 'run --output onto the file a symlinked --weights points to is refused even with --force',
        expect: 'error',
        setup: ctx => { netAndWeights(ctx); ctx.symlink('W.safetensors', 'link.safetensors'); },
        args: ['run', 'net.convnet', '--weights', 'link.safetensors', '--output', 'W.safetensors', '--force'],
    },
    {
        name: 'run --output out.npy writes a real .npy or refuses (not safetensors bytes under a .npy name)',
        expect: 'either',
        setup: net,
        args: ['run', 'net.convnet', '--output', 'out.npy'],
        writes: ['out.npy'],
        check: (r, ctx) => {
            if (r.code === 0 && ctx.exists('out.npy') && !ctx.read('out.npy').subarray(0, 6).equals(Buffer.from('\x93NUMPY', 'latin1'))) {
                ctx.problem('wrote something that is not a .npy file under the name out.npy');
            }
        },
    },
    {
        name: 'run --output with a 300-character file name fails cleanly',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--output', `${'o'.repeat(300)}.safetensors`],
    },
    {
        name: 'run --output out/ (a trailing slash) fails cleanly',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--output', 'out/'],
    },
    {
        name: 'check of a symlink loop (a.convnet -> b.convnet -> a.convnet) fails cleanly',
        expect: 'error',
        setup: ctx => { ctx.symlink('b.convnet', 'a.convnet'); ctx.symlink('a.convnet', 'b.convnet'); },
        args: ['check', 'a.convnet'],
    },
];
