/**
 * Two designs side by side: aligns the layers of two networks and says which were added, removed or changed, with
 * the totals' deltas and ratios. Every figure is the one the summary has (language/analysis/summary.ts); this module
 * only pairs layers and subtracts.
 *
 * Alignment, in time linear in the networks but for a bounded structural step:
 * 1. by hierarchical name (a map), since names are PyTorch's module names and survive most edits;
 * 2. the layers left over on both sides are aligned by structure: between consecutive name-matched layers (the
 *    anchors, kept in order on both sides), the longest common subsequence of their ops pairs renamed layers
 *    (`fc` → `classifier.1`). Segments too large for the quadratic table are paired greedily by op, in order.
 * Pure: no Node, no editor; never throws on well-formed graphs.
 */
import type { NetworkGraph } from '../elaboration/graph.js';
import { COST_CONVENTION } from '../elaboration/graph.js';
import type { AttrValue, Attrs } from '../ops/types.js';
import { summarizeNetwork, type LayerSummary, type NetworkSummary } from './summary.js';

/** What can differ between two aligned layers. */
export type LayerFigure = 'name' | 'op' | 'attributes' | 'output' | 'params' | 'macs' | 'flops' | 'memory' | 'receptiveField';

export const LAYER_FIGURES: readonly LayerFigure[] = ['name', 'op', 'attributes', 'output', 'params', 'macs', 'flops', 'memory', 'receptiveField'];

/** One side of an aligned row: the layer's summary figures, its attributes and its index in its network. */
export interface DiffSide extends LayerSummary {
    readonly index: number;
    readonly attrs: Attrs;
}

export interface AttributeChange {
    readonly name: string;
    readonly before?: AttrValue;
    readonly after?: AttrValue;
}

export type DiffStatus = 'added' | 'removed' | 'changed' | 'same';

export interface DiffLayer {
    readonly status: DiffStatus;
    /** How the two sides were paired: by name, or by their place in the op sequence (a renamed layer). */
    readonly match?: 'name' | 'structure';
    /** The layer in the first network (absent when added). */
    readonly before?: DiffSide;
    /** The layer in the second network (absent when removed). */
    readonly after?: DiffSide;
    /** The figures that differ (empty when the status is `same`, every present figure when added or removed). */
    readonly changes: readonly LayerFigure[];
    readonly attributes: readonly AttributeChange[];
    /** after − before (a missing side counts 0). */
    readonly delta: { readonly params: number; readonly macs: number; readonly flops: number; readonly memory: number };
}

/** A module (block instance or list) found on one side only, all of whose layers are added or removed. */
export interface DiffModule {
    readonly status: 'added' | 'removed';
    readonly name: string;
    readonly kind: 'block' | 'list';
    readonly block?: string;
    /** Indices in `layers` of the module's rows. */
    readonly rows: readonly number[];
    readonly params: number;
    readonly macs: number;
}

export interface TotalDelta {
    readonly before: number;
    readonly after: number;
    readonly delta: number;
    /** after / before; null when before is 0. */
    readonly ratio: number | null;
}

export const TOTAL_KEYS = ['params', 'weights', 'biases', 'buffers', 'macs', 'flops', 'memory', 'peakMemory', 'layers'] as const;
export type TotalKey = typeof TOTAL_KEYS[number];

export interface NetworkSide {
    readonly name: string;
    /** Where it was read from, as the caller names it (`a.convnet`, `a.convnet (HEAD)`). */
    readonly label: string;
    readonly inputs: NetworkSummary['inputs'];
    readonly outputs: NetworkSummary['outputs'];
}

export interface NetworkDiff {
    readonly before: NetworkSide;
    readonly after: NetworkSide;
    /** Rows in the second network's order, each removed layer placed where it stood among the aligned ones. */
    readonly layers: readonly DiffLayer[];
    /** Outermost modules found on one side only (so a report can show `layer1.2 BasicBlock added` as one line). */
    readonly modules: readonly DiffModule[];
    readonly totals: Readonly<Record<TotalKey, TotalDelta>>;
    readonly counts: { readonly added: number; readonly removed: number; readonly changed: number; readonly renamed: number; readonly same: number };
    /** No layer differs and no total differs. */
    readonly identical: boolean;
    readonly conventions: typeof COST_CONVENTION;
}

/** Largest segment (unmatched layers before × after) aligned by the quadratic LCS; larger ones are paired greedily. */
export const MAX_LCS_CELLS = 250_000;

export interface DiffLabels {
    readonly before?: string;
    readonly after?: string;
}

