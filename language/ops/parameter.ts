/**
 * Learned tensors of their own and constant scaling: `param layer_scale: [dim, 1, 1] = 1e-6` in a block is a
 * `parameter` node (an nn.Parameter of the block's module, state_dict key `features.1.0.layer_scale`), and
 * `x * 0.5` or `0.5 * x` is `scale`. Kept in a file of their own, away from the op families others extend.
 */
import type { OpSpec } from './types.js';
import { formatShape, numel } from './shape-utils.js';
import { keepsNothing } from './backward.js';

/**
 * Made by a `param` statement, never called (it has no input, so the built-in library leaves it out). Its one
 * tensor has the empty name: its state_dict key is the layer's own name (see stateDictKey).
 */
const parameter: OpSpec = {
    name: 'parameter', category: 'tensor',
    summary: 'A learned tensor of a block of its own (nn.Parameter), declared `param name: [shape] = init`; its state_dict key is the block instance\'s name and its own (ConvNeXt\'s layer_scale). Shapes broadcast in arithmetic (`y * layer_scale`).',
    attrs: [
        { name: 'shape', type: 'intList', min: 1, doc: 'The tensor\'s shape (without a batch dimension): [dim, 1, 1].' },
        { name: 'init', type: 'float', default: 0, doc: 'The value every element starts as before weights are loaded.' },
    ],
    positional: 2,
    inputs: { min: 0, max: 0 },
    shape: ({ attrs }) => {
        const shape = attrs.shape as number[];
        return { outputs: [shape], issues: [], formula: [`a learned ${formatShape(shape)} tensor`] };
    },
    cost: ({ attrs }) => ({ params: [{ name: '', shape: attrs.shape as number[], kind: 'weight' }], macs: 0, flops: 0 }),
    window: () => ({ kind: 'none' }),
    savedForBackward: keepsNothing, // a parameter: its gradient is counted with the parameters'
};

const scale: OpSpec = {
    name: 'scale', category: 'merge',
    summary: 'Multiplies every element by a number: `x * 0.5` and `0.5 * x` are this op.',
    attrs: [{ name: 'factor', type: 'float', doc: 'The number every element is multiplied by.' }],
    positional: 1,
    inputs: { min: 1, max: 1 },
    shape: ({ inputs: [x] }) => ({ outputs: [x], issues: [] }),
    cost: (_ctx, [y]) => ({ params: [], macs: 0, flops: numel(y), components: { elementwise: numel(y) } }),
    window: () => ({ kind: 'pointwise' }),
    keepsPositions: true,
    savedForBackward: keepsNothing, // times a number: the gradient is the output's times it
};

export const parameterOps: readonly OpSpec[] = [parameter, scale];
