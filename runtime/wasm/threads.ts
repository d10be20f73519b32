/**
 * Worker threads that share one `WasmMemory`: each instantiates the same compiled module on the same shared
 * memory and waits (Atomics.wait) on a job block there (its layout: job-layout.ts). Starting a job writes its
 * arguments into the block, cuts it into parts, bumps the generation and wakes the workers; then every thread —
 * the caller included, as thread 0 — takes parts one at a time until none is left (`runPart` in the module says
 * what part t of T is), and the caller waits only for parts already taken.
 *
 * Why parts and not one share per thread: on a busy machine a worker may not run for milliseconds. With a fixed
 * half each, the caller would wait for it; with small parts taken from a shared ticket, the caller takes what the
 * worker has not started. A worker descheduled in the middle of a part still makes the caller wait: when a split
 * job loses to the caller alone, the next jobs of its kind and size run on the caller alone for a while (MIN_GAIN).
 * When splitting stops saving time on every kind of job, or the threads stop running side by side, another process
 * wants a core: then the whole team's jobs run on the caller alone for a while — and for as long as other processes
 * leave one core or less idle, where the machine's CPU times say so (MachineLoad, other-processes.ts). A worker that has
 * finished its parts watches for the next job for a while before it sleeps (WATCH_MICROS): long, since a sleeping
 * worker wakes some 50 µs late for the next job while the caller's gap between jobs is mostly under 20 µs — longer
 * when the caller's recent gaps are (CallerGaps); briefly while the caller runs jobs alone, or after a job the
 * caller took no part of (the worker was on the caller's own core).
 * Results equal the single-thread ones up to floating-point reassociation: a part never cuts a dot product.
 */
import { Worker } from 'node:worker_threads';
import type { KernelExports, WasmMemory } from './instance.js';
import { otherProcesses } from './other-processes.js';
import { HEADER_SLOT, JOB_KINDS, JOB_SLOTS, STOP_KIND, jobSlots, type JobArguments, type JobName } from './job-layout.js';

const {
    generation: GENERATION, kind: KIND, parts: PARTS, done: DONE, ticketLow: TICKET, workerParts: WORKER_PARTS, workersReady: WORKERS_READY,
    watchMicros: WATCH,
} = HEADER_SLOT;

/** The caller's checks of the finished parts before it sleeps on them: a few µs, less than waking from Atomics.wait costs. */
const SPIN = 2000;

/**
 * A worker's watch for the next job, in µs: long enough to span the caller's longest usual gap between split jobs
 * within a network (a layer or two too small to split, a JavaScript op: up to ~150 µs in MobileNetV2), or brief —
 * the few µs of the caller's own spin. Measured (2 cores, MobileNetV2 at two threads): the long watch made runs
 * 3–5% faster on a quiet machine and, kept with one core busy, 25% slower — hence brief while a loaded machine's
 * caller runs jobs alone (MachineLoad). Longer, up to `most`, when the caller's gaps are (CallerGaps).
 */
const WATCH_MICROS = { long: 200, brief: 10, most: 1000 } as const;

/** The caller's last gaps between split jobs that CallerGaps looks at, and the share of them a watch should span. */
const GAPS = { kept: 8, spanned: 0.75 } as const;

/**
 * The share of their time alone that split jobs save, weighted by their time, below which the machine counts as
 * loaded, and above which it counts as quiet again. Quiet, split jobs save 30–50% (2 cores); with one core busy,
 * about nothing.
 */
const SAVED_SHARE = { loaded: 0.05, quiet: 0.15 } as const;

/**
 * Split jobs that MachineLoad averages over: on a quiet machine, to turn loaded (a running average — long, since a
 * fresh process's first runs split slowly for a while, on a quiet machine too); on a loaded one, to try the team
 * again after a run of solo jobs (the sum of one window of them).
 */
const LOAD_JOBS = { average: 64, window: 16 } as const;

/**
 * The shortest split job whose outcome counts toward MachineLoad, in ms: a shorter one is lost by a worker waking
 * 50 µs late as easily as by another process.
 */
