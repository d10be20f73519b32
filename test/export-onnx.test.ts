/**
 * ONNX export checked by an independent runtime: every example and every op configuration (see export-cases.ts) is
 * exported with seeded weights, run by onnxruntime-node on the same input as our runtime, and the outputs must
 * agree within 1e-4 relative to the output's scale. The model must also be well formed: the initializers are the
 * state_dict (names and shapes), every node has a name, and the opset is the one asked for.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { runNetwork } from '../runtime/executor.js';
import { defaultOpset, exportOnnx, OnnxExportError } from '../interchange/export/onnx.js';
import { randomInputs } from '../io/inputs.js';
import { initializeParameters } from '../runtime/weights.js';
import { COVERAGE_NETWORKS, exampleCases, opCases, relativeError, type ExportCase } from './export-cases.js';
import { stateDictKey } from '../language/elaboration/graph.js';
import { analyzeNetwork, parse } from './helpers.js';
import { main } from '../cli/main.js';
import { encodeSafetensors } from '../io/safetensors.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TOLERANCE = 1e-4;
let worst = { error: 0, id: '' };

/** Exports `graph` (seed 7), runs it in onnxruntime and in our runtime, and returns the largest relative error. */
async function compare(graph: NetworkGraph, opset?: number): Promise<number> {
    const parameters = initializeParameters(graph, 7);
    const inputs = randomInputs(graph, 7);
    const ours = runNetwork(graph, inputs, parameters).outputs;
    const model = exportOnnx(graph, parameters, { opset });
    const session = await ort.InferenceSession.create(model.bytes);
    try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, t] of inputs) feeds[name] = new ort.Tensor('float32', t.data, [...t.shape]);
        const result = await session.run(feeds);
        let error = 0;
        for (const [name, expected] of ours) {
            const theirs = result[name];
            expect(theirs, `output ${name}`).toBeDefined();
            expect([...theirs.dims], `shape of ${name}`).toEqual([...expected.shape]);
            error = Math.max(error, relativeError(theirs.data as Float32Array, expected.data));
        }
        return error;
    } finally {
        await session.release();
    }
}

function record(id: string, error: number): void {
    if (error > worst.error) worst = { error, id };
    expect(error, id).toBeLessThan(TOLERANCE);
}

describe('ONNX export runs in onnxruntime-node as in our runtime', () => {
    afterAll(() => {
        console.log(`ONNX export: largest relative error ${worst.error.toExponential(2)} (${worst.id})`);
    });

    it('onnxruntime-node loads offline (its CPU binary ships in the package)', () => {
        expect(ort.listSupportedBackends().map(b => b.name)).toContain('cpu');
    });

    describe('examples', async () => {
        const cases = await exampleCases();
        it('finds the examples', () => {
            expect(cases.length).toBeGreaterThanOrEqual(4);
        });
        it.each(cases.map(c => [c.id, c] as const))('%s', async (_id, c: ExportCase) => {
            record(c.id, await compare(c.graph));
        });
    });

    describe('every op configuration and the coverage networks, at the default opset and at 13 (decompositions)', async () => {
        const cases = await opCases();
        it.each([17, 13])('opset %i', async opset => {
            const failures: string[] = [];
            for (const c of cases) {
                const chosen = c.graph.nodes.some(n => n.op === 'deformconv') ? Math.max(opset, 19) : opset;
                try {
                    const error = await compare(c.graph, chosen);
                    if (error > worst.error) worst = { error, id: `${c.id} (opset ${chosen})` };
                    if (!(error < TOLERANCE)) failures.push(`${c.id}: relative error ${error}`);
                } catch (e) {
                    failures.push(`${c.id}: ${(e as Error).message}`);
                }
            }
            expect(failures).toEqual([]);
        });
        it('opsets 18 (Reduce* take axes as an input), 20 (Gelu) and 21 on the ops whose export depends on the opset', async () => {
            const touched = cases.filter(c => c.graph.nodes.some(n => ['gelu', 'layernorm', 'groupnorm', 'hardswish', 'adaptiveavgpool', 'adaptivemaxpool', 'spp', 'adaptiveavgpool3d'].includes(n.op)));
            expect(touched.length).toBeGreaterThan(20);
            for (const opset of [18, 20, 21]) {
                for (const c of touched) record(`${c.id} (opset ${opset})`, await compare(c.graph, Math.max(opset, defaultOpset(c.graph))));
            }
        });
    });
});

