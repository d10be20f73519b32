/**
 * Warnings that need the whole elaborated graph rather than one op: stacked dilated convs sharing a rate
 * (gridding — Wang et al., "Understanding Convolution for Semantic Segmentation": the stack samples only a
 * sparse checkerboard of its input, use rates without a common factor such as 1, 2, 5).
 */
import type { Elaboration, ElaborationDiagnostic } from '../elaboration/elaborator.js';
import type { GraphNode } from '../elaboration/graph.js';
import { perDimension } from '../ops/shape-utils.js';
import { keepsPositions, samplesThroughDilatedWindow } from '../ops/registry.js';


/** The common dilation rate of a conv with a kernel larger than 1, or undefined. */
function dilationRate(node: GraphNode): number | undefined {
    if (!samplesThroughDilatedWindow(node.op)) return undefined;
    const dims = node.attrs.kernel === undefined ? 0 : (Array.isArray(node.attrs.kernel) ? node.attrs.kernel.length : node.op.endsWith('1d') ? 1 : node.op.endsWith('3d') ? 3 : 2);
    const kernel = perDimension(node.attrs.kernel, dims) ?? [];
    const dilation = perDimension(node.attrs.dilation, dims) ?? [];
    if (kernel.every(k => k === 1) || dilation.length === 0) return undefined;
    const rate = dilation[0];
    return rate > 1 && dilation.every(d => d === rate) ? rate : undefined;
}

/** 2nd, 3rd, 4th, 11th, 21st … */
function ordinal(n: number): string {
    const teen = n % 100 >= 11 && n % 100 <= 13;
    return `${n}${teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th'}`;
}

export function graphWarnings(elaboration: Elaboration): ElaborationDiagnostic[] {
    const { graph, origins } = elaboration;
    const warnings: ElaborationDiagnostic[] = [];
    // Per tensor, the first node up its chain that moves positions (−1: none), remembered: many dilated convs may
    // read the end of one long chain of activations, and walking it again for each would be quadratic.
    const UNKNOWN = -2;
    const mover = new Int32Array(graph.tensors.length).fill(UNKNOWN);
    const moverOf = (tensor: number | undefined): number => {
        const walked: number[] = [];
        let found = -1;
        for (let t = tensor; t !== undefined; t = graph.nodes[graph.tensors[t].producer!].inputs[0]) {
            if (mover[t] !== UNKNOWN) {
                found = mover[t];
                break;
            }
            walked.push(t);
            const producer = graph.tensors[t]?.producer;
            if (producer === undefined) break;
            if (!keepsPositions(graph.nodes[producer].op)) {
                found = producer;
                break;
            }
        }
        for (const t of walked) mover[t] = found;
        return found;
    };
    for (const node of graph.nodes) {
        const rate = dilationRate(node);
        if (rate === undefined) continue;
        const producer = moverOf(node.inputs[0]);
        if (producer < 0 || dilationRate(graph.nodes[producer]) !== rate) continue;
        const previous = graph.nodes[producer];
        const origin = origins[node.index];
        warnings.push({
            severity: 'warning', code: 'gridding', trace: [],
            node: origin.argumentSources.dilation ?? origin.call,
            message: `gridding: ${node.name} and ${previous.name} are stacked dilated convs with the same rate ${rate}, so together they only ever read every ${ordinal(rate)} input position; use rates without a common factor (e.g. 1, 2, 5)`,
        });
    }
    return warnings;
}
