/**
 * The ConvNet extension: starts the language server, registers the commands (always — with a clear message
 * while the server is not running), the status bar and the views.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { Commands } from '../server/protocol.js';
import { commandArgs, resolveTarget } from './targets.js';
import { SummaryView } from './views/summary-view.js';
import { GraphView } from './views/graph-view.js';
import type { RunView } from './views/run-view.js';
import { lastRunView, runModel, type RunModelOptions } from './run/run-model.js';
import { RunMemory } from './run/run-memory.js';
import { extensionLog } from './log.js';
import { openExample } from './examples.js';
import { exportNetwork, lastExport, type ExportFormat, type ExportOptions, type ExportOutcome } from './export/export-command.js';
import { NetworkStatus } from './status-bar.js';
import { showError, shownNotices, type Notice } from './notify.js';
import { ConvNetWebview, type ViewKind } from './webview.js';
import { COMPARE_COMMAND, compareWith, type CompareOptions } from './compare/compare-view.js';
import { followDeviceSetting } from './device.js';

/** Commands the extension adds besides the code lenses' (server/protocol.ts). */
export const ExtensionCommands = {
    exportOnnx: 'convnet.exportOnnx',
    exportPyTorch: 'convnet.exportPyTorch',
    exportTrainingScript: 'convnet.exportTrainingScript',
    openExample: 'convnet.openExample',
} as const;

let quickFixesApplied = 0;

let client: LanguageClient | undefined;
let startFailure: string | undefined;

/** What tests inside the editor (and other extensions) can reach. */
export interface ConvNetApi {
    readonly client: () => LanguageClient | undefined;
    readonly status: () => NetworkStatus | undefined;
    /** The latest open view of a kind: its panel and the messages exchanged with its page. */
    readonly view: (kind: ViewKind) => ConvNetWebview | undefined;
    /** The latest Run Model: its view and how it ended (undefined while it runs). */
    readonly lastRun: () => RunView | undefined;
    /** The latest export's outcome. */
    readonly lastExport: () => ExportOutcome | undefined;
    /** Notifications the extension has shown, oldest first. */
    readonly notices: () => readonly Notice[];
    /** The latest graph view (its folding and its Save as SVG/PNG). */
    readonly lastGraph: () => GraphView | undefined;
    /** Quick fixes applied since the extension started (each runs convnet.quickFixApplied after its edit). */
    readonly quickFixesApplied: () => number;
    /** Where Run Model's file pickers start, and the weights it last used for a network of a document. */
    readonly runMemory: (uri: string, network: string) => { folder?: string; weights?: string };
}

let status: NetworkStatus | undefined;

function startClient(context: vscode.ExtensionContext): LanguageClient {
    const serverModule = context.asAbsolutePath(path.join('out', 'server.cjs'));
    // Node (22.1 and later) keeps the server bundle's compiled code here, so that later starts skip compiling it.
    const env = { ...process.env, NODE_COMPILE_CACHE: path.join(context.globalStorageUri.fsPath, 'compile-cache') };
    const serverOptions: ServerOptions = {
        run: { module: serverModule, transport: TransportKind.ipc, options: { env } },
        debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
        // Files on disk and new, unsaved ones; other schemes (git diffs, remote file systems the server cannot
        // read) are left alone.
        documentSelector: [{ scheme: 'file', language: 'convnet' }, { scheme: 'untitled', language: 'convnet' }],
        synchronize: { configurationSection: 'convnet' },
        // One log for the client and the server (Output ▸ ConvNet), with the level the user sets there; the
        // protocol's messages go to it too when the setting convnet.trace.server asks for them.
        outputChannel: extensionLog(),
        traceOutputChannel: extensionLog(),
    };
    return new LanguageClient('convnet', 'ConvNet', serverOptions, clientOptions);
}

/** Runs a command with the language client, or explains why it cannot. */
function withClient(action: (client: LanguageClient, ...args: unknown[]) => Promise<unknown>) {
    return async (...args: unknown[]) => {
        if (!client?.isRunning()) {
            void showError(`ConvNet: the language server is not running${startFailure ? ` (${startFailure})` : ''}. Reload the window to restart it.`);
            return undefined;
        }
        try {
            return await action(client, ...args);
        } catch (e) {
            void showError(`ConvNet: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
        }
    };
}

export async function activate(context: vscode.ExtensionContext): Promise<ConvNetApi> {
    const exportCommand = (format: ExportFormat) => withClient((c, ...args) => {
        const { uri, network, options } = commandArgs<ExportOptions>(args);
        return exportNetwork(context, c, format, uri, network, options);
    });
    context.subscriptions.push(
        // Arguments: none (palette), the file (editor title), (uri, network[, options]) from a code lens, or
        // { uri, network, input: 'seeded', seed } — see RunModelOptions.
        vscode.commands.registerCommand(Commands.runModel, withClient(async (c, ...args) => {
            const { uri, network, options } = commandArgs<RunModelOptions>(args);
            return runModel(context, c, uri, network, options);
        })),
        vscode.commands.registerCommand(Commands.showSummary, withClient(async (c, ...args) => {
            const { uri, network } = commandArgs(args);
            const target = await resolveTarget(c, uri, network);
            return target && SummaryView.show(context.extensionUri, c, target);
        })),
        vscode.commands.registerCommand(Commands.showGraph, withClient(async (c, ...args) => {
            const { uri, network } = commandArgs(args);
            const target = await resolveTarget(c, uri, network);
            return target && GraphView.show(context.extensionUri, c, target, context.workspaceState);
        })),
        vscode.commands.registerCommand(ExtensionCommands.exportOnnx, exportCommand('onnx')),
        vscode.commands.registerCommand(ExtensionCommands.openExample, (name?: unknown) => openExample(context, name)),
        // Carried by every quick fix; it exists to mark the walkthrough's step done.
        vscode.commands.registerCommand(Commands.quickFixApplied, () => { quickFixesApplied++; }),
        vscode.commands.registerCommand(ExtensionCommands.exportPyTorch, exportCommand('pytorch')),
        vscode.commands.registerCommand(ExtensionCommands.exportTrainingScript, exportCommand('train')),
        // Arguments as Run Model's; options { against: 'git' | 'network' | a .convnet path, rev, otherNetwork }.
        vscode.commands.registerCommand(COMPARE_COMMAND, withClient(async (c, ...args) => {
            const { uri, network, options } = commandArgs<CompareOptions>(args);
            return compareWith(context, c, uri, network, options);
        })),
    );
    try {
        client = startClient(context);
        await client.start();
        followDeviceSetting(client, context.subscriptions);
        status = new NetworkStatus(client);
        context.subscriptions.push(status);
    } catch (e) {
        startFailure = e instanceof Error ? e.message : String(e);
        void showError(`ConvNet: the language server did not start: ${startFailure}`);
    }
    return {
        client: () => client,
        status: () => status,
        view: kind => ConvNetWebview.latestOf(kind),
        lastRun: lastRunView,
        lastExport,
        notices: shownNotices,
        quickFixesApplied: () => quickFixesApplied,
        lastGraph: () => GraphView.latestView(),
        runMemory: (uri, network) => {
            const memory = new RunMemory(context.workspaceState);
            return { folder: memory.folder?.fsPath, weights: memory.weightsOf(`${uri}#${network}`) };
        },
    };
}

export async function deactivate(): Promise<void> {
    await client?.stop();
}
