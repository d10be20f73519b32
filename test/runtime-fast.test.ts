/**
 * The fast engine (WebAssembly SIMD kernels on worker threads, batch norms and ReLUs folded into convs) against
 * the TypeScript reference path, which the op fixtures check against PyTorch:
 * - the WebAssembly GEMM against the reference GEMM on sizes across every blocking boundary, with strides,
 *   offsets, accumulation and the bias (per row or per column)/clamp epilogue, on 1, 2 and 3 threads;
 * - WebAssembly im2col and col2im against the reference ones on padded, strided and dilated windows;
 * - the arithmetic of two tensors on every layout broadcasting merges into, split over two threads;
 * - Winograd F(4×4, 3×3), WebAssembly and TypeScript, against the direct conv, with edge tiles, padding, residual
 *   and clamp;
 * - every network of every example: the same seeded weights and input through both paths, at 1 and 2 threads,
 *   equal within 1e-4 of the output's scale;
 * - the TypeScript fallback (the fast plan on TypeScript kernels) on three examples, equal likewise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCompute, typescriptCompute, type Compute } from '../runtime/compute.js';
import { packedGemm, type EpilogueActivation } from '../runtime/gemm.js';
import { col2im, im2col, outputPositions, taps, type ConvGeometry } from '../runtime/im2col.js';
import { depthwise2d } from '../runtime/depthwise.js';
import { SeededRandom } from '../runtime/random.js';
import { compiledKernels } from '../runtime/wasm/instance.js';
import { createWasmCompute, PARALLEL_THRESHOLDS } from '../runtime/wasm/compute.js';
import { aloneEstimate, CallerGaps, IdleCores, MachineLoad, StallBackoff, timedAlone } from '../runtime/wasm/threads.js';
import { OtherProcesses, type BusyTimes } from '../runtime/wasm/other-processes.js';
import { machineBusyTimes } from '../runtime/wasm/machine-busy.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import { isNetwork } from '../language/generated/ast.js';
import { prepareNetwork, runNetwork } from '../runtime/executor.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { initializeParameters } from '../runtime/weights.js';
import { randomInputs } from '../io/inputs.js';
import { analyzeNetwork, parse, relativeError } from './helpers.js';
import { smallerExample } from './export-cases.js';
import { transformsWinogradWeightsPerRun, transformWeights, usesWinograd, winogradConv, winogradTileCount, WINOGRAD_POSITIONS } from '../runtime/winograd.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The graph of a file's first network; the file must have no errors. */
async function graphOf(text: string): Promise<NetworkGraph> {
    const parsed = await parse(text);
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    return analyzeNetwork(parsed).graph;
}

function fill(array: Float32Array, seed: number): Float32Array {
    new SeededRandom(seed).fillUniform(array, -1, 1);
    return array;
}

it('the engine compiles the WebAssembly SIMD kernels (relaxed SIMD on Node 22)', () => {
    expect(compiledKernels()?.variant).toBe('relaxed-simd');
});

