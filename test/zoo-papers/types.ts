/** How a paper-only example of the zoo (one torchvision does not have) is described to test/zoo-papers.test.ts. */

/** A figure as a paper prints it: `value` rounded to the paper's last digit, so the true count lies `within` of it. */
export interface QuotedFigure {
    value: number;
    /** Half a unit of the paper's last printed digit (4.2M → 0.05e6); exact counts use 0. */
    within: number;
}

export interface PaperExample {
    file: string;
    network: string;
    /** The paper and the place in it the figures come from, e.g. "Howard et al. 2017, Table 8". */
    source: string;
    input: number[];
    /** The output shapes, in the network's output order. */
    outputs: number[][];
    params?: QuotedFigure;
    /** Multiply-accumulates (the paper's "mult-adds", or its "FLOPs" where it counts one per multiply-add). */
    macs?: QuotedFigure;
    /**
     * A fixture in test/fixtures/papers/<name>.json written by PyTorch from a module built after the paper
     * ({ input, outputs, params, state_dict: key → shape }): names, shapes and the parameter count must equal it.
     */
    pytorch?: string;
    /** Other input sizes the network accepts, with the output shapes they must give. */
    alsoAt?: { input: number[]; outputs: number[][] }[];
    /** Input of the seeded run when the declared one is too slow for the TypeScript reference runtime. */
    runInput?: number[];
    /** Warnings the example is expected to have, exactly (each explained in a comment in the example). */
    warnings?: string[];
}
