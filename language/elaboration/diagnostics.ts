/** What elaboration reports: every problem as a diagnostic on the exact piece of source that caused it. */
import type { AstNode } from 'langium';
import type { Call } from '../generated/ast.js';
import type { DiagnosticCode } from '../ops/types.js';
import type { Context } from './context.js';
import type { SourceLocation } from './graph.js';

export interface ElaborationDiagnostic {
    readonly severity: 'error' | 'warning';
    readonly message: string;
    /** Where the problem is; may lie in an imported file (then `trace` leads to it from this network). */
    readonly node: AstNode;
    readonly property?: string;
    readonly index?: number;
    readonly code?: DiagnosticCode;
    /** Figures for a quick fix (see OpIssue.data). */
    readonly data?: Readonly<Record<string, unknown>>;
    /** Where the shapes involved came from. */
    readonly related?: readonly { readonly location: SourceLocation; readonly message: string }[];
    /** Block calls from the network down to the block whose body holds `node`. */
    readonly trace: readonly Call[];
}

/** The diagnostics of one elaboration, in the order they were found. */
export class ElaborationDiagnostics {
    readonly list: ElaborationDiagnostic[] = [];

    report(severity: 'error' | 'warning', message: string, node: AstNode, ctx: Pick<Context, 'trace'>, where: Pick<ElaborationDiagnostic, 'property' | 'index' | 'code' | 'data' | 'related'> = {}): void {
        this.list.push({ severity, message, node, trace: ctx.trace, ...where });
    }

    /** Reports an error and gives `undefined`, so that a failed evaluation can `return` it. */
    error(message: string, node: AstNode, ctx: Pick<Context, 'trace'>, where: { property?: string; index?: number; code?: DiagnosticCode } = {}): undefined {
        this.report('error', message, node, ctx, where);
        return undefined;
    }
}
