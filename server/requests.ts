/** Handlers of the custom requests in protocol.ts: the networks of a file, a network's graph and its summary. */
import { DocumentState, URI, type LangiumDocument } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import { ResponseError, type Connection } from 'vscode-languageserver';
import type { Network } from '../language/generated/ast.js';
import { networksOf } from '../language/analysis/layer-lookup.js';
import { summarizeNetwork, summaryFigures } from '../language/analysis/summary.js';
import { trainingMemory } from '../language/analysis/training-memory.js';
import type { NetworkAnalysis } from '../language/analysis/network-analyzer.js';
import type { ConvNetLspServices } from './services.js';
import { roofline } from '../language/analysis/roofline.js';
import { designInsights } from '../language/analysis/insights.js';
import { THIS_MACHINE } from '../language/analysis/devices.js';
import { symbolicSizes, symbolicSizesText } from '../language/analysis/symbolic-sizes.js';
import type { ConvNetHoverProvider } from './hover.js';
import { DeviceNotification, GraphRequest, NetworksRequest, SummaryRequest, type NetworkParams, type SummaryParams, type SummaryResult } from './protocol.js';

export function registerCustomRequests(connection: Connection, shared: LangiumSharedServices, services: ConvNetLspServices): void {
    const documentOf = async (uri: string): Promise<LangiumDocument | undefined> => {
        await shared.workspace.WorkspaceManager.ready;
        const parsed = URI.parse(uri);
        const documents = shared.workspace.LangiumDocuments;
        if (!documents.hasDocument(parsed)) return undefined;
        // This document's own state, not the workspace's: an update that is cancelled before it builds anything
        // (a watched file that is no .convnet changing, as an export writes one) leaves the workspace's state at
        // Changed until the next build, and a request waiting for it would wait that long (an editor test waited
        // 60 s). The document itself stays linked through such an update.
        try {
            await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Linked, parsed);
        } catch (e) {
            // Langium refuses when the workspace is built past Linked and the document is not: wait for the workspace.
            if (!(e instanceof ResponseError)) throw e;
            await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Linked);
        }
        return documents.getDocument(parsed);
    };

    const analysisOf = async (params: NetworkParams): Promise<{ analysis?: NetworkAnalysis; errors: string[] }> => {
        const document = await documentOf(params.uri);
        if (!document) return { errors: [`${params.uri} is not open in the ConvNet language server`] };
        const networks = networksOf(document);
        const network = pickNetwork(networks, params);
        if (!network) {
            return { errors: [params.network ? `no network named '${params.network}' (the file has ${networks.map(n => n.name).join(', ') || 'none'})` : 'this file declares no network'] };
        }
        const analysis = services.analysis.NetworkAnalyzer.analyze(network);
        const errors = analysis.allDiagnostics.filter(d => d.severity === 'error').map(d => d.message);
        return { analysis, errors };
    };

    connection.onRequest(NetworksRequest, async ({ uri }) => {
        const document = await documentOf(uri);
        return { networks: document ? networksOf(document).map(n => ({ name: n.name, line: n.$cstNode?.range.start.line ?? 0 })) : [] };
    });
    connection.onRequest(GraphRequest, async params => {
        const { analysis, errors } = await analysisOf(params);
        return errors.length || !analysis ? { errors } : { graph: analysis.graph, errors };
    });
    connection.onRequest(SummaryRequest, async params => {
        const { analysis, errors } = await analysisOf(params);
        if (errors.length || !analysis) return { errors };
        const training = params.training && (({ layers: _layers, ...totals }) => totals)(trainingMemory(analysis.graph, params.training));
        const model = params.device && roofline(analysis.graph, params.device, { precision: params.figures?.precision });
        const insights = params.device && model ? designInsights(analysis.graph, params.device, { roofline: model }) : undefined;
        return {
            summary: summarizeNetwork(analysis.graph), ...(training ? { training } : {}), ...(model ? { roofline: model, insights } : {}),
            ...(params.figures ? figuresOf(analysis, params.figures) : {}), errors,
        };
    });
    // The hovers' predicted times follow the client's device setting.
    connection.onNotification(DeviceNotification, ({ device }) => {
        (services.lsp.HoverProvider as ConvNetHoverProvider | undefined)?.setDevice(device);
        // The web extension's server has no file of this machine's profile: the client's is the one it knows.
        if (device && device.id === THIS_MACHINE) services.analysis.Devices.setThisMachine(device);
    });
}

/** The Summary view's convention, precision and size formulas (what `summary --convention --precision` and `--sizes` print). */
function figuresOf(analysis: NetworkAnalysis, figures: NonNullable<SummaryParams['figures']>): Pick<SummaryResult, 'figures' | 'sizes'> {
    // Cached per elaboration: a refresh without an edit elaborates nothing again.
    const sizes = symbolicSizes(analysis);
    return { figures: summaryFigures(analysis.graph, figures.convention, figures.precision), ...(sizes ? { sizes: symbolicSizesText(sizes) } : {}) };
}

/** The named network, else the one around `position`, else the first. */
function pickNetwork(networks: Network[], params: NetworkParams): Network | undefined {
    if (params.network) return networks.find(n => n.name === params.network);
    if (params.position) {
        const line = params.position.line;
        const around = networks.find(n => n.$cstNode && n.$cstNode.range.start.line <= line && line <= n.$cstNode.range.end.line);
        if (around) return around;
    }
    return networks[0];
}
