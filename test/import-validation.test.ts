/**
 * `convnet import` validates instead of guessing. Hostile and odd ONNX models are built in memory with onnx-proto:
 *   - a model that breaks the ONNX checker's rules (a tensor written twice, an input nobody defines, nodes out of
 *     order, an initializer shorter than its dimensions, an undeclared domain, no opset or one that does not exist)
 *     is refused with one sentence naming the tensor or node;
 *   - only what the outputs need is evaluated, within size limits: an unused Range(0, 3·10⁹) is ignored, a used one
 *     is refused naming its node, a long chain of shape arithmetic does not overflow the stack;
 *   - a valid model within the language's limits imports: a chain of 2,000 element-wise nodes, modules nested 40
 *     deep, an uneven Split feeding one branch — and where onnxruntime-node runs the model, our runtime gives the
 *     same output on the imported network;
 *   - text from the model (producer, graph and node names, dimension names) cannot break the written `.convnet`:
 *     a producer_name carrying newlines and declarations stays inside one comment line;
 *   - an auto_pad ONNX does not define is refused naming the node and the value.
 * No refusal says "importer bug", carries a stack, or spans several lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { isBlock, isNetwork } from '../language/generated/ast.js';
import { runNetwork } from '../runtime/executor.js';
import { importOnnx, OnnxImportError } from '../interchange/import/onnx-to-convnet.js';
import { SeededRandom } from '../runtime/random.js';
import { Tensor } from '../runtime/tensor.js';
import { analyzeNetwork, parse } from './helpers.js';
import { ROOT } from './export-cases.js';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;

type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

const INPUT = [1, 4, 6, 6];

const valueInfo = (name: string, dims?: readonly (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: T.FLOAT, ...(dims ? { shape: { dim: dims.map(d => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) } },
});

interface ModelSpec {
    readonly nodes: readonly NodeProto[];
    readonly initializers?: readonly TensorProto[];
    readonly outputs?: readonly string[];
    readonly opsetImport?: readonly { domain: string; version: number }[];
    readonly producerName?: string;
    readonly producerVersion?: string;
    readonly graphName?: string;
    readonly inputDims?: readonly (number | string)[];
}

/** One input `x` of INPUT's shape, the given nodes and initializers, outputs `y` unless said otherwise. */
function model(spec: ModelSpec): Uint8Array {
    return onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: spec.opsetImport ? [...spec.opsetImport] : [{ domain: '', version: 17 }],
        producerName: spec.producerName ?? 'hand-built',
        producerVersion: spec.producerVersion ?? '',
        graph: {
            name: spec.graphName ?? 'validation',
            node: [...spec.nodes],
            initializer: [...(spec.initializers ?? [])],
            input: [valueInfo('x', spec.inputDims ?? INPUT)],
            output: (spec.outputs ?? ['y']).map(name => valueInfo(name)),
        },
    }).finish();
}

const node = (opType: string, input: string[], output: string[], name = '', attribute: onnxProto.onnx.IAttributeProto[] = []): NodeProto => ({ opType, input, output, name, attribute });
const ints = (name: string, values: number[]) => ({ name, type: A.INTS, ints: values });
const int = (name: string, value: number) => ({ name, type: A.INT, i: value });
const text = (name: string, value: string) => ({ name, type: A.STRING, s: new TextEncoder().encode(value) });
const int64s = (name: string, values: number[]): TensorProto => ({ name, dataType: T.INT64, dims: [values.length], int64Data: values });
const int64 = (name: string, value: number): TensorProto => ({ name, dataType: T.INT64, dims: [], int64Data: [value] });

/** The refusal `importOnnx` gives: an OnnxImportError of one line, no stack, no "importer bug". */
function refusal(bytes: Uint8Array): string {
    let error: unknown;
    try {
        importOnnx(bytes, { source: 'hostile.onnx' });
    } catch (e) {
        error = e;
    }
    expect(error, 'the model should be refused').toBeInstanceOf(OnnxImportError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/importer bug|internal error/i);
    expect(message).not.toMatch(/\n|\s+at .*\(.*:\d+:\d+\)/);
    return message;
}

interface Checked {
    readonly text: string;
    readonly networkName: string;
}

