/**
 * Webview panels of the views (summary, graph, run): the page (client/webview-page.ts) and a record of what the
 * extension posted to it and what it sent back, which the extension's API gives to tests.
 */
import * as vscode from 'vscode';
import { createNonce, webviewPageHtml } from './webview-page.js';

/** Messages kept per panel (the latest; a run posts many progress messages). */
const KEPT_MESSAGES = 50;

export type ViewKind = 'summary' | 'graph' | 'run';

/** A view's panel with the messages it exchanged with its page. */
export class ConvNetWebview {
    /** The latest panel of each kind that is still open. */
    private static readonly latest = new Map<ViewKind, ConvNetWebview>();

    static latestOf(kind: ViewKind): ConvNetWebview | undefined {
        return ConvNetWebview.latest.get(kind);
    }

    readonly panel: vscode.WebviewPanel;
    /** Messages posted to the page, oldest first (at most the last 50). */
    readonly posted: unknown[] = [];
    /** Messages the page sent (`ready` once its script runs, clicks, …). */
    readonly received: unknown[] = [];
    private disposed = false;

    constructor(extensionUri: vscode.Uri, readonly kind: ViewKind, viewType: string, title: string, script: string, pageTitle: string) {
        this.panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Beside, {
            enableScripts: true,
            retainContextWhenHidden: true,
            localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'client', 'media')],
        });
        const media = (file: string) => this.panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'client', 'media', file)).toString();
        this.panel.webview.html = webviewPageHtml({
            cspSource: this.panel.webview.cspSource, styleUrl: media('views.css'), scriptUrl: media(script), nonce: createNonce(), title: pageTitle,
        });
        this.panel.webview.onDidReceiveMessage(message => keep(this.received, message));
        ConvNetWebview.latest.set(kind, this);
        this.panel.onDidDispose(() => {
            this.disposed = true;
            if (ConvNetWebview.latest.get(kind) === this) ConvNetWebview.latest.delete(kind);
        });
    }

    get isDisposed(): boolean {
        return this.disposed;
    }

    /** Brings the panel to the front (it becomes the latest of its kind). */
    reveal(): void {
        ConvNetWebview.latest.set(this.kind, this);
        this.panel.reveal();
    }

    /** Posts to the page (and keeps a copy). */
    post(message: unknown): Thenable<boolean> {
        keep(this.posted, message);
        if (this.disposed) return Promise.resolve(false);
        return this.panel.webview.postMessage(message);
    }

    /** The last message posted of `type` (any type when omitted). */
    lastPosted<T = unknown>(type?: string): T | undefined {
        for (let i = this.posted.length - 1; i >= 0; i--) {
            if (type === undefined || (this.posted[i] as { type?: string })?.type === type) return this.posted[i] as T;
        }
        return undefined;
    }

    onMessage<T>(handler: (message: T) => unknown, disposables?: vscode.Disposable[]): void {
        this.panel.webview.onDidReceiveMessage(handler, undefined, disposables);
    }
}

function keep(list: unknown[], message: unknown): void {
    list.push(message);
    if (list.length > KEPT_MESSAGES) list.splice(0, list.length - KEPT_MESSAGES);
}
