/**
 * The result of ConvNet: Run Model — outputs with statistics, the top-5 ImageNet classes for a 1000-way output,
 * total and per-layer time as a bar chart, and the feature maps of any layer picked from a list.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { FromWorker } from '../run/messages.js';
import { createPanel, pageHtml } from '../webview.js';

type Done = Extract<FromWorker, { type: 'done' }>;

/** Most channels drawn for one layer; a grid of more is unreadable. */
const MAX_CHANNELS = 64;

let classNames: string[] | undefined;

function imagenetClasses(extensionUri: vscode.Uri): string[] {
    classNames ??= JSON.parse(fs.readFileSync(vscode.Uri.joinPath(extensionUri, 'client', 'media', 'imagenet-classes.json').fsPath, 'utf8')) as string[];
    return classNames;
}

/** Each channel of an [N, C, …spatial] tensor scaled to 0…255 on its own range, as base64 bytes. */
export function featureMapPixels(shape: readonly number[], data: Float32Array): { channels: number; height: number; width: number; pixels: string } {
    const spatial = shape.slice(2);
    const height = spatial.length >= 2 ? spatial[spatial.length - 2] : 1;
    const width = spatial.length >= 1 ? spatial[spatial.length - 1] : 1;
    const depth = spatial.length === 3 ? spatial[0] : 1;
    const plane = height * width;
    const channels = Math.min(shape[1] ?? 1, MAX_CHANNELS);
    const bytes = new Uint8Array(channels * plane);
    for (let c = 0; c < channels; c++) {
        // Batch item 0; for a 3-D map, its middle slice.
        const offset = (c * depth + Math.floor(depth / 2)) * plane;
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < plane; i++) {
            const v = data[offset + i];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        const scale = max > min ? 255 / (max - min) : 0;
        for (let i = 0; i < plane; i++) bytes[c * plane + i] = Math.round((data[offset + i] - min) * scale);
    }
    return { channels, height, width, pixels: Buffer.from(bytes).toString('base64') };
}

export class RunView {
    readonly panel: vscode.WebviewPanel;
    lastMessage: unknown;

    constructor(private readonly extensionUri: vscode.Uri, network: string, private readonly onLayer: (node: number) => void) {
        this.panel = createPanel(extensionUri, 'convnet.run', `Run: ${network}`);
        this.panel.webview.html = pageHtml(this.panel, extensionUri, 'run.js', `Run of ${network}`);
        this.panel.webview.onDidReceiveMessage((message: { type: string; node?: number }) => {
            if (message.type === 'layer' && message.node !== undefined) this.onLayer(message.node);
            else if (message.type === 'ready' && this.lastMessage) void this.panel.webview.postMessage(this.lastMessage);
        });
    }

    showProgress(done: number, total: number, layer: string): void {
        void this.post({ type: 'progress', done, total, layer });
    }

    showResult(result: Done, graph: NetworkGraph): void {
        const classes = result.outputs.some(o => o.top5 && o.shape[o.shape.length - 1] === 1000) ? imagenetClasses(this.extensionUri) : undefined;
        void this.post({
            ...result, type: 'result',
            top5Labels: classes ? Object.fromEntries(result.outputs.map(o => [o.name, (o.top5 ?? []).map(t => classes[t.index] ?? '')])) : undefined,
            layers: graph.nodes.map(n => ({ index: n.index, name: n.name, op: n.op, shape: graph.tensors[n.outputs[0]].shape })),
        });
    }

    showLayer(node: number, shape: readonly number[], data: Float32Array): void {
        void this.post({ type: 'featureMaps', node, shape, ...featureMapPixels(shape, data) });
    }

    showError(message: string): void {
        void this.post({ type: 'error', message });
    }

    private post(message: unknown): Thenable<boolean> {
        if ((message as { type: string }).type !== 'progress') this.lastMessage = message;
        return this.panel.webview.postMessage(message);
    }
}
