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

function start(message: StartRun): void {
    loaded?.dispose();
    loaded = loadRun(message);
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

parentPort!.on('message', (message: ToWorker) => {
    try {
        if (message.type === 'start') start(message);
        else capture(message.node);
    } catch (e) {
        if (e instanceof RunCancelled) post({ type: 'cancelled', message: e.message });
        else post({ type: 'error', message: e instanceof Error ? e.message : String(e), memoryBudget: e instanceof MemoryBudgetExceeded || undefined });
    }
});
