/**
 * The work of checking, running and drawing a network grows linearly with its size (`npm run bench:scale` prints
 * the figures up to 100,000 layers). Where a count can say it, these tests count: children read to find a node
 * being parsed, candidates read for a suggestion, overlapping pairs a memory plan compares, calls to ELK. Where only
 * time can, they time 4n against n at sizes up to 10,000 — the fastest of interleaved runs after a warm-up, since a
 * busy machine only ever adds time — and allow a ratio of 12 where linear work gives about 4 and the quadratic paths
 * they guard against gave 14 or more.
 */
import { describe, expect, it, vi } from 'vitest';
import { CompositeCstNodeImpl } from 'langium';
import { analyzeNetwork, parse } from './helpers.js';
import { loopedParallelNetwork, nestedBlocksNetwork, unknownNamesNetwork } from './bench/networks.js';
import { elaborateNetwork } from '../language/elaboration/elaborator.js';
import { isNetwork } from '../language/generated/ast.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { LinearCstNodeBuilder } from '../language/parser.js';
import { closestName, editDistance, boundedEditDistance, MAX_CANDIDATES, MAX_SUGGESTED_LENGTH } from '../language/util/suggest.js';
import { maxOf, minOf } from '../language/util/arrays.js';
import { layoutGraph, MAX_ELK_BOXES } from '../language/render/graph-layout.js';
import { summarizeNetwork } from '../language/analysis/summary.js';
import { table } from '../cli/format.js';
import { lifetimes, planMemory, type PlannedGraph } from '../runtime/memory-plan.js';
import { runNetwork } from '../runtime/executor.js';
import { randomInputs } from '../io/inputs.js';
import { elementCount } from '../runtime/tensor.js';

/**
 * Allowed time(4n) / time(n): linear work gives about 4 (a larger heap's collections take it to 8 on a busy
 * machine, seen in CI), the quadratic paths these guard against gave 14 to 30. The exact figures are
 * `npm run bench:scale`'s; this only has to tell linear from quadratic.
 */
const MAX_GROWTH = 12;

/** Counts the layouts ELK is asked for (the module is otherwise itself). */
const elk = vi.hoisted(() => ({ layouts: 0 }));
vi.mock('elkjs/lib/elk.bundled.js', async importOriginal => {
    const original = (await importOriginal()) as { default: new () => { layout(graph: unknown): Promise<unknown> } };
    class CountingElk extends original.default {
        override layout(graph: unknown): Promise<unknown> {
            elk.layouts++;
            return super.layout(graph);
        }
    }
    return { default: CountingElk };
});

/** time(large) / time(small): the fastest of `repeats` interleaved runs each, after one warm-up run of each. */
async function growth(small: () => unknown, large: () => unknown, repeats = 5): Promise<number> {
    const time = async (work: () => unknown) => {
        const start = performance.now();
        await work();
        return performance.now() - start;
    };
    await time(small);
    await time(large);
    const smallTimes: number[] = [];
    const largeTimes: number[] = [];
    for (let i = 0; i < repeats; i++) {
        smallTimes.push(await time(small));
        largeTimes.push(await time(large));
    }
    return Math.min(...largeTimes) / Math.min(...smallTimes);
}

async function graphOf(text: string): Promise<NetworkGraph> {
    const parsed = await parse(text);
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    return analyzeNetwork(parsed).graph;
}

describe('elaboration', () => {
    it('4× the instances of one block cost about 4× the time (4,900 → 19,600 instances)', async () => {
        // Two levels: the innermost block is called r² times, and each call used to copy the list of every
        // tensor its input had held so far.
        const networkOf = async (repeats: number) => {
            const parsed = await parse(nestedBlocksNetwork(2, repeats));
            return parsed.document.parseResult.value.declarations.find(isNetwork)!;
        };
        const small = await networkOf(70);
        const large = await networkOf(140);
        expect(elaborateNetwork(large).graph.nodes).toHaveLength(19_600);
        expect(await growth(() => elaborateNetwork(small), () => elaborateNetwork(large))).toBeLessThan(MAX_GROWTH);
    });
});

