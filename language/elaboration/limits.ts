/** Sizes beyond which a design is refused with a message rather than elaborated (they would hang the editor). */
export const LIMITS = {
    /** Iterations of one `for` or `repeat`. */
    loopIterations: 10_000,
    /** Nodes in one elaborated network. */
    nodes: 200_000,
    /** Nesting of block calls. */
    callDepth: 64,
    /** An activation larger than this (bytes) earns a warning. */
    activationWarningBytes: 256 * 1024 * 1024,
} as const;