describe('threads that outnumber the cores (workers descheduled mid-job, waking late for old jobs)', () => {
    // Four threads on this machine's cores: workers are preempted at any point, so they wake for jobs that are
    // over and find later jobs' arguments in the block. Every part must run exactly once, on its own job's
    // arguments: 400 back-to-back GEMMs of changing shapes, each checked against the TypeScript GEMM.
    const compute = createWasmCompute(compiledKernels()!, 4, 0);
    afterAll(() => compute.dispose());

    it('every GEMM of a burst of 400 equals the reference', () => {
        const random = new SeededRandom(12);
        const [a, b, c] = [98 * 216, 216 * 964, 98 * 964].map(size => compute.allocate(size));
        for (let job = 0; job < 400; job++) {
            const m = 8 + Math.floor(random.nextFloat() * 90);
            const n = 64 + Math.floor(random.nextFloat() * 900);
            const k = 16 + Math.floor(random.nextFloat() * 200);
            fill(a, job);
            fill(b, job + 1);
            const expected = new Float32Array(m * n);
            packedGemm(m, n, k, a, 0, k, b, 0, n, expected, 0, n, false);
            compute.gemm(m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
            expect(relativeError(c, expected), `job ${job}: ${m}×${n}×${k}`).toBeLessThan(1e-5);
        }
        // The workers took part: parts they ran are counted in the job block.
        expect(compute.workerParts).toBeGreaterThan(0);
    });
});

it('an engine\'s arrays lie at the same place within a page at any number of threads (a team running its jobs alone works on a one-thread engine\'s layout)', () => {
    // Each thread's scratch takes whole pages, so what comes after them (weights, the arena) is placed alike mod 4096:
    // under load a two-thread team runs every job on the caller alone, and must not do it on other cache sets.
    const places = [1, 2, 3].map(threads => {
        const compute = createWasmCompute(compiledKernels()!, threads, 0);
        const first = compute.allocate(1000).byteOffset;
        const second = compute.allocate(3).byteOffset;
        compute.dispose();
        return [first % 4096, second % 4096];
    });
    expect(places[1]).toEqual(places[0]);
    expect(places[2]).toEqual(places[0]);
});

it('an engine disposed before its worker threads are online still settles `started` (what times warm runs awaits it)', async () => {
    const compute = createCompute({ threads: 2 });
    compute.dispose();
    await expect(compute.started).resolves.toBeUndefined();
});

describe('a split job that loses to the caller alone holds jobs of its kind and size back for a while', () => {
    const soloRun = (backoff: StallBackoff, jobs: number) => Array.from({ length: jobs }, () => backoff.runSolo());
    // A job of 8 parts: the caller ran `mine` of them in (total − waited) ms, so alone it would take that × 8 / mine.
    it('a worker descheduled mid-part: 1, 2, 4 … jobs alone while it goes on, up to 256; a gaining job ends it', () => {
        const backoff = new StallBackoff();
        expect(soloRun(backoff, 3)).toEqual([false, false, false]);
        backoff.note(5, 12, 7, 8); // 7 parts in 7 ms: alone 8 ms, split took 12 — lost
        expect(soloRun(backoff, 2)).toEqual([true, false]);
        backoff.note(5, 12, 7, 8);
        expect(soloRun(backoff, 3)).toEqual([true, true, false]);
        backoff.note(5, 12, 7, 8);
        expect(soloRun(backoff, 5)).toEqual([true, true, true, true, false]);
        for (let i = 0; i < 20; i++) backoff.note(5, 12, 7, 8);
        expect(soloRun(backoff, 257).filter(Boolean).length).toBe(256);
        backoff.note(0.1, 4.1, 4, 8); // half the parts each: alone 8 ms, split 4.1 — gained; the next loss starts at 1
        expect(backoff.runSolo()).toBe(false);
        backoff.note(5, 12, 7, 8);
        expect(soloRun(backoff, 2)).toEqual([true, false]);
    });
    it('a worker too late to take a part (the caller ran all 8) lost; a gain under 3% counts as a loss', () => {
        const backoff = new StallBackoff();
        backoff.note(0, 1.0, 8, 8); // alone 1.0 ms, split 1.0: nothing gained
        expect(soloRun(backoff, 2)).toEqual([true, false]);
        const other = new StallBackoff();
        other.note(0.9, 7.9, 7, 8); // alone 7 × 8 / 7 = 8.0 ms, split 7.9: 1.3% — too little
        expect(other.runSolo()).toBe(true);
        const gaining = new StallBackoff();
        gaining.note(0.2, 4.2, 4, 8); // alone 8.0 ms, split 4.2
        expect(gaining.runSolo()).toBe(false);
    });
    it('a split job alone would have taken the caller’s working time × parts / its parts; unknown when it ran none', () => {
        expect(aloneEstimate(5, 12, 7, 8)).toBe(8);
        expect(aloneEstimate(0.2, 4.2, 4, 8)).toBe(8);
        expect(aloneEstimate(3, 3, 0, 8)).toBe(Infinity);
    });
    it('a job is timed alone on its 3rd run, then every 64th: a network run once splits every job', () => {
        const timed = Array.from({ length: 200 }, (_, i) => i + 1).filter(timedAlone);
        expect(timed).toEqual([3, 67, 131, 195]);
    });
    /**
     * A MachineLoad for a team of `threads` on a clock of the test's own, and how long (ms) its jobs run alone from
     * now on, the clock moved on past that. The cores other processes leave idle are what `idleCores` says (by
     * default unknown, as in a browser).
     */
    function machineLoad(idleCores: () => number | undefined = () => undefined, threads = 2): { load: MachineLoad; soloSpell: () => number } {
        let clock = 0;
        const load = new MachineLoad(threads, () => clock, new IdleCores(idleCores));
        return {
            load,
            soloSpell: () => {
                const start = clock;
                while (load.runSolo()) clock += 0.5;
                return clock - start;
            },
        };
    }
    it('a machine turns loaded once splitting saves under 5% of the time alone, and quiet again over 15%', () => {
        const { load, soloSpell } = machineLoad();
        // Quiet: 1 ms jobs split in 0.6 ms; one in four a late worker's loss (1 ms → 1.1 ms): 32% saved on average.
        for (let i = 0; i < 128; i++) load.note(1, i % 4 === 0 ? 1.1 : 0.6);
        expect([load.loaded, soloSpell()]).toEqual([false, 0]);
        // Small jobs lost to a late wake-up count for nothing under 0.1 ms, and for their time above it.
        for (let i = 0; i < 64; i++) load.note(0.05, 0.09);
        for (let i = 0; i < 16; i++) load.note(0.12, 0.2);
        expect(load.loaded).toBe(false);
        // One core busy: the split jobs save nothing — loaded once the running average over 64 falls under 5%; for
        // the next 8 ms jobs run on the caller alone (the workers watching briefly meanwhile).
        let turned = 0;
        while (!load.loaded && turned < 200) load.note(1, 1.02), turned++;
        expect(turned).toBeGreaterThan(16);
        expect(turned).toBeLessThan(200);
        expect(soloSpell()).toBe(8);
        // Then a window of 16 split jobs: saving under 5%, jobs run alone twice as long, up to 1,024 ms.
        for (const expected of [16, 32, 64, 128, 256, 512, 1024, 1024]) {
            for (let i = 0; i < 15; i++) load.note(1, i % 2 ? 0.7 : 1.3);
            expect(soloSpell()).toBe(0);
            load.note(1, 1.2);
            expect([load.loaded, soloSpell()]).toEqual([true, expected]);
        }
        // Saving 5–15%: another window, no jobs alone.
        for (let i = 0; i < 16; i++) load.note(1, 0.9);
        expect([load.loaded, soloSpell()]).toEqual([true, 0]);
        // Saving over 15%: quiet again; a later loaded spell starts over at 8 ms.
        for (let i = 0; i < 16; i++) load.note(1, 0.6);
        expect([load.loaded, soloSpell()]).toEqual([false, 0]);
        while (!load.loaded) load.note(1, 1.2);
        expect(soloSpell()).toBe(8);
    });
    it('workers watch for the next job long enough for 3 in 4 of the caller’s last 8 gaps, within 200–1,000 µs', () => {
        const watch = (gapsMs: number[]) => {
            const gaps = new CallerGaps();
            for (const ms of gapsMs) gaps.note(ms);
            return gaps.watchMicros;
        };
        expect(watch([])).toBe(200);
        // A network's gaps: mostly a few µs, a JavaScript op's 150 µs now and then.
        expect(watch([0.005, 0.01, 0.15, 0.008, 0.004, 0.15, 0.006, 0.012])).toBe(200);
        // A layer run over and over: its input and output copied between runs.
        expect(watch([0.3, 0.31, 0.29, 0.3, 0.32, 0.3, 0.28, 0.3])).toBe(450);
        expect(watch([0.3, 0.31, 0.29, 0.3, 0.32, 0.31, 0.28, 0.32])).toBe(465);
        expect(watch([0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 5, 40])).toBe(450);
        expect(watch([2, 3, 2, 4, 2, 2, 3, 2])).toBe(1000);
        // Only the last 8 count.
        expect(watch([2, 2, 2, 2, 2, 2, 2, 2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])).toBe(200);
    });
    it('spells on the caller alone grow only while other processes leave the team fewer idle cores than it has threads, or where that is unknown', () => {
        const spells = (idleCores: number | undefined, threads = 2) => {
            const { load, soloSpell } = machineLoad(() => idleCores, threads);
            const lengths: number[] = [];
            for (let spell = 0; spell < 4; spell++) {
                // Split jobs that lose, one side running every part.
                while (!load.runSolo()) load.note(1, 1.4, true);
                lengths.push(soloSpell());
            }
            return lengths;
        };
        // Two threads, 1.9 cores idle (our own threads on one core for a while): 8 ms spells, and tries again.
        expect(spells(1.9)).toEqual([8, 8, 8, 8]);
        // No figure yet (the first 100 ms), or no way to tell: twice as long each time.
        expect(spells(NaN)).toEqual([8, 16, 32, 64]);
        expect(spells(undefined)).toEqual([8, 16, 32, 64]);
        // Four threads, 3 cores idle of 8 (others keep 5 busy): crowded, though not down to one core.
        expect(spells(3, 4)).toEqual([8, 16, 32, 64]);
    });
    it('one-sided split jobs turn a machine loaded only where the team is crowded or that is unknown', () => {
        const oneSidedSaving = (idleCores: number | undefined, threads = 2) => {
            const { load } = machineLoad(() => idleCores, threads);
            // Every job one-sided (a worker woken on the caller's core), yet saving 40% on the whole.
            for (let i = 0; i < 100; i++) load.note(1, 0.6, true);
            return load.loaded;
        };
        expect(oneSidedSaving(1.9)).toBe(false);
        expect(oneSidedSaving(5, 4)).toBe(false);
        expect(oneSidedSaving(undefined)).toBe(true);
        expect(oneSidedSaving(NaN)).toBe(true);
        expect(oneSidedSaving(3, 4)).toBe(true);
    });
    it('with one core or less left idle by other processes, jobs run on the caller alone until a look finds 1.5 or more', () => {
        let idle: number | undefined = 1.05;
        const { load } = machineLoad(() => idle);
        // No split job noted at all: the figure alone decides.
        expect(load.runSolo()).toBe(true);
        idle = 1.2;
        expect(load.runSolo()).toBe(true);
        // A look a little over one core (the figure's error, a moment's scheduling) keeps it alone; 1.5 ends it.
        idle = 1.3;
        expect(load.runSolo()).toBe(true);
        idle = 1.45;
        expect(load.runSolo()).toBe(true);
        idle = 1.5;
        expect(load.runSolo()).toBe(false);
        // Part of a core busy elsewhere (an editor, a browser): up to the split jobs.
        idle = 1.3;
        expect(load.runSolo()).toBe(false);
        expect(machineLoad(() => 1.3).load.runSolo()).toBe(false);
        // Unknown or not yet measured: up to the split jobs, whatever the figure said before.
        idle = 1.1;
        expect(load.runSolo()).toBe(true);
        idle = NaN;
        expect(load.runSolo()).toBe(false);
        idle = 1.1;
        expect(load.runSolo()).toBe(true);
        idle = undefined;
        expect(load.runSolo()).toBe(false);
        // The same one core left to a team of four on 8 cores.
        const four = machineLoad(() => 1.2, 4);
        expect(four.load.runSolo()).toBe(true);
        // A process's teams share one reader: a team made for the next layer goes on where the last one was.
        const machine = new IdleCores(() => idle);
        idle = 1.1;
        expect(new MachineLoad(2, () => 0, machine).runSolo()).toBe(true);
        idle = 1.35;
        expect(new MachineLoad(2, () => 0, machine).runSolo()).toBe(true);
        idle = 1.9;
        expect(new MachineLoad(2, () => 0, machine).runSolo()).toBe(false);
    });
    it('a machine turns loaded at once when one side ran every part of 4 of the last 8 split jobs', () => {
        const { load, soloSpell } = machineLoad();
        // Quiet: one job in eight one-sided (a worker late to wake), and jobs under 0.1 ms not counted at all.
        for (let i = 0; i < 64; i++) load.note(1, 0.6, i % 8 === 0);
        for (let i = 0; i < 8; i++) load.note(0.05, 0.09, true);
        expect([load.loaded, soloSpell()]).toEqual([false, 0]);
        // A fresh team, no job timed alone yet: 3 of the last 8 one-sided leave it quiet, the 4th turns it loaded.
        const fresh = machineLoad();
        for (const oneSided of [true, false, true, false, false, true, false]) fresh.load.note(NaN, 0.5, oneSided);
        expect(fresh.load.loaded).toBe(false);
        fresh.load.note(NaN, 0.5, true);
        expect([fresh.load.loaded, fresh.soloSpell()]).toEqual([true, 8]);
        // The next window of the team ends at its 2nd one-sided job, and jobs run alone twice as long.
        fresh.load.note(1, 0.6, false);
        fresh.load.note(1, 1.4, true);
        expect(fresh.soloSpell()).toBe(0);
        fresh.load.note(1, 1.4, true);
        expect([fresh.load.loaded, fresh.soloSpell()]).toEqual([true, 16]);
        // A window of 16 two-sided jobs saving 40%: quiet again.
        for (let i = 0; i < 16; i++) fresh.load.note(1, 0.6, false);
        expect([fresh.load.loaded, fresh.soloSpell()]).toEqual([false, 0]);
    });
});

describe('a profile\'s warm runs', () => {
    it('follow up to a quarter second (20 runs at most) of untimed ones, none when one run takes longer, and fit in a second', async () => {
        const graph = await graphOf('network A(input: [1, 8, 16, 16]) {\n  return input -> conv(8, kernel: 3, padding: 1) -> relu\n}\n');
        const prepared = prepareNetwork(graph, initializeParameters(graph, 1), { threads: 1 });
        try {
            const inputs = randomInputs(graph, 1);
            // The first run took `runMs`: a tiny network's 20 untimed runs, then 5 timed ones.
            expect(prepared.profile(inputs, 1)).toMatchObject({ untimedRuns: 20, runs: 5 });
            // A network of 300 ms a run: no untimed runs, and the 3 timed ones a second holds.
            expect(prepared.profile(inputs, 300)).toMatchObject({ untimedRuns: 0, runs: 3 });
        } finally {
            prepared.dispose();
        }
    });
});

describe('other processes\' busy cores, from the machine\'s and this process\'s CPU times', () => {
    it('the machine\'s busy time less ours over the wall time, looked at again once 100 ms have passed', () => {
        let clock = 0;
        let times: BusyTimes | undefined = { cores: 2, machine: 1000, ours: 400 };
        const others = new OtherProcesses(() => clock, () => times);
        // Before the first 100 ms: not measured yet.
        clock = 60;
        times = { cores: 2, machine: 1100, ours: 500 };
        expect(others.cores()).toBeNaN();
        expect(others.idleCores()).toBeNaN();
        // 200 ms on: the machine busy 300 ms more (2 cores), 110 of them ours — 0.95 cores someone else's, 1.05 left.
        clock = 200;
        times = { cores: 2, machine: 1300, ours: 510 };
        expect(others.cores()).toBeCloseTo(0.95, 10);
        expect(others.idleCores()).toBeCloseTo(1.05, 10);
        // Within the next 100 ms the figure stands, whatever the times say meanwhile.
        clock = 250;
        times = { cores: 2, machine: 1400, ours: 610 };
        expect(others.cores()).toBeCloseTo(0.95, 10);
        // Then our threads busy all the time the machine is: no one else.
        clock = 400;
        times = { cores: 2, machine: 1700, ours: 910 };
        expect(others.cores()).toBe(0);
        expect(others.idleCores()).toBe(2);
    });
    // /proc/stat is Linux's (elsewhere os.cpus() is the only source, and nothing to compare).
    it.runIf(process.platform === 'linux')('on Linux the machine\'s busy time comes from /proc/stat and agrees with os.cpus()\'s', () => {
        const cpusBusyMs = () => os.cpus().reduce((ms, cpu) => ms + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
        const before = cpusBusyMs();
        const times = machineBusyTimes()!;
        const after = cpusBusyMs();
        expect(times.cores).toBe(os.cpus().length);
        // Both count ticks of 10 ms; /proc/stat's first line sums each core's time before rounding it to ticks, so it
        // may run ahead of the cores' rounded sum by up to a tick per core and field.
        expect(times.machine).toBeGreaterThanOrEqual(before);
        expect(times.machine).toBeLessThanOrEqual(after + 4 * 10 * times.cores);
        expect(times.ours).toBeGreaterThan(0);
    });
    it('unknown where the CPU times are (a browser)', () => {
        expect(new OtherProcesses(() => 0, () => undefined).cores()).toBeUndefined();
        expect(new OtherProcesses(() => 0, () => undefined).idleCores()).toBeUndefined();
    });
});

describe.each([1, 2, 3])('WebAssembly kernels on %i thread(s)', threads => {
    const compute: Compute = createCompute({ threads });
    afterAll(() => compute.dispose());

    // MR = 4, NR = 8, KC = 256, MC = 64, NC = 2048 in kernels.ts: sizes around and across the blocking.
    const cases = [
        { m: 1, n: 1, k: 1 },
        { m: 3, n: 5, k: 7, accumulate: true },
        { m: 4, n: 8, k: 256 },
        { m: 5, n: 9, k: 257, bias: true },
        { m: 64, n: 3136, k: 576, bias: true, lo: 0 },
        { m: 65, n: 2049, k: 300, bias: true, lo: 0, hi: 6 },
        // A's rows fit L2 (B packed panel by panel): depth over two blocks, C over several blocks of columns.
        { m: 60, n: 1100, k: 520, accumulate: true, bias: true, lo: 0 },
        { m: 1000, n: 1, k: 512, bias: true },
        { m: 130, n: 7, k: 33, accumulate: true, bias: true, lo: -0.5, hi: 0.5 },
        { m: 7, n: 19, k: 0, bias: true, lo: 0 },
        // A bias per column (a linear layer's Y = X·Wᵀ): edge tiles, the matrix-vector path, a split by rows
        // (ConvNeXt's first MLP) and one by columns (its last), where each part must take its own columns' bias.
        { m: 5, n: 9, k: 257, bias: true, columns: true },
        { m: 130, n: 7, k: 33, accumulate: true, bias: true, columns: true, lo: -0.5, hi: 0.5 },
        { m: 1000, n: 1, k: 512, bias: true, columns: true },
        { m: 7, n: 19, k: 0, bias: true, columns: true, lo: 0 },
        { m: 3136, n: 384, k: 96, bias: true, columns: true },
        { m: 49, n: 3072, k: 96, bias: true, columns: true },
    ];
    it.each(cases)('gemm m=$m n=$n k=$k accumulate=$accumulate bias=$bias per column=$columns clamp=[$lo, $hi]', ({ m, n, k, accumulate = false, bias: withBias, columns = false, lo, hi }) => {
        // Sub-matrices with leading dimensions wider than they are, at offsets, as a grouped conv passes them.
        const [lda, ldb, ldc, offA, offB, offC] = [k + 3, n + 5, n + 2, 7, 9, 11];
        const a = fill(compute.allocate(offA + m * lda), 1);
        const b = fill(compute.allocate(offB + k * ldb), 2);
        const c = fill(compute.allocate(offC + m * ldc), 3);
        const bias = withBias ? fill(compute.allocate((columns ? n : m) + 2), 4) : undefined;
        const expected = c.slice();
        const epilogue = { bias, biasOffset: 2, biasPerColumn: columns, lo, hi };
        packedGemm(m, n, k, a, offA, lda, b, offB, ldb, expected, offC, ldc, accumulate, epilogue);
        compute.gemm(m, n, k, a, offA, lda, b, offB, ldb, c, offC, ldc, accumulate, epilogue);
        expect(relativeError(c, expected)).toBeLessThan(1e-5);
        // Outside the sub-matrix nothing changed.
        for (let i = 0; i < m; i++) {
            for (let j = n; j < ldc; j++) expect(c[offC + i * ldc + j]).toBe(expected[offC + i * ldc + j]);
        }
        expect(Array.from(c.subarray(0, offC))).toEqual(Array.from(expected.subarray(0, offC)));
    });

    const geometries: ConvGeometry[] = [
        { channels: 3, input: [1, 20, 17], output: [1, 10, 9], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 8, input: [1, 14, 14], output: [1, 14, 14], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 5, input: [1, 12, 13], output: [1, 8, 9], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 2, 2], padBegin: [0, 0, 0] },
        { channels: 4, input: [1, 9, 9], output: [1, 5, 3], kernel: [1, 1, 7], stride: [1, 2, 3], dilation: [1, 1, 1], padBegin: [0, 0, 3] },
        { channels: 64, input: [1, 56, 56], output: [1, 56, 56], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        // Stride 2: col2im adds taps j and j + 1 together (four grid columns of each, interleaved) but at the edges.
        { channels: 5, input: [1, 30, 31], output: [1, 15, 15], kernel: [1, 4, 4], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 3, input: [1, 17, 23], output: [1, 9, 12], kernel: [1, 5, 5], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 2, 2] },
    ];
    it.each(geometries)('im2col of $channels channels $input → $output, kernel $kernel, stride $stride, dilation $dilation', g => {
        const x = fill(compute.allocate(5 + g.channels * g.input[1] * g.input[2]), 5);
        const size = g.channels * taps(g) * outputPositions(g);
        const expected = new Float32Array(size + 3);
        const cols = fill(compute.allocate(size + 3), 6); // stale contents: every element must be written
        im2col(x, 5, g, expected, 3);
        compute.im2col(x, 5, g, cols, 3);
        let mismatches = 0;
        for (let i = 3; i < cols.length; i++) if (cols[i] !== expected[i]) mismatches++;
        expect(mismatches).toBe(0);
    });

    it.each(geometries)('col2im (im2col\'s adjoint) of $channels channels $input ← $output, kernel $kernel, stride $stride', g => {
        const size = g.channels * taps(g) * outputPositions(g);
        const cols = fill(compute.allocate(size + 3), 11);
        const y = fill(compute.allocate(5 + g.channels * g.input[1] * g.input[2]), 12); // accumulated into
        const expected = y.slice();
        col2im(cols, 3, g, expected, 5);
        compute.col2im(cols, 3, g, y, 5);
        expect(relativeError(y, expected)).toBeLessThan(1e-6);
    });

    // The implicit conv (the image packed straight into the GEMM's panels) against im2col + the reference GEMM:
    // rows of whole panels and a part-filled last one (Wo = 17, 19, 30), taps in the padding on every side, stride 2
    // (even-lane gathers) and 3 (element by element), dilation, K over one depth block (KC = 256), m not a multiple
    // of MR, weights packed, bias, residual and clamps.
    const implicitCases: (ConvGeometry & { m: number; bias?: boolean; residual?: boolean; lo?: number; hi?: number; packed?: boolean })[] = [
        { m: 16, channels: 16, input: [1, 56, 56], output: [1, 56, 56], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, lo: 0 },
        { m: 5, channels: 3, input: [1, 40, 37], output: [1, 20, 19], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true },
        { m: 8, channels: 32, input: [1, 20, 20], output: [1, 20, 20], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], residual: true, lo: 0 },
        { m: 12, channels: 64, input: [1, 20, 24], output: [1, 20, 24], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, residual: true, lo: -0.5, hi: 0.5, packed: true },
        { m: 7, channels: 5, input: [1, 12, 21], output: [1, 8, 17], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 2, 2], padBegin: [0, 0, 0] },
        { m: 4, channels: 4, input: [1, 9, 50], output: [1, 5, 17], kernel: [1, 1, 7], stride: [1, 2, 3], dilation: [1, 1, 1], padBegin: [0, 0, 3], packed: true },
        { m: 32, channels: 3, input: [1, 64, 64], output: [1, 32, 32], kernel: [1, 7, 7], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 3, 3], bias: true, lo: 0 },
        { m: 3, channels: 2, input: [1, 3, 30], output: [1, 3, 30], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { m: 8, channels: 4, input: [1, 33, 33], output: [1, 16, 16], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 0, 0], bias: true },
        // Kernels taller and wider than the image (no panel read straight from it), an output row past the end (end padding).
        { m: 4, channels: 3, input: [1, 4, 18], output: [1, 4, 18], kernel: [1, 5, 25], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 2, 12] },
        { m: 6, channels: 2, input: [1, 6, 20], output: [1, 2, 16], kernel: [1, 5, 5], stride: [1, 2, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0], residual: true },
    ];
    // The kernel itself on every geometry, through an engine that gives it every conv (the default one declines some).
    const everyConv = createWasmCompute(compiledKernels()!, threads, 0, PARALLEL_THRESHOLDS, { maxWeightBytes: Infinity, wholePanels: false });
    afterAll(() => everyConv.dispose());
    it.each(implicitCases)('implicit conv of $channels → $m channels $input → $output, kernel $kernel, stride $stride, dilation $dilation, packed $packed', c => {
        const compute = everyConv;
        const k = c.channels * taps(c);
        const P = outputPositions(c);
        const x = fill(compute.allocate(5 + c.channels * c.input[1] * c.input[2]), 13);
        const weight = fill(compute.allocate(3 + c.m * k), 14);
        const bias = c.bias ? fill(compute.allocate(c.m + 1), 15) : undefined;
        const residual = c.residual ? fill(compute.allocate(2 + c.m * P), 16) : undefined;
        const y = fill(compute.allocate(4 + c.m * P + 3), 17); // stale contents: every output must be written
        const expected = y.slice();
        const cols = new Float32Array(k * P);
        im2col(x, 5, c, cols, 0);
        const epilogue = { bias, biasOffset: 1, residual, residualOffset: 2, lo: c.lo, hi: c.hi };
        packedGemm(c.m, P, k, weight, 3, k, cols, 0, P, expected, 4, P, false, epilogue);
        let packedA = false;
        if (c.packed) {
            const packed = compute.allocate(c.m * k);
            packed.set(weight.subarray(3, 3 + c.m * k));
            packedA = compute.packInPlace(packed, c.m, k, compute.allocate(c.m * k));
            expect(packedA).toBe(true);
            weight.set(packed, 3);
        }
        expect(compute.implicitConv(x, 5, c, c.m, 1, weight, 3, y, 4, { ...epilogue, packedA })).toBe(true);
        expect(relativeError(y, expected)).toBeLessThan(1e-5);
        expect(Array.from(y.subarray(0, 4))).toEqual(Array.from(expected.subarray(0, 4)));
        expect(Array.from(y.subarray(4 + c.m * P))).toEqual(Array.from(expected.subarray(4 + c.m * P)));
    });

    // A grouped conv's groups as one job: parts cut the groups' rows taken one after another (3 groups of 5 rows in
    // 4–12 parts: most parts end inside one group and go on in the next), each group with its own weights and bias;
    // rows of 7, one part-filled panel each.
    const grouped: (ConvGeometry & { groups: number; m: number; bias?: boolean; residual?: boolean; lo?: number })[] = [
        { groups: 3, m: 5, channels: 4, input: [1, 5, 16], output: [1, 5, 16], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, residual: true, lo: 0 },
        { groups: 7, m: 4, channels: 2, input: [1, 9, 33], output: [1, 4, 16], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 0, 0], bias: true },
        { groups: 32, m: 4, channels: 4, input: [1, 7, 7], output: [1, 7, 7], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], residual: true },
    ];
    it.each(grouped)('implicit conv of $groups groups of $channels → $m channels, $input → $output, as one job', c => {
        const compute = everyConv;
        const k = c.channels * taps(c);
        const P = outputPositions(c);
        const plane = c.input[1] * c.input[2];
        // One allocation cut into the operands: a later one may grow the memory, and views of the old buffer are not its.
        const sizes = [5 + c.groups * c.channels * plane, 3 + c.groups * c.m * k, 1 + c.groups * c.m, 2 + c.groups * c.m * P, 4 + c.groups * c.m * P + 3];
        const block = compute.allocate(sizes.reduce((sum, size) => sum + size, 0));
        const [x, weight, biasValues, residualValues, y] = sizes.map((size, i) => {
            const start = sizes.slice(0, i).reduce((sum, s) => sum + s, 0);
            return fill(block.subarray(start, start + size), 23 + i);
        });
        const bias = c.bias ? biasValues : undefined;
        const residual = c.residual ? residualValues : undefined;
        const expected = y.slice();
        const cols = new Float32Array(k * P);
        for (let j = 0; j < c.groups; j++) {
            im2col(x, 5 + j * c.channels * plane, c, cols, 0);
            packedGemm(c.m, P, k, weight, 3 + j * c.m * k, k, cols, 0, P, expected, 4 + j * c.m * P, P, false,
                { bias, biasOffset: 1 + j * c.m, residual, residualOffset: 2 + j * c.m * P, lo: c.lo });
        }
        expect(compute.implicitConv(x, 5, c, c.m, c.groups, weight, 3, y, 4, { bias, biasOffset: 1, residual, residualOffset: 2, lo: c.lo })).toBe(true);
        expect(relativeError(y, expected)).toBeLessThan(1e-5);
        expect(Array.from(y.subarray(0, 4))).toEqual(Array.from(expected.subarray(0, 4)));
        expect(Array.from(y.subarray(4 + c.groups * c.m * P))).toEqual(Array.from(expected.subarray(4 + c.groups * c.m * P)));
    });

    it('the engine gives the implicit conv rows of whole panels (8 positions) — a grouped conv\'s rows of any length on threads — and weights of up to 128 KiB packed; im2col + GEMM runs the rest', () => {
        const rows28: ConvGeometry = { channels: 8, input: [1, 28, 28], output: [1, 28, 28], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] };
        const rows32: ConvGeometry = { ...rows28, input: [1, 32, 32], output: [1, 32, 32] };
        const wide: ConvGeometry = { ...rows32, channels: 256 }; // 16 × 2304 weights: 144 KiB
        const x = compute.allocate(256 * 32 * 32);
        const weight = compute.allocate(16 * 256 * 9);
        const y = compute.allocate(16 * 32 * 32);
        expect(compute.implicitConv(x, 0, rows28, 16, 1, weight, 0, y, 0, {})).toBe(false);
        expect(compute.implicitConv(x, 0, wide, 16, 1, weight, 0, y, 0, {})).toBe(false);
        expect(compute.implicitConv(x, 0, rows32, 16, 1, weight, 0, y, 0, {})).toBe(true);
        // A grouped conv's on more than one thread: its groups' rows shared out beat im2col + GEMM group by group.
        expect(compute.implicitConv(x, 0, rows28, 4, 4, weight, 0, y, 0, {})).toBe(compute.threads > 1);
    });

    // Winograd block by block of tiles, split over the threads by runs of blocks, against the TypeScript Winograd on
    // the same transformed weights (unpacked): four-tile groups that cross a row's end and the image's edges, a
    // last block part-filled, depths over one GEMM depth block (300), residual + clamp, and an activation applied
    // to each block's outputs.
    type WinogradCase = ConvGeometry & { cout: number; bias?: boolean; residual?: boolean; lo?: number; hi?: number; activation?: EpilogueActivation };
    const winogradCases: WinogradCase[] = [
        { cout: 36, channels: 40, input: [1, 45, 50], output: [1, 45, 50], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, residual: true, lo: 0, hi: 6 },
        { cout: 20, channels: 300, input: [1, 30, 29], output: [1, 28, 27], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0], activation: { op: 'silu', parameter: 0 } },
        { cout: 64, channels: 64, input: [1, 56, 56], output: [1, 56, 56], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, lo: 0 },
    ];
    /** A conv's operands in the engine's memory, and its output by the TypeScript Winograd (around stale floats). */
    function winogradProblem(c: WinogradCase) {
        const [cin, cout] = [c.channels, c.cout];
        const P = outputPositions(c);
        const tiles = winogradTileCount(c);
        const weight = fill(compute.allocate(cout * cin * 9), 31);
        const x = fill(compute.allocate(5 + cin * c.input[1] * c.input[2]), 32);
        const bias = c.bias ? fill(compute.allocate(cout), 33) : undefined;
        const residual = c.residual ? fill(compute.allocate(2 + cout * P), 34) : undefined;
        const y = fill(compute.allocate(4 + cout * P + 3), 35); // stale contents: every output must be written
        const expected = y.slice();
        const epilogue = { bias, residual, residualOffset: 2, lo: c.lo, hi: c.hi, activation: c.activation };
        const u = transformWeights(weight, cout, cin, elements => new Float32Array(elements));
        winogradConv(packedGemm, x, 5, c, u, cout, expected, 4, new Float32Array(WINOGRAD_POSITIONS * cin * tiles), new Float32Array(WINOGRAD_POSITIONS * cout * tiles), epilogue);
        const expectOutput = () => {
            // Float32 transforms against float64 ones: 300 channels reach 1e-5 of the output's scale.
            expect(relativeError(y, expected)).toBeLessThan(1e-4);
            expect(Array.from(y.subarray(0, 4))).toEqual(Array.from(expected.subarray(0, 4)));
            expect(Array.from(y.subarray(4 + cout * P))).toEqual(Array.from(expected.subarray(4 + cout * P)));
        };
        return { cin, cout, weight, x, y, epilogue, expectOutput };
    }
    it.each(winogradCases)('Winograd of $channels → $cout channels $input → $output, block by block of tiles', async c => {
        await compute.started;
        const { cin, cout, weight, x, y, epilogue, expectOutput } = winogradProblem(c);
        const packed = transformWeights(weight, cout, cin, elements => compute.allocate(elements));
        const scratch = compute.allocate(cout * cin);
        for (let xi = 0; xi < WINOGRAD_POSITIONS; xi++) {
            expect(compute.packInPlace(packed.subarray(xi * cout * cin, (xi + 1) * cout * cin), cout, cin, scratch)).toBe(true);
        }
        // Run twice: the second time a worker is surely running and takes parts.
        for (let run = 0; run < 2; run++) {
            expect(compute.winograd(x, 5, c, { u: packed }, cout, y, 4, () => { throw new Error('the blocked kernel asked for the whole image\'s tiles'); }, { ...epilogue, packedA: true }, 1)).toBe(true);
            expectOutput();
        }
    });

    // The way of small planes, on the conv's untransformed weight: V of every tile shared, then the output channels
    // eight at a time on U made as it goes, the tiles as the GEMM's rows. A last panel of eight channels part-filled
    // (30: six; 9: one, its second half of four none), depths over one block (300), 16 tiles (14×13), 4 (5×7 and
    // 7²: one panel of rows), 9 (9×11: tiles over the right and bottom edges, a last panel of one), and the cases
    // above.
    const perRunCases: WinogradCase[] = [
        ...winogradCases,
        { cout: 30, channels: 300, input: [1, 16, 15], output: [1, 14, 13], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0], bias: true, residual: true, lo: 0, hi: 6 },
        { cout: 64, channels: 24, input: [1, 14, 14], output: [1, 14, 14], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], activation: { op: 'gelu', parameter: 0 } },
        { cout: 9, channels: 8, input: [1, 5, 7], output: [1, 5, 7], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true },
        { cout: 30, channels: 300, input: [1, 7, 7], output: [1, 7, 7], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, residual: true, lo: 0, hi: 6 },
        { cout: 16, channels: 12, input: [1, 11, 13], output: [1, 9, 11], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0], activation: { op: 'silu', parameter: 0 } },
    ];
    it.each(perRunCases)('Winograd of $channels → $cout channels $input → $output on its own weight, its tiles as the GEMM\'s rows', async c => {
        await compute.started;
        const { cout, weight, x, y, epilogue, expectOutput } = winogradProblem(c);
        const asked: string[] = [];
        const shared = (purpose: 'v' | 'm', elements: number) => (asked.push(purpose), compute.allocate(elements));
        for (let run = 0; run < 2; run++) {
            expect(compute.winograd(x, 5, c, { weight }, cout, y, 4, shared, epilogue, 1)).toBe(true);
            expectOutput();
        }
        expect(asked).toEqual(['v', 'v']);
    });

    it('Winograd declines a conv whose block of tiles would not fit a thread\'s scratch (the caller convolves directly)', () => {
        const wide: ConvGeometry = { channels: 1024, input: [1, 28, 28], output: [1, 28, 28], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] };
        const [x, u, y] = [1, 1, 1].map(n => compute.allocate(n));
        const scratch = () => { throw new Error('not asked'); };
        expect(compute.winograd(x, 0, wide, { u }, 1024, y, 0, scratch, { packedA: true }, 1)).toBe(false);
    });

    const depthwiseCases: (ConvGeometry & { multiplier: number; bias?: boolean; lo?: number; hi?: number })[] = [
        { channels: 1, multiplier: 1, input: [1, 20, 17], output: [1, 10, 9], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 32, multiplier: 1, input: [1, 56, 56], output: [1, 56, 56], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, lo: 0, hi: 6 },
        { channels: 6, multiplier: 2, input: [1, 15, 23], output: [1, 11, 19], kernel: [1, 5, 5], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0], bias: true },
        { channels: 5, multiplier: 1, input: [1, 13, 29], output: [1, 9, 25], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 2, 2], padBegin: [0, 0, 0], lo: 0 },
        { channels: 4, multiplier: 1, input: [1, 9, 31], output: [1, 4, 11], kernel: [1, 3, 3], stride: [1, 2, 3], dilation: [1, 1, 1], padBegin: [0, 0, 1] },
        { channels: 3, multiplier: 1, input: [1, 2, 2], output: [1, 2, 2], kernel: [1, 7, 7], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 3, 3] },
        // 3×3 stride 1, two output rows at a time: an odd row left over, eight columns and a last four, one row only.
        { channels: 3, multiplier: 1, input: [1, 7, 7], output: [1, 7, 7], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 2, multiplier: 2, input: [1, 11, 10], output: [1, 11, 10], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, lo: -0.5, hi: 0.5 },
        { channels: 2, multiplier: 1, input: [1, 1, 5], output: [1, 1, 5], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true },
        { channels: 4, multiplier: 1, input: [1, 12, 20], output: [1, 10, 18], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0] },
        // 3×3 stride 1 padding 1 read in place (56 wide and more): the edge columns from zero-padded strips, a width
        // not a multiple of four (its last four interior columns twice), an odd number of rows between the first
        // and the last, two rows only, three rows, a multiplier of 2 and 3.
        { channels: 3, multiplier: 1, input: [1, 9, 58], output: [1, 9, 58], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, lo: -0.5, hi: 0.5 },
        { channels: 2, multiplier: 2, input: [1, 2, 57], output: [1, 2, 57], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true },
        { channels: 5, multiplier: 1, input: [1, 6, 60], output: [1, 6, 60], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 2, multiplier: 1, input: [1, 4, 114], output: [1, 4, 114], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], lo: 0 },
        { channels: 1, multiplier: 3, input: [1, 3, 61], output: [1, 3, 61], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true },
        // Other kernels, sixteen columns at a time and then four: EfficientNet's 5×5/2, ConvNeXt's 7×7, a dilated 3×5.
        { channels: 3, multiplier: 1, input: [1, 57, 57], output: [1, 29, 29], kernel: [1, 5, 5], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 2, 2], bias: true, lo: 0, hi: 6 },
        { channels: 2, multiplier: 1, input: [1, 30, 37], output: [1, 30, 37], kernel: [1, 7, 7], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 3, 3], bias: true },
        { channels: 2, multiplier: 2, input: [1, 20, 26], output: [1, 16, 18], kernel: [1, 3, 5], stride: [1, 1, 1], dilation: [1, 2, 2], padBegin: [0, 0, 0] },
        // Four channels at a time, interleaved (small planes; wider at stride 2): then a last one to three channels
        // on their own; 3×3 at stride 1 and 2 on its own kernel, other kernels and dilations on the general one; a
        // row's last columns and a plane's last positions one at a time; input rows and columns no output reads.
        { channels: 13, multiplier: 1, input: [1, 7, 7], output: [1, 7, 7], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 1, 1], bias: true, lo: 0, hi: 6 },
        { channels: 8, multiplier: 1, input: [1, 29, 27], output: [1, 15, 14], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 1, 1] },
        { channels: 10, multiplier: 1, input: [1, 14, 14], output: [1, 14, 14], kernel: [1, 5, 5], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 2, 2], bias: true },
        { channels: 6, multiplier: 1, input: [1, 11, 13], output: [1, 7, 9], kernel: [1, 3, 3], stride: [1, 1, 1], dilation: [1, 2, 2], padBegin: [0, 0, 0], lo: -0.25 },
        { channels: 4, multiplier: 1, input: [1, 57, 57], output: [1, 29, 29], kernel: [1, 5, 5], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 2, 2], bias: true, lo: 0, hi: 6 },
        { channels: 5, multiplier: 1, input: [1, 10, 11], output: [1, 4, 5], kernel: [1, 3, 3], stride: [1, 2, 2], dilation: [1, 1, 1], padBegin: [0, 0, 0] },
        // 1×1: a scale and shift per channel (how a batch norm no conv absorbed runs), a plane of 117 (a last 1).
        { channels: 3, multiplier: 2, input: [1, 9, 13], output: [1, 9, 13], kernel: [1, 1, 1], stride: [1, 1, 1], dilation: [1, 1, 1], padBegin: [0, 0, 0], bias: true, lo: 0, hi: 6 },
    ];
    it.each(depthwiseCases)('depthwise $channels×$multiplier channels $input → $output, kernel $kernel, stride $stride, dilation $dilation', c => {
        const planeIn = c.input[1] * c.input[2];
        const planeOut = c.output[1] * c.output[2];
        const outChannels = c.channels * c.multiplier;
        const x = fill(compute.allocate(2 + c.channels * planeIn), 7);
        const weight = fill(compute.allocate(outChannels * c.kernel[1] * c.kernel[2]), 8);
        const bias = c.bias ? fill(compute.allocate(outChannels), 9) : undefined;
        const y = fill(compute.allocate(4 + outChannels * planeOut), 10);
        const expected = y.slice();
        const epilogue = { bias, lo: c.lo, hi: c.hi };
        depthwise2d(x, 2, c, c.channels, c.multiplier, weight, expected, 4, epilogue);
        compute.depthwise(x, 2, c, c.channels, c.multiplier, weight, y, 4, epilogue);
        expect(relativeError(y, expected)).toBeLessThan(1e-6);
        expect(Array.from(y.subarray(0, 4))).toEqual(Array.from(expected.subarray(0, 4)));
    });
});

