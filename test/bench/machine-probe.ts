/**
 * How fast the machine's cores run right now: the GEMM's micro-kernel on operands in L1 (runtime/wasm/assembly/
 * peak.ts `l1Peak`) on every core at once for PROBE_MS. The speed benchmark looks between its processes, because
 * on a shared host a core slows down for seconds at a time while another tenant runs on its sibling hyperthread —
 * on this 2-core AMD EPYC VM (2026-12-07) the micro-kernel ran at 33–35 GFLOP/s instead of 55 for seconds while
 * the register-only ceiling (fmaPeak) held 55, and ResNet-18's runs took 60–80 ms instead of 49 — and a process
 * measured then is slow for that alone, whatever engine it runs.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledKernels, WasmMemory } from '../../runtime/wasm/instance.js';

/** How long every thread runs the micro-kernel, in ms. */
const PROBE_MS = 100;

/** How long the calling thread runs it first, in ms, while the engine optimises it. */
const WARM_MS = 30;

/** Micro-kernel calls per timed look: 13 MFLOP, about 0.25 ms at 55 GFLOP/s. */
const ROUNDS = 800;

/** The same loop on the calling thread and in each worker (it gets the source text): GFLOP/s of each look until `deadline` (Date.now()). */
function looks(kernels: { l1Peak(rounds: number, scratch: number): void }, scratch: number, rounds: number, flopsPerRound: number, deadline: number): number[] {
    const rates: number[] = [];
    while (Date.now() < deadline) {
        const start = performance.now();
        kernels.l1Peak(rounds, scratch);
        rates.push((rounds * flopsPerRound) / ((performance.now() - start) * 1e6));
    }
    return rates;
}

const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, scratch, rounds, flopsPerRound } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm kernel aborted'); } } }).exports;
const looks = ${looks.toString()};
parentPort.once('message', deadline => parentPort.postMessage(looks(kernels, scratch, rounds, flopsPerRound, deadline)));
parentPort.postMessage('ready');
`;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The micro-kernel's GFLOP/s on each of `threads` threads (default: one per core) run together, each the median of
 * its looks; undefined where the host has no WebAssembly SIMD or shared memory.
 */
export async function probeCores(threads = os.cpus().length): Promise<number[] | undefined> {
    const compiled = compiledKernels();
    if (!compiled || compiled.memory !== 'shared') return undefined;
    const memory = new WasmMemory(compiled);
    const kernels = memory.kernels;
    const flopsPerRound = kernels.l1PeakFlops();
    // Each thread's panels a page apart from the next thread's: no cache line is shared.
    const stride = Math.ceil(kernels.l1PeakBytes() / 4096) * 4096;
    const base = memory.allocateBytes(stride * threads);
    const workers = Array.from({ length: threads - 1 }, (_, i) => new Worker(workerSource, {
        eval: true,
        workerData: { module: compiled.module, memory: memory.memory, scratch: base + (i + 1) * stride, rounds: ROUNDS, flopsPerRound },
    }));
    try {
        // A worker that fails or ends before it answers rejects both its promises: the probe never waits for it.
        const settled = (worker: Worker, first: boolean) => new Promise<unknown>((resolve, reject) => {
            worker.on('error', reject);
            worker.on('exit', code => reject(new Error(`probe worker ended (${code})`)));
            worker.on('message', message => { if ((message === 'ready') === first) resolve(message); });
        });
        const ready = workers.map(worker => settled(worker, true));
        const results = workers.map(worker => settled(worker, false) as Promise<number[]>);
        // Unawaited until the probe runs: a rejection here is seen there, not as an unhandled one.
        for (const result of results) result.catch(() => undefined);
        await Promise.all(ready);
        // Warm: the engine optimises the module's functions (shared with the workers) only after their first calls.
        looks(kernels, base, ROUNDS, flopsPerRound, Date.now() + WARM_MS);
        const deadline = Date.now() + PROBE_MS;
        for (const worker of workers) worker.postMessage(deadline);
        const mine = looks(kernels, base, ROUNDS, flopsPerRound, deadline);
        return [mine, ...await Promise.all(results)].map(median);
    } finally {
        for (const worker of workers) void worker.terminate();
    }
}
