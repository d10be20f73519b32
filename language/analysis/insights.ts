/**
 * ShuffleNet V2's four guidelines for efficient networks (Ma, Zhang, Zheng & Sun, "ShuffleNet V2: Practical
 * Guidelines for Efficient CNN Architecture Design", ECCV 2018, arXiv 1807.11164, section 2), checked on a network
 * and each stated as what it costs on a device profile — never as a rule without a number:
 *
 * - G1, equal channel width minimises memory access cost (MAC). A 1×1 conv with c1 input and c2 output channels on an
 *   h×w map does B = hw·c1·c2 multiply-adds and moves MAC = hw(c1 + c2) + c1·c2 elements (the paper's eq. 1); at the
 *   same B, MAC is smallest when c1 = c2 = √(c1·c2): MAC_balanced = 2hw·√(c1·c2) + c1·c2. The cost added is
 *   (MAC − MAC_balanced) elements over the device's bandwidth.
 * - G2, group convolution raises MAC. A 1×1 conv in g groups: B = hw·c1·c2/g, MAC = hw(c1 + c2) + c1·c2/g (eq. 2). A
 *   dense 1×1 conv with the same input and the same B has c2/g outputs: MAC_dense = hw(c1 + c2/g) + c1·c2/g, so the
 *   groups add hw·c2·(1 − 1/g) elements.
 * - G3, fragmentation reduces parallelism: a block of several parallel branches launches many small layers; its cost
 *   is their launch overhead on the device (layers × overhead) and its share of the block's predicted time.
 * - G4, element-wise operations are not negligible: the share of the predicted time spent in element-wise layers
 *   (activations, sums and products, norms, pooling; also with depthwise convs, which the paper counts with them for
 *   their high MAC/FLOPs) against their share of the FLOPs.
 *
 * These are insights (the Summary view's section, `convnet summary --insights`), not diagnostics: a careful design
 * follows G1 or G2 only where the rest of it allows.
 */
import { familyOf, findOp } from '../ops/registry.js';
import { perDimension } from '../ops/shape-utils.js';
import type { GraphNode, NetworkGraph } from '../elaboration/graph.js';
import type { DeviceProfile } from './devices.js';
import { BYTES_PER_ELEMENT, formatSeconds, roofline, type Precision, type Roofline } from './roofline.js';

export type Guideline = 'G1' | 'G2' | 'G3' | 'G4';

export interface Insight {
    readonly guideline: Guideline;
    /** The layer (G1, G2) or block instance (G3) it is about; absent for the whole network (G4). */
    readonly subject?: string;
    readonly line: number;
    readonly message: string;
    /** Predicted time the design choice adds on the device (G4: the element-wise layers' time). */
    readonly seconds: number;
    /** Bytes it adds (G1, G2), at the precision. */
    readonly bytes?: number;
    /** MAC over the balanced or dense alternative's (G1, G2); the share of time (G3, G4). */
    readonly ratio?: number;
}

/** Thresholds below which a guideline stays quiet. */
export const INSIGHT_THRESHOLDS = {
    /** G1: MAC at least this many times the balanced 1×1 conv's. */
    g1Ratio: 1.2,
    /** G3: launch overhead at least this share of the block's predicted time, and at least two branches. */
    g3Share: 0.1,
    /** G4: element-wise layers at least this share of the predicted time. */
    g4Share: 0.05,
} as const;

/** MAC (elements) of a 1×1 conv from c1 to c2 channels in g groups on an h×w map, as the paper's eq. 1 and 2. */
export function pointwiseMac(hw: number, c1: number, c2: number, groups = 1): number {
    return hw * (c1 + c2) + (c1 * c2) / groups;
}

/** A stride-1 2-D 1×1 conv: [c1, c2, groups, hw], else undefined. */
function pointwise(graph: NetworkGraph, node: GraphNode): { c1: number; c2: number; groups: number; hw: number } | undefined {
    if (familyOf(node.op) !== 'conv' || node.inputs.length !== 1) return undefined;
    const input = graph.tensors[node.inputs[0]].shape;
    const output = graph.tensors[node.outputs[0]].shape;
    if (input.length !== 4) return undefined;
    const kernel = perDimension(node.attrs.kernel, 2);
    const stride = perDimension(node.attrs.stride ?? 1, 2);
    if (!kernel?.every(k => k === 1) || !stride?.every(s => s === 1)) return undefined;
    return { c1: input[1], c2: output[1], groups: (node.attrs.groups as number | undefined) ?? 1, hw: output[2] * output[3] };
}

const ELEMENTWISE_CATEGORIES = new Set(['activation', 'normalization', 'pooling', 'merge']);

/** The innermost block instance around a node, or undefined. */
function blockOf(graph: NetworkGraph, node: GraphNode): number | undefined {
    for (let m = node.module; m >= 0; m = graph.modules[m].parent) if (graph.modules[m].kind === 'block') return m;
    return undefined;
}

export interface InsightOptions {
    readonly precision?: Precision;
    /** A roofline of this graph on this device already computed. */
    readonly roofline?: Roofline;
}

