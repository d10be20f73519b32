/**
 * ConvNet: Export to ONNX, ConvNet: Export to PyTorch and ConvNet: Export Training Script on the desktop (a
 * torchrun-ready script, with the PyTorch module it imports written beside it as `<network>.py`). The dialogs and
 * the outcome are ./export-flow.ts's (shared with the browser, ../web/export.ts); here the files are on disk, and
 * the export runs in a worker thread with the code `convnet export` uses (interchange/export/files.ts), which reads
 * the weights within io/bounded-read.ts's limits and writes every file or none (io/safe-write.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { checkExportTargets } from '../../interchange/export/files.js';
import { exportWith, lastExport, type ExportFormat, type ExportOptions, type ExportOutcome, type ExportPlatform } from './export-flow.js';
import type { FromExportWorker, StartExport } from './messages.js';

export { lastExport, type ExportFormat, type ExportOptions, type ExportOutcome };

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

/** Files on disk: a request names them by their paths. */
function desktopPlatform(context: vscode.ExtensionContext): ExportPlatform {
    return {
        fileOf: uri => uri.fsPath,
        uriOf: file => vscode.Uri.file(file),
        optionUri: value => (value instanceof vscode.Uri ? value : value.startsWith('file:') ? vscode.Uri.parse(value) : vscode.Uri.file(value)),
        refuseTarget: uri => (uri.scheme === 'file' ? undefined : `export writes files on disk; ${uri.toString()} is not one.`),
        exists: async uri => fs.existsSync(uri.fsPath),
        // The .convnet files on disk a network was elaborated from: never written over by its export.
        sources: (sourceUri, graph, targetUri) => ({
            sourceFile: sourceUri.scheme === 'file' ? sourceUri.fsPath : targetUri,
            otherSources: [...new Set([graph.uri, ...graph.nodes.map(n => n.source.uri)])].filter(u => u.startsWith('file:')).map(u => vscode.Uri.parse(u).fsPath),
        }),
        checkTargets: async request => checkExportTargets(request),
        run: (graph, request) => runWorker(context, { graph, request }),
    };
}

export function exportNetwork(context: vscode.ExtensionContext, client: LanguageClient, format: ExportFormat, uriArg?: string, networkArg?: string, options: ExportOptions = {}): Promise<ExportOutcome | undefined> {
    return exportWith(desktopPlatform(context), client, format, uriArg, networkArg, options);
}
