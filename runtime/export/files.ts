/**
 * Export to files, shared by `convnet export` (cli/export.ts) and the editor's Export to ONNX / Export to PyTorch
 * (client/export/): which parameters an export uses, the files it makes — built in memory first, so a failed
 * export leaves nothing behind — and writing them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { formatBytes } from '../../language/util/format.js';
import { encodeSafetensors, loadParametersFromBytes, SafetensorsError, WeightsError } from '../safetensors.js';
import { initializeParameters, type ParameterStore } from '../weights.js';
import { exportOnnx, OnnxExportError } from './onnx.js';
import { exportPytorch, PytorchExportError } from './pytorch.js';

export interface ExportRequest {
    /** Where the ONNX model goes. */
    readonly onnx?: string;
    /** Where the PyTorch module goes (its state_dict goes beside it as `.safetensors` when weights are chosen). */
    readonly pytorch?: string;
    /** A `.safetensors` state_dict to export (ONNX initializers, or the PyTorch module's state_dict). */
    readonly weights?: string;
    /** Seeded initialisation (default 0 for ONNX, which always needs weights). */
    readonly seed?: number;
    readonly opset?: number;
    /** Ignore tensors of the weights file that no layer has. */
    readonly allowUnexpected?: boolean;
    /** The `.convnet` file, named in the PyTorch module's header. */
    readonly sourceFile?: string;
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
const EXPECTED = [ExportError, OnnxExportError, PytorchExportError, SafetensorsError, WeightsError];

export function isExpectedExportError(e: unknown): e is Error {
    return EXPECTED.some(type => e instanceof type);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `model.py` → `model.safetensors`. */
export function weightsBeside(file: string): string {
    const ext = path.extname(file);
    return `${ext ? file.slice(0, -ext.length) : file}.safetensors`;
}

function parametersFor(graph: NetworkGraph, request: ExportRequest): { store: ParameterStore; described: string } {
    if (request.weights) {
        let bytes: Uint8Array;
        try {
            bytes = fs.readFileSync(request.weights);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            throw new ExportError(`${request.weights}: cannot read the weights${code === 'ENOENT' ? ': no such file' : `: ${(e as Error).message}`}`);
        }
        const loaded = loadParametersFromBytes(graph, bytes, { source: request.weights, allowUnexpected: request.allowUnexpected });
        return { store: loaded.store, described: `weights from ${request.weights}` };
    }
    const seed = request.seed ?? 0;
    return { store: initializeParameters(graph, seed), described: `seeded weights (seed ${seed})` };
}

/**
 * The files of an export, in memory. Throws (an expected error, see `isExpectedExportError`) when any of them
 * cannot be made. A PyTorch module gets its state_dict beside it only when `weights` or `seed` is given.
 */
export function buildExportFiles(graph: NetworkGraph, request: ExportRequest): ExportFile[] {
    const files: ExportFile[] = [];
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
        if (parameters) {
            const tensors = graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, { shape: p.shape, data: parameters.store.get(n.name)![p.name] }] as [string, { shape: readonly number[]; data: Float32Array }]));
            files.push({
                file: weightsBeside(request.pytorch), bytes: encodeSafetensors(tensors, { producer: 'convnet export', network: graph.name }),
                what: `its state_dict, ${parameters.described} (load_weights(model, path) in the module)`,
            });
        }
    }
    return files;
}

/** Size in bytes of a made file. */
export function exportFileSize(file: ExportFile): number {
    return typeof file.bytes === 'string' ? Buffer.byteLength(file.bytes) : file.bytes.length;
}

/** `FILE: what it holds (44.6 MiB)`. */
export function describeExportFile(file: ExportFile): string {
    return `${file.file}: ${file.what} (${formatBytes(exportFileSize(file))})`;
}

/** Writes the files made by `buildExportFiles`; an unwritable target is an `ExportError` naming it. */
export function writeExportFiles(files: readonly ExportFile[]): void {
    for (const f of files) {
        try {
            fs.writeFileSync(f.file, f.bytes);
        } catch (e) {
            throw new ExportError(`${f.file}: cannot write: ${(e as Error).message}`);
        }
    }
}
