/**
 * Export to files, shared by `convnet export` (cli/export.ts) and the editor's Export to ONNX / Export to PyTorch /
 * Export Training Script (client/export/): which parameters an export uses, the files it makes — built in memory
 * first, so a failed export leaves nothing behind — and writing them.
 */
import * as path from 'node:path';
import { stateDictKey, type NetworkGraph } from '../../language/elaboration/graph.js';
import { formatBytes } from '../../language/util/format.js';
import { displayText } from '../../language/util/quote.js';
import { readFileBounded, ReadRefused } from '../../io/bounded-read.js';
import { checkWrites, writeFilesSafely, WriteRefused, type CommandInput, type WriteOptions } from '../../io/safe-write.js';
import { encodeSafetensors, loadParametersFromBytes, SafetensorsError, WeightsError } from '../../io/safetensors.js';
import { initializeParameters, type ParameterStore } from '../../runtime/weights.js';
import { exportOnnx, OnnxExportError } from './onnx.js';
import { exportPytorch, PytorchExportError } from './pytorch.js';
import { exportTrainingScript, TrainScriptError } from './train-script.js';

export interface ExportRequest {
    /** Where the ONNX model goes. */
    readonly onnx?: string;
    /** Where the PyTorch module goes (its state_dict goes beside it as `.safetensors` when weights are chosen). */
    readonly pytorch?: string;
    /** Where the training script goes (train-script.ts); it imports the network from the PyTorch module, so needs `pytorch`. */
    readonly train?: string;
    /** A `.safetensors` state_dict to export (ONNX initializers, or the PyTorch module's state_dict). */
    readonly weights?: string;
    /**
     * The bytes of `weights`, already read (the browser reads them through the workspace file system, within the
     * limits of io/bounded-read.ts); `weights` then only names them in messages and as an input not to write over.
     */
    readonly weightsBytes?: Uint8Array;
    /** Seeded initialisation (default 0 for ONNX, which always needs weights). */
    readonly seed?: number;
    readonly opset?: number;
    /** Ignore tensors of the weights file that no layer has. */
    readonly allowUnexpected?: boolean;
    /** The `.convnet` file, named (by its base name) in the PyTorch module's header, and never written over. */
    readonly sourceFile?: string;
    /** Other `.convnet` files the network was elaborated from (never written over). */
    readonly otherSources?: readonly string[];
    /** Replace files that exist (the CLI's --force; the editor after asking). */
    readonly replace?: boolean;
    /** What to tell the user to do to replace an existing file. */
    readonly replaceHint?: string;
}

/** One file of an export, made but not yet written. */
export interface ExportFile {
    readonly file: string;
    readonly bytes: Uint8Array | string;
    /** What it holds, for the report (`ONNX opset 17 (IR 8): 69 layers as 69 nodes, …`). */
    readonly what: string;
}

/** A problem of the export's own making (unreadable weights, an unwritable target). */
export class ExportError extends Error {}

/** Errors an export reports as one readable message (never a stack trace). */
const EXPECTED = [ExportError, OnnxExportError, PytorchExportError, TrainScriptError, SafetensorsError, WeightsError, ReadRefused, WriteRefused];

