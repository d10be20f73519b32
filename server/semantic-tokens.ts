/** Semantic colouring: ops as functions, blocks as classes, parameters, tensors, loop variables and layer labels. */
import type { AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenTypes } from 'vscode-languageserver';
import {
    isBlock, isCall, isFunctionDecl, isLabeledItem, isLoopVar, isMemberExpr, isNetwork, isOpDecl, isParam, isStep, isTensorDecl, isArgument, isOutput,
    isNumberLiteral, isStringLiteral,
} from '../language/generated/ast.js';

export class ConvNetSemanticTokenProvider extends AbstractSemanticTokenProvider {
    protected highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        if (isCall(node)) {
            const target = node.target?.ref;
            const type = isOpDecl(target) || isFunctionDecl(target) ? SemanticTokenTypes.function
                : isBlock(target) ? SemanticTokenTypes.class
                    : isParam(target) ? (target.shape ? SemanticTokenTypes.variable : SemanticTokenTypes.parameter)
                        : SemanticTokenTypes.variable;
            acceptor({ node, property: 'target', type, modifier: isOpDecl(target) || isFunctionDecl(target) ? ['defaultLibrary'] : [] });
        } else if (isBlock(node)) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.class, modifier: ['declaration'] });
        } else if (isNetwork(node)) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.namespace, modifier: ['declaration'] });
        } else if (isParam(node)) {
            acceptor({ node, property: 'name', type: node.shape ? SemanticTokenTypes.variable : SemanticTokenTypes.parameter, modifier: ['declaration'] });
            if (node.type) acceptor({ node, property: 'type', type: SemanticTokenTypes.type });
        } else if (isTensorDecl(node) || isLoopVar(node)) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: ['declaration'] });
        } else if ((isStep(node) || isLabeledItem(node)) && node.label) {
            acceptor({ node, property: 'label', type: SemanticTokenTypes.property, modifier: ['declaration'] });
        } else if (isOutput(node) && node.name) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.property, modifier: ['declaration'] });
        } else if (isArgument(node) && node.name) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.parameter });
        } else if (isMemberExpr(node)) {
            acceptor({ node, property: 'member', type: SemanticTokenTypes.property });
        } else if (isNumberLiteral(node)) {
            acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
        } else if (isStringLiteral(node)) {
            acceptor({ node, property: 'value', type: SemanticTokenTypes.string });
        }
    }
}