const MACHINE_LOAD_MIN_MS = 0.1;

/**
 * Split jobs (of MACHINE_LOAD_MIN_MS or more) that one side ran alone, among the last `of` of them, from which the
 * threads count as not running side by side. One side runs every part when the other cannot run: the caller none
 * (the worker was woken on the caller's own core and ran them all while the caller waited for the core) or the
 * workers none (no worker ran for the job's whole length). Measured (2 cores, the bench's networks and layers at
 * two threads): with one core busy with another process, 40–93% of the split jobs were one-sided — the scheduler
 * leaves the other process a core and our two threads share the other — and the caller's work between jobs slowed
 * too (a worker watching on its core): the depthwise layer's runs took 1.4 ms against 0.85 on one thread. On a
 * quiet machine 0–5%, mostly in a fresh process's first runs. Far sooner told than by the time split jobs save: a
 * single layer run 50 times shows 4 such jobs within its first 10 runs. A window of the team tried on a loaded
 * machine ends as a loss at its `trial`-th one-sided job: the machine was loaded a moment ago, and each of the
 * window's jobs that loses costs as much as a job would.
 */
const ONE_SIDED = { of: 8, loaded: 4, trial: 2 } as const;

/**
 * The idle cores other processes leave us (the machine's cores less those they keep busy, OtherProcesses). A team is
 * `crowded` with fewer than its threads less `margin`: its threads then share cores with other processes, and only
 * then do one-sided split jobs say the machine is loaded and spells on the caller alone grow. With idle cores enough,
 * one-sided jobs are our own threads put on one core: on this 2-core VM, whose kernel wakes a thread on its waker's
 * core (`sched_vcpu_pack`), a quiet machine's spells started at one-sided jobs 6–11 times in 60 runs of MobileNetV2
 * at two threads, each followed by tries of the team that failed as the workers, asleep meanwhile, were woken on the
 * caller's core again (and, before spells stopped growing there, took 90% of some processes' runs). With fewer than
 * `alone` — one core, and the figure's error — a team's jobs run on the caller alone until a later look says
 * otherwise, without trying the team: with a core burned by another process a try loses its jobs, and a layer the
 * bench runs 13–53 times has few runs to win them back (two threads were 0.90–0.99× one thread's speed on half its
 * cases). A process that keeps part of a core busy (an editor, a browser) leaves the team to its tries, which measure
 * what splitting still saves. The figure is taken over 100 ms or more, good to about 0.2 cores; one core burned by
 * another process reads 0.9–1.0 busy. Once alone by the figure, the process's teams try splitting again only from
 * `again` idle cores (IdleCores): with a core burned, the figure reads up to 1.4 while our process runs more than one
 * thread for a moment (the scheduler shares the cores among all runnable threads, and a team trying to split has
 * two: 1.33), and the tries that let in lost — the bench's 3×3 conv on 28² and 1×1 conv at two threads 5–8% slower
 * than at one under load in each of its three runs that day, all their other jobs alone.
 */
const IDLE_CORES = { margin: 0.5, alone: 1.25, again: 1.5 } as const;

/**
 * How long, in ms, a loaded machine's team runs its jobs on the caller alone before it tries the team again: at
 * first, and at most (doubling while the tries fail and the team is crowded, IDLE_CORES). Time,
 * not jobs: a single layer run over and over is one job a run, a network some 60 — and another process's spell on
 * a core lasts as long as it lasts, whatever we run.
 */
const LOADED_SOLO_MS = { first: 8, most: 1024 } as const;

/**
 * Which runs of one job (one kind, one size: a layer's, once per network run) go to the caller alone to time it:
 * the PROBE.first-th, then every PROBE.every-th. Not the first runs: a network run once (`convnet run`) splits all
 * its jobs. The time alone a split job is weighed against must come from the caller alone: estimated from the
 * caller's own parts of a split job, it counts the slowdown of sharing the cores with a busy machine as time the
 * split saved — with one core busy, ResNet-18's split jobs seemed to save 40% of their time while its runs were 5%
 * slower than one thread's. On a quiet machine a probe costs some 0.5% of a run.
 */
