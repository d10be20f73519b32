/**
 * `npm run bench:roofline`: the roofline's predictions for "this machine" against the engine's measured warm
 * per-step times, on ResNet-18, MobileNetV2 and ShuffleNet V2 (examples/).
 *
 * A shared machine's load drifts, so every round calibrates afresh (cli/calibrate.ts, one pass of its
 * micro-benchmarks) and then measures the three networks in a rotated order with that round's profile; a network's
 * measurement is the median per step of `--runs` warm runs (default 10) after two untimed ones, as
 * `convnet run --profile` does. The prediction is summed per step (a conv with the batch norm, sum and activation it
 * absorbed is one step of the engine and one group of the roofline's layers). Per network it prints, as the median
 * over `--rounds` (default 5) with the range: the total predicted and measured, the total's error, and Spearman's
 * rank correlation of the steps' predicted and measured times. `--threads N` (default 1: the steadiest on a shared
 * machine), `--out FILE` (default test-output/bench-roofline.json).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConvNetFiles } from '../../language/node/load-files.js';
import { isNetwork } from '../../language/generated/ast.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { kernelClassOf, roofline } from '../../language/analysis/roofline.js';
import { measureThisMachine, warmStepSeconds, describeProfile } from '../../cli/calibrate.js';
import type { DeviceProfile, KernelClass } from '../../language/analysis/devices.js';

const NETWORKS = [
    { id: 'resnet18', title: 'ResNet-18', file: 'examples/resnet18.convnet' },
    { id: 'mobilenet_v2', title: 'MobileNetV2', file: 'examples/mobilenet_v2.convnet' },
    { id: 'shufflenet_v2', title: 'ShuffleNet V2 1.0×', file: 'examples/shufflenet_v2.convnet' },
];

function option(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
}

/** Ranks with ties averaged (1-based). */
function ranks(values: readonly number[]): number[] {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    const out = new Array<number>(values.length);
    for (let i = 0; i < order.length;) {
        let j = i;
        while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
        for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
        i = j + 1;
    }
    return out;
}

/** Spearman's rank correlation: Pearson's correlation of the ranks. */
export function spearman(a: readonly number[], b: readonly number[]): number {
    const ra = ranks(a);
    const rb = ranks(b);
    const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
    const ma = mean(ra);
    const mb = mean(rb);
    let num = 0, da = 0, db = 0;
    for (let i = 0; i < ra.length; i++) {
        num += (ra[i] - ma) * (rb[i] - mb);
        da += (ra[i] - ma) ** 2;
        db += (rb[i] - mb) ** 2;
    }
    return num / Math.sqrt(da * db);
}

/** One engine step: its conv (or layer) name and kernel class, with what it absorbed predicted in it. */
interface Step { name: string; kernel: KernelClass; predicted: number; measured: number }

interface Round { predicted: number; measured: number; error: number; rho: number; steps: number; unmatched: number }

function compare(graph: NetworkGraph, profile: DeviceProfile, measured: { node: number; seconds: number }[]): Round & { perStep: Step[] } {
    const model = roofline(graph, profile);
    const byName = new Map(graph.nodes.map(n => [n.name, n.index]));
    const predictedAt = new Map<number, number>();
    for (const [i, layer] of model.layers.entries()) {
        const host = layer.fusedInto !== undefined ? byName.get(layer.fusedInto)! : i;
        predictedAt.set(host, (predictedAt.get(host) ?? 0) + layer.seconds);
    }
    const stepNodes = new Set(measured.map(m => m.node));
    const unmatched = [...predictedAt.keys()].filter(k => !stepNodes.has(k)).length;
    const perStep = measured.map(m => ({ name: graph.nodes[m.node].name, kernel: kernelClassOf(graph, graph.nodes[m.node]), predicted: predictedAt.get(m.node) ?? 0, measured: m.seconds }));
    const predicted = model.seconds;
    const total = measured.reduce((s, m) => s + m.seconds, 0);
    return {
        predicted, measured: total, error: predicted / total - 1,
        rho: spearman(perStep.map(s => s.predicted), perStep.map(s => s.measured)), steps: measured.length, unmatched, perStep,
    };
}

