/**
 * Reads that never end or are huge: devices and FIFOs given as files, directories, images and arrays whose
 * headers lie about their size, safetensors files with broken headers, and weights that are not numbers.
 */
import type { Case, Ctx, Ran } from './harness.js';
import {
    INPUT_VALUES, TINY_NET, TINY_PARAMS, float32, fortranOrder, jpegClaiming, npy, png, pngRaw, pngZeroBomb,
    safetensors, safetensorsRaw, tinyWeights,
} from './fixtures.js';
import * as zlib from 'node:zlib';

const net = (ctx: Ctx) => ctx.write('net.convnet', TINY_NET);

/**
 * NaN or Inf weights: refused with a message that says so, or run with a warning that says so — on stderr (the
 * statistics of a NaN output on stdout, "mean NaN", are not a warning).
 */
function nonFiniteSaid(r: Ran, ctx: Ctx): void {
    const said = /nan|inf|non-?finite|not finite/i.test(r.stderr);
    if (!said) ctx.problem(`neither a refusal nor a warning on stderr names the non-finite weights (exit ${r.code})`);
}

/** An input in another layout (Fortran order, big-endian): refused, or read to the same output as the plain one. */
function sameAsPlainInput(plain: string) {
    return async (r: Ran, ctx: Ctx) => {
        if (r.code !== 0) return;
        const reference = await ctx.cli(['run', 'net.convnet', '--input', plain]);
        const outputLine = (s: string) => s.split('\n').find(l => l.startsWith('output ')) ?? '(no output line)';
        if (outputLine(r.stdout) !== outputLine(reference.stdout)) {
            ctx.problem(`read to other values than the same array in C order, little-endian: ${JSON.stringify(outputLine(r.stdout))} vs ${JSON.stringify(outputLine(reference.stdout))}`);
        }
    };
}

const stHeader = (entries: Record<string, unknown>) => JSON.stringify(entries);

/** The tiny network's weights as safetensors (zeros), with each tensor's data_offsets rewritten by `offsets`. */
function tinyWeightsWithOffsets(offsets: (begin: number, end: number, name: string) => [number, number]): Buffer {
    const entries: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, shape] of TINY_PARAMS) {
        const bytes = shape.reduce((a, b) => a * b, 1) * 4;
        entries[name] = { dtype: 'F32', shape, data_offsets: offsets(offset, offset + bytes, name) };
        offset += bytes;
    }
    return safetensorsRaw(stHeader(entries), Buffer.alloc(offset));
}

