/**
 * Runs an elaborated network: plans activation memory, refuses a run over the memory budget before allocating
 * anything, then executes the nodes in order on one arena, checking for cancellation and reporting progress
 * between nodes.
 *
 * `prepareNetwork` does the work that does not depend on the input once — picks the compute engine (WebAssembly
 * SIMD on worker threads, or the TypeScript reference), copies the weights into its memory with batch norms
 * folded into convs (runtime/fusion.ts), allocates the arena and scratch — and `run` can then be called many
 * times; `runNetwork` is both in one call.
 */
import { familyOf } from '../language/ops/registry.js';
import type { GraphNode, NetworkGraph } from '../language/elaboration/graph.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { formatBytes } from '../language/util/format.js';
import { createCompute, type Compute, type EngineChoice } from './compute.js';
import { planSteps, type Step } from './fusion.js';
import { transformsWinogradWeightsPerRun, usesWinograd, WINOGRAD_POSITIONS } from './winograd.js';
import { planMemory } from './memory-plan.js';
import { elementCount, Tensor } from './tensor.js';
import { parameterBytes, type ParameterStore } from './weights.js';
import { Workspace } from './workspace.js';
import { findKernel } from './kernels/index.js';
import { modePadding } from './kernels/conv.js';
import { copyFloats, copyOfFloats } from './copy-floats.js';

export const DEFAULT_MEMORY_BUDGET = 2 * 1024 ** 3;

export interface PrepareOptions {
    /** Bytes the run may plan for activations, scratch and parameters together (default 2 GiB). */
    readonly memoryBudget?: number;
    /**
     * 'fast' (default): WebAssembly SIMD kernels when the engine has them, else the same plan on TypeScript kernels;
     * 'reference': the TypeScript kernels layer by layer; 'typescript': that fallback plan whatever the engine has.
     */
    readonly engine?: EngineChoice;
    /** Threads of the fast engine (default: every core). */
    readonly threads?: number;
    /** Fold batch norms and ReLUs into the convs before them (default: with the fast engine, not the reference). */
    readonly fuse?: boolean;
    /** Nodes (by index) whose first output is copied out as it is produced, for feature-map views. */
    readonly capture?: ReadonlySet<number>;
    /** Which WebAssembly memory the fast engine it makes uses (ComputeOptions.memory); default 'auto'. */
    readonly memory?: 'auto' | 'plain';
    /** An engine the caller made (and disposes), e.g. to load weights straight into its memory. */
    readonly compute?: Compute;
    /**
     * The parameters are handed over: arrays in the engine's memory are used without a copy and batch norms are
     * folded into them in place, so the weights exist once. The caller must not use them afterwards.
     */
    readonly adoptParameters?: boolean;
}

export interface RunOptions extends PrepareOptions {
    /** Called before each node: node i (0-based) of n. */
    readonly onProgress?: (done: number, total: number, node: GraphNode) => void;
    /** Checked between nodes; an aborted run throws `RunCancelled` and leaves nothing behind. */
    readonly signal?: AbortSignal;
    /**
     * Measure each step's time on warm runs: after the run that gives the outputs (whose first layers pay for cold
     * caches, page faults and the threads waking) and up to a quarter second of untimed runs (PROFILE_WARM_UP), up to
     * PROFILE_RUNS more runs, as many as fit in about a second, and each step's median over them — so that twin
     * layers show the same time.
     */
    readonly profile?: boolean;
}

/** At most this many warm runs are timed for a profile, and no more than fit in PROFILE_BUDGET_MS. */
export const PROFILE_RUNS = 5;
const PROFILE_BUDGET_MS = 1000;

/**
 * Untimed runs before a profile's timed ones: for `ms`, or `runs` of them if that is sooner (none when one run takes
 * longer than `ms`). V8 runs the kernels first on its baseline compiler and swaps in optimized code once each has
 * run for a while, and a team's first 100 ms may run on the caller alone (MachineLoad). Measured (`convnet run
 * --profile`, fresh processes alternated, five each): MobileNetV2 at two threads 18.6 → 14.0 ms median (its warm
 * runs had often been one thread's speed), at one thread 21.0 → 19.0; ResNet-18 (50 ms runs) level.
 */
