/**
 * Normalisation layers in inference mode: batch norm (running statistics are buffers), layer norm (over the trailing
 * dimensions, or over the channels at each position of an NCHW tensor: ConvNeXt's LayerNorm2d), group norm, and
 * AlexNet's local response normalisation (no parameters).
 */
import type { OpSpec, ParamTensor } from './types.js';
import { formatShape, intAttr, numel, rankError } from './shape-utils.js';
import { keepsInputAndStatistics } from './backward.js';

const epsAttr = { name: 'eps', type: 'float', min: 0, default: 1e-5, doc: 'Added to the variance for numerical stability.' } as const;

export const normalizationOps: readonly OpSpec[] = [
    {
        name: 'batchnorm', aliases: ['batchnorm1d', 'batchnorm2d', 'batchnorm3d', 'bn'], category: 'normalization',
        summary: 'Batch normalisation (inference): (x − running_mean)/√(running_var + eps)·weight + bias, per channel; without running statistics, with the batch\'s own.',
        attrs: [
            epsAttr,
            { name: 'momentum', type: 'float', min: 0, default: 0.1, doc: 'Running-statistics momentum (training only; kept for export).' },
            { name: 'affine', type: 'bool', default: true, doc: 'Learn a scale and a shift per channel (the parameters weight and bias); false: none, as PyTorch\'s affine=False.' },
            { name: 'track_running_stats', type: 'bool', default: true, doc: 'Keep running statistics (the buffers running_mean and running_var) and normalise with them at inference; false: no buffers, and every run normalises with the batch\'s own mean and (biased) variance per channel, as PyTorch does in eval mode too.' },
        ],
        positional: 0,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x], attrs }) => {
            if (x.length < 2) return { issues: [rankError('batchnorm', '2-D to 5-D [N, C, …]', x)] };
            // PyTorch refuses batch statistics of one value per channel (its variance says nothing).
            if (attrs.track_running_stats === false && x[0] * numel(x.slice(2)) === 1) {
                return { issues: [{ severity: 'error', code: 'bad-attribute', attr: 'track_running_stats', message: `batchnorm: without running statistics it normalises with the batch's own, which needs more than one value per channel; ${formatShape(x)} has one` }] };
            }
            return { outputs: [x], issues: [] };
        },
        cost: ({ inputs: [x], attrs }) => ({
            params: [
                ...(attrs.affine === false ? [] : [{ name: 'weight', shape: [x[1]], kind: 'weight' }, { name: 'bias', shape: [x[1]], kind: 'bias' }] as ParamTensor[]),
                ...(attrs.track_running_stats === false ? [] : [{ name: 'running_mean', shape: [x[1]], kind: 'buffer' }, { name: 'running_var', shape: [x[1]], kind: 'buffer' }] as ParamTensor[]),
            ],
            macs: 0,
            flops: numel(x),
            components: { normalized: { elements: numel(x), affine: attrs.affine !== false } },
        }),
        window: () => ({ kind: 'pointwise' }),
        keepsPositions: true,
        // Training normalises with the batch's statistics: the input, and a mean and 1/std per channel.
        savedForBackward: ({ inputs: [x] }) => keepsInputAndStatistics(x[1], 'channel'),
    },
    {
        name: 'layernorm', category: 'normalization',
        summary: 'Layer normalisation over the trailing dimensions (all but the batch by default), with a learned scale and shift.',
        attrs: [{ name: 'normalized_shape', type: 'intList', min: 1, optional: true, doc: 'Trailing dimensions to normalise over; defaults to every dimension but the batch.' }, epsAttr],
        positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x], attrs }) => {
            const normalized = (attrs.normalized_shape as number[] | undefined) ?? x.slice(1);
            const tail = x.slice(x.length - normalized.length);
            // As in PyTorch, the normalised dimensions may be all of them, the batch included.
            if (normalized.length > x.length || tail.some((d, i) => d !== normalized[i])) {
                return { issues: [{ severity: 'error', code: 'shape-mismatch', attr: 'normalized_shape', message: `layernorm: normalized_shape ${formatShape(normalized)} must equal the trailing dimensions of the input ${formatShape(x)}` }] };
            }
            return { outputs: [x], issues: [] };
        },
        cost: ({ inputs: [x], attrs }) => {
            const normalized = (attrs.normalized_shape as number[] | undefined) ?? x.slice(1);
            const params: ParamTensor[] = [{ name: 'weight', shape: normalized, kind: 'weight' }, { name: 'bias', shape: normalized, kind: 'bias' }];
            return { params, macs: 0, flops: numel(x), components: { normalized: { elements: numel(x), affine: true } } };
        },
        window: () => ({ kind: 'pointwise' }),
        keepsPositions: true,
        savedForBackward: ({ inputs: [x], attrs }) => {
            const normalized = numel((attrs.normalized_shape as number[] | undefined) ?? x.slice(1));
            return keepsInputAndStatistics(numel(x) / normalized, 'normalised row');
        },
    },
    {
        // torchvision's LayerNorm2d (ConvNeXt's downsampling layers and stem): permute to channels-last, nn.LayerNorm(C),
        // permute back — in one op, so the NCHW layout is never left and the parameters keep LayerNorm2d's names.
        name: 'layernorm2d', category: 'normalization',
        summary: 'Layer normalisation over the channels of an NCHW tensor at each position (torchvision\'s LayerNorm2d, ConvNeXt): channels-last → layernorm(C) → back, with a learned scale and shift per channel.',
        attrs: [epsAttr],
        positional: 0,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x] }) => x.length !== 4 ? { issues: [rankError('layernorm2d', '4-D [N, C, H, W]', x)] } : { outputs: [x], issues: [], formula: [`each of the ${x[2]}×${x[3]} positions normalised over its ${x[1]} channels`] },
        cost: ({ inputs: [x] }) => ({
            params: [{ name: 'weight', shape: [x[1]], kind: 'weight' }, { name: 'bias', shape: [x[1]], kind: 'bias' }],
            macs: 0, flops: numel(x), components: { normalized: { elements: numel(x), affine: true } },
        }),
        window: () => ({ kind: 'pointwise' }),
        keepsPositions: true,
        savedForBackward: ({ inputs: [x] }) => keepsInputAndStatistics(x[0] * numel(x.slice(2)), 'position'),
    },
    {
        name: 'groupnorm', category: 'normalization',
        summary: 'Group normalisation: channels split into groups, each normalised over its channels and positions.',
        attrs: [{ name: 'groups', type: 'int', min: 1, aliases: ['num_groups'], doc: 'Number of channel groups; must divide the channels.' }, epsAttr],
        positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x], attrs }) => {
            if (x.length < 2) return { issues: [rankError('groupnorm', '2-D to 5-D [N, C, …]', x)] };
            const groups = intAttr(attrs, 'groups');
            if (x[1] % groups !== 0) return { issues: [{ severity: 'error', code: 'channels-not-divisible', attr: 'groups', message: `groupnorm: channels (${x[1]}) are not divisible by groups (${groups})` }] };
            return { outputs: [x], issues: [] };
        },
        cost: ({ inputs: [x] }) => ({
            params: [{ name: 'weight', shape: [x[1]], kind: 'weight' }, { name: 'bias', shape: [x[1]], kind: 'bias' }],
            macs: 0, flops: numel(x), components: { normalized: { elements: numel(x), affine: true } },
        }),
        window: () => ({ kind: 'pointwise' }),
        keepsPositions: true,
        savedForBackward: ({ inputs: [x], attrs }) => keepsInputAndStatistics(x[0] * intAttr(attrs, 'groups'), 'sample and group'),
    },
    {
        name: 'lrn', aliases: ['localresponsenorm'], category: 'normalization',
        summary: 'Local response normalisation across channels (AlexNet): x / (k + alpha/size · Σ x² over `size` neighbouring channels)^beta, as PyTorch\'s LocalResponseNorm.',
        attrs: [
            { name: 'size', type: 'int', min: 1, doc: 'Channels in the window: size//2 before the channel and (size−1)//2 after it (PyTorch\'s placement).' },
            { name: 'alpha', type: 'float', min: 0, default: 1e-4, doc: 'Scale of the window\'s sum of squares, divided by size as PyTorch and Caffe do (the AlexNet paper\'s α is not: its α = 1e-4 is alpha 5e-4 here with size 5).' },
            { name: 'beta', type: 'float', min: 0, default: 0.75, doc: 'Exponent of the denominator.' },
            { name: 'k', type: 'float', default: 1, doc: 'Added to the scaled sum before the power (ONNX calls it bias; AlexNet uses 2).' },
        ],
        positional: 1,
        inputs: { min: 1, max: 1 },
        shape: ({ inputs: [x] }) => x.length < 3 ? { issues: [rankError('lrn', '3-D to 5-D [N, C, …]', x)] } : { outputs: [x], issues: [] },
        // Per element: its square, size − 1 adds for the window's sum, the scale and k, the power and the division.
        cost: ({ inputs: [x], attrs }) => ({ params: [], macs: 0, flops: numel(x) * (intAttr(attrs, 'size') + 4), components: { normalized: { elements: numel(x), affine: false } } }),
        window: () => ({ kind: 'pointwise' }),
        keepsPositions: true,
        // PyTorch composes it of ops; their backward reads the input, the output and the denominator.
        savedForBackward: ({ inputs: [x] }) => ({ inputs: [0], output: true, extras: [{ what: 'denominator', elements: numel(x), bytesPerElement: 4, dtype: 'float32' }] }),
    },
];
