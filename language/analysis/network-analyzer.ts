/**
 * Elaborates networks on demand and caches the result until any document of the workspace changes (a block
 * in an imported file may have changed). Every front end — validator, hovers, CLI — reads from here.
 */
import { WorkspaceCache, type LangiumSharedCoreServices } from 'langium';
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
        return this.cache.get(network, () => {
            const elaboration = elaborateNetwork(network);
            return { ...elaboration, allDiagnostics: [...elaboration.diagnostics, ...graphWarnings(elaboration)] };
        });
    }
}
