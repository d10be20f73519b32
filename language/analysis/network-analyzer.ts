/**
 * Elaborates networks on demand and caches the result until any document of the workspace changes (a block
 * in an imported file may have changed). Every front end — validator, hovers, CLI — reads from here.
 */
import { AstUtils, DocumentState, WorkspaceCache, type LangiumSharedCoreServices } from 'langium';
import type { Network } from '../generated/ast.js';
import { elaborateNetwork, type Elaboration, type ElaborationDiagnostic } from '../elaboration/elaborator.js';
import { graphWarnings } from './graph-warnings.js';

export interface NetworkAnalysis extends Elaboration {
    /** The elaborator's diagnostics and the graph-level warnings. */
    readonly allDiagnostics: readonly ElaborationDiagnostic[];
}

export class NetworkAnalyzer {
    private readonly cache: WorkspaceCache<Network, NetworkAnalysis>;

    constructor(shared: LangiumSharedCoreServices) {
        this.cache = new WorkspaceCache(shared);
    }

    analyze(network: Network): NetworkAnalysis {
        const cached = this.cache.get(network);
        if (cached) return cached;
        const analysis = elaborate(network);
        // A network whose file is not linked yet (being rebuilt, or not yet reached by the workspace's build)
        // finds its own blocks unresolved. Cached, that analysis would outlive the build until the next edit
        // anywhere: a rebuilt file whose text is unchanged keeps its syntax tree, the cache's key.
        if (isLinked(network)) this.cache.set(network, analysis);
        return analysis;
    }
}

function elaborate(network: Network): NetworkAnalysis {
    const elaboration = elaborateNetwork(network);
    return { ...elaboration, allDiagnostics: [...elaboration.diagnostics, ...graphWarnings(elaboration)] };
}

/** Whether the network's references are linked: a document outside any workspace (a test's) counts as linked. */
export function isLinked(network: Network): boolean {
    const document = AstUtils.findRootNode(network).$document;
    return !document || document.state >= DocumentState.Linked;
}