describe('the ONNX model', () => {
    let graph: NetworkGraph;
    beforeAll(async () => {
        const parsed = await parse(`
block Block(c: int)(x) {
  return x -> conv1: conv(c, kernel: 3, padding: 1, bias: false) -> bn1: batchnorm -> relu
}
network Net(input: [1, 3, 8, 8]) {
  return input -> layer1: [Block(4), Block(4)] -> gelu -> avgpool: adaptiveavgpool(1) -> flatten -> fc: linear(3)
}
`);
        graph = analyzeNetwork(parsed).graph;
    });

    it('has the state_dict as initializers, named nodes, the network ports and the opset', () => {
        const parameters = initializeParameters(graph, 1);
        const model = onnxProto.onnx.ModelProto.decode(exportOnnx(graph, parameters).bytes);
        const g = model.graph as onnxProto.onnx.GraphProto;
        const initializers = Object.fromEntries(g.initializer.map(t => [t.name, (t.dims ?? []).map(Number)]));
        const stateDict = Object.fromEntries(graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, [...p.shape]])));
        expect(initializers).toEqual(stateDict);
        expect(Object.keys(initializers)).toContain('layer1.0.conv1.weight');
        expect(Object.keys(initializers)).toContain('layer1.1.bn1.running_var');
        expect(model.opsetImport.map(o => Number(o.version))).toEqual([17]);
        expect(Number(model.irVersion)).toBe(8);
        expect(g.node.every(n => n.name)).toBe(true);
        expect(g.node.map(n => n.name)).toContain('layer1.0.conv1');
        expect(g.input.map(i => i.name)).toEqual(['input']);
        expect(g.output.map(o => o.name)).toEqual(['output']);
        // GELU below opset 20 is the Erf decomposition.
        expect(g.node.some(n => n.opType === 'Erf')).toBe(true);
        const at20 = onnxProto.onnx.ModelProto.decode(exportOnnx(graph, parameters, { opset: 20 }).bytes);
        expect((at20.graph as onnxProto.onnx.GraphProto).node.some(n => n.opType === 'Gelu')).toBe(true);
    });

    it('keeps quoted and computed names and learned tensors\' names as initializers, exactly the state_dict', async () => {
        for (const [text, expected] of [
            [COVERAGE_NETWORKS['names as torchvision writes them'], ['features.block1-0.block.0.weight', 'features.block1-0.block.in.running_var',
                'features.block1-0.block.3x3.bias', 'features.denseblock1.denselayer2.conv1.weight', 'features.denseblock2.denselayer1.norm1.weight',
                'features.transition2.weight', 'return.weight', 'lambda.bias']],
            [COVERAGE_NETWORKS['learned tensors of a block, tensor × number'], ['features.1.0.layer_scale', 'features.1.1.lambda', 'features.3.0.layer_scale',
                'features.1.0.block.0.weight']],
        ] as const) {
            const graph = analyzeNetwork(await parse(text)).graph;
            const g = onnxProto.onnx.ModelProto.decode(exportOnnx(graph, initializeParameters(graph, 1)).bytes).graph as onnxProto.onnx.GraphProto;
            const initializers = g.initializer.map(t => t.name);
            expect(initializers).toEqual(expect.arrayContaining([...expected]));
            expect(new Set(initializers)).toEqual(new Set(graph.nodes.flatMap(n => n.params.map(p => stateDictKey(n.name, p.name)))));
            expect(g.output.map(o => o.name)).toEqual(['out-1', 'out2']);
        }
        const graph = analyzeNetwork(await parse(COVERAGE_NETWORKS['learned tensors of a block, tensor × number'])).graph;
        const g = onnxProto.onnx.ModelProto.decode(exportOnnx(graph, initializeParameters(graph, 1)).bytes).graph as onnxProto.onnx.GraphProto;
        const layerScale = g.initializer.find(t => t.name === 'features.3.0.layer_scale')!;
        // Its starting value, as `param layer_scale: [dim, 1, 1] = 0.5` says.
        expect([(layerScale.dims ?? []).map(Number), [...new Float32Array(Uint8Array.from(layerScale.rawData!).buffer)]]).toEqual([[8, 1, 1], Array(8).fill(0.5)]);
    });

    it('refuses clearly, naming the layer, what it cannot export: deformconv below opset 19, an unknown opset, missing weights', async () => {
        const parsed = await parse(`
network D(x: [1, 4, 8, 8], offsets: [1, 18, 8, 8]) {
  return deformconv(x, offsets, 6, kernel: 3, padding: 1) -> head: conv(2, kernel: 1)
}
`);
        const deform = analyzeNetwork(parsed).graph;
        const parameters = initializeParameters(deform, 1);
        expect(defaultOpset(deform)).toBe(19);
        expect(() => exportOnnx(deform, parameters, { opset: 17 })).toThrow(OnnxExportError);
        expect(() => exportOnnx(deform, parameters, { opset: 17 })).toThrow(/layer 'deformconv' \(deformconv\).*cannot export deformconv to ONNX opset 17/);
        expect(() => exportOnnx(deform, parameters, { opset: 12 })).toThrow(/opset 12 is not supported: choose 13 … 21/);
        const partial = new Map(parameters);
        partial.delete('head');
        expect(() => exportOnnx(deform, partial)).toThrow(/layer 'head' \(conv\): no value for its parameter 'weight'/);
    });

    it('refuses an adaptive pooling whose exact decomposition would be huge', async () => {
        const parsed = await parse('network A(x: [1, 2, 1000, 4]) {\n  return x -> pool: adaptiveavgpool((300, 4))\n}\n');
        const big = analyzeNetwork(parsed).graph;
        expect(() => exportOnnx(big, initializeParameters(big, 1))).toThrow(/layer 'pool' \(adaptiveavgpool\).*from 1000 to 300 positions/);
    });
});

