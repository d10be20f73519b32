/**
 * Warnings that need the whole elaborated graph rather than one op:
 * - stacked dilated convs sharing a rate (gridding — Wang et al., "Understanding Convolution for Semantic
 *   Segmentation": the stack samples only a sparse checkerboard of its input, use rates without a common factor
 *   such as 1, 2, 5);
 * - a linear layer on a feature map (linearOnSpatialIssue): decided here because only the graph shows whether the
 *   input's last axis is a map's width or features put last on purpose.
 */
import type { Call } from '../generated/ast.js';
import type { Elaboration, ElaborationDiagnostic } from '../elaboration/elaborator.js';
import type { GraphNode, NetworkGraph } from '../elaboration/graph.js';
import { perDimension } from '../ops/shape-utils.js';
import { familyOf, keepsPositions, samplesThroughDilatedWindow } from '../ops/registry.js';
import { isIssue } from '../ops/padding.js';
import { linearOnSpatialIssue, permutationOf } from '../ops/tensor.js';


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

/**
 * Which axes of every tensor are spatial axes of a feature map, followed through the graph in one pass: a tensor a
 * layer makes (or a network input) is taken as [N, C, …spatial]; a permute (permute, channelslast, channelsfirst)
 * moves the axes' roles with the axes, so ConvNeXt's channels-last [N, H, W, C] ends in the channels; a layer that
 * keeps positions (a norm, an activation, dropout) keeps them; a linear layer's last axis is its features.
 */
function spatialAxes(graph: NetworkGraph): boolean[][] {
    const roles: boolean[][] = graph.tensors.map(t => t.shape.map((_, axis) => t.shape.length >= 3 && axis >= 2));
    for (const node of graph.nodes) {
        const input = roles[node.inputs[0]];
        const family = familyOf(node.op);
        let output: boolean[] | undefined;
        if (family === 'permute') {
            const perm = permutationOf(node.op, node.attrs, input.length);
            if (!isIssue(perm)) output = perm.map(axis => input[axis]);
        } else if (keepsPositions(node.op)) {
            output = input;
        } else if (family === 'linear' && node.inputs.length === 1) {
            output = [...input.slice(0, -1), false];
        }
        if (output && node.outputs.length === 1 && graph.tensors[node.outputs[0]].shape.length === output.length) roles[node.outputs[0]] = output;
    }
    return roles;
}

/** The block calls from the network down to the block instance `node` belongs to (what a diagnostic's trace holds). */
function traceOf(elaboration: Elaboration, node: GraphNode): Call[] {
    const trace: Call[] = [];
    for (let m = node.module; m >= 0; m = elaboration.graph.modules[m].parent) {
        if (elaboration.graph.modules[m].kind === 'block') trace.unshift(elaboration.moduleOrigins[m] as Call);
    }
    return trace;
}

/**
 * linear on a tensor of more than two dimensions acts on its last one at every position: a warning when that axis
 * is a spatial axis of a map (a forgotten flatten), not when a permute put the channels there (ConvNeXt's blocks,
 * where the layer is a pointwise conv over the channels).
 */
function linearOnSpatialWarnings(elaboration: Elaboration): ElaborationDiagnostic[] {
    const { graph, origins } = elaboration;
    let roles: boolean[][] | undefined;
    const warnings: ElaborationDiagnostic[] = [];
    for (const node of graph.nodes) {
        if (familyOf(node.op) !== 'linear') continue;
        const input = node.inputs[0];
        const shape = graph.tensors[input].shape;
        if (shape.length <= 2) continue;
        roles ??= spatialAxes(graph);
        if (!roles[input][shape.length - 1]) continue;
        const issue = linearOnSpatialIssue(shape);
        const origin = origins[node.index];
        // Named as the elaborator names a layer in its messages: by its label or list position inside a module.
        const step = origin.label as { label?: unknown; computed?: unknown } | undefined;
        const labelled = step?.label !== undefined || step?.computed !== undefined;
        const named = node.module >= 0 && (labelled || graph.modules[node.module].kind === 'list');
        warnings.push({
            severity: issue.severity, code: issue.code, trace: traceOf(elaboration, node),
            node: origin.call, property: origin.call.$type === 'Call' ? 'target' : undefined,
            message: `${named ? `${node.name}: ` : ''}${issue.message}`,
        });
    }
    return warnings;
}

export function graphWarnings(elaboration: Elaboration): ElaborationDiagnostic[] {
    const { graph, origins } = elaboration;
    const warnings: ElaborationDiagnostic[] = linearOnSpatialWarnings(elaboration);
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
