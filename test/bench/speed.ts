/**
 * `npm run bench`: the project's runtime against onnxruntime-node, onnxruntime-web (WebAssembly) and TensorFlow.js
 * (cpu and wasm backends) on the same machine in one run: ResNet-18, MobileNetV2 and five single layers, batch 1,
 * at 1 and 2 threads, median of ≥ 10 timed runs after warm-up. Every engine runs the same graph with the same
 * seeded weights and input — the ONNX peers the model `convnet export --onnx` writes, TensorFlow.js the same
 * layers built from the graph (test/bench/tfjs-graph.ts) — and the outputs are compared, so a fast wrong answer
 * shows. Also the TypeScript fallback (1 thread) and the peak memory of a ResNet-50 run against its weights plus
 * its planned activation arena.
 *
 * Each engine and thread count runs in its own process (the WebAssembly peers fix their thread count when they
 * start). Prints ms, GFLOP/s (2·MACs/time) and ratios; writes the same figures as JSON (--out FILE, default
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
import { initializeParameters, type ParameterStore } from '../../runtime/weights.js';
import type { Tensor } from '../../runtime/tensor.js';
import { randomInputs } from '../../io/inputs.js';
import { exportOnnx } from '../../interchange/export/onnx.js';
import { formatBytes } from '../../language/util/format.js';
import { buildTfjsNetwork, type Tf } from './tfjs-graph.js';

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

const CASES: Case[] = [
    { id: 'resnet18', title: 'ResNet-18', file: 'examples/resnet18.convnet' },
    { id: 'mobilenet_v2', title: 'MobileNetV2', file: 'examples/mobilenet_v2.convnet' },
    { id: 'conv3x3', title: '3×3 conv 64→64 @56²', text: 'network Conv3x3(input: [1, 64, 56, 56]) {\n  return input -> conv(64, kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'depthwise', title: 'depthwise 3×3 @112²×32', text: 'network Depthwise(input: [1, 32, 112, 112]) {\n  return input -> dwconv(kernel: 3, padding: 1, bias: false)\n}\n' },
    { id: 'pointwise', title: '1×1 conv 256→64 @56²', text: 'network Pointwise(input: [1, 256, 56, 56]) {\n  return input -> conv(64, kernel: 1, bias: false)\n}\n' },
    { id: 'transposed', title: 'transposed 4×4/2 64→32 @28²', text: 'network Transposed(input: [1, 64, 28, 28]) {\n  return input -> convtranspose(32, kernel: 4, stride: 2, padding: 1, bias: false)\n}\n' },
    { id: 'grouped', title: 'grouped 3×3 g=4 64→64 @56²', text: 'network Grouped(input: [1, 64, 56, 56]) {\n  return input -> conv(64, kernel: 3, padding: 1, groups: 4, bias: false)\n}\n' },
];

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

function pad(text: string, width: number, right = false): string {
    return right ? text.padStart(width) : text.padEnd(width);
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    if (args[0] === '--child') return child(args[1] as Engine, Number(args[2]));
    if (args[0] === '--memory') return memoryChild();
    const quick = args.includes('--quick');
    const outIndex = args.indexOf('--out');
    const out = outIndex >= 0 ? args[outIndex + 1] : path.join('test-output', 'bench-speed.json');

    const results: Measurement[] = [];
    for (const threads of THREADS) {
        for (const engine of ENGINES) {
            if (notApplicable(engine, threads) || (quick && engine === 'tfjs-cpu')) continue;
            process.stderr.write(`${engine} at ${threads} thread(s)…\n`);
            for (const line of runChild(['--child', engine, String(threads)]).split('\n').filter(Boolean)) results.push(JSON.parse(line));
        }
    }
    const memory = JSON.parse(runChild(['--memory']).trim());

    const find = (c: string, engine: Engine, threads: number) => results.find(r => r.case === c && r.engine === engine && r.threads === threads);
    const lines: string[] = [];
    lines.push(`convnet speed benchmark — ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.versions.node}; batch 1, median ms (GFLOP/s = 2·MACs/time)`);
    lines.push('"×" is the peer\'s time over convnet\'s at the same thread count (> 1: convnet is faster); "Δ" the largest difference from convnet\'s output over its scale.');
    for (const c of CASES) {
        lines.push('', c.title);
        lines.push(`  ${pad('engine', 12)}${THREADS.map(t => pad(`${t} thread${t > 1 ? 's' : ''}`, 34, true)).join('')}`);
        for (const engine of ENGINES) {
            const cells = THREADS.map(threads => {
                const reason = notApplicable(engine, threads);
                if (reason) return pad('—', 34, true);
                const r = find(c.id, engine, threads);
                if (!r) return pad('not run', 34, true);
                if (r.error || r.ms === undefined) return pad(`n/a (${r.error ?? '?'})`.slice(0, 33), 34, true);
                const ours = find(c.id, 'convnet', threads);
                const ratio = ours?.ms && engine !== 'convnet' ? ` ${(r.ms / ours.ms).toFixed(2)}×` : '';
                let delta = '';
                if (ours?.samples && r.samples && engine !== 'convnet') {
                    const scale = Math.max(...ours.samples.map(Math.abs)) || 1;
                    delta = ` Δ${(Math.max(...r.samples.map((v, i) => Math.abs(v - ours.samples![i]))) / scale).toExponential(0)}`;
                }
                return pad(`${r.ms.toFixed(2)} ms ${r.gflops!.toFixed(1)} GF/s${ratio}${delta}`, 34, true);
            });
            lines.push(`  ${pad(engine, 12)}${cells.join('')}`);
        }
    }
    const ratio = memory.peakBytes / (memory.weightsBytes + memory.arenaBytes);
    lines.push('', `ResNet-50 memory (${memory.engine}): peak ${formatBytes(memory.peakBytes)} over the process's baseline; weights ${formatBytes(memory.weightsBytes)} + planned arena ${formatBytes(memory.arenaBytes)} (scratch ${formatBytes(memory.scratchBytes)}) → ${ratio.toFixed(2)}× (target ≤ 1.5×)`);
    const check = (label: string, ok: boolean | undefined) => lines.push(`  ${ok === undefined ? '?   ' : ok ? 'met ' : 'MISS'} ${label}`);
    const ms = (c: string, e: Engine, t: number) => find(c, e, t)?.ms;
    const faster = (c: string, peer: Engine, t: number, factor: number) => {
        const [ours, theirs] = [ms(c, 'convnet', t), ms(c, peer, t)];
        return ours && theirs ? theirs / ours >= factor : undefined;
    };
    lines.push('', 'targets:');
    for (const c of ['resnet18', 'mobilenet_v2']) {
        for (const t of THREADS) {
            check(`${c} ${t} thread(s): ≥ 1.3× faster than ort-web`, faster(c, 'ort-web', t, 1.3));
            if (!notApplicable('tfjs-wasm', t)) check(`${c} ${t} thread(s): ≥ 1.3× faster than tfjs-wasm`, faster(c, 'tfjs-wasm', t, 1.3));
        }
    }
    const r18 = [ms('resnet18', 'convnet', 1), ms('resnet18', 'ort-node', 1)];
    check(`resnet18 1 thread within 4× of ort-node (${r18[0] && r18[1] ? (r18[0] / r18[1]).toFixed(2) : '?'}×)`, r18[0] && r18[1] ? r18[0] / r18[1] <= 4 : undefined);
    const conv = find('conv3x3', 'convnet', 1)?.gflops;
    const convTs = find('conv3x3', 'convnet-ts', 1)?.gflops;
    check(`3×3 conv 64→64 @56² ≥ 35 GFLOP/s on one thread (${conv?.toFixed(1)})`, conv === undefined ? undefined : conv >= 35);
    check(`3×3 conv 64→64 @56² TypeScript fallback ≥ 5 GFLOP/s (${convTs?.toFixed(1)})`, convTs === undefined ? undefined : convTs >= 5);
    check(`ResNet-50 peak memory ≤ 1.5× weights + arena (${ratio.toFixed(2)}×)`, ratio <= 1.5);
    console.log(lines.join('\n'));
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({
        date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.versions.node,
        results: results.map(({ samples: _samples, ...r }) => r), memory,
    }, null, 2));
    console.log(`\nfigures written to ${out}`);
}

void main();
