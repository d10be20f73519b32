/**
 * Hovers: what a layer, a block call, a tensor or a block/network header produces and costs, as Markdown —
 * shapes, parameters (weight/bias split), MACs and FLOPs with their convention, activation memory, receptive
 * field and jump, the shape formula with the numbers substituted, and the teaching comparisons that apply.
 */
import { AstUtils, CstUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import type { HoverProvider } from 'langium/lsp';
import type { Diagnostic, Hover, HoverParams, Position } from 'vscode-languageserver';
import {
    isBinaryExpr, isBlock, isCall, isLabeledItem, isNetwork, isOpDecl, isParam, isParamDecl, isStep, isTensorDecl, type BinaryExpr, type Block, type Network, type Param,
} from '../language/generated/ast.js';
import type { LayerInstance, LayerLookup, ModuleInstance } from '../language/analysis/layer-lookup.js';
import type { NetworkAnalyzer } from '../language/analysis/network-analyzer.js';
import { renderSymbolicSizes, sizeVariablesOfNetwork, symbolicSizes } from '../language/analysis/symbolic-sizes.js';
import { teachingLines } from '../language/analysis/teaching.js';
import { COST_CONVENTION, type GraphNode, type NetworkGraph } from '../language/elaboration/graph.js';
import { findOp } from '../language/ops/registry.js';
import type { DeviceProfile } from '../language/analysis/devices.js';
import { latencyLine, roofline, type Roofline } from '../language/analysis/roofline.js';
import type { ConvNetLspServices } from './services.js';
import {
    formatBytes, formatShape, humanCount, inputShapes, mostExpensive, outputShapes, paramCounts, rangeTotals, withCommas,
} from './figures.js';

const CONVENTIONS = `_${COST_CONVENTION.macs} ${COST_CONVENTION.flops}_`;
/** Instances listed one per row before the details of the first. */
const MAX_INSTANCE_ROWS = 8;

export class ConvNetHoverProvider implements HoverProvider {
    private readonly lookup: LayerLookup;
    private readonly analyzer: NetworkAnalyzer;
    /** The device of the setting convnet.device (sent by the client), and each graph's roofline on it. */
    private device: DeviceProfile | undefined;
    private rooflines = new WeakMap<NetworkGraph, Roofline>();

    constructor(services: ConvNetLspServices) {
        this.lookup = services.analysis.LayerLookup;
        this.analyzer = services.analysis.NetworkAnalyzer;
    }

    getHoverContent(document: LangiumDocument, params: HoverParams): MaybePromise<Hover | undefined> {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const leaf = CstUtils.findLeafNodeAtOffset(root, document.textDocument.offsetAt(params.position));
        if (!leaf) return undefined;
        const markdown = this.describe(leaf.astNode, leaf.text, document);
        return markdown ? { contents: { kind: 'markdown', value: markdown }, range: leaf.range } : undefined;
    }

    setDevice(device: DeviceProfile | undefined): void {
        this.device = device;
        this.rooflines = new WeakMap();
    }

    /** `≈ 0.42 ms on this machine, memory-bound (intensity 3.1 FLOP/B)`, when a device is set. */
    private latency(graph: NetworkGraph, node: GraphNode): string | undefined {
        if (!this.device) return undefined;
        let model = this.rooflines.get(graph);
        if (!model) this.rooflines.set(graph, (model = roofline(graph, this.device)));
        const layer = model.layers[node.index];
        return layer && latencyLine(layer, this.device.shortName);
    }

    /** Markdown for the innermost node under the cursor that has figures. */
    describe(start: AstNode, word: string, document?: LangiumDocument): string | undefined {
        for (let node: AstNode | undefined = start; node; node = node.$container) {
            if (isCall(node)) {
                const target = node.target?.ref;
                if (isBlock(target)) return this.describeModules(this.lookup.modules(node), `block call ${target.name}`);
                if (isOpDecl(target)) {
                    const layers = this.lookup.layers(node);
                    if (layers.length) return this.describeLayers(layers);
                    return this.describeOp(target.name, node.target.$refText);
                }
                if (isParam(target) && isSizeVariable(target)) return this.describeSizes(target.$container as Network, target.name);
                if (isTensorDecl(target) || isParam(target)) return this.describeTensor(target, word);
                const declared = isParamDecl(target) ? this.lookup.layers(target) : [];
                if (declared.length) return this.describeLayers(declared);
                continue;
            }
            if (isParamDecl(node)) {
                const layers = this.lookup.layers(node);
                if (layers.length) return this.describeLayers(layers);
                continue;
            }
            if (isStep(node) || isLabeledItem(node)) {
                const layers = this.lookup.layers(node);
                if (layers.length) return this.describeLayers(layers);
                const target = isStep(node) ? node.target : undefined;
                const modules = target ? this.lookup.modules(target) : [];
                if (modules.length) return this.describeModules(modules, `list ${node.label ?? ''}`);
                continue;
            }
            if (isBinaryExpr(node)) {
                const layers = this.lookup.layers(node);
                if (layers.length) return this.describeLayers(layers);
                const mismatch = document && describeMismatch(node, document);
                if (mismatch) return mismatch;
                continue;
            }
            if (isParam(node) && isSizeVariable(node)) return this.describeSizes(node.$container as Network, node.name);
            if (isTensorDecl(node) || isParam(node)) return this.describeTensor(node, node.name);
            if (isNetwork(node)) return this.describeNetwork(node);
            if (isBlock(node)) return this.describeBlock(node);
        }
        return undefined;
    }

    private describeOp(name: string, written: string): string | undefined {
        const spec = findOp(name);
        if (!spec) return undefined;
        const attrs = spec.attrs.map(a => `- \`${a.name}\`${a.default !== undefined ? ` = ${JSON.stringify(a.default)}` : a.optional ? ' (optional)' : ' (required)'} — ${a.doc}`);
        return [`**${written}** · \`${spec.name}\` — ${spec.summary}`, '', ...attrs].join('\n');
    }

    private describeLayers(layers: LayerInstance[]): string {
        const [first] = layers;
        const lines: string[] = [];
        if (layers.length > 1) {
            lines.push(`**${layers.length} instances** of this layer:`, '', '| layer | output | params | MACs |', '|---|---|--:|--:|');
            for (const { analysis, node } of layers.slice(0, MAX_INSTANCE_ROWS)) {
                lines.push(`| \`${node.name}\` (${analysis.graph.name}) | ${outputShapes(analysis.graph, node)} | ${withCommas(paramCounts(node).weights + paramCounts(node).biases)} | ${withCommas(node.macs)} |`);
            }
            if (layers.length > MAX_INSTANCE_ROWS) lines.push(`| … ${layers.length - MAX_INSTANCE_ROWS} more | | | |`);
            lines.push('', `Details of \`${first.node.name}\`:`, '');
        }
        lines.push(...layerDetails(first.analysis.graph, first.node));
        const latency = this.latency(first.analysis.graph, first.node);
        if (latency) lines.push('', `_${latency} — the roofline (setting convnet.device)_`);
        return lines.join('\n');
    }

    private describeModules(modules: ModuleInstance[], what: string): string | undefined {
        if (modules.length === 0) return undefined;
        const lines: string[] = [];
        for (const { analysis, module } of modules.slice(0, MAX_INSTANCE_ROWS)) {
            const graph = analysis.graph;
            const totals = rangeTotals(graph, module.firstNode, module.endNode);
            const last = graph.nodes[module.endNode - 1];
            const firstNode = graph.nodes[module.firstNode];
            const heaviest = mostExpensive(graph, module.firstNode, module.endNode);
            lines.push(
                `**${module.name}** · ${what} (${analysis.graph.name})`, '',
                '| | |', '|---|---|',
                ...(firstNode ? [`| input | ${inputShapes(graph, firstNode)} |`] : []),
                ...(last ? [`| output | ${outputShapes(graph, last)} |`] : []),
                `| layers | ${module.endNode - module.firstNode} |`,
                `| params | ${withCommas(totals.params)} (weights ${withCommas(totals.weights)}, biases ${withCommas(totals.biases)}; buffers ${withCommas(totals.buffers)}) |`,
                `| MACs | ${withCommas(totals.macs)} (${humanCount(totals.macs)}) |`,
                `| FLOPs | ${withCommas(totals.flops)} (${humanCount(totals.flops)}) |`,
                ...(heaviest && heaviest.macs > 0 ? [`| most expensive | \`${heaviest.name}\` (${heaviest.op}): ${withCommas(heaviest.macs)} MACs, ${(100 * heaviest.macs / Math.max(1, totals.macs)).toFixed(1)}% |`] : []),
                '',
            );
        }
        if (modules.length > MAX_INSTANCE_ROWS) lines.push(`… and ${modules.length - MAX_INSTANCE_ROWS} more instances`, '');
        lines.push(CONVENTIONS);
        return lines.join('\n');
    }

    private describeTensor(decl: AstNode, name: string): string | undefined {
        const instances = this.lookup.tensors(decl);
        if (instances.length === 0) return undefined;
        const shapes = [...new Set(instances.map(i => formatShape(i.analysis.graph.tensors[i.tensor].shape)))];
        const { analysis, tensor } = instances[0];
        const t = analysis.graph.tensors[tensor];
        const lines = [`**${name}** · tensor ${shapes.slice(0, MAX_INSTANCE_ROWS).join(' | ')}${shapes.length > MAX_INSTANCE_ROWS ? ' | …' : ''}`, ''];
        lines.push(`${formatBytes(t.shape.reduce((a, b) => a * b, 1) * 4)} as float32`);
        if (t.receptiveField && t.jump) lines.push('', `Receptive field ${t.receptiveField.map(fmtNumber).join('×')}, jump ${t.jump.map(fmtNumber).join('×')} (input pixels)`);
        if (instances.length > 1) lines.push('', `_${instances.length} instances (one per block call)_`);
        return lines.join('\n');
    }

    private describeNetwork(network: Network): string | undefined {
        const { graph } = this.analyzer.analyze(network);
        const sizes = this.sizesLines(network);
        return [...totalsTable(`network ${graph.name}`, graph, 0, graph.nodes.length), ...(sizes.length ? ['', ...sizes] : []), '', CONVENTIONS].join('\n');
    }

    /** A size variable (`H` of `input: [1, 3, H, W]`): the network's figures as formulas of it, and its valid sizes. */
    private describeSizes(network: Network, name: string): string | undefined {
        const sizes = this.sizesLines(network);
        return [`**${name}** · size variable of network ${network.name}`, '', ...(sizes.length ? sizes : ['_Formulas appear once the network elaborates without errors._'])].join('\n');
    }

    private sizesLines(network: Network): string[] {
        try {
            const sizes = symbolicSizes(this.analyzer.analyze(network), { scanUnreadRows: false });
            return sizes ? renderSymbolicSizes(sizes).map(line => (line.startsWith('  ') ? `- ${line.trim()}` : `${line}\n`)) : [];
        } catch {
            return []; // a hover never fails for the formulas' sake
        }
    }

    private describeBlock(block: Block): string | undefined {
        const calls = AstUtils.streamAst(AstUtils.findRootNode(block)).filter(isCall).filter(c => c.target?.ref === block).toArray();
        const modules = calls.flatMap(c => this.lookup.modules(c));
        return modules.length ? this.describeModules(modules, `block ${block.name}`) : `**block ${block.name}** — not used by any network yet, so it has no shapes.`;
    }
}

function isSizeVariable(param: Param): boolean {
    const network = param.$container;
    return isNetwork(network) && sizeVariablesOfNetwork(network).includes(param);
}

function fmtNumber(n: number): string {
    return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function totalsTable(title: string, graph: NetworkGraph, first: number, end: number): string[] {
    const totals = first === 0 && end === graph.nodes.length ? graph.totals : { ...rangeTotals(graph, first, end), memory: 0, peakMemory: 0 };
    const heaviest = mostExpensive(graph, first, end);
    return [
        `**${title}**`, '',
        '| | |', '|---|---|',
        `| inputs | ${graph.inputs.map(p => `${p.name} ${formatShape(graph.tensors[p.tensor].shape)}`).join(', ')} |`,
        `| outputs | ${graph.outputs.map(p => `${p.name} ${formatShape(graph.tensors[p.tensor].shape)}`).join(', ')} |`,
        `| layers | ${end - first} |`,
        `| params | ${withCommas(totals.params)} (weights ${withCommas(totals.weights)}, biases ${withCommas(totals.biases)}; buffers ${withCommas(totals.buffers)}) |`,
        `| MACs | ${withCommas(totals.macs)} (${humanCount(totals.macs)}) |`,
        `| FLOPs | ${withCommas(totals.flops)} (${humanCount(totals.flops)}) |`,
        ...(totals.memory ? [`| activations | ${formatBytes(totals.memory)} in all, peak ${formatBytes(totals.peakMemory)} |`] : []),
        ...(heaviest && heaviest.macs > 0 ? [`| most expensive | \`${heaviest.name}\` (${heaviest.op}): ${withCommas(heaviest.macs)} MACs |`] : []),
    ];
}

/** The full description of one graph node. */
export function layerDetails(graph: NetworkGraph, node: GraphNode): string[] {
    const spec = findOp(node.op);
    const counts = paramCounts(node);
    const out = graph.tensors[node.outputs[0]];
    const params = node.params.filter(p => p.kind !== 'buffer');
    const buffers = node.params.filter(p => p.kind === 'buffer');
    const lines = [
        `**${node.name}** · \`${node.op}\`${spec ? ` — ${spec.summary}` : ''}`, '',
        '| | |', '|---|---|',
        `| input | ${inputShapes(graph, node)} |`,
        `| output | ${outputShapes(graph, node)} |`,
        // A learned tensor of its own (`param`) has no name of its own: its key is the layer's (stateDictKey).
        `| params | ${params.length ? `${withCommas(counts.weights + counts.biases)} = ${params.map(p => `${p.name || node.name.slice(node.name.lastIndexOf('.') + 1)} ${formatShape(p.shape)}`).join(' + ')}` : '0'} |`,
        ...(buffers.length ? [`| buffers | ${withCommas(counts.buffers)} (${buffers.map(p => p.name).join(', ')}; not parameters) |`] : []),
        `| MACs | ${withCommas(node.macs)}${node.macs >= 1000 ? ` (${humanCount(node.macs)})` : ''} |`,
        `| FLOPs | ${withCommas(node.flops)}${node.flops >= 1000 ? ` (${humanCount(node.flops)})` : ''} |`,
        `| memory | ${formatBytes(node.memory)} (output, float32) |`,
        ...(out.receptiveField && out.jump ? [`| receptive field | ${out.receptiveField.map(fmtNumber).join('×')}, jump ${out.jump.map(fmtNumber).join('×')} |`] : []),
    ];
    if (node.formula.length) lines.push('', 'Output shape:', '', ...node.formula.map(f => `- \`${f}\``));
    const teaching = teachingLines(node, graph);
    if (teaching.length) lines.push('', ...teaching.map(t => `- ${t}`));
    lines.push('', CONVENTIONS);
    return lines;
}

/**
 * A tensor operator whose operands' shapes do not broadcast has no layer to describe: the hover shows both
 * operands with where each was made (the error's related information) and the dimensions that differ.
 */
function describeMismatch(expression: BinaryExpr, document: LangiumDocument): string | undefined {
    const range = expression.$cstNode?.range;
    if (!range) return undefined;
    const inside = (d: Diagnostic) => comparePositions(d.range.start, range.start) >= 0 && comparePositions(d.range.end, range.end) <= 0;
    const error = (document.diagnostics ?? []).find(d => (d.data as { code?: string } | undefined)?.code === 'shape-mismatch' && inside(d));
    const data = error?.data as { left?: number[]; right?: number[] } | undefined;
    if (!error || !data?.left || !data.right) return undefined;
    const { left, right } = data;
    const rank = Math.max(left.length, right.length);
    // Broadcasting aligns the shapes at their last dimension.
    const at = (shape: number[], d: number) => shape[shape.length - rank + d];
    const differing = Array.from({ length: rank }, (_, d) => d).filter(d => {
        const [a, b] = [at(left, d), at(right, d)];
        return a !== undefined && b !== undefined && a !== b && a !== 1 && b !== 1;
    });
    return [
        `**\`${expression.operator}\`** · elementwise, with PyTorch broadcasting — these shapes do not broadcast`, '',
        '| operand | made at |', '|---|---|',
        ...(error.relatedInformation ?? []).map(r => `| ${r.message} | line ${r.location.range.start.line + 1} |`),
        '',
        `They differ in ${differing.map(d => `dimension ${d} (${at(left, d)} vs ${at(right, d)})`).join(', ')}; each pair of sizes must be equal, or one of them 1.`,
    ].join('\n');
}

function comparePositions(a: Position, b: Position): number {
    return a.line - b.line || a.character - b.character;
}
