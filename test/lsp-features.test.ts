/** Protocol-level tests of the editor features on the shipped server bundle. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeLensRequest, HoverRequest, InlayHintRequest, type Hover, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { LspSession, ROOT, uriOf } from './lsp-client.js';
import { GraphRequest, SummaryRequest } from '../server/protocol.js';

const resnet = fs.readFileSync(path.join(ROOT, 'examples', 'resnet18.convnet'), 'utf8');
let session: LspSession;
let workspace: string;
let file: string;

function positionOf(text: string, needle: string, occurrence = 0, delta = 0): { line: number; character: number } {
    let index = -1;
    for (let i = 0; i <= occurrence; i++) index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`'${needle}' not found`);
    const before = text.slice(0, index + delta);
    const line = before.split('\n').length - 1;
    return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-lsp-'));
    file = path.join(workspace, 'resnet18.convnet');
    fs.writeFileSync(file, resnet);
    session = await LspSession.start(workspace, { convnet: { inlayHints: 'shapes' } });
    const diagnostics = await session.open(file, resnet);
    expect(diagnostics).toEqual([]);
});

afterAll(async () => {
    await session?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
});

describe('hover', () => {
    it('on the stem conv shows shapes, the weight count and the formula with numbers substituted', async () => {
        const hover = await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(resnet, 'conv(64, kernel: 7', 0, 1) }) as Hover;
        const text = (hover.contents as MarkupContent).value;
        expect(text).toContain('**conv1** · `conv`');
        expect(text).toContain('| input | 1×3×224×224 |');
        expect(text).toContain('| output | 1×64×112×112 |');
        // 64·3·7·7 = 9,408 weights, no bias (torchvision's conv1).
        expect(text).toContain('9,408 = weight 64×3×7×7');
        // 112·112·64 output elements × 3·7·7 = 118,013,952 MACs.
        expect(text).toContain('| MACs | 118,013,952');
        expect(text).toContain('⌊(224 + 3 + 3 − 1·(7−1) − 1)/2⌋ + 1 = 112');
        expect(text).toContain('| receptive field | 7×7, jump 2×2 |');
    });

    it('on a layer inside a block lists every instance', async () => {
        const hover = await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(resnet, 'conv1: conv(planes', 0, 9) }) as Hover;
        const text = (hover.contents as MarkupContent).value;
        expect(text).toContain('**8 instances**');
        expect(text).toContain('`layer4.1.conv1`');
    });

    it('on the network header gives the totals torchvision publishes', async () => {
        const hover = await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position: positionOf(resnet, 'ResNet18', 0, 2) }) as Hover;
        const text = (hover.contents as MarkupContent).value;
        expect(text).toContain('| params | 11,689,512');
        expect(text).toContain('| MACs | 1,814,073,344');
    });
});

describe('inlay hints and lenses', () => {
    it('show the shape after each layer of the stem', async () => {
        const hints = await session.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: uriOf(file) }, range: { start: { line: 0, character: 0 }, end: { line: 400, character: 0 } } });
        const labels = (hints ?? []).map(h => String(h.label));
        expect(labels).toContain(' → 1×64×112×112');
        expect(labels).toContain(' → 1×64×56×56');
        expect(labels).toContain(' → 1×1000');
    });

    it('put params · MACs · peak memory and the actions above the network', async () => {
        const lenses = await session.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: uriOf(file) } });
        const titles = (lenses ?? []).map(l => l.command?.title);
        expect(titles).toContain('11.69 M params · 1.81 G MACs · peak 6.13 MiB');
        expect(titles).toEqual(expect.arrayContaining(['▶ Run', 'Summary', 'Graph']));
    });
});

describe('custom requests', () => {
    it('give the graph and the summary with the same totals as the CLI', async () => {
        const graph = await session.connection.sendRequest(GraphRequest.method, { uri: uriOf(file), network: 'ResNet18' }) as { graph: { totals: { params: number } } };
        expect(graph.graph.totals.params).toBe(11689512);
        const summary = await session.connection.sendRequest(SummaryRequest.method, { uri: uriOf(file) }) as { summary: { macs: number; layers: { name: string }[] } };
        expect(summary.summary.macs).toBe(1814073344);
        expect(summary.summary.layers[0].name).toBe('conv1');
    });
});

describe('inlay hint settings', () => {
    it('"shapes+cost" adds params and MACs where they fit in the 43 characters VS Code shows, and always in the tooltip; "off" shows nothing', async () => {
        for (const mode of ['shapes+cost', 'off'] as const) {
            const other = await LspSession.start(workspace, { convnet: { inlayHints: mode } });
            try {
                await other.open(file, resnet);
                const hints = await other.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: uriOf(file) }, range: { start: { line: 0, character: 0 }, end: { line: 400, character: 0 } } }) ?? [];
                const labels = hints.map(h => String(h.label));
                if (mode === 'off') {
                    expect(labels).toEqual([]);
                    continue;
                }
                // torchvision's figures: conv1 has 9,408 parameters and 118,013,952 MACs; fc 513,000 and 512,000.
                const conv1 = hints.find(h => h.label === ' → 1×64×112×112' && String(h.tooltip).includes('9.41 k params · 118.01 M MACs'));
                expect(conv1, 'conv1: the shape, with the cost in the tooltip (it does not fit)').toBeDefined();
                expect(labels).toContain(' → 1×1000 · 513.00 k params · 512.00 k MACs');
                for (const label of labels) expect(label.length, label).toBeLessThanOrEqual(43);
            } finally {
                await other.stop();
            }
        }
    });
});

describe('one source of truth', () => {
    it('every inlay hint after a top-level step equals the summary\'s output shape for that layer', async () => {
        const summary = await session.connection.sendRequest(SummaryRequest.method, { uri: uriOf(file) }) as { summary: { layers: { name: string; output: number[]; line: number }[] } };
        const hints = await session.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: uriOf(file) }, range: { start: { line: 0, character: 0 }, end: { line: 400, character: 0 } } });
        for (const name of ['conv1', 'bn1', 'maxpool', 'avgpool', 'fc']) {
            const layer = summary.summary.layers.find(l => l.name === name)!;
            const onLine = (hints ?? []).filter(h => h.position.line === layer.line - 1).map(h => String(h.label));
            expect(onLine).toContain(` → ${layer.output.join('×')}`);
        }
    });
});
