/** `convnet check` and `convnet summary`: the language's verdict and figures in a terminal. */
import type { LangiumDocument } from 'langium';
import { isNetwork } from '../language/generated/ast.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import { summarizeNetwork, type NetworkSummary } from '../language/analysis/summary.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { formatBytes, humanCount, withCommas } from '../language/util/format.js';
import { COST_CONVENTION } from '../language/elaboration/graph.js';
import { table } from './format.js';
import { renderSummaryTable, type TableFormat } from '../language/render/summary-table.js';
import { layoutGraph, renderSvg } from '../language/render/graph-layout.js';
import * as path from 'node:path';
import { checkWrites, writeFilesSafely } from '../io/safe-write.js';
import { displayText } from '../language/util/quote.js';
import { FORCE_HINT, sourceInputs } from './outputs.js';
import { checkBudget, type BudgetItem } from '../language/analysis/budgets.js';
import { conventionLine, countWithConvention, type ConventionName, type ConventionTotal } from '../language/analysis/conventions.js';
import { precisionLines, precisionReport, type InferencePrecision, type PrecisionReport } from '../language/analysis/precision.js';
import { deviceSummary } from './roofline.js';
import { renderSymbolicSizes, symbolicSizes } from '../language/analysis/symbolic-sizes.js';
import { largestBatchThatFits, trainingMemory, TRAINING_MEMORY_CONVENTION, type TrainingMemory, type TrainingOptions } from '../language/analysis/training-memory.js';

const NO_SIZE_VARIABLES = 'No size variables: name them in the input shape to get formulas, as in network N(input: [1, 3, H, W], H: int = 224, W: int = 224)';

export interface Output {
    out(text: string): void;
    err(text: string): void;
}

function relativePath(document: LangiumDocument): string {
    return displayText(path.relative(process.cwd(), document.uri.fsPath) || document.uri.fsPath, 120);
}

/** `file:line:col: severity: message` per diagnostic; returns the number of errors. */
function printDiagnostics(document: LangiumDocument, io: Output, stream: 'out' | 'err'): number {
    let errors = 0;
    for (const d of document.diagnostics ?? []) {
        const severity = d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info';
        if (severity === 'error') errors++;
        io[stream](`${relativePath(document)}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${severity}: ${d.message}`);
    }
    return errors;
}