export function isExpectedExportError(e: unknown): e is Error {
    return EXPECTED.some(type => e instanceof type);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `model.py` → `model.safetensors`. */
export function weightsBeside(file: string): string {
    const ext = path.extname(file);
    return `${ext ? file.slice(0, -ext.length) : file}.safetensors`;
}

function parametersFor(graph: NetworkGraph, request: ExportRequest): { store: ParameterStore; described: string; warnings: string[] } {
    if (request.weights) {
        const bytes = request.weightsBytes ?? readFileBounded(request.weights, 'weights', 'the weights');
        const loaded = loadParametersFromBytes(graph, bytes, { source: request.weights, allowUnexpected: request.allowUnexpected });
        const bad = loaded.nonFinite;
        const warnings = bad.length ? [`${bad.length} parameter tensor${bad.length === 1 ? ' holds' : 's hold'} NaN or infinite values, so the exported model's outputs will too: ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}`] : [];
        return { store: loaded.store, described: `weights from ${displayText(request.weights, 120)}`, warnings };
    }
    const seed = request.seed ?? 0;
    return { store: initializeParameters(graph, seed), described: `seeded weights (seed ${seed})`, warnings: [] };
}

/** The files an export will write, before it is made: the ONNX model, the PyTorch module and its state_dict. */
export function exportTargets(request: ExportRequest): string[] {
    const targets: string[] = [];
    if (request.onnx) targets.push(request.onnx);
    if (request.pytorch) {
        targets.push(request.pytorch);
        if (request.weights !== undefined || request.seed !== undefined) targets.push(weightsBeside(request.pytorch));
    }
    if (request.train) targets.push(request.train);
    return targets;
}

function writeRules(request: ExportRequest): WriteOptions {
    const inputs: CommandInput[] = [...(request.sourceFile ? [request.sourceFile] : []), ...(request.otherSources ?? [])].map(file => ({ file, label: 'a .convnet source' }));
    if (request.weights) inputs.push({ file: request.weights, label: 'the weights' });
    return { replace: request.replace, replaceHint: request.replaceHint, inputs };
}

/** Refuses (a `WriteRefused`) an export whose files would replace a file without leave or write over an input. */
export function checkExportTargets(request: ExportRequest): void {
    checkWrites(exportTargets(request), writeRules(request));
}

/**
 * The files of an export, in memory. Throws (an expected error, see `isExpectedExportError`) when any of them
 * cannot be made. A PyTorch module gets its state_dict beside it only when `weights` or `seed` is given.
 */
export function buildExportFiles(graph: NetworkGraph, request: ExportRequest): { files: ExportFile[]; warnings: string[] } {
    const files: ExportFile[] = [];
    if (request.train && !request.pytorch) throw new ExportError('the training script imports the network from its PyTorch module; export that too (--pytorch MODEL.py)');
    const needsWeights = request.onnx !== undefined || request.weights !== undefined || request.seed !== undefined;
    const parameters = needsWeights ? parametersFor(graph, request) : undefined;
    if (request.onnx) {
        const model = exportOnnx(graph, parameters!.store, { opset: request.opset });
        files.push({
            file: request.onnx, bytes: model.bytes,
            what: `ONNX opset ${model.opset} (IR ${model.irVersion}): ${plural(graph.nodes.length, 'layer')} as ${plural(model.nodeCount, 'node')}, ${plural(model.initializers.length, 'initializer')}, ${parameters!.described}`,
        });
    }
    if (request.pytorch) {
        const module = exportPytorch(graph, { sourceFile: request.sourceFile });
        files.push({ file: request.pytorch, bytes: module.source, what: `PyTorch module ${module.className}${module.blockClasses.length ? ` (block classes ${module.blockClasses.join(', ')})` : ''}` });
        // The state_dict goes beside the module only when weights were asked for (an ONNX export alone needs them).
        if (parameters && (request.weights !== undefined || request.seed !== undefined)) {
            const tensors = graph.nodes.flatMap(n => n.params.map(p => [stateDictKey(n.name, p.name), { shape: p.shape, data: parameters.store.get(n.name)![p.name] }] as [string, { shape: readonly number[]; data: Float32Array }]));
            files.push({
                file: weightsBeside(request.pytorch), bytes: encodeSafetensors(tensors, { producer: 'convnet export', network: graph.name }),
                what: `its state_dict, ${parameters.described} (load_weights(model, path) in the module)`,
            });
        }
        if (request.train) {
            const script = exportTrainingScript(graph, { modelFile: request.pytorch, trainFile: request.train, className: module.className, sourceFile: request.sourceFile });
            files.push({ file: request.train, bytes: script.source, what: script.what });
        }
    }
    return { files, warnings: parameters?.warnings ?? [] };
}

/** Size in bytes of a made file. */
export function exportFileSize(file: ExportFile): number {
    return typeof file.bytes === 'string' ? Buffer.byteLength(file.bytes) : file.bytes.length;
}

/** `FILE: what it holds (44.6 MiB)`. */
export function describeExportFile(file: ExportFile): string {
    return `${displayText(file.file, 120)}: ${file.what} (${formatBytes(exportFileSize(file))})`;
}

/** Writes the files made by `buildExportFiles`, all or none (io/safe-write.ts); a refusal is a `WriteRefused` naming the file. */
export function writeExportFiles(files: readonly ExportFile[], request: ExportRequest): void {
    writeFilesSafely(files, writeRules(request));
}
