/**
 * `npm run bench`: the project's runtime against onnxruntime-node, onnxruntime-web (WebAssembly) and TensorFlow.js
 * (cpu and wasm backends) on the same machine in one run: ResNet-18, MobileNetV2 and five single layers, batch 1,
 * at 1 and 2 threads. Every engine runs the same graph with the same seeded weights and input — the ONNX peers the
 * model `convnet export --onnx` writes, TensorFlow.js the same layers built from the graph
 * (test/bench/tfjs-graph.ts) — and the outputs are compared, so a fast wrong answer shows. Also the TypeScript
 * fallback (1 thread), the peak memory of a ResNet-50 run against its weights plus its planned activation arena,
 * and the machine's SIMD ceiling (register-only multiply-adds), against which each case's rate is given.
 *
 * A shared 2-core machine's load drifts, so: each engine and thread count runs in its own process (the
 * WebAssembly peers fix their thread count when they start), `--rounds N` times (default 3) with the order rotated
 * each round; a case's figure is the median of the rounds (each round's own figure a median of ≥ 10 timed runs
 * after warm-up), and its spread the slowest round over the fastest. `--busy` repeats everything while another
 * process keeps one core busy, since users' machines are never idle. Before and after each process a probe times
 * the machine's cores on the GEMM's micro-kernel (machine-probe.ts), so that rounds run in the host's slow spells
 * show beside the figures. Prints ms, spread, GFLOP/s (2·MACs/time),
 * share of the ceiling and ratios, checks the targets, and writes the figures as JSON (--out FILE, default
 * test-output/bench-speed.json). `--quick` skips the slow TensorFlow.js CPU backend.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConvNetFiles } from '../../language/node/load-files.js';
import { isNetwork } from '../../language/generated/ast.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { prepareNetwork } from '../../runtime/executor.js';
import { createCompute } from '../../runtime/compute.js';
import { compiledKernels, WasmMemory } from '../../runtime/wasm/instance.js';
import { initializeParameters, type ParameterStore } from '../../runtime/weights.js';
import type { Tensor } from '../../runtime/tensor.js';
import { randomInputs } from '../../io/inputs.js';
import { exportOnnx } from '../../interchange/export/onnx.js';
import { formatBytes } from '../../language/util/format.js';
import { buildTfjsNetwork, type Tf } from './tfjs-graph.js';
import { whileBusy, withLoad } from './load.js';
import { probeCores } from './machine-probe.js';

const ENGINES = ['convnet', 'convnet-ts', 'ort-node', 'ort-web', 'tfjs-wasm', 'tfjs-cpu'] as const;
type Engine = typeof ENGINES[number];
const THREADS = [1, 2];

/** What an engine cannot do, by thread count: a reason instead of a figure. */
function notApplicable(engine: Engine, threads: number): string | undefined {
    if (threads > 1 && engine === 'convnet-ts') return 'single-threaded fallback';
    if (threads > 1 && engine === 'tfjs-wasm') return 'tfjs-wasm has no threads under Node';
    if (threads > 1 && engine === 'tfjs-cpu') return 'tfjs-cpu is single-threaded JavaScript';
    return undefined;
}

interface Case {
    readonly id: string;
    readonly title: string;
    /** A file under examples/, or the text of a one-layer network. */
    readonly file?: string;
    readonly text?: string;
}

