/**
 * What ops keep for their backward pass in training: the rules most specs share, each spec naming its own in its
 * `savedForBackward` field. They follow what PyTorch's autograd saves (tools/autograd/derivatives.yaml):
 * a conv or linear layer keeps its input (for its weight's gradient), a norm its input and its statistics,
 * ReLU-like activations their output, max pooling its input and the index of each window's maximum, elementwise
 * sums and layout ops nothing.
 */
import { numel } from './shape-utils.js';
import type { OpContext, SavedExtra, SavedForBackward, Shape } from './types.js';

export const KEEPS_NOTHING: SavedForBackward = { inputs: [], output: false, extras: [] };
export const KEEPS_INPUT: SavedForBackward = { inputs: [0], output: false, extras: [] };
export const KEEPS_OUTPUT: SavedForBackward = { inputs: [], output: true, extras: [] };
/** An activation whose gradient follows from its output alone (ReLU, ReLU6, leaky ReLU, ELU): may run in place. */
export const KEEPS_OUTPUT_IN_PLACE: SavedForBackward = { inputs: [], output: true, extras: [], inPlace: true };
/** Layout ops whose outputs are views of their input: no memory of their own, nothing kept. */
export const VIEW_OF_INPUT: SavedForBackward = { inputs: [], output: false, extras: [], view: true };

export const keepsNothing = (): SavedForBackward => KEEPS_NOTHING;
export const keepsInput = (): SavedForBackward => KEEPS_INPUT;
export const keepsOutput = (): SavedForBackward => KEEPS_OUTPUT;
export const keepsOutputInPlace = (): SavedForBackward => KEEPS_OUTPUT_IN_PLACE;
export const viewOfInput = (): SavedForBackward => VIEW_OF_INPUT;

/** Every input (matmul, elementwise products: each input's gradient needs the others). */
export function keepsEveryInput({ inputs }: OpContext): SavedForBackward {
    return { inputs: inputs.map((_, i) => i), output: false, extras: [] };
}

/** The input and an int64 index per output element: where each window's maximum was (PyTorch's max_pool indices). */
export function keepsInputAndIndices(_ctx: OpContext, outputs: readonly Shape[]): SavedForBackward {
    return { inputs: [0], output: false, extras: [{ what: 'indices', elements: outputs.reduce((n, y) => n + numel(y), 0), bytesPerElement: 8, dtype: 'int64' }] };
}

/** A normalisation's input and its statistics: a mean and 1/std per `groups` (float32 even in mixed precision). */
export function keepsInputAndStatistics(groups: number, per: string): SavedForBackward {
    const extra: SavedExtra = { what: `mean and 1/std per ${per}`, elements: 2 * groups, bytesPerElement: 4, dtype: 'float32' };
    return { inputs: [0], output: false, extras: [extra] };
}

/**
 * A mask the size of the output (dropout: 0 where an element was dropped, 1/(1 − p) where kept), float32 as PyTorch's
 * dropout keeps it on the CPU (measured in test/fixtures/train-memory; its fused GPU kernel keeps a bool mask).
 */
export function keepsMask(_ctx: OpContext, outputs: readonly Shape[]): SavedForBackward {
    return { inputs: [], output: false, extras: [{ what: 'mask', elements: numel(outputs[0]), bytesPerElement: 4, dtype: 'float32' }] };
}