const PROBE = { first: 3, every: 64 } as const;

/** Whether the `runs`-th run of a job (counting from 1) goes to the caller alone to time it (PROBE). */
export function timedAlone(runs: number): boolean {
    return runs >= PROBE.first && (runs - PROBE.first) % PROBE.every === 0;
}

/**
 * The cores other processes leave idle, as teams read them (IDLE_CORES): the figure itself — NaN while not measured
 * yet, undefined where it cannot be — and whether one core or less is left, with hysteresis. One reader per process
 * (`machineIdleCores`), since all its teams share the machine: a team made for the next layer or the next network
 * goes on where the last one was. A fresh one would start over, and its first look — taken while the process starts
 * the new team's worker, more than a core of ours for a moment, at the expense of another process's — may read a
 * little over one core left where one is burned (1.26–1.40, seen in the bench's cases under load).
 */
export class IdleCores {
    private oneOrLess = false;

    /** `figure`: the cores other processes leave idle (a test's own, or the machine's). */
    constructor(private readonly figure: () => number | undefined) {}

    /** The cores other processes leave idle now: NaN while not measured yet, undefined where that cannot be told. */
    now(): number | undefined {
        return this.figure();
    }

    /** Whether other processes leave one core or less idle: from a figure under IDLE_CORES.alone until one of IDLE_CORES.again or more, or none. */
    oneOrLessLeft(): boolean {
        const idle = this.figure() ?? NaN;
        if (idle < IDLE_CORES.alone) this.oneOrLess = true;
        else if (!(idle < IDLE_CORES.again)) this.oneOrLess = false;
        return this.oneOrLess;
    }
}

let processIdleCores: IdleCores | undefined;

/** The process's one reader of the cores other processes leave idle (the process's one OtherProcesses). */
function machineIdleCores(): IdleCores {
    return processIdleCores ??= new IdleCores(() => otherProcesses().idleCores());
}

// Begun as the runtime loads — a network is read and prepared before its first run — so that the first team's first
// jobs have a figure, which takes 100 ms: until then one-sided jobs start spells that grow, as where none can be had.
otherProcesses();

/** The size class of a job for the back-off: its work to the nearest power of two. */
function sizeClass(work: number): number {
    return Math.round(Math.log2(Math.max(1, work)));
}

/** How long one job (one kind and size) took on the caller alone when last timed, and how many times it has run. */
interface SoloTime {
    ms: number;
    runs: number;
}

/** Parts per thread: small enough that a thread descheduled in the middle of one delays the job by little. */
export const PARTS_PER_THREAD = 4;

/**
 * A split job lost when it took longer than the caller alone would have — estimated from the caller's own parts:
 * its working time × parts / its parts — less this margin. That happens when a worker is descheduled in the middle
 * of a part (another process has its core) or wakes too late to take any. The next jobs of that kind and size
 * then run on the caller alone, 1, 2, 4 … up to MAX_SOLO_JOBS of them while splitting keeps losing, and the team
 * is tried again. On a quiet machine, jobs above the split thresholds gain and are never held back.
 */
const MIN_GAIN = 0.03;
const MAX_SOLO_JOBS = 256;

/** The ticket value that opens part `part` of the job of `generation` (64 bits: generation, then part). */
function ticketOf(generation: number, part: number): bigint {
    return (BigInt(generation >>> 0) << 32n) | BigInt(part >>> 0);
}

/**
 * Takes parts of the job of `generation` until none is left, running each: the one loop the caller and the
 * workers share (the workers get its source text). A thread that read an older generation finds another job's
 * ticket and leaves without touching it. Self-contained: it is also compiled from its text in each worker.
 */
