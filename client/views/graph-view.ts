/** ConvNet: Show Graph — the network laid out with elkjs, blocks collapsible, coloured by MACs, following edits. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import { layoutGraph, renderSvg } from '../../language/render/graph-layout.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { NetworkTarget } from '../targets.js';
import { createPanel, pageHtml } from '../webview.js';
import { revealSource } from './reveal.js';

export class GraphView {
    private static readonly open = new Map<string, GraphView>();
    private readonly disposables: vscode.Disposable[] = [];
    /** Collapsed modules by name, so the choice survives edits that renumber modules. */
    private readonly collapsed = new Set<string>();
    private initialised = false;
    private graph: NetworkGraph | undefined;
    private refreshTimer: NodeJS.Timeout | undefined;
    readonly panel: vscode.WebviewPanel;
    lastSvg: string | undefined;

    static show(extensionUri: vscode.Uri, client: LanguageClient, target: NetworkTarget): GraphView {
        const key = `${target.uri}#${target.network}`;
        const existing = GraphView.open.get(key);
        if (existing) {
            existing.panel.reveal();
            return existing;
        }
        const view = new GraphView(extensionUri, client, target);
        GraphView.open.set(key, view);
        view.panel.onDidDispose(() => GraphView.open.delete(key));
        return view;
    }

    private constructor(extensionUri: vscode.Uri, private readonly client: LanguageClient, private readonly target: NetworkTarget) {
        this.panel = createPanel(extensionUri, 'convnet.graph', `Graph: ${target.network}`);
        this.panel.webview.html = pageHtml(this.panel, extensionUri, 'graph.js', `Graph of ${target.network}`);
        this.panel.webview.onDidReceiveMessage(message => this.onMessage(message), undefined, this.disposables);
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
            await this.panel.webview.postMessage({ type: 'errors', errors: result.errors });
            return;
        }
        this.graph = result.graph;
        if (!this.initialised) {
            // Large networks start with every block instance folded; small ones fully open.
            if (result.graph.nodes.length > 60) for (const m of result.graph.modules) if (m.kind === 'block') this.collapsed.add(m.name);
            this.initialised = true;
        }
        const collapsed = new Set(result.graph.modules.filter(m => this.collapsed.has(m.name)).map(m => m.index));
        const layout = await layoutGraph(result.graph, collapsed);
        this.lastSvg = renderSvg(layout, this.target.network);
        await this.panel.webview.postMessage({ type: 'graph', svg: this.lastSvg, network: this.target.network });
    }

    private async onMessage(message: { type: string; module?: number; uri?: string; line?: number; character?: number }): Promise<void> {
        if (message.type === 'ready') await this.refresh();
        else if (message.type === 'toggle' && message.module !== undefined && this.graph) {
            const name = this.graph.modules[message.module]?.name;
            if (name === undefined) return;
            if (this.collapsed.has(name)) this.collapsed.delete(name);
            else this.collapsed.add(name);
            await this.refresh();
        } else if (message.type === 'reveal' && message.uri && message.line !== undefined) {
            await revealSource(message.uri, message.line, message.character ?? 0);
        }
    }
}