const ALL_CASES: Case[] = [
    { id: 'resnet18', title: 'ResNet-18', file: 'examples/resnet18.convnet' },
    { id: 'mobilenet_v2', title: 'MobileNetV2', file: 'examples/mobilenet_v2.convnet' },
    { id: 'efficientnet_b0', title: 'EfficientNet-B0', file: 'examples/efficientnet_b0.convnet' },
    { id: 'conv3x3', title: '3×3 conv 64→64 @56²', text: 'network Conv3x3(input: [1, 64, 56, 56]) {\n  return input -> conv(64, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3_28', title: '3×3 conv 128→128 @28²', text: 'network Conv3x3At28(input: [1, 128, 28, 28]) {\n  return input -> conv(128, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3_14', title: '3×3 conv 256→256 @14²', text: 'network Conv3x3At14(input: [1, 256, 14, 14]) {\n  return input -> conv(256, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3_7', title: '3×3 conv 512→512 @7²', text: 'network Conv3x3At7(input: [1, 512, 7, 7]) {\n  return input -> conv(512, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'depthwise', title: 'depthwise 3×3 @112²×32', text: 'network Depthwise(input: [1, 32, 112, 112]) {\n  return input -> dwconv(kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'pointwise', title: '1×1 conv 256→64 @56²', text: 'network Pointwise(input: [1, 256, 56, 56]) {\n  return input -> conv(64, kernel: 1, bias: false)\n}\n' },
    { id: 'transposed', title: 'transposed 4×4/2 64→32 @28²', text: 'network Transposed(input: [1, 64, 28, 28]) {\n  return input -> convtranspose(32, kernel: 4, stride: 2, padding: 1, bias: false)\n}\n' },
    { id: 'grouped', title: 'grouped 3×3 g=4 64→64 @56²', text: 'network Grouped(input: [1, 64, 56, 56]) {\n  return input -> conv(64, kernel: 3, padding: 1, groups: 4, bias: false)\n}\n' },
];

/**
 * The cases of this run: every one, or those `--cases conv3x3,depthwise` names (passed to the children through
 * CONVNET_BENCH_CASES), for comparing one kernel against its previous version quickly.
 */
const CASES: Case[] = (() => {
    const named = process.env.CONVNET_BENCH_CASES?.split(',').filter(Boolean);
    if (!named?.length) return ALL_CASES;
    const unknown = named.filter(id => !ALL_CASES.some(c => c.id === id));
    if (unknown.length) {
        console.error(`unknown case ${unknown.join(', ')}; the cases are ${ALL_CASES.map(c => c.id).join(', ')}`);
        process.exit(2);
    }
    return ALL_CASES.filter(c => named.includes(c.id));
})();

interface Measurement {
    case: string;
    engine: Engine;
    threads: number;
    ms?: number;
    runs?: number;
    gflops?: number;
    /** 32 evenly spaced output values, to compare engines. */
    samples?: number[];
    error?: string;
    /** How fast the machine's cores ran around this process: the slower of the probes before and after it, over the condition's fastest (machine-probe.ts). */
    machine?: number;
}

async function loadGraph(c: Case, scratch: string): Promise<NetworkGraph> {
    const file = c.file ? path.resolve(c.file) : path.join(scratch, `${c.id}.convnet`);
    if (c.text) fs.writeFileSync(file, c.text);
    const { documents, services } = await loadConvNetFiles([file]);
    const network = documents[0].parseResult.value.declarations.find(isNetwork)!;
    return services.analysis.NetworkAnalyzer.analyze(network).graph;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function samplesOf(data: ArrayLike<number>): number[] {
    return Array.from({ length: 32 }, (_, i) => data[Math.floor((i * (data.length - 1)) / 31)]);
}

/** Warm-up, then timed runs: ≥ 10, more for fast cases (up to about a second of runs). */
async function time(run: () => Promise<ArrayLike<number>> | ArrayLike<number>): Promise<{ ms: number; runs: number; samples: number[] }> {
    const first = performance.now();
    const output = await run();
    const firstMs = performance.now() - first;
    const warmups = firstMs > 1000 ? 1 : 3;
    for (let i = 1; i < warmups; i++) await run();
    const runs = Math.max(10, Math.min(50, Math.floor(1000 / Math.max(firstMs, 1))));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = performance.now();
        await run();
        times.push(performance.now() - start);
    }
    return { ms: median(times), runs, samples: samplesOf(output) };
}

/** One engine at one thread count over every case, in this process; prints one JSON line per case. */
async function child(engine: Engine, threads: number): Promise<void> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-bench-'));
    const setup = await setupPeer(engine, threads);
    for (const c of CASES) {
        const result: Measurement = { case: c.id, engine, threads };
        try {
            const graph = await loadGraph(c, scratch);
            const parameters = initializeParameters(graph, 1);
            const measured = await setup(graph, parameters, randomInputs(graph, 1));
            result.ms = measured.ms;
            result.runs = measured.runs;
            result.samples = measured.samples;
            result.gflops = (2 * graph.totals.macs) / (measured.ms * 1e6);
        } catch (e) {
            result.error = (e as Error).message.split('\n')[0];
        }
        process.stdout.write(`${JSON.stringify(result)}\n`);
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    process.exit(0);
}

type Runner = (graph: NetworkGraph, parameters: ParameterStore, inputs: Map<string, Tensor>) => Promise<{ ms: number; runs: number; samples: number[] }>;

async function setupPeer(engine: Engine, threads: number): Promise<Runner> {
    switch (engine) {
        case 'convnet':
        case 'convnet-ts':
            return async (graph, parameters, inputs) => {
                const prepared = prepareNetwork(graph, parameters, { engine: engine === 'convnet' ? 'fast' : 'typescript', threads });
                try {
                    // The engine's worker threads take some 30 ms to start (a Node worker's own start-up), and until
                    // then every job runs on the calling thread: a layer of 0.6 ms would have had all its timed runs on
                    // one thread. The WebAssembly peers likewise start their threads when their session is made.
                    await prepared.compute.started;
                    return await time(() => prepared.run(inputs).outputs.get(graph.outputs[0].name)!.data);
                } finally {
                    prepared.dispose();
                }
            };
        case 'ort-node':
        case 'ort-web': {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const ort = engine === 'ort-node' ? require('onnxruntime-node') : require('onnxruntime-web');
            if (engine === 'ort-web') ort.env.wasm.numThreads = threads;
            return async (graph, parameters, inputs) => {
                const input = inputs.get(graph.inputs[0].name)!.data;
                const model = exportOnnx(graph, parameters).bytes;
                const session = await ort.InferenceSession.create(model, {
                    executionProviders: [engine === 'ort-node' ? 'cpu' : 'wasm'],
                    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
                });
                const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [...graph.tensors[graph.inputs[0].tensor].shape]) };
                const output = session.outputNames[0];
                try {
                    return await time(async () => (await session.run(feeds))[output].data as Float32Array);
                } finally {
                    await session.release();
                }
            };
        }
        case 'tfjs-wasm':
        case 'tfjs-cpu': {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const tf = require('@tensorflow/tfjs') as Tf;
            if (engine === 'tfjs-wasm') {
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const wasm = require('@tensorflow/tfjs-backend-wasm');
                wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
            }
            await tf.setBackend(engine === 'tfjs-wasm' ? 'wasm' : 'cpu');
            return async (graph, parameters, inputs) => {
                const input = inputs.get(graph.inputs[0].name)!.data;
                const network = buildTfjsNetwork(tf, graph, parameters);
                const [n, c, h, w] = graph.tensors[graph.inputs[0].tensor].shape;
                const x = tf.tidy(() => tf.transpose(tf.tensor4d(input, [n, c, h, w]), [0, 2, 3, 1])) as import('@tensorflow/tfjs').Tensor4D;
                try {
                    return await time(() => network.run(x));
                } finally {
                    x.dispose();
                    network.dispose();
                }
            };
        }
    }
}