function takeParts(control: Int32Array, ticket: BigUint64Array, generation: number, parts: number, done: number,
    run: (part: number, count: number) => void): void {
    const mine = BigInt(generation >>> 0) << 32n;
    for (;;) {
        const current = Atomics.load(ticket, 0);
        if ((current >> 32n) << 32n !== mine) return;
        const part = Number(current & 0xffffffffn);
        // Read after the ticket: while the ticket is this job's, the part count is too.
        const count = control[parts];
        if (part >= count) return;
        if (Atomics.compareExchange(ticket, 0, current, current + 1n) !== current) continue;
        run(part, count);
        if (Atomics.add(control, done, 1) + 1 === count) Atomics.notify(control, done);
    }
}

/** The page size the threads' scratch is laid out in (cache sets repeat every 4 KiB; WebAssembly's pages are 64 KiB). */
const PAGE_BYTES = 4096;

// The worker's whole program: instantiate, then loop on the job block. Kept as source text so that it runs the
// same from the bundles and from the TypeScript sources under test.
const workerSource = `
const { workerData } = require('node:worker_threads');
const { module, memory, job, thread, threads } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm kernel aborted'); } } }).exports;
const control = new Int32Array(memory.buffer, job, ${JOB_SLOTS});
const ticket = new BigUint64Array(memory.buffer, job + ${TICKET * 4}, 1);
const takeParts = ${takeParts.toString()};
const runPart = (part, count) => { kernels.runPart(job, part, count, thread); Atomics.add(control, ${WORKER_PARTS}, 1); };
let seen = 0;
Atomics.add(control, ${WORKERS_READY}, 1);
for (;;) {
    // Watch for the next job (reading the clock, and the watch's length — the caller may have cut it short since —
    // every 64 looks), then sleep.
    const from = performance.now();
    for (let look = 1; Atomics.load(control, ${GENERATION}) === seen; look++) {
        if ((look & 63) === 0 && performance.now() > from + Atomics.load(control, ${WATCH}) / 1000) {
            Atomics.wait(control, ${GENERATION}, seen);
            break;
        }
    }
    const generation = Atomics.load(control, ${GENERATION});
    if (generation === seen) continue;
    seen = generation;
    if (control[${KIND}] === ${STOP_KIND}) break;
    takeParts(control, ticket, generation, ${PARTS}, ${DONE}, runPart);
}
`;

/**
 * What a split job of `total` ms would have taken on the caller alone, from the caller's own parts: it ran
 * `callerParts` of the `parts` in `total − waited` ms (it then waited `waited` ms for the workers' last parts).
 * Infinite when it ran none: it was descheduled while the workers ran them all.
 */
export function aloneEstimate(waited: number, total: number, callerParts: number, parts: number): number {
    return callerParts > 0 ? ((total - waited) * parts) / callerParts : Infinity;
}

/** Whether the next job of one kind and size a team would split runs on the caller alone (see MIN_GAIN). */
export class StallBackoff {
    /** Jobs still to run on the caller alone, and losses in a row so far. */
    private solo = 0;
    private inARow = 0;

    /** Asked before each job that would be split: true while a back-off lasts (and counts the job). */
    runSolo(): boolean {
        if (this.solo === 0) return false;
        this.solo--;
        return true;
    }

    /**
     * After a split job of `total` ms, of which the caller spent the last `waited` waiting for workers' parts,
     * having run `callerParts` of the job's `parts` itself.
     */
    note(waited: number, total: number, callerParts: number, parts: number): void {
        if (total < aloneEstimate(waited, total, callerParts, parts) * (1 - MIN_GAIN)) {
            this.inARow = 0;
            return;
        }
        this.inARow++;
        this.solo = Math.min(MAX_SOLO_JOBS, 2 ** (this.inARow - 1));
    }
}

/**
 * How long workers watch for the next split job, from the caller's last gaps between two (GAPS.kept of them): long
 * enough for GAPS.spanned of those gaps, with half as much again to spare, within WATCH_MICROS.long … most. A layer
 * run over and over (a batch of images one after another, warm runs timed for a profile) leaves gaps of 0.2–0.4 ms
 * between its jobs — its input copied in and its output out — and a worker asleep by then wakes 50–100 µs into
 * the job, so the caller takes more than its share of the parts: a grouped conv's split job took 0.90 ms against
 * 1.31 alone, the caller running 5 of its 8 parts. A network's gaps are mostly under 20 µs: the watch stays long.
 */
