/**
 * The Compare view's graph: the newer design (the comparison's `after` side) drawn by the Graph view's own layout
 * and renderer (language/render/graph-layout.ts), with the layers added or changed relative to the other design
 * marked. Blocks the comparison left untouched stay folded as in the Graph view; a block holding a change is
 * unfolded so that each marked layer has a box of its own (a folded "×N" box would mix added and unchanged blocks).
 * Free of the `vscode` module: the comparison's worker draws it, and test/editor/webview-pages.ts feeds it to the page.
 */
import type { NetworkDiff } from '../../language/analysis/diff.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { layoutGraph, renderSvg } from '../../language/render/graph-layout.js';
import { foldedIndices, initiallyFolded } from '../views/messages.js';

export type ChangeMark = 'added' | 'changed';

export interface CompareGraph {
    readonly network: string;
    /** The SVG of the newer design; its layers' boxes carry `data-node`, its frames and folded boxes `data-module`. */
    readonly svg: string;
    /** Layers of the newer design, and blocks drawn folded. */
    readonly layers: number;
    readonly folded: number;
    /** By node index (`data-node`): layers added or changed (not those whose receptive field alone changed). */
    readonly nodes: Readonly<Record<number, ChangeMark>>;
    /** By module index (`data-module`): blocks and lists holding a change — added when every layer in them is. */
    readonly modules: Readonly<Record<number, ChangeMark>>;
    /** Layers of the other design that the newer one no longer has (the graph cannot show them). */
    readonly removed: number;
    /** Layers left unmarked whose receptive field alone changed (a change upstream). */
    readonly receptiveFieldOnly: number;
}

/** Which layers and modules of `after` (the diff's `after` side) are added or changed. */
export function changeMarks(diff: NetworkDiff, after: NetworkGraph): { nodes: Record<number, ChangeMark>; modules: Record<number, ChangeMark> } {
    const nodes: Record<number, ChangeMark> = {};
    for (const row of diff.layers) {
        if (!row.after || row.status === 'same' || row.status === 'removed') continue;
        // A layer whose only difference is its receptive field is the same layer after a change upstream (every
        // layer after an added block): marking it would mark half the network and hide what was edited.
        if (row.status === 'changed' && row.changes.every(c => c === 'receptiveField')) continue;
        nodes[row.after.index] = row.status;
    }
    const modules: Record<number, ChangeMark> = {};
    for (const module of after.modules) {
        let marked = 0;
        let added = 0;
        for (let i = module.firstNode; i < module.endNode; i++) {
            if (nodes[i]) marked++;
            if (nodes[i] === 'added') added++;
        }
        if (marked > 0) modules[module.index] = added === module.endNode - module.firstNode ? 'added' : 'changed';
    }
    return { nodes, modules };
}

/** Lays out and draws `after` with its changes marked (the worker calls this; ELK runs off the editor's thread). */
export async function compareGraph(diff: NetworkDiff, after: NetworkGraph): Promise<CompareGraph> {
    const { nodes, modules } = changeMarks(diff, after);
    const folded = foldedIndices(after, initiallyFolded(after));
    for (const index of Object.keys(modules)) folded.delete(Number(index));
    const layout = await layoutGraph(after, folded);
    // The page reveals a clicked layer by its line; the boxes need not carry the source file's full path.
    const svg = renderSvg(layout, after.name, { sourceLinks: false });
    return { network: after.name, svg, layers: after.nodes.length, folded: folded.size, nodes, modules, removed: diff.counts.removed,
        receptiveFieldOnly: diff.layers.filter(row => row.status === 'changed' && row.changes.every(c => c === 'receptiveField')).length };
}

/** What the Compare view posts to its page (client/media/compare.js). */
export function compareMessage(diff: NetworkDiff, graph?: CompareGraph): { type: 'diff'; diff: NetworkDiff; graph?: CompareGraph } {
    return { type: 'diff', diff, ...(graph ? { graph } : {}) };
}