describe('arithmetic of two tensors split over two threads (every job split)', () => {
    const compute = createWasmCompute(compiledKernels()!, 2, 0, { ...PARALLEL_THRESHOLDS, elementwise: 0 });
    afterAll(() => compute.dispose());
    // (rows, inner, each operand's row step and step along a row): the layouts broadcastPlan merges shapes into.
    const layouts = [
        { name: 'one shape (one long row, an odd tail)', rows: 1, inner: 100_003, aRow: 0, bRow: 0, aStep: 1, bStep: 1 },
        { name: 'an SE gate: a value per channel on 96 planes of 56²', rows: 96, inner: 3136, aRow: 3136, bRow: 1, aStep: 1, bStep: 0 },
        { name: 'the gate first (a broadcast, b full)', rows: 96, inner: 3136, aRow: 1, bRow: 3136, aStep: 0, bStep: 1 },
        { name: 'a per-channel scale on a channels-last tensor (rows of 96)', rows: 3136, inner: 96, aRow: 96, bRow: 0, aStep: 1, bStep: 1 },
        { name: 'rows of 7 (no whole vector)', rows: 999, inner: 7, aRow: 7, bRow: 7, aStep: 1, bStep: 1 },
    ];
    const ops = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y };
    for (const layout of layouts) {
        it.each(Object.keys(ops) as (keyof typeof ops)[])(`${layout.name}: %s as float32 arithmetic, exactly`, async op => {
            await compute.started;
            const { rows, inner, aRow, bRow, aStep, bStep } = layout;
            const extent = (row: number, step: number) => (rows - 1) * row + (inner - 1) * step + 1;
            const a = fill(compute.allocate(extent(aRow, aStep)), 5);
            const b = fill(compute.allocate(extent(bRow, bStep)), 6);
            const y = compute.allocate(rows * inner);
            expect(compute.arithmetic(op, a, b, y, layout)).toBe(true);
            const expected = new Float32Array(rows * inner);
            for (let r = 0; r < rows; r++) {
                for (let j = 0; j < inner; j++) expected[r * inner + j] = ops[op](a[r * aRow + j * aStep], b[r * bRow + j * bStep]);
            }
            expect(Array.from(y).findIndex((v, i) => v !== expected[i])).toBe(-1);
        });
    }
    it('the worker thread took parts (a long sum run again until it has, at most 200 times)', async () => {
        await compute.started;
        const layout = layouts[0];
        const [a, b, y] = [0, 1, 2].map(i => fill(compute.allocate(layout.inner), 10 + i));
        for (let i = 0; i < 200 && compute.workerParts === 0; i++) compute.arithmetic('add', a, b, y, layout);
        expect(compute.workerParts).toBeGreaterThan(0);
    });
});

