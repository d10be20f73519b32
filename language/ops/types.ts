/**
 * The vocabulary every op spec is written in. An op is described once — attributes, shape rule, parameter
 * tensors, cost, receptive-field window — and the elaborator, validator, hovers, CLI and runtime all read that
 * one description. Every rule here is pure and never throws: a problem comes back as an `OpIssue` that names
 * the attribute or input it is about, so the editor can underline exactly that argument.
 */

export type Shape = readonly number[];

/** An attribute value after evaluation: tuples are arrays (`kernel: (3, 1)` → `[3, 1]`). */
export type AttrValue = number | boolean | string | readonly AttrValue[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export type AttrType =
    | 'int'      // a whole number
    | 'float'    // any number
    | 'floats'   // a number, or a tuple of numbers (one per spatial dimension)
    | 'bool'
    | 'string'   // one of `choices` when given
    | 'ints'     // a whole number, or a tuple of whole numbers (one per spatial dimension)
    | 'intList'  // a tuple of whole numbers of any length (a shape, pyramid levels, split sizes)
    | 'padding'; // a whole number, a tuple per dimension, a tuple of (begin, end) pairs, "same" or "valid"

export interface AttrSpec {
    readonly name: string;
    readonly type: AttrType;
    readonly doc: string;
    /** Absent and not `optional` means the argument must be given. */
    readonly default?: AttrValue;
    /** An attribute that may be left out and has no single default (maxpool's stride defaults to its kernel). */
    readonly optional?: boolean;
    readonly aliases?: readonly string[];
    readonly choices?: readonly string[];
    /** Smallest allowed value of every number in the attribute. */
    readonly min?: number;
}

export type Severity = 'error' | 'warning';

/** Machine-readable reason, used by quick fixes and tests (never match on message text). */
export type IssueCode =
    | 'bad-rank' | 'bad-attribute' | 'channels-not-divisible' | 'kernel-too-large' | 'output-nonpositive'
    | 'shape-mismatch' | 'concat-mismatch' | 'too-large' | 'rows-unread' | 'checkerboard' | 'linear-on-spatial'
    | 'bad-input-count';

/**
 * Every code a diagnostic of the language can carry (in its `data.code`): the op specs' issue codes and those of
 * elaboration, graph analysis and validation. Quick fixes and tests switch on these, never on message text.
 */
export type DiagnosticCode = IssueCode
    | 'gridding' | 'large-activation' | 'recursive-block' | 'unresolved-reference' | 'unused-block' | 'unused-tensor';

export interface OpIssue {
    readonly severity: Severity;
    readonly message: string;
    readonly code: IssueCode;
    /** The attribute the issue is about (so the squiggle sits on that argument). */
    readonly attr?: string;
    /** The input the issue is about, counted from 0. */
    readonly input?: number;
    /** Figures a quick fix needs (the channel counts, a kernel that would work …). */
    readonly data?: Readonly<Record<string, number | string | readonly number[]>>;
}

/** A line of a hover's "how the shape was computed", with the numbers substituted. */
export type FormulaLine = string;

export interface ShapeResult {
    /** Absent when an error prevents knowing the output. */
    readonly outputs?: readonly Shape[];
    readonly issues: readonly OpIssue[];
    readonly formula?: readonly FormulaLine[];
}

export type ParamKind = 'weight' | 'bias' | 'buffer';

/** A parameter or buffer tensor with its PyTorch state_dict suffix (`weight`, `bias`, `running_mean` …). */
export interface ParamTensor {
    readonly name: string;
    readonly shape: Shape;
    readonly kind: ParamKind;
}

export interface Cost {
    readonly params: readonly ParamTensor[];
    /** Multiply-accumulates of conv/linear/matmul, bias excluded (torchvision's convention). */
    readonly macs: number;
    /** 2·MACs plus one per element for bias, norm, activation and elementwise ops, one per window element for pooling. */
    readonly flops: number;
    /**
     * What the FLOPs are made of, for the conventions of other tools (language/analysis/conventions.ts maps these to
     * fvcore's, thop's, ptflops' totals). Absent: the op computes nothing (a view, a copy, dropout at inference).
     */
    readonly components?: CostComponents;
}

/** The parts of an op's cost that counting tools weigh differently; each is a count of elements. */
export interface CostComponents {
    /** Output elements a bias is added to (conv, linear). */
    readonly bias?: number;
    /** Elements normalised; `affine`: a learned scale and shift follow. */
    readonly normalized?: { readonly elements: number; readonly affine: boolean };
    /** Elements an activation function is applied to. */
    readonly activated?: number;
    /** Pooling: the input's and output's elements and the elements of one window (∏k; ∏⌊in/out⌋ when adaptive). */
    readonly pooled?: { readonly input: number; readonly output: number; readonly window: number };
    /** Output elements of an elementwise operation of two tensors or a tensor and a number. */
    readonly elementwise?: number;
    /** Output elements of an interpolation (upsampling). */
    readonly interpolated?: number;
}

/**
 * How an op maps positions of its input to positions of its output along the spatial dimensions, for the
 * receptive field: `r_out = r_in + (k_eff − 1)·j_in`, `j_out = j_in·stride`.
 */
export type Window =
    | { readonly kind: 'pointwise' }                                        // position i reads position i
    | { readonly kind: 'sliding'; readonly kernel: readonly number[]; readonly stride: readonly number[] } // k_eff, s
    | { readonly kind: 'upsampling'; readonly kernel: readonly number[]; readonly scale: readonly number[] }
    | { readonly kind: 'global' }                                           // every output reads the whole input
    | { readonly kind: 'none' };                                            // no spatial layout (after flatten)

export interface OpContext {
    readonly inputs: readonly Shape[];
    readonly attrs: Attrs;
}

export interface OpSpec {
    readonly name: string;
    /**
     * The family the 1-D, 2-D and 3-D variants of an op share (`conv` for conv1d, conv and conv3d); absent means the
     * op is its own family. The runtime's kernels and the exporters and importer are tables keyed by family.
     */
    readonly family?: string;
    readonly aliases?: readonly string[];
    readonly category: 'convolution' | 'pooling' | 'normalization' | 'activation' | 'linear' | 'tensor' | 'merge';
    /** One line for completion and hovers. */
    readonly summary: string;
    readonly attrs: readonly AttrSpec[];
    /** How many attributes may be given by position, in the order of `attrs`. */
    readonly positional: number;
    /** Tensor inputs: at least `min`, at most `max` (Infinity for concat). */
    readonly inputs: { readonly min: number; readonly max: number };
    readonly shape: (ctx: OpContext) => ShapeResult;
    /** Called only with the outputs `shape` returned. */
    readonly cost: (ctx: OpContext, outputs: readonly Shape[]) => Cost;
    readonly window: (ctx: OpContext, outputs: readonly Shape[]) => Window;
    /**
     * A one-input op whose output at a position is computed from the input at that same position (statistics over
     * channels or the whole sample allowed): activations, norms, dropout, identity. The graph's analyses look
     * through chains of them (the gridding of stacked dilated convs, the conv that follows a conv).
     */
    readonly keepsPositions?: boolean;
    /**
     * What training keeps of this op's forward pass for its backward pass (as PyTorch's autograd saves it): which
     * inputs, the output, extra tensors (max pooling's indices, dropout's mask, a norm's statistics); whether the
     * output is a view of the input, and whether the op may overwrite its input. See `SavedForBackward`; the rules
     * shared by many ops are in ops/backward.ts. Absent: the op keeps every input (the safe guess).
     */
    readonly savedForBackward?: (ctx: OpContext, outputs: readonly Shape[]) => SavedForBackward;
}

/** A tensor an op makes in its forward pass only for its backward pass. */
export interface SavedExtra {
    /** What it is, for the summary: `indices`, `mask`, `mean and 1/std per channel`. */
    readonly what: string;
    readonly elements: number;
    /** Bytes per element in memory: 8 for int64 indices, 1 for a bool mask, 4 for float32 statistics. */
    readonly bytesPerElement: number;
    /** The element type, always as stored (statistics stay float32 in mixed precision). */
    readonly dtype: 'int64' | 'bool' | 'float32';
}

/**
 * What an op keeps for its backward pass in training. Parameters are never listed: they are in memory anyway.
 * Tensors count once however many ops keep them (a ReLU's output is also the next conv's input).
 */
export interface SavedForBackward {
    /** Indices of the inputs whose values the backward reads (a conv's input, for its weight's gradient). */
    readonly inputs: readonly number[];
    /** The backward reads the output (ReLU, sigmoid, softmax). */
    readonly output: boolean;
    readonly extras: readonly SavedExtra[];
    /** Every output is a view of input 0 and shares its memory (flatten, reshape, split, slice, permute). */
    readonly view?: boolean;
    /**
     * The backward reads only the output, so the op may overwrite its input when nothing else reads that (PyTorch's
     * inplace=True, as torchvision builds its ReLU and ReLU6: the ReLU after a batch norm keeps no second tensor).
     */
    readonly inPlace?: boolean;
}
