/**
 * ConvNet: Export to ONNX, Export to PyTorch and Export Training Script, the part the desktop (./export-command.ts)
 * and the browser (../web/export.ts) share: the network, the file to write (a save dialog), the weights (not for the
 * training script), the confirmation before replacing a file, and the outcome — the files written with an Open
 * action, or the problem in one sentence. They differ only in an `ExportPlatform`: how a URI becomes the file name
 * an export request uses, how files are checked, and how the export reads the weights and writes its files.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { GraphRequest, type GraphResult } from '../../server/protocol.js';
import { formatBytes } from '../../language/util/format.js';
import { exportTargets, type ExportRequest } from '../../interchange/export/files.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { readSettings } from '../config.js';
import { showError, showInfo, showWarning } from '../notify.js';
import { resolveTarget } from '../targets.js';
import type { FromExportWorker } from './messages.js';

export type ExportFormat = 'onnx' | 'pytorch' | 'train';

/**
 * Options a test or a keybinding may pass (`{ uri, network, target, seed }`) to skip the dialogs. Given a
 * `target`, nothing is asked: ONNX takes the seeded initialisation unless `weights` names a file; a PyTorch
 * module gets a state_dict beside it only when `seed` or `weights` is given.
 */
export interface ExportOptions {
    /** The file to write: a path or a URI (desktop: a `file:` URI; browser: any workspace URI, a path is in the first workspace folder). */
    readonly target?: string | vscode.Uri;
    /** Seed of the initialisation (default: the setting convnet.defaultSeed). */
    readonly seed?: number;
    /** A `.safetensors` state_dict (path or URI, as `target`); `'seeded'` or null: the seeded initialisation. */
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

/** The files of one export as URIs: what the platform checks and writes, and the inputs never written over. */
export interface ExportFiles {
    /** The file asked for (the training script, for Export Training Script). */
    readonly target: vscode.Uri;
    /** The weights file chosen, if any. */
    readonly weights?: vscode.Uri;
    /** The `.convnet` documents the network was elaborated from. */
    readonly sources: readonly vscode.Uri[];
}

/** What differs between the desktop and the browser. */
export interface ExportPlatform {
    /** The name an export request gives a file (the desktop: its path on disk; the browser: its URI's path). */
    fileOf(uri: vscode.Uri): string;
    /** The URI of a file of the request, on the file system of `like` (a file the same export names). */
    uriOf(file: string, like: vscode.Uri): vscode.Uri;
    /** A file named by a command's option (`target`, `weights`). */
    optionUri(value: string | vscode.Uri): vscode.Uri;
    /** Why an export cannot write to the file chosen in the save dialog (one sentence), or undefined. */
    refuseTarget(uri: vscode.Uri): string | undefined;
    /** Whether a file of the request exists (to ask before replacing it). */
    exists(uri: vscode.Uri): Promise<boolean>;
    /** What the request says of the `.convnet` sources (`sourceFile`, `otherSources`). */
    sources(sourceUri: vscode.Uri, graph: NetworkGraph, targetUri: string): Pick<ExportRequest, 'sourceFile' | 'otherSources'>;
    /** Refuses, with an error whose message is one sentence, an export that would replace a file without leave or write over an input. */
    checkTargets(request: ExportRequest, files: ExportFiles): Promise<void>;
    /** Makes every file and writes them, all or none. */
    run(graph: NetworkGraph, request: ExportRequest, files: ExportFiles): Promise<FromExportWorker>;
}

const FORMATS: Record<ExportFormat, { name: string; extension: string; filters: Record<string, string[]> }> = {
    onnx: { name: 'ONNX', extension: 'onnx', filters: { 'ONNX model': ['onnx'] } },
    pytorch: { name: 'PyTorch', extension: 'py', filters: { 'Python (PyTorch module)': ['py'] } },
    train: { name: 'PyTorch (training script)', extension: 'py', filters: { 'Python (training script)': ['py'] } },
};

/** The module a training script imports: `<network>.py` beside the script. */
function moduleBeside(script: vscode.Uri, network: string): vscode.Uri {
    return vscode.Uri.joinPath(script, '..', `${network.toLowerCase()}.py`);
}

let lastOutcome: ExportOutcome | undefined;

/** The last export's outcome (the extension's API gives it to tests). */
export function lastExport(): ExportOutcome | undefined {
    return lastOutcome;
}

/** The save dialog, starting beside the `.convnet` file with the network's name. */
async function askTarget(platform: ExportPlatform, format: ExportFormat, sourceUri: vscode.Uri, network: string): Promise<vscode.Uri | undefined> {
    const { name, extension, filters } = FORMATS[format];
    const folder = platform.refuseTarget(sourceUri) === undefined ? vscode.Uri.joinPath(sourceUri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
    const file = `${format === 'train' ? 'train_' : ''}${network.toLowerCase()}.${extension}`;
    return vscode.window.showSaveDialog({
        defaultUri: folder ? vscode.Uri.joinPath(folder, file) : undefined,
        filters, saveLabel: `Export to ${name}`, title: `Export ${network} to ${name}`,
    });
}

/** The weights chosen: a file, or a seed for the seeded initialisation, or neither (a PyTorch module alone). */
type WeightsChoice = { readonly weights?: vscode.Uri; readonly seed?: number };

/** The weights of an interactive export; undefined when the person backs out. */
async function askWeights(format: ExportFormat, seed: number): Promise<WeightsChoice | undefined> {
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
    return files?.[0] ? { weights: files[0] } : undefined;
}

/** The weights of an export started with a `target` (nothing asked); `seed` is the resolved seed. */
function weightsFromOptions(platform: ExportPlatform, format: ExportFormat, options: ExportOptions, seed: number): WeightsChoice {
    if (options.weights && options.weights !== 'seeded') return { weights: platform.optionUri(options.weights) };
    const seedAskedFor = options.seed !== undefined || options.weights === 'seeded' || options.weights === null;
    return format === 'onnx' || seedAskedFor ? { seed } : {};
}

/**
 * The request, allowed to replace the files that exist once the person has said so; undefined when they decline.
 * The save dialog has already asked about the file it chose, so only the others (a PyTorch module's state_dict
 * beside it) are asked about then; a request with a fixed target asks about every existing file.
 */
async function confirmReplacing(platform: ExportPlatform, request: ExportRequest, target: vscode.Uri, chosenInDialog: boolean, chosen: string): Promise<ExportRequest | undefined> {
    if (request.replace !== undefined) return request;
    const existing: string[] = [];
    for (const file of exportTargets(request)) {
        if (chosenInDialog && file === chosen) continue;
        if (await platform.exists(platform.uriOf(file, target))) existing.push(file);
    }
    if (existing.length === 0) return { ...request, replace: chosenInDialog };
    const names = existing.map(f => path.basename(f)).join(' and ');
    const answer = await vscode.window.showWarningMessage(`${names} already exist${existing.length === 1 ? 's' : ''}. Replace ${existing.length === 1 ? 'it' : 'them'}?`, { modal: true }, 'Replace');
    return answer === 'Replace' ? { ...request, replace: true } : undefined;
}

function failed(network: string, message: string, stack?: string): ExportOutcome {
    lastOutcome = { status: 'error', network, message, stack };
    void showError(message);
    return lastOutcome;
}

export async function exportWith(platform: ExportPlatform, client: BaseLanguageClient, format: ExportFormat, uriArg?: string, networkArg?: string, options: ExportOptions = {}): Promise<ExportOutcome | undefined> {
    const { name } = FORMATS[format];
    if (!vscode.workspace.isTrusted) {
        // Export reads the weights chosen and writes files a person may then run (Python); an untrusted folder's
        // .convnet file should not get that far without the person's say.
        void showWarning(`ConvNet: export is disabled in an untrusted workspace (it writes ${name} files that may then be run). Shapes, costs and diagnostics stay on; trust the workspace to export.`);
        return undefined;
    }
    const target = await resolveTarget(client as never, uriArg, networkArg);
    if (!target) return undefined;
    const result = await client.sendRequest(GraphRequest.method, target) as GraphResult;
    if (!result.graph) {
        return failed(target.network, `ConvNet: ${target.network} cannot be exported — ${result.errors.slice(0, 3).join('; ')}${result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : ''}`);
    }
    const graph = result.graph;
    const sourceUri = vscode.Uri.parse(target.uri);
    const settings = readSettings();
    const seed = typeof options.seed === 'number' && Number.isInteger(options.seed) && options.seed >= 0 ? options.seed : settings.defaultSeed;
    let targetUri: vscode.Uri;
    let weights: WeightsChoice | undefined;
    if (options.target !== undefined) {
        targetUri = platform.optionUri(options.target);
        weights = weightsFromOptions(platform, format, options, seed);
    } else {
        const chosen = await askTarget(platform, format, sourceUri, target.network);
        if (!chosen) return undefined;
        const refused = platform.refuseTarget(chosen);
        if (refused) {
            void showError(`ConvNet: ${refused}`);
            return undefined;
        }
        targetUri = chosen;
        weights = format === 'train' ? {} : await askWeights(format, seed);
        if (!weights) return undefined;
    }
    const file = platform.fileOf(targetUri);
    const files: ExportFiles = {
        target: targetUri, weights: weights.weights,
        sources: [...new Set([graph.uri, ...graph.nodes.map(n => n.source.uri)])].filter(u => u).map(u => vscode.Uri.parse(u)),
    };
    let request: ExportRequest = {
        ...(format === 'onnx' ? { onnx: file, opset: options.opset } : format === 'train' ? { pytorch: platform.fileOf(moduleBeside(targetUri, target.network)), train: file } : { pytorch: file }),
        ...(weights.weights ? { weights: platform.fileOf(weights.weights) } : {}),
        ...(weights.seed !== undefined ? { seed: weights.seed } : {}),
        ...platform.sources(sourceUri, graph, target.uri),
        replace: options.replace,
    };
    const allowed = await confirmReplacing(platform, request, targetUri, options.target === undefined, file);
    if (allowed === undefined) return undefined;
    request = allowed;
    try {
        await platform.checkTargets(request, files);
    } catch (e) {
        return failed(target.network, `ConvNet: export of ${target.network} to ${name} failed: ${(e as Error).message}`);
    }
    const answer = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${target.network} to ${name}…` },
        () => platform.run(graph, request, files),
    );
    if (answer.type === 'error') {
        // A problem of the network or the files is one sentence; anything else is a bug, still shown as one line.
        return failed(target.network, `ConvNet: export of ${target.network} to ${name} failed: ${answer.message}`, answer.expected ? undefined : answer.stack);
    }
    // The file asked for first (a training script before the module it imports).
    const [main, ...others] = [...answer.files].sort((a, b) => Number(b.file === file) - Number(a.file === file));
    const message = `ConvNet: exported ${target.network} to ${main.file} — ${main.what} (${formatBytes(main.bytes)})`
        + others.map(f => `; ${path.basename(f.file)}: ${f.what} (${formatBytes(f.bytes)})`).join('');
    for (const warning of answer.warnings) void showWarning(`ConvNet: ${warning}`);
    lastOutcome = { status: 'done', network: target.network, files: answer.files.map(({ file, what, bytes }) => ({ file, what, bytes })), message };
    void showInfo(message, 'Open').then(action => {
        if (action === 'Open') void vscode.commands.executeCommand('vscode.open', platform.uriOf(main.file, targetUri));
    });
    return lastOutcome;
}