const PROFILE_WARM_UP = { ms: 250, runs: 20 } as const;

export interface NodeTiming {
    /** Index of the step's (first) node in the graph. */
    readonly node: number;
    readonly name: string;
    /** The node's op, or the ops of a fused step joined by " + " ("conv + batchnorm + relu"). */
    readonly op: string;
    /** Median over the warm runs when profiling (see RunOptions.profile). */
    readonly ms: number;
    /** Fastest and slowest of those runs. */
    readonly minMs?: number;
    readonly maxMs?: number;
}

export interface RunResult {
    /** Every network output, by its name, copied out of the arena. */
    readonly outputs: Map<string, Tensor>;
    /** The time of the run that gave the outputs (the first, cold, run when profiling). */
    readonly totalMs: number;
    /** Per step (a node, or a conv with what it absorbed), in execution order, when profiling: medians of warm runs. */
    readonly timings?: NodeTiming[];
    /** When profiling: how many warm runs were timed, the median of their totals, and the untimed runs before them. */
    readonly profile?: { readonly runs: number; readonly totalMs: number; readonly untimedRuns: number };
    readonly plannedBytes: MemoryEstimate;
    /** First output of each captured node, by node index. */
    readonly captured: Map<number, Tensor>;
    /** What computed: "wasm relaxed-simd, 2 threads" or "typescript". */
    readonly engine: string;
    /** Parts of this run's split jobs (and its warm runs') that worker threads ran (0 on one thread): the threads took part. */
    readonly workerParts: number;
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
        if (node.inputs.length === 0) continue; // a learned tensor of its own (`param`) only copies its value
        const input = graph.tensors[node.inputs[0]].shape;
        const output = graph.tensors[node.outputs[0]].shape;
        if (node.op === 'linear') {
            // Xᵀ and Yᵀ of an input with more than one row (the reference), or the weight transposed through it once (fast).
            const rows = elementCount(input.slice(0, -1));
            const [inF, outF] = [input[input.length - 1], output[output.length - 1]];
            if (rows > 1) largest = Math.max(largest, rows * (inF + outF), inF * outF);
            continue;
        }
        if (!/conv/.test(node.op) || node.params.length === 0) continue;
        const weight = node.params.find(p => p.name === 'weight')!;
        const kernelTaps = elementCount(weight.shape.slice(2));
        const grid = familyOf(node.op) === 'convtranspose' ? elementCount(input.slice(2)) : elementCount(output.slice(2));
        // Deformable conv samples every input channel into one buffer; the others build one group at a time.
        const channels = node.op === 'deformconv' ? input[1] : weight.shape[1];
        // A conv with a padding_mode pads a copy of its input into the scratch after the columns.
        const padding = modePadding(node, input, output);
        largest = Math.max(largest, channels * kernelTaps * grid + (padding ? elementCount(padding.shape) : 0), elementCount(weight.shape));
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

/**
 * Bytes `PreparedNetwork` may take from the engine before its first run: im2col's scratch, a copy of every
 * parameter (folded, or moved into the engine's memory), Winograd's transformed weights, a batch norm's scale and
 * shift when no conv absorbs it, the arena (as the graph plans it; the steps' plan is a little smaller), and each
 * block's alignment. Reserved at once, so that a plain WebAssembly memory (see Compute.moves) does not move while
 * weights are being folded into it.
 */
function preparationBytes(graph: NetworkGraph, estimate: MemoryEstimate): number {
    let winograd = 0;
    let extra = 0;
    let blocks = 4;
    for (const node of graph.nodes) {
        blocks += 2 * node.params.length + 2;
        if (node.op === 'batchnorm') extra += 2 * graph.tensors[node.inputs[0]].shape[1] * 4;
        if (!usesWinograd(graph, node) || transformsWinogradWeightsPerRun(graph, node)) continue; // made as the conv runs: none kept
        const [cout, cin] = node.params.find(p => p.name === 'weight')!.shape;
        winograd += WINOGRAD_POSITIONS * cout * cin * 4;
    }
    return estimate.total + winograd + extra + 32 * blocks;
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
    const prepared = prepareNetwork(graph, parameters, options);
    try {
        const result = prepared.run(inputs, { onProgress: options.onProgress, signal: options.signal });
        if (!options.profile) return result;
        const workerPartsBefore = prepared.workerParts;
        const warm = prepared.profile(inputs, result.totalMs, options.signal);
        const workerParts = result.workerParts + prepared.workerParts - workerPartsBefore;
        return { ...result, timings: warm.timings, profile: { runs: warm.runs, totalMs: warm.totalMs, untimedRuns: warm.untimedRuns }, workerParts };
    } finally {
        prepared.dispose();
    }
}

/**
 * Checks that the engine's own workspace (every thread's GEMM scratch, obtained when the engine starts) fits in the
 * budget beside what the network plans (`plannedBytes`); throws `MemoryBudgetExceeded` before anything of the
 * network is allocated. A front end that makes its own engine calls this right after making it.
 */
export function checkEngineWithinBudget(graph: NetworkGraph, compute: Compute, plannedBytes: number, budget: number = DEFAULT_MEMORY_BUDGET): void {
    const engineBytes = compute.allocatedBytes;
    if (plannedBytes + engineBytes <= budget) return;
    throw new MemoryBudgetExceeded(`${graph.name} needs ${formatBytes(plannedBytes)} plus ${formatBytes(engineBytes)} of workspace for the engine's ${compute.threads} thread${compute.threads === 1 ? '' : 's'}, over the memory budget of ${formatBytes(budget)}. Raise the budget or run on fewer threads.`);
}

function mapValues(record: Readonly<Record<string, Float32Array>>, f: (array: Float32Array) => Float32Array): Record<string, Float32Array> {
    return Object.fromEntries(Object.entries(record).map(([name, array]) => [name, f(array)]));
}

/** Checks, plans and loads `graph` once for any number of runs; throws as `runNetwork` does. */
export function prepareNetwork(graph: NetworkGraph, parameters: ParameterStore, options: PrepareOptions = {}): PreparedNetwork {
    const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    const upperBound = checkMemoryBudget(graph, budget);
    for (const node of graph.nodes) {
        if (!findKernel(node.op)) throw new RunError(`the runtime has no kernel for op '${node.op}' (layer ${node.name})`);
        if (node.params.length && !parameters.has(node.name)) throw new RunError(`no parameters for layer '${node.name}'`);
    }
    return new PreparedNetwork(graph, parameters, options, upperBound.total);
}

export class PreparedNetwork {
    readonly compute: Compute;
    private stepList: readonly Step[] = [];
    readonly plannedBytes: MemoryEstimate;
    private arena: Float32Array = new Float32Array(0);
    private offsets: ArrayLike<number> = [];
    private workspace: Workspace = new Workspace();
    private readonly ownsCompute: boolean;
    /** Nodes whose outputs are copied out as they are produced (fixed here: fusion keeps them). */
    private readonly capture: ReadonlySet<number>;
    /** Each tensor's place in the arena, made once: a run allocates nothing per layer. */
    private readonly views = new Map<number, Tensor>();
    /** The engine's `moves` when this network's arrays were last taken (a plain memory moves as it grows). */
    private seenMoves = 0;

