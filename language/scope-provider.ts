/**
 * Which names a reference can see. Statements read top to bottom, as in Python: a name refers to the latest
 * assignment before it (`x = x -> conv(…)` reads the previous `x`), then to loop variables, then to the
 * block's or network's parameters, then to the blocks of this file, of the files it imports, and the built-in ops.
 *
 * Lookups are by name through per-body indexes, so a 10,000-statement network links in linear time, and listing
 * what is visible (completion, "did you mean") is lazy, nearest first, and reads each name once.
 */
import {
    AstUtils, DefaultScopeProvider, DocumentState, EMPTY_SCOPE, stream,
    type AstNode, type AstNodeDescription, type LangiumCoreServices, type ReferenceInfo, type Scope, type ScopeProvider, type Stream,
} from 'langium';
import {
    isAssignment, isBlock, isBody, isForItem, isModel, isNetwork, isParam, isParamDecl, type Body, type Model, type Param, type ParamDecl, type TensorDecl,
} from './generated/ast.js';
import { BUILTIN_LIBRARY_URI } from './builtin-library.js';
import { importedUris } from './imports.js';

type Named = AstNode & { name: string };

interface BodyIndex {
    /** For each name assigned (or declared with `param`) in the body, the statements (by index, ascending) that assign it. */
    readonly assignments: Map<string, { statement: number; decl: TensorDecl | ParamDecl }[]>;
    /** Each name once, in the order of its first assignment. */
    readonly names: readonly { readonly name: string; readonly statement: number }[];
}

export class ConvNetScopeProvider extends DefaultScopeProvider {
    private readonly bodyIndexes = new WeakMap<Body, BodyIndex>();

    constructor(services: LangiumCoreServices) {
        super(services);
        // The cached scopes are read from the index, so a file indexed since makes them stale. Langium clears them
        // when a build starts; the language server builds the open files first and the rest after
        // (server/open-first-builder.ts), and a reference read in between (a check on the open file looking at a
        // file not yet indexed) would keep that file's imports empty for the rest of the build.
        services.shared.workspace.DocumentBuilder.onDocumentPhase(DocumentState.IndexedContent, () => this.globalScopeCache.clear());
    }

    override getScope(context: ReferenceInfo): Scope {
        const outer = this.importScope(context.container);
        return new LocalScope(context.container, this, outer);
    }

    /**
     * Names a misspelt reference may have meant, for "did you mean": at most MAX_LOCAL_CANDIDATES local names
     * (nearest first), then the blocks, ops and functions in scope. Names only: describing every candidate cost
     * more than comparing it, and the cap keeps room for the ops however many tensors a body names.
     */
    *candidateNames(context: ReferenceInfo): Generator<string> {
        const scope = new LocalScope(context.container, this, this.importScope(context.container));
        yield* scope.names(MAX_LOCAL_CANDIDATES);
    }

    describe(node: AstNode): AstNodeDescription {
        return this.descriptions.createDescription(node, (node as Named).name);
    }

    bodyIndex(body: Body): BodyIndex {
        let index = this.bodyIndexes.get(body);
        if (!index) {
            const assignments: BodyIndex['assignments'] = new Map();
            const names: { name: string; statement: number }[] = [];
            body.statements.forEach((statement, i) => {
                const decls = isAssignment(statement) ? statement.targets : isParamDecl(statement) ? [statement] : [];
                for (const decl of decls) {
                    if (!decl.name) continue;
                    const list = assignments.get(decl.name);
                    if (list) {
                        list.push({ statement: i, decl });
                    } else {
                        assignments.set(decl.name, [{ statement: i, decl }]);
                        names.push({ name: decl.name, statement: i });
                    }
                }
            });
            index = { assignments, names };
            this.bodyIndexes.set(body, index);
        }
        return index;
    }

    /** This file's declarations, then each imported file's, then the built-in library (cached until any file changes). */
    protected importScope(node: AstNode): Scope {
        const document = AstUtils.getDocument(node);
        return this.globalScopeCache.get(`imports:${document.uri.toString()}`, () => {
            const root = document.parseResult.value;
            if (!isModel(root)) return EMPTY_SCOPE;
            const layers = [[document.uri.toString()], importedUris(root as Model, document.uri).map(u => u.toString()), [BUILTIN_LIBRARY_URI.toString()]];
            let scope: Scope = EMPTY_SCOPE;
            for (const uris of layers.reverse()) {
                const elements = this.indexManager.allElements(undefined, new Set(uris)).filter(d => d.type !== 'Network').toArray();
                scope = this.createScope(elements, scope);
            }
            return scope;
        });
    }
}

/** Local names offered as suggestions for one unknown name (see candidateNames). */
const MAX_LOCAL_CANDIDATES = 250;

/** Candidates for "did you mean" from any scope provider: ours lists names only, and few (see candidateNames). */
export function suggestionCandidates(scopes: ScopeProvider, context: ReferenceInfo): Iterable<string> {
    return scopes instanceof ConvNetScopeProvider ? scopes.candidateNames(context) : scopes.getScope(context).getAllElements().map(d => d.name).distinct();
}

