/**
 * `convnet import`: ONNX → `.convnet`. Every example (examples/*.convnet, globbed, so new examples are included as
 * they are written), every op configuration of the op fixture and the exporter's coverage networks is exported by
 * our ONNX exporter and imported back: the imported text must check with no errors and no warnings the original
 * does not have, and its parameters, MACs, output shapes and state_dict keys must be the original's (the original's
 * figures are checked elsewhere against torchvision, papers and PyTorch, so the original is a fair reference here).
 *
 * A model exported by PyTorch itself (test/fixtures/import, made by make_import_fixtures.py with torch.onnx.export)
 * must import clean with the parameters, MACs and output shape PyTorch reports, and its state_dict keys; the same
 * model with torch.onnx's default batch-norm folding must import with the folded parameter count.
 */
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isNetwork } from '../language/generated/ast.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { exportOnnx } from '../interchange/export/onnx.js';
import type { ParameterStore } from '../runtime/weights.js';
import { importOnnx, OnnxImportError, SUPPORTED_ONNX_OPS } from '../interchange/import/onnx-to-convnet.js';
import { COVERAGE_NETWORKS, ROOT } from './export-cases.js';
import { analyzeNetwork, parse, singleOp } from './helpers.js';

const { onnx } = onnxProto;
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'import');
const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');

/** Zero-filled parameters: the importer reads only their shapes and names. */
function zeroParameters(graph: NetworkGraph): ParameterStore {
    const store: ParameterStore = new Map();
    for (const node of graph.nodes) {
        const tensors: Record<string, Float32Array> = {};
        for (const p of node.params) tensors[p.name] = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
        store.set(node.name, tensors);
    }
    return store;
}

const stateDictKeys = (graph: NetworkGraph) => graph.nodes.flatMap(n => n.params.map(p => `${n.name}.${p.name}`)).sort();
const outputShapes = (graph: NetworkGraph) => graph.outputs.map(o => [...graph.tensors[o.tensor].shape]);

interface Imported {
    text: string;
    graph: NetworkGraph;
    errors: string[];
    warnings: string[];
}

/** Imports ONNX bytes and elaborates the text the way the editor and `convnet check` do. */
async function importAndCheck(bytes: Uint8Array, source: string): Promise<Imported> {
    const result = importOnnx(bytes, { source });
    const parsed = await parse(result.text);
    const describe = (d: { message: unknown; range: { start: { line: number } } }) => `${d.range.start.line + 1}: ${String(d.message)}`;
    const errors = parsed.errors.map(describe);
    const graph = errors.length ? undefined : analyzeNetwork(parsed, result.networkName).graph;
    if (errors.length) throw new Error(`the import of ${source} has errors:\n${errors.join('\n')}\n\n${result.text}`);
    // The figures the importer reports are the ones the language computes from its text.
    expect(graph!.totals.params, 'params the importer reports').toBe(result.params);
    expect(graph!.totals.macs, 'MACs the importer reports').toBe(result.macs);
    return { text: result.text, graph: graph!, errors, warnings: parsed.warnings.map(w => String(w.message)) };
}

/** Imports `graph` after exporting it (at `opset`, or the exporter's default), and checks the round trip. */
async function roundTrip(graph: NetworkGraph, id: string, originalWarnings: readonly string[], opset?: number): Promise<void> {
    const bytes = exportOnnx(graph, zeroParameters(graph), { opset }).bytes;
    const imported = await importAndCheck(bytes, `${id}.onnx`);
    const context = `${id}\n${imported.text}`;
    expect(imported.graph.totals.params, context).toBe(graph.totals.params);
    expect(imported.graph.totals.buffers, context).toBe(graph.totals.buffers);
    expect(imported.graph.totals.macs, context).toBe(graph.totals.macs);
    expect(outputShapes(imported.graph), context).toEqual(outputShapes(graph));
    expect(imported.graph.inputs.map(i => [...imported.graph.tensors[i.tensor].shape]), context).toEqual(graph.inputs.map(i => [...graph.tensors[i.tensor].shape]));
    expect(stateDictKeys(imported.graph), context).toEqual(stateDictKeys(graph));
    // Tensor names are the importer's own ('b' may come back as 'x2'): warnings are compared without them.
    const withoutNames = (w: string) => w.replace(/'[^']*'/g, "'…'");
    const extra = imported.warnings.filter(w => !originalWarnings.map(withoutNames).includes(withoutNames(w)));
    expect(extra, context).toEqual([]);
}