describe('Winograd against the direct conv (reference engine, im2col + GEMM)', () => {
    // Odd and even planes (edge tiles, and groups of fewer than four tiles at a row's end), padding 0 and 1 and
    // asymmetric, a residual and ReLU in the output loop. The WebAssembly engine runs a conv block by block of
    // tiles (winograd-blocks.ts) — blocks whose four-tile groups cross a row's end (56²: rows of 14 tiles), a last
    // block of one tile (28²: 49), depths over one GEMM depth block (300 channels) — or, with a number of output
    // channels that is not a multiple of 4 (U not packed), in three jobs over the whole image (winograd.ts).
    const cases = [
        { name: 'even 28×28, padding 1, bias + ReLU', text: 'network A(input: [1, 16, 28, 28]) {\n  return input -> conv(24, kernel: 3, padding: 1) -> relu\n}\n' },
        { name: 'odd 31×29, no padding, batch 2', text: 'network A(input: [2, 8, 33, 31]) {\n  return input -> conv(8, kernel: 3, bias: false)\n}\n' },
        { name: 'asymmetric padding ((0, 1), (1, 2)), residual + ReLU6', text: 'network A(x: [1, 12, 30, 30], shortcut: [1, 12, 29, 31]) {\n  y = x -> conv(12, kernel: 3, padding: ((0, 1), (1, 2))) -> batchnorm\n  return relu6(shortcut + y)\n}\n' },
        { name: '56×56, padding 1, bias + ReLU', text: 'network A(input: [1, 16, 56, 56]) {\n  return input -> conv(20, kernel: 3, padding: 1) -> relu\n}\n' },
        { name: 'odd 59×61, no padding, batch 2', text: 'network A(input: [2, 9, 61, 63]) {\n  return input -> conv(8, kernel: 3, bias: false)\n}\n' },
        { name: 'asymmetric padding ((1, 0), (2, 1)), residual + ReLU6', text: 'network A(x: [1, 12, 58, 57], shortcut: [1, 12, 57, 58]) {\n  y = x -> conv(12, kernel: 3, padding: ((1, 0), (2, 1))) -> batchnorm\n  return relu6(shortcut + y)\n}\n' },
        { name: '300 channels in (two GEMM depth blocks), 28×28, bias + ReLU', text: 'network A(input: [1, 300, 28, 28]) {\n  return input -> conv(16, kernel: 3, padding: 1) -> relu\n}\n' },
        { name: '10 channels out (U unpacked: three jobs), 56×56, residual + ReLU', text: 'network A(x: [1, 16, 56, 56], shortcut: [1, 10, 56, 56]) {\n  return relu(shortcut + (x -> conv(10, kernel: 3, padding: 1)))\n}\n' },
        { name: '7 channels out, odd 30×33, batch 2, SiLU', text: 'network A(input: [2, 12, 30, 33]) {\n  return input -> conv(7, kernel: 3, padding: 1) -> silu\n}\n' },
        // Grouped convs: U packed per group (one job), unpacked (6 channels out per group: group by group), and made
        // as it runs (one job over every group's panels of output channels: 10 a group are a panel and a part-filled one).
        { name: '2 groups of 16 → 16 channels, 28×28, batch 2, bias + residual + ReLU', text: 'network A(x: [2, 32, 28, 28], shortcut: [2, 32, 28, 28]) {\n  return relu(shortcut + (x -> conv(32, kernel: 3, padding: 1, groups: 2)))\n}\n' },
        { name: '3 groups of 16 → 6 channels (U unpacked), 29×30, batch 2', text: 'network A(input: [2, 48, 29, 30]) {\n  return input -> conv(18, kernel: 3, padding: 1, groups: 3) -> batchnorm\n}\n' },
        { name: '4 groups of 16 → 16 channels on 14×14 (U made as it runs), batch 2, bias + ReLU6', text: 'network A(input: [2, 64, 14, 14]) {\n  return input -> conv(64, kernel: 3, padding: 1, groups: 4) -> relu6\n}\n' },
        // A padded copy of the input in the im2col scratch (padding_mode), beside the shared V: a 1×200 plane's V
        // (50 tiles) is larger than its direct conv's columns.
        { name: 'replicate padding on a 1×200 plane (U made as it runs), 16 → 16 channels', text: 'network A(input: [1, 16, 1, 200]) {\n  return input -> conv(16, kernel: 3, padding: 1, padding_mode: "replicate")\n}\n' },
        { name: 'reflect padding on 14×14 (U made as it runs), 32 → 8 channels', text: 'network A(input: [1, 32, 14, 14]) {\n  return input -> conv(8, kernel: 3, padding: 1, padding_mode: "reflect")\n}\n' },
        { name: '3 groups of 16 → 10 channels on 9×11 (U made as it runs), batch 2, bias + SiLU', text: 'network A(input: [2, 48, 9, 11]) {\n  return input -> conv(30, kernel: 3, padding: 1, groups: 3) -> silu\n}\n' },
        { name: '2 groups of 32 → 12 channels on 7×7 (U made as it runs), residual', text: 'network A(x: [1, 64, 7, 7], shortcut: [1, 24, 7, 7]) {\n  return shortcut + (x -> conv(24, kernel: 3, padding: 1, groups: 2))\n}\n' },
    ];
    it.each(cases)('$name', async ({ text }) => {
        const graph = await graphOf(text);
        const conv = graph.nodes.find(n => n.op === 'conv')!;
        expect(usesWinograd(graph, conv)).toBe(true);
        const inputs = randomInputs(graph, 3);
        const parameters = initializeParameters(graph, 3);
        const reference = runNetwork(graph, inputs, parameters, { engine: 'reference' }).outputs.get(graph.outputs[0].name)!.data;
        for (const threads of [1, 2, 3]) {
            const fast = runNetwork(graph, inputs, parameters, { threads, profile: true });
            expect(relativeError(fast.outputs.get(graph.outputs[0].name)!.data, reference)).toBeLessThan(1e-5);
        }
        // The fallback without WebAssembly SIMD: the same plan, its Winograd in TypeScript.
        const compute = typescriptCompute();
        let winogradCalls = 0;
        const counted: Compute = { ...compute, winograd: (...args) => (winogradCalls++, compute.winograd(...args)) };
        const typescript = runNetwork(graph, inputs, parameters, { compute: counted });
        expect(typescript.engine).toBe('typescript (no WebAssembly SIMD)');
        // Once per image (a grouped conv's groups in one call); a conv whose U the fast engine makes as it runs is
        // declined at the first call.
        expect(winogradCalls).toBe(transformsWinogradWeightsPerRun(graph, conv) ? 1 : graph.tensors[graph.inputs[0].tensor].shape[0]);
        expect(relativeError(typescript.outputs.get(graph.outputs[0].name)!.data, reference)).toBeLessThan(1e-5);
    });
});

