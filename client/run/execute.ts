/**
 * What a run of the editor does, without the worker around it (client/run/worker.ts) — so that the run view's
 * page can also be fed a real run outside the editor (test/editor/webview-pages.ts): loads the weights and the
 * inputs, runs on the project's runtime, and re-runs for one layer's output (its feature maps).
 */
import * as path from 'node:path';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { runNetwork } from '../../runtime/executor.js';
import { openRun, type OpenedRun } from '../../io/run-inputs.js';
import { IMAGENET_NORMALIZATION } from '../../io/image.js';
import { outputStatistics } from '../../runtime/statistics.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { FromWorker, StartRun } from './messages.js';

export type RunRequest = Omit<StartRun, 'type' | 'cancelFlag'>;
export type RunDone = Extract<FromWorker, { type: 'done' }>;

/** A network with its engine, weights and inputs, ready to run again (for a layer's feature maps); `dispose` frees it. */
export interface LoadedRun extends OpenedRun {
    readonly graph: NetworkGraph;
}

/**
 * Checks the memory budget and the engine first (throws `MemoryBudgetExceeded` before anything is loaded), then
 * loads, as `convnet run` does.
 */
export function loadRun(request: RunRequest): LoadedRun {
    const { graph } = request;
    // The setting applies ImageNet normalisation to images; a tensor input is taken as it is.
    const run = openRun(graph, {
        weights: request.weights, input: request.input.kind === 'random' ? undefined : request.input.path, seed: request.seed,
        normalization: request.imagenetNormalization ? IMAGENET_NORMALIZATION : undefined, normalizationFrom: 'setting',
        memoryBudget: request.memoryBudget,
    });
    return { ...run, graph };
}

export interface ExecuteOptions {
    readonly signal?: AbortSignal;
    readonly onProgress?: (done: number, total: number, layer: string) => void;
}

/** Runs once with per-layer timing: what the run view shows. */
export function executeRun(loaded: LoadedRun, request: RunRequest, options: ExecuteOptions = {}): RunDone {
    const result = runNetwork(loaded.graph, loaded.inputs, loaded.parameters, {
        memoryBudget: loaded.memoryBudget,
        compute: loaded.compute,
        profile: true,
        signal: options.signal,
        onProgress: options.onProgress && ((done, total, node) => options.onProgress!(done, total, node.name)),
    });
    return {
        type: 'done',
        outputs: [...result.outputs].map(([name, tensor]) => outputStatistics(name, tensor)),
        totalMs: result.totalMs,
        timings: result.timings ?? [],
        warmRuns: result.profile?.runs ?? 0,
        warmMs: result.profile?.totalMs ?? result.totalMs,
        weights: request.weights ? path.basename(request.weights) : `seeded initialisation (seed ${request.seed})`,
        input: request.input.kind === 'random' ? `seeded random (seed ${request.seed})` : path.basename(request.input.path),
        memoryBytes: loaded.plannedBytes,
        engine: result.engine,
        workerParts: result.workerParts,
    };
}

/** The output of layer `node` (its index in the graph), from a run that keeps it. */
export function captureLayer(loaded: LoadedRun, node: number): Tensor {
    const result = runNetwork(loaded.graph, loaded.inputs, loaded.parameters, { memoryBudget: loaded.memoryBudget, compute: loaded.compute, capture: new Set([node]) });
    return result.captured.get(node)!;
}
