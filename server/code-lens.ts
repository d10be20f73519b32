/**
 * Code lenses above each network and block: params · MACs · peak activation memory, and for networks the
 * Run / Summary / Graph actions (commands the extension registers, with the file URI and network name).
 */
import { AstUtils, type LangiumDocument } from 'langium';
import type { CodeLensProvider } from 'langium/lsp';
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import { isBlock, isCall, isNetwork, type Model } from '../language/generated/ast.js';
import type { LayerLookup } from '../language/analysis/layer-lookup.js';
import type { NetworkAnalyzer } from '../language/analysis/network-analyzer.js';
import type { ConvNetLspServices } from './services.js';
import type { ViewRefresh } from './view-refresh.js';
import { Commands } from './protocol.js';
import { formatBytes, humanCount, rangeTotals } from './figures.js';

export class ConvNetCodeLensProvider implements CodeLensProvider {
    private readonly analyzer: NetworkAnalyzer;
    private readonly lookup: LayerLookup;
    private readonly refresh: ViewRefresh;

    constructor(services: ConvNetLspServices) {
        this.analyzer = services.analysis.NetworkAnalyzer;
        this.lookup = services.analysis.LayerLookup;
        this.refresh = services.editor.ViewRefresh;
    }

    provideCodeLens(document: LangiumDocument, _params: CodeLensParams): Promise<CodeLens[]> {
        return this.refresh.answer(document, () => this.lensesOf(document), () => this.lookup.complete);
    }

    private lensesOf(document: LangiumDocument): CodeLens[] {
        const model = document.parseResult.value as Model;
        const lenses: CodeLens[] = [];
        const uri = document.uri.toString();
        for (const declaration of model.declarations ?? []) {
            const range = declaration.$cstNode?.range;
            if (!range || !declaration.name) continue;
            const at = { start: range.start, end: range.start };
            if (isNetwork(declaration)) {
                const { graph, allDiagnostics } = this.analyzer.analyze(declaration);
                const errors = allDiagnostics.filter(d => d.severity === 'error').length;
                const t = graph.totals;
                const title = errors
                    ? `${errors} error${errors === 1 ? '' : 's'}: figures incomplete`
                    : `${humanCount(t.params)} params · ${humanCount(t.macs)} MACs · peak ${formatBytes(t.peakMemory)}`;
                lenses.push({ range: at, command: { title, command: '' } });
                const args = [uri, declaration.name];
                lenses.push({ range: at, command: { title: '▶ Run', command: Commands.runModel, arguments: args } });
                lenses.push({ range: at, command: { title: 'Summary', command: Commands.showSummary, arguments: args } });
                lenses.push({ range: at, command: { title: 'Graph', command: Commands.showGraph, arguments: args } });
            } else if (isBlock(declaration)) {
                const calls = AstUtils.streamAst(model).filter(isCall).filter(c => c.target?.ref === declaration).toArray();
                const instances = calls.flatMap(c => this.lookup.modules(c));
                if (instances.length === 0) continue;
                const first = instances[0];
                const totals = rangeTotals(first.analysis.graph, first.module.firstNode, first.module.endNode);
                const title = `${instances.length} instance${instances.length === 1 ? '' : 's'} · ${first.module.name}: ${humanCount(totals.params)} params · ${humanCount(totals.macs)} MACs`;
                lenses.push({ range: at, command: { title, command: '' } });
            }
        }
        return lenses;
    }
}
