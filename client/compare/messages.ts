/** What ConvNet: Compare with… asks its worker (client/compare/worker.ts) and what comes back. */
import type { NetworkDiff } from '../../language/analysis/diff.js';
import type { CompareGraph } from './graph-marks.js';

/** One side of a comparison: an editor's text (maybe unsaved), a file on disk, or a file's version in git. */
export type CompareSource =
    | { readonly kind: 'text'; readonly uri: string; readonly text: string; readonly label: string; readonly network?: string }
    | { readonly kind: 'file'; readonly path: string; readonly label: string; readonly network?: string }
    | { readonly kind: 'git'; readonly path: string; readonly rev: string; readonly label: string; readonly network?: string };

export interface StartCompare {
    readonly before: CompareSource;
    readonly after: CompareSource;
}

export type FromCompareWorker =
    /** The newer design's graph with its changes marked (absent when it could not be drawn). */
    | { readonly type: 'diff'; readonly diff: NetworkDiff; readonly afterUri: string; readonly graph?: CompareGraph }
    /** A side declares several networks and none was named: the person picks one, then the comparison runs again. */
    | { readonly type: 'choose'; readonly side: 'before' | 'after'; readonly networks: readonly string[] }
    | { readonly type: 'error'; readonly message: string };
