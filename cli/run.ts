/**
 * `convnet run`: runs a network of a `.convnet` file on the project's runtime with seeded or loaded weights and
 * inputs, and prints what comes out (shape, min/max/mean/std, top-5 of a vector), the time, and with
 * `--profile` the time of every layer, slowest first.
 */
import { chooseNetwork } from './network-choice.js';
import { ReadRefused } from '../io/bounded-read.js';
import { openRun, type OpenedRun, type WeightsSource } from '../io/run-inputs.js';
import { checkWrites, writeFilesSafely, WriteRefused, type CommandInput, type WriteOptions } from '../io/safe-write.js';
import { FORCE_HINT, sourceInputs } from './outputs.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { formatBytes } from '../language/util/format.js';
import { displayText } from '../language/util/quote.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { MemoryBudgetExceeded, RunCancelled, RunError, runNetwork, type MemoryEstimate, type NodeTiming } from '../runtime/executor.js';
import { defaultThreads, threadsFor, type EngineChoice } from '../runtime/compute.js';
import { EngineMemoryExhausted } from '../runtime/wasm/instance.js';
import { encodeSafetensors, SafetensorsError, WeightsError } from '../io/safetensors.js';
import { InputError, type InputKind } from '../io/inputs.js';
import { NpyError } from '../io/npy.js';
import { ImageError, IMAGENET_NORMALIZATION, type Normalization } from '../io/image.js';
import { outputStatistics, type OutputStatistics } from '../runtime/statistics.js';
import type { Output } from './commands.js';
import { table } from './format.js';

export interface RunCommandOptions {
    network?: string;
    weights?: string;
    input?: string;
    seed?: number;
    output?: string;
    profile?: boolean;
    json?: boolean;
    memoryBudget?: number;
    normalize?: Normalization;
    allowUnexpected?: boolean;
    engine?: EngineChoice;
    threads?: number;
    /** Replace an existing --output file. */
    force?: boolean;
}

/** A problem to print as one line (`convnet: …`) with exit code 1: bad files, shapes, budget. */
export class RunCommandError extends Error {}

/** Errors of the run's own making that are shown as one message, never as a stack trace. */
const EXPECTED_ERRORS = [RunCommandError, ReadRefused, WriteRefused, EngineMemoryExhausted, SafetensorsError, WeightsError, InputError, NpyError, ImageError, MemoryBudgetExceeded, RunError, RunCancelled];

export function isExpectedRunError(e: unknown): e is Error {
    return EXPECTED_ERRORS.some(type => e instanceof type);
}

/** `2GiB`, `512 MiB`, `1.5GB`, `100000000`: bytes (binary units with i, decimal without). */
export function parseByteSize(text: string): number | undefined {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(i?)b?|b)?\s*$/i.exec(text);
    if (!match) return undefined;
    const [, value, unit, binary] = match;
    const power = unit ? 'kmgt'.indexOf(unit.toLowerCase()) + 1 : 0;
    const bytes = Number(value) * (binary ? 1024 : 1000) ** power;
    return Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : undefined;
}

/** `imagenet`, or `MEAN,MEAN,MEAN/STD,STD,STD` (one number per channel each). */
export function parseNormalization(text: string): Normalization | undefined {
    if (text.toLowerCase() === 'imagenet') return IMAGENET_NORMALIZATION;
    const parts = text.split('/');
    if (parts.length !== 2) return undefined;
    const [mean, std] = parts.map(p => p.split(',').map(Number));
    if (mean.length !== std.length || [...mean, ...std].some(v => !Number.isFinite(v)) || std.some(s => s === 0)) return undefined;
    return { mean, std };
}

function number(v: number): string {
    if (!Number.isFinite(v)) return String(v);
    if (v === 0) return '0';
    const magnitude = Math.abs(v);
    return magnitude >= 1e5 || magnitude < 1e-4 ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
}