    constructor(readonly graph: NetworkGraph, parameters: ParameterStore, options: PrepareOptions, expectedBytes: number) {
        this.ownsCompute = !options.compute;
        this.capture = options.capture ?? new Set();
        this.compute = options.compute ?? createCompute({ engine: options.engine, threads: options.threads, expectedBytes, memory: options.memory });
        if (this.ownsCompute) {
            try {
                checkEngineWithinBudget(graph, this.compute, expectedBytes, options.memoryBudget);
            } catch (e) {
                this.compute.dispose();
                throw e;
            }
        }
        const scratch = scratchElements(graph);
        const estimate = estimateMemory(graph);
        this.compute.reserve(preparationBytes(graph, estimate));
        // Placing the network again after a move is safe unless weights were folded in place (adopted): then the
        // caller's arrays are changed and would be folded twice. The reservation above is meant to rule a move out.
        for (let attempt = 0; ; attempt++) {
            const before = this.compute.allocatedBytes;
            if (this.place(parameters, options, scratch)) break;
            if (options.adoptParameters || attempt > 0) {
                throw new RunError(`the engine's memory grew while ${graph.name}'s weights were being placed in it; run it on the TypeScript engine (convnet run --engine typescript)`);
            }
            // Room for all the first attempt took, at once: the second does not move the memory.
            this.compute.reserve(this.compute.allocatedBytes - before);
        }
        this.seenMoves = this.compute.moves;
        const arenaElements = this.arena.length;
        this.plannedBytes = {
            activations: arenaElements * 4,
            scratch: scratch * 4,
            parameters: parameterBytes(graph),
            total: arenaElements * 4 + scratch * 4 + parameterBytes(graph),
        };
    }

