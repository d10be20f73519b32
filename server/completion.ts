/**
 * Completion: ops with their required arguments as a snippet, blocks, tensors and parameters in scope (from the
 * scope provider), attribute names inside an op call, allowed values of a string attribute, and import paths.
 */
import { AstUtils, GrammarAST, UriUtils, type AstNode, type AstNodeDescription, type MaybePromise, type ReferenceInfo } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type CompletionValueItem, type NextFeature } from 'langium/lsp';
import { CompletionItemKind, InsertTextFormat } from 'vscode-languageserver';
import { isBlock, isCall, isOpDecl, type Call } from '../language/generated/ast.js';
import { findOp } from '../language/ops/registry.js';
import type { OpSpec } from '../language/ops/types.js';
import { BUILTIN_FUNCTIONS } from '../language/elaboration/functions.js';
import { isBuiltinDocument } from '../language/builtin-library.js';
import type { ConvNetLspServices } from './services.js';

/** `conv(${1:channels}, kernel: ${2:3})`: the arguments an op cannot do without. */
export function opSnippet(spec: OpSpec, written: string): string {
    const required = spec.attrs.filter(a => a.default === undefined && !a.optional);
    if (required.length === 0) return written;
    const parts = required.map((attr, i) => {
        const position = spec.attrs.indexOf(attr);
        const placeholder = `\${${i + 1}:${attr.name}}`;
        return position < spec.positional && spec.attrs.slice(0, position).every(a => required.includes(a)) ? placeholder : `${attr.name}: ${placeholder}`;
    });
    return `${written}(${parts.join(', ')})`;
}

export class ConvNetCompletionProvider extends DefaultCompletionProvider {
    private readonly documents;
    /** Contexts whose attribute values were already offered (completionFor runs once per expected feature). */
    private readonly valuesOffered = new WeakSet<CompletionContext>();

    constructor(services: ConvNetLspServices) {
        super(services);
        this.documents = services.shared.workspace.LangiumDocuments;
    }

    protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
        const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
        const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
        if (assignment?.feature === 'name' && rule?.name === 'Argument') {
            this.completeAttributeNames(context, acceptor);
            return;
        }
        if (assignment?.feature === 'path' && rule?.name === 'Import') {
            this.completeImportPaths(context, acceptor);
            return;
        }
        if (!this.valuesOffered.has(context)) {
            this.valuesOffered.add(context);
            this.completeAttributeValues(context, acceptor);
        }
        return super.completionFor(context, next, acceptor);
    }

    protected override createReferenceCompletionItem(description: AstNodeDescription, refInfo: ReferenceInfo, context: CompletionContext): CompletionValueItem {
        const item = super.createReferenceCompletionItem(description, refInfo, context);
        if (description.type === 'OpDecl') {
            const spec = findOp(description.name);
            if (spec) {
                const aliasOf = spec.name !== description.name ? ` (alias of ${spec.name})` : '';
                return {
                    ...item, kind: CompletionItemKind.Function, detail: `${spec.category}${aliasOf}`,
                    documentation: { kind: 'markdown', value: `${spec.summary}\n\n${spec.attrs.map(a => `- \`${a.name}\` — ${a.doc}`).join('\n')}` },
                    insertText: opSnippet(spec, description.name), insertTextFormat: InsertTextFormat.Snippet,
                    sortText: `2${description.name}`,
                };
            }
        }
        if (description.type === 'FunctionDecl') {
            const fn = BUILTIN_FUNCTIONS[description.name];
            return { ...item, kind: CompletionItemKind.Function, detail: fn?.signature, documentation: fn?.doc, sortText: `3${description.name}` };
        }
        if (description.type === 'Block') return { ...item, kind: CompletionItemKind.Class, detail: 'block', sortText: `1${description.name}` };
        return { ...item, kind: CompletionItemKind.Variable, detail: description.type === 'Param' ? 'parameter' : description.type === 'LoopVar' ? 'loop variable' : 'tensor', sortText: `0${description.name}` };
    }

    private enclosingOpCall(node: AstNode | undefined): { call: Call; spec: OpSpec } | undefined {
        // While typing, the half-written argument itself may parse as a call (`mode` in `upsample(2, mode: `).
        for (let call = isCall(node) ? node : AstUtils.getContainerOfType(node, isCall); call; call = AstUtils.getContainerOfType(call.$container, isCall)) {
            const target = call.target?.ref;
            const spec = isOpDecl(target) ? findOp(target.name) : undefined;
            if (spec) return { call, spec };
        }
        return undefined;
    }

    private completeAttributeNames(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const found = this.enclosingOpCall(context.node);
        if (!found) return;
        const given = new Set(found.call.arguments.map(a => a.name).filter(n => n));
        for (const attr of found.spec.attrs) {
            if (given.has(attr.name)) continue;
            acceptor(context, {
                label: `${attr.name}:`, insertText: `${attr.name}: `, kind: CompletionItemKind.Property,
                detail: attr.default !== undefined ? `default ${JSON.stringify(attr.default)}` : attr.optional ? 'optional' : 'required',
                documentation: attr.doc, sortText: `0${attr.name}`,
            });
        }
    }

    /** Right after `name:` inside an op call (the argument may not be parsed yet), the values the attribute allows. */
    private completeAttributeValues(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const found = this.enclosingOpCall(context.node);
        if (!found?.call.$cstNode) return;
        const before = context.textDocument.getText().slice(found.call.$cstNode.offset, context.tokenOffset);
        const name = /[(,]\s*([A-Za-z_]\w*)\s*:\s*$/.exec(before)?.[1];
        const attr = name ? found.spec.attrs.find(a => a.name === name || a.aliases?.includes(name)) : undefined;
        if (!attr) return;
        const values = attr.choices?.map(c => `"${c}"`) ?? (attr.type === 'bool' ? ['true', 'false'] : attr.type === 'padding' ? ['"same"', '"valid"'] : []);
        for (const value of values) {
            acceptor(context, { label: value, kind: CompletionItemKind.EnumMember, detail: attr.name, sortText: `0${value}` });
        }
    }

    private completeImportPaths(context: CompletionContext, acceptor: CompletionAcceptor): void {
        const here = context.document.uri;
        for (const document of this.documents.all) {
            if (document.uri.toString() === here.toString() || isBuiltinDocument(document.uri)) continue;
            const declaresBlocks = (document.parseResult.value as { declarations?: AstNode[] }).declarations?.some(isBlock);
            if (!declaresBlocks) continue;
            let relative = UriUtils.relative(UriUtils.dirname(here), document.uri);
            if (!relative.startsWith('.')) relative = `./${relative}`;
            acceptor(context, { label: `"${relative}"`, kind: CompletionItemKind.File, detail: 'blocks to import' });
        }
    }
}