export function diffNetworks(before: NetworkGraph, after: NetworkGraph, labels: DiffLabels = {}): NetworkDiff {
    const a = summarizeNetwork(before);
    const b = summarizeNetwork(after);
    const sidesA = a.layers.map((l, i): DiffSide => ({ ...l, index: i, attrs: before.nodes[i].attrs }));
    const sidesB = b.layers.map((l, i): DiffSide => ({ ...l, index: i, attrs: after.nodes[i].attrs }));
    const { pairOfB, how } = alignLayers(sidesA, sidesB);

    const matchedA = new Uint8Array(sidesA.length);
    for (const i of pairOfB) if (i >= 0) matchedA[i] = 1;
    const layers: DiffLayer[] = [];
    const rowOfB = new Int32Array(sidesB.length);
    const rowOfA = new Int32Array(sidesA.length);
    let nextA = 0;
    const emitRemovedBefore = (end: number) => {
        for (; nextA < end; nextA++) {
            if (matchedA[nextA]) continue;
            rowOfA[nextA] = layers.length;
            layers.push(oneSided('removed', sidesA[nextA]));
        }
    };
    sidesB.forEach((side, j) => {
        const i = pairOfB[j];
        if (i >= 0) {
            emitRemovedBefore(i);
            if (nextA === i) nextA++;
            rowOfA[i] = layers.length;
            rowOfB[j] = layers.length;
            layers.push(paired(sidesA[i], side, how[j] ? 'structure' : 'name'));
        } else {
            rowOfB[j] = layers.length;
            layers.push(oneSided('added', side));
        }
    });
    emitRemovedBefore(sidesA.length);

    const counts = { added: 0, removed: 0, changed: 0, renamed: 0, same: 0 };
    for (const row of layers) {
        counts[row.status]++;
        if (row.match === 'structure') counts.renamed++;
    }
    const total = (key: Exclude<TotalKey, 'layers'>): TotalDelta => delta(a[key], b[key]);
    const totals = {
        params: total('params'), weights: total('weights'), biases: total('biases'), buffers: total('buffers'),
        macs: total('macs'), flops: total('flops'), memory: total('memory'), peakMemory: total('peakMemory'),
        layers: delta(a.layers.length, b.layers.length),
    };
    const modules = [
        ...oneSidedModules('removed', before, a, new Set(after.modules.map(m => m.name)), layers, rowOfA),
        ...oneSidedModules('added', after, b, new Set(before.modules.map(m => m.name)), layers, rowOfB),
    ].sort((x, y) => x.rows[0] - y.rows[0]);
    const identical = counts.same === layers.length && TOTAL_KEYS.every(k => totals[k].delta === 0);
    return {
        before: side(a, labels.before ?? before.name),
        after: side(b, labels.after ?? after.name),
        layers, modules, totals, counts, identical, conventions: COST_CONVENTION,
    };
}

function side(s: NetworkSummary, label: string): NetworkSide {
    return { name: s.name, label, inputs: s.inputs, outputs: s.outputs };
}

function delta(before: number, after: number): TotalDelta {
    return { before, after, delta: after - before, ratio: before === 0 ? null : after / before };
}

function oneSided(status: 'added' | 'removed', layer: DiffSide): DiffLayer {
    const sign = status === 'added' ? 1 : -1;
    const changes = LAYER_FIGURES.filter(f => f !== 'name' && (f !== 'receptiveField' || layer.receptiveField) && (f !== 'attributes' || Object.keys(layer.attrs).length > 0));
    return {
        status, ...(status === 'added' ? { after: layer } : { before: layer }), changes,
        attributes: Object.keys(layer.attrs).sort().map(name => (status === 'added' ? { name, after: layer.attrs[name] } : { name, before: layer.attrs[name] })),
        delta: { params: sign * layer.params, macs: sign * layer.macs, flops: sign * layer.flops, memory: sign * layer.memory },
    };
}

function paired(before: DiffSide, after: DiffSide, match: 'name' | 'structure'): DiffLayer {
    const attributes = attributeChanges(before.attrs, after.attrs);
    const changes: LayerFigure[] = [];
    if (before.name !== after.name) changes.push('name');
    if (before.op !== after.op) changes.push('op');
    if (attributes.length > 0) changes.push('attributes');
    if (!sameShapes(before, after)) changes.push('output');
    for (const key of ['params', 'macs', 'flops', 'memory'] as const) if (before[key] !== after[key]) changes.push(key);
    if (!sameNumbers(before.receptiveField, after.receptiveField) || !sameNumbers(before.jump, after.jump)) changes.push('receptiveField');
    return {
        status: changes.length === 0 ? 'same' : 'changed', match, before, after, changes, attributes,
        delta: { params: after.params - before.params, macs: after.macs - before.macs, flops: after.flops - before.flops, memory: after.memory - before.memory },
    };
}

