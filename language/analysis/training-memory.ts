/**
 * Training memory: what one training step of a network holds — parameters, gradients, optimizer state, the
 * activations kept for the backward pass (each op's `savedForBackward` rule in its spec) — the peak during the step,
 * what checkpointing a block would give back, the largest batch that fits a memory, and the gradient all-reduce of
 * data-parallel training. Pure and linear in the network's size: a few passes over its nodes and tensors.
 *
 * The model follows PyTorch's autograd (checked against it in test/training-memory.test.ts):
 * - a tensor several ops keep is counted once (a ReLU's output is also the next conv's input); a view (flatten,
 *   reshape, split, permute) is its input's memory;
 * - an activation whose backward needs only its output (ReLU, ReLU6) runs in place when it is the only reader of its
 *   input and the op before it does not keep its output — what torchvision's `inplace=True` does: the ReLU after a
 *   batch norm adds no tensor;
 * - forward: a tensor lives from the op that makes it to its last reader, or to the end of the forward pass when kept;
 * - backward: ops run in reverse; a kept tensor is freed after the backward of the first op that keeps it; the
 *   gradient of a tensor lives from the backward of its last reader to that of its producer (a sum and a view pass
 *   their output's gradient on without a copy); a second gradient for one tensor and a layer's weight gradient are
 *   made, added in place, and dropped;
 * - gradients are kept between steps (zero_grad without set_to_none), so the peak counts all of them.
 * The batch is the first dimension of every tensor computed from a network input; `batch` replaces it.
 */
import { numel } from '../ops/shape-utils.js';
import { findOp } from '../ops/registry.js';
import type { SavedForBackward, Shape } from '../ops/types.js';
import type { NetworkGraph } from '../elaboration/graph.js';

export const OPTIMIZERS = ['sgd', 'sgd-momentum', 'adam'] as const;
export type Optimizer = typeof OPTIMIZERS[number];
export const TRAINING_PRECISIONS = ['fp32', 'mixed'] as const;
export type TrainingPrecision = typeof TRAINING_PRECISIONS[number];

export interface TrainingOptions {
    /** Samples per step; the network's own input batch when absent. */
    readonly batch?: number;
    readonly optimizer: Optimizer;
    /** fp32, or mixed: activations in 16 bits, parameters, gradients and optimizer state in float32 (torch.autocast). */
    readonly precision?: TrainingPrecision;
}

export interface LayerTrainingMemory {
    readonly name: string;
    readonly op: string;
    /** What the layer keeps for its backward pass: `input`, `output`, `input + indices`, `—` … */
    readonly keeps: string;
    /** Bytes it adds to the kept activations: 0 when what it keeps is already kept by an earlier layer. */
    readonly bytes: number;
    /** The earlier layer (or network input) whose kept tensor this layer keeps too. */
    readonly sharedWith?: string;
    /** Runs in place over its input (a ReLU after a batch norm). */
    readonly inPlace?: boolean;
}

export interface CheckpointSaving {
    readonly module: string;
    readonly block?: string;
    readonly depth: number;
    /** Kept activation bytes the module would not keep if checkpointed (it keeps only its inputs then). */
    readonly bytes: number;
    /** FLOPs of the forward pass the backward would run again. */
    readonly recomputeFlops: number;
}

export interface TrainingMemory {
    readonly batch: number;
    readonly optimizer: Optimizer;
    readonly precision: TrainingPrecision;
    readonly parameterBytes: number;
    /** Batch norm's running statistics. */
    readonly bufferBytes: number;
    readonly gradientBytes: number;
    readonly optimizerStateBytes: number;
    /** Mixed precision: the 16-bit copies of the weights autocast makes for each step. */
    readonly weightCopyBytes: number;
    /** Activations kept for the backward pass, at the end of the forward pass (the network input included). */
    readonly savedActivationBytes: number;
    /** Most activation (and activation-gradient) bytes alive at once in the forward pass, and in the backward pass. */
    readonly forwardPeakBytes: number;
    readonly backwardPeakBytes: number;
    /** Parameters, buffers, gradients, optimizer state, weight copies and the larger of the two activation peaks. */
    readonly peakBytes: number;
    /** Data-parallel training (DDP) all-reduces every gradient each step: parameters × 4 bytes (float32). */
    readonly allReduceBytes: number;
    readonly layers: LayerTrainingMemory[];
    /** Modules that checkpointing would shrink, largest saving first. */
    readonly checkpoints: CheckpointSaving[];
}

