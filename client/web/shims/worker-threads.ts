/**
 * `node:worker_threads` in the browser, as far as the runtime's thread team uses it (runtime/wasm/threads.ts): a
 * `Worker` running JavaScript source text (`eval: true`) with its `workerData`, made a Web Worker. The team starts
 * workers only on a shared memory, which a page has only when cross-origin isolated (see ./os.ts); elsewhere a
 * run computes on one thread and this is never constructed. The web bundles map `node:worker_threads` here
 * (esbuild-web.mjs).
 *
 * The source reads its data with `require('node:worker_threads').workerData`; here the data (the compiled module
 * and the shared memory, which structured clone shares) arrives as the worker's first message, and `require`
 * answers that one question.
 */
interface WebWorker {
    postMessage(message: unknown): void;
    terminate(): void;
    onerror: ((event: { message?: string }) => void) | null;
}
declare const Worker: (new (url: string) => WebWorker) | undefined;
declare const Blob: new (parts: string[], options: { type: string }) => unknown;
declare const URL: { createObjectURL(blob: unknown): string; revokeObjectURL(url: string): void };

const prelude = (source: string) => `self.onmessage = ({ data }) => {
    self.onmessage = null;
    const require = name => {
        if (name === 'node:worker_threads') return { workerData: data };
        throw new Error('a thread of the runtime cannot load ' + name + ' in the browser');
    };
    ${source}
};`;

class BrowserThread {
    private readonly worker: WebWorker;

    constructor(source: string, options: { eval?: boolean; workerData?: unknown }) {
        if (typeof Worker === 'undefined' || options.eval !== true) throw new Error('worker threads are not available here; the run computes on one thread');
        const url = URL.createObjectURL(new Blob([prelude(source)], { type: 'text/javascript' }));
        this.worker = new Worker(url);
        URL.revokeObjectURL(url);
        this.worker.postMessage(options.workerData);
    }

    /** A Web Worker never keeps a page alive. */
    unref(): void {}

    on(event: 'error', listener: (error: Error) => void): this {
        if (event === 'error') this.worker.onerror = e => listener(new Error(e.message ?? 'a runtime thread failed'));
        return this;
    }

    terminate(): Promise<number> {
        this.worker.terminate();
        return Promise.resolve(0);
    }
}

export { BrowserThread as Worker };
export const parentPort = null;
export const workerData = undefined;