interface ExampleNetwork {
    id: string;
    graph: NetworkGraph;
    warnings: string[];
}

async function exampleNetworks(): Promise<ExampleNetwork[]> {
    const dir = path.join(ROOT, 'examples');
    const found: ExampleNetwork[] = [];
    for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.convnet')).sort()) {
        const { documents, services } = await loadConvNetFiles([path.join(dir, file)]);
        const diagnostics = documents[0].diagnostics ?? [];
        if (diagnostics.some(d => d.severity === 1)) throw new Error(`examples/${file} has errors`);
        const warnings = diagnostics.filter(d => d.severity === 2).map(d => String(d.message));
        for (const network of documents[0].parseResult.value.declarations.filter(isNetwork)) {
            found.push({ id: `examples/${file} ${network.name}`, graph: services.analysis.NetworkAnalyzer.analyze(network).graph, warnings });
        }
    }
    return found;
}

describe('examples exported by our exporter import back with the same figures and names', async () => {
    const examples = await exampleNetworks();
    it('finds the examples', () => {
        expect(examples.length).toBeGreaterThanOrEqual(10);
    });
    it.each(examples.map(e => [e.id, e] as const))('%s', async (_id, e: ExampleNetwork) => {
        await roundTrip(e.graph, e.id, e.warnings);
    });
});

/** The op fixture's accepted cases and the exporter's coverage networks (as export-cases.ts builds them), with their warnings. */
async function opNetworks(): Promise<ExampleNetwork[]> {
    const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'ops', 'op-cases.json'), 'utf8')) as { cases: { id: string; inputs: number[][]; step?: string; network?: string; torch: object }[] };
    const sources: [string, string][] = fixture.cases.filter(c => !('error' in c.torch)).map(c => [`op ${c.id}`, c.network ?? singleOp(c.inputs[0], c.step!)]);
    sources.push(...Object.entries(COVERAGE_NETWORKS).map(([id, text]): [string, string] => [`network: ${id}`, text]));
    const found: ExampleNetwork[] = [];
    for (const [id, text] of sources) {
        const parsed = await parse(text);
        if (parsed.errors.length) throw new Error(`${id} does not elaborate`);
        found.push({ id, graph: analyzeNetwork(parsed).graph, warnings: parsed.warnings.map(w => String(w.message)) });
    }
    return found;
}

describe('the imported text reads like the examples', () => {
    it('ResNet-18: one block per kind of residual block, parameterised by its width; lists for the stages', async () => {
        const { documents, services } = await loadConvNetFiles([path.join(ROOT, 'examples', 'resnet18.convnet')]);
        const graph = services.analysis.NetworkAnalyzer.analyze(documents[0].parseResult.value.declarations.filter(isNetwork)[0]).graph;
        const { text, blocks } = importOnnx(exportOnnx(graph, zeroParameters(graph)).bytes, { source: 'resnet18.onnx' });
        expect(blocks).toBe(2);
        expect(text).toContain([
            'block Layer1_0(channels: int)(x) {',
            '  bn2 = x',
            '    -> conv1: conv(channels, kernel: 3, padding: 1, bias: false) -> bn1: batchnorm -> relu',
            '    -> conv2: conv(channels, kernel: 3, padding: 1, bias: false) -> bn2: batchnorm',
            '  return bn2 + x -> relu',
            '}',
        ].join('\n'));
        expect(text).toContain('  downsample = x -> downsample: [conv(channels, kernel: 1, stride: 2, bias: false), batchnorm]');
        expect(text).toContain([
            'network ResNet18(input: [1, 3, 224, 224]) {',
            '  return input',
            '    -> conv1: conv(64, kernel: 7, stride: 2, padding: 3, bias: false) -> bn1: batchnorm -> relu',
            '    -> maxpool(3, stride: 2, padding: 1)',
            '    -> layer1: [Layer1_0(64), Layer1_0(64)]',
            '    -> layer2: [Layer2_0(128), Layer1_0(128)]',
        ].join('\n'));
    });

    it('a symbolic batch size becomes 1, and the file says so', async () => {
        const bytes = modelWith([{ opType: 'Relu', name: '/act/Relu', input: ['c'], output: ['y'] }], 'y', 'batch');
        const result = importOnnx(bytes, { source: 'dynamic.onnx' });
        expect(result.notes).toEqual(["input 'x': its batch dimension is symbolic ('batch'); it is 1 here"]);
        expect(result.text).toContain("# input 'x': its batch dimension is symbolic ('batch'); it is 1 here");
        expect(result.text).toContain('network Dynamic(x: [1, 3, 8, 8]) {\n  return y: x -> conv: conv(4, kernel: 3, bias: false) -> act: relu\n}');
        expect((await parse(result.text)).diagnostics).toEqual([]);
    });
});

