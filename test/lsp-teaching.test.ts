/**
 * The comparisons hovers teach, checked against the worked figures of the source material
 * (../shared/reference/seed-figures.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoverRequest, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LspSession, uriOf } from './lsp-client.js';

let session: LspSession;
let workspace: string;
let counter = 0;

beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-teach-'));
    session = await LspSession.start(workspace);
});

afterAll(async () => {
    await session?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
});

async function hoverText(text: string, needle: string): Promise<string> {
    const file = path.join(workspace, `t${++counter}.convnet`);
    await session.open(file, text);
    const position = TextDocument.create('x', 'convnet', 1, text).positionAt(text.indexOf(needle) + 1);
    const hover = await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position }) as Hover;
    return (hover.contents as MarkupContent).value;
}

describe('teaching lines in hovers', () => {
    it('depthwise-separable vs standard: 7×7×3 input, 3×3, 128 outputs → 675 + 9,600 = 10,275 vs 86,400 MACs', async () => {
        const text = 'network N(input: [1, 3, 7, 7]) {\n  return input -> dw: dwconv(3, bias: false) -> pw: conv(128, kernel: 1, bias: false)\n}\n';
        const hover = await hoverText(text, 'dwconv(');
        expect(hover).toContain('Depthwise-separable with pw: 675 + 9,600 = 10,275 MACs vs 86,400 for a standard 3×3 conv 3→128');
        // 10,275 / 86,400 = 11.9%; 1/128 + 1/9 = 11.9%.
        expect(hover).toContain('11.9% (1/C_out + 1/k² = 1/128 + 1/9 = 11.9%)');
    });

    it('spatially separable 3×1 then 1×3 on a 5×5 image: 45 + 27 = 72 vs 81 multiplications', async () => {
        const text = 'network N(input: [1, 1, 5, 5]) {\n  return input -> v: conv(1, kernel: (3, 1), bias: false) -> h: conv(1, kernel: (1, 3), bias: false)\n}\n';
        const hover = await hoverText(text, 'conv(1, kernel: (3, 1)');
        expect(hover).toContain('Spatially separable with h: 3×1 then 1×3 costs 45 + 27 = 72 MACs vs 81 for one 3×3 conv');
    });

    it('grouped conv: parameters and MACs are 1/g of the dense conv', async () => {
        const text = 'network N(input: [1, 64, 8, 8]) {\n  return input -> conv(128, kernel: 3, padding: 1, groups: 2, bias: false)\n}\n';
        const hover = await hoverText(text, 'conv(128');
        // dense: 128·64·3·3 = 73,728 weights, ×64 positions = 4,718,592 MACs; g = 2 halves both.
        expect(hover).toContain('Grouped (g = 2): 2,359,296 MACs and 36,864 weights, 1/2 of the dense conv\'s 4,718,592 MACs and 73,728 weights.');
    });

    it('dilated conv: rate 2 gives a 5×5 effective kernel from 9 weights', async () => {
        const text = 'network N(input: [1, 8, 16, 16]) {\n  return input -> conv(8, kernel: 3, dilation: 2, padding: 2)\n}\n';
        const hover = await hoverText(text, 'conv(8');
        expect(hover).toContain('Dilated (rate 2×2): effective kernel d·(k−1)+1 = 5×5, covered with 9 weights per channel instead of 25.');
        expect(hover).toContain('| receptive field | 5×5, jump 1×1 |');
    });

    it('transposed conv: k=3, s=2 overlaps unevenly; k=4, s=2 evenly', async () => {
        const uneven = await hoverText('network N(input: [1, 8, 4, 4]) {\n  return input -> convtranspose(8, kernel: 3, stride: 2)\n}\n', 'convtranspose');
        expect(uneven).toContain('kernel 3×3 is not divisible by stride 2×2');
        const even = await hoverText('network N(input: [1, 8, 4, 4]) {\n  return input -> convtranspose(8, kernel: 4, stride: 2)\n}\n', 'convtranspose');
        expect(even).toContain('kernel 4×4 is a multiple of stride 2×2');
    });
});
