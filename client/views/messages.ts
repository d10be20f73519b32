/**
 * The messages the extension posts to its webview pages (client/media/summary.js, graph.js, run.js), made here
 * without the `vscode` module so the pages can also be fed outside the editor (test/editor/webview-pages.ts).
 */
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { SummaryResult } from '../../server/protocol.js';
import type { FromWorker } from '../run/messages.js';

export type RunDone = Extract<FromWorker, { type: 'done' }>;

/** Most channels drawn for one layer; a grid of more is unreadable. */
const MAX_CHANNELS = 64;

export interface SummaryMessage extends SummaryResult {
    readonly type: 'summary';
    readonly network: string;
}

export function summaryMessage(network: string, result: SummaryResult): SummaryMessage {
    return { type: 'summary', network, ...result };
}

export interface GraphMessage {
    readonly type: 'graph';
    readonly network: string;
    readonly svg: string;
    /** Layers of the network (all of them, folded or not). */
    readonly layers: number;
    /** Blocks drawn folded as one box. */
    readonly folded: number;
}

export function graphMessage(network: string, graph: NetworkGraph, svg: string, folded: number): GraphMessage {
    return { type: 'graph', network, svg, layers: graph.nodes.length, folded };
}

/** Networks with more layers than this open with every block instance folded. */
export const FOLD_BLOCKS_ABOVE = 60;

/** The modules (by name) the graph view folds when it opens: every block of a large network, none of a small one. */
export function initiallyFolded(graph: NetworkGraph): Set<string> {
    return new Set(graph.nodes.length > FOLD_BLOCKS_ABOVE ? graph.modules.filter(m => m.kind === 'block').map(m => m.name) : []);
}

/** Module indices of `graph` for folded module names (names survive edits that renumber modules). */
export function foldedIndices(graph: NetworkGraph, folded: ReadonlySet<string>): Set<number> {
    return new Set(graph.modules.filter(m => folded.has(m.name)).map(m => m.index));
}

export interface GraphErrorsMessage {
    readonly type: 'errors';
    readonly errors: string[];
}

export interface RunResultMessage extends Omit<RunDone, 'type'> {
    readonly type: 'result';
    /** The ImageNet class of each top-5 entry, by output name (for a 1000-way output). */
    readonly top5Labels?: Record<string, string[]>;
    /** Every layer, for the feature-map picker. */
    readonly layers: { index: number; name: string; op: string; shape: readonly number[] }[];
}

/** The result of a run; `imagenetClasses` (client/media/imagenet-classes.json) labels a 1000-way top-5. */
export function runResultMessage(result: RunDone, graph: NetworkGraph, imagenetClasses?: () => readonly string[]): RunResultMessage {
    const classes = imagenetClasses && result.outputs.some(o => o.top5 && o.shape[o.shape.length - 1] === 1000) ? imagenetClasses() : undefined;
    return {
        ...result, type: 'result',
        top5Labels: classes ? Object.fromEntries(result.outputs.map(o => [o.name, (o.top5 ?? []).map(t => classes[t.index] ?? '')])) : undefined,
        layers: graph.nodes.map(n => ({ index: n.index, name: n.name, op: n.op, shape: graph.tensors[n.outputs[0]].shape })),
    };
}

/** Each channel of an [N, C, …spatial] tensor scaled to 0…255 on its own range, as base64 bytes. */
export function featureMapPixels(shape: readonly number[], data: Float32Array): { channels: number; height: number; width: number; pixels: string } {
    const spatial = shape.slice(2);
    const height = spatial.length >= 2 ? spatial[spatial.length - 2] : 1;
    const width = spatial.length >= 1 ? spatial[spatial.length - 1] : 1;
    const depth = spatial.length === 3 ? spatial[0] : 1;
    const plane = height * width;
    const channels = Math.min(shape[1] ?? 1, MAX_CHANNELS);
    const bytes = new Uint8Array(channels * plane);
    for (let c = 0; c < channels; c++) {
        // Batch item 0; for a 3-D map, its middle slice.
        const offset = (c * depth + Math.floor(depth / 2)) * plane;
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < plane; i++) {
            const v = data[offset + i];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        const scale = max > min ? 255 / (max - min) : 0;
        for (let i = 0; i < plane; i++) bytes[c * plane + i] = Math.round((data[offset + i] - min) * scale);
    }
    return { channels, height, width, pixels: Buffer.from(bytes).toString('base64') };
}

export function featureMapsMessage(node: number, shape: readonly number[], data: Float32Array) {
    return { type: 'featureMaps' as const, node, shape, ...featureMapPixels(shape, data) };
}

export function runProgressMessage(done: number, total: number, layer: string) {
    return { type: 'progress' as const, done, total, layer };
}

export function runErrorMessage(message: string) {
    return { type: 'error' as const, message };
}

/** A run the person stopped: information, not a failure ("Run cancelled after 12 of 60 layers"). */
export function runCancelledMessage(message: string) {
    return { type: 'cancelled' as const, message: message.charAt(0).toUpperCase() + message.slice(1) };
}