describe('every op configuration and the coverage networks import back', async () => {
    const cases = await opNetworks();
    it('finds the op cases', () => {
        expect(cases.length).toBeGreaterThan(250);
    });
    it.each(cases.map(c => [c.id, c] as const))('%s', async (_id, c: ExampleNetwork) => {
        await roundTrip(c.graph, c.id, c.warnings);
    });
    // The exporter writes some ops differently by opset (HardSwish, LayerNormalization and Gelu written out below
    // 14, 17 and 20; Reduce axes as an input from 18): the lowest and the highest opset as well.
    const byOpset = cases.filter(c => !c.graph.nodes.some(n => n.op === 'deformconv')).flatMap(c => [13, 21].map(opset => [`${c.id} at opset ${opset}`, c, opset] as const));
    it.each(byOpset)('%s', async (_id, c: ExampleNetwork, opset: number) => {
        await roundTrip(c.graph, c.id, c.warnings, opset);
    });
});

interface TorchReference {
    input: number[];
    params: number;
    buffers: number;
    macs: number;
    output: number[];
    state_dict: string[];
    fused: { file: string; opset: number; params: number };
}

describe('models exported by torch.onnx.export', () => {
    const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'small_cnn.json'), 'utf8')) as TorchReference;

    it('small_cnn.onnx (batch norms kept): PyTorch\'s parameters, MACs, output shape and state_dict keys', async () => {
        const imported = await importAndCheck(fs.readFileSync(path.join(FIXTURES, 'small_cnn.onnx')), 'small_cnn.onnx');
        expect(imported.warnings, imported.text).toEqual([]);
        expect(imported.graph.totals.params).toBe(reference.params);
        expect(imported.graph.totals.buffers).toBe(reference.buffers);
        expect(imported.graph.totals.macs).toBe(reference.macs);
        expect(outputShapes(imported.graph)).toEqual([reference.output]);
        expect(imported.graph.inputs.map(i => [...imported.graph.tensors[i.tensor].shape])).toEqual([reference.input]);
        expect(stateDictKeys(imported.graph)).toEqual([...reference.state_dict].sort());
        // torch.onnx's patterns come back as the language's ops.
        for (const op of ['shuffle', 'split', 'silu', 'hardswish', 'hardsigmoid', 'gelu', 'relu6', 'dwconv', 'convtranspose', 'upsample', 'globalavgpool', 'flatten', 'linear']) {
            expect(imported.graph.nodes.map(n => n.op), op).toContain(op);
        }
        expect(imported.text).toContain('avgpool(3, stride: 2, ceil_mode: true)');
        expect(imported.text).toMatch(/network SmallCnn\(image: \[1, 3, 32, 32\]\)/);
        expect(imported.text).toMatch(/return logits: image/);
    });

    it('small_cnn_fused.onnx (torch.onnx defaults: batch norms folded into the convs)', async () => {
        const imported = await importAndCheck(fs.readFileSync(path.join(FIXTURES, reference.fused.file)), reference.fused.file);
        expect(imported.warnings, imported.text).toEqual([]);
        expect(imported.graph.totals.params).toBe(reference.fused.params);
        expect(imported.graph.totals.macs).toBe(reference.macs);
        expect(outputShapes(imported.graph)).toEqual([reference.output]);
        // Folded convs are named by their node's scope, so their keys are still PyTorch's (their bias is new).
        const keys = stateDictKeys(imported.graph);
        for (const key of reference.state_dict.filter(k => k.endsWith('.weight') && keys.includes(k.replace(/\.weight$/, '.bias')))) expect(keys).toContain(key);
        expect(keys).toContain('layer1.0.conv1.weight');
        expect(keys).toContain('classifier.3.weight');
    });

    const ops = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'torch_ops.json'), 'utf8')) as {
        files: Record<string, number>; inputs: number[][]; params: number; buffers: number; macs: number; outputs: number[][]; state_dict: string[];
    };
    it.each(Object.keys(ops.files))('%s (three inputs, three outputs, the other ops)', async file => {
        const imported = await importAndCheck(fs.readFileSync(path.join(FIXTURES, file)), file);
        // The one warning PyTorch's model earns: a 3×3 transposed conv of stride 2.
        expect(imported.warnings.filter(w => !w.includes('checkerboard')), imported.text).toEqual([]);
        expect(imported.graph.totals.params).toBe(ops.params);
        expect(imported.graph.totals.buffers).toBe(ops.buffers);
        expect(imported.graph.totals.macs).toBe(ops.macs);
        expect(outputShapes(imported.graph)).toEqual(ops.outputs);
        expect(imported.graph.outputs.map(o => o.name)).toEqual(['h', 's', 'v']);
        expect(imported.graph.inputs.map(i => [...imported.graph.tensors[i.tensor].shape])).toEqual(ops.inputs);
        expect(stateDictKeys(imported.graph)).toEqual([...ops.state_dict].sort());
        for (const op of ['groupnorm', 'layernorm', 'leakyrelu', 'elu', 'convtranspose', 'pad', 'slice', 'softmax', 'conv1d', 'avgpool1d', 'conv3d', 'maxpool3d']) {
            expect(imported.graph.nodes.map(n => n.op), op).toContain(op);
        }
        // torch.onnx's Pad of zeros before an average pooling says nothing and is left out.
        expect(imported.text).not.toContain('pad(0)');
    });
});

