/**
 * ConvNet: Export to ONNX, Export to PyTorch and Export Training Script in the browser: the desktop's dialogs and
 * outcome (../export/export-flow.ts) and the code `convnet export` uses (interchange/export/files.ts), with the
 * weights read and the files written through the workspace file system (./workspace-files.ts,
 * ./workspace-writes.ts). A request names a file by its URI's path; every file of one export is on the file system
 * of the file asked for. The export runs in the web extension host (itself a web worker, so the editor stays
 * responsive; ResNet-50's 98 MiB ONNX model takes about a second there), behind a progress notification.
 */
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { buildExportFiles, exportFileSize, exportTargets, isExpectedExportError, type ExportRequest } from '../../interchange/export/files.js';
import { exportWith, type ExportFiles, type ExportFormat, type ExportOptions, type ExportOutcome, type ExportPlatform } from '../export/export-flow.js';
import type { FromExportWorker } from '../export/messages.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { readWorkspaceFile } from './workspace-files.js';
import { optionUri } from './option-uri.js';
import { checkWorkspaceWrites, writeWorkspaceFiles, type WorkspaceInput } from './workspace-writes.js';

/** The files of the request as URIs, and the inputs none of them may be. */
function plan(request: ExportRequest, files: ExportFiles): { targets: vscode.Uri[]; inputs: WorkspaceInput[] } {
    return {
        targets: exportTargets(request).map(file => files.target.with({ path: file })),
        inputs: [
            ...files.sources.map(uri => ({ uri, label: 'a .convnet source' })),
            ...(files.weights ? [{ uri: files.weights, label: 'the weights' }] : []),
        ],
    };
}

async function run(graph: NetworkGraph, request: ExportRequest, files: ExportFiles): Promise<FromExportWorker> {
    let weightsBytes: Uint8Array | undefined;
    if (files.weights) {
        try {
            weightsBytes = await readWorkspaceFile(files.weights, 'weights', 'the weights');
        } catch (e) {
            return { type: 'error', message: e instanceof Error ? e.message : String(e), expected: true };
        }
    }
    // Let the progress notification show before the export takes the extension host for a moment.
    await new Promise(resolve => setTimeout(resolve, 0));
    try {
        const { files: made, warnings } = buildExportFiles(graph, { ...request, weightsBytes });
        const { targets, inputs } = plan(request, files);
        const uriOf = new Map(exportTargets(request).map((file, i) => [file, targets[i]]));
        await writeWorkspaceFiles(made.map(f => ({ uri: uriOf.get(f.file) ?? files.target.with({ path: f.file }), bytes: f.bytes })), { replace: request.replace, inputs });
        return { type: 'done', files: made.map(f => ({ file: f.file, what: f.what, bytes: exportFileSize(f), described: f.what })), warnings };
    } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        return { type: 'error', message: error.message, expected: isExpectedExportError(e), stack: error.stack };
    }
}

const browserPlatform: ExportPlatform = {
    fileOf: uri => uri.path,
    uriOf: (file, like) => like.with({ path: file }),
    optionUri,
    refuseTarget: uri => (uri.scheme === 'untitled' || vscode.workspace.fs.isWritableFileSystem(uri.scheme) === false
        ? `export writes files through the workspace file system; ${uri.toString()} is not a file it can write.`
        : undefined),
    exists: async uri => {
        try {
            await vscode.workspace.fs.stat(uri);
            return true;
        } catch {
            return false;
        }
    },
    // The module's header names the .convnet file by its base name; the sources are inputs of `plan`.
    sources: sourceUri => ({ sourceFile: sourceUri.path }),
    checkTargets: async (request, files) => {
        const { targets, inputs } = plan(request, files);
        await checkWorkspaceWrites(targets, { replace: request.replace, inputs });
    },
    run,
};

export function exportInBrowser(client: BaseLanguageClient, format: ExportFormat, uriArg?: string, networkArg?: string, options: ExportOptions = {}): Promise<ExportOutcome | undefined> {
    return exportWith(browserPlatform, client, format, uriArg, networkArg, options);
}