/** What the figures assume, shown beside them. */
export const TRAINING_MEMORY_CONVENTION = 'Training memory: as PyTorch keeps it — each op keeps what its backward reads, a tensor kept by several ops counted once, ReLU in place after an op that does not keep its output (torchvision\'s inplace=True; ReLU6 keeps its input, in place too, as PyTorch\'s does), gradients kept between steps, the loss not counted; the all-reduce is every gradient in float32 once per step (DDP).';

const FLOAT32 = 4;

/** The rule of an op that says none: it keeps every input (the safe guess). */
function savedFor(op: string, inputs: readonly Shape[], attrs: NetworkGraph['nodes'][number]['attrs'], outputs: readonly Shape[]): SavedForBackward {
    const rule = findOp(op)?.savedForBackward;
    return rule ? rule({ inputs, attrs }, outputs) : { inputs: inputs.map((_, i) => i), output: false, extras: [] };
}

export function trainingMemory(graph: NetworkGraph, options: TrainingOptions): TrainingMemory {
    const precision = options.precision ?? 'fp32';
    const fileBatch = graph.inputs.length ? graph.tensors[graph.inputs[0].tensor].shape[0] : 1;
    const batch = options.batch ?? fileBatch;
    const activationBytes = precision === 'mixed' ? 2 : FLOAT32;
    const { nodes, tensors } = graph;
    const n = nodes.length;

    // Which tensors carry the batch (computed from a network input) and which need a gradient (computed with parameters).
    const batched = new Uint8Array(tensors.length);
    const needsGrad = new Uint8Array(tensors.length);
    const isParameter = new Uint8Array(tensors.length);
    for (const port of graph.inputs) batched[port.tensor] = 1;
    for (const node of nodes) {
        const fromInput = node.inputs.some(t => batched[t]);
        const grad = node.params.some(p => p.kind !== 'buffer') || node.inputs.some(t => needsGrad[t]);
        for (const t of node.outputs) {
            batched[t] = fromInput ? 1 : 0;
            needsGrad[t] = grad ? 1 : 0;
            if (node.op === 'parameter') isParameter[t] = 1;
        }
    }
    const shapeAt = (t: number): Shape => {
        const shape = tensors[t].shape;
        return batched[t] && shape.length && shape[0] === fileBatch ? [batch, ...shape.slice(1)] : shape;
    };
    const bytesOf = (t: number) => numel(shapeAt(t)) * activationBytes;

    const readers = new Int32Array(tensors.length);
    const lastReader = new Int32Array(tensors.length).fill(-1);
    for (const node of nodes) for (const t of node.inputs) { readers[t]++; lastReader[t] = node.index; }
    const isOutput = new Uint8Array(tensors.length);
    for (const port of graph.outputs) isOutput[port.tensor] = 1;

    // Memory: each tensor's storage (its own, or its input's for a view or an in-place op). Storage ids are tensor ids.
    const storage = Int32Array.from(tensors, t => t.id);
    const keptAsOutput = new Uint8Array(tensors.length); // its producer keeps it
    const rules: SavedForBackward[] = [];
    const inPlace = new Uint8Array(n);
    for (const node of nodes) {
        const rule = savedFor(node.op, node.inputs.map(shapeAt), node.attrs, node.outputs.map(shapeAt));
        rules.push(rule);
        const x = node.inputs[0];
        if (rule.view && x !== undefined) {
            for (const t of node.outputs) storage[t] = storage[x];
        } else if (rule.inPlace && x !== undefined && node.inputs.length === 1 && readers[x] === 1 && storage[x] === x
            && tensors[x].producer !== undefined && !keptAsOutput[x] && !isOutput[x] && !isParameter[x]) {
            storage[node.outputs[0]] = x;
            inPlace[node.index] = 1;
        }
        if (rule.output) for (const t of node.outputs) keptAsOutput[t] = 1;
    }
    const storageBytes = new Float64Array(tensors.length);
    for (const t of tensors) if (storage[t.id] === t.id) storageBytes[t.id] = isParameter[t.id] ? 0 : bytesOf(t.id);

    // Kept storages: the first layer that keeps each (its bytes are that layer's) and the earliest (freed after its backward).
    const firstKeeper = new Int32Array(tensors.length).fill(-1);
    const layers: LayerTrainingMemory[] = [];
    const extrasBytes = new Float64Array(n);
    let savedActivationBytes = 0;
    for (const node of nodes) {
        const rule = rules[node.index];
        const kept = [...rule.inputs.map(i => node.inputs[i]), ...(rule.output ? node.outputs : [])]
            .filter(t => t !== undefined && !isParameter[t]);
        let bytes = 0;
        let sharedWith: string | undefined;
        for (const t of kept) {
            const s = storage[t];
            if (firstKeeper[s] === -1) {
                firstKeeper[s] = node.index;
                bytes += storageBytes[s];
            } else if (sharedWith === undefined) {
                sharedWith = nodes[firstKeeper[s]].name;
            }
        }
        for (const e of rule.extras) extrasBytes[node.index] += e.elements * e.bytesPerElement;
        bytes += extrasBytes[node.index];
        savedActivationBytes += bytes;
        layers.push({
            name: node.name, op: node.op, keeps: describeKept(rule, node.inputs.length), bytes,
            ...(sharedWith !== undefined && bytes === extrasBytes[node.index] ? { sharedWith } : {}),
            ...(inPlace[node.index] ? { inPlace: true } : {}),
        });
    }

    const forwardPeakBytes = forwardPeak(graph, storage, storageBytes, firstKeeper, extrasBytes, lastReader, isOutput);
    const backwardPeakBytes = backwardPeak(graph, rules, storage, storageBytes, firstKeeper, extrasBytes, needsGrad, isParameter, bytesOf);

    let parameterTensors = 0;
    for (const node of nodes) for (const p of node.params) if (p.kind !== 'buffer') parameterTensors++;
    const { params, buffers } = graph.totals;
    const parameterBytes = params * FLOAT32;
    const gradientBytes = params * FLOAT32;
    // PyTorch's SGD keeps a momentum buffer per parameter; Adam two moments and a float32 step count per tensor.
    const optimizerStateBytes = options.optimizer === 'sgd' ? 0
        : options.optimizer === 'sgd-momentum' ? params * FLOAT32
        : 2 * params * FLOAT32 + parameterTensors * FLOAT32;
    const weightCopyBytes = precision === 'mixed' ? params * 2 : 0;
    const bufferBytes = buffers * FLOAT32;
    return {
        batch, optimizer: options.optimizer, precision,
        parameterBytes, bufferBytes, gradientBytes, optimizerStateBytes, weightCopyBytes,
        savedActivationBytes, forwardPeakBytes, backwardPeakBytes,
        peakBytes: parameterBytes + bufferBytes + gradientBytes + optimizerStateBytes + weightCopyBytes + Math.max(forwardPeakBytes, backwardPeakBytes),
        allReduceBytes: params * FLOAT32,
        layers,
        checkpoints: checkpointSavings(graph, rules, storage, storageBytes, extrasBytes, isParameter),
    };
}

