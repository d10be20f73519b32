/**
 * The networks the exporter tests (ONNX and PyTorch) run: every example in examples/ (found by globbing, so new
 * examples are included as they are written), every accepted case of the op fixture (test/fixtures/ops/op-cases.json:
 * each op of the language in its configurations) and a few networks for what single ops do not cover (blocks with
 * several inputs and outputs, lists that are not plain chains, per-side padding, several network outputs …).
 *
 * An example whose cost is above EXAMPLE_MAC_LIMIT is elaborated at a smaller input (see smallerExample), so that
 * the suites stay fast; the layers and parameters are the same, and the size each example ran at is in the test's
 * name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNetwork } from '../language/generated/ast.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { analyzeNetwork, parse, singleOp } from './helpers.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_MAC_LIMIT = 2e9;

export interface ExportCase {
    readonly id: string;
    readonly graph: NetworkGraph;
}

/** Every network of every examples/*.convnet, at its own input size or a smaller one (see above). */
export async function exampleCases(): Promise<ExportCase[]> {
    const dir = path.join(ROOT, 'examples');
    const files = fs.readdirSync(dir).filter(f => f.endsWith('.convnet')).sort();
    const cases: ExportCase[] = [];
    for (const file of files) {
        const { documents, services } = await loadConvNetFiles([path.join(dir, file)]);
        const document = documents[0];
        const errors = (document.diagnostics ?? []).filter(d => d.severity === 1);
        if (errors.length) throw new Error(`examples/${file} has errors: ${errors.map(e => e.message).join('; ')}`);
        for (const network of document.parseResult.value.declarations.filter(isNetwork)) {
            const graph = services.analysis.NetworkAnalyzer.analyze(network).graph;
            if (graph.totals.macs <= EXAMPLE_MAC_LIMIT) {
                cases.push({ id: `examples/${file} ${graph.name}`, graph });
                continue;
            }
            const smaller = await smallerExample(file, graph);
            cases.push(smaller
                ? { id: `examples/${file} ${graph.name} at ${smaller.input.slice(2).join('×')}`, graph: smaller.graph }
                : { id: `examples/${file} ${graph.name}`, graph });
        }
    }
    return cases;
}

/**
 * The network `graph` of examples/`file` at a smaller input, for a network too slow to run at its own. Only the
 * last two dimensions shrink (height and width; a video keeps its frames, which a 3-D network's temporal pools
 * consume exactly, as C3D's four pools do its 16), and only by whole multiples of the network's stride along them
 * — the step between neighbouring positions of its coarsest map — so that every strided layer, pool and crop
 * divides as it does at the declared size (U-Net's 572 may become 556, 540 … 188, its crops still centred). The
 * size is the smallest such one of at least a quarter of the declared size at which the example elaborates without
 * errors (in a copy of examples/, so that its imports resolve); undefined when there is none.
 */
export async function smallerExample(file: string, graph: NetworkGraph): Promise<{ graph: NetworkGraph; input: number[] } | undefined> {
    if (graph.inputs.length !== 1) return undefined;
    const shape = graph.tensors[graph.inputs[0].tensor].shape;
    const shrinking = Array.from({ length: Math.min(2, shape.length - 2) }, (_, i) => shape.length - 1 - i).reverse();
    const strides = shrinking.map(d => networkStride(graph, d - 2));
    // Steps of `stride` below the declared size down to a quarter of it, tried from the smallest.
    const steps = shrinking.map((d, i) => Math.floor((shape[d] - Math.ceil(shape[d] / 4)) / strides[i]));
    const header = new RegExp(`(network\\s+${graph.name}\\s*\\([^\\[]*)\\[[^\\]]*\\]`);
    const text = fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8');
    if (!header.test(text)) return undefined;
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-examples-'));
    try {
        fs.cpSync(path.join(ROOT, 'examples'), copy, { recursive: true });
        for (let taken = Math.max(...steps); taken > 0; taken--) {
            const input = [...shape];
            shrinking.forEach((d, i) => { input[d] = shape[d] - Math.min(taken, steps[i]) * strides[i]; });
            fs.writeFileSync(path.join(copy, file), text.replace(header, `$1[${input.join(', ')}]`));
            const { documents, services } = await loadConvNetFiles([path.join(copy, file)]);
            if ((documents[0].diagnostics ?? []).some(d => d.severity === 1)) continue;
            const network = documents[0].parseResult.value.declarations.filter(isNetwork).find(n => n.name === graph.name);
            if (network) return { graph: services.analysis.NetworkAnalyzer.analyze(network).graph, input };
        }
        return undefined;
    } finally {
        fs.rmSync(copy, { recursive: true, force: true });
    }
}

