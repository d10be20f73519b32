/**
 * `convnet calibrate [--threads N] [--out FILE] [--force]`: measures "this machine" for the roofline with the
 * project's own engine and writes the profile (language/analysis/devices.ts) to the user's cache or FILE.
 *
 * What is measured, each a layer run by the fast engine as `convnet run --profile` runs it (prepared once, then
 * warm runs, the median of each step's times):
 * - the roof: register-only fused multiply-adds (runtime/wasm/assembly/peak.ts `fmaPeak`) × threads;
 * - the ceilings of the kernel classes, each measured on layers like the ones it predicts: dense (im2col + GEMM: a
 *   3×3 conv 128→256 stride 2 at 28², 1×1 convs 96→576 at 14² and 512→2048 at 7²), pointwise (1×1 convs on large
 *   maps, one GEMM on the input: MobileNetV2's expansions 16→96 at 112² and 24→144 at 56², its projection 144→24 at
 *   56², and 256→64 at 56²), winograd (3×3 convs 64→64 at 56² and 128→128 at 28², on weights transformed ahead),
 *   winograd-small (3×3 convs 256→256 at 14² and 512→512 at 7², on weights transformed as they run), depthwise (3×3 at 56²×144 and stride
 *   2 at 112²×96) — FLOPs over time;
 * - window: max pooling 3×3/2 of 64×112² and 2×2/2 of 128×56²; elementwise: a sum of two 128×56² tensors and a ReLU
 *   of 64×112² — FLOPs over time (a stand-alone ReLU streams far slower than a pooling window computes: one
 *   median of both predicted pooling at 2–3× its time);
 * - bandwidth: a matrix-vector product (linear 1280→1000, batch 1) and a concat of two 116×28² tensors, bytes over
 *   time less the overhead;
 * - the overhead: the median step of a chain of ReLUs on 1×1×2×2 tensors (nothing to compute or move).
 * The run repeats the whole set `rounds` times, interleaved, and keeps each case's median time; a class's figure is
 * the median of its cases' rates.
 */
import { EmptyFileSystem } from 'langium';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConvNetServices } from '../language/convnet-module.js';
import { ensureBuiltinLibrary } from '../language/builtin-library.js';
import { isNetwork, type Model } from '../language/generated/ast.js';
import { URI } from 'langium';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { KERNEL_CLASSES, serializeDeviceProfile, THIS_MACHINE, type DeviceProfile, type KernelClass } from '../language/analysis/devices.js';
import { roofline } from '../language/analysis/roofline.js';
import { thisMachineProfilePath } from '../language/node/device-file.js';
import { prepareNetwork } from '../runtime/executor.js';
import { createCompute, threadsFor } from '../runtime/compute.js';
import { compiledKernels, WasmMemory } from '../runtime/wasm/instance.js';
import { initializeParameters } from '../runtime/weights.js';
import { randomInputs } from '../io/inputs.js';
import { checkWrites, writeFilesSafely, WriteRefused } from '../io/safe-write.js';
import { displayText } from '../language/util/quote.js';
import { FORCE_HINT } from './outputs.js';
import type { Output } from './commands.js';

export interface MicroBenchmark {
    readonly id: string;
    /** What the step's time calibrates. */
    readonly measures: KernelClass | 'bandwidth' | 'overhead';
    readonly text: string;
}

const OVERHEAD_CHAIN = 32;