describe('parsing', () => {
    it('finding the node a rule has just opened reads one child of its parent, not all of them', () => {
        const builder = new LinearCstNodeBuilder();
        builder.buildRootNode('');
        const parent = new CompositeCstNodeImpl();
        const children = Array.from({ length: 10_000 }, () => new CompositeCstNodeImpl());
        const opened = children[children.length - 1];
        children.forEach(child => (child.container = parent));
        let reads = 0;
        parent.content = new Proxy(children, {
            get(target, property, receiver) {
                if (typeof property === 'string' && /^\d+$/.test(property)) reads++;
                return Reflect.get(target, property, receiver);
            },
        });
        // Before every token the parser places the comments before it; with none, nothing is read at all.
        builder.addHiddenNodes([]);
        builder.removeNode(opened);
        expect(reads).toBeLessThanOrEqual(2); // the child found from the back, and the one splice hands back
        expect(parent.content).toHaveLength(9_999);
    });
});

describe('"did you mean" suggestions', () => {
    it('read at most MAX_CANDIDATES candidates, and none for a name longer than MAX_SUGGESTED_LENGTH', () => {
        let read = 0;
        function* endless(): Generator<string> {
            for (let i = 0; ; i++) {
                read++;
                yield `candidate${i}`;
            }
        }
        expect(closestName('candidat', endless())).toBe('candidate0');
        expect(read).toBeLessThanOrEqual(MAX_CANDIDATES + 1);
        read = 0;
        expect(closestName('x'.repeat(MAX_SUGGESTED_LENGTH + 1), endless())).toBeUndefined();
        expect(read).toBe(0);
    });

    it('the bounded edit distance agrees with the full one wherever it is within the bound', () => {
        const words = ['', 'a', 'ab', 'ba', 'relu', 'rleu', 'relu6', 'conv', 'conv2d', 'convtranspose', 'Relu', 'x', 'xy', 'yx', 'abc', 'cab'];
        for (const a of words) {
            for (const b of words) {
                const exact = editDistance(a, b);
                for (let bound = 0; bound <= 4; bound++) {
                    const bounded = boundedEditDistance(a, b, bound);
                    if (exact <= bound) expect(bounded, `${a} ${b} ${bound}`).toBe(exact);
                    else expect(bounded, `${a} ${b} ${bound}`).toBeGreaterThan(bound);
                }
            }
        }
    });

    it('4× the unknown names in a body 4× as long cost about 4× the time (400 → 1,600 names)', async () => {
        const small = unknownNamesNetwork(400);
        const large = unknownNamesNetwork(1600);
        const first = await parse(large);
        expect(first.errors).toHaveLength(1600);
        expect(await growth(() => parse(small), () => parse(large), 3)).toBeLessThan(MAX_GROWTH);
    });

    it('a name longer than 1,000 characters is refused in one error, quickly', async () => {
        const parsed = await parse(`network N(input: [1, 2, 4, 4]) {\n  return ${'a'.repeat(1_000_000)}\n}\n`);
        expect(parsed.errors.some(e => e.message === 'a name of 1,000,000 characters; names are limited to 1,000')).toBe(true);
        expect(parsed.errors.every(e => String(e.message).length < 200)).toBe(true);
    });
});

/** A graph of `steps` nodes whose tensors have the given sizes; each node reads the tensors `reads` names. */
function plannedGraph(sizes: number[], reads: number[][], inputs: number[], outputs: number[]): PlannedGraph {
    const produced = new Set(inputs);
    const nodes: PlannedGraph['nodes'][number][] = [];
    for (let t = 0; t < sizes.length; t++) {
        if (produced.has(t)) continue;
        nodes.push({ index: nodes.length, inputs: reads[t], outputs: [t] });
    }
    return {
        tensors: sizes.map((size, id) => ({ id, shape: [size] })),
        inputs: inputs.map(tensor => ({ name: `in${tensor}`, tensor })),
        outputs: outputs.map(tensor => ({ name: `out${tensor}`, tensor })),
        nodes,
    };
}