describe('convnet export (the CLI)', () => {
    let dir: string;
    const NET = `block Block(c: int)(x) {
  return x -> conv1: conv(c, kernel: 3, padding: 1) -> bn1: batchnorm -> relu
}
network Small(input: [1, 3, 12, 12]) {
  return input -> layer1: [Block(4), Block(8)] -> avgpool: adaptiveavgpool(1) -> flatten -> fc: linear(5)
}
`;
    const convnet = async (...args: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(args, { out: t => out.push(t), err: t => err.push(t) });
        return { code, out: out.join('\n'), err: err.join('\n') };
    };
    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-export-'));
        fs.writeFileSync(path.join(dir, 'small.convnet'), NET);
        fs.writeFileSync(path.join(dir, 'deform.convnet'), 'network D(x: [1, 4, 8, 8], offsets: [1, 18, 8, 8]) {\n  return deformconv(x, offsets, 6, kernel: 3, padding: 1)\n}\n');
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const at = (name: string) => path.join(dir, name);

    it('writes ONNX, the PyTorch module and its weights; the ONNX model runs', async () => {
        const ran = await convnet('export', at('small.convnet'), '--onnx', at('small.onnx'), '--pytorch', at('small.py'), '--seed', '3');
        expect(ran.err).toBe('');
        expect(ran.code).toBe(0);
        expect(ran.out).toMatch(/small\.onnx: ONNX opset 17 \(IR 8\): 9 layers as 9 nodes, 14 initializers, seeded weights \(seed 3\)/);
        expect(ran.out).toMatch(/small\.py: PyTorch module Small \(block classes Block\)/);
        expect(ran.out).toMatch(/small\.safetensors: its state_dict, seeded weights \(seed 3\)/);
        const session = await ort.InferenceSession.create(fs.readFileSync(at('small.onnx')));
        const result = await session.run({ input: new ort.Tensor('float32', new Float32Array(3 * 12 * 12).fill(0.5), [1, 3, 12, 12]) });
        expect([...result.output.dims]).toEqual([1, 5]);
        await session.release();
        expect(fs.readFileSync(at('small.py'), 'utf8')).toContain('class Small(nn.Module):');
    });

    it('exports loaded weights, and refuses weights that do not fit without writing anything', async () => {
        const parsed = await parse(NET);
        const graph = analyzeNetwork(parsed).graph;
        const store = initializeParameters(graph, 5);
        const tensors = graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, { shape: p.shape, data: store.get(n.name)![p.name] }] as [string, { shape: readonly number[]; data: Float32Array }]));
        fs.writeFileSync(at('w.safetensors'), encodeSafetensors(tensors));
        const ok = await convnet('export', at('small.convnet'), '--onnx', at('loaded.onnx'), '--weights', at('w.safetensors'), '--opset', '13');
        expect(ok.code).toBe(0);
        expect(ok.out).toContain(`weights from ${at('w.safetensors')}`);
        fs.writeFileSync(at('bad.safetensors'), encodeSafetensors(tensors.slice(1)));
        const bad = await convnet('export', at('small.convnet'), '--onnx', at('bad.onnx'), '--pytorch', at('bad_module.py'), '--weights', at('bad.safetensors'));
        expect(bad.code).toBe(1);
        expect(bad.err).toMatch(/convnet: .*bad\.safetensors: the weights do not fit Small: 1 key is missing: layer1\.0\.conv1\.weight/);
        expect(fs.existsSync(at('bad.onnx')) || fs.existsSync(at('bad_module.py')) || fs.existsSync(at('bad_module.safetensors'))).toBe(false);
        // The module's state_dict would go to bad.safetensors, the weights being read: refused whatever the flags.
        const over = await convnet('export', at('small.convnet'), '--pytorch', at('bad.py'), '--weights', at('bad.safetensors'), '--force');
        expect(over.code).toBe(1);
        expect(over.err).toMatch(/bad\.safetensors: this command reads it \(the weights\); refusing to write over it/);
    });

    it('says why deformconv cannot go to an old opset, and writes nothing', async () => {
        const ran = await convnet('export', at('deform.convnet'), '--onnx', at('d.onnx'), '--opset', '17');
        expect(ran.code).toBe(1);
        expect(ran.err).toBe("convnet: cannot export layer 'deformconv' (deformconv) to ONNX: cannot export deformconv to ONNX opset 17: DeformConv exists from opset 19 on (export with --opset 19 or newer)");
        expect(fs.existsSync(at('d.onnx'))).toBe(false);
        const ok = await convnet('export', at('deform.convnet'), '--onnx', at('d.onnx'));
        expect(ok.out).toMatch(/ONNX opset 19 \(IR 9\)/);
    });

    it('usage errors', async () => {
        expect((await convnet('export', at('small.convnet'))).err).toMatch(/export needs --onnx OUT\.onnx, --pytorch OUT\.py or both/);
        expect((await convnet('export', at('small.convnet'), '--onnx', 'a.onnx', '--seed', '1', '--weights', 'w')).err).toMatch(/give --weights or --seed, not both/);
        expect((await convnet('export', at('small.convnet'), '--onnx', 'a.onnx', '--opset', 'x')).code).toBe(2);
        expect((await convnet('export', at('small.convnet'), '--onnx', at('o.onnx'), '--opset', '9')).err).toMatch(/opset 9 is not supported/);
    });
});
