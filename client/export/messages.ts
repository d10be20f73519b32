/** Messages between the extension host and the export worker (client/export/worker.ts). */
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { ExportRequest } from '../../interchange/export/files.js';

export interface StartExport {
    readonly graph: NetworkGraph;
    readonly request: ExportRequest;
}

export type FromExportWorker =
    | { readonly type: 'done'; readonly files: { file: string; what: string; bytes: number; described: string }[]; readonly warnings: readonly string[] }
    /** `expected`: a problem of the network or the files (one readable sentence); else a bug, with its stack. */
    | { readonly type: 'error'; readonly message: string; readonly expected: boolean; readonly stack?: string };
