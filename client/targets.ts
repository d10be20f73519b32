/**
 * Which network a command acts on: the one a code lens or the command's argument names, else the one around the
 * cursor, else — when the file has several — the one the person picks.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { NetworksRequest } from '../server/protocol.js';
import { showWarning } from './notify.js';

export interface NetworkTarget {
    readonly uri: string;
    readonly network: string;
}

/** What a command was given, whichever way it was started. */
export interface CommandArgs<O> {
    readonly uri?: string;
    readonly network?: string;
    readonly options: Partial<O>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value);

const uriString = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : value instanceof vscode.Uri ? value.toString() : undefined;

/**
 * Reads a command's arguments: none (command palette), the file's URI (editor title menu), `(uri, network[,
 * options])` (code lenses), or one object `{ uri, network, …options }` (tests, keybindings, other extensions).
 */
export function commandArgs<O>(args: readonly unknown[]): CommandArgs<O> {
    const [first, second, third] = args;
    if (isPlainObject(first)) {
        const { uri, network, ...options } = first;
        return { uri: uriString(uri), network: typeof network === 'string' ? network : undefined, options: options as Partial<O> };
    }
    return {
        uri: uriString(first),
        network: typeof second === 'string' ? second : undefined,
        options: (isPlainObject(third) ? third : {}) as Partial<O>,
    };
}

export async function resolveTarget(client: LanguageClient, uriArg?: unknown, networkArg?: unknown): Promise<NetworkTarget | undefined> {
    const givenUri = uriString(uriArg);
    const givenNetwork = typeof networkArg === 'string' ? networkArg : undefined;
    if (givenUri && givenNetwork) return { uri: givenUri, network: givenNetwork };
    const editor = vscode.window.activeTextEditor;
    const editorUri = editor?.document.languageId === 'convnet' ? editor.document.uri.toString() : undefined;
    const uri = givenUri ?? editorUri;
    if (!uri) {
        void showWarning('Open a .convnet file first.');
        return undefined;
    }
    const { networks } = await client.sendRequest(NetworksRequest.method, { uri }) as { networks: { name: string; line: number }[] };
    if (networks.length === 0) {
        void showWarning('This file declares no network (network Name(input: [1, 3, 224, 224]) { … }).');
        return undefined;
    }
    if (givenNetwork) {
        if (networks.some(n => n.name === givenNetwork)) return { uri, network: givenNetwork };
        void showWarning(`This file has no network named '${givenNetwork}' (it has ${networks.map(n => n.name).join(', ')}).`);
        return undefined;
    }
    if (networks.length === 1) return { uri, network: networks[0].name };
    if (editor && uri === editorUri) {
        // The network around the cursor.
        const line = editor.selection.active.line;
        const around = [...networks].reverse().find(n => n.line <= line);
        if (around) return { uri, network: around.name };
    }
    const picked = await vscode.window.showQuickPick(networks.map(n => n.name), { placeHolder: 'Which network?' });
    return picked ? { uri, network: picked } : undefined;
}