export class CallerGaps {
    private readonly gaps = new Float64Array(GAPS.kept);
    /** Where the gaps are sorted: asked after every split job, so kept rather than made each time. */
    private readonly sorted = new Float64Array(GAPS.kept);
    private count = 0;

    /** After a gap of `ms` between the end of one split job and the start of the next. */
    note(ms: number): void {
        this.gaps[this.count++ % GAPS.kept] = ms;
    }

    get watchMicros(): number {
        const kept = Math.min(this.count, GAPS.kept);
        if (kept === 0) return WATCH_MICROS.long;
        this.sorted.set(this.gaps.subarray(0, kept));
        const sorted = this.sorted.subarray(0, kept).sort();
        const spanned = sorted[Math.max(0, Math.ceil(kept * GAPS.spanned) - 1)];
        return Math.round(Math.min(WATCH_MICROS.most, Math.max(WATCH_MICROS.long, 1.5 * spanned * 1000)));
    }
}

/**
 * What a team's split jobs say about the machine. Each saves (or loses) some of the time the same job took on
 * the caller alone when last timed (PROBE); once splitting saves less than SAVED_SHARE.loaded of that time,
 * another process wants a core: a worker descheduled in the middle of a part stalls the job for as long as the
 * other process has its core, whatever the job's kind or size. Then the whole team's jobs run on the caller
 * alone — for LOADED_SOLO_MS.first — and the workers watch for the next job only briefly meanwhile
 * (WATCH_MICROS); then a window of split jobs tries the team again, with the workers watching as on a quiet
 * machine (a worker that sleeps at once would lose them by that alone): saving over SAVED_SHARE.quiet, the machine
 * is quiet again; under SAVED_SHARE.loaded, jobs run alone twice as long next time; in between, another window.
 * Weighing by time, not counting losses, keeps the many small jobs that a late wake-up loses on a quiet machine
 * from making it look loaded. Apart from the time saved, ONE_SIDED.loaded one-sided jobs among the last ONE_SIDED.of
 * turn a quiet machine loaded at once, and ONE_SIDED.trial of them end a window of the team as a loss. Where the
 * machine's CPU times tell what other processes leave idle (OtherProcesses; IDLE_CORES), they decide more: with one
 * core or less left, every job runs on the caller alone, no window tried, until a figure says otherwise; with a core
 * for each thread, one-sided jobs are our own threads put on one core by the scheduler and count for nothing, and
 * spells do not grow.
 */
export class MachineLoad {
    /** Running averages (quiet) or the window's sums (loaded) of the ms split jobs saved (negative: lost) and of their ms alone. */
    private saved = 0;
    private alone = 0;
    /** Split jobs noted: in all (quiet), or in this window (loaded). */
    private counted = 0;
    private loadedNow = false;
    /** Until when (the clock's ms) jobs run on the caller alone, and how long the last such spell was (0: none yet). */
    private soloUntil = -Infinity;
    private soloMs = 0;
    /** The last ONE_SIDED.of split jobs, a bit each (the latest lowest): 1 for one that one side ran alone. */
    private recentOneSided = 0;

    /**
     * For a team of `threads`. `now`: the clock, in ms; `idleCores`: the cores other processes leave idle — a test's
     * own, or the process's reader of the machine's.
     */
    constructor(private readonly threads: number, private readonly now: () => number = () => performance.now(),
        private readonly idleCores: IdleCores = machineIdleCores()) {}

    get loaded(): boolean {
        return this.loadedNow;
    }

    /**
     * Asked before each job that would be split: true while a spell of jobs on the caller alone lasts, or while other
     * processes leave one core or less idle — from a figure under IDLE_CORES.alone until one of IDLE_CORES.again or
     * more, or none (and the workers should watch for the next job only briefly).
     */
    runSolo(): boolean {
        return this.now() < this.soloUntil || this.idleCores.oneOrLessLeft();
    }