describe('max pooling on the fast engine = the reference path, exactly (NaN propagates)', () => {
    const cases = [
        { name: '3×3/2, padding 1, 112² (ResNet-18\'s stem: the 3×3/2 row kernel)', text: 'network P(input: [1, 4, 112, 112]) {\n  return input -> maxpool(3, stride: 2, padding: 1)\n}\n' },
        { name: '3×3/2 unpadded on 13×19, batch 2 (a part-filled last four)', text: 'network P(input: [2, 3, 13, 19]) {\n  return input -> maxpool(3, stride: 2)\n}\n' },
        { name: '3×3/2 ceil_mode on 14×15 (a window past the end)', text: 'network P(input: [1, 5, 14, 15]) {\n  return input -> maxpool(3, stride: 2, ceil_mode: true)\n}\n' },
        { name: '3×3/1, padding 1 (the general row loop)', text: 'network P(input: [1, 3, 9, 10]) {\n  return input -> maxpool(3, stride: 1, padding: 1)\n}\n' },
        { name: '2×2/2 on 56²', text: 'network P(input: [1, 6, 56, 56]) {\n  return input -> maxpool(2)\n}\n' },
    ];
    it.each(cases)('$name', async ({ text }) => {
        const graph = await graphOf(text);
        const inputs = randomInputs(graph, 11);
        const x = inputs.get(graph.inputs[0].name)!.data;
        x[Math.floor(x.length / 3)] = NaN;
        x[x.length - 1] = -Infinity;
        const reference = runNetwork(graph, inputs, new Map(), { engine: 'reference' }).outputs.get(graph.outputs[0].name)!.data;
        expect(reference.some(v => Number.isNaN(v))).toBe(true);
        for (const threads of [1, 2]) {
            const fast = runNetwork(graph, inputs, new Map(), { threads }).outputs.get(graph.outputs[0].name)!.data;
            expect(Array.from(fast)).toEqual(Array.from(reference));
        }
    });
});

