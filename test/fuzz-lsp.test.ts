/**
 * The shipped language server under random edits and requests at random positions: ResNet-18 (with an import)
 * edited at random, then completion, hover, signature help, definition, references, rename, inlay hints, code
 * lenses, code actions, document symbols and formatting anywhere in it. Every request must answer (a result or
 * null, never a JSON-RPC error), diagnostics must keep coming, and the server must stay up to the end.
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LspSession, ROOT, uriOf } from './lsp-client.js';
import { applyEdits, runs, timeout, type TextEdit } from './fuzz-scale.js';

const RESNET18 = fs.readFileSync(path.join(ROOT, 'examples', 'resnet18.convnet'), 'utf8');
const HEADER = 'import "./blocks"\n';
const BLOCKS = 'block Pair(c: int)(x) {\n  return x -> conv(c, kernel: 3, padding: 1) -> relu\n}\n';

const edit: fc.Arbitrary<TextEdit> = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom<TextEdit['kind']>('delete', 'insert', 'duplicate'),
    length: fc.integer({ min: 1, max: 30 }),
    text: fc.oneof(
        fc.constantFrom('->', 'Pair(8)', 'conv(', ')', ']', '[', ',', 'x.', '"', '/*', ' if ', 'block', 'relu', ':', '\n', 'λ', '\ud800', '\u0000'),
        fc.string({ maxLength: 4 }),
    ),
});


/** A position in `text` chosen by two numbers (line, then column), clamped to the text. */
function positionIn(text: string, line: number, character: number): { line: number; character: number } {
    const lines = text.split('\n');
    const l = line % lines.length;
    return { line: l, character: character % (lines[l].length + 1) };
}

describe('the language server under random edits and requests', () => {
    let session: LspSession;
    let workspace: string;
    let file: string;
    let opened = false;

    beforeAll(async () => {
        workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-fuzz-lsp-'));
        fs.writeFileSync(path.join(workspace, 'blocks.convnet'), BLOCKS);
        file = path.join(workspace, 'net.convnet');
        fs.writeFileSync(file, HEADER + RESNET18);
        session = await LspSession.start(workspace);
    });
    afterAll(async () => {
        await session?.stop();
        fs.rmSync(workspace, { recursive: true, force: true });
    });

    it('answers every request, anywhere, in any state of the text', async () => {
        const uri = uriOf(file);
        const requests: [string, (p: { line: number; character: number }) => object][] = [
            ['textDocument/completion', position => ({ textDocument: { uri }, position })],
            ['textDocument/hover', position => ({ textDocument: { uri }, position })],
            ['textDocument/signatureHelp', position => ({ textDocument: { uri }, position })],
            ['textDocument/definition', position => ({ textDocument: { uri }, position })],
            ['textDocument/references', position => ({ textDocument: { uri }, position, context: { includeDeclaration: true } })],
            ['textDocument/rename', position => ({ textDocument: { uri }, position, newName: 'renamed_x' })],
            ['textDocument/codeAction', position => ({ textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } })],
            ['textDocument/inlayHint', () => ({ textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } } })],
            ['textDocument/codeLens', () => ({ textDocument: { uri } })],
            ['textDocument/documentSymbol', () => ({ textDocument: { uri } })],
            ['textDocument/formatting', () => ({ textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })],
        ];
        await fc.assert(fc.asyncProperty(
            fc.array(edit, { minLength: 1, maxLength: 5 }),
            fc.array(fc.tuple(fc.nat(requests.length - 1), fc.nat(200), fc.nat(120)), { minLength: 3, maxLength: 8 }),
            async (edits, asks) => {
                const text = HEADER + applyEdits(RESNET18, edits);
                const diagnostics = opened ? await session.change(file, text) : await session.open(file, text);
                opened = true;
                expect(Array.isArray(diagnostics)).toBe(true);
                for (const [which, line, character] of asks) {
                    const [method, params] = requests[which];
                    // A ResponseError rejects: the property fails with the method and the text that caused it.
                    await session.connection.sendRequest(method, params(positionIn(text, line, character)));
                }
            },
        ), { numRuns: runs(40) });
        // Still alive and still right after all of it.
        const clean = await session.change(file, HEADER + RESNET18);
        expect(clean.filter(d => d.severity === 1)).toEqual([]);
    }, timeout(120_000));
});
