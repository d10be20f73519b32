/**
 * Which names a reference can see. Statements read top to bottom, as in Python: a name refers to the latest
 * assignment before it (`x = x -> conv(…)` reads the previous `x`), then to loop variables, then to the
 * block's or network's parameters, then to the blocks of this file, of the files it imports, and the built-in ops.
 *
 * Lookups are by name through per-body indexes, so a 10,000-statement network links in linear time.
 */
import {
    AstUtils, DefaultScopeProvider, EMPTY_SCOPE, stream, type AstNode, type AstNodeDescription, type ReferenceInfo, type Scope, type Stream,
} from 'langium';
import {
    isAssignment, isBlock, isBody, isForItem, isModel, isNetwork, isParam, type Body, type Model, type Param, type TensorDecl,
} from './generated/ast.js';
import { BUILTIN_LIBRARY_URI } from './builtin-library.js';
import { importedUris } from './imports.js';

type Named = AstNode & { name: string };

/** For each name assigned in a body, the statements (by index, ascending) that assign it. */
type BodyIndex = Map<string, { statement: number; decl: TensorDecl }[]>;

export class ConvNetScopeProvider extends DefaultScopeProvider {
    private readonly bodyIndexes = new WeakMap<Body, BodyIndex>();

    override getScope(context: ReferenceInfo): Scope {
        const outer = this.importScope(context.container);
        return new LocalScope(context.container, this, outer);
    }

    describe(node: AstNode): AstNodeDescription {
        return this.descriptions.createDescription(node, (node as Named).name);
    }

    bodyIndex(body: Body): BodyIndex {
        let index = this.bodyIndexes.get(body);
        if (!index) {
            index = new Map();
            body.statements.forEach((statement, i) => {
                if (!isAssignment(statement)) return;
                for (const decl of statement.targets) {
                    if (!decl.name) continue;
                    const list = index!.get(decl.name) ?? [];
                    list.push({ statement: i, decl });
                    index!.set(decl.name, list);
                }
            });
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

    getAllElements(): Stream<AstNodeDescription> {
        const seen = new Set<string>();
        const locals = this.visible().filter(node => !seen.has((node as Named).name) && seen.add((node as Named).name));
        return stream(locals.map(node => this.provider.describe(node))).concat(this.outer.getAllElements().filter(d => !seen.has(d.name)));
    }

    private find(name: string): AstNode | undefined {
        let child: AstNode = this.from;
        for (let node = this.from.$container; node; child = node, node = node.$container) {
            if (isForItem(node) && child === node.body) {
                const loopVar = [...node.vars].reverse().find(v => v.name === name);
                if (loopVar) return loopVar;
            } else if (isBody(node)) {
                const assigned = this.provider.bodyIndex(node).get(name);
                const latest = assigned && latestBefore(assigned, child.$containerIndex ?? -1);
                if (latest) return latest.decl;
            } else if (isBlock(node) || isNetwork(node)) {
                const param = visibleParams(node, child).find(p => p.name === name);
                if (param) return param;
            }
        }
        return undefined;
    }

    private visible(): AstNode[] {
        const result: AstNode[] = [];
        let child: AstNode = this.from;
        for (let node = this.from.$container; node; child = node, node = node.$container) {
            if (isForItem(node) && child === node.body) {
                result.push(...[...node.vars].reverse());
            } else if (isBody(node)) {
                const before = child.$containerIndex ?? -1;
                for (let i = before - 1; i >= 0; i--) {
                    const statement = node.statements[i];
                    if (isAssignment(statement)) result.push(...[...statement.targets].reverse());
                }
            } else if (isBlock(node) || isNetwork(node)) {
                result.push(...visibleParams(node, child));
            }
        }
        return result;
    }
}

/**
 * The last assignment before statement `before`, by binary search: `x = x -> relu` written 100,000 times looks up
 * `x` 100,000 times in a list of 100,000 assignments, and a scan from the end made linking quadratic.
 */
function latestBefore<T extends { statement: number }>(assigned: readonly T[], before: number): T | undefined {
    let low = 0;
    let high = assigned.length; // the answer is assigned[low - 1] once low === high
    while (low < high) {
        const middle = (low + high) >>> 1;
        if (assigned[middle].statement < before) low = middle + 1;
        else high = middle;
    }
    return low > 0 ? assigned[low - 1] : undefined;
}

/** A parameter's default or shape may use the parameters before it; the body sees them all. Latest first. */
function visibleParams(owner: AstNode, child: AstNode): Param[] {
    const params: Param[] = isBlock(owner) ? [...owner.params, ...owner.inputs] : isNetwork(owner) ? [...owner.params] : [];
    const limit = isParam(child) ? params.indexOf(child) : params.length;
    return params.slice(0, limit).reverse();
}