describe('transposed convs on weights transposed (and, without groups, packed) once, when the run is prepared', () => {
    const cases = [
        { name: '4×4/2, 16→8', text: 'network T(input: [1, 16, 14, 14]) {\n  return input -> convtranspose(8, kernel: 4, stride: 2, padding: 1)\n}\n' },
        { name: 'groups 2, 3×3/2, output_padding 1, batch 2', text: 'network T(input: [2, 8, 9, 7]) {\n  return input -> convtranspose(6, kernel: 3, stride: 2, padding: 1, output_padding: 1, groups: 2)\n}\n' },
    ];
    it.each(cases)('$name: the reference path\'s output, on every warm run', async ({ text }) => {
        const graph = await graphOf(text);
        const inputs = randomInputs(graph, 5);
        const parameters = initializeParameters(graph, 5);
        const reference = runNetwork(graph, inputs, parameters, { engine: 'reference' }).outputs.get(graph.outputs[0].name)!.data;
        for (const threads of [1, 2]) {
            // Profiled: the prepared network runs again (warm), on the same transposed weights.
            const fast = runNetwork(graph, inputs, parameters, { threads, profile: true });
            expect(relativeError(fast.outputs.get(graph.outputs[0].name)!.data, reference)).toBeLessThan(1e-5);
        }
        // The caller's weights are not the ones transposed.
        expect(relativeError(runNetwork(graph, inputs, parameters, { engine: 'reference' }).outputs.get(graph.outputs[0].name)!.data, reference)).toBe(0);
    });
});