    /**
     * Whether other processes leave the team fewer idle cores than it has threads (IDLE_CORES) — or that cannot be
     * told: not measured yet (a figure takes 100 ms), or not here (a browser).
     */
    private crowded(): boolean {
        return !((this.idleCores.now() ?? NaN) >= this.threads - IDLE_CORES.margin);
    }

    /**
     * After a split job that took `splitMs`, where the same job last took `aloneMs` on the caller alone (PROBE; NaN
     * before it was timed), and one side ran all its parts when `oneSided`.
     */
    note(aloneMs: number, splitMs: number, oneSided = false): void {
        if (splitMs < MACHINE_LOAD_MIN_MS) return;
        // One-sided jobs on a team with idle cores enough are our own threads put on one core (IDLE_CORES).
        this.recentOneSided = ((this.recentOneSided << 1) | (oneSided ? 1 : 0)) & ((1 << ONE_SIDED.of) - 1);
        if (bitCount(this.recentOneSided) >= (this.loadedNow ? ONE_SIDED.trial : ONE_SIDED.loaded) && this.crowded()) {
            this.runAlone();
            return;
        }
        if (Number.isNaN(aloneMs)) return;
        this.counted++;
        if (!this.loadedNow) {
            this.saved += (aloneMs - splitMs - this.saved) / LOAD_JOBS.average;
            this.alone += (aloneMs - this.alone) / LOAD_JOBS.average;
            // The averages start at 0: the first jobs would weigh too much.
            if (this.counted < LOAD_JOBS.average || this.saved >= SAVED_SHARE.loaded * this.alone) return;
            this.runAlone();
            return;
        }
        this.saved += aloneMs - splitMs;
        this.alone += aloneMs;
        if (this.counted < LOAD_JOBS.window) return;
        const share = this.saved / this.alone;
        if (share > SAVED_SHARE.quiet) {
            // Quiet again, the running averages starting from this window's.
            this.loadedNow = false;
            this.saved = share;
            this.alone = 1;
            this.soloMs = 0;
        } else if (share < SAVED_SHARE.loaded) {
            this.runAlone();
        } else {
            this.saved = this.alone = this.counted = 0;
        }
    }

    /**
     * Starts a spell of jobs on the caller alone — LOADED_SOLO_MS.first, or twice the last one while the machine
     * stays loaded and the team crowded — and a window of split jobs after it.
     */
    private runAlone(): void {
        this.soloMs = this.loadedNow && this.crowded() ? Math.min(LOADED_SOLO_MS.most, 2 * this.soloMs) : LOADED_SOLO_MS.first;
        this.loadedNow = true;
        this.soloUntil = this.now() + this.soloMs;
        this.saved = this.alone = this.counted = this.recentOneSided = 0;
    }
}

/** The 1 bits of a 32-bit integer. */
function bitCount(bits: number): number {
    let count = 0;
    for (let rest = bits >>> 0; rest !== 0; rest &= rest - 1) count++;
    return count;
}

export class ThreadTeam {
    readonly threads: number;
    private readonly workers: Worker[] = [];
    private control!: Int32Array;
    private floats!: Float32Array;
    private ticket!: BigUint64Array;
    private readonly memory: WasmMemory;
    private readonly job: number;
    private readonly kernels: KernelExports;
    private generation = 0;
    /** A back-off per kind and size class of job: a small GEMM losing must not hold back a large one. */
    private readonly backoffs = new Map<string, StallBackoff>();
    /** Each job's time on the caller alone (PROBE), by kind and exact size. */
    private readonly soloTimes = new Map<string, SoloTime>();
    private readonly load: MachineLoad;
    private readonly gaps = new CallerGaps();
    /** When the last split job finished (performance.now()), for CallerGaps. */
    private lastSplitEnd = NaN;
    /**
     * Settles when every worker has started (or failed to): some 30 ms in Node, a worker's own start-up. Jobs never
     * wait for it — the caller takes the parts a worker cannot — but a browser starts a worker's script only when
     * the page or worker that made it is idle, so a run there awaits it first, or its workers start after it is
     * over; and what times warm runs (`convnet run --profile`, the Run view, `convnet calibrate`, the bench) awaits
     * it, or a small network's runs would all be one thread's.
     */
    readonly started: Promise<void>;

