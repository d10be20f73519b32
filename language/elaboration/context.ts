/** The scope an elaboration step runs in, shared by the files of `elaboration/`. */
import type { AstNode } from 'langium';
import type { Block, Call } from '../generated/ast.js';
import type { Value } from './values.js';

/** Raised to stop elaboration of a network outright (a size limit); never escapes `elaborateNetwork`. */
export class Abort extends Error {}

/** Bindings of one block instance (or the network): declaration node → value. */
export type Bindings = Map<AstNode, Value>;

/** Where new layers go: the lexical bindings, the hierarchical name prefix and the module they belong to. */
export interface Context {
    readonly bindings: Bindings;
    readonly prefix: string;
    readonly module: number;
    readonly usedNames: Map<string, AstNode | undefined>;
    /** Next free suffix per auto-name base, so naming stays linear in the number of layers. */
    readonly nextSuffix: Map<string, number>;
    /** Block calls that led here, outermost first. */
    readonly trace: readonly Call[];
    readonly blocks: readonly Block[];
}
