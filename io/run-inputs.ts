/**
 * A run, resolved once for every front end (`convnet run` and the editor's Run Model): the memory budget and the
 * engine are checked and the engine made before anything is read (`openRun`); then the weights (a safetensors
 * state_dict by name, or the seeded initialisation, made in the engine's memory) and the inputs (an image, a `.npy`
 * or safetensors tensor, or seeded random values) are loaded, each file through the bounded reader, with one set of
 * messages.
 *
 * Normalisation applies to images. Asked for explicitly (`--normalize`), it is an error on a tensor input, since
 * the person expected it to apply; coming from a setting (`convnet.imagenetNormalization`, on by default), it is
 * simply not applied to a tensor.
 */
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { formatBytes } from '../language/util/format.js';
import { checkEngineWithinBudget, checkMemoryBudget, DEFAULT_MEMORY_BUDGET } from '../runtime/executor.js';
import { createCompute, FAST_ENGINE_CAPACITY, type Compute, type EngineChoice } from '../runtime/compute.js';
import { EngineMemoryExhausted } from '../runtime/wasm/instance.js';
import type { Tensor } from '../runtime/tensor.js';
import { initializeParameters, type ParameterStore } from '../runtime/weights.js';
import { readFileBounded } from './bounded-read.js';
import { sniffImage, type Normalization } from './image.js';
import { inputsFromFile, randomInputs, type InputKind } from './inputs.js';
import { loadParametersFromBytes } from './safetensors.js';

export interface RunInputsRequest {
    /** A `.safetensors` state_dict; absent: the seeded initialisation. */
    readonly weights?: string;
    /** Ignore tensors of the weights file that no layer has. */
    readonly allowUnexpected?: boolean;
    /** An image, `.npy` or `.safetensors` file; absent: seeded standard normal values. */
    readonly input?: string;
    readonly seed: number;
    readonly normalization?: Normalization;
    /** 'request' (a flag: an error on a tensor input) or 'setting' (applied to images only). Default 'request'. */
    readonly normalizationFrom?: 'request' | 'setting';
}

export type WeightsSource =
    | { readonly source: 'seed'; readonly seed: number }
    | { readonly source: 'file'; readonly path: string; readonly tensors: number; readonly ignored: string[]; readonly nonFinite: string[] };

export interface RunInputs {
    readonly parameters: ParameterStore;
    readonly inputs: Map<string, Tensor>;
    readonly weights: WeightsSource;
    readonly inputKind: InputKind;
}

/**
 * Loads the weights and the inputs of a run of `graph`; `allocate` places seeded weights in the engine's memory.
 * Throws the readers' errors (one sentence naming the file).
 */
export function loadRunInputs(graph: NetworkGraph, request: RunInputsRequest, allocate?: (elements: number) => Float32Array): RunInputs {
    let parameters: ParameterStore;
    let weights: WeightsSource;
    if (request.weights) {
        const loaded = loadParametersFromBytes(graph, readFileBounded(request.weights, 'weights', 'the weights'), { allowUnexpected: request.allowUnexpected, source: request.weights });
        parameters = loaded.store;
        weights = { source: 'file', path: request.weights, tensors: loaded.loaded, ignored: [...loaded.ignored], nonFinite: [...loaded.nonFinite] };
    } else {
        parameters = initializeParameters(graph, request.seed, allocate);
        weights = { source: 'seed', seed: request.seed };
    }
    if (!request.input) return { parameters, inputs: randomInputs(graph, request.seed), weights, inputKind: 'random' };
    const bytes = readFileBounded(request.input, 'input', 'the input');
    const fromSetting = request.normalizationFrom === 'setting';
    const normalization = fromSetting && !sniffImage(bytes) ? undefined : request.normalization;
    const prepared = inputsFromFile(graph, bytes, request.input, { normalization });
    return { parameters, inputs: prepared.values, weights, inputKind: prepared.kind };
}

export interface RunRequest extends RunInputsRequest {
    /** Bytes the run may plan (activations, weights, the engine's workspace); default 2 GiB. */
    readonly memoryBudget?: number;
    /** Default 'fast'. */
    readonly engine?: EngineChoice;
    /** Threads of the fast engine; default: one per core. */
    readonly threads?: number;
}

/** A run ready to execute, any number of times: its engine, weights and inputs. `dispose` frees the engine. */
export interface OpenedRun extends RunInputs {
    readonly compute: Compute;
    readonly memoryBudget: number;
    /** Bytes the network plans (activations and weights), not counting the engine's workspace. */
    readonly plannedBytes: number;
    dispose(): void;
}

/**
 * Checks the run against the budget and the engine's capacity before reading anything (throws
 * `MemoryBudgetExceeded` or `EngineMemoryExhausted`), makes the engine, then loads weights and inputs.
 */
export function openRun(graph: NetworkGraph, request: RunRequest): OpenedRun {
    const memoryBudget = request.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    const estimate = checkMemoryBudget(graph, memoryBudget);
    if ((request.engine ?? 'fast') === 'fast' && estimate.total > FAST_ENGINE_CAPACITY) {
        throw new EngineMemoryExhausted(`${graph.name} needs ${formatBytes(estimate.total)}, more than the ${formatBytes(FAST_ENGINE_CAPACITY)} the fast engine's WebAssembly memory can hold; run it on the TypeScript engine (convnet run --engine typescript)`);
    }
    // The engine exists before the weights so that seeded weights are made in its memory and used without a copy.
    const compute = createCompute({ engine: request.engine, threads: request.threads, expectedBytes: estimate.total });
    try {
        checkEngineWithinBudget(graph, compute, estimate.total, memoryBudget);
        const loaded = loadRunInputs(graph, request, elements => compute.allocate(elements));
        return { ...loaded, compute, memoryBudget, plannedBytes: estimate.total, dispose: () => compute.dispose() };
    } catch (e) {
        compute.dispose();
        throw e;
    }
}
