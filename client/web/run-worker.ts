/**
 * Runs a network in a web worker, as client/run/worker.ts does in a worker thread on the desktop: the same loading
 * and execution (client/run/execute.ts), with the files of the run handed over by the extension (the web bundle
 * reads them through ./shims/bounded-read.ts) and on one thread.
 */
import { MemoryBudgetExceeded, RunCancelled } from '../../runtime/executor.js';
import { captureLayer, executeRun, loadRun, type LoadedRun } from '../run/execute.js';
import type { FromWorker } from '../run/messages.js';
import type { StartWebRun, ToWebWorker } from './run-messages.js';
import { forgetFiles, provideFile } from './shims/bounded-read.js';

/** The worker's global scope, as far as this file uses it (the DOM library is not in tsconfig). */
declare const self: {
    postMessage(message: unknown, transfer?: unknown[]): void;
    onmessage: ((event: { data: ToWebWorker }) => void) | null;
};

let loaded: LoadedRun | undefined;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
    self.postMessage(message, transfer);
}

async function start(message: StartWebRun): Promise<void> {
    loaded?.dispose();
    loaded = undefined;
    forgetFiles();
    for (const file of message.files) provideFile(file.name, file.bytes);
    loaded = loadRun(message);
    forgetFiles(); // the weights now live in the engine; the input's tensor was made
    // A Web Worker this one made starts only while this one is idle: without the wait, the engine's threads would
    // start after the run, which runs synchronously to the end.
    await loaded.compute.started;
    let lastPost = 0;
    post(executeRun(loaded, message, {
        onProgress: (done, total, layer) => {
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

self.onmessage = async ({ data: message }) => {
    try {
        if (message.type === 'start') await start(message);
        else capture(message.node);
    } catch (e) {
        if (e instanceof RunCancelled) post({ type: 'cancelled', message: e.message });
        else post({ type: 'error', message: e instanceof Error ? e.message : String(e), memoryBudget: e instanceof MemoryBudgetExceeded || undefined });
    }
};