    /**
     * `threads` threads in all (the caller and threads − 1 workers), each with `scratchBytes` of scratch. A plain
     * (non-shared) memory cannot be handed to a worker: its team is the caller alone.
     */
    constructor(memory: WasmMemory, threads: number, scratchBytes: number) {
        this.threads = memory.shared ? Math.max(1, Math.floor(threads)) : 1;
        this.memory = memory;
        this.kernels = memory.kernels;
        this.load = new MachineLoad(this.threads);
        this.job = memory.allocateBytes(JOB_SLOTS * 4);
        // Each thread's scratch in whole pages of its own: no cache line is shared between two threads' scratch, and
        // what is placed after them (weights, the arena) lies alike within a page at any number of threads — under
        // load a team runs every job on the caller alone, on the addresses a one-thread engine would use. (No
        // speed-up seen from it: under load, two threads alone against one, runs alternated, read 0.965–1.007 with
        // it and 0.982–0.997 without — the runs' own spread.)
        const stride = Math.ceil(scratchBytes / PAGE_BYTES) * PAGE_BYTES;
        const scratch = Math.ceil(memory.allocateBytes(stride * this.threads + PAGE_BYTES) / PAGE_BYTES) * PAGE_BYTES;
        this.takeViews();
        this.control[HEADER_SLOT.scratch] = scratch;
        this.control[HEADER_SLOT.scratchStride] = stride;
        this.control[WATCH] = WATCH_MICROS.long;
        const online: Promise<void>[] = [];
        for (let thread = 1; thread < this.threads; thread++) {
            const worker = new Worker(workerSource, {
                eval: true,
                workerData: { module: memory.compiledKernels.module, memory: memory.memory, job: this.job, thread, threads: this.threads },
            });
            // An idle team must not keep the process alive — but one starting must, for whoever awaits `started` (a
            // process with nothing else to do would end there) — and a worker error must not go unseen.
            online.push(new Promise(resolve => {
                worker.on('online', () => { worker.unref(); resolve(); });
                worker.on('error', error => { console.error(`convnet runtime worker ${thread} failed:`, error); worker.unref(); resolve(); });
                // Ended before it was online (the team disposed at once): nothing to wait for.
                worker.on('exit', () => resolve());
            }));
            this.workers.push(worker);
        }
        this.started = Promise.all(online).then(() => undefined);
    }

    /** Views of the job block, taken again after a plain memory moved (grew): the old ones read as empty. */
    private takeViews(): void {
        const buffer = this.memory.memory.buffer;
        this.control = new Int32Array(buffer, this.job, JOB_SLOTS);
        this.floats = new Float32Array(buffer, this.job, JOB_SLOTS);
        this.ticket = new BigUint64Array(buffer, this.job + TICKET * 4, 1);
    }

