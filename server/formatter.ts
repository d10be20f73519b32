/**
 * One canonical layout: two-space indentation inside braces and brackets, one blank line between declarations,
 * one space around `=`, `->` and binary operators, none inside parentheses, `name: value` with one space.
 * Where a person broke a chain before `->` or a list or call across lines, the break is kept (and re-indented);
 * formatting twice changes nothing.
 */
import type { AstNode } from 'langium';
import { AbstractFormatter, Formatting } from 'langium/lsp';
import {
    isArgument, isAssignment, isBinaryExpr, isBlock, isBody, isCall, isForItem, isIfExpr, isImport, isIndexExpr, isItemBody, isLabeledItem,
    isListExpr, isMemberExpr, isModel, isNetwork, isOutput, isParam, isPipeExpr, isRepeatItem, isReturn, isStep, isTupleExpr, isUnaryExpr,
} from '../language/generated/ast.js';

const oneSpace = Formatting.oneSpace();
const noSpace = Formatting.noSpace();
/** Keep a line break the author made (re-indented), else one space. */
const spaceOrBreak = Formatting.fit(Formatting.oneSpace(), Formatting.indent());
const noSpaceOrBreak = Formatting.fit(Formatting.noSpace(), Formatting.indent());
const noSpaceOrNewLine = Formatting.fit(Formatting.noSpace(), Formatting.newLine());

export class ConvNetFormatter extends AbstractFormatter {
    protected format(node: AstNode): void {
        const f = this.getNodeFormatter(node);
        if (isModel(node)) {
            const items = [...node.imports, ...node.declarations].sort((a, b) => (a.$cstNode?.offset ?? 0) - (b.$cstNode?.offset ?? 0));
            items.forEach((item, i) => {
                if (i === 0) return;
                const previousIsImport = isImport(items[i - 1]) && isImport(item);
                this.getNodeFormatter(item).node(item).prepend(previousIsImport ? Formatting.newLine() : Formatting.newLines(2));
            });
        } else if (isImport(node)) {
            f.keyword('import').append(oneSpace);
        } else if (isBlock(node) || isNetwork(node)) {
            f.keyword(isBlock(node) ? 'block' : 'network').append(oneSpace);
            f.keywords('(').prepend(noSpace).append(noSpaceOrBreak);
            f.keywords(')').prepend(noSpaceOrNewLine);
            f.keywords(',').prepend(noSpace).append(spaceOrBreak);
            f.property('body').prepend(oneSpace);
        } else if (isParam(node)) {
            f.keyword(':').prepend(noSpace).append(oneSpace);
            f.keyword('=').surround(oneSpace);
        } else if (isBody(node)) {
            const open = f.keyword('{');
            const close = f.keyword('}');
            f.interior(open, close).prepend(Formatting.indent());
            close.prepend(Formatting.newLine());
        } else if (isAssignment(node)) {
            f.keyword('=').surround(oneSpace);
            f.keywords(',').prepend(noSpace).append(oneSpace);
        } else if (isReturn(node)) {
            f.keyword('return').append(oneSpace);
            f.keywords(',').prepend(noSpace).append(oneSpace);
        } else if (isOutput(node) || isStep(node) || isLabeledItem(node) || isArgument(node)) {
            f.keyword(':').prepend(noSpace).append(oneSpace);
        } else if (isPipeExpr(node)) {
            f.keyword('->').prepend(spaceOrBreak).append(oneSpace);
        } else if (isCall(node)) {
            f.keyword('(').prepend(noSpace).append(noSpaceOrBreak);
            f.keyword(')').prepend(noSpaceOrNewLine);
            f.keywords(',').prepend(noSpace).append(spaceOrBreak);
        } else if (isListExpr(node) || isTupleExpr(node) || isItemBody(node)) {
            const [open, close] = isListExpr(node) ? ['[', ']'] : isTupleExpr(node) ? ['(', ')'] : ['{', '}'];
            f.keyword(open).append(noSpaceOrBreak);
            f.keyword(close).prepend(noSpaceOrNewLine);
            f.keywords(',').prepend(noSpace).append(spaceOrBreak);
        } else if (isForItem(node)) {
            f.keyword('for').append(oneSpace);
            f.keyword('in').surround(oneSpace);
            f.keyword(':').prepend(noSpace).append(oneSpace);
            f.keywords(',').prepend(noSpace).append(oneSpace);
        } else if (isRepeatItem(node)) {
            f.keyword('repeat').append(oneSpace);
            f.keyword(':').prepend(noSpace).append(oneSpace);
        } else if (isIfExpr(node)) {
            f.keyword('if').append(oneSpace);
            f.keyword('then').prepend(spaceOrBreak).append(oneSpace);
            f.keyword('else').prepend(spaceOrBreak).append(oneSpace);
        } else if (isBinaryExpr(node)) {
            f.property('operator').surround(oneSpace);
        } else if (isUnaryExpr(node)) {
            f.property('operator').append(node.operator === 'not' ? oneSpace : noSpace);
        } else if (isMemberExpr(node)) {
            f.keyword('.').surround(noSpace);
        } else if (isIndexExpr(node)) {
            f.keyword('[').surround(noSpace);
            f.keyword(']').prepend(noSpace);
        }
    }
}
