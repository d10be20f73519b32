/** ConvNet: Show Summary — a torchinfo-like table of a network that follows the file as it changes. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SummaryRequest, type SummaryParams, type SummaryResult } from '../../server/protocol.js';
import { CONVENTIONS, type ConventionName } from '../../language/analysis/conventions.js';
import { INFERENCE_PRECISIONS, type InferencePrecision } from '../../language/analysis/precision.js';
import type { NetworkTarget } from '../targets.js';
import { ConvNetWebview } from '../webview.js';
import { summaryMessage } from './messages.js';
import { revealSource } from './reveal.js';
import { renderSummaryTable, type TableFormat } from '../../language/render/summary-table.js';
import { readSettings } from '../config.js';
import { resolveDeviceSetting } from '../device.js';

/** What the page (client/media/summary.js) sends. */
type SummaryPageMessage =
    | { type: 'ready' }
    | { type: 'copy'; format?: TableFormat }
    | { type: 'reveal'; line?: number }
    /** A selector changed: the settings convnet.convention and convnet.precision. */
    | { type: 'figures'; convention?: ConventionName; precision?: InferencePrecision };

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
        this.view.onMessage((message: SummaryPageMessage) => this.onMessage(message), this.disposables);
        // The server publishes diagnostics after every re-validation: the moment the figures are fresh.
        vscode.languages.onDidChangeDiagnostics(() => this.scheduleRefresh(), undefined, this.disposables);
        vscode.workspace.onDidChangeConfiguration(e => {
            if (['convnet.training', 'convnet.device', 'convnet.convention', 'convnet.precision'].some(key => e.affectsConfiguration(key))) this.scheduleRefresh();
        }, undefined, this.disposables);
        this.panel.onDidDispose(() => this.disposables.forEach(d => d.dispose()), undefined, this.disposables);
        void this.refresh();
    }

    private scheduleRefresh(): void {
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => void this.refresh(), 150);
    }

    async refresh(): Promise<SummaryResult> {
        const { trainingBatch, trainingOptimizer, convention, precision } = readSettings();
        const { device, note } = resolveDeviceSetting();
        const params: SummaryParams = { ...this.target, training: { batch: trainingBatch, optimizer: trainingOptimizer }, ...(device ? { device } : {}), figures: { convention, precision } };
        const result = await this.client.sendRequest(SummaryRequest.method, params) as SummaryResult;
        this.lastResult = result;
        await this.view.post({ ...summaryMessage(this.target.network, result), ...(note ? { deviceNote: note } : {}) });
        return result;
    }

    private async onMessage(message: SummaryPageMessage): Promise<void> {
        if (message.type === 'ready') await this.refresh();
        else if (message.type === 'figures') {
            // Remembered as settings, in the workspace when there is one: the next Summary opens with them, and the
            // change refreshes every open Summary view (onDidChangeConfiguration).
            const config = vscode.workspace.getConfiguration('convnet');
            const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
            if (CONVENTIONS.includes(message.convention!)) await config.update('convention', message.convention, target);
            if (INFERENCE_PRECISIONS.includes(message.precision!)) await config.update('precision', message.precision, target);
        } else if (message.type === 'copy' && message.format && this.lastResult?.summary) {
            await vscode.env.clipboard.writeText(renderSummaryTable(this.lastResult.summary, message.format, this.lastResult.figures));
            void vscode.window.setStatusBarMessage(`ConvNet: summary copied as ${message.format}`, 2000);
        } else if (message.type === 'reveal' && message.line !== undefined) {
            await revealSource(this.target.uri, message.line, 0);
        }
    }
}