    /**
     * Runs a job of `work` (its size in the unit its threshold uses; `label` tells apart jobs of one kind that
     * differ, as activations do) — on every thread, or only on the caller's when `parallel` is false, when jobs of
     * its kind and size class have been losing, when the machine is loaded, or to time it alone — and returns when
     * it is done.
     */
    run<J extends JobName>(job: J, args: JobArguments<J>, parallel = true, work = 0, label: string = job): void {
        if (this.control.buffer !== this.memory.memory.buffer) this.takeViews();
        const control = this.control;
        const generation = this.generation + 1;
        // Closed first: a worker still looking at the last job must not take a part while the arguments change.
        Atomics.store(this.ticket, 0, ticketOf(generation, 0xffffffff));
        control[KIND] = JOB_KINDS[job];
        const values = args as Readonly<Record<string, number>>;
        for (const { field, slot, type } of jobSlots(job)) {
            if (type === 'f32') this.floats[slot] = values[field];
            else control[slot] = values[field];
        }
        // Until a worker runs its loop, splitting would only hand the caller all the parts.
        const ready = Atomics.load(control, WORKERS_READY);
        if (this.threads === 1 || !parallel || ready === 0) {
            this.kernels.runPart(this.job, 0, 1, 0);
            return;
        }
        const classKey = `${label}:${sizeClass(work)}`;
        let backoff = this.backoffs.get(classKey);
        if (!backoff) this.backoffs.set(classKey, backoff = new StallBackoff());
        const jobKey = `${label}:${work}`;
        let alone = this.soloTimes.get(jobKey);
        if (!alone) this.soloTimes.set(jobKey, alone = { ms: NaN, runs: 0 });
        alone.runs++;
        const loadedSolo = this.load.runSolo();
        const probe = timedAlone(alone.runs);
        if (loadedSolo || probe || backoff.runSolo()) {
            this.tellWatch();
            const start = performance.now();
            this.kernels.runPart(this.job, 0, 1, 0);
            if (loadedSolo || probe) alone.ms = performance.now() - start;
            return;
        }
        const parts = this.threads * PARTS_PER_THREAD;
        control[PARTS] = parts;
        control[DONE] = 0;
        const started = performance.now();
        if (!Number.isNaN(this.lastSplitEnd)) this.gaps.note(started - this.lastSplitEnd);
        Atomics.store(this.ticket, 0, ticketOf(generation, 0));
        this.generation = generation;
        Atomics.store(control, GENERATION, generation);
        Atomics.notify(control, GENERATION);
        let callerParts = 0;
        takeParts(control, this.ticket, generation, PARTS, DONE, (part, count) => {
            callerParts++;
            this.kernels.runPart(this.job, part, count, 0);
        });
        // Only parts a worker took and has not finished are left: wait for those.
        const callerDone = performance.now();
        for (let spin = 0; spin < SPIN && Atomics.load(control, DONE) !== parts; spin++);
        for (let done = Atomics.load(control, DONE); done !== parts; done = Atomics.load(control, DONE)) {
            Atomics.wait(control, DONE, done);
        }
        const finished = performance.now();
        this.lastSplitEnd = finished;
        // A job that lost while workers were still starting says nothing about splitting it.
        if (ready !== this.threads - 1) return;
        backoff.note(finished - callerDone, finished - started, callerParts, parts);
        this.load.note(alone.ms, finished - started, callerParts === 0 || callerParts === parts);
        this.tellWatch(callerParts === 0);
    }

    /**
     * Tells the workers how long to watch for the next job, as the machine's load and the caller's gaps call for:
     * briefly too after a split job the caller took no part of — a worker woken on the caller's own core ran them
     * all, and a worker that watches there takes the core from the caller's own work (a solo job after one such took
     * 2.2 ms against 1.1 with one core busy); the worker reads the change at its next look at the clock.
     */
    private tellWatch(callerRanNone = false): void {
        const micros = this.load.runSolo() || callerRanNone ? WATCH_MICROS.brief : this.gaps.watchMicros;
        if (this.control[WATCH] !== micros) Atomics.store(this.control, WATCH, micros);
    }

    /** Parts of split jobs the workers have run since the team started (0 on one thread). */
    get workerParts(): number {
        if (this.control.buffer !== this.memory.memory.buffer) this.takeViews();
        return Atomics.load(this.control, WORKER_PARTS);
    }

    /** Stops the workers (the memory stays usable from the calling thread). */
    dispose(): void {
        if (this.workers.length === 0) return;
        this.control[KIND] = STOP_KIND;
        this.generation++;
        Atomics.store(this.control, GENERATION, this.generation);
        Atomics.notify(this.control, GENERATION);
        for (const worker of this.workers) void worker.terminate();
        this.workers.length = 0;
    }
}
