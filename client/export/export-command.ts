/**
 * ConvNet: Export to ONNX, ConvNet: Export to PyTorch and ConvNet: Export Training Script (a torchrun-ready script,
 * with the PyTorch module it imports written beside it as `<network>.py`). Picks the network (as Run Model does), the
 * file to write (a save dialog) and the weights (not for the training script), then exports in a worker thread with
 * the code `convnet export` uses (interchange/export/files.ts) and reports the files written with an Open action — or the problem, in one sentence.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import { formatBytes } from '../../language/util/format.js';
import { checkExportTargets, exportTargets, type ExportRequest } from '../../interchange/export/files.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { readSettings } from '../config.js';
import { showError, showInfo, showWarning } from '../notify.js';
import { resolveTarget } from '../targets.js';
import type { FromExportWorker, StartExport } from './messages.js';

export type ExportFormat = 'onnx' | 'pytorch' | 'train';

/**
 * Options a test or a keybinding may pass (`{ uri, network, target, seed }`) to skip the dialogs. Given a
 * `target`, nothing is asked: ONNX takes the seeded initialisation unless `weights` names a file; a PyTorch
 * module gets a state_dict beside it only when `seed` or `weights` is given.
 */
export interface ExportOptions {
    /** The file to write: a path or a `file:` URI. */
    readonly target?: string | vscode.Uri;
    /** Seed of the initialisation (default: the setting convnet.defaultSeed). */
    readonly seed?: number;
    /** A `.safetensors` state_dict (path or `file:` URI); `'seeded'` or null: the seeded initialisation. */
    readonly weights?: string | null;
    /** ONNX opset (default 17; 19 with a deformable conv). */
    readonly opset?: number;
    /** true: replace files that exist without asking; false: refuse to (a test's or a keybinding's choice); absent: ask. */
    readonly replace?: boolean;
}

/** What an export wrote, or why it did not. */
export type ExportOutcome =
    | { readonly status: 'done'; readonly network: string; readonly files: { file: string; what: string; bytes: number }[]; readonly message: string }
    | { readonly status: 'error'; readonly network: string; readonly message: string; readonly stack?: string };

const FORMATS: Record<ExportFormat, { name: string; extension: string; filters: Record<string, string[]> }> = {
    onnx: { name: 'ONNX', extension: 'onnx', filters: { 'ONNX model': ['onnx'] } },
    pytorch: { name: 'PyTorch', extension: 'py', filters: { 'Python (PyTorch module)': ['py'] } },
    train: { name: 'PyTorch (training script)', extension: 'py', filters: { 'Python (training script)': ['py'] } },
};

/** The module a training script imports: `<network>.py` beside the script. */
function moduleBeside(script: string, network: string): string {
    return path.join(path.dirname(script), `${network.toLowerCase()}.py`);
}

let lastOutcome: ExportOutcome | undefined;

/** The last export's outcome (the extension's API gives it to tests). */
export function lastExport(): ExportOutcome | undefined {
    return lastOutcome;
}

const fsPathOf = (value: string | vscode.Uri): string =>
    value instanceof vscode.Uri ? value.fsPath : value.startsWith('file:') ? vscode.Uri.parse(value).fsPath : value;

/** The save dialog, starting beside the `.convnet` file with the network's name. */
async function askTarget(format: ExportFormat, sourceUri: vscode.Uri, network: string): Promise<vscode.Uri | undefined> {
    const { name, extension, filters } = FORMATS[format];
    const folder = sourceUri.scheme === 'file' ? vscode.Uri.file(path.dirname(sourceUri.fsPath)) : vscode.workspace.workspaceFolders?.[0]?.uri;
    const file = `${format === 'train' ? 'train_' : ''}${network.toLowerCase()}.${extension}`;
    return vscode.window.showSaveDialog({
        defaultUri: folder ? vscode.Uri.joinPath(folder, file) : undefined,
        filters, saveLabel: `Export to ${name}`, title: `Export ${network} to ${name}`,
    });
}

