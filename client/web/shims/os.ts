/**
 * The part of `node:os` the runtime asks (how many threads a run may use). The WebAssembly engine's threads share
 * one memory, which a page may have only when cross-origin isolated: there a run gets a thread per logical core
 * (Web Workers, ./worker-threads.ts); elsewhere it computes on one thread, its own web worker. The web bundles map
 * `node:os` here (esbuild-web.mjs).
 */
declare const navigator: { hardwareConcurrency?: number } | undefined;

export function availableParallelism(): number {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    return isolated && typeof navigator !== 'undefined' ? Math.max(1, navigator.hardwareConcurrency ?? 1) : 1;
}

export function cpus(): unknown[] {
    return Array.from({ length: availableParallelism() }, () => ({}));
}

export default { availableParallelism, cpus };
