/**
 * The ConvNet extension in the browser (vscode.dev, github.dev, a code server's web extension host): the language
 * server runs in a web worker (out/web/server.js, server/browser.ts) and reads the workspace's files through this
 * extension (./workspace-files.ts); Summary and Graph are the desktop's views; Run Model runs in a web worker on
 * one thread (./run-model.ts); exports write through the workspace file system (./export.ts). Compare with… reads
 * two designs with Node and says so.
 */
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/browser';
import type { LanguageClientOptions } from 'vscode-languageclient';
import { Commands } from '../../server/protocol.js';
import { commandArgs, resolveTarget } from '../targets.js';
import { SummaryView } from '../views/summary-view.js';
import { GraphView } from '../views/graph-view.js';
import type { RunView } from '../views/run-view.js';
import type { RunModelOptions } from '../run/run-model.js';
import { extensionLog } from '../log.js';
import { NetworkStatus } from '../status-bar.js';
import { showError, showWarning, shownNotices, type Notice } from '../notify.js';
import { ConvNetWebview, type ViewKind } from '../webview.js';
import { lastWebRunView, runModelInBrowser } from './run-model.js';
import { serveWorkspaceFiles } from './workspace-files.js';
import { openExampleInBrowser } from './examples.js';
import { workerScriptUrl } from './worker-url.js';
import { followDeviceSetting } from '../device.js';
import { exportInBrowser } from './export.js';
import { lastExport, type ExportFormat, type ExportOptions, type ExportOutcome } from '../export/export-flow.js';

/** A web worker, as far as this file uses it (the DOM library is not in tsconfig). */
declare const Worker: new (url: string) => unknown;

/** Said by the commands that need the desktop editor. */
export const DESKTOP_ONLY: Record<string, string> = {
    'convnet.compareWith': 'ConvNet: Compare with… runs in the desktop editor only for now (or run `convnet diff A.convnet B.convnet` in a terminal).',
};

let client: LanguageClient | undefined;
let status: NetworkStatus | undefined;
let startFailure: string | undefined;

/** What tests inside the editor can reach: the desktop API's parts that exist in the browser. */
export interface ConvNetWebApi {
    readonly platform: 'browser';
    readonly client: () => LanguageClient | undefined;
    readonly status: () => NetworkStatus | undefined;
    readonly view: (kind: ViewKind) => ConvNetWebview | undefined;
    readonly lastRun: () => RunView | undefined;
    readonly notices: () => readonly Notice[];
    readonly lastGraph: () => GraphView | undefined;
    /** The latest export's outcome. */
    readonly lastExport: () => ExportOutcome | undefined;
}

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

export async function activate(context: vscode.ExtensionContext): Promise<ConvNetWebApi> {
    const exportCommand = (format: ExportFormat) => withClient(async (c, ...args) => {
        const { uri, network, options } = commandArgs<ExportOptions>(args);
        return exportInBrowser(c, format, uri, network, options);
    });
    context.subscriptions.push(
        vscode.commands.registerCommand(Commands.runModel, withClient(async (c, ...args) => {
            const { uri, network, options } = commandArgs<RunModelOptions>(args);
            return runModelInBrowser(context, c, uri, network, options);
        })),
        vscode.commands.registerCommand(Commands.showSummary, withClient(async (c, ...args) => {
            const { uri, network } = commandArgs(args);
            const target = await resolveTarget(c as never, uri, network);
            return target && SummaryView.show(context.extensionUri, c as never, target);
        })),
        vscode.commands.registerCommand(Commands.showGraph, withClient(async (c, ...args) => {
            const { uri, network } = commandArgs(args);
            const target = await resolveTarget(c as never, uri, network);
            return target && GraphView.show(context.extensionUri, c as never, target, context.workspaceState);
        })),
        vscode.commands.registerCommand('convnet.exportOnnx', exportCommand('onnx')),
        vscode.commands.registerCommand('convnet.exportPyTorch', exportCommand('pytorch')),
        vscode.commands.registerCommand('convnet.exportTrainingScript', exportCommand('train')),
        vscode.commands.registerCommand('convnet.openExample', (name?: unknown) => openExampleInBrowser(context, name)),
        vscode.commands.registerCommand(Commands.quickFixApplied, () => undefined),
        ...Object.entries(DESKTOP_ONLY).map(([command, message]) => vscode.commands.registerCommand(command, () => {
            void showWarning(message);
            return undefined;
        })),
    );
    try {
        const clientOptions: LanguageClientOptions = {
            // Any scheme: in the browser every workspace file is on a virtual file system (vscode-remote, vscode-vfs …).
            documentSelector: [{ language: 'convnet' }],
            synchronize: { configurationSection: 'convnet' },
            outputChannel: extensionLog(),
            traceOutputChannel: extensionLog(),
        };
        const worker = new Worker(await workerScriptUrl(context.extensionUri, 'out', 'web', 'server.js'));
        client = new LanguageClient('convnet', 'ConvNet', worker as never, clientOptions);
        serveWorkspaceFiles(client);
        await client.start();
        status = new NetworkStatus(client as never);
        context.subscriptions.push(status);
        // The roofline's device for hovers: a shipped profile (this machine's calibration is a desktop file).
        followDeviceSetting(client as never, context.subscriptions);
    } catch (e) {
        startFailure = e instanceof Error ? e.message : String(e);
        void showError(`ConvNet: the language server did not start: ${startFailure}`);
    }
    return {
        platform: 'browser',
        client: () => client,
        status: () => status,
        view: kind => ConvNetWebview.latestOf(kind),
        lastRun: lastWebRunView,
        notices: shownNotices,
        lastGraph: () => GraphView.latestView(),
        lastExport,
    };
}

export async function deactivate(): Promise<void> {
    await client?.stop();
}