export function designInsights(graph: NetworkGraph, device: DeviceProfile, options: InsightOptions = {}): Insight[] {
    const precision = options.precision ?? 'fp32';
    const bpe = BYTES_PER_ELEMENT[precision];
    const model = options.roofline ?? roofline(graph, device, { precision });
    const on = `on ${device.shortName}`;
    const ms = (s: number) => formatSeconds(s);
    const insights: Insight[] = [];

    for (const node of graph.nodes) {
        const p = pointwise(graph, node);
        if (!p) continue;
        const line = node.source.start.line + 1;
        if (p.groups === 1 && p.c1 !== p.c2) {
            const mac = pointwiseMac(p.hw, p.c1, p.c2);
            const balanced = 2 * p.hw * Math.sqrt(p.c1 * p.c2) + p.c1 * p.c2;
            const ratio = mac / balanced;
            if (ratio < INSIGHT_THRESHOLDS.g1Ratio) continue;
            const bytes = (mac - balanced) * bpe;
            const seconds = bytes / device.bandwidth;
            const c = Math.round(Math.sqrt(p.c1 * p.c2));
            insights.push({
                guideline: 'G1', subject: node.name, line, bytes, seconds, ratio,
                message: `G1: 1×1 conv ${p.c1}→${p.c2} moves ${ratio.toFixed(2)}× the bytes of a balanced 1×1 of the same FLOPs (${c}→${c}): MAC ${Math.round(mac).toLocaleString('en-US')} vs ${Math.round(balanced).toLocaleString('en-US')} elements, +${ms(seconds)} ${on}`,
            });
        } else if (p.groups > 1 && p.groups < p.c1) {
            const mac = pointwiseMac(p.hw, p.c1, p.c2, p.groups);
            const dense = pointwiseMac(p.hw, p.c1, p.c2 / p.groups);
            const bytes = (mac - dense) * bpe;
            const seconds = bytes / device.bandwidth;
            insights.push({
                guideline: 'G2', subject: node.name, line, bytes, seconds, ratio: mac / dense,
                message: `G2: 1×1 conv ${p.c1}→${p.c2} in ${p.groups} groups moves ${(mac / dense).toFixed(2)}× the bytes of a dense 1×1 of the same FLOPs (${p.c1}→${p.c2 / p.groups}): MAC ${Math.round(mac).toLocaleString('en-US')} vs ${Math.round(dense).toLocaleString('en-US')} elements, +${ms(seconds)} ${on}`,
            });
        }
    }

    // G3: blocks whose merges join two or more branches computed inside the block.
    const branchesOf = new Map<number, number>();
    for (const node of graph.nodes) {
        if (node.inputs.length < 2 || findOp(node.op)?.category !== 'merge') continue;
        const block = blockOf(graph, node);
        if (block === undefined) continue;
        const first = graph.modules[block].firstNode;
        const inside = new Set(node.inputs.filter(t => (graph.tensors[t].producer ?? -1) >= first)).size;
        if (inside >= 2) branchesOf.set(block, Math.max(branchesOf.get(block) ?? 0, inside));
    }
    for (const [block, branches] of branchesOf) {
        const m = graph.modules[block];
        const layers = model.layers.slice(m.firstNode, m.endNode);
        const launched = layers.filter(l => l.overheadSeconds > 0);
        const overhead = launched.reduce((s, l) => s + l.overheadSeconds, 0);
        const total = layers.reduce((s, l) => s + l.seconds, 0);
        if (total <= 0 || overhead / total < INSIGHT_THRESHOLDS.g3Share) continue;
        insights.push({
            guideline: 'G3', subject: m.name, line: m.source.start.line + 1, seconds: overhead, ratio: overhead / total,
            message: `G3: ${m.name}${m.block ? ` (${m.block})` : ''} joins ${branches} branches of ${launched.length} layers in all: their launches cost ${ms(overhead)}, ${(100 * overhead / total).toFixed(0)}% of its predicted ${ms(total)} ${on}`,
        });
    }

    // G4: the element-wise layers' share of the time against their share of the FLOPs.
    let elementwise = 0, elementwiseFlops = 0, depthwise = 0;
    model.layers.forEach((l, i) => {
        const category = findOp(graph.nodes[i].op)?.category;
        if (l.kernel === 'depthwise') depthwise += l.seconds;
        else if ((l.kernel === 'elementwise' || l.kernel === 'window') && category && ELEMENTWISE_CATEGORIES.has(category)) {
            elementwise += l.seconds;
            elementwiseFlops += l.flops;
        }
    });
    if (model.seconds > 0 && elementwise / model.seconds >= INSIGHT_THRESHOLDS.g4Share) {
        const share = elementwise / model.seconds;
        insights.push({
            guideline: 'G4', line: graph.nodes[0]?.source.start.line + 1 || 1, seconds: elementwise, ratio: share,
            message: `G4: element-wise layers (activations, sums, norms, pooling not fused into a conv) take ${ms(elementwise)}, ${(100 * share).toFixed(0)}% of the predicted ${ms(model.seconds)} ${on}, for ${(100 * elementwiseFlops / Math.max(model.flops, 1)).toFixed(1)}% of the FLOPs`
                + (depthwise > 0 ? `; with the depthwise convs ${(100 * (elementwise + depthwise) / model.seconds).toFixed(0)}%` : ''),
        });
    }
    const order: Record<Guideline, number> = { G1: 0, G2: 1, G3: 2, G4: 3 };
    return insights.sort((a, b) => order[a.guideline] - order[b.guideline] || b.seconds - a.seconds);
}