/** The weights of an interactive export; undefined when the person backs out. */
async function askWeights(format: ExportFormat, seed: number): Promise<Pick<ExportRequest, 'weights' | 'seed'> | undefined> {
    type Item = vscode.QuickPickItem & { choice: 'none' | 'seeded' | 'file' };
    const items: Item[] = [
        ...(format === 'pytorch' ? [{ label: 'Module only', description: 'the nn.Module source, no state_dict', choice: 'none' as const }] : []),
        {
            label: `Seeded initialisation (seed ${seed})`,
            description: format === 'onnx' ? 'Kaiming-uniform, deterministic' : 'and its state_dict beside the module (.safetensors)',
            choice: 'seeded',
        },
        { label: 'Weights file…', description: 'a PyTorch state_dict saved as .safetensors', choice: 'file' },
    ];
    const picked = await vscode.window.showQuickPick(items, { placeHolder: format === 'onnx' ? 'Weights of the ONNX model' : 'Weights to write beside the module' });
    if (!picked) return undefined;
    if (picked.choice === 'none') return {};
    if (picked.choice === 'seeded') return { seed };
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Safetensors: ['safetensors'] }, openLabel: 'Export these weights' });
    return files?.[0] ? { weights: files[0].fsPath } : undefined;
}

/** The weights of an export started with a `target` (nothing asked); `seed` is the resolved seed. */
function weightsFromOptions(format: ExportFormat, options: ExportOptions, seed: number): Pick<ExportRequest, 'weights' | 'seed'> {
    if (options.weights && options.weights !== 'seeded') return { weights: fsPathOf(options.weights) };
    const seedAskedFor = options.seed !== undefined || options.weights === 'seeded' || options.weights === null;
    return format === 'onnx' || seedAskedFor ? { seed } : {};
}

/** The `.convnet` files on disk a network was elaborated from: never written over by its export. */
function sourceFiles(graph: NetworkGraph): string[] {
    const uris = new Set([graph.uri, ...graph.nodes.map(n => n.source.uri)]);
    return [...uris].filter(u => u.startsWith('file:')).map(u => vscode.Uri.parse(u).fsPath);
}

/**
 * The request, allowed to replace the files that exist once the person has said so; undefined when they decline.
 * The save dialog has already asked about the file it chose, so only the others (a PyTorch module's state_dict
 * beside it) are asked about then; a request with a fixed target asks about every existing file.
 */
async function confirmReplacing(request: ExportRequest, chosenInDialog: boolean, chosen: string): Promise<ExportRequest | undefined> {
    if (request.replace !== undefined) return request;
    const targets = exportTargets(request);
    const existing = targets.filter(file => fs.existsSync(file) && !(chosenInDialog && file === chosen));
    if (existing.length === 0) return { ...request, replace: chosenInDialog };
    const names = existing.map(f => path.basename(f)).join(' and ');
    const answer = await vscode.window.showWarningMessage(`${names} already exist${existing.length === 1 ? 's' : ''}. Replace ${existing.length === 1 ? 'it' : 'them'}?`, { modal: true }, 'Replace');
    return answer === 'Replace' ? { ...request, replace: true } : undefined;
}

function runWorker(context: vscode.ExtensionContext, start: StartExport): Promise<FromExportWorker> {
    return new Promise(resolve => {
        const worker = new Worker(context.asAbsolutePath(path.join('out', 'export-worker.cjs')));
        let settled = false;
        const finish = (message: FromExportWorker) => {
            if (settled) return;
            settled = true;
            void worker.terminate();
            resolve(message);
        };
        worker.once('message', finish);
        worker.once('error', e => finish({ type: 'error', message: e.message, expected: false, stack: e.stack }));
        worker.once('exit', code => finish({ type: 'error', message: `the export worker stopped (exit code ${code})`, expected: false }));
        worker.postMessage(start);
    });
}