/** Every `.convnet` file under examples/ (blocks/ only holds imported blocks). */
const EXAMPLE_FILES = fs.readdirSync(path.join(ROOT, 'examples')).filter(f => f.endsWith('.convnet')).sort();

/**
 * Above this many MACs a network is compared at a smaller input (export-cases.ts, smallerExample: height and width
 * cut by whole multiples of its stride, to about a quarter): the reference engine is plain TypeScript, and VGG-16,
 * U-Net or C3D at full size would take the suite's time (the fast engine's kernels do not change with the input
 * size; every layer still runs).
 */
const FULL_SIZE_MACS = 3e9;

/** The networks of an example, each at its own input or, when large, at a smaller one. */
describe('an activation absorbed into a conv\'s output loop = the activation in a pass of its own (reference engine)', () => {
    // Every output loop that applies it — the GEMM's tiles (full and edge, the implicit conv's, a grouped conv's),
    // Winograd's planes, the depthwise window's (3×3 interleaved and in place, 5×5/2, 1×1) — on each activation
    // with a parameter or without.
    const cases = [
        { name: '1×1 conv (GEMM, edge tiles) + batch norm + SiLU', op: 'silu', text: 'network A(input: [1, 13, 9, 11]) {\n  return input -> conv(21, kernel: 1) -> batchnorm -> silu\n}\n' },
        { name: '1×1 conv over several blocks of C (GEMM, B packed panel by panel) + SiLU', op: 'silu', text: 'network A(input: [1, 40, 30, 30]) {\n  return input -> conv(72, kernel: 1) -> silu\n}\n' },
        { name: '3×3/2 conv (implicit GEMM) + hardswish', op: 'hardswish', text: 'network A(input: [1, 8, 32, 32]) {\n  return input -> conv(16, kernel: 3, stride: 2, padding: 1) -> hardswish\n}\n' },
        { name: '3×3 conv (Winograd) + batch norm + GELU', op: 'gelu', text: 'network A(input: [1, 16, 28, 28]) {\n  return input -> conv(24, kernel: 3, padding: 1) -> batchnorm -> gelu\n}\n' },
        { name: '3×3 conv (Winograd, odd plane) + GELU (tanh)', op: 'gelu', text: 'network A(input: [1, 12, 31, 29]) {\n  return input -> conv(12, kernel: 3, padding: 1) -> gelu(approximate: "tanh")\n}\n' },
        { name: 'grouped 3×3 conv (im2col + GEMM per group) + leaky ReLU 0.2', op: 'leakyrelu', text: 'network A(input: [1, 16, 14, 14]) {\n  return input -> conv(16, kernel: 3, padding: 1, groups: 4) -> leakyrelu(negative_slope: 0.2)\n}\n' },
        { name: 'depthwise 3×3 + batch norm + SiLU', op: 'silu', text: 'network A(input: [1, 24, 15, 15]) {\n  return input -> dwconv(kernel: 3, padding: 1) -> batchnorm -> silu\n}\n' },
        { name: 'depthwise 3×3 read in place (a wide plane) + hardswish', op: 'hardswish', text: 'network A(input: [1, 6, 9, 58]) {\n  return input -> dwconv(kernel: 3, padding: 1) -> hardswish\n}\n' },
        { name: 'depthwise 5×5/2 + hardsigmoid', op: 'hardsigmoid', text: 'network A(input: [1, 16, 29, 29]) {\n  return input -> dwconv(kernel: 5, stride: 2, padding: 2) -> hardsigmoid\n}\n' },
        { name: 'depthwise 1×1 + sigmoid', op: 'sigmoid', text: 'network A(input: [1, 8, 10, 10]) {\n  return input -> dwconv(kernel: 1) -> sigmoid\n}\n' },
        { name: 'conv on a 1×1 map (one column) + ELU 0.5', op: 'elu', text: 'network A(input: [1, 32, 1, 1]) {\n  return input -> conv(20, kernel: 1) -> elu(alpha: 0.5)\n}\n' },
        { name: '3×3 conv + tanh, batch 2', op: 'tanh', text: 'network A(input: [2, 6, 12, 12]) {\n  return input -> conv(10, kernel: 3, padding: 1) -> tanh\n}\n' },
    ];
    it.each(cases)('$name', async ({ op, text }) => {
        const graph = await graphOf(text);
        const inputs = randomInputs(graph, 13);
        const parameters = initializeParameters(graph, 13);
        const output = graph.outputs[0].name;
        const reference = runNetwork(graph, inputs, parameters, { engine: 'reference' }).outputs.get(output)!.data;
        const fused = new RegExp(`^(conv|dwconv)( \\+ batchnorm)? \\+ ${op}$`);
        for (const threads of [1, 2]) {
            const fast = runNetwork(graph, inputs, parameters, { threads, profile: true });
            expect(fast.timings!.map(t => t.op).join(', ')).toMatch(fused);
            expect(relativeError(fast.outputs.get(output)!.data, reference), `${threads} thread(s)`).toBeLessThan(1e-5);
        }
        const typescript = runNetwork(graph, inputs, parameters, { engine: 'typescript', profile: true });
        expect(typescript.timings!.map(t => t.op).join(', ')).toMatch(fused);
        expect(relativeError(typescript.outputs.get(output)!.data, reference)).toBeLessThan(1e-5);
    });
});

