/**
 * Activation memory planned before anything runs: each tensor lives from the step that produces it (network
 * inputs from the start) to its last reader (network outputs to the end), and tensors whose lifetimes do not
 * overlap share space in one arena.
 *
 * Placement is TensorFlow Lite's greedy by decreasing size: each tensor goes to the lowest gap left by the tensors
 * already placed whose lifetimes overlap its own. On the examples that reaches the peak of live bytes, the bound no
 * plan can beat. Comparing each tensor with every tensor placed before it made that O(T²) (9 s for a chain of 40,000
 * layers), so the overlapping pairs are listed first by one sweep over the steps and each tensor looks only at its
 * own: O(P log P) for P pairs, and a chain has about 2 per tensor.
 *
 * A very wide graph has many pairs (n parallel branches alive at once: n²/2). Above MAX_PAIRS_PER_TENSOR pairs per
 * tensor the plan replays the run instead, placing each tensor as it is produced in the best-fitting free range and
 * releasing it after its last reader (runtime/free-ranges.ts): O(T log T) whatever the shape, with an arena up to
 * about a third above the peak (measured on the examples) — a price paid only by graphs no example comes near.
 */
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { FreeRanges } from './free-ranges.js';
import { elementCount } from './tensor.js';

/** What the planner reads of a graph: its tensors and ports, and the steps that read and write them in order. */
export interface PlannedGraph {
    readonly tensors: NetworkGraph['tensors'];
    readonly inputs: NetworkGraph['inputs'];
    readonly outputs: NetworkGraph['outputs'];
    readonly nodes: readonly { readonly index: number; readonly inputs: readonly number[]; readonly outputs: readonly number[] }[];
}

export interface MemoryPlan {
    /** Arena offset of each tensor, in float32 elements (−1 for tensors no node reads or writes). */
    readonly offsets: Int32Array | Float64Array;
    /** Total arena size in float32 elements. */
    readonly arenaElements: number;
    /** How the tensors were placed (see the module comment). */
    readonly method: 'greedy-by-size' | 'run-order';
    /** Pairs of tensors alive together that the greedy placement compared: its work (0 when the run was replayed). */
    readonly pairs: number;
}

/** Average overlapping lifetimes per tensor up to which the greedy placement is used (plus a floor for small graphs). */
export const MAX_PAIRS_PER_TENSOR = 16;
const MIN_PAIRS_LIMIT = 250_000;

/** Steps [first, last] in which each tensor is alive: −1 for network inputs, steps.length for outputs; last −1 if unused. */
export interface Lifetimes {
    readonly first: Float64Array;
    readonly last: Float64Array;
}

export function lifetimes(graph: PlannedGraph): Lifetimes {
    const count = graph.tensors.length;
    const first = new Float64Array(count).fill(-1);
    const last = new Float64Array(count).fill(-1);
    for (const input of graph.inputs) last[input.tensor] = Math.max(last[input.tensor], 0);
    for (const node of graph.nodes) {
        for (const t of node.inputs) last[t] = Math.max(last[t], node.index);
        for (const t of node.outputs) {
            first[t] = node.index;
            last[t] = Math.max(last[t], node.index);
        }
    }
    for (const output of graph.outputs) last[output.tensor] = graph.nodes.length;
    return { first, last };
}

/** `method` forces one placement (tests); by default the greedy one unless the graph has too many overlapping pairs. */
export function planMemory(graph: PlannedGraph, method?: MemoryPlan['method']): MemoryPlan {
    const life = lifetimes(graph);
    const sizes = graph.tensors.map(t => elementCount(t.shape));
    // A tensor no step touches (one a fused step skips) takes no space.
    const used = graph.tensors.map(t => t.id).filter(t => life.last[t] >= 0);
    const limit = method === 'greedy-by-size' ? Infinity : method === 'run-order' ? -1 : Math.max(MIN_PAIRS_LIMIT, MAX_PAIRS_PER_TENSOR * used.length);
    const overlaps = overlappingPairs(life, used, graph.nodes.length, limit);
    return overlaps ? placeBySize(used, sizes, overlaps) : placeInRunOrder(life, used, sizes, graph.nodes.length);
}

/** For each tensor, the tensors alive at some step with it, in compressed rows: neighbours[start[t] … start[t + 1]). */
interface Overlaps {
    readonly start: Int32Array;
    readonly neighbours: Int32Array;
}

/**
 * Every pair of tensors whose lifetimes overlap, from one sweep over the steps (a tensor that starts pairs with those
 * alive); undefined when there are more than `limit`, which is known from counting before any pair is listed.
 */