/** Imports `bytes` and checks the text with the language: no errors, and the figures the importer reports. */
async function importsClean(bytes: Uint8Array): Promise<Checked & { graph: ReturnType<typeof analyzeNetwork>['graph'] }> {
    const result = importOnnx(bytes, { source: 'odd.onnx' });
    const parsed = await parse(result.text);
    expect(parsed.errors.map(e => `${e.range.start.line + 1}: ${e.message}`), result.text).toEqual([]);
    const graph = analyzeNetwork(parsed, result.networkName).graph;
    expect(graph.totals.params).toBe(result.params);
    expect(graph.totals.macs).toBe(result.macs);
    return { text: result.text, networkName: result.networkName, graph };
}

/** Our runtime on the imported network against onnxruntime on the model, on the same random input. */
async function sameOutputAsOnnxruntime(bytes: Uint8Array, reference: Uint8Array = bytes): Promise<void> {
    const { graph, text } = await importsClean(bytes);
    const x = new Float32Array(INPUT.reduce((a, b) => a * b, 1));
    new SeededRandom(7).fillUniform(x, -2, 2);
    const ours = runNetwork(graph, new Map([['x', new Tensor(INPUT, x)]]), new Map(), { engine: 'reference' }).outputs.get('y')!;
    const session = await ort.InferenceSession.create(reference);
    try {
        const theirs = (await session.run({ x: new ort.Tensor('float32', x, [...INPUT]) })).y;
        expect([...ours.shape], text.slice(0, 2000)).toEqual([...theirs.dims]);
        const data = theirs.data as Float32Array;
        let difference = 0;
        for (let i = 0; i < data.length; i++) difference = Math.max(difference, Math.abs(data[i] - ours.data[i]));
        expect(difference).toBeLessThanOrEqual(1e-6);
    } finally {
        await session.release();
    }
}

