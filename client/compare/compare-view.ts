/**
 * ConvNet: Compare with… — the network being edited against another design: another .convnet file, another network
 * of the same file, or the file's version in git HEAD. The comparison runs in a worker thread (client/compare/worker.ts,
 * the code `convnet diff` uses) and shows side by side in a webview (client/media/compare.js): before and after per
 * layer with the deltas highlighted, and the totals' deltas and ratios. A snapshot: Refresh compares again.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { NetworksRequest } from '../../server/protocol.js';
import { resolveTarget, type NetworkTarget } from '../targets.js';
import { showError, showWarning } from '../notify.js';
import { revealSource } from '../views/reveal.js';
import { createNonce, webviewPageHtml } from '../webview-page.js';
import type { NetworkDiff } from '../../language/analysis/diff.js';
import type { CompareSource, FromCompareWorker, StartCompare } from './messages.js';
import { compareMessage, type CompareGraph } from './graph-marks.js';

export const COMPARE_COMMAND = 'convnet.compareWith';

/**
 * What a test or a keybinding may pass to skip the pickers: `against` is `'git'` (with `rev`, default HEAD), a
 * `.convnet` path or `file:` URI, or `'network'` (another network of this file, named by `otherNetwork`).
 */
export interface CompareOptions {
    readonly against?: string;
    readonly rev?: string;
    readonly otherNetwork?: string;
}

let latest: CompareView | undefined;

/** The latest comparison shown (the extension's API may give it to tests). */
export function lastCompareView(): CompareView | undefined {
    return latest;
}

export async function compareWith(context: vscode.ExtensionContext, client: LanguageClient, uri: string | undefined, network: string | undefined,
    options: CompareOptions): Promise<CompareView | undefined> {
    const target = await resolveTarget(client, uri, network);
    if (!target) return undefined;
    const current = vscode.Uri.parse(target.uri);
    const before = await pickOther(client, target, current, options);
    if (!before) return undefined;
    const open = vscode.workspace.textDocuments.find(d => d.uri.toString() === target.uri);
    const label = path.basename(current.fsPath || current.path);
    // The text as it stands in the editor, saved or not.
    const after: CompareSource = open
        ? { kind: 'text', uri: target.uri, text: open.getText(), label, network: target.network }
        : { kind: 'file', path: current.fsPath, label, network: target.network };
    const outcome = await compare(context, { before, after });
    if (!outcome) return undefined;
    const view = new CompareView(context.extensionUri, outcome, () => compare(context, { before, after: refreshed(after) }));
    latest = view;
    return view;
}

/** The other side, from the options or the person's choice. */
async function pickOther(client: LanguageClient, target: NetworkTarget, current: vscode.Uri, options: CompareOptions): Promise<CompareSource | undefined> {
    const fileName = path.basename(current.fsPath || current.path);
    const { networks } = await client.sendRequest(NetworksRequest.method, { uri: target.uri }) as { networks: { name: string }[] };
    const others = networks.map(n => n.name).filter(n => n !== target.network);
    let against = options.against;
    if (against === undefined) {
        type Item = vscode.QuickPickItem & { choice: string };
        const items: Item[] = [
            { label: '$(file) Another .convnet file…', choice: 'file' },
            ...(others.length ? [{ label: '$(symbol-class) Another network of this file', description: others.join(', '), choice: 'network' }] : []),
            ...(current.scheme === 'file' ? [{ label: '$(git-commit) The version in git HEAD', description: `${fileName} as last committed`, choice: 'git' }] : []),
        ];
        const picked = await vscode.window.showQuickPick(items, { placeHolder: `Compare ${target.network} with…` });
        if (!picked) return undefined;
        against = picked.choice;
        if (against === 'file') {
            const chosen = await vscode.window.showOpenDialog({
                canSelectMany: false, filters: { 'ConvNet design': ['convnet'] }, openLabel: 'Compare',
                defaultUri: current.scheme === 'file' ? vscode.Uri.file(path.dirname(current.fsPath)) : undefined,
            });
            if (!chosen?.[0]) return undefined;
            against = chosen[0].toString();
        }
    }
    if (against === 'git') {
        if (current.scheme !== 'file') {
            void showWarning('Save the file first: only a file on disk has a version in git.');
            return undefined;
        }
        const rev = options.rev ?? 'HEAD';
        return { kind: 'git', path: current.fsPath, rev, label: `${fileName} (${rev})`, network: target.network };
    }
    if (against === 'network') {
        const other = options.otherNetwork ?? (others.length === 1 ? others[0] : await vscode.window.showQuickPick(others, { placeHolder: `Compare ${target.network} with which network?` }));
        if (!other) return undefined;
        const open = vscode.workspace.textDocuments.find(d => d.uri.toString() === target.uri);
        return open
            ? { kind: 'text', uri: target.uri, text: open.getText(), label: fileName, network: other }
            : { kind: 'file', path: current.fsPath, label: fileName, network: other };
    }
    const file = against.startsWith('file:') ? vscode.Uri.parse(against).fsPath : against;
    return { kind: 'file', path: file, label: path.basename(file) };
}

