/**
 * Rename: Langium renames a declaration and its references; a block parameter is also written as an argument
 * name at the block's calls (`Down(planes: 8)`), which is not a reference, so those are renamed here too.
 */
import { AstUtils, CstUtils, GrammarUtils, type LangiumDocument, type LangiumDocuments } from 'langium';
import { DefaultRenameProvider } from 'langium/lsp';
import type { RenameParams, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { isBlock, isCall, isParam } from '../language/generated/ast.js';
import type { ConvNetLspServices } from './services.js';

export class ConvNetRenameProvider extends DefaultRenameProvider {
    private readonly documents: LangiumDocuments;

    constructor(services: ConvNetLspServices) {
        super(services);
        this.documents = services.shared.workspace.LangiumDocuments;
    }

    override async rename(document: LangiumDocument, params: RenameParams): Promise<WorkspaceEdit | undefined> {
        const edit = await super.rename(document, params);
        const root = document.parseResult.value.$cstNode;
        const leaf = root ? CstUtils.findDeclarationNodeAtOffset(root, document.textDocument.offsetAt(params.position), this.grammarConfig.nameRegexp) : undefined;
        const param = leaf ? this.references.findDeclarations(leaf)[0] : undefined;
        const block = isParam(param) ? param.$container : undefined;
        if (!edit || !isParam(param) || !isBlock(block) || !block.params.includes(param)) return edit;
        const changes = (edit.changes ??= {});
        for (const doc of this.documents.all) {
            for (const call of AstUtils.streamAst(doc.parseResult.value).filter(isCall)) {
                if (call.target?.ref !== block) continue;
                for (const argument of call.arguments) {
                    const nameNode = argument.name === param.name ? GrammarUtils.findNodeForProperty(argument.$cstNode, 'name') : undefined;
                    if (!nameNode) continue;
                    const uri = doc.uri.toString();
                    (changes[uri] ??= [] as TextEdit[]).push({ range: nameNode.range, newText: params.newName });
                }
            }
        }
        return edit;
    }
}
