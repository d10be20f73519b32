/**
 * The result of ConvNet: Run Model — outputs with statistics, the top-5 ImageNet classes for a 1000-way output,
 * total and per-layer time as a bar chart, and the feature maps of any layer picked from a list.
 */
import * as vscode from 'vscode';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { ConvNetWebview } from '../webview.js';
import { featureMapsMessage, runCancelledMessage, runErrorMessage, runProgressMessage, runResultMessage, type RunDone } from './messages.js';

let classNames: Promise<string[]> | undefined;

/** The ImageNet class names (client/media/imagenet-classes.json), read once through the workspace file system (the browser has no disk). */
export function imagenetClasses(extensionUri: vscode.Uri): Promise<string[]> {
    classNames ??= Promise.resolve(vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'client', 'media', 'imagenet-classes.json')))
        .then(bytes => JSON.parse(new TextDecoder().decode(bytes)) as string[]);
    return classNames;
}

/** The run's worker, as the view uses it: a worker thread on the desktop, a web worker in the browser. */
export interface RunWorkerHandle {
    postMessage(message: unknown): void;
    terminate(): unknown;
}

/** How a run ended, for the API (tests) — `undefined` while it runs. */
export type RunOutcome =
    | { readonly status: 'done'; readonly result: RunDone }
    | { readonly status: 'error' | 'cancelled'; readonly message: string };

/**
 * One network's Run view. A new run of the network shows in the same view (`restart`), unless the person pinned it
 * to keep that result beside the next one: a pinned view keeps its result, its title says when it ran, and the
 * next run opens a new view.
 */
export class RunView {
    readonly view: ConvNetWebview;
    /** The last message that is not progress (what a page that reloads is sent again). */
    lastMessage: unknown;
    outcome: RunOutcome | undefined;
    pinned = false;
    /** The worker holding this run's network, weights and inputs, asked for a layer's feature maps. */
    private worker: RunWorkerHandle | undefined;
    private readonly pinListeners: (() => void)[] = [];

    get panel(): vscode.WebviewPanel {
        return this.view.panel;
    }

    constructor(private readonly extensionUri: vscode.Uri, readonly network: string) {
        this.view = new ConvNetWebview(extensionUri, 'run', 'convnet.run', `Run: ${network}`, 'run.js', `Run of ${network}`);
        this.view.onMessage((message: { type: string; node?: number }) => {
            if (message.type === 'layer' && message.node !== undefined) this.worker?.postMessage({ type: 'capture', node: message.node });
            else if (message.type === 'pin') this.pin();
            else if (message.type === 'ready' && this.lastMessage) {
                void this.view.post(this.lastMessage);
                if (this.pinned) void this.view.post({ type: 'pinned' });
            }
        });
        this.panel.onDidDispose(() => void this.worker?.terminate());
    }

    /** A new run shows here: the worker of the last one stops, and the page waits for this one's progress. */
    restart(worker: RunWorkerHandle): void {
        void this.worker?.terminate();
        this.worker = worker;
        this.outcome = undefined;
        this.lastMessage = undefined;
    }

    /** Keeps this result: the next run of the network opens a new view. */
    pin(): void {
        if (this.pinned) return;
        this.pinned = true;
        const time = new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
        this.panel.title = `Run: ${this.network} (pinned, ${time})`;
        void this.view.post({ type: 'pinned' });
        for (const listener of this.pinListeners) listener();
    }

    onPin(listener: () => void): void {
        this.pinListeners.push(listener);
    }

    showProgress(done: number, total: number, layer: string): void {
        void this.post(runProgressMessage(done, total, layer));
    }

    showResult(result: RunDone, graph: NetworkGraph): void {
        // The outcome is set once the result is posted: whoever waits for it finds the page's message sent.
        const worker = this.worker;
        void imagenetClasses(this.extensionUri).then(classes => classes, () => undefined).then(classes => {
            if (worker !== this.worker) return; // a newer run started meanwhile
            void this.post(runResultMessage(result, graph, classes && (() => classes)));
            this.outcome = { status: 'done', result };
        });
    }

    showLayer(node: number, shape: readonly number[], data: Float32Array): void {
        void this.post(featureMapsMessage(node, shape, data));
    }

    showError(message: string): void {
        this.outcome ??= { status: 'error', message };
        void this.post(runErrorMessage(message));
    }

    showCancelled(message: string): void {
        this.outcome ??= { status: 'cancelled', message };
        void this.post(runCancelledMessage(message));
    }

    private post(message: { type: string }): Thenable<boolean> {
        if (message.type !== 'progress') this.lastMessage = message;
        return this.view.post(message);
    }
}
