/**
 * Runs an elaborated network: plans activation memory, refuses a run over the memory budget before allocating
 * anything, then executes the nodes in order on one arena, checking for cancellation and reporting progress
 * between nodes.
 */
import type { GraphNode, NetworkGraph } from '../language/elaboration/graph.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { formatBytes } from '../language/util/format.js';
import { planMemory } from './memory-plan.js';
import { elementCount, Tensor } from './tensor.js';
import { parameterBytes, type ParameterStore } from './weights.js';
import { Workspace } from './workspace.js';
import { findKernel } from './kernels/index.js';

export const DEFAULT_MEMORY_BUDGET = 2 * 1024 ** 3;

export interface RunOptions {
    /** Bytes the run may plan for activations, scratch and parameters together (default 2 GiB). */
    readonly memoryBudget?: number;
    /** Called before each node: node i (0-based) of n. */
    readonly onProgress?: (done: number, total: number, node: GraphNode) => void;
    /** Checked between nodes; an aborted run throws `RunCancelled` and leaves nothing behind. */
    readonly signal?: AbortSignal;
    /** Measure each node's time. */
    readonly profile?: boolean;
    /** Nodes (by index) whose first output is copied out as it is produced, for feature-map views. */
    readonly capture?: ReadonlySet<number>;
}

export interface NodeTiming {
    readonly name: string;
    readonly op: string;
    readonly ms: number;
}

export interface RunResult {
    /** Every network output, by its name, copied out of the arena. */
    readonly outputs: Map<string, Tensor>;
    readonly totalMs: number;
    /** Per node, in execution order, when profiling. */
    readonly timings?: NodeTiming[];
    readonly plannedBytes: MemoryEstimate;
    /** First output of each captured node, by node index. */
    readonly captured: Map<number, Tensor>;
}

export interface MemoryEstimate {
    readonly activations: number;
    readonly scratch: number;
    readonly parameters: number;
    readonly total: number;
}

export class RunCancelled extends Error {
    constructor(done: number, total: number) {
        super(`run cancelled after ${done} of ${total} layers`);
    }
}

export class MemoryBudgetExceeded extends Error {}

export class RunError extends Error {}

/** Largest im2col / transposed-weight / transposed-input scratch any node needs, in float32 elements. */
function scratchElements(graph: NetworkGraph): number {
    let largest = 0;
    for (const node of graph.nodes) {
        const input = graph.tensors[node.inputs[0]].shape;
        const output = graph.tensors[node.outputs[0]].shape;
        if (node.op === 'linear') {
            // Xᵀ and Yᵀ of an input with more than one row.
            const rows = elementCount(input.slice(0, -1));
            if (rows > 1) largest = Math.max(largest, rows * (input[input.length - 1] + output[output.length - 1]));
            continue;
        }
        if (!/conv/.test(node.op) || node.params.length === 0) continue;
        const weight = node.params.find(p => p.name === 'weight')!;
        const kernelTaps = elementCount(weight.shape.slice(2));
        const grid = node.op.startsWith('convtranspose') ? elementCount(input.slice(2)) : elementCount(output.slice(2));
        // Deformable conv samples every input channel into one buffer; the others build one group at a time.
        const channels = node.op === 'deformconv' ? input[1] : weight.shape[1];
        largest = Math.max(largest, channels * kernelTaps * grid, elementCount(weight.shape));
    }
    return largest;
}

export function estimateMemory(graph: NetworkGraph): MemoryEstimate & { arenaElements: number; offsets: ArrayLike<number> } {
    const plan = planMemory(graph);
    const activations = plan.arenaElements * 4;
    const scratch = scratchElements(graph) * 4;
    const parameters = parameterBytes(graph);
    return { activations, scratch, parameters, total: activations + scratch + parameters, arenaElements: plan.arenaElements, offsets: plan.offsets };
}