export async function check(files: string[], io: Output, budget?: readonly BudgetItem[]): Promise<number> {
    const { documents, services } = await loadConvNetFiles(files);
    let errors = 0;
    let warnings = 0;
    for (const document of documents) {
        errors += printDiagnostics(document, io, 'out');
        warnings += (document.diagnostics ?? []).filter(d => d.severity === 2).length;
        // --budget: every network of the file that elaborates without errors, checked as its budget comment is.
        if (!budget || (document.diagnostics ?? []).some(d => d.severity === 1)) continue;
        for (const network of document.parseResult.value.declarations.filter(isNetwork).filter(n => n.name)) {
            const { graph } = services.analysis.NetworkAnalyzer.analyze(network);
            const at = network.$cstNode?.range.start ?? { line: 0, character: 0 };
            for (const violation of checkBudget(graph, budget, services.analysis.Devices.resolve)) {
                errors++;
                io.out(`${relativePath(document)}:${at.line + 1}:${at.character + 1}: error: ${network.name}: ${violation.message} (--budget)`);
            }
        }
    }
    if (errors === 0 && warnings === 0) io.err(`${documents.length} file${documents.length === 1 ? '' : 's'} checked: no problems`);
    else io.err(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
    return errors > 0 ? 1 : 0;
}

export interface SummaryOptions {
    network?: string;
    json?: boolean;
    /** A table for papers instead of the terminal view. */
    format?: TableFormat;
    /** `--train`: the memory of a training step (and with `fit`, the largest batch whose peak fits that many bytes). */
    train?: TrainingOptions & { fit?: number };
    /** `--convention`: the total as another tool counts it. */
    convention?: ConventionName;
    /** `--precision` without --train: bytes (and BOPs) at an inference number format. */
    precision?: InferencePrecision;
    /** `--device`: bytes, intensity and predicted time per layer on a device profile (cli/roofline.ts). */
    device?: string;
    /** `--insights`: ShuffleNet V2's guidelines with their cost on the device. */
    insights?: boolean;
    /** `--sizes`: the totals as formulas of the network's size variables, and its valid sizes. */
    sizes?: boolean;
}

export async function summary(file: string, options: SummaryOptions, io: Output): Promise<number> {
    const { documents, services } = await loadConvNetFiles([file]);
    const document = documents[0];
    const errors = printDiagnostics(document, io, 'err');
    const networks = document.parseResult.value.declarations.filter(isNetwork).filter(n => n.name);
    const chosen = options.network ? networks.filter(n => n.name === options.network) : networks;
    if (options.network && chosen.length === 0) {
        io.err(`${relativePath(document)}: no network named '${displayText(options.network)}' (it has ${networks.map(n => n.name).join(', ') || 'none'})`);
        return 2;
    }
    if (errors > 0) {
        io.err(`${relativePath(document)}: ${errors} error${errors === 1 ? '' : 's'}; fix ${errors === 1 ? 'it' : 'them'} for a summary`);
        return 1;
    }
    if (chosen.length === 0) {
        io.err(`${relativePath(document)}: no network to summarise (declare one with: network Name(input: [1, 3, 224, 224]) { … })`);
        return 2;
    }
    const graphs = chosen.map(n => services.analysis.NetworkAnalyzer.analyze(n).graph);
    const summaries = graphs.map(summarizeNetwork);
    if (options.sizes) {
        const reports = chosen.map(n => symbolicSizes(services.analysis.NetworkAnalyzer.analyze(n)));
        if (options.json) io.out(JSON.stringify({ networks: summaries.map((s, i) => ({ ...s, sizes: reports[i] ?? null })) }, null, 2));
        else io.out(summaries.map((s, i) => [renderSummary(s), ...(reports[i] ? renderSymbolicSizes(reports[i]!) : [NO_SIZE_VARIABLES])].join('\n')).join('\n\n'));
        return 0;
    }
    if (options.train) {
        const { fit, ...training } = options.train;
        const reports = graphs.map(g => ({ ...trainingMemory(g, training), ...(fit !== undefined ? { fit: { budget: fit, ...largestBatchThatFits(g, fit, training) } } : {}) }));
        if (options.json) io.out(JSON.stringify({ networks: summaries.map((s, i) => ({ ...s, training: reports[i] })) }, null, 2));
        else io.out(summaries.map((s, i) => renderTraining(s, reports[i])).join('\n\n'));
        return 0;
    }
    if (options.device !== undefined || options.insights) {
        return deviceSummary(summaries, graphs, { device: options.device, insights: options.insights, json: options.json, precision: options.precision }, io);
    }
    if (options.convention || options.precision) {
        const extras = graphs.map(g => ({
            ...(options.convention ? { convention: countWithConvention(g, options.convention) } : {}),
            ...(options.precision ? { precision: precisionReport(g, options.precision) } : {}),
        }));
        if (options.json) io.out(JSON.stringify({ networks: summaries.map((s, i) => ({ ...s, ...extras[i] })) }, null, 2));
        else io.out(summaries.map((s, i) => [renderSummary(s), ...renderExtras(extras[i])].join('\n')).join('\n\n'));
        return 0;
    }
    if (options.json) io.out(JSON.stringify({ networks: summaries }, null, 2));
    else if (options.format) io.out(summaries.map(s => renderSummaryTable(s, options.format!)).join('\n\n'));
    else io.out(summaries.map(renderSummary).join('\n\n'));
    return 0;
}

function renderSummary(s: NetworkSummary): string {
    const rows: string[][] = [];
    let nextModule = 0;
    // torchinfo's nested view: each module's row (with its totals) comes before its first layer.
    const emitModulesUpTo = (layerIndex: number) => {
        while (nextModule < s.modules.length && s.modules[nextModule].firstLayer <= layerIndex) {
            const m = s.modules[nextModule++];
            rows.push([`${'  '.repeat(m.depth)}${m.name}`, m.block ?? 'list', m.output ? formatShape(m.output) : '', withCommas(m.params), withCommas(m.macs)]);
        }
    };
    s.layers.forEach((layer, i) => {
        emitModulesUpTo(i);
        const depth = layer.name.split('.').length - 1;
        rows.push([`${'  '.repeat(depth)}${layer.name}`, layer.op, formatShape(layer.output), layer.params ? withCommas(layer.params) : '—', layer.macs ? withCommas(layer.macs) : '—']);
    });
    emitModulesUpTo(Infinity);
    const inputs = s.inputs.map(i => `${i.name} ${formatShape(i.shape)}`).join(', ');
    const outputs = s.outputs.map(o => `${o.name} ${formatShape(o.shape)}`).join(', ');
    return [
        `${s.name}  (inputs: ${inputs}; outputs: ${outputs})`,
        table(['Layer', 'Op', 'Output shape', 'Params', 'MACs'], rows, [false, false, false, true, true]),
        `Total params: ${withCommas(s.params)} (weights ${withCommas(s.weights)}, biases ${withCommas(s.biases)})`,
        `Buffers (BN running statistics, not parameters): ${withCommas(s.buffers)}`,
        `MACs: ${withCommas(s.macs)} (${humanCount(s.macs)}) — ${COST_CONVENTION.macs}`,
        `FLOPs: ${withCommas(s.flops)} (${humanCount(s.flops)}) — ${COST_CONVENTION.flops}`,
        `Activations (float32): ${formatBytes(s.memory)} in all, peak ${formatBytes(s.peakMemory)} alive at once`,
        `Parameter size (float32): ${formatBytes((s.params + s.buffers) * 4)}`,
    ].join('\n');
}

/** `--convention` and `--precision`: the lines after the summary's totals. */
function renderExtras(extra: { convention?: ConventionTotal; precision?: PrecisionReport }): string[] {
    return [...(extra.convention ? [conventionLine(extra.convention)] : []), ...(extra.precision ? precisionLines(extra.precision) : [])];
}

const OPTIMIZER_NAMES = { 'sgd': 'SGD', 'sgd-momentum': 'SGD with momentum', 'adam': 'Adam' } as const;
const OPTIMIZER_STATE = { 'sgd': 'none', 'sgd-momentum': 'a momentum buffer per parameter', 'adam': 'two moments per parameter and a step count per tensor' } as const;

/** `summary --train`: what each layer keeps for its backward pass, the step's memory, checkpointing and the fit. */
function renderTraining(s: NetworkSummary, t: TrainingMemory & { fit?: { budget: number; batch: number; peakBytes: number; nextPeakBytes: number } }): string {
    const rows = t.layers.map(l => [l.name, l.op, `${l.keeps}${l.inPlace ? ' (in place)' : ''}${l.sharedWith ? ` (kept by ${l.sharedWith})` : ''}`, l.bytes ? formatBytes(l.bytes) : '—']);
    const line = (label: string, bytes: number, note = '') => `${`${label}:`.padEnd(34)}${formatBytes(bytes).padStart(10)}${note ? `  ${note}` : ''}`;
    const checkpoints = t.checkpoints.filter(c => c.depth <= 1).slice(0, 5)
        .map(c => `  ${c.module}${c.block ? ` (${c.block})` : ''}: ${formatBytes(c.bytes)} less, recomputing ${humanCount(c.recomputeFlops)} FLOPs`);
    const fit = t.fit && (t.fit.batch === 0
        ? `Fits ${formatBytes(t.fit.budget)}: no batch — one sample already needs ${formatBytes(t.fit.nextPeakBytes)}`
        : `Fits ${formatBytes(t.fit.budget)}: batch ${t.fit.batch} (peak ${formatBytes(t.fit.peakBytes)}; batch ${t.fit.batch + 1} needs ${formatBytes(t.fit.nextPeakBytes)})`);
    return [
        `${s.name} — training, batch ${t.batch}, ${OPTIMIZER_NAMES[t.optimizer]}, ${t.precision === 'mixed' ? 'mixed precision (16-bit activations)' : 'float32'}`,
        table(['Layer', 'Op', 'Keeps for backward', 'Kept'], rows, [false, false, false, true]),
        line('Parameters', t.parameterBytes, `${withCommas(s.params)} × 4 B`),
        line('Buffers (BN running statistics)', t.bufferBytes),
        line('Gradients', t.gradientBytes),
        line('Optimizer state', t.optimizerStateBytes, OPTIMIZER_STATE[t.optimizer]),
        ...(t.weightCopyBytes ? [line('16-bit weight copies (autocast)', t.weightCopyBytes)] : []),
        line('Activations kept for backward', t.savedActivationBytes),
        line('Peak during the step', t.peakBytes, `activations and their gradients at most ${formatBytes(Math.max(t.forwardPeakBytes, t.backwardPeakBytes))} (${t.backwardPeakBytes >= t.forwardPeakBytes ? 'in the backward pass' : 'in the forward pass'})`),
        line('Gradient all-reduce per step', t.allReduceBytes, `data-parallel (DDP): every gradient, ${withCommas(s.params)} × 4 B`),
        ...(checkpoints.length ? ['Checkpointing a module would keep less:', ...checkpoints] : []),
        ...(fit ? [fit] : []),
        TRAINING_MEMORY_CONVENTION,
    ].join('\n');
}

export interface GraphOptions {
    network?: string;
    svg: string;
    /** Replace an existing file. */
    force?: boolean;
}

/** `convnet graph FILE --svg OUT.svg`: the editor's graph drawing, written to a file. */
export async function graph(file: string, options: GraphOptions, io: Output): Promise<number> {
    const { documents, services } = await loadConvNetFiles([file]);
    const document = documents[0];
    const errors = printDiagnostics(document, io, 'err');
    const networks = document.parseResult.value.declarations.filter(isNetwork).filter(n => n.name);
    const network = options.network ? networks.find(n => n.name === options.network) : networks[0];
    if (!network) {
        io.err(`${relativePath(document)}: ${options.network ? `no network named '${displayText(options.network)}' (it has ${networks.map(n => n.name).join(', ') || 'none'})` : 'no network to draw'}`);
        return 2;
    }
    if (errors > 0) {
        io.err(`${relativePath(document)}: ${errors} error${errors === 1 ? '' : 's'}; fix ${errors === 1 ? 'it' : 'them'} for a drawing`);
        return 1;
    }
    const graphOfNetwork = services.analysis.NetworkAnalyzer.analyze(network).graph;
    const writing = { replace: options.force, replaceHint: FORCE_HINT, inputs: sourceInputs(graphOfNetwork) };
    checkWrites([options.svg], writing);
    const layout = await layoutGraph(graphOfNetwork);
    // The file may be shared: boxes name their source by the file's base name, not the author's folders.
    writeFilesSafely([{ file: options.svg, bytes: renderSvg(layout, network.name, { sourceLinks: false }) }], writing);
    io.err(`${displayText(options.svg, 120)}: ${graphOfNetwork.nodes.length} layers of ${network.name}`);
    return 0;
}
