/**
 * Worker threads that share one `WasmMemory`: each instantiates the same compiled module on the same shared
 * memory and waits (Atomics.wait) on a job block there (its layout: job-layout.ts). Starting a job writes its
 * arguments into the block, bumps the generation and wakes the workers; every thread — the caller included, as
 * thread 0 — runs its part (`runPart` in the module decides the split), and the caller waits until the busy
 * count drops to zero.
 * Results equal the single-thread ones up to floating-point reassociation: the split never cuts a dot product.
 */
import { Worker } from 'node:worker_threads';
import type { KernelExports, WasmMemory } from './instance.js';
import { HEADER_SLOT, JOB_KINDS, JOB_SLOTS, STOP_KIND, jobSlots, type JobArguments, type JobName } from './job-layout.js';

const { generation: GENERATION, busy: BUSY, kind: KIND } = HEADER_SLOT;

/** Checks of a flag before a thread sleeps on it (tens of microseconds). */
const SPIN = 20000;

// The worker's whole program: instantiate, then loop on the job block. Kept as source text so that it runs the
// same from the bundles and from the TypeScript sources under test.
const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, job, thread, threads } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm kernel aborted'); } } }).exports;
const control = new Int32Array(memory.buffer, job, ${JOB_SLOTS});
let seen = 0;
for (;;) {
    // Spin briefly before sleeping: a network's jobs come back to back, and waking from Atomics.wait costs more
    // than a small layer's share of work.
    for (let spin = 0; spin < ${SPIN} && Atomics.load(control, ${GENERATION}) === seen; spin++);
    Atomics.wait(control, ${GENERATION}, seen);
    const generation = Atomics.load(control, ${GENERATION});
    if (generation === seen) continue;
    seen = generation;
    if (control[${KIND}] === ${STOP_KIND}) break;
    kernels.runPart(job, thread, threads);
    if (Atomics.sub(control, ${BUSY}, 1) === 1) Atomics.notify(control, ${BUSY});
}
`;

export class ThreadTeam {
    readonly threads: number;
    private readonly workers: Worker[] = [];
    private readonly control: Int32Array;
    private readonly floats: Float32Array;
    private readonly job: number;
    private readonly kernels: KernelExports;

    /** `threads` threads in all (the caller and threads − 1 workers), each with `scratchBytes` of scratch. */
    constructor(memory: WasmMemory, threads: number, scratchBytes: number) {
        this.threads = Math.max(1, Math.floor(threads));
        this.kernels = memory.kernels;
        this.job = memory.allocateBytes(JOB_SLOTS * 4);
        const scratch = memory.allocateBytes(scratchBytes * this.threads);
        this.control = new Int32Array(memory.memory.buffer, this.job, JOB_SLOTS);
        this.floats = new Float32Array(memory.memory.buffer, this.job, JOB_SLOTS);
        this.control[HEADER_SLOT.scratch] = scratch;
        this.control[HEADER_SLOT.scratchStride] = Math.ceil(scratchBytes / 16) * 16;
        for (let thread = 1; thread < this.threads; thread++) {
            const worker = new Worker(workerSource, {
                eval: true,
                workerData: { module: memory.compiledKernels.module, memory: memory.memory, job: this.job, thread, threads: this.threads },
            });
            // An idle team must not keep the process alive, and a worker error must not go unseen.
            worker.unref();
            worker.on('error', error => { console.error(`convnet runtime worker ${thread} failed:`, error); });
            this.workers.push(worker);
        }
    }

    /** Runs a job — on every thread, or only on the caller's when `parallel` is false — and returns when it is done. */
    run<J extends JobName>(job: J, args: JobArguments<J>, parallel = true): void {
        const control = this.control;
        control[KIND] = JOB_KINDS[job];
        const values = args as Readonly<Record<string, number>>;
        for (const { field, slot, type } of jobSlots(job)) {
            if (type === 'f32') this.floats[slot] = values[field];
            else control[slot] = values[field];
        }
        if (this.threads === 1 || !parallel) {
            this.kernels.runPart(this.job, 0, 1);
            return;
        }
        Atomics.store(control, BUSY, this.threads - 1);
        Atomics.add(control, GENERATION, 1);
        Atomics.notify(control, GENERATION);
        this.kernels.runPart(this.job, 0, this.threads);
        for (let spin = 0; spin < SPIN && Atomics.load(control, BUSY) !== 0; spin++);
        for (let busy = Atomics.load(control, BUSY); busy !== 0; busy = Atomics.load(control, BUSY)) {
            Atomics.wait(control, BUSY, busy);
        }
    }

    /** Stops the workers (the memory stays usable from the calling thread). */
    dispose(): void {
        if (this.workers.length === 0) return;
        this.control[KIND] = STOP_KIND;
        Atomics.add(this.control, GENERATION, 1);
        Atomics.notify(this.control, GENERATION);
        for (const worker of this.workers) void worker.terminate();
        this.workers.length = 0;
    }
}
