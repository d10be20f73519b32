/** ConvNet: Show Summary — a torchinfo-like table of a network that follows the file as it changes. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SummaryRequest, type SummaryResult } from '../../server/protocol.js';
import type { NetworkTarget } from '../targets.js';
import { ConvNetWebview } from '../webview.js';
import { summaryMessage } from './messages.js';
import { revealSource } from './reveal.js';
import { renderSummaryTable, type TableFormat } from '../../language/render/summary-table.js';
import { readSettings } from '../config.js';
import { resolveDeviceSetting } from '../device.js';

export class SummaryView {
    private static readonly open = new Map<string, SummaryView>();
    private readonly disposables: vscode.Disposable[] = [];
    private refreshTimer: NodeJS.Timeout | undefined;

    static show(extensionUri: vscode.Uri, client: LanguageClient, target: NetworkTarget): SummaryView {
        const key = `${target.uri}#${target.network}`;
        const existing = SummaryView.open.get(key);
        if (existing) {
            existing.view.reveal();
            return existing;
        }
        const view = new SummaryView(extensionUri, client, target);
        SummaryView.open.set(key, view);
        view.panel.onDidDispose(() => SummaryView.open.delete(key));
        return view;
    }

    readonly view: ConvNetWebview;
    /** The last summary posted to the page. */
    lastResult: SummaryResult | undefined;

    get panel(): vscode.WebviewPanel {
        return this.view.panel;
    }

    private constructor(extensionUri: vscode.Uri, private readonly client: LanguageClient, private readonly target: NetworkTarget) {
        this.view = new ConvNetWebview(extensionUri, 'summary', 'convnet.summary', `Summary: ${target.network}`, 'summary.js', `Summary of ${target.network}`);
        this.view.onMessage((message: { type: string; format?: TableFormat; line?: number }) => this.onMessage(message), this.disposables);
        // The server publishes diagnostics after every re-validation: the moment the figures are fresh.
        vscode.languages.onDidChangeDiagnostics(() => this.scheduleRefresh(), undefined, this.disposables);
        vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('convnet.training') || e.affectsConfiguration('convnet.device')) this.scheduleRefresh(); }, undefined, this.disposables);
        this.panel.onDidDispose(() => this.disposables.forEach(d => d.dispose()), undefined, this.disposables);
        void this.refresh();
    }

    private scheduleRefresh(): void {
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => void this.refresh(), 150);
    }

    async refresh(): Promise<SummaryResult> {
        const { trainingBatch, trainingOptimizer } = readSettings();
        const { device, note } = resolveDeviceSetting();
        const result = await this.client.sendRequest(SummaryRequest.method, { ...this.target, training: { batch: trainingBatch, optimizer: trainingOptimizer }, ...(device ? { device } : {}) }) as SummaryResult;
        this.lastResult = result;
        await this.view.post({ ...summaryMessage(this.target.network, result), ...(note ? { deviceNote: note } : {}) });
        return result;
    }

    private async onMessage(message: { type: string; format?: TableFormat; line?: number }): Promise<void> {
        if (message.type === 'ready') await this.refresh();
        else if (message.type === 'copy' && message.format && this.lastResult?.summary) {
            await vscode.env.clipboard.writeText(renderSummaryTable(this.lastResult.summary, message.format));
            void vscode.window.setStatusBarMessage(`ConvNet: summary copied as ${message.format}`, 2000);
        } else if (message.type === 'reveal' && message.line !== undefined) {
            await revealSource(this.target.uri, message.line, 0);
        }
    }
}