export async function exportNetwork(context: vscode.ExtensionContext, client: LanguageClient, format: ExportFormat, uriArg?: string, networkArg?: string, options: ExportOptions = {}): Promise<ExportOutcome | undefined> {
    const { name } = FORMATS[format];
    if (!vscode.workspace.isTrusted) {
        // Export reads the weights chosen and writes files a person may then run (Python); an untrusted folder's
        // .convnet file should not get that far without the person's say.
        void showWarning(`ConvNet: export is disabled in an untrusted workspace (it writes ${name} files that may then be run). Shapes, costs and diagnostics stay on; trust the workspace to export.`);
        return undefined;
    }
    const target = await resolveTarget(client, uriArg, networkArg);
    if (!target) return undefined;
    const result = await client.sendRequest(GraphRequest.method, target) as GraphResult;
    if (!result.graph) {
        const message = `ConvNet: ${target.network} cannot be exported — ${result.errors.slice(0, 3).join('; ')}${result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : ''}`;
        lastOutcome = { status: 'error', network: target.network, message };
        void showError(message);
        return lastOutcome;
    }
    const sourceUri = vscode.Uri.parse(target.uri);
    const settings = readSettings();
    const seed = typeof options.seed === 'number' && Number.isInteger(options.seed) && options.seed >= 0 ? options.seed : settings.defaultSeed;
    let file: string;
    let weights: Pick<ExportRequest, 'weights' | 'seed'> | undefined;
    if (options.target !== undefined) {
        file = fsPathOf(options.target);
        weights = weightsFromOptions(format, options, seed);
    } else {
        const chosen = await askTarget(format, sourceUri, target.network);
        if (!chosen) return undefined;
        if (chosen.scheme !== 'file') {
            void showError(`ConvNet: export writes files on disk; ${chosen.toString()} is not one.`);
            return undefined;
        }
        file = chosen.fsPath;
        weights = format === 'train' ? {} : await askWeights(format, seed);
        if (!weights) return undefined;
    }
    let request: ExportRequest = {
        ...(format === 'onnx' ? { onnx: file, opset: options.opset } : format === 'train' ? { pytorch: moduleBeside(file, target.network), train: file } : { pytorch: file }),
        ...weights,
        sourceFile: sourceUri.scheme === 'file' ? sourceUri.fsPath : target.uri,
        otherSources: sourceFiles(result.graph),
        replace: options.replace,
    };
    const allowed = await confirmReplacing(request, options.target === undefined, file);
    if (allowed === undefined) return undefined;
    request = allowed;
    try {
        checkExportTargets(request);
    } catch (e) {
        const message = `ConvNet: export of ${target.network} to ${name} failed: ${(e as Error).message}`;
        lastOutcome = { status: 'error', network: target.network, message };
        void showError(message);
        return lastOutcome;
    }
    const answer = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${target.network} to ${name}…` },
        () => runWorker(context, { graph: result.graph!, request }),
    );
    if (answer.type === 'error') {
        // A problem of the network or the files is one sentence; anything else is a bug, still shown as one line.
        const message = `ConvNet: export of ${target.network} to ${name} failed: ${answer.message}`;
        lastOutcome = { status: 'error', network: target.network, message, stack: answer.expected ? undefined : answer.stack };
        void showError(message);
        return lastOutcome;
    }
    // The file asked for first (a training script before the module it imports).
    const [main, ...others] = [...answer.files].sort((a, b) => Number(b.file === file) - Number(a.file === file));
    const message = `ConvNet: exported ${target.network} to ${main.file} — ${main.what} (${formatBytes(main.bytes)})`
        + others.map(f => `; ${path.basename(f.file)}: ${f.what} (${formatBytes(f.bytes)})`).join('');
    for (const warning of answer.warnings) void showWarning(`ConvNet: ${warning}`);
    lastOutcome = { status: 'done', network: target.network, files: answer.files.map(({ file, what, bytes }) => ({ file, what, bytes })), message };
    void showInfo(message, 'Open').then(action => {
        if (action === 'Open') void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(main.file));
    });
    return lastOutcome;
}
