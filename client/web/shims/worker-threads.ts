/**
 * `node:worker_threads` in the browser, as far as the runtime's thread team uses it (runtime/wasm/threads.ts): a
 * `Worker` running JavaScript source text (`eval: true`) with its `workerData`, made a Web Worker. The team starts
 * workers only on a shared memory, which a page has only when cross-origin isolated (see ./os.ts); elsewhere a
 * run computes on one thread and this is never constructed. The web bundles map `node:worker_threads` here
 * (esbuild-web.mjs).
 *
 * The source reads its data with `require('node:worker_threads').workerData`; here the data (the compiled module
 * and the shared memory, which structured clone shares) arrives as the worker's first message, and `require`
 * answers that one question. The worker says when it has started ('online'): the browser starts it only while the
 * worker that made it is idle, so a run awaits that (ThreadTeam.started).
 */
interface WebWorker {
    postMessage(message: unknown): void;
    terminate(): void;
    onerror: ((event: { message?: string }) => void) | null;
    onmessage: ((event: { data: unknown }) => void) | null;
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
    self.postMessage('online');
    ${source}
};
self.postMessage('loaded');`;

class BrowserThread {
    private readonly worker: WebWorker;

    constructor(source: string, options: { eval?: boolean; workerData?: unknown }) {
        if (typeof Worker === 'undefined' || options.eval !== true) throw new Error('worker threads are not available here; the run computes on one thread');
        const url = URL.createObjectURL(new Blob([prelude(source)], { type: 'text/javascript' }));
        this.worker = new Worker(url);
        // 'loaded': the worker has its script (it fetches the URL after the constructor returns), so the URL can go,
        // and the data is sent now — a message sent before may wait for this worker to be idle. 'online': it has the
        // data and is starting its loop.
        this.worker.onmessage = ({ data }) => {
            if (data === 'loaded') {
                URL.revokeObjectURL(url);
                this.worker.postMessage(options.workerData);
            } else if (data === 'online') {
                this.worker.onmessage = null;
                this.onOnline?.();
            }
        };
    }

    private onOnline?: () => void;

    /** A Web Worker never keeps a page alive. */
    unref(): void {}

    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'online', listener: () => void): this;
    on(event: 'error' | 'online', listener: (error: Error) => void): this {
        if (event === 'error') this.worker.onerror = e => listener(new Error(e.message ?? 'a runtime thread failed'));
        else this.onOnline = listener as () => void;
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