describe('the ONNX checker\'s rules, before anything is read', () => {
    it('two nodes writing the same tensor: names the tensor and both nodes', () => {
        const message = refusal(model({ nodes: [node('Relu', ['x'], ['y'], 'first'), node('Sigmoid', ['x'], ['y'], 'second')] }));
        expect(message).toContain("node #1 'second' (Sigmoid) defines tensor 'y', which node #0 'first' (Relu) already defines");
        expect(message).toContain('produced once');
    });

    it('a node output that repeats a graph input or an initializer', () => {
        expect(refusal(model({ nodes: [node('Relu', ['x'], ['x'], 'r'), node('Relu', ['x'], ['y'])] }))).toContain("node #0 'r' (Relu) defines tensor 'x', which graph input 'x' already defines");
        const weights = { name: 'w', dataType: T.FLOAT, dims: [1], floatData: [1] };
        expect(refusal(model({ nodes: [node('Relu', ['x'], ['w'], 'r'), node('Relu', ['w'], ['y'])], initializers: [weights] }))).toContain("defines tensor 'w', which initializer 'w' already defines");
    });

    it('an input nobody defines is named as undefined, not called a constant', () => {
        const message = refusal(model({ nodes: [node('Relu', ['x'], ['r'], 'act'), node('Add', ['r', 'ghost'], ['y'], 'sum')] }));
        expect(message).toContain("node #1 'sum' (Add) reads 'ghost' as input 2, which no graph input, initializer or earlier node defines");
        expect(message).not.toContain('constant');
    });

    it('nodes out of topological order: says which node produces the input too late', () => {
        const message = refusal(model({ nodes: [node('Sigmoid', ['r'], ['y'], 'late'), node('Relu', ['x'], ['r'], 'early')] }));
        expect(message).toContain("node #0 'late' (Sigmoid) reads 'r' as input 1, which only node #1 'early' (Relu) after it produces: ONNX needs the nodes in topological order");
    });

    it('a graph output nobody computes', () => {
        expect(refusal(model({ nodes: [node('Relu', ['x'], ['y'])], outputs: ['y', 'nowhere'] }))).toContain("graph output 'nowhere' is defined by no graph input, initializer or node");
    });

    it('an initializer whose raw_data is shorter than its dimensions need', () => {
        const weights = { name: 'conv.weight', dataType: T.FLOAT, dims: [2, 4, 3, 3], rawData: new Uint8Array(2 * 4 * 3 * 3 * 4 - 4) };
        const message = refusal(model({ nodes: [node('Conv', ['x', 'conv.weight'], ['y'], 'conv', [ints('kernel_shape', [3, 3])])], initializers: [weights] }));
        expect(message).toBe("initializer 'conv.weight' has 284 bytes of raw_data, but its dimensions (2, 4, 3, 3) need 72 × 4 = 288; the file is truncated or the dimensions are wrong");
    });

    it('float_data and int64_data with the wrong number of values', () => {
        const weights = { name: 'w', dataType: T.FLOAT, dims: [2, 4, 1, 1], floatData: [1, 2, 3] };
        expect(refusal(model({ nodes: [node('Conv', ['x', 'w'], ['y'], 'conv')], initializers: [weights] })))
            .toBe("initializer 'w' has 3 values in float_data, but its dimensions (2, 4, 1, 1) need 8; the file is truncated or the dimensions are wrong");
        const shape = { name: 'shape', dataType: T.INT64, dims: [2], int64Data: [1] };
        expect(refusal(model({ nodes: [node('Reshape', ['x', 'shape'], ['y'], 'view')], initializers: [shape] })))
            .toContain("initializer 'shape' has 1 value in int64_data, but its dimensions (2) need 2");
    });

    it('a tensor inside a Constant node is checked as well, and values in the wrong field are refused', () => {
        const value = { name: 'value', type: A.TENSOR, t: { dataType: T.INT64, dims: [2], int64Data: [1, -1, 5] } };
        expect(refusal(model({ nodes: [node('Constant', [], ['shape'], 'target', [value]), node('Reshape', ['x', 'shape'], ['y'])] })))
            .toContain("the tensor in attribute 'value' of node #0 'target' (Constant) has 3 values in int64_data, but its dimensions (2) need 2");
        const misplaced = { name: 'w', dataType: T.FLOAT, dims: [1], int64Data: [1] };
        expect(refusal(model({ nodes: [node('Relu', ['x'], ['y'])], initializers: [misplaced] }))).toContain("initializer 'w' stores data type 1 in int64_data; ONNX keeps that type in float_data");
    });

    it('a node of a domain the model does not import', () => {
        const message = refusal(model({ nodes: [node('Relu', ['x'], ['r'], 'act'), node('FusedThing', ['r'], ['y'], 'custom')].map((n, i) => (i === 1 ? { ...n, domain: 'com.example' } : n)) }));
        expect(message).toContain("node #1 'custom' (FusedThing) is in domain 'com.example', which the model's opset_import does not declare");
    });

    it('no opset for the ONNX domain, or one that does not exist: refused, naming the opsets read', () => {
        const relu = [node('Relu', ['x'], ['y'])];
        expect(refusal(model({ nodes: relu, opsetImport: [] }))).toBe("the model declares no opset for the ONNX domain (its opset_import has no entry for ''); the importer reads ONNX opsets 7 to 26: re-export it with an opset");
        expect(refusal(model({ nodes: relu, opsetImport: [{ domain: 'com.example', version: 1 }] }))).toContain('declares no opset for the ONNX domain');
        expect(refusal(model({ nodes: relu, opsetImport: [{ domain: '', version: 1_000_000 }] }))).toBe('the model declares ONNX opset 1000000, which ONNX has not released; the importer reads ONNX opsets 7 to 26: convert or re-export it to one of them');
        expect(refusal(model({ nodes: relu, opsetImport: [{ domain: '', version: 5 }] }))).toContain('ONNX opset 5, older than the importer reads');
        expect(refusal(model({ nodes: relu, opsetImport: [{ domain: '', version: 13 }, { domain: 'ai.onnx', version: 17 }] }))).toContain('at several opsets (13, 17)');
    });
});

