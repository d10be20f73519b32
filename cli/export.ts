/**
 * `convnet export`: a network of a `.convnet` file as an ONNX model (with seeded or loaded weights as initializers
 * under their state_dict names) and/or as PyTorch source (an nn.Module whose state_dict keys are the same names),
 * with a torchrun-ready training script beside it (`--train`, interchange/export/train-script.ts).
 * Every export is built in memory first; files are written only when all of them succeeded, so a failed export
 * leaves nothing behind. The making and writing is interchange/export/files.ts, shared with the editor's export
 * commands.
 */
import { chooseNetwork } from './network-choice.js';
import * as path from 'node:path';
import { buildExportFiles, checkExportTargets, describeExportFile, isExpectedExportError, writeExportFiles, type ExportRequest } from '../interchange/export/files.js';
import { FORCE_HINT, sourceInputs } from './outputs.js';
import type { Output } from './commands.js';

export interface ExportCommandOptions {
    network?: string;
    onnx?: string;
    pytorch?: string;
    /** The training script (needs `pytorch`, whose module it imports). */
    train?: string;
    weights?: string;
    seed?: number;
    opset?: number;
    allowUnexpected?: boolean;
    /** Replace existing files. */
    force?: boolean;
}

export async function exportCommand(file: string, options: ExportCommandOptions, io: Output): Promise<number> {
    const graph = await chooseNetwork(file, options.network, 'export', io);
    if (typeof graph === 'number') return graph;
    const sources = sourceInputs(graph).map(i => i.file);
    const request: ExportRequest = {
        onnx: options.onnx, pytorch: options.pytorch, train: options.train, weights: options.weights, seed: options.seed, opset: options.opset,
        allowUnexpected: options.allowUnexpected, sourceFile: path.resolve(file), otherSources: sources,
        replace: options.force, replaceHint: FORCE_HINT,
    };
    try {
        checkExportTargets(request);
        const { files, warnings } = buildExportFiles(graph, request);
        writeExportFiles(files, request);
        for (const warning of warnings) io.err(`convnet: warning: ${warning}`);
        for (const f of files) io.out(describeExportFile(f));
        return 0;
    } catch (e) {
        if (isExpectedExportError(e)) {
            io.err(`convnet: ${e.message}`);
            return 1;
        }
        throw e;
    }
}