function budgetMessage(graph: NetworkGraph, estimate: MemoryEstimate, budget: number): string {
    const biggest = [...graph.nodes].sort((a, b) => b.memory - a.memory).slice(0, 3)
        .map(n => `${n.name} (${n.op}, ${graph.tensors[n.outputs[0]].shape.join('×')}: ${formatBytes(n.memory)})`);
    return `${graph.name} needs ${formatBytes(estimate.total)} (activations ${formatBytes(estimate.activations)}, scratch ${formatBytes(estimate.scratch)}, `
        + `parameters ${formatBytes(estimate.parameters)}), over the memory budget of ${formatBytes(budget)}. Largest layers: ${biggest.join('; ')}. `
        + 'Reduce the input size or batch, or raise the budget.';
}

/**
 * The memory a run of `graph` plans; throws `MemoryBudgetExceeded` when it is over `budget` (so that a front end
 * can refuse a run before it loads weights or inputs).
 */
export function checkMemoryBudget(graph: NetworkGraph, budget: number = DEFAULT_MEMORY_BUDGET): ReturnType<typeof estimateMemory> {
    const estimate = estimateMemory(graph);
    if (estimate.total > budget) throw new MemoryBudgetExceeded(budgetMessage(graph, estimate, budget));
    return estimate;
}

/**
 * Runs `graph` on `inputs` (by input name) with `parameters`. Throws `MemoryBudgetExceeded` before allocating,
 * `RunCancelled` when the signal aborts, and `RunError` for inputs of the wrong shape or a missing kernel.
 */
export function runNetwork(graph: NetworkGraph, inputs: ReadonlyMap<string, Tensor>, parameters: ParameterStore, options: RunOptions = {}): RunResult {
    const estimate = checkMemoryBudget(graph, options.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    for (const port of graph.inputs) {
        const given = inputs.get(port.name);
        const expected = graph.tensors[port.tensor].shape;
        if (!given) throw new RunError(`no value for input '${port.name}' (${formatShape(expected)})`);
        if (given.shape.length !== expected.length || given.shape.some((d, i) => d !== expected[i])) {
            throw new RunError(`input '${port.name}' must be ${formatShape(expected)}, got ${formatShape(given.shape)}`);
        }
    }
    for (const node of graph.nodes) {
        if (!findKernel(node.op)) throw new RunError(`the runtime has no kernel for op '${node.op}' (layer ${node.name})`);
        if (node.params.length && !parameters.has(node.name)) throw new RunError(`no parameters for layer '${node.name}'`);
    }
    const arena = new Float32Array(estimate.arenaElements);
    const view = (t: number) => {
        const offset = estimate.offsets[t];
        return new Tensor(graph.tensors[t].shape, arena.subarray(offset, offset + elementCount(graph.tensors[t].shape)));
    };
    for (const port of graph.inputs) view(port.tensor).data.set(inputs.get(port.name)!.data);
    const workspace = new Workspace();
    const timings: NodeTiming[] | undefined = options.profile ? [] : undefined;
    const captured = new Map<number, Tensor>();
    const start = performance.now();
    const total = graph.nodes.length;
    for (const node of graph.nodes) {
        if (options.signal?.aborted) throw new RunCancelled(node.index, total);
        options.onProgress?.(node.index, total, node);
        const t0 = timings ? performance.now() : 0;
        findKernel(node.op)!({
            node,
            inputs: node.inputs.map(view),
            outputs: node.outputs.map(view),
            params: parameters.get(node.name) ?? {},
            workspace,
        });
        if (timings) timings.push({ name: node.name, op: node.op, ms: performance.now() - t0 });
        if (options.capture?.has(node.index)) {
            const out = view(node.outputs[0]);
            captured.set(node.index, new Tensor(out.shape, out.data.slice()));
        }
    }
    const outputs = new Map<string, Tensor>();
    for (const port of graph.outputs) {
        const t = view(port.tensor);
        outputs.set(port.name, new Tensor(t.shape, t.data.slice()));
    }
    return { outputs, totalMs: performance.now() - start, timings, plannedBytes: estimate, captured };
}