describe('pixel shuffle and unshuffle as torch.onnx.export writes them', () => {
    const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pixel_shuffle.json'), 'utf8')) as {
        files: Record<string, number>; input: number[]; params: number; macs: number; output: number[]; state_dict: string[];
    };
    it.each(Object.entries(reference.files))('%s (opset %i: DepthToSpace CRD from 11, Reshape → Transpose → Reshape before)', async file => {
        const imported = await importAndCheck(fs.readFileSync(path.join(FIXTURES, file)), file);
        expect(imported.warnings, imported.text).toEqual([]);
        expect(imported.graph.totals.params).toBe(reference.params);
        expect(imported.graph.totals.macs).toBe(reference.macs);
        expect(outputShapes(imported.graph)).toEqual([reference.output]);
        expect(stateDictKeys(imported.graph)).toEqual([...reference.state_dict].sort());
        expect(imported.graph.nodes.map(n => `${n.op}:${n.name}`)).toEqual(['conv:head', 'pixelshuffle:up', 'conv:body', 'pixelunshuffle:down', 'conv:tail']);
        expect(imported.text).toContain('pixelshuffle(2)');
        expect(imported.text).toContain('pixelunshuffle(2)');
    });
});

/** A model with the given nodes after one Conv, encoded by onnx-proto. */
function modelWith(nodes: onnxProto.onnx.INodeProto[], output: string, batch: number | string = 1): Uint8Array {
    const A = onnx.AttributeProto.AttributeType;
    const weight = { name: 'conv.weight', dataType: onnx.TensorProto.DataType.FLOAT, dims: [4, 3, 3, 3], rawData: new Uint8Array(4 * 3 * 3 * 3 * 4) };
    return onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        producerName: 'test',
        graph: {
            name: 'main_graph',
            node: [
                { opType: 'Conv', name: '/conv/Conv', input: ['x', 'conv.weight'], output: ['c'], attribute: [{ name: 'kernel_shape', type: A.INTS, ints: [3, 3] }] },
                ...nodes,
            ],
            initializer: [weight],
            input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [typeof batch === 'number' ? { dimValue: batch } : { dimParam: batch }, { dimValue: 3 }, { dimValue: 8 }, { dimValue: 8 }] } } } }],
            output: [{ name: output, type: { tensorType: { elemType: 1 } } }],
        },
    }).finish();
}