function sameShapes(a: LayerSummary, b: LayerSummary): boolean {
    if (!sameNumbers(a.output, b.output)) return false;
    const outsA = a.outputs ?? [a.output];
    const outsB = b.outputs ?? [b.output];
    return outsA.length === outsB.length && outsA.every((s, i) => sameNumbers(s, outsB[i]));
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameValue(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
    return a === b;
}

function attributeChanges(before: Attrs, after: Attrs): AttributeChange[] {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return names.filter(n => !sameValue(before[n], after[n])).map(name => ({
        name, ...(name in before ? { before: before[name] } : {}), ...(name in after ? { after: after[name] } : {}),
    }));
}

/**
 * For each layer of `b`, the index of its partner in `a` (−1 when added) and whether the pairing is structural.
 * Exported for tests of the alignment alone.
 */
export function alignLayers(a: readonly { name: string; op: string }[], b: readonly { name: string; op: string }[]): { pairOfB: Int32Array; how: Uint8Array } {
    const pairOfB = new Int32Array(b.length).fill(-1);
    const how = new Uint8Array(b.length);
    const indexOfA = new Map<string, number>();
    a.forEach((layer, i) => { if (!indexOfA.has(layer.name)) indexOfA.set(layer.name, i); });
    const taken = new Uint8Array(a.length);
    b.forEach((layer, j) => {
        const i = indexOfA.get(layer.name);
        if (i !== undefined && !taken[i]) {
            pairOfB[j] = i;
            taken[i] = 1;
        }
    });
    // Anchors: the longest run of name matches in the same order on both sides (a patience-sort LIS).
    const anchorsB = longestIncreasing(pairOfB);
    // Segment k holds the unmatched layers between anchor k − 1 and anchor k (on each side).
    const segmentsA: number[][] = [[]];
    const segmentsB: number[][] = [[]];
    let k = 0;
    for (let i = 0; i < a.length; i++) {
        if (k < anchorsB.length && pairOfB[anchorsB[k]] === i) {
            k++;
            segmentsA.push([]);
        } else if (!taken[i]) segmentsA[k].push(i);
    }
    k = 0;
    for (let j = 0; j < b.length; j++) {
        if (k < anchorsB.length && anchorsB[k] === j) {
            k++;
            segmentsB.push([]);
        } else if (pairOfB[j] < 0) segmentsB[k].push(j);
    }
    for (let s = 0; s < segmentsB.length; s++) {
        const left = segmentsA[s] ?? [];
        const right = segmentsB[s];
        if (left.length === 0 || right.length === 0) continue;
        for (const [i, j] of alignByOp(left.map(i => a[i].op), right.map(j => b[j].op))) {
            pairOfB[right[j]] = left[i];
            how[right[j]] = 1;
        }
    }
    return { pairOfB, how };
}

/** Indices j (increasing) of the longest subsequence of matched entries whose values increase. */
function longestIncreasing(values: Int32Array): number[] {
    const tails: number[] = []; // tails[len] = index j ending an increasing run of length len + 1 with the smallest value
    const previous = new Int32Array(values.length).fill(-1);
    for (let j = 0; j < values.length; j++) {
        const v = values[j];
        if (v < 0) continue;
        let lo = 0;
        let hi = tails.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (values[tails[mid]] < v) lo = mid + 1;
            else hi = mid;
        }
        previous[j] = lo > 0 ? tails[lo - 1] : -1;
        tails[lo] = j;
    }
    const run: number[] = [];
    for (let j = tails.length ? tails[tails.length - 1] : -1; j >= 0; j = previous[j]) run.push(j);
    return run.reverse();
}

/** How far the greedy alignment of large networks looks ahead for a layer's op. */
const LOOK_AHEAD = 64;

/** Pairs (i, j) of equal ops, in order on both sides: the LCS when the table is small, else greedy by op. */
function alignByOp(left: readonly string[], right: readonly string[]): [number, number][] {
    const n = left.length;
    const m = right.length;
    if (n * m > MAX_LCS_CELLS) {
        const pairs: [number, number][] = [];
        let i = 0;
        for (let j = 0; j < m && i < n; j++) {
            // Look a bounded way ahead (at most LOOK_AHEAD layers), so the pass stays linear.
            const end = Math.min(n, i + LOOK_AHEAD + 1);
            let k = i;
            while (k < end && left[k] !== right[j]) k++;
            if (k < end) {
                pairs.push([k, j]);
                i = k + 1;
            }
        }
        return pairs;
    }
    const width = m + 1;
    const table = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
            table[i * width + j] = left[i] === right[j] ? table[(i + 1) * width + j + 1] + 1 : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
        }
    }
    const pairs: [number, number][] = [];
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
        if (left[i] === right[j]) {
            pairs.push([i, j]);
            i++;
            j++;
        } else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) i++;
        else j++;
    }
    return pairs;
}

function oneSidedModules(status: 'added' | 'removed', graph: NetworkGraph, s: NetworkSummary, otherNames: ReadonlySet<string>,
    layers: readonly DiffLayer[], rowOf: Int32Array): DiffModule[] {
    const result: DiffModule[] = [];
    const covered = new Uint8Array(graph.modules.length);
    for (const m of graph.modules) {
        // Parents come before their children: a module inside a reported one is covered by it.
        if (m.parent >= 0 && covered[m.parent]) {
            covered[m.index] = 1;
            continue;
        }
        if (otherNames.has(m.name) || m.endNode <= m.firstNode) continue;
        const rows: number[] = [];
        let all = true;
        for (let n = m.firstNode; n < m.endNode && all; n++) {
            const row = rowOf[n];
            all = layers[row].status === status;
            rows.push(row);
        }
        if (!all) continue;
        covered[m.index] = 1;
        const summary = s.modules[m.index];
        result.push({ status, name: m.name, kind: m.kind, ...(m.block ? { block: m.block } : {}), rows, params: summary.params, macs: summary.macs });
    }
    return result;
}
