/**
 * The parser: Langium's, with a syntax-tree builder that stays linear in the length of a body.
 *
 * Langium 4.4's CstNodeBuilder is asked, before every token, where to put the comments that precede it; when a
 * rule has just opened a node, it looks that node up among its parent's children with `indexOf`, from the front,
 * even when there are no comments to place. A node just opened is its parent's last child, so every statement
 * of a body cost a scan of all the statements before it: 100,000 `x = x -> relu` lines took 1.5 s of scanning
 * (10,000: 23 ms). Here the lookups go from the back, and a call with nothing to place returns at once.
 */
import { CstNodeBuilder, prepareLangiumParser, type CompositeCstNode, type CstNode, type LangiumCoreServices, type LangiumParser } from 'langium';

type Token = Parameters<CstNodeBuilder['addHiddenNodes']>[0][number];

export class LinearCstNodeBuilder extends CstNodeBuilder {
    /** Same placement as Langium's: before the innermost node that already has content, else at the very start. */
    override addHiddenNodes(tokens: Token[]): void {
        if (tokens.length === 0) return;
        const nodes: CstNode[] = tokens.map(token => this.createLeafNode(token, true));
        let current: CompositeCstNode = this.current;
        if (current.content.length > 0) {
            this.appendChildren(current, nodes);
            return;
        }
        while (current.container) {
            const index = current.container.content.lastIndexOf(current);
            if (index > 0) {
                this.insertChildren(current.container, index, nodes);
                return;
            }
            current = current.container;
        }
        this.insertChildren(current, 0, nodes); // the root: the comments open the file
    }

    /** The parser removes nodes it has just built (an empty rule, a node an infix rule re-parents): at the back. */
    override removeNode(node: CstNode): void {
        const content = node.container?.content as CstNode[] | undefined; // readonly to readers, not to the builder
        const index = content ? content.lastIndexOf(node) : -1;
        if (index >= 0) content!.splice(index, 1);
    }
}

export function createConvNetParser(services: LangiumCoreServices): LangiumParser {
    const parser = prepareLangiumParser(services);
    // The builder is a private field of LangiumParser with no service to replace it; it is only read while parsing.
    (parser as unknown as { nodeBuilder: CstNodeBuilder }).nodeBuilder = new LinearCstNodeBuilder();
    parser.finalize();
    return parser;
}
