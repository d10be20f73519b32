/**
 * The part of `node:os` the runtime asks (how many threads a run may use). In the browser a run computes on one
 * thread (its web worker): the WebAssembly engine's threads share one memory, which a page that is not
 * cross-origin isolated cannot have. The web bundles map `node:os` here (esbuild.mjs).
 */
export function availableParallelism(): number {
    return 1;
}

export function cpus(): unknown[] {
    return [{}];
}

export default { availableParallelism, cpus };
