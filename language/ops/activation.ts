/** Elementwise activations (and softmax over one dimension). Each costs one FLOP per output element. */
import type { AttrSpec, OpSpec } from './types.js';
import { intAttr, numel } from './shape-utils.js';
import { dimIssue, normalizeDim } from './tensor.js';
import { keepsInput, keepsMask, keepsOutput, keepsOutputInPlace, viewOfInput } from './backward.js';

function activation(name: string, summary: string, attrs: AttrSpec[] = [], aliases: string[] = [], saved: OpSpec['savedForBackward'] = keepsInput): OpSpec {
    return {
        name, aliases, category: 'activation', summary, attrs,
        positional: attrs.length ? 1 : 0,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x] }) => ({ outputs: [x], issues: [] }),
        cost: ({ inputs: [x] }) => ({ params: [], macs: 0, flops: numel(x), components: { activated: numel(x) } }),
        window: () => ({ kind: 'pointwise' }),
        keepsPositions: true,
        savedForBackward: saved,
    };
}

const dimAttr: AttrSpec = { name: 'dim', type: 'int', default: 1, doc: 'Dimension to normalise over (negative counts from the end).' };

/** softmax and log-softmax: `dim` must name a dimension of the input (PyTorch raises otherwise, the runtime needs it). */
function overDim(name: string, summary: string): OpSpec {
    const spec = activation(name, summary, [dimAttr], [], keepsOutput);
    return {
        ...spec,
        keepsPositions: false, // over `dim`, which may be a spatial one
        shape: ({ inputs: [x], attrs }) => normalizeDim(intAttr(attrs, 'dim'), x.length) === undefined
            ? { issues: [dimIssue(name, 'dim', intAttr(attrs, 'dim'), x.length)] }
            : { outputs: [x], issues: [] },
    };
}

export const activationOps: readonly OpSpec[] = [
    // Backward from the output alone: PyTorch's ReLU, leaky ReLU and ELU with inplace=True keep their result only.
    activation('relu', 'max(0, x).', [], [], keepsOutputInPlace),
    // Its backward (hardtanh_backward) reads the input: in place (torchvision's ReLU6(inplace=True)) PyTorch keeps
    // a copy of the input, so it keeps one tensor more than a ReLU (measured: test/fixtures/train-memory).
    activation('relu6', 'min(max(0, x), 6) — MobileNet\'s activation, robust in low precision.', [], [], keepsInput),
    activation('leakyrelu', 'x for x ≥ 0, slope·x otherwise.', [{ name: 'negative_slope', type: 'float', default: 0.01, doc: 'Slope for negative inputs.' }], ['leaky_relu'], keepsOutputInPlace),
    activation('elu', 'x for x > 0, α·(eˣ − 1) otherwise.', [{ name: 'alpha', type: 'float', default: 1, doc: 'Saturation value for negative inputs.' }], [], keepsOutputInPlace),
    activation('sigmoid', '1/(1 + e⁻ˣ).', [], [], keepsOutput),
    activation('tanh', 'Hyperbolic tangent.', [], [], keepsOutput),
    activation('hardswish', 'x·relu6(x + 3)/6 (MobileNetV3).', [], ['hswish']),
    activation('hardsigmoid', 'relu6(x + 3)/6.', [], ['hsigmoid']),
    activation('silu', 'x·sigmoid(x), also called swish.', [], ['swish']),
    activation('gelu', 'x·Φ(x), Gaussian error linear unit.', [{ name: 'approximate', type: 'string', choices: ['none', 'tanh'], default: 'none', doc: '"tanh" for the tanh approximation.' }]),
    overDim('softmax', 'eˣ/Σeˣ over one dimension.'),
    overDim('logsoftmax', 'log(softmax(x)) over one dimension.'),
    {
        ...activation('dropout', 'Dropout: the identity at inference (kept so names and indices match PyTorch).',
            [{ name: 'p', type: 'float', min: 0, default: 0.5, doc: 'Drop probability during training.' }], ['dropout2d', 'dropout3d']),
        category: 'tensor',
        // p is a probability: PyTorch refuses p > 1 when the layer is built, even though inference ignores it.
        shape: ({ inputs: [x], attrs }) => (attrs.p as number) > 1
            ? { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'p', message: `dropout: p is a probability between 0 and 1, got ${attrs.p}` }] }
            : { outputs: [x], issues: [] },
        cost: () => ({ params: [], macs: 0, flops: 0 }),
        savedForBackward: keepsMask, // in training: which elements were kept
    },
    {
        // Huang et al., "Deep Networks with Stochastic Depth": in training a residual branch is dropped (per sample,
        // "row", or for the whole batch) with probability p; at inference it passes through, as torchvision's
        // StochasticDepth in eval mode (EfficientNet, ConvNeXt, Swin).
        ...activation('stochasticdepth', 'Stochastic depth (torchvision\'s StochasticDepth): the identity at inference; in training it drops the residual branch of a sample ("row") or of the whole batch ("batch") with probability p.',
            [
                { name: 'p', type: 'float', min: 0, doc: 'Probability of dropping the branch during training, 0 … 1.' },
                { name: 'mode', type: 'string', choices: ['row', 'batch'], default: 'row', doc: '"row": each sample of the batch dropped on its own; "batch": the whole batch at once.' },
            ], ['stochastic_depth', 'droppath']),
        category: 'tensor',
        positional: 2,
        // torchvision refuses p outside 0 … 1 when the module runs, even in eval mode.
        shape: ({ inputs: [x], attrs }) => (attrs.p as number) > 1
            ? { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'p', message: `stochasticdepth: p is a probability between 0 and 1, got ${attrs.p}` }] }
            : { outputs: [x], issues: [] },
        cost: () => ({ params: [], macs: 0, flops: 0 }),
        // In training: a float32 keep-or-drop factor per sample ("row") or one for the batch, that the backward multiplies by.
        savedForBackward: ({ inputs: [x], attrs }) => ({ inputs: [], output: false, extras: [{ what: 'mask', elements: attrs.mode === 'batch' ? 1 : x[0], bytesPerElement: 4, dtype: 'float32' }] }),
    },
    { ...activation('identity', 'Passes its input through unchanged.'), category: 'tensor', cost: () => ({ params: [], macs: 0, flops: 0 }), savedForBackward: viewOfInput },
];
