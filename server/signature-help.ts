/** Signature help inside an op or block call: its parameters with defaults and docs, the current one highlighted. */
import { AstUtils, CstUtils, type LangiumDocument, type MaybePromise } from 'langium';
import type { SignatureHelpProvider } from 'langium/lsp';
import type { SignatureHelp, SignatureHelpOptions, SignatureHelpParams, SignatureInformation } from 'vscode-languageserver';
import { isBlock, isCall, isOpDecl, type Call } from '../language/generated/ast.js';
import { findOp } from '../language/ops/registry.js';
import { formatValue } from '../language/ops/shape-utils.js';

export class ConvNetSignatureHelpProvider implements SignatureHelpProvider {
    get signatureHelpOptions(): SignatureHelpOptions {
        return { triggerCharacters: ['(', ','], retriggerCharacters: [','] };
    }

    provideSignatureHelp(document: LangiumDocument, params: SignatureHelpParams): MaybePromise<SignatureHelp | undefined> {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const offset = document.textDocument.offsetAt(params.position);
        const leaf = CstUtils.findLeafNodeBeforeOffset(root, offset);
        let call: Call | undefined = leaf ? (isCall(leaf.astNode) ? leaf.astNode : AstUtils.getContainerOfType(leaf.astNode, isCall)) : undefined;
        // The innermost call whose parentheses contain the cursor.
        while (call && !this.insideParentheses(call, offset)) call = AstUtils.getContainerOfType(call.$container, isCall);
        if (!call) return undefined;
        const signature = this.signatureOf(call);
        if (!signature) return undefined;
        const text = document.textDocument.getText();
        const open = text.indexOf('(', call.target.$refNode?.end ?? call.$cstNode!.offset);
        const activeParameter = topLevelCommas(text.slice(open + 1, offset));
        const named = call.arguments.find(a => a.$cstNode && a.$cstNode.offset <= offset && offset <= a.$cstNode.end)?.name;
        const namedIndex = named ? signature.parameters!.findIndex(p => String(p.label).startsWith(`${named}`)) : -1;
        return { signatures: [signature], activeSignature: 0, activeParameter: namedIndex >= 0 ? namedIndex : activeParameter };
    }

    private insideParentheses(call: Call, offset: number): boolean {
        const cst = call.$cstNode;
        const nameEnd = call.target?.$refNode?.end;
        return !!cst && call.hasArguments && nameEnd !== undefined && offset > nameEnd && offset <= cst.end;
    }

    private signatureOf(call: Call): SignatureInformation | undefined {
        const target = call.target?.ref;
        if (isOpDecl(target)) {
            const spec = findOp(target.name);
            if (!spec) return undefined;
            const parameters = spec.attrs.map(a => ({
                label: `${a.name}${a.default !== undefined ? ` = ${formatValue(a.default)}` : a.optional ? '?' : ''}`,
                documentation: a.doc,
            }));
            return { label: `${call.target.$refText}(${parameters.map(p => p.label).join(', ')})`, documentation: spec.summary, parameters };
        }
        if (isBlock(target)) {
            const parameters = target.params.map(p => ({
                label: `${p.name}${p.type ? `: ${p.type}` : ''}${p.default?.$cstNode ? ` = ${p.default.$cstNode.text}` : ''}`,
                documentation: undefined,
            }));
            const inputs = target.inputs.map(i => i.name).join(', ');
            return { label: `${target.name}(${parameters.map(p => p.label).join(', ')})(${inputs})`, documentation: `block ${target.name}`, parameters };
        }
        return undefined;
    }
}

/** Commas at nesting depth 0 in a piece of argument text: the index of the argument being typed. */
function topLevelCommas(text: string): number {
    let depth = 0;
    let commas = 0;
    for (const ch of text) {
        if (ch === '(' || ch === '[' || ch === '{') depth++;
        else if (ch === ')' || ch === ']' || ch === '}') depth--;
        else if (ch === ',' && depth === 0) commas++;
    }
    return commas;
}