/** Peak resident memory of a ResNet-50 run (weights made in the engine's memory and adopted) over its plan. */
async function memoryChild(): Promise<void> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-bench-'));
    const graph = await loadGraph({ id: 'resnet50', title: 'ResNet-50', file: 'examples/resnet50.convnet' }, scratch);
    const input = randomInputs(graph, 1);
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sample = () => { peak = Math.max(peak, process.memoryUsage.rss()); };
    const compute = createCompute({});
    const parameters = initializeParameters(graph, 1, elements => compute.allocate(elements));
    sample();
    const prepared = prepareNetwork(graph, parameters, { compute, adoptParameters: true });
    sample();
    for (let i = 0; i < 3; i++) prepared.run(input, { onProgress: sample });
    sample();
    const planned = prepared.plannedBytes;
    process.stdout.write(`${JSON.stringify({ peakBytes: peak - baseline, weightsBytes: planned.parameters, arenaBytes: planned.activations, scratchBytes: planned.scratch, engine: compute.description })}\n`);
    prepared.dispose();
    compute.dispose();
    process.exit(0);
}

function runChild(args: string[]): string {
    return execFileSync(process.execPath, ['--expose-gc', __filename, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
}

/** GFLOP/s of register-only fused multiply-adds on one thread (assembly/peak.ts): no kernel can beat it. */
function peakChild(): void {
    const compiled = compiledKernels();
    if (!compiled) {
        process.stdout.write(`${JSON.stringify({ error: 'no WebAssembly SIMD here' })}\n`);
        process.exit(0);
    }
    const kernels = new WasmMemory(compiled).kernels;
    kernels.fmaPeak(1e6, 1);
    const rates: number[] = [];
    for (let i = 0; i < 7; i++) {
        const rounds = 2e7;
        const t0 = performance.now();
        kernels.fmaPeak(rounds, 1 + i);
        rates.push((64 * rounds) / ((performance.now() - t0) * 1e6));
    }
    process.stdout.write(`${JSON.stringify({ gflops: median(rates), variant: compiled.variant })}\n`);
    process.exit(0);
}

/** The micro-kernel's GFLOP/s on every core at once, right now (machine-probe.ts): one JSON line. */
async function probeChild(): Promise<void> {
    // A probe that cannot run (no shared memory, a worker that fails) leaves the figures without it, not the run.
    process.stdout.write(`${JSON.stringify({ gflops: await probeCores().catch(() => undefined) ?? [] })}\n`);
    process.exit(0);
}

/** The machine's cores' mean GFLOP/s on the micro-kernel, from a probe process; NaN where it cannot be measured. */
function probeMachine(): number {
    try {
        const { gflops } = JSON.parse(runChild(['--probe']).trim()) as { gflops: number[] };
        return gflops.length ? gflops.reduce((sum, rate) => sum + rate, 0) / gflops.length : NaN;
    } catch {
        return NaN;
    }
}

function pad(text: string, width: number, right = false): string {
    return right ? text.padStart(width) : text.padEnd(width);
}

type Condition = 'quiet' | 'busy';

interface Summary {
    readonly case: string;
    readonly engine: Engine;
    readonly threads: number;
    readonly condition: Condition;
    /** Median over the rounds of each round's median time. */
    readonly ms?: number;
    readonly minMs?: number;
    readonly maxMs?: number;
    readonly rounds: number;
    readonly gflops?: number;
    readonly samples?: number[];
    readonly error?: string;
    /** Median over the rounds of how fast the machine's cores ran around each (Measurement.machine), and the slowest. */
    readonly machine?: number;
    readonly machineMin?: number;
    /** Each round's time and how fast the machine's cores ran around it, in the order run. */
    readonly perRound?: { ms: number; machine?: number }[];
}

/**
 * Every engine at every thread count, `rounds` times, each in its own process, the order rotated each round so
 * that no engine always runs first or last while the machine's load drifts; per case the median of the rounds
 * and the fastest and slowest round. Between processes a probe times the machine's cores (machine-probe.ts): each
 * process's figures carry how fast they ran around it, so a round measured in one of the host's slow spells shows.
 */
function measure(rounds: number, condition: Condition, quick: boolean): Summary[] {
    const jobs = THREADS.flatMap(threads => ENGINES.filter(e => !notApplicable(e, threads) && !(quick && e === 'tfjs-cpu')).map(engine => ({ engine, threads })));
    const raw: Measurement[] = [];
    const probes = [probeMachine()];
    for (let round = 0; round < rounds; round++) {
        const order = [...jobs.slice(round % jobs.length), ...jobs.slice(0, round % jobs.length)];
        for (const { engine, threads } of order) {
            process.stderr.write(`${condition}, round ${round + 1} of ${rounds}: ${engine} at ${threads} thread(s)…\n`);
            const lines = runChild(['--child', engine, String(threads)]).split('\n').filter(Boolean);
            probes.push(probeMachine());
            const around = Math.min(probes[probes.length - 2], probes[probes.length - 1]);
            for (const line of lines) raw.push({ ...JSON.parse(line), machine: around });
        }
    }
    const fastest = Math.max(...probes.filter(Number.isFinite));
    for (const r of raw) r.machine = Number.isFinite(fastest) && Number.isFinite(r.machine) ? r.machine! / fastest : undefined;
    return jobs.flatMap(({ engine, threads }) => CASES.map((c): Summary => {
        const mine = raw.filter(r => r.case === c.id && r.engine === engine && r.threads === threads);
        const times = mine.flatMap(r => (r.ms === undefined ? [] : [r.ms]));
        const base = { case: c.id, engine, threads, condition, rounds: times.length };
        if (!times.length) return { ...base, error: mine.find(r => r.error)?.error ?? 'not run' };
        const ms = median(times);
        const gflops = mine[0].gflops! * (mine[0].ms! / ms);
        const machine = mine.flatMap(r => (r.machine === undefined ? [] : [r.machine]));
        return {
            ...base, ms, minMs: Math.min(...times), maxMs: Math.max(...times), gflops, samples: mine[0].samples,
            ...(machine.length ? { machine: median(machine), machineMin: Math.min(...machine) } : {}),
            perRound: mine.flatMap(r => (r.ms === undefined ? [] : [{ ms: r.ms, machine: r.machine }])),
        };
    }));
}

/**
 * One line per condition: how fast the machine's cores ran around each engine's processes, the median and slowest
 * of its rounds, as a share of the condition's fastest probe — an engine whose rounds fell in the host's slow spells
 * is slow for that alone.
 */
function machineLine(results: Summary[], condition: Condition): string {
    const engines = results.filter(r => r.condition === condition && r.case === CASES[0].id && r.machine !== undefined);
    if (!engines.length) return `machine (${condition}): not measured`;
    return `machine (${condition}; the micro-kernel on every core around each process, median and slowest round over the fastest probe): ${
        engines.map(r => `${r.engine} ${r.threads}t ${r.machine!.toFixed(2)} (${r.machineMin!.toFixed(2)})`).join(' · ')}`;
}

function table(results: Summary[], condition: Condition, peak: number | undefined): string[] {
    const find = (c: string, engine: Engine, threads: number) => results.find(r => r.case === c && r.engine === engine && r.threads === threads && r.condition === condition);
    const lines: string[] = [];
    for (const c of CASES) {
        lines.push('', `${c.title} (${condition})`);
        lines.push(`  ${pad('engine', 12)}${THREADS.map(t => pad(`${t} thread${t > 1 ? 's' : ''}`, 50, true)).join('')}`);
        for (const engine of ENGINES) {
            const cells = THREADS.map(threads => {
                const reason = notApplicable(engine, threads);
                if (reason) return pad('—', 50, true);
                const r = find(c.id, engine, threads);
                if (!r) return pad('not run', 50, true);
                if (r.error || r.ms === undefined) return pad(`n/a (${r.error ?? '?'})`.slice(0, 49), 50, true);
                const ours = find(c.id, 'convnet', threads);
                const ratio = ours?.ms && engine !== 'convnet' ? ` ${(r.ms / ours.ms).toFixed(2)}×` : '';
                const ceiling = engine === 'convnet' && peak ? ` ${((100 * r.gflops!) / (peak * threads)).toFixed(0)}%pk` : '';
                let delta = '';
                if (ours?.samples && r.samples && engine !== 'convnet') {
                    const scale = Math.max(...ours.samples.map(Math.abs)) || 1;
                    delta = ` Δ${(Math.max(...r.samples.map((v, i) => Math.abs(v - ours.samples![i]))) / scale).toExponential(0)}`;
                }
                const spread = r.maxMs! / r.minMs!;
                return pad(`${r.ms.toFixed(2)} ms ×${spread.toFixed(2)} ${r.gflops!.toFixed(1)} GF/s${ceiling}${ratio}${delta}`, 50, true);
            });
            lines.push(`  ${pad(engine, 12)}${cells.join('')}`);
        }
    }
    return lines;
}

function targets(results: Summary[], conditions: Condition[], peak: number | undefined): string[] {
    const lines: string[] = [];
    const check = (label: string, ok: boolean | undefined) => lines.push(`  ${ok === undefined ? '?   ' : ok ? 'met ' : 'MISS'} ${label}`);
    for (const condition of conditions) {
        const r = (c: string, e: Engine, t: number) => results.find(x => x.case === c && x.engine === e && x.threads === t && x.condition === condition);
        const ms = (c: string, e: Engine, t: number) => r(c, e, t)?.ms;
        const ratio = (a?: number, b?: number) => (a && b ? a / b : undefined);
        const shown = (x?: number) => (x === undefined ? '?' : x.toFixed(2));
        lines.push(`${condition}:`);
        for (const c of CASES) {
            const speedup = ratio(ms(c.id, 'convnet', 1), ms(c.id, 'convnet', 2));
            check(`${c.id}: 2 threads never slower than 1 (${shown(speedup)}× faster)`, speedup === undefined ? undefined : speedup >= 1);
        }
        if (condition === 'quiet') {
            for (const c of ['resnet18', 'mobilenet_v2']) {
                const speedup = ratio(ms(c, 'convnet', 1), ms(c, 'convnet', 2));
                check(`${c}: 2 threads ≥ 1.6× faster than 1 (${shown(speedup)}×)`, speedup === undefined ? undefined : speedup >= 1.6);
            }
        }
        for (const c of CASES) {
            for (const t of THREADS) {
                for (const peer of ['ort-web', 'tfjs-wasm'] as const) {
                    if (notApplicable(peer, t)) continue;
                    const lead = ratio(ms(c.id, peer, t), ms(c.id, 'convnet', t));
                    check(`${c.id} ${t}t: ≥ 1.5× faster than ${peer} (${shown(lead)}×)`, lead === undefined ? undefined : lead >= 1.5);
                }
                const ours = r(c.id, 'convnet', t);
                const web = r(c.id, 'ort-web', t);
                if (ours?.ms && web?.ms) {
                    const [s, w] = [ours.maxMs! / ours.minMs!, web.maxMs! / web.minMs!];
                    check(`${c.id} ${t}t: spread over rounds no wider than ort-web's (${s.toFixed(2)} vs ${w.toFixed(2)})`, s <= w);
                }
            }
        }
        for (const [c, limit] of [['resnet18', 2.5], ['mobilenet_v2', 3]] as const) {
            const behind = ratio(ms(c, 'convnet', 1), ms(c, 'ort-node', 1));
            check(`${c} 1 thread within ${limit}× of ort-node (${shown(behind)}×)`, behind === undefined ? undefined : behind <= limit);
        }
        const conv = r('conv3x3', 'convnet', 1)?.gflops;
        const share = conv && peak ? conv / peak : undefined;
        check(`3×3 conv 64→64 @56² ≥ 60% of the SIMD ceiling on one thread (${share === undefined ? '?' : (100 * share).toFixed(0)}%, effective)`, share === undefined ? undefined : share >= 0.6);
    }
    return lines;
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    if (args[0] === '--child') return child(args[1] as Engine, Number(args[2]));
    if (args[0] === '--memory') return memoryChild();
    if (args[0] === '--peak') return peakChild();
    if (args[0] === '--probe') return probeChild();
    const casesIndex = args.indexOf('--cases');
    if (casesIndex >= 0) {
        // Children read the selection from the environment; this process re-reads it too.
        const named = (args[casesIndex + 1] ?? '').split(',').filter(Boolean);
        const unknown = named.filter(id => !ALL_CASES.some(c => c.id === id));
        if (!named.length || unknown.length) {
            console.error(`--cases takes case names separated by commas (unknown: ${unknown.join(', ') || 'none given'}); the cases are ${ALL_CASES.map(c => c.id).join(', ')}`);
            process.exit(2);
        }
        process.env.CONVNET_BENCH_CASES = named.join(',');
        CASES.splice(0, CASES.length, ...ALL_CASES.filter(c => named.includes(c.id)));
    }
    const quick = args.includes('--quick');
    const busy = args.includes('--busy');
    const roundsIndex = args.indexOf('--rounds');
    const rounds = roundsIndex >= 0 ? Math.max(1, Number(args[roundsIndex + 1]) || 3) : 3;
    const outIndex = args.indexOf('--out');
    const out = outIndex >= 0 ? args[outIndex + 1] : path.join('test-output', 'bench-speed.json');

    const peakResult = JSON.parse(runChild(['--peak']).trim()) as { gflops?: number; variant?: string };
    const peak = peakResult.gflops;
    const conditions: Condition[] = busy ? ['quiet', 'busy'] : ['quiet'];
    const quietRun = withLoad(() => measure(rounds, 'quiet', quick));
    const results = quietRun.result;
    const busyRun = busy ? withLoad(() => whileBusy(() => measure(rounds, 'busy', quick))) : undefined;
    if (busyRun) results.push(...busyRun.result);
    const load = (cores?: number) => (cores === undefined ? 'unknown' : `${cores.toFixed(2)} cores`);
    const memory = JSON.parse(runChild(['--memory']).trim());

    const lines: string[] = [];
    lines.push(`convnet speed benchmark — ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.versions.node}; batch 1`);
    lines.push(`median over ${rounds} rounds (each round: its own process per engine and thread count, order rotated; each a median of ≥ 10 runs); ×N after the time is the slowest round over the fastest`);
    lines.push(`SIMD ceiling: ${peak ? `${peak.toFixed(1)} GFLOP/s per thread (${peakResult.variant}, register-only multiply-adds)` : 'not measured'}; %pk = GFLOP/s over that ceiling × threads (Winograd's are effective rates)`);
    lines.push('"×" after GF/s is the peer\'s time over convnet\'s at the same thread count (> 1: convnet is faster); "Δ" the largest difference from convnet\'s output over its scale.');
    lines.push(`quiet: other processes used ${load(quietRun.otherCores)} on average during the run${busyRun ? `; busy: the same again while another process keeps one core busy (other processes, the burner included: ${load(busyRun.otherCores)})` : ''}.`);
    for (const condition of conditions) lines.push(...table(results, condition, peak));
    lines.push('', ...conditions.map(condition => machineLine(results, condition)));
    const ratio = memory.peakBytes / (memory.weightsBytes + memory.arenaBytes);
    lines.push('', `ResNet-50 memory (${memory.engine}): peak ${formatBytes(memory.peakBytes)} over the process's baseline; weights ${formatBytes(memory.weightsBytes)} + planned arena ${formatBytes(memory.arenaBytes)} (scratch ${formatBytes(memory.scratchBytes)}) → ${ratio.toFixed(2)}× (target ≤ 1.5×)`);
    lines.push('', 'targets:', ...targets(results, conditions, peak));
    lines.push(`  ${ratio <= 1.5 ? 'met ' : 'MISS'} ResNet-50 peak memory ≤ 1.5× weights + arena (${ratio.toFixed(2)}×)`);
    console.log(lines.join('\n'));
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({
        date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.versions.node, rounds,
        otherCores: { quiet: quietRun.otherCores, ...(busyRun ? { busy: busyRun.otherCores } : {}) },
        peakGflopsPerThread: peak,
        results: results.map(({ samples: _samples, ...r }) => r), memory,
    }, null, 2));
    console.log(`\nfigures written to ${out}`);
}

void main();
