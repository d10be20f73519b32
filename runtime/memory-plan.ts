/**
 * Activation memory planned before anything runs: each tensor lives from the node that produces it (network
 * inputs from the start) to its last reader (network outputs to the end), and tensors whose lifetimes do not
 * overlap share space in one arena. Placement is greedy by decreasing size, first fit between live neighbours
 * (as TensorFlow Lite's arena planner) — close to the true peak, computed in O(T²) for T tensors.
 */
import type { NetworkGraph } from '../language/elaboration/graph.js';
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
}

export function planMemory(graph: PlannedGraph): MemoryPlan {
    const count = graph.tensors.length;
    const first = new Float64Array(count).fill(-1);
    const last = new Float64Array(count).fill(-1);
    for (const input of graph.inputs) {
        first[input.tensor] = -1;
        last[input.tensor] = Math.max(last[input.tensor], 0);
    }
    for (const node of graph.nodes) {
        for (const t of node.inputs) last[t] = Math.max(last[t], node.index);
        for (const t of node.outputs) {
            first[t] = node.index;
            last[t] = Math.max(last[t], node.index);
        }
    }
    for (const output of graph.outputs) last[output.tensor] = graph.nodes.length;
    const sizes = graph.tensors.map(t => elementCount(t.shape));
    // A tensor no step touches (one a fused step skips) takes no space.
    const order = graph.tensors.map(t => t.id).filter(t => last[t] >= 0).sort((a, b) => sizes[b] - sizes[a] || a - b);
    const offsets = new Float64Array(count).fill(-1);
    const placed: number[] = [];
    let arenaElements = 0;
    for (const t of order) {
        // Intervals already placed whose lifetimes overlap t's, sorted by offset: take the first gap that fits.
        const overlapping = placed
            .filter(o => first[o] <= last[t] && first[t] <= last[o])
            .sort((a, b) => offsets[a] - offsets[b]);
        let offset = 0;
        for (const o of overlapping) {
            if (offsets[o] - offset >= sizes[t]) break;
            offset = Math.max(offset, offsets[o] + sizes[o]);
        }
        offsets[t] = offset;
        placed.push(t);
        arenaElements = Math.max(arenaElements, offset + sizes[t]);
    }
    return { offsets, arenaElements };
}