/** The editor's text of a side as it is now (for Refresh). */
function refreshed(source: CompareSource): CompareSource {
    if (source.kind !== 'text') return source;
    const open = vscode.workspace.textDocuments.find(d => d.uri.toString() === source.uri);
    return open ? { ...source, text: open.getText() } : source;
}

/** Runs the worker, asking which network when a side has several; undefined after telling the person why not. */
/** What one comparison gives the view. */
interface Comparison {
    readonly diff: NetworkDiff;
    readonly afterUri: string;
    readonly graph?: CompareGraph;
}

async function compare(context: vscode.ExtensionContext, start: StartCompare): Promise<Comparison | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
        const message = await runWorker(context, start);
        if (message.type === 'diff') return message;
        if (message.type === 'error') {
            void showError(`ConvNet: ${message.message}`);
            return undefined;
        }
        const side = start[message.side];
        const picked = await vscode.window.showQuickPick([...message.networks], { placeHolder: `${side.label} has several networks: which one?` });
        if (!picked) return undefined;
        start = { ...start, [message.side]: { ...side, network: picked } };
    }
    return undefined;
}

function runWorker(context: vscode.ExtensionContext, start: StartCompare): Promise<FromCompareWorker> {
    return new Promise(resolve => {
        const worker = new Worker(context.asAbsolutePath(path.join('out', 'compare-worker.cjs')));
        let done = false;
        const finish = (message: FromCompareWorker) => {
            if (done) return;
            done = true;
            void worker.terminate();
            resolve(message);
        };
        worker.once('message', finish);
        worker.once('error', e => finish({ type: 'error', message: `the comparison failed: ${e.message}` }));
        worker.once('exit', code => finish({ type: 'error', message: `the comparison stopped (exit code ${code})` }));
        worker.postMessage(start);
    });
}

/** The side-by-side page of one comparison. */
export class CompareView {
    readonly panel: vscode.WebviewPanel;
    /** Messages posted to the page, oldest first. */
    readonly posted: unknown[] = [];

    private diff: NetworkDiff;
    private afterUri: string;
    private graph: CompareGraph | undefined;

    constructor(extensionUri: vscode.Uri, comparison: Comparison, private readonly again: () => Promise<Comparison | undefined>) {
        ({ diff: this.diff, afterUri: this.afterUri, graph: this.graph } = comparison);
        const diff = this.diff;
        const title = `${diff.before.name} ↔ ${diff.after.name}`;
        this.panel = vscode.window.createWebviewPanel('convnet.compare', `Compare: ${title}`, vscode.ViewColumn.Beside, {
            enableScripts: true,
            retainContextWhenHidden: true,
            localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'client', 'media')],
        });
        const media = (file: string) => this.panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'client', 'media', file)).toString();
        this.panel.webview.html = webviewPageHtml({
            cspSource: this.panel.webview.cspSource, styleUrl: media('views.css'), extraStyleUrls: [media('compare.css')],
            scriptUrl: media('compare.js'), nonce: createNonce(), title: `Compare ${title}`,
        });
        this.panel.webview.onDidReceiveMessage((message: { type: string; line?: number }) => this.onMessage(message));
        this.panel.onDidDispose(() => { if (latest === this) latest = undefined; });
    }

    get lastDiff(): NetworkDiff {
        return this.diff;
    }

    /** The newer design's graph as last drawn, its changes marked. */
    get lastGraph(): CompareGraph | undefined {
        return this.graph;
    }

    private post(): void {
        const message = compareMessage(this.diff, this.graph);
        this.posted.push(message);
        void this.panel.webview.postMessage(message);
    }

    private async onMessage(message: { type: string; line?: number }): Promise<void> {
        if (message.type === 'ready') this.post();
        else if (message.type === 'refresh') {
            const outcome = await this.again();
            if (!outcome) return;
            ({ diff: this.diff, afterUri: this.afterUri, graph: this.graph } = outcome);
            this.post();
        } else if (message.type === 'reveal' && message.line !== undefined && this.afterUri.startsWith('file:')) {
            await revealSource(this.afterUri, message.line, 0);
        }
    }
}