async function main(): Promise<void> {
    const rounds = option('rounds', 5);
    const runs = option('runs', 10);
    const threads = option('threads', 1);
    const outIndex = process.argv.indexOf('--out');
    const out = outIndex >= 0 ? process.argv[outIndex + 1] : 'test-output/bench-roofline.json';
    const graphs: NetworkGraph[] = [];
    for (const n of NETWORKS) {
        const { documents, services } = await loadConvNetFiles([n.file]);
        graphs.push(services.analysis.NetworkAnalyzer.analyze(documents[0].parseResult.value.declarations.find(isNetwork)!).graph);
    }
    const results = new Map<string, (Round & { perStep: Step[] })[]>(NETWORKS.map(n => [n.id, []]));
    const profiles: DeviceProfile[] = [];
    const loadBefore = os.loadavg()[0];
    for (let round = 0; round < rounds; round++) {
        const profile = await measureThisMachine({ threads, rounds: 1, runs });
        profiles.push(profile);
        for (let k = 0; k < NETWORKS.length; k++) {
            const i = (k + round) % NETWORKS.length;
            const measured = await warmStepSeconds(graphs[i], threads, runs);
            results.get(NETWORKS[i].id)!.push(compare(graphs[i], profile, measured));
        }
        process.stderr.write(`round ${round + 1} of ${rounds} done\n`);
    }
    const fmt = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    const lines = [
        `roofline vs measured warm step times — ${os.cpus()[0]?.model ?? os.arch()}, ${os.cpus().length} cores, ${threads} thread${threads === 1 ? '' : 's'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
        `load average (1 min) before ${loadBefore.toFixed(2)}, after ${os.loadavg()[0].toFixed(2)}; ${rounds} rounds × ${runs} warm runs, each round calibrated afresh; figures: median over rounds [min … max]`,
        '',
        describeProfile(profiles[Math.floor(profiles.length / 2)]) + '  (the middle round\'s calibration)',
        `  micro-benchmarks: ${((profiles[Math.floor(profiles.length / 2)].calibration?.microBenchmarks ?? []) as { id: string; ms: number }[]).map(b => `${b.id} ${b.ms} ms`).join('; ')}`,
        '',
    ];
    const summary: Record<string, unknown> = {};
    for (const n of NETWORKS) {
        const r = results.get(n.id)!;
        const field = (key: keyof Round) => r.map(x => x[key] as number);
        const range = (xs: number[], f: (x: number) => string) => `${f(median(xs))} [${f(Math.min(...xs))} … ${f(Math.max(...xs))}]`;
        lines.push(`${n.title.padEnd(20)} predicted ${range(field('predicted'), fmt)}  measured ${range(field('measured'), fmt)}`);
        lines.push(`${''.padEnd(20)} total error ${range(field('error'), pct)}  Spearman ρ ${range(field('rho'), x => x.toFixed(2))}  (${r[0].steps} steps${r[0].unmatched ? `, ${r[0].unmatched} predicted groups without a step` : ''})`);
        const last = r[Math.floor(r.length / 2)];
        const worst = [...last.perStep].sort((a, b) => Math.abs(b.predicted - b.measured) - Math.abs(a.predicted - a.measured)).slice(0, 3);
        lines.push(`${''.padEnd(20)} largest step gaps: ${worst.map(w => `${w.name} ${fmt(w.predicted)} vs ${fmt(w.measured)}`).join('; ')}`);
        // Which ceiling is off: the steps' times summed per kernel class (the middle round).
        const byKernel = new Map<KernelClass, { predicted: number; measured: number; steps: number }>();
        for (const step of last.perStep) {
            const k = byKernel.get(step.kernel) ?? { predicted: 0, measured: 0, steps: 0 };
            byKernel.set(step.kernel, { predicted: k.predicted + step.predicted, measured: k.measured + step.measured, steps: k.steps + 1 });
        }
        lines.push(`${''.padEnd(20)} by kernel class, predicted vs measured: ${[...byKernel].map(([k, v]) => `${k} (${v.steps}) ${fmt(v.predicted)} vs ${fmt(v.measured)}`).join('; ')}`);
        summary[n.id] = { predictedMs: median(field('predicted')) * 1e3, measuredMs: median(field('measured')) * 1e3, error: median(field('error')), spearman: median(field('rho')), rounds: r.map(({ perStep: _p, ...x }) => x) };
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpu: os.cpus()[0]?.model, threads, rounds, runs, networks: summary, profiles }, null, 2));
    process.exit(0);
}

void main();