/** Local declarations visible from a node, searched innermost and latest first. */
class LocalScope implements Scope {
    constructor(private readonly from: AstNode, private readonly provider: ConvNetScopeProvider, private readonly outer: Scope) {}

    getElement(name: string): AstNodeDescription | undefined {
        const local = this.find(name);
        return local ? this.provider.describe(local) : this.outer.getElement(name);
    }

    getElements(name: string): Stream<AstNodeDescription> {
        const local = this.getElement(name);
        return local ? stream([local]) : this.outer.getElements(name);
    }

    /**
     * Lazy: a suggestion for an unknown name reads a few hundred candidates (language/util/suggest.ts), and listing
     * every name of a 10,000-statement body for each of 10,000 unknown names was quadratic.
     */
    getAllElements(): Stream<AstNodeDescription> {
        return stream({ [Symbol.iterator]: () => this.allElements() });
    }

    /** Distinct visible names, at most `localLimit` of them local, then the outer scope's. */
    *names(localLimit: number): Generator<string> {
        const seen = new Set<string>();
        for (const node of this.visible()) {
            if (seen.size >= localLimit) break;
            seen.add((node as Named).name);
        }
        yield* seen;
        for (const description of this.outer.getAllElements()) if (!seen.has(description.name)) yield description.name;
    }

    private *allElements(): Generator<AstNodeDescription> {
        const seen = new Set<string>();
        for (const node of this.visible()) {
            const name = (node as Named).name;
            if (seen.has(name)) continue;
            seen.add(name);
            yield this.provider.describe(node);
        }
        for (const description of this.outer.getAllElements()) if (!seen.has(description.name)) yield description;
    }

    private find(name: string): AstNode | undefined {
        let child: AstNode = this.from;
        for (let node = this.from.$container; node; child = node, node = node.$container) {
            if (isForItem(node) && child === node.body) {
                const loopVar = [...node.vars].reverse().find(v => v.name === name);
                if (loopVar) return loopVar;
            } else if (isBody(node)) {
                const assigned = this.provider.bodyIndex(node).assignments.get(name);
                const latest = assigned && latestBefore(assigned, child.$containerIndex ?? -1);
                if (latest) return latest.decl;
            } else if (isBlock(node) || isNetwork(node)) {
                const param = visibleParams(node, child).find(p => p.name === name);
                if (param) return param;
            }
        }
        return undefined;
    }

    /**
     * What `from` can see, innermost first: loop variables, then each name assigned before it in a body (the latest
     * assignment; names first assigned latest come first), then parameters. A body yields each name once, from
     * its index, however many times the name is reassigned.
     */
    private *visible(): Generator<AstNode> {
        let child: AstNode = this.from;
        for (let node = this.from.$container; node; child = node, node = node.$container) {
            if (isForItem(node) && child === node.body) {
                yield* [...node.vars].reverse();
            } else if (isBody(node)) {
                const before = child.$containerIndex ?? -1;
                const { assignments, names } = this.provider.bodyIndex(node);
                for (let i = firstAtOrAfter(names, before) - 1; i >= 0; i--) {
                    yield latestBefore(assignments.get(names[i].name)!, before)!.decl;
                }
            } else if (isBlock(node) || isNetwork(node)) {
                yield* visibleParams(node, child);
            }
        }
    }
}

/**
 * The last assignment before statement `before`, by binary search: `x = x -> relu` written 100,000 times looks up
 * `x` 100,000 times in a list of 100,000 assignments, and a scan from the end made linking quadratic.
 */
function latestBefore<T extends { statement: number }>(assigned: readonly T[], before: number): T | undefined {
    const count = firstAtOrAfter(assigned, before);
    return count > 0 ? assigned[count - 1] : undefined;
}

/** The index of the first item at statement `statement` or later (items ascending by statement). */
function firstAtOrAfter(items: readonly { readonly statement: number }[], statement: number): number {
    let low = 0;
    let high = items.length;
    while (low < high) {
        const middle = (low + high) >>> 1;
        if (items[middle].statement < statement) low = middle + 1;
        else high = middle;
    }
    return low;
}

/**
 * A parameter's default or shape may use the parameters before it; the body sees them all. Latest first. A network
 * input's shape also sees the value parameters after it, its size variables, as torchinfo writes the input first:
 * `network N(input: [1, 3, H, W], H: int = 224, W: int = 224)`.
 */
function visibleParams(owner: AstNode, child: AstNode): Param[] {
    const params: Param[] = isBlock(owner) ? [...owner.params, ...owner.inputs] : isNetwork(owner) ? [...owner.params] : [];
    const limit = isParam(child) ? params.indexOf(child) : params.length;
    const before = params.slice(0, limit).reverse();
    if (!isNetwork(owner) || !isParam(child) || !child.shape) return before;
    return [...before, ...params.slice(limit + 1).filter(p => !p.shape && p.type !== 'tensor')];
}
