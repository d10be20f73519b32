/**
 * Memory traffic, arithmetic intensity and predicted latency of every layer on a device: the roofline model
 * (Williams, Waterman & Patterson, CACM 2009). From the op specs only — a layer's FLOPs are its spec's cost, its
 * bytes the sizes of the tensors it reads and writes (its parameter tensors, its inputs, its outputs) at a
 * precision — and a device profile (devices.ts):
 *
 *   bytes      = (weights + buffers + inputs + outputs) elements × bytes per element   (a view moves none)
 *   intensity  = FLOPs / bytes
 *   time       = max(FLOPs / ceiling, bytes / bandwidth) + launch overhead
 *
 * where the ceiling is the device's peak, or the sustained rate a calibrated profile measured for the layer's kernel
 * class (for a layer fused into a conv, the conv's). The bound is the largest of the three terms: compute, memory or
 * overhead.
 *
 * On a device that fuses (every shipped profile: TensorRT, XNNPACK, onnxruntime and this project's engine do), a
 * batch norm right after a conv is folded into it, and a residual sum and a ReLU/ReLU6 after that run in the conv's
 * output loop, when the tensor between them has no other reader and is not a network output (runtime/fusion.ts
 * states the same rule): such a layer launches nothing and moves only what it adds (the sum's shortcut).
 */
import { numel } from '../ops/shape-utils.js';
import { familyOf, findOp } from '../ops/registry.js';
import { CONV_ABSORBED_ACTIVATIONS, runsWithoutIm2col, transformsWinogradWeightsPerRun, usesWinograd } from './engine-rules.js';
import type { GraphNode, NetworkGraph } from '../elaboration/graph.js';
import { ceilingOf, type DeviceProfile, type KernelClass } from './devices.js';

export const PRECISIONS = ['fp32', 'fp16', 'bf16', 'int8'] as const;
export type Precision = typeof PRECISIONS[number];
export const BYTES_PER_ELEMENT: Record<Precision, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };

export type Bound = 'compute' | 'memory' | 'overhead';

export interface LayerRoofline {
    readonly name: string;
    readonly op: string;
    readonly kernel: KernelClass;
    readonly flops: number;
    /** Parameter tensors read (weights, biases, a norm's statistics). */
    readonly weightBytes: number;
    readonly inputBytes: number;
    readonly outputBytes: number;
    readonly bytes: number;
    /** FLOPs per byte moved (Infinity for a layer that moves nothing). */
    readonly intensity: number;
    readonly computeSeconds: number;
    readonly memorySeconds: number;
    readonly overheadSeconds: number;
    /** Predicted time: max(compute, memory) + overhead. */
    readonly seconds: number;
    readonly bound: Bound;
    /** The conv this layer runs inside (batch norm folded, sum or ReLU in its output loop) on a device that fuses. */
    readonly fusedInto?: string;
    readonly line: number;
}

export interface Roofline {
    readonly device: { readonly id: string; readonly name: string; readonly peakFlops: number; readonly bandwidth: number; readonly overheadSeconds: number; readonly ceilings?: Partial<Record<KernelClass, number>> };
    readonly precision: Precision;
    readonly layers: LayerRoofline[];
    readonly flops: number;
    readonly bytes: number;
    readonly seconds: number;
    /** The intensity at which the roof's slope meets its flat part: peak / bandwidth (FLOP/B). */
    readonly ridge: number;
    readonly convention: string;
}

export const ROOFLINE_CONVENTION = 'Predicted by the roofline: time = max(FLOPs / compute ceiling, bytes / bandwidth) + launch overhead per layer; '
    + 'bytes = parameters + inputs + outputs of the layer at the precision (no cache reuse between layers); a batch norm, residual sum and ReLU after a conv run inside it on a device that fuses.';

function isDepthwise(graph: NetworkGraph, node: GraphNode): boolean {
    const family = familyOf(node.op);
    if (family === 'dwconv') return true;
    return family === 'conv' && node.inputs.length > 0 && (node.attrs.groups ?? 1) === graph.tensors[node.inputs[0]].shape[1] && (node.attrs.groups ?? 1) !== 1;
}

/**
 * Output planes from which a 1×1 conv counts as `pointwise`: its ceiling is measured on 56² and 112² maps (cli/
 * calibrate.ts), the dense one on 14² and 7² maps; 28² lies between. MobileNetV2's expansions on 112² and 56² were
 * predicted at twice their measured time from the dense ceiling: a GEMM over thousands of columns runs faster than
 * one over a few dozen.
 */
