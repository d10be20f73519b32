/** Status bar: params · MACs of the network under the cursor, refreshed as the cursor moves or the file changes. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { NetworksRequest, SummaryRequest, type SummaryResult } from '../server/protocol.js';
import { Commands } from '../server/protocol.js';
import { humanCount } from '../language/util/format.js';

export class NetworkStatus implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    private readonly disposables: vscode.Disposable[] = [this.item];
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly client: LanguageClient) {
        this.item.command = Commands.showSummary;
        const schedule = () => {
            clearTimeout(this.timer);
            this.timer = setTimeout(() => void this.update(), 250);
        };
        vscode.window.onDidChangeActiveTextEditor(schedule, undefined, this.disposables);
        vscode.window.onDidChangeTextEditorSelection(schedule, undefined, this.disposables);
        vscode.languages.onDidChangeDiagnostics(schedule, undefined, this.disposables);
        schedule();
    }

    /** The text shown (tests read it). */
    get text(): string {
        return this.item.text;
    }

    async update(): Promise<void> {
        const editor = vscode.window.activeTextEditor;
        if (!editor || editor.document.languageId !== 'convnet') {
            this.item.hide();
            return;
        }
        const uri = editor.document.uri.toString();
        const position = { line: editor.selection.active.line, character: editor.selection.active.character };
        const { networks } = await this.client.sendRequest(NetworksRequest.method, { uri }) as { networks: { name: string }[] };
        if (networks.length === 0) {
            this.item.hide();
            return;
        }
        const result = await this.client.sendRequest(SummaryRequest.method, { uri, position }) as SummaryResult;
        if (!result.summary) {
            this.item.text = '$(error) ConvNet: errors';
            this.item.tooltip = result.errors.slice(0, 5).join('\n');
        } else {
            const s = result.summary;
            this.item.text = `$(circuit-board) ${humanCount(s.params)} params · ${humanCount(s.macs)} MACs`;
            this.item.tooltip = `${s.name}: ${s.params.toLocaleString('en-US')} parameters, ${s.macs.toLocaleString('en-US')} MACs\n${s.conventions.macs}\nClick for the summary.`;
        }
        this.item.show();
    }

    dispose(): void {
        clearTimeout(this.timer);
        this.disposables.forEach(d => d.dispose());
    }
}
