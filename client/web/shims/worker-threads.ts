/**
 * `node:worker_threads` in the browser: never constructed there (a run has one thread, see ./os.ts), and a clear
 * error should that change. The web bundles map `node:worker_threads` here (esbuild.mjs).
 */
export class Worker {
    constructor() {
        throw new Error('worker threads are not available in the browser; the run computes on one thread');
    }
}

export const parentPort = null;
export const workerData = undefined;
