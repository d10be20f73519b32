/**
 * One spec per op: every layer's knowledge of ops is a table keyed by op family, and each table is checked against
 * the registry here, so an op cannot be added to the language and forgotten by the runtime or an exporter, and no
 * table keeps an entry for an op that is gone. A spec registered at run time shows the other direction: with
 * nothing but the spec written, it reaches completion, hovers and shapes, and each later stage refuses it by name
 * rather than failing somewhere inside.
 */
import { EmptyFileSystem, URI } from 'langium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_OPS, allOps, entryFor, opFamilies, registerOp, tableGaps } from '../language/ops/registry.js';
import type { OpSpec } from '../language/ops/types.js';
import { KERNELS } from '../runtime/kernels/index.js';
import { ONNX_EMITTERS, exportOnnx } from '../interchange/export/onnx.js';
import { exportPytorch } from '../interchange/export/pytorch.js';
import { PYTORCH_FUNCTIONS, PYTORCH_MODULES } from '../interchange/export/pytorch/op-table.js';
import { createConvNetLspServices } from '../server/services.js';
import { ensureBuiltinLibrary } from '../language/builtin-library.js';
import { isNetwork, type Model } from '../language/generated/ast.js';
import { prepareNetwork } from '../runtime/executor.js';
import { initializeParameters } from '../runtime/weights.js';

describe('every table of ops covers exactly the registry\'s families', () => {
    it.each([
        ['the runtime\'s kernels', KERNELS],
        ['the ONNX emitters', ONNX_EMITTERS],
        ['the PyTorch modules', PYTORCH_MODULES],
    ] as const)('%s', (_name, table) => {
        expect(tableGaps(table)).toEqual({ missing: [], unknown: [] });
    });

    it('the PyTorch functional forms (a partial table: layers with weights have none) name only families that exist', () => {
        expect(tableGaps(PYTORCH_FUNCTIONS).unknown).toEqual([]);
        expect(Object.keys(PYTORCH_FUNCTIONS).length).toBeGreaterThan(20);
    });

    it('1-D, 2-D and 3-D variants are one family, found by any of their names', () => {
        expect(opFamilies()).toContain('conv');
        expect(opFamilies()).not.toContain('conv3d');
        expect(entryFor(KERNELS, 'conv3d')).toBe(KERNELS.conv);
        expect(entryFor(KERNELS, 'conv1d')).toBe(KERNELS.conv);
        expect(entryFor(KERNELS, 'deconv')).toBe(KERNELS.convtranspose); // an alias
        expect(entryFor(KERNELS, 'nosuchop')).toBeUndefined();
        expect(entryFor(KERNELS, 'toString')).toBeUndefined(); // not an inherited member either
    });

    it('every built-in op says what it keeps for its backward pass (training memory), in its own spec', () => {
        const silent = ALL_OPS.filter(op => typeof op.savedForBackward !== 'function').map(op => op.name);
        expect(silent).toEqual([]);
    });

    it('families are fewer than ops: the variants share their entries', () => {
        expect(opFamilies().length).toBeLessThan(allOps().length);
        expect(opFamilies().length).toBe(new Set(allOps().map(o => o.family ?? o.name)).size);
    });
});

/** An op only a spec knows: shapes like an activation, with one attribute. */
const DUMMY: OpSpec = {
    name: 'dummyscale', aliases: ['dummy_scale'], category: 'activation',
    summary: 'A test op that only has a spec.',
    attrs: [{ name: 'factor', type: 'float', default: 2, doc: 'What the test op would multiply by.' }],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x] }) => ({ outputs: [x], issues: [] }),
    cost: ({ inputs: [x] }) => ({ params: [], macs: 0, flops: x.reduce((a, b) => a * b, 1) }),
    window: () => ({ kind: 'pointwise' }),
};

const TEXT = `network Probe(x: [1, 3, 8, 8]) {
  return x -> conv(4, kernel: 3, padding: 1) -> scaled: dummyscale(factor: 3) -> relu
}
`;

describe('a new spec, and nothing else, reaches every list of ops', () => {
    let unregister: () => void;
    let services: ReturnType<typeof createConvNetLspServices>;
    const uri = URI.file('/probe/probe.convnet');

    beforeAll(async () => {
        unregister = registerOp(DUMMY);
        services = createConvNetLspServices({ ...EmptyFileSystem });
        const library = ensureBuiltinLibrary(services.shared);
        const document = services.shared.workspace.LangiumDocumentFactory.fromString<Model>(TEXT, uri);
        services.shared.workspace.LangiumDocuments.addDocument(document);
        await services.shared.workspace.DocumentBuilder.build([document, library], { validation: true });
    });
    afterAll(() => unregister());

    const document = () => services.shared.workspace.LangiumDocuments.getDocument(uri)!;
    const at = (needle: string) => document().textDocument.positionAt(TEXT.indexOf(needle) + 1);
    const graph = () => {
        const network = (document().parseResult.value as Model).declarations.find(isNetwork)!;
        return services.ConvNet.analysis.NetworkAnalyzer.analyze(network).graph;
    };

    it('is a known op: no diagnostics, and its shape rule gives the shape after it', () => {
        expect(document().diagnostics ?? []).toEqual([]);
        const node = graph().nodes.find(n => n.op === 'dummyscale')!;
        expect(node.name).toBe('scaled');
        expect(node.attrs.factor).toBe(3);
        expect(graph().tensors[node.outputs[0]].shape).toEqual([1, 4, 8, 8]);
    });

    it('is offered by completion, under its name and its alias', async () => {
        const position = at('dummyscale');
        const list = await services.ConvNet.lsp.CompletionProvider!.getCompletion(document(), { textDocument: { uri: uri.toString() }, position: { line: position.line, character: position.character - 1 } });
        const labels = list?.items.map(i => i.label) ?? [];
        expect(labels).toContain('dummyscale');
        expect(labels).toContain('dummy_scale');
    });

    it('has a hover with its summary and the shape its rule gives, and signature help with its attribute', async () => {
        const hover = await services.ConvNet.lsp.HoverProvider!.getHoverContent(document(), { textDocument: { uri: uri.toString() }, position: at('dummyscale') });
        const text = JSON.stringify(hover?.contents);
        expect(text).toContain('A test op that only has a spec.');
        expect(text).toContain('| output | 1×4×8×8 |');
        const signature = await services.ConvNet.lsp.SignatureHelp!.provideSignatureHelp(document(), { textDocument: { uri: uri.toString() }, position: at('factor') });
        expect(signature?.signatures[0].label).toBe('dummyscale(factor = 2)');
        expect(signature?.signatures[0].parameters?.[0].documentation).toBe('What the test op would multiply by.');
    });

    it('is missing from every table until someone writes its entries, and each stage refuses it by name', () => {
        for (const table of [KERNELS, ONNX_EMITTERS, PYTORCH_MODULES]) expect(tableGaps(table).missing).toEqual(['dummyscale']);
        const g = graph();
        const parameters = initializeParameters(g, 1);
        expect(() => exportOnnx(g, parameters)).toThrow("cannot export layer 'scaled': the ONNX exporter has no mapping for op 'dummyscale'");
        expect(() => exportPytorch(g)).toThrow(/'scaled'.*dummyscale/);
        expect(() => prepareNetwork(g, parameters)).toThrow("the runtime has no kernel for op 'dummyscale' (layer scaled)");
    });
});
