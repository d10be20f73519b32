/**
 * Finding what a name in the text declares or refers to, without the nodes parser recovery leaves behind: after a
 * syntax error the concrete syntax tree can keep a leaf whose node was dropped from the tree (seen: a named argument
 * in a garbled line), and such a node has no document. Go to definition, references, highlights and rename
 * would fail on it with "AST node has no document"; for them it simply declares nothing.
 */
import { AstUtils, DefaultReferences, type AstNode, type CstNode } from 'langium';

function inDocument(node: AstNode): boolean {
    return AstUtils.findRootNode(node).$document !== undefined;
}

export class ConvNetReferences extends DefaultReferences {
    override findDeclarations(sourceCstNode: CstNode): AstNode[] {
        return super.findDeclarations(sourceCstNode).filter(inDocument);
    }
}