describe('only what the outputs need is evaluated, within limits', () => {
    const range = () => [node('Range', ['start', 'limit', 'delta'], ['r'], 'huge')];
    const rangeInputs = (limit: number) => [int64('start', 0), int64('limit', limit), int64('delta', 1)];

    it('an unused Range(0, 3·10⁹) is not evaluated: the model imports and runs as onnxruntime runs it', async () => {
        const relu = node('Relu', ['x'], ['y'], 'act');
        const bytes = model({ nodes: [...range(), relu], initializers: rangeInputs(3e9) });
        // onnxruntime would evaluate the Range; it runs the same model without it.
        await sameOutputAsOnnxruntime(bytes, model({ nodes: [relu] }));
    });

    it('a layer no output needs is still written; one the language cannot say is left out, and the header says why', async () => {
        const bytes = model({
            nodes: [
                node('Relu', ['x'], ['y'], 'act'),
                node('Sigmoid', ['x'], ['kept'], 'branch'),
                node('SpaceToDepth', ['x'], ['dropped'], 's2d', [int('blocksize', 2)]),
                node('Relu', ['dropped'], ['after'], 'after'),
                ...range(),
            ],
            initializers: rangeInputs(3e9),
        });
        const { text, graph } = await importsClean(bytes);
        expect(graph.nodes.map(n => n.op).sort()).toEqual(['relu', 'sigmoid']);
        expect(text).toContain("# node #2 's2d' (SpaceToDepth): SpaceToDepth puts pixel (i, j) of channel c in channel (i·r + j)·C + c; the language's pixelunshuffle (PyTorch's, written out as Reshape → Transpose → Reshape) puts it in channel c·r² + i·r + j; no output needs it, so it is left out");
        expect(importOnnx(bytes).notes).toHaveLength(1);
    });

    it('a Range the outputs need, beyond the size limit: refused naming the node', () => {
        const bytes = model({ nodes: [...range(), node('Shape', ['r'], ['s']), node('Reshape', ['x', 's'], ['y'], 'view')], initializers: rangeInputs(3e9) });
        expect(refusal(bytes)).toBe("node #0 'huge' (Range) computes 'r' of shape (3000000000), 3,000,000,000 elements, above the importer's limit of 16,777,216 for a constant; shape arithmetic should make small tensors (check its sizes)");
    });

    it('a Range that never ends, and ConstantOfShape with a size that is not one', () => {
        const endless = model({ nodes: [node('Range', ['start', 'limit', 'delta'], ['r'], 'endless'), node('Shape', ['r'], ['s']), node('Reshape', ['x', 's'], ['y'])], initializers: [int64('start', 0), int64('limit', 5), int64('delta', 0)] });
        expect(refusal(endless)).toContain("node #0 'endless' (Range) is a Range from 0 to 5 by 0, which never ends");
        const negative = model({ nodes: [node('ConstantOfShape', ['dims'], ['c'], 'fill'), node('Shape', ['c'], ['s']), node('Reshape', ['x', 's'], ['y'])], initializers: [int64s('dims', [2, -3])] });
        expect(refusal(negative)).toContain("node #0 'fill' (ConstantOfShape) computes 'c' with dimensions (2, -3), which are not sizes");
        const huge = model({ nodes: [node('ConstantOfShape', ['dims'], ['c'], 'fill'), node('Shape', ['c'], ['s']), node('Reshape', ['x', 's'], ['y'])], initializers: [int64s('dims', [100000, 100000])] });
        expect(refusal(huge)).toContain("node #0 'fill' (ConstantOfShape) computes 'c' of shape (100000, 100000), 10,000,000,000 elements, above the importer's limit");
    });

    it('a chain of 20,000 shape-arithmetic nodes is evaluated without overflowing the stack', async () => {
        const steps = 20_000;
        const nodes: NodeProto[] = [];
        for (let i = 0; i < steps; i++) nodes.push(node('Add', [i === 0 ? 'target' : `t${i - 1}`, 'zero'], [`t${i}`]));
        nodes.push(node('Reshape', ['x', `t${steps - 1}`], ['y'], 'view'));
        const bytes = model({ nodes, initializers: [int64s('target', [1, 4, 36]), int64('zero', 0)] });
        const { text } = await importsClean(bytes);
        expect(text).toContain('reshape((1, 4, 36))');
    });
});