/** Tensors alive at the same step never share memory; returns the peak of live elements, the bound of any plan. */
function checkPlan(graph: PlannedGraph, plan: ReturnType<typeof planMemory>): number {
    const { first, last } = lifetimes(graph);
    const size = (t: number) => elementCount(graph.tensors[t].shape);
    const live = graph.tensors.map(t => t.id).filter(t => last[t] >= 0);
    for (const a of live) {
        for (const b of live) {
            if (a >= b || first[a] > last[b] || first[b] > last[a]) continue;
            const apart = plan.offsets[a] + size(a) <= plan.offsets[b] || plan.offsets[b] + size(b) <= plan.offsets[a];
            expect(apart, `tensors ${a} and ${b} overlap`).toBe(true);
        }
        expect(plan.offsets[a] + size(a)).toBeLessThanOrEqual(plan.arenaElements);
    }
    let peak = 0;
    for (let step = -1; step <= graph.nodes.length; step++) {
        peak = Math.max(peak, live.filter(t => first[t] <= step && step <= last[t]).reduce((sum, t) => sum + size(t), 0));
    }
    return peak;
}

describe('memory plan', () => {
    it('both placements keep tensors alive at once apart, on random graphs', () => {
        let seed = 7;
        const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        for (let trial = 0; trial < 60; trial++) {
            const count = 2 + Math.floor(random() * 40);
            const sizes = Array.from({ length: count }, () => 1 + Math.floor(random() * 100));
            // Tensor t is read by a later node: each node reads one to three earlier tensors.
            const reads = sizes.map((_, t) => (t === 0 ? [] : Array.from({ length: 1 + Math.floor(random() * 3) }, () => Math.floor(random() * t))));
            const graph = plannedGraph(sizes, reads, [0], [count - 1]);
            for (const method of ['greedy-by-size', 'run-order'] as const) {
                const plan = planMemory(graph, method);
                expect(plan.method).toBe(method);
                const peak = checkPlan(graph, plan);
                expect(plan.arenaElements).toBeGreaterThanOrEqual(peak);
            }
        }
    });

    it('a chain of 20,000 layers is planned greedily, in two tensors\' space; 10,000 parallel branches by replaying the run', () => {
        const chainSizes = Array.from({ length: 20_001 }, () => 16);
        const chain = plannedGraph(chainSizes, chainSizes.map((_, t) => (t ? [t - 1] : [])), [0], [20_000]);
        const chainPlan = planMemory(chain);
        expect(chainPlan.method).toBe('greedy-by-size');
        expect(chainPlan.arenaElements).toBe(32);
        // Every branch is alive until the concat: 50 million overlapping pairs, more than the greedy placement takes.
        const branches = 10_000;
        const wideSizes = Array.from({ length: branches + 2 }, () => 16);
        const wideReads = wideSizes.map((_, t) => (t === 0 ? [] : t <= branches ? [0] : Array.from({ length: branches }, (_, i) => i + 1)));
        const wide = plannedGraph(wideSizes, wideReads, [0], [branches + 1]);
        expect(chainPlan.pairs).toBeLessThanOrEqual(2 * 20_001); // each tensor compared with its neighbours only
        const widePlan = planMemory(wide);
        expect(widePlan.method).toBe('run-order');
        expect(widePlan.pairs).toBe(0);
        expect(widePlan.arenaElements).toBe(16 * (branches + 1)); // the peak: every branch and the concat's output
    });
});

describe('running', () => {
    it('4× the layers cost about 4× the time to run (10,000 → 40,000 layers, reference engine)', async () => {
        // Both sizes well out of the processor's caches: from 5,000 to 20,000 layers the run's data leaves them,
        // which alone makes 4× the layers take 6–7× the time on a small machine.
        const small = await graphOf(nestedBlocksNetwork(2, 100));
        const large = await graphOf(nestedBlocksNetwork(2, 200));
        const run = (graph: NetworkGraph) => runNetwork(graph, randomInputs(graph, 0), new Map(), { engine: 'reference' });
        expect(await growth(() => run(small), () => run(large))).toBeLessThan(MAX_GROWTH);
    });
});

