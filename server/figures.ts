/**
 * How figures read in the editor (hovers, inlay hints, lenses): the same numbers as `convnet summary --json`,
 * formatted for a person.
 */
import { formatShape, numel } from '../language/ops/shape-utils.js';
import { formatBytes, humanCount, withCommas } from '../language/util/format.js';
import type { GraphNode, NetworkGraph } from '../language/elaboration/graph.js';
import { sumParams } from '../language/elaboration/totals.js';

export { formatBytes, formatShape, humanCount, withCommas };

export function paramCounts(node: GraphNode): { weights: number; biases: number; buffers: number } {
    let weights = 0, biases = 0, buffers = 0;
    for (const p of node.params) {
        const n = numel(p.shape);
        if (p.kind === 'weight') weights += n;
        else if (p.kind === 'bias') biases += n;
        else buffers += n;
    }
    return { weights, biases, buffers };
}

export function outputShapes(graph: NetworkGraph, node: GraphNode): string {
    return node.outputs.map(t => formatShape(graph.tensors[t].shape)).join(', ');
}

export function inputShapes(graph: NetworkGraph, node: GraphNode): string {
    return node.inputs.map(t => formatShape(graph.tensors[t].shape)).join(', ');
}

/** Totals of a run of consecutive nodes (a block instance or a list). */
export function rangeTotals(graph: NetworkGraph, first: number, end: number) {
    return sumParams(graph.nodes.slice(first, end));
}

/** The node with the most MACs (or, among MAC-free nodes, the most FLOPs) in [first, end). */
export function mostExpensive(graph: NetworkGraph, first: number, end: number): GraphNode | undefined {
    let best: GraphNode | undefined;
    for (let i = first; i < end; i++) {
        const node = graph.nodes[i];
        if (!best || node.macs > best.macs || (node.macs === best.macs && node.flops > best.flops)) best = node;
    }
    return best;
}
