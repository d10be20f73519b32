/**
 * Runs a network off the editor's thread (a worker thread of the extension host): loads weights and inputs,
 * runs on the project's runtime with progress, and keeps them to re-run for a layer's feature maps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { checkMemoryBudget, runNetwork, RunCancelled } from '../../runtime/executor.js';
import { initializeParameters, type ParameterStore } from '../../runtime/weights.js';
import { loadParameters, parseSafetensors } from '../../runtime/safetensors.js';
import { inputsFromFile, randomInputs } from '../../runtime/inputs.js';
import { IMAGENET_NORMALIZATION } from '../../runtime/image.js';
import { outputStatistics } from '../../runtime/statistics.js';
import type { Tensor } from '../../runtime/tensor.js';
import type { FromWorker, StartRun, ToWorker } from './messages.js';

interface Loaded {
    readonly graph: NetworkGraph;
    readonly parameters: ParameterStore;
    readonly inputs: Map<string, Tensor>;
    readonly memoryBudget: number;
}

let loaded: Loaded | undefined;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
    parentPort!.postMessage(message, transfer);
}

function start(message: StartRun): void {
    const { graph } = message;
    const estimate = checkMemoryBudget(graph, message.memoryBudget);
    const parameters = message.weights
        ? loadParameters(graph, parseSafetensors(fs.readFileSync(message.weights), message.weights), { source: message.weights }).store
        : initializeParameters(graph, message.seed);
    const inputs = message.input.kind === 'random'
        ? randomInputs(graph, message.seed)
        : inputsFromFile(graph, fs.readFileSync(message.input.path), message.input.path, { normalization: message.imagenetNormalization ? IMAGENET_NORMALIZATION : undefined }).values;
    loaded = { graph, parameters, inputs, memoryBudget: message.memoryBudget };
    const cancel = new Int32Array(message.cancelFlag);
    const controller = new AbortController();
    let lastPost = 0;
    const result = runNetwork(graph, inputs, parameters, {
        memoryBudget: message.memoryBudget,
        profile: true,
        signal: controller.signal,
        onProgress: (done, total, node) => {
            if (Atomics.load(cancel, 0) === 1) controller.abort();
            const now = performance.now();
            if (now - lastPost > 50 || done === total - 1) {
                lastPost = now;
                post({ type: 'progress', done, total, layer: node.name });
            }
        },
    });
    post({
        type: 'done',
        outputs: [...result.outputs].map(([name, tensor]) => outputStatistics(name, tensor)),
        totalMs: result.totalMs,
        timings: result.timings ?? [],
        weights: message.weights ? path.basename(message.weights) : `seeded initialisation (seed ${message.seed})`,
        input: message.input.kind === 'random' ? `seeded random (seed ${message.seed})` : path.basename(message.input.path),
        memoryBytes: estimate.total,
    });
}

function capture(node: number): void {
    if (!loaded) throw new Error('run the network first');
    const result = runNetwork(loaded.graph, loaded.inputs, loaded.parameters, { memoryBudget: loaded.memoryBudget, capture: new Set([node]) });
    const tensor = result.captured.get(node)!;
    post({ type: 'layer', node, shape: tensor.shape, data: tensor.data }, [tensor.data.buffer as ArrayBuffer]);
}

parentPort!.on('message', (message: ToWorker) => {
    try {
        if (message.type === 'start') start(message);
        else capture(message.node);
    } catch (e) {
        if (e instanceof RunCancelled) post({ type: 'cancelled', message: e.message });
        else post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
});
