/**
 * The importer's one kind of refusal: a model it cannot read, said in one sentence that names the node or tensor,
 * what is wrong and what to do. Anything else thrown out of the importer is a broken invariant of its own.
 */
import { quoted } from '../../language/util/quote.js';

export class OnnxImportError extends Error {}

/** What a message needs of a node. */
interface NodeRef {
    readonly index: number;
    readonly name: string;
    readonly opType: string;
}

/** `node #3 'layer1.conv' (Conv)`: how a message names a node (its name escaped, as any text from the model). */
export function describeNode(node: NodeRef): string {
    return `node #${node.index}${node.name ? ` ${quoted(node.name)}` : ''} (${quoted(node.opType).slice(1, -1)})`;
}

/** Refuses a node the language cannot say, with why: `node #3 'clip' (Clip): Clip to [0, 4] is neither relu …`. */
export function unsupported(node: NodeRef, reason: string): never {
    throw new OnnxImportError(`${describeNode(node)}: ${reason}`);
}
