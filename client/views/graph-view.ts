/**
 * ConvNet: Show Graph — the network laid out with elkjs, blocks collapsible (the folding remembered per network),
 * coloured by MACs, following edits, and saved as SVG or PNG.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFilesSafely } from '../../io/safe-write.js';
import { showError, showInfo } from '../notify.js';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import { layoutGraph, renderSvg, type GraphLayout } from '../../language/render/graph-layout.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { NetworkTarget } from '../targets.js';
import { ConvNetWebview } from '../webview.js';
import { foldedIndices, graphMessage, initiallyFolded } from './messages.js';
import { revealSource } from './reveal.js';

/** The largest PNG the page may send to be saved (a huge network at twice its size stays well under). */
const MAX_PNG_BYTES = 64 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export class GraphView {
    private static readonly open = new Map<string, GraphView>();
    private static latest: GraphView | undefined;
    private readonly disposables: vscode.Disposable[] = [];
    /** Collapsed modules by name, so the choice survives edits that renumber modules. */
    private readonly collapsed = new Set<string>();
    private initialised = false;
    private graph: NetworkGraph | undefined;
    private refreshTimer: NodeJS.Timeout | undefined;
    readonly view: ConvNetWebview;
    lastSvg: string | undefined;
    private lastLayout: GraphLayout | undefined;
    private readonly foldingKey: string;

    /** The latest graph view opened (tests reach it through the extension's API). */
    static latestView(): GraphView | undefined {
        return GraphView.latest;
    }

    get panel(): vscode.WebviewPanel {
        return this.view.panel;
    }

    static show(extensionUri: vscode.Uri, client: LanguageClient, target: NetworkTarget, state: vscode.Memento): GraphView {
        const key = `${target.uri}#${target.network}`;
        const existing = GraphView.open.get(key);
        if (existing) {
            existing.view.reveal();
            GraphView.latest = existing;
            return existing;
        }
        const view = new GraphView(extensionUri, client, target, state);
        GraphView.open.set(key, view);
        GraphView.latest = view;
        view.panel.onDidDispose(() => GraphView.open.delete(key));
        return view;
    }

    private constructor(extensionUri: vscode.Uri, private readonly client: LanguageClient, private readonly target: NetworkTarget, private readonly state: vscode.Memento) {
        this.foldingKey = `convnet.graph.folded:${target.uri}#${target.network}`;
        this.view = new ConvNetWebview(extensionUri, 'graph', 'convnet.graph', `Graph: ${target.network}`, 'graph.js', `Graph of ${target.network}`);
        this.view.onMessage((message: { type: string; module?: number; uri?: string; line?: number; character?: number; format?: string; data?: string }) => this.onMessage(message), this.disposables);
        vscode.languages.onDidChangeDiagnostics(() => this.scheduleRefresh(), undefined, this.disposables);
        this.panel.onDidDispose(() => this.disposables.forEach(d => d.dispose()), undefined, this.disposables);
    }

    private scheduleRefresh(): void {
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => void this.refresh(), 200);
    }

    async refresh(): Promise<void> {
        const result = await this.client.sendRequest(GraphRequest.method, this.target) as GraphResult;
        if (!result.graph) {
            await this.view.post({ type: 'errors', errors: result.errors });
            return;
        }
        this.graph = result.graph;
        if (!this.initialised) {
            // The folding the person left this network in; else large networks start with every block instance
            // folded and small ones fully open.
            const remembered = this.state.get<string[]>(this.foldingKey);
            for (const name of remembered ?? initiallyFolded(result.graph)) this.collapsed.add(name);
            this.initialised = true;
        }
        const folded = foldedIndices(result.graph, this.collapsed);
        const layout = await layoutGraph(result.graph, folded);
        this.lastLayout = layout;
        this.lastSvg = renderSvg(layout, this.target.network);
        // Blocks folded, not boxes: repeated blocks share one "×N" box.
        await this.view.post(graphMessage(this.target.network, result.graph, this.lastSvg, folded.size));
    }

    /**
     * Writes the graph as drawn: SVG from the layout (without the source files' paths the view's links carry), or
     * the PNG the page rasterised (`pngBase64`). The save dialog has asked before replacing a file.
     */
    saveAs(format: 'svg' | 'png', file: string, pngBase64?: string): boolean {
        try {
            let bytes: Uint8Array;
            if (format === 'svg') {
                if (!this.lastLayout) throw new Error('the graph is not drawn yet');
                bytes = new TextEncoder().encode(renderSvg(this.lastLayout, this.target.network, { sourceLinks: false }));
            } else {
                if (typeof pngBase64 !== 'string' || pngBase64.length > (MAX_PNG_BYTES * 4) / 3 + 4) throw new Error('the view sent no PNG, or one too large');
                bytes = Buffer.from(pngBase64, 'base64');
                if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('the view sent something that is not a PNG');
            }
            writeFilesSafely([{ file, bytes }], { replace: true });
            void showInfo(`ConvNet: the graph of ${this.target.network} is saved as ${file}`);
            return true;
        } catch (e) {
            void showError(`ConvNet: the graph could not be saved: ${e instanceof Error ? e.message : String(e)}`);
            return false;
        }
    }

    /** Folds or unfolds module `module` (a click on its frame or box), and remembers the folding for this network. */
    async toggle(module: number): Promise<void> {
        const name = this.graph?.modules[module]?.name;
        if (name === undefined) return;
        if (this.collapsed.has(name)) this.collapsed.delete(name);
        else this.collapsed.add(name);
        await this.state.update(this.foldingKey, [...this.collapsed]);
        await this.refresh();
    }

    private defaultFolder(): string {
        const document = vscode.Uri.parse(this.target.uri);
        return document.scheme === 'file' ? path.dirname(document.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '');
    }

    private async onMessage(message: { type: string; module?: number; uri?: string; line?: number; character?: number; format?: string; data?: string }): Promise<void> {
        if (message.type === 'ready') await this.refresh();
        else if (message.type === 'toggle' && message.module !== undefined) await this.toggle(message.module);
        else if (message.type === 'save' && (message.format === 'svg' || message.format === 'png')) {
            const target = await vscode.window.showSaveDialog({
                defaultUri: vscode.Uri.file(path.join(this.defaultFolder(), `${this.target.network}.${message.format}`)),
                filters: message.format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
                saveLabel: `Save the graph as ${message.format.toUpperCase()}`,
            });
            if (target) this.saveAs(message.format, target.fsPath, message.data);
        } else if (message.type === 'reveal' && message.uri && message.line !== undefined) {
            await revealSource(message.uri, message.line, message.character ?? 0);
        }
    }
}