function overlappingPairs({ first, last }: Lifetimes, used: readonly number[], steps: number, limit: number): Overlaps | undefined {
    // Lifetimes are inclusive: at step s the tensors starting there are added before those ending there leave.
    const startingAt = bucketed(used, t => first[t] + 1, steps + 2);
    const endingAt = bucketed(used, t => last[t] + 1, steps + 2);
    let pairs = 0;
    let alive = 0;
    for (let s = 0; s < steps + 2; s++) {
        for (let i = startingAt.start[s]; i < startingAt.start[s + 1]; i++) pairs += alive++;
        alive -= endingAt.start[s + 1] - endingAt.start[s];
        if (pairs > limit) return undefined;
    }
    const a = new Int32Array(pairs);
    const b = new Int32Array(pairs);
    const degree = new Int32Array(first.length + 1);
    const active: number[] = [];
    const position = new Int32Array(first.length);
    let n = 0;
    for (let s = 0; s < steps + 2; s++) {
        for (let i = startingAt.start[s]; i < startingAt.start[s + 1]; i++) {
            const t = startingAt.items[i];
            for (const other of active) {
                a[n] = t;
                b[n++] = other;
                degree[t + 1]++;
                degree[other + 1]++;
            }
            position[t] = active.length;
            active.push(t);
        }
        for (let i = endingAt.start[s]; i < endingAt.start[s + 1]; i++) {
            const t = endingAt.items[i];
            const moved = active.pop()!; // swap-remove: the last takes t's place
            if (moved !== t) {
                active[position[t]] = moved;
                position[moved] = position[t];
            }
        }
    }
    const start = new Int32Array(first.length + 1);
    for (let t = 0; t < first.length; t++) start[t + 1] = start[t] + degree[t + 1];
    const fill = start.slice(0, first.length);
    const neighbours = new Int32Array(2 * pairs);
    for (let i = 0; i < pairs; i++) {
        neighbours[fill[a[i]]++] = b[i];
        neighbours[fill[b[i]]++] = a[i];
    }
    return { start, neighbours };
}

/** TensorFlow Lite's greedy by size: largest first, each at the lowest gap among the placed tensors alive with it. */
function placeBySize(used: readonly number[], sizes: readonly number[], { start, neighbours }: Overlaps): MemoryPlan {
    const order = [...used].sort((a, b) => sizes[b] - sizes[a] || a - b);
    const offsets = new Float64Array(sizes.length).fill(-1);
    let arenaElements = 0;
    const placedNeighbours: number[] = [];
    for (const t of order) {
        placedNeighbours.length = 0;
        for (let i = start[t]; i < start[t + 1]; i++) if (offsets[neighbours[i]] >= 0) placedNeighbours.push(neighbours[i]);
        placedNeighbours.sort((x, y) => offsets[x] - offsets[y]);
        let offset = 0;
        for (const o of placedNeighbours) {
            if (offsets[o] - offset >= sizes[t]) break;
            offset = Math.max(offset, offsets[o] + sizes[o]);
        }
        offsets[t] = offset;
        arenaElements = Math.max(arenaElements, offset + sizes[t]);
    }
    return { offsets, arenaElements, method: 'greedy-by-size', pairs: neighbours.length / 2 };
}

/** The run replayed: before step s its outputs are placed (largest first), after it the tensors it read last are released. */
function placeInRunOrder({ first, last }: Lifetimes, used: readonly number[], sizes: readonly number[], steps: number): MemoryPlan {
    const placedAt = bucketed(used, t => first[t] + 1, steps + 1);
    const released = bucketed(used.filter(t => last[t] < steps), t => Math.max(last[t], 0), steps);
    const offsets = new Float64Array(sizes.length).fill(-1);
    const free = new FreeRanges();
    let arenaElements = 0;
    for (let step = -1; step < steps; step++) {
        const placing = Array.from(placedAt.items.subarray(placedAt.start[step + 1], placedAt.start[step + 2])).sort((a, b) => sizes[b] - sizes[a] || a - b);
        for (const t of placing) {
            if (sizes[t] === 0) {
                offsets[t] = 0;
                continue;
            }
            const fit = free.take(sizes[t]);
            if (fit !== undefined) {
                offsets[t] = fit;
                continue;
            }
            // Nothing free is large enough: grow the arena, from the free range at its top if there is one.
            offsets[t] = free.takeEndingAt(arenaElements) ?? arenaElements;
            arenaElements = offsets[t] + sizes[t];
        }
        if (step < 0) continue;
        for (let i = released.start[step]; i < released.start[step + 1]; i++) {
            const t = released.items[i];
            if (sizes[t] > 0) free.release(offsets[t], sizes[t]);
        }
    }
    return { offsets, arenaElements, method: 'run-order', pairs: 0 };
}

/**
 * `items` grouped by `bucketOf(item)` in [0, buckets), each group in the items' order: bucket b is
 * items[start[b] … start[b + 1]). A counting sort into two typed arrays rather than an array per step.
 */
function bucketed(items: readonly number[], bucketOf: (item: number) => number, buckets: number): { start: Int32Array; items: Int32Array } {
    const start = new Int32Array(buckets + 1);
    for (const item of items) start[bucketOf(item) + 1]++;
    for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
    const next = start.slice(0, buckets);
    const sorted = new Int32Array(items.length);
    for (const item of items) sorted[next[bucketOf(item)]++] = item;
    return { start, items: sorted };
}
