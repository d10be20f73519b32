/**
 * Runs a network off the editor's thread (a worker thread of the extension host): loads weights and inputs,
 * runs on the project's runtime with progress, and keeps them to re-run for a layer's feature maps. The run itself
 * is client/run/execute.ts.
 */
import { parentPort } from 'node:worker_threads';
import { MemoryBudgetExceeded, RunCancelled } from '../../runtime/executor.js';
import { captureLayer, executeRun, loadRun, type LoadedRun } from './execute.js';
import type { FromWorker, StartRun, ToWorker } from './messages.js';

let loaded: LoadedRun | undefined;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
    parentPort!.postMessage(message, transfer);
}

async function start(message: StartRun): Promise<void> {
    loaded?.dispose();
    loaded = loadRun(message);
    // The engine's worker threads take some 30 ms to start (a Node worker's own start-up); until they run, every
    // job runs on this thread alone, and the warm per-layer times would be one thread's for a small network.
    await loaded.compute.started;
    const cancel = new Int32Array(message.cancelFlag);
    const controller = new AbortController();
    let lastPost = 0;
    post(executeRun(loaded, message, {
        signal: controller.signal,
        onProgress: (done, total, layer) => {
            if (Atomics.load(cancel, 0) === 1) controller.abort();
            const now = performance.now();
            if (now - lastPost > 50 || done === total - 1) {
                lastPost = now;
                post({ type: 'progress', done, total, layer });
            }
        },
    }));
}

function capture(node: number): void {
    if (!loaded) throw new Error('run the network first');
    const tensor = captureLayer(loaded, node);
    post({ type: 'layer', node, shape: tensor.shape, data: tensor.data }, [tensor.data.buffer as ArrayBuffer]);
}

async function handle(message: ToWorker): Promise<void> {
    try {
        if (message.type === 'start') await start(message);
        else capture(message.node);
    } catch (e) {
        if (e instanceof RunCancelled) post({ type: 'cancelled', message: e.message });
        else post({ type: 'error', message: e instanceof Error ? e.message : String(e), memoryBudget: e instanceof MemoryBudgetExceeded || undefined });
    }
}

// One message at a time, in order: a start waits for the engine's threads, and what comes meanwhile waits for it.
let handled = Promise.resolve();
parentPort!.on('message', (message: ToWorker) => {
    handled = handled.then(() => handle(message));
});
