/**
 * Every quick fix the editor offers anywhere in the examples, applied: the file must still elaborate without
 * errors, the layer the fix is about must come out with the shape the fix's title names, and a fix that names no
 * new shape must leave every output of the network as it was. (On the examples, which have no errors, the fixes
 * offered are the ones a person asks for at a layer: "keep the spatial size" on a conv that shrinks its input.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AstUtils, EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction } from 'vscode-languageserver';
import { describe, expect, it } from 'vitest';
import { createConvNetLspServices } from '../server/services.js';
import { ensureBuiltinLibrary } from '../language/builtin-library.js';
import { isCall, isNetwork, type Model } from '../language/generated/ast.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { ROOT } from './export-cases.js';

const services = createConvNetLspServices({ ...EmptyFileSystem });
const library = ensureBuiltinLibrary(services.shared);
let counter = 0;

async function build(text: string): Promise<LangiumDocument<Model>> {
    const uri = URI.file(`/fixes/doc${++counter}.convnet`);
    const document = services.shared.workspace.LangiumDocumentFactory.fromString<Model>(text, uri);
    services.shared.workspace.LangiumDocuments.addDocument(document);
    await services.shared.workspace.DocumentBuilder.build([document, library], { validation: true });
    return document;
}

function errorsOf(document: LangiumDocument): string[] {
    return (document.diagnostics ?? []).filter(d => d.severity === 1).map(d => `${d.range.start.line + 1}: ${d.message}`);
}

/** Every network's output shapes, and the output shape of the layer defined on each line (by line, first layer). */
function shapesOf(document: LangiumDocument<Model>): { outputs: Record<string, string>; byLine: Map<number, string> } {
    const outputs: Record<string, string> = {};
    const byLine = new Map<number, string>();
    for (const network of document.parseResult.value.declarations.filter(isNetwork)) {
        const { graph } = services.ConvNet.analysis.NetworkAnalyzer.analyze(network);
        for (const port of graph.outputs) outputs[`${network.name}.${port.name}`] = formatShape(graph.tensors[port.tensor].shape);
        for (const node of graph.nodes) {
            const line = node.source.start.line;
            if (!byLine.has(line)) byLine.set(line, formatShape(graph.tensors[node.outputs[0]].shape));
        }
    }
    return { outputs, byLine };
}

const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples'))
    .filter(f => f.endsWith('.convnet'))
    .filter(f => !/^\s*import\s/m.test(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')));

describe('every quick fix offered in the examples, applied', () => {
    it('finds the examples', () => {
        expect(EXAMPLES.length).toBeGreaterThanOrEqual(12);
    });

    it.each(EXAMPLES)('%s', async file => {
        const text = fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8');
        const document = await build(text);
        expect(errorsOf(document)).toEqual([]);
        const before = shapesOf(document);
        const seen = new Set<string>();
        let applied = 0;
        for (const call of AstUtils.streamAst(document.parseResult.value).filter(isCall)) {
            const range = call.$cstNode!.range;
            const diagnostics = (document.diagnostics ?? []).filter(d => d.range.start.line <= range.end.line && d.range.end.line >= range.start.line);
            const actions = await services.ConvNet.lsp.CodeActionProvider!.getCodeActions(document, {
                textDocument: { uri: document.uri.toString() }, range: { start: range.start, end: range.start }, context: { diagnostics },
            }) as CodeAction[] | undefined;
            for (const action of actions ?? []) {
                const edits = action.edit?.changes?.[document.uri.toString()] ?? [];
                const key = `${action.title} ${JSON.stringify(edits)}`;
                if (seen.has(key)) continue;
                seen.add(key);
                const fixedText = TextDocument.applyEdits(TextDocument.create('x', 'convnet', 1, text), edits);
                const fixed = await build(fixedText);
                expect(errorsOf(fixed), `${file}: "${action.title}"`).toEqual([]);
                const after = shapesOf(fixed);
                const named = /: (\d+(?:×\d+)+)$/.exec(action.title)?.[1];
                if (named) {
                    expect(after.byLine.get(edits[0].range.start.line), `${file}: "${action.title}" at line ${edits[0].range.start.line + 1}`).toBe(named);
                } else {
                    expect(after.outputs, `${file}: "${action.title}" names no new shape, so it keeps the outputs`).toEqual(before.outputs);
                }
                applied++;
            }
        }
        // Recorded so that a change in what the examples offer shows in the test's output.
        console.log(`${file}: ${applied} quick fixes applied`);
    });
});
