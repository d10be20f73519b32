/** Protocol-level tests of the editing features: outline, completion, signature help, formatting, rename, tokens. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
    CompletionRequest, DocumentFormattingRequest, DocumentSymbolRequest, FoldingRangeRequest, ReferencesRequest, RenameRequest,
    SemanticTokensRequest, SignatureHelpRequest, DefinitionRequest,
    type CompletionItem, type CompletionList, type DocumentSymbol, type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LspSession, ROOT, uriOf } from './lsp-client.js';

const resnet = fs.readFileSync(path.join(ROOT, 'examples', 'resnet18.convnet'), 'utf8');
let session: LspSession;
let workspace: string;
let counter = 0;

function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
    const index = text.indexOf(needle);
    if (index < 0) throw new Error(`'${needle}' not found`);
    return TextDocument.create('x', 'convnet', 1, text).positionAt(index + delta);
}

async function openFile(text: string, name = `f${++counter}.convnet`): Promise<string> {
    const file = path.join(workspace, name);
    fs.writeFileSync(file, text);
    await session.open(file, text);
    return file;
}

beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-edit-'));
    session = await LspSession.start(workspace);
});

afterAll(async () => {
    await session?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
});

describe('outline', () => {
    it('lists networks, blocks, tensors and labelled layers with their shapes', async () => {
        const file = await openFile(resnet);
        const symbols = await session.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: uriOf(file) } }) as DocumentSymbol[];
        const network = symbols.find(s => s.name === 'ResNet18')!;
        expect(network.detail).toBe('11.69 M params · 1.81 G MACs');
        const children = Object.fromEntries((network.children ?? []).map(c => [c.name, c.detail]));
        expect(children.input).toBe('1×3×224×224');
        expect(children.conv1).toBe('1×64×112×112');
        expect(children.layer2).toBe('1×128×28×28');
        expect(children.fc).toBe('1×1000');
        const block = symbols.find(s => s.name === 'BasicBlock')!;
        const y = block.children!.find(c => c.name === 'y')!;
        // BasicBlock is called with 64, 128, 256 and 512 planes.
        expect(y.detail).toBe('1×64×56×56 | 1×128×28×28 | 1×256×14×14 | 1×512×7×7');
    });
});

describe('completion', () => {
    it('offers ops with their required arguments as a snippet', async () => {
        const text = 'network N(input: [1, 3, 32, 32]) {\n  return input -> con\n}\n';
        const file = await openFile(text);
        const result = await session.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, '-> con', 6) }) as CompletionList | CompletionItem[];
        const items = Array.isArray(result) ? result : result.items;
        const conv = items.find(i => i.label === 'conv')!;
        expect(conv.insertText).toBe('conv(${1:channels}, ${2:kernel})');
        expect(items.map(i => i.label)).toContain('convtranspose');
    });

    it('offers the attribute names an op call has not given yet', async () => {
        const text = 'network N(input: [1, 3, 32, 32]) {\n  return input -> conv(8, kernel: 3, )\n}\n';
        const file = await openFile(text);
        const result = await session.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, ', )', 2) }) as CompletionList | CompletionItem[];
        const labels = (Array.isArray(result) ? result : result.items).map(i => i.label);
        expect(labels).toEqual(expect.arrayContaining(['stride:', 'padding:', 'dilation:', 'groups:', 'bias:']));
        expect(labels).not.toContain('kernel:');
    });

    it('offers the allowed values of a string attribute', async () => {
        const text = 'network N(input: [1, 3, 32, 32]) {\n  return input -> upsample(2, mode: )\n}\n';
        const file = await openFile(text);
        const result = await session.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'mode: )', 6) }) as CompletionList | CompletionItem[];
        const labels = (Array.isArray(result) ? result : result.items).map(i => i.label);
        expect(labels).toEqual(expect.arrayContaining(['"nearest"', '"bilinear"']));
    });

    it('offers tensors in scope', async () => {
        const text = 'network N(input: [1, 3, 32, 32]) {\n  features = input -> conv(8, kernel: 3)\n  return fe\n}\n';
        const file = await openFile(text);
        const result = await session.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'return fe', 9) }) as CompletionList | CompletionItem[];
        expect((Array.isArray(result) ? result : result.items).map(i => i.label)).toContain('features');
    });
});

describe('signature help', () => {
    it('shows the op signature with the current argument', async () => {
        const text = 'network N(input: [1, 3, 32, 32]) {\n  return input -> conv(8, kernel: 3, stride: 2)\n}\n';
        const file = await openFile(text);
        const help = await session.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'stride: 2', 8) });
        expect(help!.signatures[0].label).toBe('conv(channels, kernel, stride = 1, padding = 0, dilation = 1, groups = 1, bias = true, padding_mode = "zeros")');
        expect(help!.activeParameter).toBe(2);
    });
});

describe('more completion and signature help', () => {
    it('offers the files of the workspace that declare blocks as imports', async () => {
        await openFile('block Stem(c: int)(x) {\n  return x -> conv(c, kernel: 3)\n}\n', 'stems.convnet');
        const text = 'import \n';
        const file = await openFile(text);
        const result = await session.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position: { line: 0, character: 7 } }) as CompletionList | CompletionItem[];
        expect((Array.isArray(result) ? result : result.items).map(i => i.label)).toContain('"./stems.convnet"');
    });

    it('shows the signature of a block call with its parameters and inputs', async () => {
        const text = 'block Down(planes: int, stride: int = 2)(x) {\n  return x -> conv(planes, kernel: 3, stride: stride, padding: 1)\n}\nnetwork N(input: [1, 3, 8, 8]) {\n  return input -> Down(8, stride: 1)\n}\n';
        const file = await openFile(text);
        const help = await session.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'stride: 1', 3) });
        expect(help!.signatures[0].label).toBe('Down(planes: int, stride: int = 2)(x)');
        expect(help!.activeParameter).toBe(1);
    });

    it('renames a block parameter, its uses in the body and the named arguments of its calls', async () => {
        const text = 'block Down(planes: int)(x) {\n  return x -> conv(planes, kernel: 3)\n}\nnetwork N(input: [1, 3, 8, 8]) {\n  return input -> Down(planes: 8)\n}\n';
        const file = await openFile(text);
        const rename = await session.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'planes: int', 1), newName: 'width' });
        const edits = rename!.changes![uriOf(file)];
        expect(edits.map(e => e.range.start.line).sort()).toEqual([0, 1, 4]);
    });
});

describe('formatting', () => {
    const messy = 'block  B( planes:int ,stride : int=1 )( x ){\n y=x->c1 :conv( planes,kernel:3 ,stride:stride)->relu\n    return y}\nnetwork N(input:[1,3,8,8]){\nreturn input->B(4) ->  flatten}\n';
    const canonical = 'block B(planes: int, stride: int = 1)(x) {\n  y = x -> c1: conv(planes, kernel: 3, stride: stride) -> relu\n  return y\n}\n\nnetwork N(input: [1, 3, 8, 8]) {\n  return input -> B(4) -> flatten\n}\n';

    async function format(text: string): Promise<string> {
        const file = await openFile(text);
        const edits = await session.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: uriOf(file) }, options: { tabSize: 2, insertSpaces: true } }) as TextEdit[];
        return TextDocument.applyEdits(TextDocument.create(uriOf(file), 'convnet', 1, text), edits ?? []);
    }

    it('produces the canonical layout', async () => {
        expect(await format(messy)).toBe(canonical);
    });

    it('is idempotent, also on the examples', async () => {
        expect(await format(canonical)).toBe(canonical);
        const once = await format(resnet);
        expect(await format(once)).toBe(once);
    });
});

describe('navigation', () => {
    it('finds the definition and all references of a block, and renames it across files', async () => {
        const lib = 'block Stem(c: int)(x) {\n  return x -> conv(c, kernel: 3, padding: 1) -> relu\n}\n';
        const libFile = await openFile(lib, 'lib.convnet');
        const main = 'import "./lib.convnet"\n\nnetwork N(input: [1, 3, 8, 8]) {\n  a = input -> Stem(4)\n  return a -> Stem(8)\n}\n';
        const mainFile = await openFile(main, 'main.convnet');
        const definition = await session.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: uriOf(mainFile) }, position: positionOf(main, 'Stem(4)', 1) });
        const target = Array.isArray(definition) ? definition[0] : definition;
        expect('targetUri' in target! ? target.targetUri : (target as { uri: string }).uri).toBe(uriOf(libFile));
        const references = await session.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: uriOf(libFile) }, position: positionOf(lib, 'Stem', 1), context: { includeDeclaration: false } });
        expect(references!.map(r => r.uri)).toEqual([uriOf(mainFile), uriOf(mainFile)]);
        const rename = await session.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uriOf(libFile) }, position: positionOf(lib, 'Stem', 1), newName: 'Stage' });
        const changes = rename!.changes!;
        expect(changes[uriOf(libFile)]).toHaveLength(1);
        expect(changes[uriOf(mainFile)]).toHaveLength(2);
    });

    it('renames a tensor and its uses only', async () => {
        const text = 'network N(input: [1, 3, 8, 8]) {\n  x = input -> relu\n  x = x -> relu\n  return x\n}\n';
        const file = await openFile(text);
        const rename = await session.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'x = input', 0), newName: 'stem' });
        const edits = rename!.changes![uriOf(file)];
        // The first x and its one use (the right-hand side of the second assignment), not the rebound x.
        expect(edits.map(e => e.range.start.line).sort()).toEqual([1, 2]);
    });

    it('folds blocks, networks and multi-line lists', async () => {
        const file = await openFile(resnet);
        const ranges = await session.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri: uriOf(file) } });
        const starts = (ranges ?? []).map(r => r.startLine);
        expect(starts).toContain(positionOf(resnet, 'block BasicBlock').line);
        expect(starts).toContain(positionOf(resnet, 'network ResNet18').line);
    });

    it('colours ops, blocks, tensors and labels', async () => {
        const file = await openFile(resnet);
        const tokens = await session.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: uriOf(file) } });
        expect(tokens!.data.length).toBeGreaterThan(5 * 100);
    });
});