const POINTWISE_MIN_POSITIONS = 28 * 28;

export function kernelClassOf(graph: NetworkGraph, node: GraphNode): KernelClass {
    if (isDepthwise(graph, node)) return 'depthwise';
    if (usesWinograd(graph, node)) return transformsWinogradWeightsPerRun(graph, node) ? 'winograd-small' : 'winograd';
    const family = familyOf(node.op) ?? node.op;
    if (runsWithoutIm2col(graph, node) && numel(graph.tensors[node.outputs[0]].shape.slice(2)) >= POINTWISE_MIN_POSITIONS) return 'pointwise';
    if (['conv', 'convtranspose', 'deformconv', 'linear', 'matmul'].includes(family) && node.macs > 0) return 'dense';
    // Sliding-window pooling reads each input several times, as a depthwise conv does; a stand-alone ReLU or sum
    // streams once. Global and adaptive pooling stream once too.
    if (family === 'maxpool' || family === 'avgpool') return 'window';
    return 'elementwise';
}

/** Whether the op's outputs are views of its input (flatten, reshape, split …): no bytes move. */
function isView(graph: NetworkGraph, node: GraphNode): boolean {
    const spec = findOp(node.op);
    if (!spec?.savedForBackward || node.inputs.length === 0) return false;
    const ctx = { inputs: node.inputs.map(t => graph.tensors[t].shape), attrs: node.attrs };
    return spec.savedForBackward(ctx, node.outputs.map(t => graph.tensors[t].shape)).view === true;
}

/**
 * The layers a conv absorbs on a fusing device, mapped to the conv's index: conv → batch norm (running statistics)
 * → residual sum of two same-shaped tensors (not after a depthwise conv) → an activation (CONV_ABSORBED_ACTIVATIONS),
 * each link a tensor with one
 * reader that is not a network output. Also the shortcut tensor each absorbed sum reads.
 */
export function fusedLayers(graph: NetworkGraph): { into: Map<number, number>; shortcut: Map<number, number> } {
    const readers = new Map<number, GraphNode[]>();
    for (const node of graph.nodes) for (const t of new Set(node.inputs)) (readers.get(t) ?? readers.set(t, []).get(t)!).push(node);
    const outputs = new Set(graph.outputs.map(o => o.tensor));
    const into = new Map<number, number>();
    const shortcut = new Map<number, number>();
    const sole = (node: GraphNode): GraphNode | undefined => {
        if (node.outputs.length !== 1 || outputs.has(node.outputs[0])) return undefined;
        const next = readers.get(node.outputs[0]) ?? [];
        return next.length === 1 && !into.has(next[0].index) ? next[0] : undefined;
    };
    for (const node of graph.nodes) {
        const family = familyOf(node.op);
        if (family !== 'conv' && family !== 'dwconv') continue;
        if (into.has(node.index)) continue;
        let last = node;
        const norm = sole(last);
        if (norm && norm.op === 'batchnorm' && norm.inputs.length === 1 && norm.attrs.track_running_stats !== false) {
            into.set(norm.index, node.index);
            last = norm;
        }
        const sum = isDepthwise(graph, node) ? undefined : sole(last);
        if (sum && sum.op === 'add' && sum.inputs.length === 2) {
            const other = sum.inputs[0] === last.outputs[0] ? sum.inputs[1] : sum.inputs[0];
            const a = graph.tensors[other].shape;
            const b = graph.tensors[last.outputs[0]].shape;
            if (other !== last.outputs[0] && a.length === b.length && a.every((d, i) => d === b[i])) {
                into.set(sum.index, node.index);
                shortcut.set(sum.index, other);
                last = sum;
            }
        }
        const activation = sole(last);
        if (activation && CONV_ABSORBED_ACTIVATIONS.has(activation.op) && activation.inputs.length === 1) into.set(activation.index, node.index);
    }
    return { into, shortcut };
}

export interface RooflineOptions {
    readonly precision?: Precision;
}