export const readCases: Case[] = [
    // Devices and FIFOs
    {
        name: 'run --weights /dev/zero ends quickly with an error',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--weights', '/dev/zero'],
    },
    {
        name: 'run --input /dev/zero ends quickly with an error',
        expect: 'error',
        setup: net,
        args: ['run', 'net.convnet', '--input', '/dev/zero'],
    },
    {
        name: 'import /dev/zero ends quickly with an error',
        expect: 'error',
        args: ['import', '/dev/zero'],
    },
    {
        name: 'check /dev/zero ends quickly with an error',
        expect: 'error',
        args: ['check', '/dev/zero'],
    },
    {
        name: 'run --weights FIFO (no writer) does not hang',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.mkfifo('w.safetensors'); },
        args: ['run', 'net.convnet', '--weights', 'w.safetensors'],
    },
    {
        name: 'run --input FIFO (no writer) does not hang',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.mkfifo('x.npy'); },
        args: ['run', 'net.convnet', '--input', 'x.npy'],
    },
    {
        name: 'import FIFO (no writer) does not hang',
        expect: 'error',
        setup: ctx => { ctx.mkfifo('model.onnx'); },
        args: ['import', 'model.onnx'],
    },
    {
        name: 'check of a FIFO named .convnet does not hang (and does not call it missing)',
        expect: 'error',
        setup: ctx => { ctx.mkfifo('pipe.convnet'); },
        args: ['check', 'pipe.convnet'],
        check: (r, ctx) => {
            if (/no such file/i.test(r.stderr + r.stdout)) ctx.problem('calls an existing FIFO "no such file"');
        },
    },
    {
        name: 'a .convnet file importing a FIFO does not hang (and does not call it missing)',
        expect: 'error',
        setup: ctx => {
            ctx.mkfifo('blocks.convnet');
            ctx.write('net.convnet', 'import "./blocks.convnet"\n' + TINY_NET);
        },
        args: ['check', 'net.convnet'],
        check: (r, ctx) => {
            if (/cannot find|no such file/i.test(r.stderr + r.stdout)) ctx.problem('calls an existing FIFO missing');
        },
    },
    {
        name: 'a .convnet file importing /dev/zero does not hang or fill memory',
        expect: 'error',
        setup: ctx => { ctx.write('net.convnet', 'import "/dev/zero"\n' + TINY_NET); },
        args: ['summary', 'net.convnet'],
    },
    {
        name: 'a directory given as the .convnet file fails cleanly',
        expect: 'error',
        setup: ctx => { ctx.write('dir.convnet/inside.txt', 'x'); },
        args: ['check', 'dir.convnet'],
    },
    {
        name: 'a directory given as --weights fails cleanly',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('W.safetensors/inside.txt', 'x'); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'a directory given as the ONNX model fails cleanly',
        expect: 'error',
        setup: ctx => { ctx.write('model.onnx/inside.txt', 'x'); },
        args: ['import', 'model.onnx'],
    },
    // Images
    {
        name: 'a real 1×1 PNG is resized up to the input (control for the PNG writer)',
        expect: 'ok',
        setup: ctx => { net(ctx); ctx.write('one.png', png(1, 1)); },
        args: ['run', 'net.convnet', '--input', 'one.png'],
    },
    {
        name: 'a PNG whose header claims 100000×100000 pixels is refused without decoding',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('huge.png', pngRaw(100000, 100000, zlib.deflateSync(Buffer.alloc(1024)))); },
        args: ['run', 'net.convnet', '--input', 'huge.png'],
    },
    {
        name: 'a PNG claiming 20000×20000 with 1 KB of pixel data is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('short.png', pngRaw(20000, 20000, zlib.deflateSync(Buffer.alloc(1024, 7)))); },
        args: ['run', 'net.convnet', '--input', 'short.png'],
    },
    {
        name: 'a legal 20000×20000 grey PNG of zeros (400 KB, 400 MB inflated) stays under the time and memory limits',
        expect: 'either',
        setup: async ctx => { net(ctx); ctx.write('bomb.png', await pngZeroBomb(20000, 20000)); },
        args: ['run', 'net.convnet', '--input', 'bomb.png'],
    },
    {
        name: 'a truncated PNG is refused',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            const full = png(32, 32);
            ctx.write('cut.png', full.subarray(0, Math.floor(full.length * 0.6)));
        },
        args: ['run', 'net.convnet', '--input', 'cut.png'],
    },
    {
        name: 'a PNG with a corrupted CRC is refused',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            const b = png(8, 8);
            b[b.length - 20] ^= 0xff; // inside the IDAT chunk's data or CRC
            ctx.write('crc.png', b);
        },
        args: ['run', 'net.convnet', '--input', 'crc.png'],
    },
    {
        name: 'a JPEG whose frame header claims 65535×65535 pixels is refused without decoding',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('huge.jpg', jpegClaiming(65535, 65535)); },
        args: ['run', 'net.convnet', '--input', 'huge.jpg'],
    },
    {
        name: 'a JPEG claiming 0×0 pixels is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('empty.jpg', jpegClaiming(0, 0)); },
        args: ['run', 'net.convnet', '--input', 'empty.jpg'],
    },
    // .npy
    {
        name: '.npy whose header claims shape (100000, 100000, 100000) with 100 bytes of data is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('huge.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", Buffer.alloc(100))); },
        args: ['run', 'net.convnet', '--input', 'huge.npy'],
    },
    {
        name: '.npy whose shape overflows 2^64 elements is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('overflow.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", Buffer.alloc(16))); },
        args: ['run', 'net.convnet', '--input', 'overflow.npy'],
    },
    {
        name: 'a pickled object .npy (dtype |O, a pickle that calls os.system) is refused and never unpickled',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            const pickle = Buffer.from("cos\nsystem\n(S'touch PWNED'\ntR.", 'latin1');
            ctx.write('obj.npy', npy("{'descr': '|O', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", pickle));
        },
        args: ['run', 'net.convnet', '--input', 'obj.npy'],
        check: (_r, ctx) => { if (ctx.exists('PWNED')) ctx.problem('the pickle ran'); },
    },
    {
        name: '.npy header that is Python code (__import__) is refused, not evaluated',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            ctx.write('code.npy', npy("{'descr': __import__('os').system('touch PWNED'), 'fortran_order': False, 'shape': (1, 3, 8, 8), }", float32(INPUT_VALUES)));
        },
        args: ['run', 'net.convnet', '--input', 'code.npy'],
    },
    {
        name: 'a Fortran-order .npy is refused or read as the same array',
        expect: 'either',
        setup: ctx => {
            net(ctx);
            ctx.write('c.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", float32(INPUT_VALUES)));
            ctx.write('f.npy', npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 3, 8, 8), }", float32(fortranOrder(INPUT_VALUES, [1, 3, 8, 8]))));
        },
        args: ['run', 'net.convnet', '--input', 'f.npy'],
        check: sameAsPlainInput('c.npy'),
    },
    {
        name: 'a big-endian float32 .npy is refused or read as the same array',
        expect: 'either',
        setup: ctx => {
            net(ctx);
            ctx.write('c.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", float32(INPUT_VALUES)));
            ctx.write('be.npy', npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }", float32(INPUT_VALUES, true)));
        },
        args: ['run', 'net.convnet', '--input', 'be.npy'],
        check: sameAsPlainInput('c.npy'),
    },
    // safetensors
    {
        name: 'safetensors with a header length of 2^60 is refused without allocating it',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', safetensorsRaw('{}', Buffer.alloc(64), 1n << 60n)); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors with a header length past the end of the file is refused',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', safetensorsRaw('{"a":1}', Buffer.alloc(0), 4096n)); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors with a duplicate key is refused (not last-one-wins)',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            const good = tinyWeights();
            const len = Number(good.readBigUInt64LE(0));
            const header = good.subarray(8, 8 + len).toString('utf8');
            const data = good.subarray(8 + len);
            // conv1.bias a second time, pointing at fc.bias's bytes.
            const parsed = JSON.parse(header) as Record<string, { data_offsets: number[] }>;
            const dup = `"conv1.bias":{"dtype":"F32","shape":[4],"data_offsets":[${parsed['fc.bias'].data_offsets[0]},${parsed['fc.bias'].data_offsets[0] + 16}]}`;
            ctx.write('W.safetensors', safetensorsRaw(header.replace(/}$/, `,${dup}}`), data));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors with NaN weights is refused or warned about',
        expect: 'either',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', tinyWeights({ name: 'conv1.weight', values: [NaN, ...new Array(107).fill(0.1)] })); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
        check: nonFiniteSaid,
    },
    {
        name: 'safetensors with +Inf weights is refused or warned about',
        expect: 'either',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', tinyWeights({ name: 'fc.bias', values: [Infinity, 0, 0, 0, -Infinity] })); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
        check: nonFiniteSaid,
    },
    {
        name: 'export --onnx with NaN weights is refused or warned about',
        expect: 'either',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', tinyWeights({ name: 'conv1.weight', values: [NaN, ...new Array(107).fill(0.1)] })); },
        args: ['export', 'net.convnet', '--onnx', 'out.onnx', '--weights', 'W.safetensors'],
        writes: ['out.onnx'],
        check: nonFiniteSaid,
    },
    {
        name: 'safetensors with data offsets beyond the end of the file is refused',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            ctx.write('W.safetensors', tinyWeightsWithOffsets((begin, end) => [begin + 1_000_000, end + 1_000_000]));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors with reversed data offsets (begin > end) is refused',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            ctx.write('W.safetensors', tinyWeightsWithOffsets((begin, end, name) => (name === 'fc.bias' ? [end, begin] : [begin, end])));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors whose shape has 2^53 × 2^53 elements over 16 bytes is refused',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            ctx.write('W.safetensors', safetensorsRaw(stHeader({ 'conv1.weight': { dtype: 'F32', shape: [9007199254740992, 9007199254740992], data_offsets: [0, 16] } }), Buffer.alloc(16)));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors with a "__proto__" tensor key is refused like any unexpected key',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            const good = tinyWeights();
            const len = Number(good.readBigUInt64LE(0));
            const header = good.subarray(8, 8 + len).toString('utf8');
            const proto = '"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
            ctx.write('W.safetensors', safetensorsRaw(header.replace(/^{/, `{${proto},`), good.subarray(8 + len)));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: 'safetensors header of 100000 nested arrays is refused without a stack overflow',
        expect: 'error',
        setup: ctx => { net(ctx); ctx.write('W.safetensors', safetensorsRaw('['.repeat(100000) + ']'.repeat(100000), Buffer.alloc(0))); },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
    {
        name: '20000 unexpected keys in the weights: the message stays bounded per line',
        expect: 'error',
        setup: ctx => {
            net(ctx);
            const extra = Array.from({ length: 20000 }, (_, i) => ({ name: `layer${i}.some_rather_long_parameter_name.weight`, shape: [1] }));
            ctx.write('W.safetensors', safetensors([...TINY_PARAMS.map(([name, shape]) => ({ name, shape })), ...extra]));
        },
        args: ['run', 'net.convnet', '--weights', 'W.safetensors'],
    },
];