describe('conventions of other producers', () => {
    it('auto_pad SAME_UPPER, Clip by inputs, Resize by scales, Gemm without transB, Softmax of opset 11', async () => {
        const A = onnx.AttributeProto.AttributeType;
        const T = onnx.TensorProto.DataType;
        const floats = (name: string, dims: number[], values: number[]) => ({ name, dataType: T.FLOAT, dims, floatData: values });
        const bytes = onnx.ModelProto.encode({
            irVersion: 6,
            opsetImport: [{ domain: '', version: 11 }],
            producerName: 'hand-written',
            graph: {
                name: 'tf2onnx',
                node: [
                    { opType: 'Conv', name: 'Conv_0', input: ['x', 'w'], output: ['c'], attribute: [{ name: 'auto_pad', type: A.STRING, s: new TextEncoder().encode('SAME_UPPER') }, { name: 'strides', type: A.INTS, ints: [2, 2] }] },
                    { opType: 'Clip', name: 'Clip_1', input: ['c', 'lo', 'hi'], output: ['r'] },
                    { opType: 'MaxPool', name: 'MaxPool_2', input: ['r'], output: ['p'], attribute: [{ name: 'kernel_shape', type: A.INTS, ints: [2, 2] }, { name: 'strides', type: A.INTS, ints: [2, 2] }, { name: 'auto_pad', type: A.STRING, s: new TextEncoder().encode('SAME_UPPER') }] },
                    { opType: 'Resize', name: 'Resize_3', input: ['p', '', 'scales'], output: ['u'], attribute: [{ name: 'mode', type: A.STRING, s: new TextEncoder().encode('nearest') }] },
                    { opType: 'Flatten', name: 'Flatten_4', input: ['u'], output: ['f'] },
                    { opType: 'Gemm', name: 'Gemm_5', input: ['f', 'fc_w', 'fc_b'], output: ['g'] },
                    { opType: 'Softmax', name: 'Softmax_6', input: ['g'], output: ['probabilities'], attribute: [{ name: 'axis', type: A.INT, i: 1 }] },
                ],
                initializer: [
                    floats('w', [4, 3, 3, 3], Array(108).fill(0.1)), floats('lo', [], [0]), floats('hi', [], [6]), floats('scales', [4], [1, 1, 2, 2]),
                    floats('fc_w', [64, 10], Array(640).fill(0)), floats('fc_b', [10], Array(10).fill(0)),
                ],
                input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: 8 }, { dimValue: 8 }] } } } }],
                output: [{ name: 'probabilities', type: { tensorType: { elemType: 1 } } }],
            },
        }).finish();
        const imported = await importAndCheck(bytes, 'hand_written.onnx');
        expect(imported.warnings).toEqual([]);
        expect(imported.text).toContain([
            'network HandWritten(x: [1, 3, 8, 8]) {',
            '  return probabilities: x',
            '    -> conv(4, kernel: 3, stride: 2, padding: ((0, 1), (0, 1)), bias: false) -> relu6 -> maxpool(2)',
            '    -> upsample(2) -> flatten',
            '    -> linear(10) -> softmax',
            '}',
        ].join('\n'));
        expect([imported.graph.totals.params, imported.graph.totals.macs]).toEqual([108 + 650, 4 * 4 * 4 * 27 + 640]);
    });
});