function describeKept(rule: SavedForBackward, inputCount: number): string {
    const parts: string[] = [];
    if (rule.inputs.length) parts.push(inputCount === 1 ? 'input' : rule.inputs.length === inputCount ? 'inputs' : `input${rule.inputs.length > 1 ? 's' : ''} ${rule.inputs.map(i => i + 1).join(', ')}`);
    if (rule.output) parts.push('output');
    for (const e of rule.extras) parts.push(e.what);
    return parts.length ? parts.join(' + ') : rule.view ? '— (a view)' : '—';
}

/**
 * Most bytes alive at once in the forward pass: a storage from the op that makes it to its last reader, or to the
 * end when kept or a network output; extras from their op to the end.
 */
function forwardPeak(graph: NetworkGraph, storage: Int32Array, storageBytes: Float64Array, firstKeeper: Int32Array, extrasBytes: Float64Array, lastReader: Int32Array, isOutput: Uint8Array): number {
    const n = graph.nodes.length;
    const start = new Int32Array(graph.tensors.length).fill(n);
    const end = new Int32Array(graph.tensors.length).fill(-1);
    for (const t of graph.tensors) {
        const s = storage[t.id];
        const made = t.producer ?? 0;
        start[s] = Math.min(start[s], made);
        end[s] = Math.max(end[s], made, lastReader[t.id], isOutput[t.id] || firstKeeper[s] !== -1 ? n - 1 : -1);
    }
    const delta = new Float64Array(n + 1);
    for (const t of graph.tensors) {
        if (storage[t.id] !== t.id || !storageBytes[t.id] || start[t.id] >= n) continue;
        delta[start[t.id]] += storageBytes[t.id];
        delta[end[t.id] + 1] -= storageBytes[t.id];
    }
    for (let i = 0; i < n; i++) delta[i] += extrasBytes[i]; // never freed before the backward
    let live = 0;
    let peak = 0;
    for (let i = 0; i < n; i++) {
        live += delta[i];
        peak = Math.max(peak, live);
    }
    return peak;
}