export const MICRO_BENCHMARKS: readonly MicroBenchmark[] = [
    { id: 'pointwise 256→64 @56²', measures: 'pointwise', text: 'network M(input: [1, 256, 56, 56]) {\n  return input -> conv(64, kernel: 1, bias: false)\n}\n' },
    { id: 'pointwise 16→96 @112²', measures: 'pointwise', text: 'network M(input: [1, 16, 112, 112]) {\n  return input -> conv(96, kernel: 1, bias: false)\n}\n' },
    { id: 'pointwise 24→144 @56²', measures: 'pointwise', text: 'network M(input: [1, 24, 56, 56]) {\n  return input -> conv(144, kernel: 1, bias: false)\n}\n' },
    { id: 'pointwise 144→24 @56²', measures: 'pointwise', text: 'network M(input: [1, 144, 56, 56]) {\n  return input -> conv(24, kernel: 1, bias: false)\n}\n' },
    { id: '1×1 96→576 @14²', measures: 'dense', text: 'network M(input: [1, 96, 14, 14]) {\n  return input -> conv(576, kernel: 1, bias: false)\n}\n' },
    { id: '1×1 512→2048 @7²', measures: 'dense', text: 'network M(input: [1, 512, 7, 7]) {\n  return input -> conv(2048, kernel: 1, bias: false)\n}\n' },
    { id: 'conv3x3/2 128→256 @28²', measures: 'dense', text: 'network M(input: [1, 128, 28, 28]) {\n  return input -> conv(256, kernel: 3, stride: 2, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3 64→64 @56²', measures: 'winograd', text: 'network M(input: [1, 64, 56, 56]) {\n  return input -> conv(64, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3 128→128 @28²', measures: 'winograd', text: 'network M(input: [1, 128, 28, 28]) {\n  return input -> conv(128, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3 256→256 @14²', measures: 'winograd-small', text: 'network M(input: [1, 256, 14, 14]) {\n  return input -> conv(256, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'depthwise 3×3 @56²×144', measures: 'depthwise', text: 'network M(input: [1, 144, 56, 56]) {\n  return input -> dwconv(kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'depthwise 3×3/2 @112²×96', measures: 'depthwise', text: 'network M(input: [1, 96, 112, 112]) {\n  return input -> dwconv(kernel: 3, stride: 2, padding: 1, bias: false)\n}\n' },
    { id: 'conv3x3 512→512 @7²', measures: 'winograd-small', text: 'network M(input: [1, 512, 7, 7]) {\n  return input -> conv(512, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'add 128×56²', measures: 'elementwise', text: 'network M(a: [1, 128, 56, 56], b: [1, 128, 56, 56]) {\n  return a + b\n}\n' },
    { id: 'relu 64×112²', measures: 'elementwise', text: 'network M(input: [1, 64, 112, 112]) {\n  return input -> relu\n}\n' },
    { id: 'maxpool 3/2 64×112²', measures: 'window', text: 'network M(input: [1, 64, 112, 112]) {\n  return input -> maxpool(3, stride: 2, padding: 1)\n}\n' },
    { id: 'maxpool 2/2 128×56²', measures: 'window', text: 'network M(input: [1, 128, 56, 56]) {\n  return input -> maxpool(2)\n}\n' },
    { id: 'linear 1280→1000', measures: 'bandwidth', text: 'network M(input: [1, 1280]) {\n  return input -> linear(1000)\n}\n' },
    { id: 'concat 2×116×28²', measures: 'bandwidth', text: 'network M(a: [1, 116, 28, 28], b: [1, 116, 28, 28]) {\n  return concat(a, b)\n}\n' },
    { id: `${OVERHEAD_CHAIN} ReLUs on 1×1×2×2`, measures: 'overhead', text: `network M(input: [1, 1, 2, 2]) {\n  return input -> [repeat ${OVERHEAD_CHAIN}: relu]\n}\n` },
];

/** The graphs of the micro-benchmarks, elaborated from their text in memory (no file is written). */
export async function microGraphs(): Promise<NetworkGraph[]> {
    const { shared, ConvNet } = createConvNetServices(EmptyFileSystem);
    const documents = MICRO_BENCHMARKS.map((b, i) => {
        const document = shared.workspace.LangiumDocumentFactory.fromString<Model>(b.text, URI.file(`/calibrate/${i}.convnet`));
        shared.workspace.LangiumDocuments.addDocument(document);
        return document;
    });
    await shared.workspace.DocumentBuilder.build([...documents, ensureBuiltinLibrary(shared)], { validation: true });
    const broken = documents.findIndex(d => (d.diagnostics ?? []).some(x => x.severity === 1));
    if (broken >= 0) throw new Error(`calibration network ${MICRO_BENCHMARKS[broken].id} does not elaborate`);
    return documents.map(d => ConvNet.analysis.NetworkAnalyzer.analyze(d.parseResult.value.declarations.find(isNetwork)!).graph);
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
}

/** GFLOP/s of register-only multiply-adds on one thread (the median of 7 timings), or undefined without SIMD. */
export function measureFmaPeak(): { flopsPerThread: number; variant: string } | undefined {
    const compiled = compiledKernels();
    if (!compiled) return undefined;
    const kernels = new WasmMemory(compiled).kernels;
    kernels.fmaPeak(1e6, 1);
    const rates: number[] = [];
    for (let i = 0; i < 7; i++) {
        const rounds = 5e6;
        const t0 = performance.now();
        kernels.fmaPeak(rounds, 1 + i);
        rates.push((64 * rounds) / ((performance.now() - t0) / 1e3));
    }
    return { flopsPerThread: median(rates), variant: compiled.variant };
}

export interface CalibrationOptions {
    readonly threads?: number;
    /** Times the whole set is measured, interleaved (default 3). */
    readonly rounds?: number;
    /** Warm runs per micro-benchmark per round (default 15). */
    readonly runs?: number;
    readonly onProgress?: (text: string) => void;
}

/** Step medians (seconds) of warm runs of `graph` on `threads`. */
export async function warmStepSeconds(graph: NetworkGraph, threads: number, runs: number): Promise<{ node: number; seconds: number }[]> {
    const prepared = prepareNetwork(graph, initializeParameters(graph, 1), { threads });
    try {
        // The engine's worker threads take some 30 ms to start; until then every job runs on one thread.
        await prepared.compute.started;
        const inputs = randomInputs(graph, 1);
        for (let i = 0; i < 2; i++) prepared.run(inputs);
        const timed = Array.from({ length: runs }, () => prepared.run(inputs, { profile: true }).timings!);
        return timed[0].map((step, i) => ({ node: step.node, seconds: median(timed.map(t => t[i].ms)) / 1e3 }));
    } finally {
        prepared.dispose();
    }
}

/** Measures this machine; the profile's figures are medians over the rounds. */
export async function measureThisMachine(options: CalibrationOptions = {}): Promise<DeviceProfile> {
    const threads = threadsFor(options.threads);
    const rounds = options.rounds ?? 3;
    const runs = options.runs ?? 15;
    const peak = measureFmaPeak();
    const graphs = await microGraphs();
    const probe = createCompute({ threads });
    const engine = probe.description;
    probe.dispose();
    const samples = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
        options.onProgress?.(`round ${round + 1} of ${rounds}`);
        for (const [i, b] of MICRO_BENCHMARKS.entries()) {
            const steps = await warmStepSeconds(graphs[i], threads, runs);
            const seconds = b.measures === 'overhead' ? median(steps.map(s => s.seconds)) : steps.reduce((s, x) => s + x.seconds, 0);
            (samples.get(b.id) ?? samples.set(b.id, []).get(b.id)!).push(seconds);
        }
    }
    const time = (id: string) => median(samples.get(id)!);
    const overheadSeconds = time(MICRO_BENCHMARKS.find(b => b.measures === 'overhead')!.id);
    const figures = MICRO_BENCHMARKS.map((b, i) => {
        const graph = graphs[i];
        const seconds = time(b.id);
        const flops = graph.nodes.reduce((s, n) => s + n.flops, 0);
        // Bytes as the roofline counts them (parameters, inputs and outputs in float32).
        const bytes = roofline(graph, { id: 'count', name: 'count', shortName: 'count', peakFlops: 1, bandwidth: 1, overheadSeconds: 0, fuses: false, source: '' }).bytes;
        return { id: b.id, measures: b.measures, seconds, flops, bytes };
    });
    // Each case's rate with the overhead taken off; a class's figure is the median of its cases' (one slow case, a
    // moment of load, does not set it).
    const busy = (f: { seconds: number }) => Math.max(f.seconds - overheadSeconds, f.seconds / 2);
    const rate = (kind: KernelClass) => median(figures.filter(f => f.measures === kind).map(f => f.flops / busy(f)));
    const bandwidth = median(figures.filter(f => f.measures === 'bandwidth').map(f => f.bytes / busy(f)));
    const date = new Date().toISOString();
    const cpu = os.cpus()[0]?.model?.trim() || os.arch();
    const dense = rate('dense');
    return {
        id: THIS_MACHINE,
        name: 'this machine',
        shortName: 'this machine',
        // The roof is the register-only FMA rate on every thread; without WebAssembly SIMD, the dense GEMM's rate.
        peakFlops: peak ? peak.flopsPerThread * threads : dense,
        bandwidth,
        overheadSeconds,
        fuses: engine !== 'reference',
        ceilings: Object.fromEntries(KERNEL_CLASSES.map(kind => [kind, kind === 'dense' ? dense : rate(kind)])),
        source: `calibrated by convnet calibrate on ${cpu}, ${engine}, ${date.slice(0, 10)}`,
        calibration: {
            date, cpu, cores: os.cpus().length, platform: `${os.platform()} ${os.arch()}`, node: process.version, engine, threads, rounds, runs,
            fmaPeakFlopsPerThread: peak?.flopsPerThread, simd: peak?.variant,
            loadAverage: os.loadavg().map(l => Number(l.toFixed(2))),
            microBenchmarks: figures.map(f => ({ id: f.id, measures: f.measures, ms: Number((f.seconds * 1e3).toPrecision(4)), flops: f.flops, bytes: f.bytes })),
        },
    };
}

export interface CalibrateCommandOptions {
    readonly threads?: number;
    readonly out?: string;
    readonly force?: boolean;
    readonly json?: boolean;
}

/** `convnet calibrate`: measures, prints the figures and writes the profile (the cache file is replaced freely). */
export async function calibrate(options: CalibrateCommandOptions, io: Output): Promise<number> {
    const file = options.out ?? thisMachineProfilePath();
    const writing = { replace: options.out ? options.force : true, replaceHint: FORCE_HINT };
    if (!options.out) {
        const fs = await import('node:fs');
        try {
            fs.mkdirSync(path.dirname(file), { recursive: true });
        } catch (e) {
            // A cache folder that cannot be made (XDG_CACHE_HOME names a file, no permission): one sentence, the folder named.
            throw new WriteRefused(`cannot make the cache folder ${displayText(path.dirname(file), 120)} for this machine's profile (${(e as NodeJS.ErrnoException).code ?? 'error'}); give --out FILE.json`);
        }
    }
    checkWrites([file], writing);
    io.err(`calibrating this machine with the fast engine (about 20 seconds; other programs running make the figures slower)…`);
    const profile = await measureThisMachine({ threads: options.threads, onProgress: text => io.err(`  ${text}`) });
    writeFilesSafely([{ file, bytes: serializeDeviceProfile(profile) }], writing);
    if (options.json) io.out(serializeDeviceProfile(profile).trimEnd());
    else io.out(describeProfile(profile));
    io.err(`${displayText(file, 120)}: written; use it with --device ${options.out ? displayText(file, 120) : 'this-machine'}`);
    return 0;
}

export function describeProfile(p: DeviceProfile): string {
    const g = (flops: number | undefined) => (flops === undefined ? '—' : `${(flops / 1e9).toFixed(1)} GFLOP/s`);
    const c = p.calibration as { threads?: number; engine?: string } | undefined;
    return [
        `${p.name}: ${p.source}`,
        `  roof (peak compute)   ${g(p.peakFlops)}${c?.threads ? ` (${c.threads} thread${c.threads === 1 ? '' : 's'})` : ''}`,
        `  memory bandwidth      ${(p.bandwidth / 1e9).toFixed(1)} GB/s`,
        `  overhead per layer    ${(p.overheadSeconds * 1e6).toFixed(1)} µs`,
        ...(p.ceilings && Object.keys(p.ceilings).length ? [`  ceilings              ${Object.entries(p.ceilings).map(([k, v]) => `${k} ${g(v)}`).join(', ')}`] : []),
    ].join('\n');
}
