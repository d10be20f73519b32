/**
 * `npm run bench:plain-memory`: what a run in a browser page that is not cross-origin isolated computes on — the
 * WebAssembly kernels on a plain memory, one thread — against the same kernels on a shared memory (the desktop at one
 * thread) and the TypeScript kernels (what the browser ran before), on ResNet-18 (or the file given), batch 1,
 * seeded. Node, one process; the three engines take turns, `--rounds N` (default 9) timed runs each after a warm-up,
 * and each engine's median, fastest and slowest are printed. The outputs are compared, so a fast wrong engine shows.
 */
import * as path from 'node:path';
import { loadConvNetFiles } from '../../language/node/load-files.js';
import { isNetwork } from '../../language/generated/ast.js';
import { prepareNetwork } from '../../runtime/executor.js';
import { createCompute, type Compute } from '../../runtime/compute.js';
import { initializeParameters } from '../../runtime/weights.js';
import { randomInputs } from '../../io/inputs.js';
import { relativeError } from '../helpers.js';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 9;
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds') ?? path.join(process.cwd(), 'examples', 'resnet18.convnet');

async function main(): Promise<void> {
    const { documents, services } = await loadConvNetFiles([path.resolve(file)]);
    const graph = services.analysis.NetworkAnalyzer.analyze(documents[0].parseResult.value.declarations.find(isNetwork)!).graph;
    const parameters = initializeParameters(graph, 0);
    const inputs = randomInputs(graph, 0);
    const engines: Record<string, () => Compute> = {
        'wasm, plain memory': () => createCompute({ memory: 'plain', threads: 1 }),
        'wasm, shared memory': () => createCompute({ threads: 1 }),
        typescript: () => createCompute({ engine: 'typescript' }),
    };
    const prepared = Object.entries(engines).map(([name, make]) => ({ name, network: prepareNetwork(graph, parameters, { compute: make() }), times: [] as number[] }));
    const outputs = prepared.map(p => p.network.run(inputs).outputs.get(graph.outputs[0].name)!.data);
    for (let round = 0; round < rounds; round++) {
        for (const p of prepared) {
            const t0 = performance.now();
            p.network.run(inputs);
            p.times.push(performance.now() - t0);
        }
    }
    console.log(`${graph.name}, batch 1, 1 thread, ${rounds} runs each after a warm-up (Node ${process.versions.node})`);
    for (const [i, p] of prepared.entries()) {
        const sorted = [...p.times].sort((a, b) => a - b);
        const error = relativeError(outputs[i], outputs[prepared.length - 1]);
        console.log(`${p.name.padEnd(20)} ${p.network.compute.description.padEnd(40)} median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms (${sorted[0].toFixed(0)}–${sorted[sorted.length - 1].toFixed(0)}); output vs typescript ${error.toExponential(1)}`);
        p.network.compute.dispose();
    }
}

main().catch(e => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
});
