/**
 * `npm run bench:scale`: the work of checking, running and drawing a network grows linearly with its size.
 *
 * For generated networks of growing size — blocks nested four deep (up to 104,976 layers from a five-line file),
 * chains written out one layer per line (up to 100,000), parallel branches joined by one concat (up to 64,000),
 * files of unknown names (each asks for a "did you mean") and one very long unknown name — it times:
 *   check: parse + link + elaborate + shapes + costs + validation, as the CLI and the editor do it;
 *   run:   the memory plan, the steps and the reference kernels on [1, 2, 4, 4] tensors (the per-layer work, not arithmetic);
 *   draw:  the graph layout and its SVG, fully expanded, as `convnet graph --svg` does it.
 * Each is printed with its time per layer (or per name, per character): a flat column is linear work. Sizes up to
 * 10,000 are medians of three builds after a warm-up.
 */
import { URI, EmptyFileSystem } from 'langium';
import { createConvNetServices } from '../../language/convnet-module.js';
import { ensureBuiltinLibrary } from '../../language/builtin-library.js';
import { isNetwork, type Model } from '../../language/generated/ast.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { layoutGraph, renderSvg } from '../../language/render/graph-layout.js';
import { runNetwork } from '../../runtime/executor.js';
import { randomInputs } from '../../io/inputs.js';
import { initializeParameters } from '../../runtime/weights.js';
import { longNameNetwork, loopedParallelNetwork, nestedBlocksNetwork, reluChainNetwork, unknownNamesNetwork } from './networks.js';

const { shared, ConvNet } = createConvNetServices(EmptyFileSystem);
const library = ensureBuiltinLibrary(shared);

interface Case {
    readonly family: string;
    /** Layers, names or characters. */
    readonly size: number;
    readonly unit: 'layer' | 'name' | 'char';
    readonly text: () => string;
    /** Also run and draw it (the file has no errors). */
    readonly runAndDraw: boolean;
}

const NESTED_REPEATS = [6, 10, 14, 18];
const CASES: Case[] = [
    ...NESTED_REPEATS.map(r => ({ family: 'nested blocks (4 deep)', size: r ** 4, unit: 'layer' as const, text: () => nestedBlocksNetwork(4, r), runAndDraw: true })),
    ...[1_000, 10_000, 40_000, 100_000].map(n => ({ family: 'chain, one line a layer', size: n, unit: 'layer' as const, text: () => reluChainNetwork(n), runAndDraw: true })),
    ...[1_000, 4_000, 16_000, 64_000].map(n => ({ family: 'parallel branches + concat', size: n + 1, unit: 'layer' as const, text: () => loopedParallelNetwork(n), runAndDraw: true })),
    ...[1_000, 4_000, 16_000].map(n => ({ family: 'unknown names', size: n, unit: 'name' as const, text: () => unknownNamesNetwork(n), runAndDraw: false })),
    ...[10_000, 100_000, 1_000_000].map(n => ({ family: 'one long unknown name', size: n, unit: 'char' as const, text: () => longNameNetwork(n), runAndDraw: false })),
];

let version = 0;
const uri = URI.file('/bench/scale.convnet');

/** Builds `text` as a fresh document (parse, link, validate — which elaborates); the graph when it has no errors. */
async function check(text: string): Promise<{ ms: number; graph?: NetworkGraph; layers: number }> {
    const documents = shared.workspace.LangiumDocuments;
    if (documents.hasDocument(uri)) documents.deleteDocument(uri);
    const start = performance.now();
    const document = shared.workspace.LangiumDocumentFactory.fromString<Model>(`${text}\n# version ${version++}\n`, uri);
    documents.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    const ms = performance.now() - start;
    const network = document.parseResult.value.declarations.find(isNetwork)!;
    const graph = ConvNet.analysis.NetworkAnalyzer.analyze(network).graph;
    const errors = (document.diagnostics ?? []).filter(d => d.severity === 1).length;
    return { ms, graph: errors ? undefined : graph, layers: graph.nodes.length };
}

function run(graph: NetworkGraph): number {
    const start = performance.now();
    runNetwork(graph, randomInputs(graph, 0), initializeParameters(graph, 0), { engine: 'reference' });
    return performance.now() - start;
}

async function draw(graph: NetworkGraph): Promise<number> {
    const start = performance.now();
    renderSvg(await layoutGraph(graph), graph.name);
    return performance.now() - start;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function collectGarbage(): void {
    (globalThis as { gc?: () => void }).gc?.();
}

async function measure(c: Case, repeats: number): Promise<string[]> {
    const text = c.text();
    const checks: number[] = [];
    let graph: NetworkGraph | undefined;
    let layers = 0;
    for (let i = 0; i < repeats; i++) {
        collectGarbage();
        const result = await check(text);
        checks.push(result.ms);
        graph = result.graph;
        layers = result.layers;
    }
    if (c.unit === 'layer' && layers !== c.size) throw new Error(`${c.family}: expected ${c.size} layers, elaborated ${layers}`);
    if (c.runAndDraw && !graph) throw new Error(`${c.family} ${c.size}: the generated file has errors`);
    // The graph holds no syntax tree: drop the document (and the analyses cached with it) so that the run and the
    // drawing are not timed with the collector tracing a syntax tree of 100,000 statements they do not use.
    await shared.workspace.DocumentBuilder.update([], [uri]);
    const perUnit = (ms: number) => ((ms / c.size) * 1000).toFixed(2);
    const checkMs = median(checks);
    const row = [c.family, `${c.size.toLocaleString('en-US')} ${c.unit}s`, checkMs.toFixed(0), perUnit(checkMs)];
    if (c.runAndDraw && graph) {
        const g = graph;
        const runs: number[] = [];
        const draws: number[] = [];
        for (let i = 0; i < repeats; i++) {
            collectGarbage();
            runs.push(run(g));
            collectGarbage();
            draws.push(await draw(g));
        }
        row.push(median(runs).toFixed(0), perUnit(median(runs)), median(draws).toFixed(0), perUnit(median(draws)));
    } else {
        row.push('—', '—', '—', '—');
    }
    return row;
}

async function main(): Promise<void> {
    await shared.workspace.DocumentBuilder.build([library], {});
    // Warm-up: every code path once at a small size, so the first measured row is not the JIT's.
    for (const c of [nestedBlocksNetwork(4, 4), reluChainNetwork(500), loopedParallelNetwork(500), unknownNamesNetwork(200), longNameNetwork(2000)]) {
        const { graph } = await check(c);
        if (graph) {
            run(graph);
            await draw(graph);
        }
    }
    const headers = ['network', 'size', 'check ms', 'µs / unit', 'run ms', 'µs / layer', 'draw ms', 'µs / layer'];
    const widths = headers.map(h => h.length);
    const line = (cells: string[]) => `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
    widths[0] = Math.max(widths[0], ...CASES.map(c => c.family.length));
    widths[1] = 18;
    console.log(`Work as networks grow, Node ${process.version} (check: parse + link + elaborate + shapes + costs + validation; run: reference engine, 1×2×4×4 tensors; draw: layout + SVG)`);
    console.log(line(headers));
    console.log(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const c of CASES) console.log(line(await measure(c, c.size <= 10_000 ? 3 : 1)));
    console.log('Linear work keeps each µs column flat as the size grows (a quadratic path multiplies it by the size ratio).');
}

main().catch(e => {
    console.error(e);
    process.exitCode = 1;
});
