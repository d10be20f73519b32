/**
 * `npm run bench:thresholds`: measures, for each kind of job the fast engine can split over threads, the size from
 * which splitting it pays — the PARALLEL_THRESHOLDS of runtime/wasm/compute.ts.
 *
 * For each kind, networks of growing size isolate the job: a 1×1 conv (GEMM only), a 3×3 depthwise conv after a
 * 1×1 conv, its own step timed (a sliding window; pooling shares the job), a 3×3 conv on 28² planes (Winograd's transforms and products), a 3×3
 * stride-2 conv with its GEMM kept on one thread (im2col), a 4×4 stride-2 transposed conv (col2im) and a SiLU (an
 * activation, its work weighted by its cost per element). Each network runs on one two-thread engine twice
 * prepared: the job always split, and never. Rounds alternate the two, each a median of many runs; a size's ratio
 * is the median over rounds of never/always (> 1: splitting is faster). The threshold is the smallest size from
 * which every larger size gains at least GAIN on a quiet machine. With `--busy` the same is measured while another
 * process burns a core, to show what load does: there the engine does not rely on the table — a split job that
 * loses to the caller alone holds jobs of its kind and size back (runtime/wasm/threads.ts).
 *
 *     npm run bench:thresholds [-- --rounds N] [--busy] [--kinds gemm,elementwise]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isNetwork } from '../../language/generated/ast.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { loadConvNetFiles } from '../../language/node/load-files.js';
import { prepareNetwork, type PreparedNetwork } from '../../runtime/executor.js';
import { compiledKernels } from '../../runtime/wasm/instance.js';
import { ACTIVATION_COST, createWasmCompute, PARALLEL_THRESHOLDS, type ParallelThresholds } from '../../runtime/wasm/compute.js';
import { initializeParameters } from '../../runtime/weights.js';
import { randomInputs } from '../../io/inputs.js';
import { WINOGRAD_POSITIONS, winogradTiles } from '../../runtime/winograd.js';
import { whileBusy, withLoad } from './load.js';

/** The least speed-up (never over always) that counts as splitting paying. */
const GAIN = 1.05;

interface Size {
    readonly text: string;
    /** The job's size as runtime/wasm/compute.ts measures it for its threshold. */
    readonly work: number;
}

interface Kind {
    readonly key: keyof ParallelThresholds;
    readonly title: string;
    readonly sizes: readonly Size[];
    /** Thresholds of the other jobs in both configurations (fixed, so that only this job's split differs). */
    readonly others: Partial<ParallelThresholds>;
    /**
     * Time only the network's last step (a warm run's own timing of it), not the whole run: for a job whose time
     * is mostly memory traffic, timed where a split layer before it made its input, as in a network. A lone layer
     * reads an input the caller alone has just copied in and hands its output to the caller's copy out, which makes
     * splitting it look useless (a 3×3 depthwise conv: never ≥ 5% at any size alone; 1.5–1.7× in MobileNetV2).
     */
    readonly lastStepOnly?: boolean;
}

const network = (input: number[], step: string) => `network N(input: [${input.join(', ')}]) {\n  return input -> ${step}\n}\n`;

