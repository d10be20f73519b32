/**
 * Exports a network off the editor's thread (a worker thread of the extension host) with the code
 * `convnet export` uses (interchange/export/files.ts): makes every file in memory, then writes them.
 */
import { parentPort } from 'node:worker_threads';
import { buildExportFiles, describeExportFile, exportFileSize, isExpectedExportError, writeExportFiles } from '../../interchange/export/files.js';
import type { FromExportWorker, StartExport } from './messages.js';

function post(message: FromExportWorker): void {
    parentPort!.postMessage(message);
}

parentPort!.once('message', ({ graph, request }: StartExport) => {
    try {
        const { files, warnings } = buildExportFiles(graph, request);
        writeExportFiles(files, request);
        post({ type: 'done', files: files.map(f => ({ file: f.file, what: f.what, bytes: exportFileSize(f), described: describeExportFile(f) })), warnings });
    } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        post({ type: 'error', message: error.message, expected: isExpectedExportError(e), stack: error.stack });
    }
});