describe('errors', () => {
    it('an unsupported op names the op, the node and its index, and lists the supported ops', () => {
        const bytes = modelWith([
            { opType: 'Relu', name: '/act/Relu', input: ['c'], output: ['r'] },
            { opType: 'LpNormalization', name: '/norm/LpNormalization', input: ['r'], output: ['y'] },
        ], 'y');
        let error: unknown;
        try {
            importOnnx(bytes, { source: 'lp.onnx' });
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(OnnxImportError);
        const message = (error as Error).message;
        expect(message).toContain("node #2 '/norm/LpNormalization' (LpNormalization)");
        expect(message).toContain('no mapping for LpNormalization');
        for (const op of ['Conv', 'BatchNormalization', 'MaxPool', 'Gemm', 'Resize']) expect(message).toContain(op);
    });

    it('an op the language has no equivalent for says why (an even LRN window, Add of a constant)', () => {
        // ONNX's even LRN window starts one channel later than PyTorch's LocalResponseNorm, which the language follows.
        const lrn = modelWith([{ opType: 'LRN', name: 'lrn', input: ['c'], output: ['y'], attribute: [{ name: 'size', type: onnx.AttributeProto.AttributeType.INT, i: 4 }] }], 'y');
        expect(() => importOnnx(lrn)).toThrow(/node #1 'lrn' \(LRN\): an even window \(size 4\) is placed differently from PyTorch's LocalResponseNorm/);
        const add = modelWith([{ opType: 'Add', name: 'shift', input: ['c', 'conv.weight'], output: ['y'] }], 'y');
        expect(() => importOnnx(add)).toThrow(/node #1 'shift' \(Add\): Add of an activation and a constant of shape 4×3×3×3 has no ConvNet op/);
        // ONNX's DCR order (its default) and SpaceToDepth put the block first in the channels; PyTorch's pixel
        // (un)shuffle, and the language's, put the channel first.
        const blocksize = { name: 'blocksize', type: onnx.AttributeProto.AttributeType.INT, i: 2 };
        const dcr = modelWith([{ opType: 'DepthToSpace', name: 'd2s', input: ['c'], output: ['y'], attribute: [blocksize] }], 'y');
        expect(() => importOnnx(dcr)).toThrow(/node #1 'd2s' \(DepthToSpace\): DepthToSpace in 'DCR' mode takes channel \(i·r \+ j\)·C \+ c/);
        const s2d = modelWith([{ opType: 'SpaceToDepth', name: 's2d', input: ['c'], output: ['y'], attribute: [blocksize] }], 'y');
        expect(() => importOnnx(s2d)).toThrow(/node #1 's2d' \(SpaceToDepth\): SpaceToDepth puts pixel \(i, j\) of channel c in channel \(i·r \+ j\)·C \+ c/);
    });

    it('a lone Transpose is a permute (to and from channels-last by name); one that is no order of the axes is refused', async () => {
        const perm = (ints: number[]) => [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints }];
        const transposes = modelWith([
            { opType: 'Transpose', name: 'to_last', input: ['c'], output: ['l'], attribute: perm([0, 2, 3, 1]) },
            { opType: 'Transpose', name: 'swap', input: ['l'], output: ['s'], attribute: perm([0, 2, 1, 3]) },
            { opType: 'Transpose', name: 'reversed', input: ['s'], output: ['r'] },
            { opType: 'Transpose', name: 'to_first', input: ['r'], output: ['y'], attribute: perm([0, 3, 1, 2]) },
        ], 'y');
        const imported = await importAndCheck(transposes, 'transposes.onnx');
        expect(imported.warnings, imported.text).toEqual([]);
        for (const layer of ['to_last: channelslast', 'swap: permute((0, 2, 1, 3))', 'reversed: permute((3, 2, 1, 0))', 'to_first: channelsfirst']) expect(imported.text).toContain(layer);
        // 1×4×6×6 → 1×6×6×4 → 1×6×6×4 → 4×6×6×1 → 4×1×6×6.
        expect(outputShapes(imported.graph)).toEqual([[4, 1, 6, 6]]);
        const repeated = modelWith([{ opType: 'Transpose', name: 't', input: ['c'], output: ['y'], attribute: perm([0, 2, 2, 1]) }], 'y');
        expect(() => importOnnx(repeated)).toThrow(/node #1 't' \(Transpose\): its perm \[0, 2, 2, 1\] is not an order of the 4 axes of its input/);
    });

    it('layernorm2d comes back whole from the exporter\'s Transpose → layer norm → Transpose, at every opset; a person\'s three layers stay three', async () => {
        const text = (body: string) => `network N(input: [1, 4, 6, 6]) {\n  return input -> ${body}\n}\n`;
        const graph = analyzeNetwork(await parse(text('stem: conv(8, kernel: 3) -> norm: layernorm2d(eps: 1e-6) -> relu'))).graph;
        for (const opset of [13, 17]) {
            const imported = await importAndCheck(exportOnnx(graph, zeroParameters(graph), { opset }).bytes, `ln2d_${opset}.onnx`);
            expect(imported.graph.nodes.map(n => `${n.op}:${n.name}`), imported.text).toEqual(['conv:stem', 'layernorm2d:norm', 'relu:relu']);
            expect(imported.text).toContain('norm: layernorm2d(eps: 0.000001)');
        }
        const spelled = analyzeNetwork(await parse(text('stem: conv(8, kernel: 3) -> channelslast -> norm: layernorm(8) -> channelsfirst'))).graph;
        const imported = await importAndCheck(exportOnnx(spelled, zeroParameters(spelled)).bytes, 'spelled.onnx');
        expect(imported.graph.nodes.map(n => n.op), imported.text).toEqual(['conv', 'channelslast', 'layernorm', 'channelsfirst']);
    });

    it('a file that is not ONNX says so', () => {
        expect(() => importOnnx(new TextEncoder().encode('network N(input: [1, 3, 8, 8]) {\n  return input -> relu\n}\n'), { source: 'n.convnet' }))
            .toThrow(/^n\.convnet is not an ONNX model \(it starts with text: "network N\(input: \[1, 3, 8, 8\]\) {"\)/);
        expect(() => importOnnx(new Uint8Array(0), { source: 'empty.onnx' })).toThrow('empty.onnx is empty, not an ONNX model');
        expect(() => importOnnx(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), { source: 'x.png' })).toThrow(/^x\.png is not an ONNX model/);
    });

    it('lists every supported op in the README', () => {
        const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
        const section = readme.slice(readme.indexOf('convnet import'));
        for (const op of SUPPORTED_ONNX_OPS) expect(section, op).toContain(op);
    });
});

describe('convnet import (the built CLI)', () => {
    let dir: string;
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-import-'));
    });
    afterAll(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const convnet = (...args: string[]) => {
        const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
        return { code: r.status, out: r.stdout, err: r.stderr };
    };

    it('import X.onnx --out Y.convnet writes a file that convnet check passes', () => {
        fs.copyFileSync(path.join(FIXTURES, 'small_cnn.onnx'), path.join(dir, 'small_cnn.onnx'));
        const r = convnet('import', 'small_cnn.onnx', '--out', 'small.convnet', '--network', 'Small');
        expect(r.code, r.err).toBe(0);
        expect(r.out).toBe('');
        expect(r.err).toContain('small.convnet: network Small from pytorch 1.13.0 (opset 13)');
        expect(r.err).toContain('17,966 parameters, 2,351,168 MACs; image 1×3×32×32 → 1×10');
        expect(r.err).toContain('all 85 parameter tensors with state_dict names keep their names');
        expect(fs.readFileSync(path.join(dir, 'small.convnet'), 'utf8')).toMatch(/^network Small\(image: \[1, 3, 32, 32\]\) \{$/m);
        const check = convnet('check', 'small.convnet');
        expect(check.code, check.out + check.err).toBe(0);
        expect(check.err.trim()).toBe('1 file checked: no problems');
        const summary = convnet('summary', 'small.convnet', '--json');
        const totals = JSON.parse(summary.out).networks[0];
        expect([totals.params, totals.macs]).toEqual([17966, 2351168]);
    });

    it('without --out prints the file; a file that is not ONNX is an error and writes nothing', () => {
        fs.copyFileSync(path.join(FIXTURES, 'small_cnn_fused.onnx'), path.join(dir, 'fused.onnx'));
        const printed = convnet('import', 'fused.onnx');
        expect(printed.code, printed.err).toBe(0);
        expect(printed.out).toMatch(/^network Fused\(input: \[1, 3, 32, 32\]\) \{$/m);
        expect(printed.err).toContain('with generated names (onnx::…) are named after their layers');
        fs.writeFileSync(path.join(dir, 'notes.onnx'), 'not a model\n');
        const bad = convnet('import', 'notes.onnx', '--out', 'notes.convnet');
        expect(bad.code).toBe(1);
        expect(bad.err).toContain('convnet: notes.onnx: notes.onnx is not an ONNX model');
        expect(fs.existsSync(path.join(dir, 'notes.convnet'))).toBe(false);
        const missing = convnet('import', 'missing.onnx');
        expect(missing.code).toBe(2);
        expect(missing.err.trim()).toBe('convnet: missing.onnx: cannot read the ONNX model: no such file');
        const usage = convnet('import');
        expect(usage.code).toBe(2);
        expect(usage.err).toContain('import takes exactly one ONNX file');
    });
});