describe('any valid model within the language\'s limits imports', () => {
    it('a chain of 2,000 element-wise nodes: several statements, each within the operator limit, as onnxruntime computes', async () => {
        const ops = ['Relu', 'Sigmoid', 'Tanh'];
        const nodes = Array.from({ length: 2000 }, (_, i) => node(ops[i % ops.length], [i === 0 ? 'x' : `t${i - 1}`], [i === 1999 ? 'y' : `t${i}`], `n${i}`));
        const bytes = model({ nodes });
        const { text, graph } = await importsClean(bytes);
        expect(graph.nodes.length).toBe(2000);
        expect(text.split('\n').filter(line => /^\s+\w+ = /.test(line)).length).toBeGreaterThanOrEqual(3);
        await sameOutputAsOnnxruntime(bytes);
    });

    it('2,000 residual additions and gates (x + previous, sigmoid) in a row', async () => {
        const nodes: NodeProto[] = [];
        for (let i = 0; i < 2000; i++) nodes.push(i % 2 ? node('Sigmoid', [`s${i}`], [`s${i + 1}`], `gate${i}`) : node('Add', [i === 0 ? 'x' : `s${i}`, 'x'], [`s${i + 1}`], `sum${i}`));
        nodes[nodes.length - 1].output = ['y'];
        await sameOutputAsOnnxruntime(model({ nodes }));
    });

    it('modules nested 40 deep (node names /m0/m1/…/Relu) stay within the nesting and block-call limits', async () => {
        const scope = (depth: number) => Array.from({ length: depth }, (_, i) => `m${i}`).join('/');
        const nodes = [
            node('Relu', ['x'], ['a'], `/${scope(40)}/Relu`),
            node('Sigmoid', ['a'], ['b'], `/${scope(40)}/Sigmoid`),
            node('Tanh', ['b'], ['y'], `/${scope(12)}/Tanh`),
        ];
        await sameOutputAsOnnxruntime(model({ nodes }));
    });

    it('an uneven Split feeding one branch: split((1, 3)), the unused piece named _unused', async () => {
        const bytes = model({
            nodes: [node('Split', ['x', 'sizes'], ['a', 'b'], 'split', [int('axis', 1)]), node('Sigmoid', ['b'], ['y'], 'gate')],
            initializers: [int64s('sizes', [1, 3])],
        });
        const { text } = await importsClean(bytes);
        expect(text).toMatch(/_unused, \w+ = x -> split\(\(1, 3\)\)/);
        await sameOutputAsOnnxruntime(bytes);
        // Inside a module (torch.onnx's scoped names), the split cannot be a list item: the module is a block.
        const scoped = model({
            nodes: [node('Split', ['x', 'sizes'], ['a', 'b'], '/head/split/Split', [int('axis', 1)]), node('Sigmoid', ['b'], ['g'], '/head/gate/Sigmoid'), node('Relu', ['g'], ['y'], '/act/Relu')],
            initializers: [int64s('sizes', [3, 1])],
        });
        expect((await importsClean(scoped)).text).toMatch(/block Head\(\)\(x\) \{\n {2}_unused, \w+ = x -> split\(\(3, 1\)\)/);
        await sameOutputAsOnnxruntime(scoped);
    });

    it('an uneven Split whose pieces go different ways, and opset 18\'s num_outputs with a smaller last piece', async () => {
        await sameOutputAsOnnxruntime(model({
            nodes: [
                node('Split', ['x', 'sizes'], ['a', 'b', 'c'], 'split', [int('axis', 1)]),
                node('Sigmoid', ['c'], ['gc'], 'gate'),
                node('Relu', ['a'], ['ra'], 'act'),
                node('Concat', ['gc', 'ra'], ['y'], 'join', [int('axis', 1)]),
            ],
            initializers: [int64s('sizes', [1, 2, 1])],
        }));
        await sameOutputAsOnnxruntime(model({
            opsetImport: [{ domain: '', version: 18 }],
            nodes: [node('Split', ['x'], ['a', 'b', 'c'], 'split', [int('axis', 2), int('num_outputs', 3)]), node('Relu', ['b'], ['y'], 'act')],
            inputDims: INPUT,
        }));
    });

    it('a Split the language cannot say is refused naming the node and why', () => {
        const mismatch = model({ nodes: [node('Split', ['x', 'sizes'], ['a', 'b', 'c'], 'split', [int('axis', 1)]), node('Relu', ['a'], ['y'])], initializers: [int64s('sizes', [1, 3])] });
        expect(refusal(mismatch)).toContain("node #0 'split' (Split): it gives 3 outputs but 2 split sizes (1, 3)");
        const empty = model({ nodes: [node('Split', ['x', 'sizes'], ['a', 'b'], 'split', [int('axis', 1)]), node('Relu', ['a'], ['y'])], initializers: [int64s('sizes', [4, 0])] });
        expect(refusal(empty)).toContain("node #0 'split' (Split): its pieces along axis 1 would be 4, 0 of 4, and the language's split makes no empty piece");
    });

    it('an attribute that is not a finite number is refused naming the node', () => {
        const nan = model({ nodes: [node('LeakyRelu', ['x'], ['y'], 'leaky', [{ name: 'alpha', type: A.FLOAT, f: Number.NaN }])] });
        expect(refusal(nan)).toBe("node #0 'leaky' (LeakyRelu): as leakyrelu its negative_slope would be NaN, and the language's numbers are finite; fix the attribute in the model");
    });
});

describe('text from the model cannot break the written .convnet', () => {
    const relu = [node('Relu', ['x'], ['y'], 'act')];

    /** The declarations of the imported text: exactly one network and nothing else. */
    async function onlyTheNetwork(bytes: Uint8Array): Promise<string> {
        const { text, networkName } = await importsClean(bytes);
        const parsed = await parse(text);
        const declarations = parsed.document.parseResult.value.declarations;
        expect(declarations.filter(isNetwork).map(n => n.name), text).toEqual([networkName]);
        expect(declarations.filter(isBlock), text).toEqual([]);
        return text;
    }

    it('a producer_name and producer_version carrying newlines and declarations stay in one comment line', async () => {
        const injected = 'evil\nblock Evil()(x) {\n  return x\n}\nnetwork Evil(x: [1, 4, 6, 6]) {\n  return x\n}\n#';
        const text = await onlyTheNetwork(model({ nodes: relu, producerName: injected, producerVersion: '1.0\r\nnetwork Other(x: [1]) {\n  return x\n}' }));
        const header = text.slice(0, text.indexOf('\n\n'));
        for (const line of header.split('\n')) expect(line.startsWith('#'), line).toBe(true);
        expect(header).toContain('evil\\nblock Evil()(x) {\\n  return x\\n}');
        expect(text).not.toMatch(/^(block|network) (Evil|Other)/m);
    });

    it('other line breaks (\\r, U+2028, U+0085), bidi controls and lone surrogates are escaped', async () => {
        const text = await onlyTheNetwork(model({ nodes: relu, producerName: 'a\rnetwork X(x: [1]) {}\u2028b\u0085c\u202ed\ud800e' }));
        const header = text.slice(0, text.indexOf('\n\n'));
        expect(header).toContain('a\\rnetwork X(x: [1]) {}\\u2028b\\x85c\\u202ed\\ud800e');
        expect(header).not.toMatch(/[\r\u2028\u0085\u202e\ud800]/);
    });

    it('a graph name, node names and a symbolic dimension name that are not names of the language', async () => {
        const text = await onlyTheNetwork(model({
            graphName: 'net\nnetwork Injected(x: [1]) {',
            inputDims: ['batch\nnetwork Sneaky(x: [1]) {}', 4, 6, 6],
            nodes: [
                node('Relu', ['x'], ['a'], '/block1-0/if/Relu'),
                node('Sigmoid', ['a'], ['b'], '/layer/99999999999999999999/Sigmoid'),
                node('Tanh', ['b'], ['y'], '/weird name; x = 1/0007/Tanh'),
            ],
        }));
        expect(text).toContain("# input 'x': its batch dimension is symbolic ('batch\\nnetwork Sneaky(x: [1]) {}'); it is 1 here");
        // Names the language writes in quotes are kept exactly, whatever they hold; none is computed or breaks the line.
        expect(text).toContain("-> 'block1-0': ['if': relu]");
        expect(text).toContain("-> layer: ['99999999999999999999': sigmoid]");
        expect(text).toContain("-> 'weird name; x = 1': ['0007': tanh]");
        expect(text).not.toMatch(/^network (Injected|Sneaky)/m);
    });

    it('a node name of 5,000 characters becomes a label of at most 200, the same for the same name', async () => {
        const long = 'block'.repeat(1000);
        const { text } = await importsClean(model({ nodes: [node('Relu', ['x'], ['a'], `/${long}-a/Relu`), node('Sigmoid', ['a'], ['y'], `/${long}-b/Sigmoid`)] }));
        const labels = [...text.matchAll(/(\w+): (relu|sigmoid)/g)].map(m => m[1]);
        expect(labels).toHaveLength(2);
        for (const label of labels) expect(label.length).toBeLessThanOrEqual(200);
        expect(new Set(labels).size).toBe(2);
    });

    it('a string attribute is written as a string literal (Pad mode by name)', async () => {
        const pads = int64s('pads', [0, 0, 1, 1, 0, 0, 1, 1]);
        const imported = await importsClean(model({ nodes: [node('Pad', ['x', 'pads'], ['y'], 'pad', [text('mode', 'reflect')])], initializers: [pads] }));
        expect(imported.text).toContain('pad(1, mode: "reflect")');
    });
});

describe('auto_pad', () => {
    it('a value ONNX does not define is refused naming the node and the value', () => {
        const pool = model({ nodes: [node('MaxPool', ['x'], ['y'], 'pool', [ints('kernel_shape', [2, 2]), text('auto_pad', 'SAME_MIDDLE')])] });
        expect(refusal(pool)).toBe("node #0 'pool' (MaxPool): its auto_pad is 'SAME_MIDDLE', which ONNX does not define; it must be NOTSET, SAME_UPPER, SAME_LOWER or VALID");
        const weights = { name: 'w', dataType: T.FLOAT, dims: [4, 2, 3, 3], rawData: new Uint8Array(4 * 2 * 9 * 4) };
        const deconv = model({ nodes: [node('ConvTranspose', ['x', 'w'], ['y'], 'up', [text('auto_pad', 'same_upper')])], initializers: [weights] });
        expect(refusal(deconv)).toContain("node #0 'up' (ConvTranspose): its auto_pad is 'same_upper', which ONNX does not define");
        const number = model({ nodes: [node('MaxPool', ['x'], ['y'], 'pool', [ints('kernel_shape', [2, 2]), int('auto_pad', 1)])] });
        expect(refusal(number)).toContain("its auto_pad is not a string");
    });

    it('the values ONNX defines still import (VALID, SAME_LOWER)', async () => {
        for (const autoPad of ['VALID', 'SAME_LOWER', 'NOTSET']) {
            await sameOutputAsOnnxruntime(model({ nodes: [node('MaxPool', ['x'], ['y'], 'pool', [ints('kernel_shape', [3, 3]), text('auto_pad', autoPad)])] }));
        }
    });
});

describe('malformed nodes in real exports', () => {
    // Every node of torch.onnx's exports with an input, all inputs, its outputs or its attributes taken away: the
    // import succeeds or refuses with an OnnxImportError naming the node — never another error.
    const FILES = ['small_cnn.onnx', 'small_cnn_fused.onnx', 'torch_ops_13.onnx', 'torch_ops_17.onnx', 'pixel_shuffle_9.onnx', 'pixel_shuffle_17.onnx'];
    it.each(FILES)('%s', file => {
        const bytes = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'import', file));
        const nodes = onnx.ModelProto.decode(bytes).graph!.node!;
        let refused = 0;
        nodes.forEach((original, index) => {
            const mutations: ((node: onnxProto.onnx.INodeProto) => void)[] = [
                node => { node.input = node.input!.slice(0, -1); },
                node => { node.input = []; },
                node => { node.output = []; },
                node => { node.attribute = []; },
                ...original.input!.map((_, k) => (node: onnxProto.onnx.INodeProto) => { node.input = node.input!.map((t, j) => (j === k ? '' : t)); }),
            ];
            for (const mutate of mutations) {
                const model = onnx.ModelProto.decode(bytes);
                mutate(model.graph!.node![index]);
                try {
                    importOnnx(onnx.ModelProto.encode(model).finish(), { source: file });
                } catch (e) {
                    expect(e, `${original.name} (${original.opType}): ${(e as Error).stack}`).toBeInstanceOf(OnnxImportError);
                    expect((e as Error).message).not.toContain('\n    at ');
                    refused++;
                }
            }
        });
        expect(refused).toBeGreaterThan(nodes.length);
    });
});
