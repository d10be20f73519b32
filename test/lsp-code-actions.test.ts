/** Quick fixes over the protocol: each is applied and the file re-validated. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeActionRequest, type CodeAction, type Diagnostic } from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LspSession, uriOf } from './lsp-client.js';

let session: LspSession;
let workspace: string;
let counter = 0;

beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-fix-'));
    session = await LspSession.start(workspace);
});

afterAll(async () => {
    await session?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
});

/** Opens `text`, asks for the fixes of its first diagnostic with `code`, applies the one titled `title`, re-validates. */
async function applyFix(text: string, code: string, title: string | RegExp): Promise<{ fixed: string; diagnostics: Diagnostic[] }> {
    const file = path.join(workspace, `fix${++counter}.convnet`);
    const diagnostics = await session.open(file, text);
    const diagnostic = diagnostics.find(d => (d.data as { code?: string } | undefined)?.code === code);
    expect(diagnostic, `a diagnostic with code ${code} in ${JSON.stringify(diagnostics.map(d => d.message))}`).toBeDefined();
    const actions = await session.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: uriOf(file) }, range: diagnostic!.range, context: { diagnostics: [diagnostic!] },
    }) as CodeAction[];
    const action = actions.find(a => (typeof title === 'string' ? a.title === title : title.test(a.title)));
    expect(action, `fix '${title}' among ${JSON.stringify(actions.map(a => a.title))}`).toBeDefined();
    const fixed = TextDocument.applyEdits(TextDocument.create(uriOf(file), 'convnet', 1, text), action!.edit!.changes![uriOf(file)]);
    return { fixed, diagnostics: await session.change(file, fixed) };
}

const net = (body: string, input = '[1, 8, 16, 16]') => `network N(input: ${input}) {\n  return input -> ${body}\n}\n`;

describe('quick fixes', () => {
    it('fix a misspelt op name', async () => {
        const { fixed, diagnostics } = await applyFix(net('conv(8, kernel: 3) -> rleu'), 'linking-error', "Change to 'relu'");
        expect(fixed).toContain('-> relu');
        expect(diagnostics).toEqual([]);
    });

    it('set groups to a value that divides both channel counts', async () => {
        // 8 input and 12 output channels: 3 groups do not divide 8; the largest common divisor ≤ 3 is 2.
        const { fixed, diagnostics } = await applyFix(net('conv(12, kernel: 3, groups: 3)'), 'channels-not-divisible', 'Set groups to 2 (divides 8 and 12)');
        expect(fixed).toContain('groups: 2');
        expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    });

    it('make a transposed conv kernel a multiple of its stride, keeping the output shape', async () => {
        // (16 − 1)·2 + (3 − 1) + 1 = 33 before; (16 − 1)·2 − 2·1 + (4 − 1) + 1 + 1 = 33 after.
        const { fixed, diagnostics } = await applyFix(net('convtranspose(4, kernel: 3, stride: 2)'), 'checkerboard',
            'Use kernel 4, padding 1, output_padding 1 (a multiple of stride 2; the output stays 1×4×33×33)');
        expect(fixed).toContain('convtranspose(4, kernel: 4, stride: 2, padding: 1, output_padding: 1)');
        expect(diagnostics).toEqual([]);
        // The DCGAN/U-Net habit k = 3, p = 1, output_padding = 1 (doubling) becomes k = 4, p = 1, output_padding = 0.
        const doubling = await applyFix(net('convtranspose(4, kernel: 3, stride: 2, padding: 1, output_padding: 1)'), 'checkerboard',
            'Use kernel 4, padding 1, output_padding 0 (a multiple of stride 2; the output stays 1×4×32×32)');
        expect(doubling.fixed).toContain('convtranspose(4, kernel: 4, stride: 2, padding: 1, output_padding: 0)');
        expect(doubling.diagnostics).toEqual([]);
    });

    it('pad a kernel larger than its input', async () => {
        const { fixed, diagnostics } = await applyFix(net('conv(8, kernel: 5)', '[1, 8, 3, 3]'), 'kernel-too-large', /padding: "same"/);
        expect(fixed).toContain('conv(8, kernel: 5, padding: "same")');
        expect(diagnostics).toEqual([]);
    });

    it('add a 1×1 projection on a residual whose shapes differ', async () => {
        const text = 'network N(input: [1, 8, 16, 16]) {\n  y = input -> conv(16, kernel: 3, stride: 2, padding: 1)\n  return y + input\n}\n';
        const { fixed, diagnostics } = await applyFix(text, 'shape-mismatch', 'Add a 1×1 projection to 16 channels, stride 2');
        expect(fixed).toContain('return y + (input -> conv(16, kernel: 1, stride: 2, bias: false) -> batchnorm)');
        expect(diagnostics).toEqual([]);
    });

    it('keep the spatial size of a conv', async () => {
        const text = net('conv(8, kernel: 3)');
        const file = path.join(workspace, `keep${++counter}.convnet`);
        await session.open(file, text);
        const start = TextDocument.create('x', 'convnet', 1, text).positionAt(text.indexOf('conv(') + 1);
        const actions = await session.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: uriOf(file) }, range: { start, end: start }, context: { diagnostics: [] } }) as CodeAction[];
        const keep = actions.find(a => a.title === 'Keep the spatial size (padding: 1): 1×8×16×16');
        expect(keep).toBeDefined();
        const fixed = TextDocument.applyEdits(TextDocument.create(uriOf(file), 'convnet', 1, text), keep!.edit!.changes![uriOf(file)]);
        expect(fixed).toContain('conv(8, kernel: 3, padding: 1)');
    });
});
