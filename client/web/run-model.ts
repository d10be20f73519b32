/**
 * ConvNet: Run Model in the browser: the same choices, view and figures as client/run/run-model.ts, with the
 * files (weights, an image or tensor input) read through the workspace file system and the run in a web worker
 * on one thread. Cancelling stops the worker (a web worker busy with a run reads no message).
 */
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { readSettings } from '../config.js';
import { resolveTarget } from '../targets.js';
import { RunView } from '../views/run-view.js';
import { showError, showWarning } from '../notify.js';
import type { FromWorker, InputChoice } from '../run/messages.js';
import type { RunModelOptions } from '../run/run-model.js';
import type { StartWebRun } from './run-messages.js';
import { readWorkspaceFile } from './workspace-files.js';
import { workerScriptUrl } from './worker-url.js';
import { optionUri } from './option-uri.js';

/** A web worker, as far as this file uses it (the DOM library is not in tsconfig). */
interface WebWorker {
    postMessage(message: unknown): void;
    terminate(): void;
    onmessage: ((event: { data: FromWorker }) => void) | null;
    onerror: ((event: { message?: string; preventDefault(): void }) => void) | null;
}
declare const Worker: new (url: string) => WebWorker;

const INPUT_FILES = { 'Images and tensors': ['png', 'jpg', 'jpeg', 'safetensors', 'npy'] };

async function chooseInput(graph: NetworkGraph, seed: number): Promise<vscode.Uri | 'random' | undefined> {
    const shapes = graph.inputs.map(p => `${p.name} ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const picked = await vscode.window.showQuickPick([
        { label: `Seeded random (seed ${seed})`, description: shapes, browse: false },
        { label: 'Choose a file…', description: 'PNG/JPEG image (resized to the input), .safetensors or .npy tensor', browse: true },
    ], { placeHolder: `Input for ${shapes}` });
    if (!picked) return undefined;
    if (!picked.browse) return 'random';
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: INPUT_FILES, openLabel: 'Use as input', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    return files?.[0];
}

async function chooseWeights(seed: number): Promise<{ weights?: vscode.Uri } | undefined> {
    const picked = await vscode.window.showQuickPick([
        { label: `Seeded initialisation (seed ${seed})`, description: 'Kaiming-uniform, deterministic', browse: false },
        { label: 'Weights file…', description: 'a PyTorch state_dict saved as .safetensors', browse: true },
    ], { placeHolder: 'Weights' });
    if (!picked) return undefined;
    if (!picked.browse) return {};
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Safetensors: ['safetensors'] }, openLabel: 'Load weights', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    return files?.[0] ? { weights: files[0] } : undefined;
}

let latestRun: RunView | undefined;

export function lastWebRunView(): RunView | undefined {
    return latestRun;
}

export async function runModelInBrowser(context: vscode.ExtensionContext, client: BaseLanguageClient, uriArg?: unknown, networkArg?: unknown, options: RunModelOptions = {}): Promise<RunView | undefined> {
    if (!vscode.workspace.isTrusted) {
        void showWarning('ConvNet: running a model is disabled in an untrusted workspace (it reads the files you choose and runs the network on them). Shapes, costs and diagnostics stay on; trust the workspace to run.');
        return undefined;
    }
    const target = await resolveTarget(client as never, uriArg, networkArg);
    if (!target) return undefined;
    const result = await client.sendRequest(GraphRequest.method, target) as GraphResult;
    if (!result.graph) {
        void showError(`ConvNet: ${target.network} cannot run — ${result.errors.slice(0, 3).join('; ')}${result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : ''}`);
        return undefined;
    }
    const graph = result.graph;
    const settings = readSettings();
    const seed = typeof options.seed === 'number' && Number.isInteger(options.seed) && options.seed >= 0 ? options.seed : settings.defaultSeed;
    const optionInput = options.input;
    const input = optionInput === undefined ? await chooseInput(graph, seed)
        : typeof optionInput !== 'string' ? (optionInput.kind === 'random' ? 'random' : optionUri(optionInput.path))
            : optionInput === 'seeded' || optionInput === 'random' ? 'random' : optionUri(optionInput);
    if (!input) return undefined;
    const weights = options.weights === undefined
        ? (optionInput !== undefined ? {} : await chooseWeights(seed))
        : options.weights === null || options.weights === 'seeded' ? {} : { weights: optionUri(options.weights) };
    if (!weights) return undefined;

    // The files first: one that cannot be read is said before a view opens.
    const files: StartWebRun['files'] = [];
    let inputChoice: InputChoice = { kind: 'random' };
    try {
        if (weights.weights) files.push({ name: weights.weights.toString(), bytes: await readWorkspaceFile(weights.weights, 'weights', 'the weights') });
        if (input !== 'random') {
            const kind = /\.(png|jpe?g)$/i.test(input.path) ? 'image' : 'input';
            files.push({ name: input.toString(), bytes: await readWorkspaceFile(input, kind, 'the input') });
            inputChoice = { kind: 'file', path: input.toString() };
        }
    } catch (e) {
        void showError(`ConvNet: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
    }

    const worker = new Worker(await workerScriptUrl(context.extensionUri, 'out', 'web', 'run-worker.js'));
    const key = `${target.uri}#${target.network}`;
    const view = latestRun && latestRun.network === target.network && !latestRun.pinned && !latestRun.view.isDisposed && latestRunKey === key ? latestRun : new RunView(context.extensionUri, target.network);
    latestRunKey = key;
    view.restart(worker);
    latestRun = view;
    let finished = false;
    const start: StartWebRun = {
        type: 'start', graph, input: inputChoice, weights: weights.weights?.toString(), seed,
        imagenetNormalization: settings.imagenetNormalization, memoryBudget: settings.memoryBudgetBytes, files,
    };
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Running ${target.network}`, cancellable: true }, (progress, token) =>
        new Promise<void>(resolve => {
            const end = () => {
                finished = true;
                resolve();
            };
            token.onCancellationRequested(() => {
                if (finished) return;
                worker.terminate();
                view.showCancelled('the run was cancelled');
                end();
            });
            let reported = 0;
            worker.onmessage = ({ data: message }) => {
                if (message.type === 'layer') {
                    view.showLayer(message.node, message.shape, message.data);
                    return;
                }
                if (message.type === 'progress') {
                    const percent = (100 * (message.done + 1)) / message.total;
                    progress.report({ increment: percent - reported, message: `layer ${message.done + 1} of ${message.total}: ${message.layer}` });
                    reported = percent;
                    view.showProgress(message.done, message.total, message.layer);
                    return;
                }
                if (finished) {
                    if (message.type === 'error') view.showError(message.message);
                    return;
                }
                if (message.type === 'done') view.showResult(message, graph);
                else if (message.type === 'cancelled') view.showCancelled(message.message);
                else {
                    view.showError(message.message);
                    void showError(`ConvNet: ${message.message}${message.memoryBudget ? ` (setting convnet.memoryBudget: ${settings.memoryBudgetText})` : ''}`);
                }
                end();
            };
            worker.onerror = event => {
                event.preventDefault();
                if (finished) return;
                const message = event.message || 'the run worker could not start';
                view.showError(message);
                void showError(`ConvNet: the run stopped: ${message}`);
                end();
            };
            worker.postMessage(start);
        }));
    return view;
}

let latestRunKey: string | undefined;