/**
 * Most bytes alive at once in the backward pass, ops in reverse: kept storages until the backward of the first op
 * that keeps them, activation gradients from the backward of their last reader to that of their producer, and at
 * each op the gradients it makes to be added into existing ones and its weights' gradient (added in place).
 */
function backwardPeak(graph: NetworkGraph, rules: readonly SavedForBackward[], storage: Int32Array, storageBytes: Float64Array, firstKeeper: Int32Array,
    extrasBytes: Float64Array, needsGrad: Uint8Array, isParameter: Uint8Array, bytesOf: (t: number) => number): number {
    const { nodes, tensors } = graph;
    const n = nodes.length;
    // Kept storages (and extras) alive at the backward of node i: those whose first keeper is at or before i.
    const keptFrom = new Float64Array(n + 1);
    for (const t of tensors) if (storage[t.id] === t.id && firstKeeper[t.id] !== -1) keptFrom[firstKeeper[t.id]] += storageBytes[t.id];
    for (let i = 0; i < n; i++) keptFrom[i] += extrasBytes[i];
    // Gradient storages: a tensor's gradient is made at its last reader's backward, or passed on from the output's
    // gradient by a sum, a concat or a view (then it shares that gradient's memory), and freed after its producer's.
    const gradStorage = new Int32Array(tensors.length).fill(-1);
    const gradBytes = new Float64Array(tensors.length);
    const gradMade = new Int32Array(tensors.length).fill(-1);  // node index whose backward makes it (n: the loss)
    const gradFreed = new Int32Array(tensors.length).fill(n);  // node index after whose backward it is freed
    const transient = new Float64Array(n);
    for (const port of graph.outputs) {
        if (!needsGrad[port.tensor]) continue;
        gradStorage[port.tensor] = port.tensor;
        gradBytes[port.tensor] = bytesOf(port.tensor);
        gradMade[port.tensor] = n - 1;
    }
    for (let i = n - 1; i >= 0; i--) {
        const node = nodes[i];
        const rule = rules[i];
        const passesOn = rule.view && node.outputs.length === 1 || node.op === 'add' || node.op === 'concat';
        const out = node.outputs[0];
        for (const x of node.inputs) {
            if (!needsGrad[x] || isParameter[x]) continue;
            const aliased = passesOn && gradStorage[out] !== -1 && (node.op !== 'add' || numel(tensors[x].shape) === numel(tensors[out].shape));
            if (gradStorage[x] !== -1) {
                if (!aliased) transient[i] += bytesOf(x); // made, added into the gradient already there, dropped
                continue;
            }
            if (aliased) {
                const s = gradStorage[out];
                gradStorage[x] = s;
                gradFreed[s] = Math.min(gradFreed[s], tensors[x].producer ?? 0);
            } else {
                gradStorage[x] = x;
                gradBytes[x] = bytesOf(x);
                gradMade[x] = i;
                gradFreed[x] = tensors[x].producer ?? 0;
            }
        }
        for (const t of node.outputs) if (gradStorage[t] === t) gradFreed[t] = Math.min(gradFreed[t], i);
        // The weights' gradient is made and added into the one kept between steps (float32 in mixed precision too).
        for (const p of node.params) if (p.kind !== 'buffer') transient[i] += numel(p.shape) * FLOAT32;
    }
    const grads = new Float64Array(n + 1);
    for (const t of tensors) {
        if (gradStorage[t.id] !== t.id || gradMade[t.id] < 0) continue;
        const from = Math.min(gradFreed[t.id], gradMade[t.id]);
        grads[from] += gradBytes[t.id];
        grads[gradMade[t.id] + 1] -= gradBytes[t.id];
    }
    let kept = 0;
    let liveGrads = 0;
    const keptAt = new Float64Array(n);
    const gradsAt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
        kept += keptFrom[i];
        liveGrads += grads[i];
        keptAt[i] = kept;
        gradsAt[i] = liveGrads;
    }
    const outputs = graph.outputs.reduce((sum, p) => sum + (firstKeeper[storage[p.tensor]] === -1 ? storageBytes[storage[p.tensor]] : 0), 0);
    let peak = 0;
    for (let i = n - 1; i >= 0; i--) peak = Math.max(peak, keptAt[i] + gradsAt[i] + transient[i] + outputs);
    return peak;
}

