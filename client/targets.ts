/**
 * Which network a command acts on: the one a code lens names, else the one around the cursor, else — when the
 * file has several — the one the person picks.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { NetworksRequest } from '../server/protocol.js';

export interface NetworkTarget {
    readonly uri: string;
    readonly network: string;
}

export async function resolveTarget(client: LanguageClient, uriArg?: unknown, networkArg?: unknown): Promise<NetworkTarget | undefined> {
    if (typeof uriArg === 'string' && typeof networkArg === 'string') return { uri: uriArg, network: networkArg };
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'convnet') {
        void vscode.window.showWarningMessage('Open a .convnet file first.');
        return undefined;
    }
    const uri = editor.document.uri.toString();
    const { networks } = await client.sendRequest(NetworksRequest.method, { uri }) as { networks: { name: string; line: number }[] };
    if (networks.length === 0) {
        void vscode.window.showWarningMessage('This file declares no network (network Name(input: [1, 3, 224, 224]) { … }).');
        return undefined;
    }
    if (networks.length === 1) return { uri, network: networks[0].name };
    const line = editor.selection.active.line;
    const around = [...networks].reverse().find(n => n.line <= line);
    if (around && networks.indexOf(around) === networks.length - 1) return { uri, network: around.name };
    if (around) {
        const next = networks[networks.indexOf(around) + 1];
        if (line < next.line) return { uri, network: around.name };
    }
    const picked = await vscode.window.showQuickPick(networks.map(n => n.name), { placeHolder: 'Which network?' });
    return picked ? { uri, network: picked } : undefined;
}