/** The input step between neighbouring positions along spatial dimension `d` of the coarsest map that still has several. */
function networkStride(graph: NetworkGraph, d: number): number {
    const rank = graph.tensors[graph.inputs[0].tensor].shape.length;
    const jumps = graph.tensors.filter(t => t.shape.length === rank && t.jump && t.shape[2 + d] > 1).map(t => t.jump![d]);
    return Math.max(1, Math.round(Math.max(...jumps)));
}

interface OpFixtureCase {
    readonly id: string;
    readonly op: string;
    readonly inputs: readonly (readonly number[])[];
    readonly step?: string;
    readonly network?: string;
    readonly torch: object;
}

/** Networks for what the single-op cases leave out. */
export const COVERAGE_NETWORKS: Record<string, string> = {
    // torchvision's names: a keyword, `-`, a digit first, a Python keyword, names computed in loops, quoted outputs.
    'names as torchvision writes them': `
block CNBlock(dim: int)(x) {
  y = x -> 'block': [dwconv(kernel: 3, padding: 1), 'in': batchnorm, relu, "3x3": conv(dim, kernel: 1)]
  return x + y
}
block DenseLayer(growth: int)(x) {
  return concat(x, x -> norm1: batchnorm -> relu -> conv1: conv(growth, kernel: 3, padding: 1, bias: false))
}
network Names(input: [2, 4, 6, 6]) {
  y = input -> features: [
      "block1-0": CNBlock(4),
      for b in range(2): { "denseblock{b + 1}": [for i in range(2): "denselayer{i + 1}": DenseLayer(2)], "transition{b + 1}": conv(4, kernel: 1) }
    ] -> 'return': conv(4, kernel: 1)
  return 'out-1': y, "out2": y -> 'lambda': conv(2, kernel: 1)
}
`,
    'blocks with two inputs and two outputs, a list that reads a side tensor, named outputs': `
block Gate(c: int)(x, g) {
  a = x -> conv1: conv(c, kernel: 3, padding: 1) -> relu
  b = g -> proj: conv(c, kernel: 1, bias: false) -> sigmoid
  return a * b, a - b
}
network Coverage(x: [2, 4, 9, 9], side: [2, 3, 9, 9]) {
  m, d = Gate(x, side, c: 6)
  y = m -> body: [conv(6, kernel: 3, padding: 1), batchnorm, add(d), relu]
  z = concat(y, d, m) -> head: [conv(8, kernel: 1), shuffle(2)]
  w = (z, y) -> merge: [concat, conv(4, kernel: 1), split(2)]
  return main: z, aux: y -> gap: globalavgpool -> flatten -> fc: linear(5), parts: w[0] * w[1]
}
`,
    'per-side and "same" padding (conv, pooling, transposed conv), layer labels that are Python names': `
network Padding(x: [1, 3, 11, 10]) {
  a = x -> stem: conv(8, kernel: 3, stride: 2, padding: "same") -> maxpool(3, stride: 2, padding: "same")
  b = x -> lambda: conv(8, kernel: (3, 2), padding: ((0, 2), (1, 0))) -> avgpool(2, padding: ((1, 0), (0, 1)))
  c = a -> up: convtranspose(8, kernel: 3, stride: 2, padding: ((1, 0), (0, 1)))
  return c -> class: dwconv(3, padding: 1) -> relu6 -> pool: maxpool(2, padding: ((0, 1), (1, 0)))
}
`,
    'nested lists and blocks, upsampling, dropout and identity, an input returned as an output': `
block Down(c: int)(x) {
  return x -> [conv(c, kernel: 3, stride: 2, padding: 1, bias: false), groupnorm(2), silu]
}
block Up(c: int)(x, skip) {
  u = x -> upsample(scale_factor: 2, mode: "bilinear")
  return concat(u, skip) -> fuse: [conv(c, kernel: 3, padding: 1), [batchnorm, gelu], dropout(0.2), identity]
}
network UNet(input: [1, 3, 16, 16]) {
  d1 = input -> enc1: Down(8)
  d2 = d1 -> enc2: Down(16)
  u1 = Up(d2, d1, c: 8)
  out = Up(u1, input, c: 4) -> head: conv(2, kernel: 1) -> upsample(size: (20, 24), mode: "nearest") -> softmax(dim: 1)
  return out: out, same: input
}
`,
    'deformable conv with offsets and a mask from branches': `
network Deform(x: [1, 4, 8, 8]) {
  offsets = x -> offset: conv(18, kernel: 3, padding: 1)
  mask = x -> modulation: conv(9, kernel: 3, padding: 1) -> sigmoid
  return deformconv(x, offsets, mask, 6, kernel: 3, padding: 1) -> layernorm(8) -> hardswish
}
`,
    'numbered labels (children numbered as PyTorch does, torchvision\'s ASPP), in blocks that differ only in numbers': `
block Branch(c: int)(x) {
  return x -> 0: conv(c, kernel: 3, padding: 1, bias: false) -> 1: batchnorm -> relu
}
block Branches()(x) {
  a = x -> 0: Branch(6)
  b = x -> 1: Branch(10)
  return a, b
}
block First()(x) {
  return x + (x -> 0: conv(11, kernel: 1))
}
block Second()(x) {
  return x + (x -> 1: conv(11, kernel: 1))
}
network Numbered(x: [1, 4, 7, 7]) {
  return x -> 0: Branches -> concat -> 1: conv(11, kernel: 1) -> 2: First -> 3: Second -> 5: globalavgpool
}
`,
    '1-D and 3-D layers, reshape, slice, split, matmul': `
network Shapes(seq: [2, 4, 12], vol: [1, 2, 6, 6, 6]) {
  s = seq -> conv1d(8, kernel: 3, padding: 1) -> maxpool1d(2) -> reshape((2, 8, 2, 3))
  a, b = split(s, (3, 5))
  t = matmul(a -> slice(0, 2, dim: 1) -> reshape((2, 2, 6)), b -> slice(1, 5, dim: 1, step: 2) -> reshape((2, 6, 2)))
  v = vol -> conv3d(4, kernel: 3, padding: 1) -> batchnorm -> elu -> avgpool3d(2, ceil_mode: true) -> adaptivemaxpool3d((2, 1, 2))
  return t: t -> logsoftmax(dim: -1), v: v -> flatten -> leakyrelu(0.2)
}
`,
    // ConvNeXt's layer_scale (features.1.0.layer_scale), a learned tensor whose name is a Python keyword, x * number.
    'learned tensors of a block, tensor × number': `
block CNBlock(dim: int)(x) {
  param layer_scale: [dim, 1, 1] = 0.5
  param lambda: [1, dim, 1, 1] = 2
  y = x -> 'block': [dwconv(kernel: 3, padding: 1), relu, conv(dim, kernel: 1)]
  return x + layer_scale * y * lambda
}
network LayerScale(input: [2, 4, 6, 6]) {
  y = input -> features: [conv(4, kernel: 1), [CNBlock(4), CNBlock(4)], conv(8, kernel: 1), [CNBlock(8)]] -> 'return': scale(0.5)
  return 'out-1': 0.25 * y, out2: y * 3
}
`,
};

/** Every accepted op fixture case and the coverage networks, parsed (an error is a failure). */
export async function opCases(): Promise<ExportCase[]> {
    const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'ops', 'op-cases.json'), 'utf8')) as { cases: OpFixtureCase[] };
    const sources: [string, string][] = fixture.cases
        .filter(c => !('error' in c.torch))
        .map(c => [`op ${c.id}`, c.network ?? singleOp(c.inputs[0], c.step!)]);
    sources.push(...Object.entries(COVERAGE_NETWORKS).map(([id, text]): [string, string] => [`network: ${id}`, text]));
    const cases: ExportCase[] = [];
    for (const [id, text] of sources) {
        const parsed = await parse(text);
        if (parsed.errors.length) throw new Error(`${id} does not elaborate: ${parsed.errors.map(e => e.message).join('; ')}`);
        cases.push({ id, graph: analyzeNetwork(parsed).graph });
    }
    return cases;
}

export { relativeError } from './helpers.js';
