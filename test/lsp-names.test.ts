/**
 * The editor with quoted and computed labels and learned tensors (on the shipped server bundle): hovers, inlay
 * hints, the outline, rename and completion behave as they do for plain names.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
    CompletionRequest, DocumentSymbolRequest, HoverRequest, InlayHintRequest, PrepareRenameRequest, RenameRequest,
    type CompletionItem, type CompletionList, type DocumentSymbol, type Hover, type InlayHint, type MarkupContent, type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LspSession, uriOf } from './lsp-client.js';

const text = `block CNBlock(dim: int)(x) {
  param layer_scale: [dim, 1, 1] = 1e-6
  y = x -> 'block': [dwconv(kernel: 7, padding: 3), 'in': batchnorm]
  return x + y * layer_scale
}

network Net(input: [1, 4, 8, 8]) {
  return input -> features: [
      "block1-0": CNBlock(4),
      for index in range(2): "denselayer{index + 1}": conv(4, kernel: 3, padding: 1)
    ] -> 'return': relu
}
`;

let session: LspSession;
let workspace: string;
let file: string;
const document = TextDocument.create('x', 'convnet', 1, text);
const at = (needle: string, delta = 0) => {
    const index = text.indexOf(needle);
    if (index < 0) throw new Error(`'${needle}' not found`);
    return document.positionAt(index + delta);
};
const hoverAt = async (needle: string, delta = 0) => {
    const hover = await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position: at(needle, delta) }) as Hover | null;
    return hover ? (hover.contents as MarkupContent).value : '';
};
const completionsAt = async (needle: string, delta: number) => {
    const result = await session.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position: at(needle, delta) }) as CompletionList | CompletionItem[] | null;
    return (Array.isArray(result) ? result : result?.items ?? []).map(i => i.label);
};

beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-names-'));
    file = path.join(workspace, 'names.convnet');
    fs.writeFileSync(file, text);
    session = await LspSession.start(workspace, { convnet: { inlayHints: 'shapes' } });
    expect(await session.open(file, text)).toEqual([]);
});

afterAll(async () => {
    await session?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
});

describe('quoted and computed labels in the editor', () => {
    it('a hover on a quoted label or on a computed one names the layers it makes', async () => {
        expect(await hoverAt("'in'", 1)).toContain('**features.block1-0.block.in** · `batchnorm`');
        const computed = await hoverAt('"denselayer{', 2);
        expect(computed).toContain('`features.denselayer1`');
        expect(computed).toContain('`features.denselayer2`');
        expect(await hoverAt("'return'", 2)).toContain('**return** · `relu`');
    });

    it('a hover on a param or its use shows the learned tensor with its state_dict name and count', async () => {
        const declared = await hoverAt('layer_scale:', 2);
        expect(declared).toContain('**features.block1-0.layer_scale** · `parameter`');
        expect(declared).toContain('| params | 4 = layer_scale 4×1×1 |');
        expect(await hoverAt('* layer_scale', 4)).toContain('**features.block1-0.layer_scale**');
    });

    it('inlay hints follow quoted and computed labels as plain ones', async () => {
        const hints = await session.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: uriOf(file) }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } } }) as InlayHint[];
        const labels = hints.map(h => [h.position.line, typeof h.label === 'string' ? h.label : h.label.map(p => p.value).join('')]);
        expect(labels).toContainEqual([9, ' → 1×4×8×8']); // after the computed label's conv
        expect(labels).toContainEqual([10, ' → 1×4×8×8']); // after 'return': relu
    });

    it('the outline lists quoted labels by their names, computed ones as written, and params', async () => {
        const symbols = await session.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: uriOf(file) } }) as DocumentSymbol[];
        const flat = (list: DocumentSymbol[]): string[] => list.flatMap(s => [`${s.name}${s.detail ? ` (${s.detail})` : ''}`, ...flat(s.children ?? [])]);
        const names = flat(symbols);
        expect(names).toEqual(expect.arrayContaining(['layer_scale (4×1×1)', 'block (1×4×8×8)', 'in (1×4×8×8)', 'block1-0 (1×4×8×8)', '"denselayer{index + 1}" (1×4×8×8)', 'return (1×4×8×8)']));
        const quoted = symbols.find(s => s.name === 'Net')!.children!.flatMap(s => s.children ?? []).find(s => s.name === 'block1-0')!;
        expect(quoted.selectionRange).toEqual({ start: at('"block1-0"'), end: at('"block1-0"', 10) });
    });

    it('renaming a loop variable renames it inside a computed label', async () => {
        const edit = await session.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uriOf(file) }, position: at('for index', 4), newName: 'i' }) as WorkspaceEdit;
        const edits = edit.changes![uriOf(file)];
        expect(edits.map(e => [e.range.start.line, document.getText(e.range)])).toEqual([[9, 'index'], [9, 'index']]);
        expect(TextDocument.applyEdits(document, edits)).toContain('for i in range(2): "denselayer{i + 1}"');
    });

    it('a label is not something to rename', async () => {
        const result = await session.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: uriOf(file) }, position: at("'return'", 2) });
        expect(result).toBeNull();
    });

    it('completion inside a quoted name offers nothing; after a label, the ops and blocks', async () => {
        expect(await completionsAt('"block1-0"', 4)).toEqual([]);
        expect(await completionsAt("'return': relu", 10)).toEqual(expect.arrayContaining(['relu', 'CNBlock']));
    });
});