const KINDS: Kind[] = [
    {
        key: 'gemm', title: 'GEMM (1×1 conv C→C)', others: {},
        sizes: [[8, 4], [8, 8], [16, 8], [16, 12], [16, 16], [32, 12], [32, 16], [32, 24], [32, 32], [64, 24], [64, 32], [64, 48], [64, 64]]
            .map(([c, side]) => ({ text: network([1, c, side, side], `conv(${c}, kernel: 1, bias: false)`), work: c * c * side * side })),
    },
    {
        // After a 1×1 conv split as usual, as MobileNet's depthwise convs are: channel-heavy small maps among them.
        key: 'window', title: 'sliding window (3×3 depthwise after a 1×1 conv; the depthwise step timed)', others: { gemm: 0 }, lastStepOnly: true,
        sizes: [[4, 8], [8, 8], [8, 12], [8, 16], [16, 16], [16, 24], [96, 7], [16, 32], [192, 7], [96, 14], [32, 32], [384, 7], [192, 14], [32, 48],
            [384, 14], [32, 64], [960, 7], [32, 96], [64, 96]]
            .map(([c, side]) => ({ text: network([1, c, side, side], `conv(${c}, kernel: 1, bias: false) -> dwconv(kernel: 3, padding: 1, bias: false)`), work: c * side * side * 9 }))
            .sort((a, b) => a.work - b.work),
    },
    {
        key: 'winograd', title: 'Winograd (3×3 conv C→C @28²)', others: {},
        sizes: [8, 10, 12, 16, 20, 24, 32, 40, 48, 64].map(c => {
            const { tilesH, tilesW } = winogradTiles(28, 28);
            return { text: network([1, c, 28, 28], `conv(${c}, kernel: 3, padding: 1, bias: false)`), work: c * c * tilesH * tilesW * WINOGRAD_POSITIONS };
        }),
    },
    {
        key: 'columns', title: 'im2col (3×3 stride-2 conv, its GEMM on one thread)', others: { gemm: Infinity },
        sizes: [[4, 8], [4, 16], [8, 16], [8, 24], [16, 24], [16, 32], [16, 48], [32, 48], [32, 64], [32, 96], [64, 96]]
            .map(([c, side]) => {
                const out = Math.floor((side + 2 - 3) / 2) + 1;
                return { text: network([1, c, side, side], `conv(${c}, kernel: 3, stride: 2, padding: 1, bias: false)`), work: c * 9 * out * out };
            }),
    },
    {
        // The GEMM split as usual: col2im is the smaller part of the layer, and its split shows against a GEMM on two threads.
        key: 'col2im', title: 'col2im (4×4 stride-2 transposed conv C→C/2)', others: {},
        sizes: [[8, 8], [16, 8], [16, 12], [32, 12], [32, 16], [64, 16], [64, 20], [64, 28], [64, 40], [128, 28], [128, 40]]
            .map(([c, side]) => ({
                text: network([1, c, side, side], `convtranspose(${c / 2}, kernel: 4, stride: 2, padding: 1, bias: false)`),
                work: (c / 2) * 16 * side * side,
            })),
    },
    {
        key: 'elementwise', title: 'activation (SiLU)', others: {},
        sizes: [[4, 16], [8, 16], [8, 24], [16, 24], [16, 32], [32, 32], [32, 48], [32, 64], [64, 64], [64, 96], [96, 112]]
            // Pooled, so that copying a large output out of the run does not drown the activation's time.
            .map(([c, side]) => ({ text: network([1, c, side, side], 'silu -> globalavgpool'), work: c * side * side * ACTIVATION_COST.silu })),
    },
];

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Median time of a run — or of its last step (Kind.lastStepOnly) — over enough runs to fill about 60 ms (at least
 * 15), after a warm-up.
 */
function timeRuns(prepared: PreparedNetwork, inputs: ReturnType<typeof randomInputs>, lastStepOnly = false): number {
    prepared.run(inputs);
    const first = performance.now();
    prepared.run(inputs);
    const once = Math.max(performance.now() - first, 0.001);
    const runs = Math.max(15, Math.min(400, Math.floor(60 / once)));
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = performance.now();
        const result = prepared.run(inputs, { profile: lastStepOnly });
        times.push(lastStepOnly ? result.timings![result.timings!.length - 1].ms : performance.now() - start);
    }
    return median(times);
}

async function graphOf(text: string, scratch: string): Promise<NetworkGraph> {
    const file = path.join(scratch, 'n.convnet');
    fs.writeFileSync(file, text);
    const { documents, services } = await loadConvNetFiles([file]);
    return services.analysis.NetworkAnalyzer.analyze(documents[0].parseResult.value.declarations.find(isNetwork)!).graph;
}

interface Point { work: number; ratio: number; spread: number; ms: number }

interface Loaded { readonly graph: NetworkGraph; readonly work: number }