    /** The steps a run takes (kernel calls, with their parameters in the engine's memory). */
    get steps(): readonly Step[] {
        return this.stepList;
    }

    /**
     * Folds and places the weights, the scratch and the arena in the engine's memory; false when the memory moved
     * while weights were being folded (views read then were empty), so the caller places them again.
     */
    private place(parameters: ParameterStore, options: PrepareOptions, scratch: number): boolean {
        const compute = this.compute;
        const movesBefore = compute.moves;
        // The caller's arrays in the engine's memory (seeded weights) as they are now, should the memory have moved.
        const current = new Map([...parameters].map(([layer, tensors]) => [layer, mapValues(tensors, a => compute.current(a))]));
        this.workspace = new Workspace(elements => compute.allocate(elements));
        // im2col's scratch, sized for the largest im2col and the largest weight (weights are packed through it).
        const im2colScratch = this.workspace.get('im2col', Math.max(scratch, 1));
        this.stepList = planSteps(this.graph, current, {
            fuse: options.fuse ?? compute.kind === 'fast',
            keep: options.capture,
            compute,
            adopt: options.adoptParameters,
            scratch: im2colScratch,
        });
        if (compute.moves !== movesBefore) return false;
        // The arena is planned over the steps: a tensor a fused step never writes takes no space.
        const { graph } = this;
        const plan = planMemory({ tensors: graph.tensors, inputs: graph.inputs, outputs: graph.outputs, nodes: this.stepList.map((step, index) => ({ index, inputs: step.inputs, outputs: step.outputs })) });
        this.arena = compute.allocate(plan.arenaElements);
        this.offsets = plan.offsets;
        return true;
    }

    /**
     * Takes every array of the run again from the engine's memory after it moved (a plain WebAssembly memory that
     * grew — here only as a run's first kernels ask the workspace for more than the reservation left).
     */
    private retake(): void {
        const compute = this.compute;
        this.arena = compute.current(this.arena);
        this.views.clear();
        this.workspace.retake(array => compute.current(array));
        this.stepList = this.stepList.map(step => ({ ...step, params: mapValues(step.params, a => compute.current(a)) }));
        this.seenMoves = compute.moves;
    }

    private view(t: number): Tensor {
        let tensor = this.views.get(t);
        if (!tensor) {
            const offset = this.offsets[t];
            const shape = this.graph.tensors[t].shape;
            tensor = new Tensor(shape, this.arena.subarray(offset, offset + elementCount(shape)));
            this.views.set(t, tensor);
        }
        return tensor;
    }

    /** Parts of split jobs the engine's worker threads have run so far (Compute.workerParts). */
    get workerParts(): number {
        return this.compute.workerParts;
    }