export function roofline(graph: NetworkGraph, device: DeviceProfile, options: RooflineOptions = {}): Roofline {
    const precision = options.precision ?? 'fp32';
    const bpe = BYTES_PER_ELEMENT[precision];
    const fused = device.fuses ? fusedLayers(graph) : { into: new Map<number, number>(), shortcut: new Map<number, number>() };
    const layers = graph.nodes.map((node): LayerRoofline => {
        const kernel = kernelClassOf(graph, node);
        const host = fused.into.get(node.index);
        // A layer fused into a conv does its arithmetic in the conv's output loop, on values still in registers: at
        // the conv's rate, not at the rate of a stand-alone pass (MobileNetV2's ReLU6s, charged at the element-wise
        // ceiling, doubled its predicted time on a loaded machine).
        const ceiling = ceilingOf(device, host !== undefined ? kernelClassOf(graph, graph.nodes[host]) : kernel);
        let weightBytes = 0;
        let inputBytes = 0;
        let outputBytes = 0;
        if (host !== undefined) {
            // Inside the conv's output loop: a folded batch norm moves nothing, a sum reads its shortcut.
            const extra = fused.shortcut.get(node.index);
            if (extra !== undefined) inputBytes = numel(graph.tensors[extra].shape) * bpe;
        } else if (!isView(graph, node)) {
            for (const p of node.params) weightBytes += numel(p.shape) * bpe;
            for (const t of new Set(node.inputs)) inputBytes += numel(graph.tensors[t].shape) * bpe;
            for (const t of node.outputs) outputBytes += numel(graph.tensors[t].shape) * bpe;
        }
        // A folded batch norm costs nothing at run time; the other absorbed layers keep their arithmetic.
        const flops = host !== undefined && node.op === 'batchnorm' ? 0 : node.flops;
        const bytes = weightBytes + inputBytes + outputBytes;
        const computeSeconds = flops / ceiling;
        const memorySeconds = bytes / device.bandwidth;
        const overheadSeconds = host !== undefined ? 0 : device.overheadSeconds;
        const work = Math.max(computeSeconds, memorySeconds);
        const bound: Bound = overheadSeconds > work ? 'overhead' : computeSeconds >= memorySeconds ? 'compute' : 'memory';
        return {
            name: node.name, op: node.op, kernel, flops, weightBytes, inputBytes, outputBytes, bytes,
            intensity: bytes > 0 ? flops / bytes : (flops > 0 ? Infinity : 0),
            computeSeconds, memorySeconds, overheadSeconds, seconds: work + overheadSeconds, bound,
            ...(host !== undefined ? { fusedInto: graph.nodes[host].name } : {}),
            line: node.source.start.line + 1,
        };
    });
    const sum = (key: 'flops' | 'bytes' | 'seconds') => layers.reduce((s, l) => s + l[key], 0);
    return {
        device: { id: device.id, name: device.name, peakFlops: device.peakFlops, bandwidth: device.bandwidth, overheadSeconds: device.overheadSeconds, ...(device.ceilings && Object.keys(device.ceilings).length ? { ceilings: device.ceilings } : {}) },
        precision, layers, flops: sum('flops'), bytes: sum('bytes'), seconds: sum('seconds'),
        ridge: device.peakFlops / device.bandwidth, convention: ROOFLINE_CONVENTION,
    };
}

/** `0.42 ms`, `12.3 µs`, `1.25 s`: three significant digits, trailing zeros dropped; milliseconds from 0.1 ms. */
export function formatSeconds(seconds: number): string {
    const trim = (text: string) => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);
    // The unit is chosen on the value as it will be shown: 0.99996 s rounds to 1000 ms, which is 1.00 s.
    const rounded = (value: number) => Number(value.toPrecision(3));
    if (rounded(seconds * 1e3) >= 1000) return `${seconds.toFixed(2)} s`;
    if (rounded(seconds * 1e6) >= 100) return `${trim((seconds * 1e3).toPrecision(3))} ms`;
    return `${trim((seconds * 1e6).toPrecision(3))} µs`;
}

/** The hover's line: `≈ 0.42 ms on this machine, memory-bound (intensity 3.1 FLOP/B)`. */
export function latencyLine(layer: LayerRoofline, deviceName: string): string {
    const intensity = Number.isFinite(layer.intensity) ? `intensity ${layer.intensity.toPrecision(2)} FLOP/B` : 'no memory traffic';
    if (layer.fusedInto) return `≈ ${formatSeconds(layer.seconds)} on ${deviceName}, inside ${layer.fusedInto}'s conv (fused; ${intensity})`;
    return `≈ ${formatSeconds(layer.seconds)} on ${deviceName}, ${layer.bound}-bound (${intensity})`;
}
