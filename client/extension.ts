/**
 * The ConvNet extension: starts the language server, registers the commands (always — with a clear message
 * while the server is not running), the status bar and the views.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { Commands } from '../server/protocol.js';
import { resolveTarget } from './targets.js';
import { SummaryView } from './views/summary-view.js';
import { GraphView } from './views/graph-view.js';
import { runModel, type RunModelOptions } from './run/run-model.js';
import { NetworkStatus } from './status-bar.js';

let client: LanguageClient | undefined;
let startFailure: string | undefined;

/** What tests inside the editor can reach. */
export interface ConvNetApi {
    readonly client: () => LanguageClient | undefined;
    readonly status: () => NetworkStatus | undefined;
}

let status: NetworkStatus | undefined;

function startClient(context: vscode.ExtensionContext): LanguageClient {
    const serverModule = context.asAbsolutePath(path.join('out', 'server.cjs'));
    const serverOptions: ServerOptions = {
        run: { module: serverModule, transport: TransportKind.ipc },
        debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [{ language: 'convnet' }],
        synchronize: { configurationSection: 'convnet' },
    };
    return new LanguageClient('convnet', 'ConvNet', serverOptions, clientOptions);
}

/** Runs a command with the language client, or explains why it cannot. */
function withClient<A extends unknown[]>(action: (client: LanguageClient, ...args: A) => Promise<unknown>) {
    return async (...args: A) => {
        if (!client?.isRunning()) {
            void vscode.window.showErrorMessage(`ConvNet: the language server is not running${startFailure ? ` (${startFailure})` : ''}. Reload the window to restart it.`);
            return undefined;
        }
        try {
            return await action(client, ...args);
        } catch (e) {
            void vscode.window.showErrorMessage(`ConvNet: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
        }
    };
}

export async function activate(context: vscode.ExtensionContext): Promise<ConvNetApi> {
    context.subscriptions.push(
        vscode.commands.registerCommand(Commands.runModel, withClient((c, uri?: unknown, network?: unknown, options?: RunModelOptions) => runModel(context, c, uri, network, options))),
        vscode.commands.registerCommand(Commands.showSummary, withClient(async (c, uri?: unknown, network?: unknown) => {
            const target = await resolveTarget(c, uri, network);
            return target && SummaryView.show(context.extensionUri, c, target);
        })),
        vscode.commands.registerCommand(Commands.showGraph, withClient(async (c, uri?: unknown, network?: unknown) => {
            const target = await resolveTarget(c, uri, network);
            return target && GraphView.show(context.extensionUri, c, target);
        })),
    );
    try {
        client = startClient(context);
        await client.start();
        status = new NetworkStatus(client);
        context.subscriptions.push(status);
    } catch (e) {
        startFailure = e instanceof Error ? e.message : String(e);
        void vscode.window.showErrorMessage(`ConvNet: the language server did not start: ${startFailure}`);
    }
    return { client: () => client, status: () => status };
}

export async function deactivate(): Promise<void> {
    await client?.stop();
}