describe('graph drawing', () => {
    it(`above ${MAX_ELK_BOXES} boxes, 4× the branches cost about 4× the time to lay out (5,000 → 20,000), and no two boxes overlap`, async () => {
        const small = await graphOf(loopedParallelNetwork(5_000));
        const large = await graphOf(loopedParallelNetwork(20_000));
        const layout = await layoutGraph(large);
        const boxes = layout.boxes.filter(b => b.kind !== 'module').sort((a, b) => a.y - b.y || a.x - b.x);
        expect(boxes).toHaveLength(20_000 + 3);
        for (let i = 1; i < boxes.length; i++) {
            const [a, b] = [boxes[i - 1], boxes[i]];
            if (a.y === b.y) expect(a.x + a.width, `${a.id} and ${b.id}`).toBeLessThanOrEqual(b.x);
        }
        expect(await growth(() => layoutGraph(small), () => layoutGraph(large))).toBeLessThan(MAX_GROWTH);
    });

    it(`ELK lays out drawings of up to ${MAX_ELK_BOXES} boxes and frames, never larger ones`, async () => {
        const small = await graphOf(loopedParallelNetwork(100));
        const large = await graphOf(loopedParallelNetwork(MAX_ELK_BOXES));
        elk.layouts = 0;
        await layoutGraph(small);
        expect(elk.layouts).toBe(1);
        await layoutGraph(large);
        expect(elk.layouts).toBe(1);
    });

    it('nested frames are laid out in layers too: each frame holds its boxes, and boxes of one layer stay apart', async () => {
        const graph = await graphOf(nestedBlocksNetwork(3, 3));
        const layout = await layoutGraph(graph, new Set(), { maxElkBoxes: 0 });
        const frames = new Map(layout.boxes.filter(b => b.kind === 'module' && !b.collapsed).map(b => [b.module, b]));
        expect(frames.size).toBe(graph.modules.length);
        for (const box of layout.boxes.filter(b => b.kind === 'layer')) {
            const frame = frames.get(graph.nodes[box.node!].module)!;
            expect(box.x).toBeGreaterThanOrEqual(frame.x);
            expect(box.y).toBeGreaterThanOrEqual(frame.y);
            expect(box.x + box.width).toBeLessThanOrEqual(frame.x + frame.width);
            expect(box.y + box.height).toBeLessThanOrEqual(frame.y + frame.height);
        }
        expect(layout.edges.every(e => e.points.length >= 2)).toBe(true);
    });
});

describe('network-sized arrays are never spread into a call', () => {
    it('a summary table of 300,000 rows, the largest of a million numbers', () => {
        const rows = Array.from({ length: 300_000 }, (_, i) => [`layer${i}`, 'relu', '1×2×4×4', '—', '—']);
        expect(table(['Layer', 'Op', 'Output shape', 'Params', 'MACs'], rows, [false, false, false, true, true]).split('\n')).toHaveLength(300_004);
        const values = Array.from({ length: 1_000_000 }, (_, i) => i % 1000);
        expect(maxOf(values)).toBe(999);
        expect(minOf(values)).toBe(0);
    });

    it('module totals of a summary come from running sums: 10,100 block instances, each with its own', async () => {
        const summary = summarizeNetwork(await graphOf(nestedBlocksNetwork(2, 100)));
        const perLayer = summary.flops / 10_000;
        expect(summary.modules.filter(m => m.kind === 'block')).toHaveLength(100 + 10_000);
        for (const m of summary.modules) {
            // The network's list (10,000 layers), each Level1 and its list (100), each Level0 (1).
            const layers = m.depth === 0 ? 10_000 : m.block === 'Level0' ? 1 : 100;
            expect(m.flops, m.name).toBe(layers * perLayer);
        }
    });
});
