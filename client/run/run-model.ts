/**
 * ConvNet: Run Model. Picks the network, the input and the weights, runs in a worker thread with a cancellable
 * progress notification, and opens the result view; the worker stays to draw any layer's feature maps.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { readSettings } from '../config.js';
import { resolveTarget } from '../targets.js';
import { RunView } from '../views/run-view.js';
import type { FromWorker, InputChoice, StartRun } from './messages.js';

const INPUT_FILES = { 'Images and tensors': ['png', 'jpg', 'jpeg', 'safetensors', 'npy'] };

async function chooseInput(graph: NetworkGraph, seed: number, defaultImage: string): Promise<InputChoice | undefined> {
    const shapes = graph.inputs.map(p => `${p.name} ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const items: (vscode.QuickPickItem & { choice?: InputChoice; browse?: boolean })[] = [
        { label: `Seeded random (seed ${seed})`, description: shapes, choice: { kind: 'random' } },
        ...(defaultImage ? [{ label: path.basename(defaultImage), description: 'default input image (setting convnet.defaultInputImage)', choice: { kind: 'file' as const, path: defaultImage } }] : []),
        { label: 'Choose a file…', description: 'PNG/JPEG image (resized to the input), .safetensors or .npy tensor', browse: true },
    ];
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `Input for ${shapes}` });
    if (!picked) return undefined;
    if (!picked.browse) return picked.choice;
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: INPUT_FILES, openLabel: 'Use as input' });
    return files?.[0] ? { kind: 'file', path: files[0].fsPath } : undefined;
}

async function chooseWeights(seed: number): Promise<{ weights?: string } | undefined> {
    const picked = await vscode.window.showQuickPick(
        [{ label: `Seeded initialisation (seed ${seed})`, description: 'Kaiming-uniform, deterministic', file: false }, { label: 'Weights file…', description: 'a PyTorch state_dict saved as .safetensors', file: true }],
        { placeHolder: 'Weights' },
    );
    if (!picked) return undefined;
    if (!picked.file) return {};
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Safetensors: ['safetensors'] }, openLabel: 'Load weights' });
    return files?.[0] ? { weights: files[0].fsPath } : undefined;
}

/** Options a test (or a code lens) may pass to skip the pickers. */
export interface RunModelOptions {
    readonly input?: InputChoice;
    readonly weights?: string | null;
}

export async function runModel(context: vscode.ExtensionContext, client: LanguageClient, uriArg?: unknown, networkArg?: unknown, options: RunModelOptions = {}): Promise<RunView | undefined> {
    if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('ConvNet: running a model is disabled in an untrusted workspace (it reads the files you choose and runs the network on them). Shapes, costs and diagnostics stay on; trust the workspace to run.');
        return undefined;
    }
    const target = await resolveTarget(client, uriArg, networkArg);
    if (!target) return undefined;
    const result = await client.sendRequest(GraphRequest.method, target) as GraphResult;
    if (!result.graph) {
        void vscode.window.showErrorMessage(`ConvNet: ${target.network} cannot run — ${result.errors.slice(0, 3).join('; ')}${result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : ''}`);
        return undefined;
    }
    const graph = result.graph;
    const settings = readSettings();
    const input = options.input ?? await chooseInput(graph, settings.defaultSeed, settings.defaultInputImage);
    if (!input) return undefined;
    const weights = options.weights !== undefined ? { weights: options.weights ?? undefined } : await chooseWeights(settings.defaultSeed);
    if (!weights) return undefined;

    const worker = new Worker(context.asAbsolutePath(path.join('out', 'run-worker.cjs')));
    const cancelFlag = new SharedArrayBuffer(4);
    const view = new RunView(context.extensionUri, target.network, node => worker.postMessage({ type: 'capture', node }));
    view.panel.onDidDispose(() => void worker.terminate());
    worker.on('message', (message: FromWorker) => {
        if (message.type === 'layer') view.showLayer(message.node, message.shape, message.data);
        else if (message.type === 'error' && finished) view.showError(message.message);
    });
    let finished = false;
    const start: StartRun = { type: 'start', graph, input, weights: weights.weights, seed: settings.defaultSeed, imagenetNormalization: settings.imagenetNormalization, memoryBudget: settings.memoryBudgetBytes, cancelFlag };
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Running ${target.network}`, cancellable: true }, (progress, token) =>
        new Promise<void>(resolve => {
            token.onCancellationRequested(() => Atomics.store(new Int32Array(cancelFlag), 0, 1));
            let reported = 0;
            const listener = (message: FromWorker) => {
                if (message.type === 'progress') {
                    const percent = (100 * (message.done + 1)) / message.total;
                    progress.report({ increment: percent - reported, message: `layer ${message.done + 1} of ${message.total}: ${message.layer}` });
                    reported = percent;
                    view.showProgress(message.done, message.total, message.layer);
                    return;
                }
                if (message.type === 'layer') return;
                finished = true;
                worker.off('message', listener);
                if (message.type === 'done') view.showResult(message, graph);
                else {
                    view.showError(message.message);
                    if (message.type === 'error') void vscode.window.showErrorMessage(`ConvNet: ${message.message}`);
                }
                resolve();
            };
            worker.on('message', listener);
            worker.on('error', e => {
                finished = true;
                view.showError(e.message);
                resolve();
            });
            worker.postMessage(start);
        }));
    return view;
}