function milliseconds(ms: number): string {
    return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

interface RunReport {
    network: string;
    weights: WeightsSource;
    inputs: { name: string; shape: readonly number[]; source: InputKind; seed?: number; path?: string }[];
    outputs: OutputStatistics[];
    totalMs: number;
    /** What computed: "wasm relaxed-simd, 2 threads" or "typescript". */
    engine: string;
    memory: MemoryEstimate;
    written?: string;
    /** Every step in execution order (the text table is sorted slowest first): medians of `warm.runs` warm runs. */
    profile?: NodeTiming[];
    /** With --profile: the warm runs timed after the first (and `untimedRuns` of a warm-up), the median of their totals. */
    warm?: { runs: number; totalMs: number; untimedRuns: number };
}

/**
 * Chooses the network to run, checks the budget (before reading any weights), loads weights and inputs (every
 * problem found before anything runs), runs, writes and prints. Returns the exit code.
 */
export async function runCommand(file: string, options: RunCommandOptions, io: Output): Promise<number> {
    const graph = await chooseNetwork(file, options.network, 'run', io);
    if (typeof graph === 'number') return graph;
    try {
        // A refused output is known before anything is read or run.
        if (options.output) checkWrites([options.output], outputRules(graph, options));
        if (options.threads !== undefined && threadsFor(options.threads) < options.threads) {
            io.err(`convnet: note: --threads ${options.threads} is more than the ${defaultThreads()} cores here; running on ${threadsFor(options.threads)}`);
        }
        const report = await execute(graph, options);
        if (report.weights.source === 'file' && report.weights.nonFinite.length) {
            const bad = report.weights.nonFinite;
            io.err(`convnet: warning: ${bad.length} parameter tensor${bad.length === 1 ? ' holds' : 's hold'} NaN or infinite values, so the outputs will too: ${bad.slice(0, 4).join(', ')}${bad.length > 4 ? ', …' : ''}`);
        }
        if (options.json) io.out(JSON.stringify(report, null, 2));
        else io.out(render(graph, report));
        return 0;
    } catch (e) {
        if (isExpectedRunError(e)) {
            io.err(`convnet: ${e.message}`);
            return 1;
        }
        throw e;
    }
}

/** Where `--output` may go: not over the network's sources, the weights or the input, and over nothing without --force. */
function outputRules(graph: NetworkGraph, options: RunCommandOptions): WriteOptions {
    const inputs: CommandInput[] = [...sourceInputs(graph)];
    if (options.weights) inputs.push({ file: options.weights, label: 'the weights' });
    if (options.input) inputs.push({ file: options.input, label: 'the input' });
    return { replace: options.force, replaceHint: FORCE_HINT, inputs };
}

async function execute(graph: NetworkGraph, options: RunCommandOptions): Promise<RunReport> {
    const seed = options.seed ?? 0;
    if (options.normalize && !options.input) throw new RunCommandError('--normalize applies to an image given with --input');
    const run = openRun(graph, {
        weights: options.weights, allowUnexpected: options.allowUnexpected, input: options.input, seed, normalization: options.normalize,
        memoryBudget: options.memoryBudget, engine: options.engine, threads: options.threads,
    });
    try {
        // Timed warm runs want the engine's threads, which take some 30 ms to start; a single run does not wait.
        if (options.profile) await run.compute.started;
        return executeOn(run, graph, options, seed);
    } finally {
        run.dispose();
    }
}

function executeOn(run: OpenedRun, graph: NetworkGraph, options: RunCommandOptions, seed: number): RunReport {
    const { parameters, inputs: inputValues, weights, inputKind, compute, memoryBudget } = run;
    const result = runNetwork(graph, inputValues, parameters, { memoryBudget, profile: options.profile, compute, adoptParameters: true });
    const outputs = [...result.outputs].map(([name, tensor]) => outputStatistics(name, tensor));
    if (options.output) {
        const bytes = encodeSafetensors(result.outputs, { producer: 'convnet run', network: graph.name });
        writeFilesSafely([{ file: options.output, bytes }], outputRules(graph, options));
    }
    return {
        network: graph.name,
        weights,
        inputs: graph.inputs.map(p => ({
            name: p.name,
            shape: graph.tensors[p.tensor].shape,
            source: inputKind,
            ...(options.input ? { path: options.input } : { seed }),
        })),
        outputs,
        totalMs: result.totalMs,
        engine: result.engine,
        memory: result.plannedBytes,
        ...(options.output ? { written: options.output } : {}),
        ...(result.timings ? { profile: result.timings } : {}),
        ...(result.profile ? { warm: result.profile } : {}),
    };
}

/** `; ignored: 20 num_batches_tracked, 2 unexpected`. */
function ignoredText(ignored: readonly string[]): string {
    if (!ignored.length) return '';
    const counters = ignored.filter(k => k.endsWith('num_batches_tracked')).length;
    const parts = [counters ? `${counters} num_batches_tracked` : '', ignored.length - counters ? `${ignored.length - counters} unexpected` : ''];
    return `; ignored: ${parts.filter(Boolean).join(', ')}`;
}

function render(graph: NetworkGraph, report: RunReport): string {
    const lines: string[] = [];
    const weights = report.weights.source === 'seed'
        ? `seeded (seed ${report.weights.seed})`
        : `${displayText(report.weights.path, 120)} (${report.weights.tensors} tensors${ignoredText(report.weights.ignored)})`;
    const inputs = report.inputs.map(i => `${i.name} ${formatShape(i.shape)} ${i.path ? `from ${displayText(i.path, 120)}` : `random normal (seed ${i.seed})`}`).join(', ');
    lines.push(`${report.network}: ${graph.nodes.length} layers; weights: ${weights}; input: ${inputs}`);
    for (const o of report.outputs) {
        lines.push(`output ${o.name}: ${formatShape(o.shape)}  min ${number(o.min)}  max ${number(o.max)}  mean ${number(o.mean)}  std ${number(o.std)}`);
        if (o.top5) lines.push(`  top-5: ${o.top5.map(t => `${t.index} (${number(t.value)})`).join(', ')}`);
        if (o.top5PerRow) {
            const shown = o.top5PerRow.slice(0, 8);
            shown.forEach((row, r) => lines.push(`  top-5 of row ${r}: ${row.map(t => `${t.index} (${number(t.value)})`).join(', ')}`));
            if (o.top5PerRow.length > shown.length) lines.push(`  … ${o.top5PerRow.length - shown.length} more rows (all of them with --json)`);
        }
    }
    const m = report.memory;
    const warm = report.warm ? `; warm: ${milliseconds(report.warm.totalMs)} ms, the median of ${report.warm.runs} more run${report.warm.runs === 1 ? '' : 's'}` : '';
    lines.push(`time: ${milliseconds(report.totalMs)} ms (${report.engine})${warm}`);
    lines.push(`memory planned: ${formatBytes(m.total)} (activations ${formatBytes(m.activations)}, scratch ${formatBytes(m.scratch)}, parameters ${formatBytes(m.parameters)})`);
    if (report.written) lines.push(`outputs written to ${report.written} (${report.outputs.map(o => o.name).join(', ')})`);
    if (report.profile) {
        const total = report.profile.reduce((s, t) => s + t.ms, 0) || 1;
        const order = report.profile.map((t, i) => ({ ...t, i })).sort((a, b) => b.ms - a.ms || a.i - b.i);
        const rows = order.map(t => {
            const node = graph.nodes[t.node];
            return [String(t.i), t.name, t.op, formatShape(graph.tensors[node.outputs[0]].shape), milliseconds(t.ms), `${((100 * t.ms) / total).toFixed(1)}%`];
        });
        lines.push('', `per step, slowest first: the median of ${report.warm?.runs ?? 1} warm run${report.warm?.runs === 1 ? '' : 's'} after the first (# is the execution order; a conv with the layers it absorbed is one step):`);
        lines.push(table(['#', 'Layer', 'Op', 'Output shape', 'ms', 'share'], rows, [true, false, false, false, true, true]));
        const byOp = new Map<string, number>();
        for (const t of report.profile) byOp.set(t.op, (byOp.get(t.op) ?? 0) + t.ms);
        lines.push(`by op: ${[...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `${op} ${milliseconds(ms)} ms (${((100 * ms) / total).toFixed(1)}%)`).join(', ')}`);
    }
    return lines.join('\n');
}