/**
 * What checkpointing each module would give back: the kept storages and extras that only the module's layers keep
 * and that the module makes itself (its inputs stay kept). Each storage is added to the innermost module that holds
 * its maker and keepers, then to that module's ancestors.
 */
function checkpointSavings(graph: NetworkGraph, rules: readonly SavedForBackward[], storage: Int32Array, storageBytes: Float64Array, extrasBytes: Float64Array, isParameter: Uint8Array): CheckpointSaving[] {
    const { nodes, modules, tensors } = graph;
    if (!modules.length) return [];
    const lo = new Int32Array(tensors.length).fill(nodes.length);
    const hi = new Int32Array(tensors.length).fill(-1);
    for (const node of nodes) {
        const rule = rules[node.index];
        for (const t of [...rule.inputs.map(i => node.inputs[i]), ...(rule.output ? node.outputs : [])]) {
            if (t === undefined || isParameter[t]) continue;
            const s = storage[t];
            lo[s] = Math.min(lo[s], node.index);
            hi[s] = Math.max(hi[s], node.index);
        }
    }
    const own = new Float64Array(modules.length);
    const innermost = (from: number, to: number): number => {
        let m = nodes[from].module;
        while (m >= 0 && !(modules[m].firstNode <= from && to < modules[m].endNode)) m = modules[m].parent;
        return m;
    };
    for (const t of tensors) {
        if (storage[t.id] !== t.id || hi[t.id] < 0 || t.producer === undefined) continue;
        const m = innermost(Math.min(lo[t.id], t.producer), Math.max(hi[t.id], t.producer));
        if (m >= 0 && modules[m].firstNode <= t.producer) own[m] += storageBytes[t.id];
    }
    for (const node of nodes) if (extrasBytes[node.index] && node.module >= 0) own[node.module] += extrasBytes[node.index];
    // Children come after their parents: add each module's total into its parent, last first.
    const total = Float64Array.from(own);
    for (let m = modules.length - 1; m >= 0; m--) if (modules[m].parent >= 0) total[modules[m].parent] += total[m];
    let flopsBefore = 0;
    const flopsUpTo = new Float64Array(nodes.length + 1);
    nodes.forEach((node, i) => { flopsBefore += node.flops; flopsUpTo[i + 1] = flopsBefore; });
    const depth: number[] = [];
    return modules
        .map((m): CheckpointSaving => {
            depth[m.index] = m.parent < 0 ? 0 : depth[m.parent] + 1;
            return { module: m.name, ...(m.block ? { block: m.block } : {}), depth: depth[m.index], bytes: total[m.index], recomputeFlops: flopsUpTo[m.endNode] - flopsUpTo[m.firstNode] };
        })
        .filter(c => c.bytes > 0)
        .sort((a, b) => b.bytes - a.bytes);
}

/**
 * The largest batch whose training peak fits `budget` bytes (0 when not even one sample fits), with the peaks at
 * that batch and the next. The peak grows with the batch, so a doubling search and a bisection find it.
 */
export function largestBatchThatFits(graph: NetworkGraph, budget: number, options: Omit<TrainingOptions, 'batch'>): { batch: number; peakBytes: number; nextPeakBytes: number } {
    const peakAt = (batch: number) => trainingMemory(graph, { ...options, batch }).peakBytes;
    const MAX_BATCH = 2 ** 31;
    if (peakAt(1) > budget) return { batch: 0, peakBytes: 0, nextPeakBytes: peakAt(1) };
    let fits = 1;
    let fails = 2;
    while (fails <= MAX_BATCH && peakAt(fails) <= budget) {
        fits = fails;
        fails *= 2;
    }
    if (fails > MAX_BATCH) return { batch: fits, peakBytes: peakAt(fits), nextPeakBytes: peakAt(fits + 1) };
    while (fails - fits > 1) {
        const mid = Math.floor((fits + fails) / 2);
        if (peakAt(mid) <= budget) fits = mid;
        else fails = mid;
    }
    return { batch: fits, peakBytes: peakAt(fits), nextPeakBytes: peakAt(fails) };
}
