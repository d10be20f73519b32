/** ConvNet: Show Graph — the network laid out with elkjs, blocks collapsible, coloured by MACs, following edits. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import { layoutGraph, renderSvg } from '../../language/render/graph-layout.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { NetworkTarget } from '../targets.js';
import { ConvNetWebview } from '../webview.js';
import { foldedIndices, graphMessage, initiallyFolded } from './messages.js';
import { revealSource } from './reveal.js';

export class GraphView {
    private static readonly open = new Map<string, GraphView>();
    private readonly disposables: vscode.Disposable[] = [];
    /** Collapsed modules by name, so the choice survives edits that renumber modules. */
    private readonly collapsed = new Set<string>();
    private initialised = false;
    private graph: NetworkGraph | undefined;
    private refreshTimer: NodeJS.Timeout | undefined;
    readonly view: ConvNetWebview;
    lastSvg: string | undefined;

    get panel(): vscode.WebviewPanel {
        return this.view.panel;
    }

    static show(extensionUri: vscode.Uri, client: LanguageClient, target: NetworkTarget): GraphView {
        const key = `${target.uri}#${target.network}`;
        const existing = GraphView.open.get(key);
        if (existing) {
            existing.view.reveal();
            return existing;
        }
        const view = new GraphView(extensionUri, client, target);
        GraphView.open.set(key, view);
        view.panel.onDidDispose(() => GraphView.open.delete(key));
        return view;
    }

    private constructor(extensionUri: vscode.Uri, private readonly client: LanguageClient, private readonly target: NetworkTarget) {
        this.view = new ConvNetWebview(extensionUri, 'graph', 'convnet.graph', `Graph: ${target.network}`, 'graph.js', `Graph of ${target.network}`);
        this.view.onMessage((message: { type: string; module?: number; uri?: string; line?: number; character?: number }) => this.onMessage(message), this.disposables);
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
            // Large networks start with every block instance folded; small ones fully open.
            for (const name of initiallyFolded(result.graph)) this.collapsed.add(name);
            this.initialised = true;
        }
        const layout = await layoutGraph(result.graph, foldedIndices(result.graph, this.collapsed));
        this.lastSvg = renderSvg(layout, this.target.network);
        await this.view.post(graphMessage(this.target.network, result.graph, this.lastSvg, layout.boxes.filter(b => b.collapsed).length));
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
