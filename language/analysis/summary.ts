/**
 * The summary of a network as the CLI's `--json` prints it and the editor shows it: one row per layer
 * (hierarchical state_dict-style name, op, output shape, parameters, MACs) and one per module, with totals.
 */
import { numel } from '../ops/shape-utils.js';
import { COST_CONVENTION, type NetworkGraph, type Totals } from '../elaboration/graph.js';
import { conventionLine, countWithConvention, type ConventionName, type ConventionTotal } from './conventions.js';
import { precisionLines, precisionReport, type InferencePrecision, type PrecisionReport } from './precision.js';

export interface LayerSummary {
    readonly name: string;
    readonly op: string;
    readonly output: readonly number[];
    /** Every output's shape when the layer has several (split). */
    readonly outputs?: readonly (readonly number[])[];
    readonly params: number;
    readonly buffers: number;
    readonly macs: number;
    readonly flops: number;
    readonly memory: number;
    readonly receptiveField?: readonly number[];
    readonly jump?: readonly number[];
    readonly line: number;
}

export interface ModuleSummary {
    readonly name: string;
    readonly kind: 'block' | 'list';
    readonly block?: string;
    readonly depth: number;
    /** Index in `layers` of the module's first layer. */
    readonly firstLayer: number;
    readonly output?: readonly number[];
    readonly params: number;
    readonly macs: number;
    readonly flops: number;
    readonly line: number;
}

/** The network's totals (as the graph has them) with its ports, layers and modules. */
export interface NetworkSummary extends Totals {
    readonly name: string;
    readonly inputs: { name: string; shape: readonly number[] }[];
    readonly outputs: { name: string; shape: readonly number[] }[];
    readonly layers: LayerSummary[];
    readonly modules: ModuleSummary[];
    readonly conventions: typeof COST_CONVENTION;
}

export function summarizeNetwork(graph: NetworkGraph): NetworkSummary {
    const shapeOf = (t: number) => graph.tensors[t].shape;
    const layers = graph.nodes.map((node): LayerSummary => {
        let params = 0;
        let buffers = 0;
        for (const p of node.params) (p.kind === 'buffer' ? (buffers += numel(p.shape)) : (params += numel(p.shape)));
        const out = graph.tensors[node.outputs[0]];
        return {
            name: node.name, op: node.op, output: out.shape,
            ...(node.outputs.length > 1 ? { outputs: node.outputs.map(shapeOf) } : {}),
            params, buffers, macs: node.macs, flops: node.flops, memory: node.memory,
            ...(out.receptiveField ? { receptiveField: out.receptiveField, jump: out.jump } : {}),
            line: node.source.start.line + 1,
        };
    });
    // A module's layers are a range of the nodes, and modules nest: summing each range again cost layers × depth,
    // running sums make every module's totals two subtractions. A parent is opened (numbered) before its children.
    const before = runningTotals(layers);
    const depths: number[] = [];
    const modules = graph.modules.map((m): ModuleSummary => {
        const depth = (depths[m.index] = m.parent < 0 ? 0 : depths[m.parent] + 1);
        const last = m.endNode > m.firstNode ? graph.nodes[m.endNode - 1] : undefined;
        const sum = (of: Float64Array) => of[m.endNode] - of[m.firstNode];
        return {
            name: m.name, kind: m.kind, ...(m.block ? { block: m.block } : {}), depth, firstLayer: m.firstNode,
            ...(last ? { output: shapeOf(last.outputs[0]) } : {}),
            params: sum(before.params), macs: sum(before.macs), flops: sum(before.flops), line: m.source.start.line + 1,
        };
    });
    const { totals } = graph;
    return {
        name: graph.name,
        inputs: graph.inputs.map(p => ({ name: p.name, shape: shapeOf(p.tensor) })),
        outputs: graph.outputs.map(p => ({ name: p.name, shape: shapeOf(p.tensor) })),
        params: totals.params, weights: totals.weights, biases: totals.biases, buffers: totals.buffers,
        macs: totals.macs, flops: totals.flops, memory: totals.memory, peakMemory: totals.peakMemory,
        layers, modules, conventions: COST_CONVENTION,
    };
}

/** For each layer index i, the params, MACs and FLOPs of layers [0, i). */
function runningTotals(layers: readonly LayerSummary[]): { params: Float64Array; macs: Float64Array; flops: Float64Array } {
    const params = new Float64Array(layers.length + 1);
    const macs = new Float64Array(layers.length + 1);
    const flops = new Float64Array(layers.length + 1);
    layers.forEach((layer, i) => {
        params[i + 1] = params[i] + layer.params;
        macs[i + 1] = macs[i] + layer.macs;
        flops[i + 1] = flops[i] + layer.flops;
    });
    return { params, macs, flops };
}

/** The summary's figures as another tool counts them and at another number format (the Summary view's selectors). */
export interface SummaryFigures {
    readonly convention: ConventionTotal;
    readonly precision: PrecisionReport;
    /** What `convnet summary --convention … --precision …` prints after the totals. */
    readonly lines: readonly string[];
}

export function summaryFigures(graph: NetworkGraph, convention: ConventionName, precision: InferencePrecision): SummaryFigures {
    const counted = countWithConvention(graph, convention);
    const priced = precisionReport(graph, precision);
    return { convention: counted, precision: priced, lines: [conventionLine(counted), ...precisionLines(priced)] };
}
