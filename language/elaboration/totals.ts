/** Network totals: parameters split by kind, MACs, FLOPs, total and peak activation memory. */
import { numel } from '../ops/shape-utils.js';
import type { GraphNode, GraphPort, GraphTensor, Totals } from './graph.js';

const BYTES_PER_ELEMENT = 4;

export function sumParams(nodes: Iterable<GraphNode>): Pick<Totals, 'params' | 'weights' | 'biases' | 'buffers' | 'macs' | 'flops'> {
    let weights = 0, biases = 0, buffers = 0, macs = 0, flops = 0;
    for (const node of nodes) {
        for (const p of node.params) {
            const n = numel(p.shape);
            if (p.kind === 'weight') weights += n;
            else if (p.kind === 'bias') biases += n;
            else buffers += n;
        }
        macs += node.macs;
        flops += node.flops;
    }
    return { params: weights + biases, weights, biases, buffers, macs, flops };
}

/**
 * Activation bytes alive at the worst moment when nodes run in order: a tensor is allocated when produced
 * (inputs from the start) and freed after its last reader; network outputs live to the end.
 */
export function peakActivationBytes(nodes: readonly GraphNode[], tensors: readonly GraphTensor[], inputs: readonly GraphPort[], outputs: readonly GraphPort[]): number {
    const lastUse = new Int32Array(tensors.length).fill(-1);
    nodes.forEach(node => node.inputs.forEach(t => (lastUse[t] = node.index)));
    for (const out of outputs) lastUse[out.tensor] = nodes.length;
    const bytes = (t: number) => numel(tensors[t].shape) * BYTES_PER_ELEMENT;
    const freedAfter: number[][] = Array.from({ length: nodes.length }, () => []);
    let live = 0;
    for (const input of inputs) {
        live += bytes(input.tensor);
        if (lastUse[input.tensor] >= 0 && lastUse[input.tensor] < nodes.length) freedAfter[lastUse[input.tensor]].push(input.tensor);
    }
    let peak = live;
    for (const node of nodes) {
        for (const t of node.outputs) {
            live += bytes(t);
            if (lastUse[t] === -1) freedAfter[node.index].push(t); // never read: dropped at once
            else if (lastUse[t] < nodes.length) freedAfter[lastUse[t]].push(t);
        }
        peak = Math.max(peak, live);
        for (const t of freedAfter[node.index]) live -= bytes(t);
    }
    return peak;
}

export function computeTotals(nodes: readonly GraphNode[], tensors: readonly GraphTensor[], inputs: readonly GraphPort[], outputs: readonly GraphPort[]): Totals {
    const memory = tensors.reduce((sum, t) => sum + numel(t.shape) * BYTES_PER_ELEMENT, 0);
    return { ...sumParams(nodes), memory, peakMemory: peakActivationBytes(nodes, tensors, inputs, outputs) };
}
