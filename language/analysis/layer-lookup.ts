/**
 * From a piece of source to the figures it produced. A layer written once in a block becomes one graph node per
 * instance of the block, in every network of the workspace that uses it; hovers, inlay hints and lenses ask
 * here for all of them. The index is rebuilt when any document changes.
 */
import { WorkspaceCache, type AstNode, type LangiumDocument, type LangiumSharedCoreServices } from 'langium';
import { isNetwork, type Model, type Network } from '../generated/ast.js';
import type { GraphModule, GraphNode } from '../elaboration/graph.js';
import { isLinked, type NetworkAnalysis, type NetworkAnalyzer } from './network-analyzer.js';

export interface LayerInstance {
    readonly analysis: NetworkAnalysis;
    readonly node: GraphNode;
}

export interface ModuleInstance {
    readonly analysis: NetworkAnalysis;
    readonly module: GraphModule;
}

export interface TensorInstance {
    readonly analysis: NetworkAnalysis;
    readonly tensor: number;
}

interface Index {
    readonly layers: Map<AstNode, LayerInstance[]>;
    readonly modules: Map<AstNode, ModuleInstance[]>;
    readonly tensors: Map<AstNode, TensorInstance[]>;
}

/** The index with the number of networks it was made from, and whether those were all of the workspace's. */
interface IndexEntry {
    readonly index: Index;
    readonly linked: number;
    readonly complete: boolean;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
}

export class LayerLookup {
    private readonly cache: WorkspaceCache<string, IndexEntry>;

    constructor(private readonly shared: LangiumSharedCoreServices, private readonly analyzer: () => NetworkAnalyzer) {
        this.cache = new WorkspaceCache(shared);
    }

    /** Graph nodes made by an op call (or the label in front of it). */
    layers(node: AstNode): LayerInstance[] {
        return this.index().layers.get(node) ?? [];
    }

    /** Block instances made by a block call, and lists made by a list. */
    modules(node: AstNode): ModuleInstance[] {
        return this.index().modules.get(node) ?? [];
    }

    /** Tensors held by an assignment target, a block input or a network input. */
    tensors(decl: AstNode): TensorInstance[] {
        return this.index().tensors.get(decl) ?? [];
    }

    analysis(network: Network): NetworkAnalysis {
        return this.analyzer().analyze(network);
    }

    /**
     * Whether the last lookup saw every network of the workspace: while a build is under way, the networks of
     * files not linked yet are left out (their blocks would not resolve), and the figures shown may grow.
     */
    get complete(): boolean {
        return this.lastComplete;
    }

    private lastComplete = true;

    private index(): Index {
        // While a build is under way the index is remade only when more networks are linked: files are linked one
        // after another until the build ends, and a lookup is made for every node a hint or lens looks at.
        const cached = this.cache.get('index');
        const linked = cached?.complete ? cached.linked : this.linkedNetworks().length;
        const current = cached && cached.linked === linked ? cached : this.buildIndex();
        if (current !== cached) this.cache.set('index', current);
        this.lastComplete = current.complete;
        return current.index;
    }

    private linkedNetworks(): Network[] {
        return this.shared.workspace.LangiumDocuments.all.flatMap(networksOf).filter(isLinked).toArray();
    }

    private buildIndex(): IndexEntry {
        const index: Index = { layers: new Map(), modules: new Map(), tensors: new Map() };
        const networks = this.shared.workspace.LangiumDocuments.all.flatMap(networksOf).toArray();
        const linked = networks.filter(isLinked);
        for (const network of linked) {
            const analysis = this.analyzer().analyze(network);
            analysis.origins.forEach((origin, i) => {
                const instance = { analysis, node: analysis.graph.nodes[i] };
                push(index.layers, origin.call, instance);
                if (origin.label) push(index.layers, origin.label, instance);
            });
            analysis.moduleOrigins.forEach((origin, i) => push(index.modules, origin, { analysis, module: analysis.graph.modules[i] }));
            for (const [decl, ids] of analysis.tensorOfDecl) {
                for (const tensor of ids) push(index.tensors, decl, { analysis, tensor });
            }
        }
        return { index, linked: linked.length, complete: linked.length === networks.length };
    }
}

export function networksOf(document: LangiumDocument): Network[] {
    const model = document.parseResult?.value as Model | undefined;
    return model?.declarations?.filter(isNetwork).filter(n => n.name) ?? [];
}
