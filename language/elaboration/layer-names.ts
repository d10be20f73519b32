/** The hierarchical (state_dict-style) names of layers: labels, list positions and display names. */
import type { AstNode } from 'langium';
import type { Context } from './context.js';
import type { ElaborationDiagnostics } from './diagnostics.js';

export class LayerNames {
    private readonly autoNames = new Set<string>();

    constructor(private readonly diagnostics: ElaborationDiagnostics) {}

    /** Auto names (`relu`, `relu_1`, …) are for display; only labels and list positions reach state_dict keys you write. */
    auto(ctx: Context, base: string): string {
        let suffix = ctx.nextSuffix.get(base) ?? 0;
        let candidate = suffix === 0 ? base : `${base}_${suffix}`;
        while (ctx.usedNames.has(candidate)) candidate = `${base}_${++suffix}`;
        ctx.nextSuffix.set(base, suffix + 1);
        ctx.usedNames.set(candidate, undefined);
        const full = ctx.prefix ? `${ctx.prefix}.${candidate}` : candidate;
        this.autoNames.add(full);
        return full;
    }

    isAuto(name: string): boolean {
        return this.autoNames.has(name);
    }

    /**
     * A label or list position as a layer's name, or undefined (reported) when another layer of the scope has it — or
     * the same label had it in an earlier iteration of a loop.
     */
    claim(ctx: Context, label: string, node: AstNode, property = 'label'): string | undefined {
        const full = ctx.prefix ? `${ctx.prefix}.${label}` : label;
        if (ctx.usedNames.has(label)) {
            const previous = ctx.usedNames.get(label);
            const line = (n: AstNode) => (n.$cstNode?.range.start.line ?? 0) + 1;
            const advice = property === 'computed' ? '' : ' (compute it from the loop variable: "name{i}")';
            const message = previous === node
                ? `this label gives the layer name '${full}' in two iterations of its loop; state_dict keys would collide${advice}`
                : `the layer name '${full}' is used twice${previous ? ` (also used at line ${line(previous)})` : ''}; state_dict keys would collide`;
            return this.diagnostics.error(message, node, ctx, { property });
        }
        ctx.usedNames.set(label, node);
        return full;
    }
}