/** never/always ratios of every size of `kind`, `rounds` rounds each, alternating which configuration goes first. */
function measureKind(kind: Kind, loaded: readonly Loaded[], rounds: number): Point[] {
    const compiled = compiledKernels();
    if (!compiled) throw new Error('no WebAssembly SIMD here: nothing to calibrate');
    return loaded.map(({ graph, work }) => {
        const parameters = initializeParameters(graph, 1);
        const inputs = randomInputs(graph, 1);
        const prepare = (threshold: number) => prepareNetwork(graph, parameters, {
            // The implicit conv off: the im2col sizes must run im2col (the implicit conv's jobs split at the GEMM's size).
            compute: createWasmCompute(compiled, 2, 0, { ...PARALLEL_THRESHOLDS, ...kind.others, [kind.key]: threshold }, { maxWeightBytes: 0, wholePanels: true }),
        });
        const never = prepare(Infinity);
        const always = prepare(0);
        try {
            const ratios: number[] = [];
            const times: number[] = [];
            for (let r = 0; r < rounds; r++) {
                let one: number;
                let split: number;
                if (r % 2 === 0) {
                    one = timeRuns(never, inputs, kind.lastStepOnly);
                    split = timeRuns(always, inputs, kind.lastStepOnly);
                } else {
                    split = timeRuns(always, inputs, kind.lastStepOnly);
                    one = timeRuns(never, inputs, kind.lastStepOnly);
                }
                ratios.push(one / split);
                times.push(one);
            }
            return { work, ratio: median(ratios), spread: Math.max(...ratios) / Math.min(...ratios), ms: median(times) };
        } finally {
            never.dispose();
            always.dispose();
        }
    });
}

/** The smallest work from which every measured size gains at least GAIN; Infinity when the largest does not. */
function crossover(points: Point[]): number {
    let threshold = Infinity;
    for (let i = points.length - 1; i >= 0 && points[i].ratio >= GAIN; i--) threshold = points[i].work;
    return threshold;
}

function format(n: number): string {
    if (!Number.isFinite(n)) return '∞';
    return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const roundsAt = args.indexOf('--rounds');
    const rounds = roundsAt >= 0 ? Math.max(1, Number(args[roundsAt + 1]) || 5) : 5;
    const conditions = args.includes('--busy') ? ['quiet', 'busy'] as const : ['quiet'] as const;
    const kindsAt = args.indexOf('--kinds');
    const wanted = kindsAt >= 0 ? new Set(String(args[kindsAt + 1]).split(',')) : undefined;
    const kinds = KINDS.filter(kind => !wanted || wanted.has(kind.key));
    if (kinds.length === 0) throw new Error(`--kinds: none of ${[...wanted!].join(', ')} is one of ${KINDS.map(kind => kind.key).join(', ')}`);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-thresholds-'));
    const lines: string[] = [`convnet split thresholds — ${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`];
    lines.push(`2 threads; ratio = time with the job on one thread / time split (> 1: splitting pays), median of ${rounds} alternating rounds; ×N the spread over rounds`);
    const chosen: Partial<Record<keyof ParallelThresholds, number>> = {};
    try {
        for (const kind of kinds) {
            const loaded: Loaded[] = [];
            for (const size of kind.sizes) loaded.push({ graph: await graphOf(size.text, scratch), work: size.work });
            const byCondition = conditions.map(condition => {
                const measured = withLoad(() => (condition === 'busy' ? whileBusy(() => measureKind(kind, loaded, rounds)) : measureKind(kind, loaded, rounds)));
                return { condition, points: measured.result, otherCores: measured.otherCores };
            });
            const load = byCondition.map(c => `${c.condition}: other processes used ${c.otherCores === undefined ? '?' : c.otherCores.toFixed(2)} cores`).join('; ');
            lines.push('', `${kind.title} — threshold now ${format(PARALLEL_THRESHOLDS[kind.key])} (${load})`);
            lines.push(`  ${'work'.padStart(8)}${'ms (1 thread)'.padStart(15)}${byCondition.map(c => `${c.condition} ratio`.padStart(20)).join('')}`);
            kind.sizes.forEach((_, i) => {
                const p = byCondition[0].points[i];
                lines.push(`  ${format(p.work).padStart(8)}${p.ms.toFixed(3).padStart(15)}${byCondition.map(c => `${c.points[i].ratio.toFixed(2)} ×${c.points[i].spread.toFixed(2)}`.padStart(20)).join('')}`);
            });
            const threshold = crossover(byCondition[0].points);
            chosen[kind.key] = threshold;
            const busy = byCondition[1] ? `; under load splitting pays from ${format(crossover(byCondition[1].points))}` : '';
            lines.push(`  → split from ${format(threshold)} (quiet)${busy}`);
        }
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
    const listed = (t: Partial<ParallelThresholds>) => Object.entries(t).map(([k, v]) => `${k} ${format(v as number)}`).join(', ');
    lines.push('', `measured (quiet): ${listed(chosen)}`, `in use:           ${listed(PARALLEL_THRESHOLDS)}`);
    console.log(lines.join('\n'));
    process.exit(0);
}

void main();
