/**
 * `npm run bench:server`: editor latency on a ResNet-152-sized file (≈500 layers), measured through the shipped
 * language server over LSP: hover and inlay hints once the document is built, and a keystroke's re-validation
 * (from the change notification to the new diagnostics). Medians of 30 runs; prints a table for the README.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HoverRequest, InlayHintRequest } from 'vscode-languageserver-protocol/node';
import { LspSession, uriOf } from '../lsp-client.js';
import { resnet152 } from './networks.js';

const RUNS = 30;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

async function timed(action: () => Promise<unknown>): Promise<number> {
    const start = performance.now();
    await action();
    return performance.now() - start;
}

async function main(): Promise<void> {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-bench-'));
    const file = path.join(workspace, 'resnet152.convnet');
    const text = resnet152();
    fs.writeFileSync(file, text);
    const session = await LspSession.start(workspace);
    try {
        const firstBuild = await timed(() => session.open(file, text));
        const uri = uriOf(file);
        const lines = text.split('\n');
        const hoverLine = lines.findIndex(l => l.includes('conv2: conv'));
        const hover = (line: number, character: number) => session.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
        const hints = () => session.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } } });
        const hoverTimes: number[] = [];
        const hintTimes: number[] = [];
        const editTimes: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            hoverTimes.push(await timed(() => hover(hoverLine, lines[hoverLine].indexOf('conv(') + 1)));
            hintTimes.push(await timed(hints));
        }
        let edited = text;
        for (let i = 0; i < RUNS; i++) {
            edited = `${edited}#`;
            editTimes.push(await timed(() => session.change(file, edited)));
            // The first hover after an edit pays for re-elaboration of every instance.
        }
        const afterEdit = await timed(() => hover(hoverLine, lines[hoverLine].indexOf('conv(') + 1));
        console.log(`Language server latency on a ResNet-152 file (${text.split('\n').length} lines, 515 layers), Node ${process.version}`);
        console.log('| measure | median ms |');
        console.log('|---|---:|');
        console.log(`| open → first diagnostics | ${firstBuild.toFixed(1)} |`);
        console.log(`| hover on a layer in a block (50 instances) | ${median(hoverTimes).toFixed(1)} |`);
        console.log(`| inlay hints, whole file | ${median(hintTimes).toFixed(1)} |`);
        console.log(`| keystroke → new diagnostics | ${median(editTimes).toFixed(1)} |`);
        console.log(`| first hover after an edit | ${afterEdit.toFixed(1)} |`);
        console.log('Targets: hover and inlay hints < 20 ms; keystroke re-validated < 50 ms.');
    } finally {
        await session.stop();
        fs.rmSync(workspace, { recursive: true, force: true });
    }
}

main().catch(e => {
    console.error(e);
    process.exitCode = 1;
});
