/**
 * The outline: blocks and networks, and inside them the inputs, named tensors, labelled layers and lists, each
 * with the shape it produces (several shapes for a layer inside a block called more than once).
 */
import { AstUtils, GrammarUtils, type AstNode, type LangiumDocument } from 'langium';
import type { DocumentSymbolProvider } from 'langium/lsp';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import {
    isBlock, isLabeledItem, isNetwork, isOutput, isParam, isParamDecl, isStep, isTensorDecl, isListExpr, isCall,
} from '../language/generated/ast.js';
import type { LayerLookup } from '../language/analysis/layer-lookup.js';
import type { NetworkAnalyzer } from '../language/analysis/network-analyzer.js';
import { appendAll } from '../language/util/arrays.js';
import type { ConvNetLspServices } from './services.js';
import { formatShape, humanCount } from './figures.js';

export class ConvNetDocumentSymbolProvider implements DocumentSymbolProvider {
    private readonly lookup: LayerLookup;
    private readonly analyzer: NetworkAnalyzer;

    constructor(services: ConvNetLspServices) {
        this.lookup = services.analysis.LayerLookup;
        this.analyzer = services.analysis.NetworkAnalyzer;
    }

    /**
     * Figures need the document linked (elaborating earlier would fix its references as errors): server/main.ts
     * registers the outline request to wait for the linker before it calls this.
     */
    getSymbols(document: LangiumDocument): DocumentSymbol[] {
        return this.childSymbols(document.parseResult.value);
    }

    private childSymbols(node: AstNode): DocumentSymbol[] {
        const symbols: DocumentSymbol[] = [];
        for (const child of AstUtils.streamContents(node)) {
            const symbol = this.symbolOf(child);
            if (symbol) {
                symbol.children = this.childSymbols(child);
                symbols.push(symbol);
            } else {
                appendAll(symbols, this.childSymbols(child));
            }
        }
        return symbols;
    }

    private symbolOf(node: AstNode): DocumentSymbol | undefined {
        const range = node.$cstNode?.range;
        if (!range) return undefined;
        const make = (name: string | undefined, kind: SymbolKind, detail: string | undefined, property: string): DocumentSymbol | undefined => {
            if (!name) return undefined;
            const nameNode = GrammarUtils.findNodeForProperty(node.$cstNode, property) ?? node.$cstNode!;
            return { name, kind, detail, range, selectionRange: nameNode.range };
        };
        if (isNetwork(node)) {
            const t = node.name ? this.analyzer.analyze(node).graph.totals : undefined;
            return make(node.name, SymbolKind.Module, t && `${humanCount(t.params)} params · ${humanCount(t.macs)} MACs`, 'name');
        }
        if (isBlock(node)) return make(node.name, SymbolKind.Class, `block(${node.params.map(p => p.name).join(', ')})`, 'name');
        if (isParam(node)) return make(node.name, node.shape ? SymbolKind.Variable : SymbolKind.TypeParameter, this.tensorShapes(node) ?? node.type, 'name');
        if (isTensorDecl(node)) return make(node.name, SymbolKind.Variable, this.tensorShapes(node), 'name');
        if (isOutput(node) && node.name) return make(node.name, SymbolKind.Property, undefined, 'name');
        if (isParamDecl(node)) return make(node.name, SymbolKind.Field, this.layerShapes(node, undefined), 'name');
        if (isOutput(node) && node.computed) return make(node.computed.$cstNode?.text, SymbolKind.Property, undefined, 'computed');
        if ((isStep(node) || isLabeledItem(node)) && (node.label !== undefined || node.computed)) {
            const target = isStep(node) ? node.target : node.value;
            const isList = isListExpr(target);
            // A computed label is shown as written (`"denselayer{i + 1}"`): it names one layer per iteration.
            const name = node.label ?? node.computed?.$cstNode?.text;
            return make(name, isList ? SymbolKind.Array : isCall(target) ? SymbolKind.Function : SymbolKind.Field, this.layerShapes(node, target), node.label !== undefined ? 'label' : 'computed');
        }
        return undefined;
    }

    private tensorShapes(decl: AstNode): string | undefined {
        const shapes = [...new Set(this.lookup.tensors(decl).map(t => formatShape(t.analysis.graph.tensors[t.tensor].shape)))];
        return shapes.length ? shapes.join(' | ') : undefined;
    }

    private layerShapes(labelled: AstNode, target: AstNode | undefined): string | undefined {
        const layers = this.lookup.layers(labelled);
        const shapes = layers.length
            ? layers.map(l => formatShape(l.analysis.graph.tensors[l.node.outputs[0]].shape))
            : (target ? this.lookup.modules(target) : []).map(({ analysis, module }) => {
                const last = analysis.graph.nodes[module.endNode - 1];
                return last ? formatShape(analysis.graph.tensors[last.outputs[0]].shape) : '';
            }).filter(s => s);
        const distinct = [...new Set(shapes)];
        return distinct.length ? distinct.join(' | ') : undefined;
    }
}