async function loadForComparison(file: string): Promise<NetworkGraph[]> {
    const { documents, services } = await loadConvNetFiles([path.join(ROOT, 'examples', file)]);
    const graphs: NetworkGraph[] = [];
    for (const network of documents[0].parseResult.value.declarations.filter(isNetwork)) {
        const graph = services.analysis.NetworkAnalyzer.analyze(network).graph;
        graphs.push(graph.totals.macs > FULL_SIZE_MACS ? (await smallerExample(file, graph))?.graph ?? graph : graph);
    }
    return graphs;
}

describe('examples: fast engine = reference path', () => {
    it.each(EXAMPLE_FILES)('%s: every network gives the same output within 1e-4 of its scale, at 1 and 2 threads', async file => {
        const graphs = await loadForComparison(file);
        expect(graphs.length).toBeGreaterThan(0);
        for (const graph of graphs) {
            const inputs = randomInputs(graph, 7);
            const parameters = initializeParameters(graph, 7);
            const reference = runNetwork(graph, inputs, parameters, { engine: 'reference' });
            expect(reference.engine).toBe('reference (TypeScript, layer by layer)');
            for (const threads of [1, 2]) {
                const fast = runNetwork(graph, inputs, parameters, { threads });
                expect(fast.engine).toMatch(/^wasm/);
                for (const [name, output] of reference.outputs) {
                    expect(relativeError(fast.outputs.get(name)!.data, output.data), `${graph.name}.${name} at ${threads} thread(s)`).toBeLessThan(1e-4);
                }
            }
        }
    });
});

describe('the TypeScript fallback (the fast plan where WebAssembly SIMD is missing) = reference path', () => {
    // Folded batch norms, fused ReLU/ReLU6 and residual sums, Winograd on the 56² and 28² 3×3 convs, SE gates.
    it.each(['resnet18.convnet', 'mobilenet_v2.convnet', 'se_resnet.convnet'])('%s within 1e-4 of its scale', async file => {
        for (const graph of await loadForComparison(file)) {
            const inputs = randomInputs(graph, 11);
            const parameters = initializeParameters(graph, 11);
            const reference = runNetwork(graph, inputs, parameters, { engine: 'reference' });
            const typescript = runNetwork(graph, inputs, parameters, { engine: 'typescript' });
            expect(typescript.engine).toBe('typescript (no WebAssembly SIMD)');
            for (const [name, output] of reference.outputs) {
                expect(relativeError(typescript.outputs.get(name)!.data, output.data), `${graph.name}.${name}`).toBeLessThan(1e-4);
            }
        }
    });
});
