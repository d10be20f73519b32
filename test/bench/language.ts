/**
 * `npm run bench:language`: how long the language takes to turn text into checked figures, as files grow.
 * For generated networks of 100, 1,000 and 10,000 layers and a ResNet-152-sized file it measures one cold
 * build (parse + link + elaborate + shapes + costs + validation) and then the median re-validation after an
 * edit (a new document version), with heap growth. Prints a table; the README quotes it.
 */
import { URI } from 'langium';
import { EmptyFileSystem } from 'langium';
import { createConvNetServices } from '../../language/convnet-module.js';
import { ensureBuiltinLibrary } from '../../language/builtin-library.js';
import { isNetwork, type Model } from '../../language/generated/ast.js';
import { chainNetwork, loopNetwork, resnet152 } from './networks.js';

const { shared, ConvNet } = createConvNetServices(EmptyFileSystem);
const library = ensureBuiltinLibrary(shared);

let version = 0;

/** Parses, links, elaborates and validates `text` as a fresh document version; returns ms and the layer count. */
async function build(text: string): Promise<{ ms: number; layers: number; errors: number }> {
    const uri = URI.file(`/bench/network.convnet`);
    const documents = shared.workspace.LangiumDocuments;
    if (documents.hasDocument(uri)) documents.deleteDocument(uri);
    const start = performance.now();
    const document = shared.workspace.LangiumDocumentFactory.fromString<Model>(`${text}\n# edit ${version++}\n`, uri);
    documents.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    const ms = performance.now() - start;
    const network = document.parseResult.value.declarations.find(isNetwork)!;
    const layers = ConvNet.analysis.NetworkAnalyzer.analyze(network).graph.nodes.length;
    const errors = (document.diagnostics ?? []).filter(d => d.severity === 1).length;
    return { ms, layers, errors };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

function heapMiB(): number {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed / 2 ** 20;
}

async function measure(name: string, text: string, repeats: number): Promise<string[]> {
    const heapBefore = heapMiB();
    const cold = await build(text);
    const heapAfter = heapMiB();
    if (cold.errors) throw new Error(`${name}: the generated file has ${cold.errors} errors`);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) times.push((await build(text)).ms);
    const warm = median(times);
    return [name, String(cold.layers), `${(text.length / 1024).toFixed(0)} KiB`, cold.ms.toFixed(1), warm.toFixed(1), (warm / cold.layers * 1000).toFixed(1), (heapAfter - heapBefore).toFixed(1)];
}

async function main(): Promise<void> {
    await shared.workspace.DocumentBuilder.build([library], {});
    const rows: string[][] = [];
    rows.push(await measure('chain 100', chainNetwork(100), 20));
    rows.push(await measure('chain 1,000', chainNetwork(1000), 10));
    rows.push(await measure('chain 10,000', chainNetwork(10000), 5));
    rows.push(await measure('loop 10,000', loopNetwork(10000), 5));
    rows.push(await measure('ResNet-152 file', resnet152(), 20));
    const headers = ['network', 'layers', 'text', 'first build ms', 'rebuild ms (median)', 'µs / layer', 'heap Δ MiB'];
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
    console.log(`Language pipeline (parse + link + elaborate + shapes + costs + validation), Node ${process.version}`);
    console.log(line(headers));
    console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    rows.forEach(r => console.log(line(r)));
    console.log('Targets: ResNet-152-sized file re-validated < 50 ms; 10,000 layers < 1 s; time linear in layers (µs / layer flat).');
}

main().catch(e => {
    console.error(e);
    process.exitCode = 1;
});