    run(inputs: ReadonlyMap<string, Tensor>, options: Pick<RunOptions, 'onProgress' | 'signal' | 'profile'> = {}): RunResult {
        const graph = this.graph;
        for (const port of graph.inputs) {
            const given = inputs.get(port.name);
            const expected = graph.tensors[port.tensor].shape;
            if (!given) throw new RunError(`no value for input '${port.name}' (${formatShape(expected)})`);
            if (given.shape.length !== expected.length || given.shape.some((d, i) => d !== expected[i])) {
                throw new RunError(`input '${port.name}' must be ${formatShape(expected)}, got ${formatShape(given.shape)}`);
            }
        }
        if (this.compute.moves !== this.seenMoves) this.retake();
        for (const port of graph.inputs) copyFloats(this.view(port.tensor).data, inputs.get(port.name)!.data);
        const timings: NodeTiming[] | undefined = options.profile ? [] : undefined;
        const captured = new Map<number, Tensor>();
        const start = performance.now();
        const workerPartsBefore = this.compute.workerParts;
        const total = graph.nodes.length;
        for (let index = 0; index < this.stepList.length; index++) {
            const step = this.stepList[index];
            const node = step.node;
            if (options.signal?.aborted) throw new RunCancelled(node.index, total);
            options.onProgress?.(node.index, total, node);
            const t0 = timings ? performance.now() : 0;
            this.runStep(index);
            if (timings) timings.push({ node: node.index, name: node.name, op: [node, ...step.absorbed].map(n => n.op).join(' + '), ms: performance.now() - t0 });
            const last = step.absorbed[step.absorbed.length - 1] ?? node;
            if (this.capture.has(last.index)) {
                const out = this.view(step.outputs[0]);
                captured.set(last.index, new Tensor(out.shape, copyOfFloats(out.data)));
            }
        }
        const outputs = new Map<string, Tensor>();
        for (const port of graph.outputs) {
            const t = this.view(port.tensor);
            outputs.set(port.name, new Tensor(t.shape, copyOfFloats(t.data)));
        }
        return {
            outputs, totalMs: performance.now() - start, timings, plannedBytes: this.plannedBytes, captured,
            engine: this.compute.description, workerParts: this.compute.workerParts - workerPartsBefore,
        };
    }

    /**
     * Runs one step's kernel. When the engine's memory moves under it (a plain memory grown by the workspace the
     * kernel asked for), what it wrote after the move went nowhere and what it read may have been empty: the step
     * runs again on arrays taken anew. Steps only read their inputs, so a second run gives the same outputs.
     */
    private runStep(index: number): void {
        if (this.compute.moves !== this.seenMoves) this.retake();
        for (;;) {
            const before = this.compute.moves;
            const step = this.stepList[index];
            const node = step.node;
            try {
                findKernel(node.op)!({
                    node,
                    inputs: node.inputs.map(t => this.view(t)),
                    outputs: step.outputs.map(t => this.view(t)),
                    params: step.params,
                    workspace: this.workspace,
                    compute: this.compute,
                    clamp: step.clamp,
                    activation: step.activation,
                    packedWeight: step.packedWeight,
                    packedWinograd: step.packedWinograd,
                    winogradWeightsPerRun: step.winogradWeightsPerRun,
                    transposedWeight: step.transposedWeight,
                    residual: step.residual === undefined ? undefined : this.view(step.residual),
                });
            } catch (e) {
                // An array emptied by the move (a detached buffer) may throw; the step runs again below.
                if (this.compute.moves === before) throw e;
            }
            if (this.compute.moves === before) return;
            this.retake();
        }
    }

    /**
     * Per-step medians of warm runs (RunOptions.profile): after the untimed ones of PROFILE_WARM_UP (none when one run
     * took `runMs` longer than its time), as many as fit in PROFILE_BUDGET_MS, at least one and at most PROFILE_RUNS.
     */
    profile(inputs: ReadonlyMap<string, Tensor>, runMs: number, signal?: AbortSignal): { timings: NodeTiming[]; runs: number; totalMs: number; untimedRuns: number } {
        let untimedRuns = 0;
        if (runMs < PROFILE_WARM_UP.ms) {
            const until = performance.now() + PROFILE_WARM_UP.ms;
            for (; untimedRuns < PROFILE_WARM_UP.runs && performance.now() < until; untimedRuns++) this.run(inputs, { signal });
        }
        const count = Math.max(1, Math.min(PROFILE_RUNS, Math.floor(PROFILE_BUDGET_MS / Math.max(runMs, 1e-3))));
        const runs = Array.from({ length: count }, () => this.run(inputs, { profile: true, signal }));
        const median = (values: number[]) => {
            const sorted = [...values].sort((a, b) => a - b);
            return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        };
        const timings = runs[0].timings!.map((step, i) => {
            const times = runs.map(r => r.timings![i].ms);
            return { ...step, ms: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
        });
        return { timings, runs: count, totalMs: median(runs.map(r => r.totalMs)), untimedRuns };
    }

    /** Stops the engine's threads (unless the caller gave the engine); the object must not run again. */
    dispose(): void {
        if (this.ownsCompute) this.compute.dispose();
    }
}
