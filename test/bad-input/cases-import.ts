/**
 * `convnet import` of broken, lying or oversized ONNX models, built with onnx-proto (or byte by byte where
 * onnx-proto would not write them).
 */
import type { Case, Ctx } from './harness.js';
import { T, floatTensor, int64Scalar, ints, onnx, onnxChain, onnxModel, onnxNestedGraphs, str } from './fixtures.js';

const conv = (input = 'x', output = 'c') => ({
    opType: 'Conv', name: '/conv/Conv', input: [input, 'conv.weight', 'conv.bias'], output: [output],
    attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])],
});

/** The written .convnet file checks clean. */
async function importedChecks(ctx: Ctx, file: string): Promise<void> {
    if (!ctx.exists(file)) return;
    const checked = await ctx.cli(['check', file]);
    if (checked.code !== 0) ctx.problem(`the imported ${file} does not check: ${JSON.stringify(checked.stdout.slice(0, 300))}`);
}

export const importCases: Case[] = [
    {
        name: 'import of a plain Conv + Relu model succeeds (control for the ONNX writer)',
        expect: 'ok',
        setup: ctx => { ctx.write('m.onnx', onnxModel()); },
        args: ['import', 'm.onnx', '--out', 'm.convnet'],
        writes: ['m.convnet'],
        check: (_r, ctx) => importedChecks(ctx, 'm.convnet'),
    },
    {
        name: 'import of an empty file is refused',
        expect: 'error',
        setup: ctx => { ctx.write('empty.onnx', Buffer.alloc(0)); },
        args: ['import', 'empty.onnx', '--out', 'e.convnet'],
    },
    {
        name: 'import of 1 MB of random bytes is refused',
        expect: 'error',
        setup: ctx => {
            const b = Buffer.alloc(1 << 20);
            let s = 12345;
            for (let i = 0; i < b.length; i++) { s = (s * 1103515245 + 12345) >>> 0; b[i] = s >>> 24; }
            ctx.write('noise.onnx', b);
        },
        args: ['import', 'noise.onnx', '--out', 'n.convnet'],
    },
    {
        name: 'import of a truncated model is refused',
        expect: 'error',
        setup: ctx => { const m = onnxModel(); ctx.write('cut.onnx', m.subarray(0, Math.floor(m.length / 2))); },
        args: ['import', 'cut.onnx'],
    },
    {
        name: 'import of a model with no opset_import is refused',
        expect: 'error',
        setup: ctx => { ctx.write('noopset.onnx', onnxModel({ opset: null })); },
        args: ['import', 'noopset.onnx', '--out', 'n.convnet'],
    },
    {
        name: 'import of a model with opset 1000000 is refused',
        expect: 'error',
        setup: ctx => { ctx.write('future.onnx', onnxModel({ opset: 1_000_000 })); },
        args: ['import', 'future.onnx', '--out', 'f.convnet'],
    },
    {
        name: 'import of a Conv with auto_pad "SIDEWAYS" is refused',
        expect: 'error',
        setup: ctx => {
            ctx.write('pad.onnx', onnxModel({
                nodes: [
                    { ...conv(), attribute: [ints('kernel_shape', [3, 3]), str('auto_pad', 'SIDEWAYS')] },
                    { opType: 'Relu', name: '/relu/Relu', input: ['c'], output: ['y'] },
                ],
            }));
        },
        args: ['import', 'pad.onnx', '--out', 'p.convnet'],
    },
    {
        name: 'import of two nodes writing one tensor is refused',
        expect: 'error',
        setup: ctx => {
            ctx.write('twice.onnx', onnxModel({
                nodes: [
                    conv(),
                    { opType: 'Relu', name: '/relu/Relu', input: ['c'], output: ['y'] },
                    { opType: 'Sigmoid', name: '/sig/Sigmoid', input: ['c'], output: ['y'] },
                ],
            }));
        },
        args: ['import', 'twice.onnx', '--out', 't.convnet'],
    },
    {
        name: 'import of an initializer shorter than its dims is refused',
        expect: 'error',
        setup: ctx => {
            ctx.write('short.onnx', onnxModel({
                initializers: [{ name: 'conv.weight', dataType: T.FLOAT, dims: [4, 3, 3, 3], rawData: Buffer.alloc(10) }, floatTensor('conv.bias', [4])],
            }));
        },
        args: ['import', 'short.onnx', '--out', 's.convnet'],
    },
    {
        name: 'import of an initializer with dims [2^31, 2^31] and no data is refused',
        expect: 'error',
        setup: ctx => {
            ctx.write('huge.onnx', onnxModel({
                initializers: [{ name: 'conv.weight', dataType: T.FLOAT, dims: [2 ** 31, 2 ** 31] }, floatTensor('conv.bias', [4])],
            }));
        },
        args: ['import', 'huge.onnx', '--out', 'h.convnet'],
    },
    {
        name: 'import of a graph input of 1×3×2^40×2^40 is refused',
        expect: 'error',
        setup: ctx => { ctx.write('wide.onnx', onnxModel({ inputDims: [1, 3, 2 ** 40, 2 ** 40] })); },
        args: ['import', 'wide.onnx', '--out', 'w.convnet'],
    },
    {
        name: 'import of a cyclic graph is refused without hanging',
        expect: 'error',
        setup: ctx => {
            ctx.write('cycle.onnx', onnxModel({
                nodes: [
                    conv('x', 'c'),
                    { opType: 'Add', name: '/add/Add', input: ['c', 'b'], output: ['a'] },
                    { opType: 'Relu', name: '/r1/Relu', input: ['a'], output: ['b'] },
                    { opType: 'Relu', name: '/r2/Relu', input: ['a'], output: ['y'] },
                ],
            }));
        },
        args: ['import', 'cycle.onnx', '--out', 'c.convnet'],
    },
    {
        // A .convnet file holds no weights, so the data need not be read: refusing and ignoring it are both fair.
        name: 'import of an initializer stored as external data at ../../../../etc/passwd does not show the file',
        expect: 'either',
        writes: ['x.convnet'],
        setup: ctx => {
            ctx.write('ext.onnx', onnxModel({
                initializers: [{
                    name: 'conv.weight', dataType: T.FLOAT, dims: [4, 3, 3, 3],
                    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
                    externalData: [{ key: 'location', value: '../../../../../../../../etc/passwd' }, { key: 'offset', value: '0' }, { key: 'length', value: '432' }],
                }, floatTensor('conv.bias', [4])],
            }));
        },
        args: ['import', 'ext.onnx', '--out', 'x.convnet'],
        check: (r, ctx) => {
            if (/root:/.test(r.stdout + r.stderr)) ctx.problem('printed bytes of /etc/passwd');
            if (ctx.exists('x.convnet') && ctx.read('x.convnet').includes('root:')) ctx.problem('wrote bytes of /etc/passwd');
        },
    },
    {
        name: 'import of If subgraphs nested 10000 deep is refused without a stack overflow',
        expect: 'error',
        setup: ctx => { ctx.write('deep.onnx', onnxNestedGraphs(10_000)); },
        args: ['import', 'deep.onnx', '--out', 'd.convnet'],
    },
    {
        name: 'import of a 2000-node elementwise chain succeeds within the limits',
        expect: 'ok',
        setup: ctx => { ctx.write('chain.onnx', onnxChain(2000)); },
        args: ['import', 'chain.onnx', '--out', 'chain.convnet'],
        writes: ['chain.convnet'],
    },
    {
        name: 'import of a model with an unused Range(0, 3e9) does not blow up',
        expect: 'either',
        setup: ctx => {
            ctx.write('range.onnx', onnxModel({
                nodes: [
                    conv(),
                    { opType: 'Range', name: '/unused/Range', input: ['start', 'limit', 'delta'], output: ['r'] },
                    { opType: 'Relu', name: '/relu/Relu', input: ['c'], output: ['y'] },
                ],
                initializers: [floatTensor('conv.weight', [4, 3, 3, 3]), floatTensor('conv.bias', [4]), int64Scalar('start', 0), int64Scalar('limit', 3_000_000_000), int64Scalar('delta', 1)],
            }));
        },
        args: ['import', 'range.onnx', '--out', 'r.convnet'],
        writes: ['r.convnet'],
    },
    {
        name: 'import of a graph named like code ("N) { } network X(") writes a file that checks',
        expect: 'ok',
        setup: ctx => { ctx.write('g.onnx', onnxModel({ graphName: 'N(input: [1]) { }\nnetwork X(' }));  },
        args: ['import', 'g.onnx', '--out', 'g.convnet'],
        writes: ['g.convnet'],
        check: (_r, ctx) => importedChecks(ctx, 'g.convnet'),
    },
    {
        name: 'import --network "1 bad name" (not an identifier) is refused',
        expect: 'error',
        setup: ctx => { ctx.write('m.onnx', onnxModel()); },
        args: ['import', 'm.onnx', '--network', '1 bad name', '--out', 'm.convnet'],
    },
    {
        name: 'import --out into a missing directory fails and creates no directory',
        expect: 'error',
        setup: ctx => { ctx.write('m.onnx', onnxModel()); },
        args: ['import', 'm.onnx', '--out', 'missing/m.convnet'],
    },
];
