/**
 * Inlay hints: the output shape after every layer of a chain and after every named tensor (`→ 1×64×56×56`),
 * optionally with params and MACs. A layer inside a block shows each distinct shape its instances produce.
 * Setting `convnet.inlayHints`: "shapes" (default), "shapes+cost" or "off".
 */
import { type AstNode, type LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { AbstractInlayHintProvider, type InlayHintAcceptor } from 'langium/lsp';
import { InlayHintKind, type InlayHint, type InlayHintParams } from 'vscode-languageserver';
import { isBlock, isCall, isListExpr, isOpDecl, isParam, isStep, isTensorDecl } from '../language/generated/ast.js';
import type { LayerLookup } from '../language/analysis/layer-lookup.js';
import type { ConfigurationProvider } from 'langium';
import type { ConvNetLspServices } from './services.js';
import type { ViewRefresh } from './view-refresh.js';
import { formatShape, humanCount, rangeTotals } from './figures.js';

export type InlayHintMode = 'shapes' | 'shapes+cost' | 'off';
const MAX_SHAPES = 3;
/**
 * VS Code cuts a hint longer than this with "…" (the default of `editor.inlayHints.maximumLength`), so a hint is
 * made to fit: the shape first, then the cost if there is room; everything is in the hint's tooltip.
 */
export const MAX_HINT_LENGTH = 43;

interface Figures {
    shapes: string[];
    params: number;
    macs: number;
}

export class ConvNetInlayHintProvider extends AbstractInlayHintProvider {
    private readonly lookup: LayerLookup;
    private readonly configuration: ConfigurationProvider;
    private readonly refresh: ViewRefresh;
    private mode: InlayHintMode = 'shapes';

    constructor(services: ConvNetLspServices) {
        super();
        this.lookup = services.analysis.LayerLookup;
        this.configuration = services.shared.workspace.ConfigurationProvider;
        this.refresh = services.editor.ViewRefresh;
    }

    override async getInlayHints(document: LangiumDocument, params: InlayHintParams, cancelToken?: CancellationToken): Promise<InlayHint[] | undefined> {
        this.mode = await this.readMode();
        if (this.mode === 'off') return [];
        return this.refresh.answer(document, () => super.getInlayHints(document, params, cancelToken), () => this.lookup.complete);
    }

    private async readMode(): Promise<InlayHintMode> {
        try {
            const value = await this.configuration.getConfiguration('convnet', 'inlayHints');
            return value === 'off' || value === 'shapes+cost' ? value : 'shapes';
        } catch {
            return 'shapes';
        }
    }

    computeInlayHint(node: AstNode, acceptor: InlayHintAcceptor): void {
        const figures = this.figuresOf(node);
        const cst = node.$cstNode;
        if (!figures || !cst || figures.shapes.length === 0) return;
        const afterName = isTensorDecl(node) || isParam(node);
        const cost = figures.params || figures.macs ? `${humanCount(figures.params)} params · ${humanCount(figures.macs)} MACs` : '';
        acceptor({
            position: cst.range.end,
            label: fitHint(afterName ? ': ' : ' → ', figures.shapes, this.mode === 'shapes+cost' ? cost : ''),
            kind: InlayHintKind.Type,
            paddingLeft: !afterName,
            tooltip: [figures.shapes.length > 1 ? `Output shapes of its ${figures.shapes.length} instances:` : 'Output shape:',
                ...figures.shapes.map(s => `  ${s}`), ...(cost ? [cost] : [])].join('\n'),
        });
    }

    private figuresOf(node: AstNode): Figures | undefined {
        if (isCall(node) && node.target?.ref) {
            const target = node.target.ref;
            if (isOpDecl(target)) {
                const layers = this.lookup.layers(node);
                return {
                    shapes: distinct(layers.map(l => l.node.outputs.map(t => formatShape(l.analysis.graph.tensors[t].shape)).join(', '))),
                    params: layers[0]?.node.params.filter(p => p.kind !== 'buffer').reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0) ?? 0,
                    macs: layers[0]?.node.macs ?? 0,
                };
            }
            if (isBlock(target)) return this.moduleFigures(node);
            return undefined;
        }
        if (isListExpr(node) && isStep(node.$container)) return this.moduleFigures(node);
        if (isTensorDecl(node) || (isParam(node) && node.shape === undefined && node.$container && isBlock(node.$container) && node.$container.inputs.includes(node))) {
            const tensors = this.lookup.tensors(node);
            return { shapes: distinct(tensors.map(t => formatShape(t.analysis.graph.tensors[t.tensor].shape))), params: 0, macs: 0 };
        }
        return undefined;
    }

    private moduleFigures(node: AstNode): Figures | undefined {
        const modules = this.lookup.modules(node);
        if (modules.length === 0) return undefined;
        const shapes = modules.map(({ analysis, module }) => {
            const last = analysis.graph.nodes[module.endNode - 1];
            return last ? last.outputs.map(t => formatShape(analysis.graph.tensors[t].shape)).join(', ') : '';
        }).filter(s => s);
        const first = modules[0];
        const totals = rangeTotals(first.analysis.graph, first.module.firstNode, first.module.endNode);
        return { shapes: distinct(shapes), params: totals.params, macs: totals.macs };
    }
}

/**
 * The longest of these that fits in MAX_HINT_LENGTH: every shape (up to MAX_SHAPES) and the cost; the shapes alone;
 * fewer shapes and "…". The first shape is always shown, even when it alone is longer.
 */
export function fitHint(prefix: string, shapes: readonly string[], cost: string): string {
    const listed = (count: number) => shapes.slice(0, count).join(' | ') + (shapes.length > count ? ' | …' : '');
    const candidates = [listed(MAX_SHAPES)];
    for (let count = Math.min(MAX_SHAPES, shapes.length) - 1; count >= 1; count--) candidates.push(listed(count));
    const withCost = cost ? [`${candidates[0]} · ${cost}`] : [];
    return prefix + ([...withCost, ...candidates].find(text => prefix.length + text.length <= MAX_HINT_LENGTH) ?? candidates[candidates.length - 1]);
}

function distinct(values: string[]): string[] {
    return [...new Set(values)];
}
