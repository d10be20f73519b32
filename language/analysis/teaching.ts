/**
 * The comparisons the source material teaches, computed for a concrete layer: depthwise-separable vs the
 * standard conv it replaces, spatially separable vs k×k, grouped vs dense, a dilated conv's effective kernel and
 * a transposed conv's overlap pattern. Each returns a sentence with both figures, or nothing when it does not apply.
 */
import type { GraphNode, NetworkGraph } from '../elaboration/graph.js';
import { numel, perDimension } from '../ops/shape-utils.js';
import { effectiveKernel } from '../ops/conv.js';
import { familyOf, keepsPositions } from '../ops/registry.js';

/** The 2-D convolutions the cost comparisons are taught for (canonical names: conv and dwconv). */
const CONV_2D = new Set(['conv', 'dwconv']);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function kernelOf(node: GraphNode): number[] {
    return perDimension(node.attrs.kernel, 2) ?? [1, 1];
}

function groupsOf(node: GraphNode, graph: NetworkGraph): number {
    return node.op === 'dwconv' ? graph.tensors[node.inputs[0]].shape[1] : ((node.attrs.groups as number | undefined) ?? 1);
}

/** The next conv that reads this node's output, looking through batch norm and activations; only if it is the sole reader. */
function nextConv(node: GraphNode, graph: NetworkGraph): GraphNode | undefined {
    let tensor = node.outputs[0];
    for (let steps = 0; steps < 4; steps++) {
        const readers = graph.nodes.filter(n => n.index > node.index && n.inputs.includes(tensor));
        if (readers.length !== 1) return undefined;
        const reader = readers[0];
        if (CONV_2D.has(reader.op)) return reader;
        if (!keepsPositions(reader.op)) return undefined;
        tensor = reader.outputs[0];
    }
    return undefined;
}

export function teachingLines(node: GraphNode, graph: NetworkGraph): string[] {
    if (!CONV_2D.has(node.op) && familyOf(node.op) !== 'convtranspose') return [];
    const lines: string[] = [];
    const input = graph.tensors[node.inputs[0]].shape;
    const output = graph.tensors[node.outputs[0]].shape;
    const cin = input[1];
    const cout = output[1];
    const [kh, kw] = kernelOf(node);
    const groups = groupsOf(node, graph);
    const positions = numel(output.slice(2)) * output[0];

    if (familyOf(node.op) === 'convtranspose') {
        const strides = perDimension(node.attrs.stride, input.length - 2) ?? [];
        const kernels = perDimension(node.attrs.kernel, input.length - 2) ?? [];
        const uneven = kernels.some((k, i) => k % strides[i] !== 0);
        lines.push(uneven
            ? `Overlap: kernel ${kernels.join('×')} is not divisible by stride ${strides.join('×')}, so neighbouring outputs receive different numbers of contributions — the uneven overlap behind checkerboard artifacts (Odena et al., 2016).`
            : `Overlap: kernel ${kernels.join('×')} is a multiple of stride ${strides.join('×')}, so every output position receives the same number of contributions (even overlap).`);
        return lines;
    }

    const dilation = perDimension(node.attrs.dilation ?? 1, 2) ?? [1, 1];
    if (dilation.some(d => d > 1)) {
        const eff = [effectiveKernel(kh, dilation[0]), effectiveKernel(kw, dilation[1])];
        lines.push(`Dilated (rate ${dilation.join('×')}): effective kernel d·(k−1)+1 = ${eff.join('×')}, covered with ${kh * kw} weights per channel instead of ${eff[0] * eff[1]}.`);
    }

    const depthwise = groups === cin && groups > 1;
    if (depthwise) {
        const pointwise = nextConv(node, graph);
        const pk = pointwise ? kernelOf(pointwise) : undefined;
        if (pointwise && pk && pk[0] === 1 && pk[1] === 1 && groupsOf(pointwise, graph) === 1) {
            const pout = graph.tensors[pointwise.outputs[0]].shape[1];
            const standard = positions * cin * kh * kw * pout;
            const separable = node.macs + pointwise.macs;
            lines.push(`Depthwise-separable with ${pointwise.name}: ${fmt(node.macs)} + ${fmt(pointwise.macs)} = ${fmt(separable)} MACs vs ${fmt(standard)} for a standard ${kh}×${kw} conv ${cin}→${pout} — ${(100 * separable / standard).toFixed(1)}% (1/C_out + 1/k² = 1/${pout} + 1/${kh * kw} = ${(100 * (1 / pout + 1 / (kh * kw))).toFixed(1)}%).`);
        } else {
            const standard = positions * cin * kh * kw * cout;
            lines.push(`Depthwise: ${fmt(node.macs)} MACs vs ${fmt(standard)} for a standard ${kh}×${kw} conv ${cin}→${cout} (÷${cin}).`);
        }
    } else if (groups > 1) {
        lines.push(`Grouped (g = ${groups}): ${fmt(node.macs)} MACs and ${fmt(numel(node.params[0].shape))} weights, 1/${groups} of the dense conv's ${fmt(node.macs * groups)} MACs and ${fmt(numel(node.params[0].shape) * groups)} weights.`);
    }

    // A k×1 conv followed by a 1×k conv: the spatially separable factorisation of a k×k kernel.
    if (kw === 1 && kh > 1) {
        const next = nextConv(node, graph);
        const nk = next ? kernelOf(next) : undefined;
        if (next && nk && nk[0] === 1 && nk[1] === kh) {
            const nextOut = graph.tensors[next.outputs[0]].shape;
            const full = numel(nextOut.slice(2)) * nextOut[0] * cin * kh * kh * nextOut[1] / groups;
            const separable = node.macs + next.macs;
            lines.push(`Spatially separable with ${next.name}: ${kh}×1 then 1×${kh} costs ${fmt(node.macs)} + ${fmt(next.macs)} = ${fmt(separable)} MACs vs ${fmt(full)} for one ${kh}×${kh} conv (${(100 * separable / full).toFixed(1)}%; tends to 2/k = ${(200 / kh).toFixed(1)}% on large inputs).`);
        }
    }
    return lines;
}
