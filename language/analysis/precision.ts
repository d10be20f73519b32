/**
 * The summary's bytes at another number format: weights, activations and the memory traffic of one inference
 * (every layer reads its inputs and parameters and writes its outputs once), and for a quantised format the
 * bit-operations of the layers that multiply (BOPs = MACs × bits of the weights × bits of the activations, as in
 * the quantisation literature, e.g. Baskin et al., "UNIQ", and thop #202). Counts come from the graph, whose costs
 * come from the op specs.
 */
import type { NetworkGraph } from '../elaboration/graph.js';
import { numel } from '../ops/shape-utils.js';
import { formatBytes, humanCount, withCommas } from '../util/format.js';

/** Number formats of inference. `mixed` (16-bit activations, float32 weights) is a training format: training-memory.ts. */
export const INFERENCE_PRECISIONS = ['fp32', 'fp16', 'bf16', 'int8'] as const;
export type InferencePrecision = typeof INFERENCE_PRECISIONS[number];

const BITS: Readonly<Record<InferencePrecision, number>> = { fp32: 32, fp16: 16, bf16: 16, int8: 8 };

export interface PrecisionLayer {
    readonly name: string;
    readonly op: string;
    /** Its outputs at this format (the summary's `memory`, which is float32, rescaled). */
    readonly activationBytes: number;
    /** Parameters and buffers read, inputs read and outputs written, in bytes. */
    readonly trafficBytes: number;
    /** Bit-operations, for a quantised format and a layer that multiplies; absent otherwise. */
    readonly bops?: number;
}

export interface PrecisionReport {
    readonly precision: InferencePrecision;
    readonly bitsPerElement: number;
    /** Parameters and buffers (BN statistics) at this format. */
    readonly weightBytes: number;
    /** Every activation (the summary's `memory`) at this format. */
    readonly activationBytes: number;
    readonly peakActivationBytes: number;
    readonly trafficBytes: number;
    /** Total bit-operations of the quantised layers (int8); absent for floating-point formats. */
    readonly bops?: number;
    readonly layers: readonly PrecisionLayer[];
}

export function precisionReport(graph: NetworkGraph, precision: InferencePrecision): PrecisionReport {
    const bits = BITS[precision];
    const bytes = bits / 8;
    const quantised = precision === 'int8';
    const layers = graph.nodes.map((node): PrecisionLayer => {
        const elements = node.inputs.reduce((s, t) => s + numel(graph.tensors[t].shape), 0)
            + node.outputs.reduce((s, t) => s + numel(graph.tensors[t].shape), 0)
            + node.params.reduce((s, p) => s + numel(p.shape), 0);
        return { name: node.name, op: node.op, activationBytes: (node.memory / 4) * bytes, trafficBytes: elements * bytes, ...(quantised && node.macs > 0 ? { bops: node.macs * bits * bits } : {}) };
    });
    const { totals } = graph;
    return {
        precision, bitsPerElement: bits,
        weightBytes: (totals.params + totals.buffers) * bytes,
        activationBytes: (totals.memory / 4) * bytes,
        peakActivationBytes: (totals.peakMemory / 4) * bytes,
        trafficBytes: layers.reduce((s, l) => s + l.trafficBytes, 0),
        ...(quantised ? { bops: layers.reduce((s, l) => s + (l.bops ?? 0), 0) } : {}),
        layers,
    };
}

/** The lines `summary --precision` prints after the totals, and the Summary view shows. */
export function precisionLines(p: PrecisionReport): string[] {
    const bytes = p.bitsPerElement / 8;
    return [
        `At ${p.precision} (${bytes} byte${bytes === 1 ? '' : 's'} per element): weights ${formatBytes(p.weightBytes)}, activations ${formatBytes(p.activationBytes)} in all (peak ${formatBytes(p.peakActivationBytes)}), memory traffic ${formatBytes(p.trafficBytes)} per inference`,
        ...(p.bops !== undefined ? [`Bit-operations (int8 weights × int8 activations): ${withCommas(p.bops)} (${humanCount(p.bops)} BOPs = MACs × 8 × 8)`] : []),
    ];
}
