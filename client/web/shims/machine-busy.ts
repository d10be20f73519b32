/**
 * runtime/wasm/machine-busy.ts in the browser: a page has no CPU times, so other processes' load is unknown there
 * and a team of threads judges it by its split jobs alone. The web bundles map runtime/wasm/machine-busy here
 * (esbuild-web.mjs).
 */
export type { BusyTimes } from '../../../runtime/wasm/machine-busy.js';

export function machineBusyTimes(): undefined {
    return undefined;
}
