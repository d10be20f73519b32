/** Diagnostics over the protocol: related information, and re-validation of files that import an edited file. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoverRequest, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { LspSession, uriOf } from './lsp-client.js';

let session: LspSession;
let workspace: string;

beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-diag-'));
    session = await LspSession.start(workspace);
});

afterAll(async () => {
    await session?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
});

describe('diagnostics in the editor', () => {
    it('say where each shape of a mismatched residual came from', async () => {
        const text = 'network N(input: [1, 8, 16, 16]) {\n  y = input -> c1: conv(16, kernel: 3, stride: 2, padding: 1)\n  return y + input\n}\n';
        const file = path.join(workspace, 'residual.convnet');
        const [error] = await session.open(file, text);
        expect(error.message).toContain('cannot add tensors of shapes 1×16×8×8 and 1×8×16×16');
        const related = error.relatedInformation ?? [];
        expect(related.map(r => r.message)).toEqual([
            'the left operand, 1×16×8×8, comes from layer c1 (conv)',
            'the right operand, 1×8×16×16, is the network\'s input \'input\'',
        ]);
        expect(related[0].location.range.start.line).toBe(1);
        expect(related[1].location.range.start.line).toBe(0);
    });

    it('a hover on the operator of a mismatched residual shows both operands, where each was made and the dimensions that differ', async () => {
        const text = 'network N(input: [1, 8, 16, 16]) {\n  y = input -> c1: conv(16, kernel: 3, stride: 2, padding: 1)\n  return y + input\n}\n';
        const file = path.join(workspace, 'residual-hover.convnet');
        await session.open(file, text);
        const hover = await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position: { line: 2, character: 11 } }) as Hover;
        const value = (hover.contents as MarkupContent).value;
        expect(value).toContain('**`+`** · elementwise, with PyTorch broadcasting — these shapes do not broadcast');
        expect(value).toContain('| the left operand, 1×16×8×8, comes from layer c1 (conv) | line 2 |');
        expect(value).toContain('| the right operand, 1×8×16×16, is the network\'s input \'input\' | line 1 |');
        expect(value).toContain('They differ in dimension 1 (16 vs 8), dimension 2 (8 vs 16), dimension 3 (8 vs 16)');
    });

    it('re-validate a file when a file it imports changes', async () => {
        const libFile = path.join(workspace, 'blocks.convnet');
        const mainFile = path.join(workspace, 'main.convnet');
        const lib = 'block Head(classes: int)(x) {\n  return x -> adaptiveavgpool(1) -> flatten -> linear(classes)\n}\n';
        const main = 'import "./blocks.convnet"\n\nnetwork N(input: [1, 8, 16, 16]) {\n  return input -> Head(10)\n}\n';
        await session.open(libFile, lib);
        expect(await session.open(mainFile, main)).toEqual([]);
        // The library now forgets to flatten: the head's linear acts on a 4-D tensor.
        const mainDiagnostics = session.waitForDiagnostics(uriOf(mainFile));
        await session.change(libFile, lib.replace(' -> flatten', ''));
        const diagnostics = await mainDiagnostics;
        expect(diagnostics).toHaveLength(1);
        expect(diagnostics[0].message).toMatch(/^in block Head \(blocks\.convnet:2\): linear on a 4-D tensor 1×8×1×1/);
        expect(diagnostics[0].range.start.line).toBe(3);
    });
});
