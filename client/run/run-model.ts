/**
 * ConvNet: Run Model. Picks the network, the input and the weights, runs in a worker thread with a cancellable
 * progress notification, and shows the result in the network's Run view (one per network, updated in place unless
 * pinned); the worker stays to draw any layer's feature maps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { readSettings } from '../config.js';
import { resolveTarget } from '../targets.js';
import { RunView } from '../views/run-view.js';
import { RunMemory } from './run-memory.js';
import { showError, showWarning } from '../notify.js';
import type { FromWorker, InputChoice, StartRun } from './messages.js';

function isFile(file: string): boolean {
    try {
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

const INPUT_FILES = { 'Images and tensors': ['png', 'jpg', 'jpeg', 'safetensors', 'npy'] };

/** An error caused by a setting: the message names it, and the notification offers to open it. */
function showSettingError(message: string, setting: string): void {
    void showError(message, 'Open Settings').then(action => {
        if (action) void vscode.commands.executeCommand('workbench.action.openSettings', setting);
    });
}

async function chooseInput(graph: NetworkGraph, seed: number, defaultImage: string, memory: RunMemory): Promise<InputChoice | undefined> {
    if (defaultImage && !isFile(defaultImage)) {
        showSettingError(`ConvNet: the default input image is not a file: ${defaultImage} (setting convnet.defaultInputImage); choose another input or fix the setting`, 'convnet.defaultInputImage');
        defaultImage = '';
    }
    const shapes = graph.inputs.map(p => `${p.name} ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const items: (vscode.QuickPickItem & { choice?: InputChoice; browse?: boolean })[] = [
        { label: `Seeded random (seed ${seed})`, description: shapes, choice: { kind: 'random' } },
        ...(defaultImage ? [{ label: path.basename(defaultImage), description: 'default input image (setting convnet.defaultInputImage)', choice: { kind: 'file' as const, path: defaultImage } }] : []),
        { label: 'Choose a file…', description: 'PNG/JPEG image (resized to the input), .safetensors or .npy tensor', browse: true },
    ];
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `Input for ${shapes}` });
    if (!picked) return undefined;
    if (!picked.browse) return picked.choice;
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: INPUT_FILES, openLabel: 'Use as input', defaultUri: memory.folder });
    return files?.[0] ? { kind: 'file', path: files[0].fsPath } : undefined;
}

async function chooseWeights(seed: number, memory: RunMemory, network: string): Promise<{ weights?: string } | undefined> {
    const last = memory.weightsOf(network);
    const picked = await vscode.window.showQuickPick([
        ...(last ? [{ label: path.basename(last), description: `the weights last used for this network (${path.dirname(last)})`, file: last }] : []),
        { label: `Seeded initialisation (seed ${seed})`, description: 'Kaiming-uniform, deterministic', file: undefined },
        { label: 'Weights file…', description: 'a PyTorch state_dict saved as .safetensors', file: '' },
    ], { placeHolder: 'Weights' });
    if (!picked) return undefined;
    if (picked.file === undefined) return {};
    if (picked.file) return { weights: picked.file };
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Safetensors: ['safetensors'] }, openLabel: 'Load weights', defaultUri: memory.folder });
    return files?.[0] ? { weights: files[0].fsPath } : undefined;
}

/**
 * Options a test, a code lens or a keybinding may pass to skip the pickers: `{ uri, network, input: 'seeded',
 * seed: 0 }` runs without a question. When `input` is given and `weights` is not, the weights are the seeded
 * initialisation.
 */
export interface RunModelOptions {
    /** `'seeded'` (or `'random'`): seeded random input; a path: an image or tensor file. */
    readonly input?: 'seeded' | 'random' | string | InputChoice;
    /** `'seeded'` or null: seeded initialisation; a path: a `.safetensors` state_dict. */
    readonly weights?: string | null;
    /** Seed of the initialisation and the random input (default: the setting convnet.defaultSeed). */
    readonly seed?: number;
}

function inputOption(input: RunModelOptions['input']): InputChoice | undefined {
    if (input === undefined) return undefined;
    if (typeof input !== 'string') return input;
    return input === 'seeded' || input === 'random' ? { kind: 'random' } : { kind: 'file', path: input.startsWith('file:') ? vscode.Uri.parse(input).fsPath : input };
}

function weightsOption(options: RunModelOptions): { weights?: string } | undefined {
    if (options.weights === undefined) return options.input !== undefined ? {} : undefined;
    if (options.weights === null || options.weights === 'seeded') return {};
    return { weights: options.weights.startsWith('file:') ? vscode.Uri.parse(options.weights).fsPath : options.weights };
}

let latestRun: RunView | undefined;
/** The unpinned Run view of each network (by document and network name): a new run of it shows there. */
const openViews = new Map<string, RunView>();

function viewFor(context: vscode.ExtensionContext, key: string, network: string): RunView {
    const open = openViews.get(key);
    if (open && !open.pinned) {
        open.panel.reveal(undefined, true);
        return open;
    }
    const view = new RunView(context.extensionUri, network);
    openViews.set(key, view);
    const forget = () => { if (openViews.get(key) === view) openViews.delete(key); };
    view.panel.onDidDispose(forget);
    view.onPin(forget);
    return view;
}

/** The latest run's view, from the moment it opens (its `outcome` says how the run ended). */
export function lastRunView(): RunView | undefined {
    return latestRun;
}

export async function runModel(context: vscode.ExtensionContext, client: LanguageClient, uriArg?: unknown, networkArg?: unknown, options: RunModelOptions = {}): Promise<RunView | undefined> {
    if (!vscode.workspace.isTrusted) {
        void showWarning('ConvNet: running a model is disabled in an untrusted workspace (it reads the files you choose and runs the network on them). Shapes, costs and diagnostics stay on; trust the workspace to run.');
        return undefined;
    }
    const target = await resolveTarget(client, uriArg, networkArg);
    if (!target) return undefined;
    const result = await client.sendRequest(GraphRequest.method, target) as GraphResult;
    if (!result.graph) {
        void showError(`ConvNet: ${target.network} cannot run — ${result.errors.slice(0, 3).join('; ')}${result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : ''}`);
        return undefined;
    }
    const graph = result.graph;
    const settings = readSettings();
    const seed = typeof options.seed === 'number' && Number.isInteger(options.seed) && options.seed >= 0 ? options.seed : settings.defaultSeed;
    const memory = new RunMemory(context.workspaceState);
    const key = `${target.uri}#${target.network}`;
    const input = inputOption(options.input) ?? await chooseInput(graph, seed, settings.defaultInputImage, memory);
    if (!input) return undefined;
    const weights = weightsOption(options) ?? await chooseWeights(seed, memory, key);
    if (!weights) return undefined;
    await memory.remember(key, { input: input.kind === 'file' ? input.path : undefined, weights: weights.weights });

    const worker = new Worker(context.asAbsolutePath(path.join('out', 'run-worker.cjs')));
    const cancelFlag = new SharedArrayBuffer(4);
    const view = viewFor(context, key, target.network);
    view.restart(worker);
    latestRun = view;
    worker.on('message', (message: FromWorker) => {
        if (message.type === 'layer') view.showLayer(message.node, message.shape, message.data);
        else if (message.type === 'error' && finished) view.showError(message.message);
    });
    let finished = false;
    const start: StartRun = { type: 'start', graph, input, weights: weights.weights, seed, imagenetNormalization: settings.imagenetNormalization, memoryBudget: settings.memoryBudgetBytes, cancelFlag };
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
                else if (message.type === 'cancelled') view.showCancelled(message.message);
                else {
                    view.showError(message.message);
                    // An error a setting caused names the setting and offers to open it.
                    const cause = message.memoryBudget ? { setting: 'convnet.memoryBudget', value: settings.memoryBudgetText }
                        : input.kind === 'file' && input.path === settings.defaultInputImage ? { setting: 'convnet.defaultInputImage', value: settings.defaultInputImage }
                            : undefined;
                    if (cause) showSettingError(`ConvNet: ${message.message} (setting ${cause.setting}: ${cause.value})`, cause.setting);
                    else void showError(`ConvNet: ${message.message}`);
                }
                resolve();
            };
            worker.on('message', listener);
            worker.on('error', e => {
                finished = true;
                view.showError(e.message);
                void showError(`ConvNet: the run stopped: ${e.message}`);
                resolve();
            });
            worker.postMessage(start);
        }));
    return view;
}
