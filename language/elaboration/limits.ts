/** Sizes beyond which a design is refused with a message rather than elaborated (they would hang the editor). */
export const LIMITS = {
    /** Iterations of one `for` or `repeat`. */
    loopIterations: 10_000,
    /** Iterations of all loops of one network together (nested loops multiply). */
    totalIterations: 1_000_000,
    /** Items of a tuple made by `+`. */
    tupleItems: 100_000,
    /** Nodes in one elaborated network. */
    nodes: 200_000,
    /** Nesting of block calls. */
    callDepth: 64,
    /** Levels of nesting in the text (brackets, if, for, repeat, prefix operators); the parser recurses on each. */
    nesting: 16,
    /**
     * Characters of one name. Longer names are refused: they would be copied into every message, hover, table row and
     * state_dict key that shows them, and no PyTorch module name comes near.
     */
    nameLength: 1000,
    /** Operators in one expression (`a + b + …`, `x -> f -> …`); each nests the syntax tree one level deeper. */
    expressionOperators: 1000,
    /** An activation larger than this (bytes) earns a warning. */
    activationWarningBytes: 256 * 1024 * 1024,
} as const;
