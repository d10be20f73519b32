/** Linear layers and tensor reshaping (flatten, reshape, permute, pad, upsample, pixel (un)shuffle, matmul) as PyTorch modules and inline functions. */
import type { GraphNode } from '../../../language/elaboration/graph.js';
import { isIssue, resolvePadding } from '../../../language/ops/padding.js';
import type { OpTable } from '../../../language/ops/registry.js';
import { permutationOf } from '../../../language/ops/tensor.js';
import { isNearestMode } from '../../../language/ops/interpolation.js';
import { perDimension } from '../../../language/ops/shape-utils.js';
import { call, kw, lit, pos, type Py, type PyArg } from './py-ast.js';
import { compact, dimsOf, fail, useHelper, type FunctionForm, type ModuleForm, type OpContext } from './op-context.js';

/** The padding of a pad layer in F.pad's order (the last dimension first). */
function padTuple(node: GraphNode, x: readonly number[]): number[] {
    const spatial = x.slice(2);
    const pads = resolvePadding(node.attrs.padding, { input: spatial, kernelEff: spatial.map(() => 1), stride: spatial.map(() => 1) });
    if (isIssue(pads)) fail(node, pads.message);
    const fpad: number[] = [];
    for (let i = spatial.length - 1; i >= 0; i--) fpad.push(pads.begin[i], pads.end[i]);
    return fpad;
}

function upsampleArgs(c: OpContext): PyArg[] {
    const a = c.node.attrs;
    const d = dimsOf(c);
    const args: PyArg[] = [];
    if (a.size !== undefined) args.push(kw('size', lit(compact(c.outShapes[0].slice(2)), 'size')));
    else args.push(kw('scale_factor', lit(compact(perDimension(a.scale_factor, d) ?? fail(c.node, 'bad scale_factor')), 'scale_factor')));
    args.push(kw('mode', lit(a.mode as string, 'mode')));
    if (!isNearestMode(a.mode as string)) args.push(kw('align_corners', lit(a.align_corners === true, 'align_corners')));
    return args;
}

/** The axes' order of a permute layer (channelslast and channelsfirst spelled out), non-negative as torchvision writes them. */
function permutation(c: OpContext): number[] {
    const perm = permutationOf(c.node.op, c.node.attrs, c.inShapes[0].length);
    return isIssue(perm) ? fail(c.node, perm.message) : perm;
}

function padModule(c: OpContext): Py {
    const a = c.node.attrs;
    const d = dimsOf(c);
    const fpad = padTuple(c.node, c.inShapes[0]);
    const mode = a.mode as string;
    if (mode === 'constant') return call(`nn.ConstantPad${d}d`, pos(lit(fpad, 'padding')), pos(lit(a.value as number, 'value')));
    return call(`nn.${mode === 'reflect' ? 'Reflection' : 'Replication'}Pad${d}d`, pos(lit(fpad, 'padding')));
}

export const tensorModules: OpTable<ModuleForm> = {
    linear: ({ node: { attrs: a }, inShapes: [x], outShapes: [y] }) =>
        call('nn.Linear', pos(lit(x[x.length - 1], 'in_features')), pos(lit(y[y.length - 1], 'out_features')), kw('bias', lit(a.bias as boolean, 'bias'), true)),
    matmul: c => call(useHelper(c, 'MatMul')),
    flatten: ({ node: { attrs: a } }) => call('nn.Flatten', kw('start_dim', lit(a.start_dim as number, 'start_dim'), 1), kw('end_dim', lit(a.end_dim as number, 'end_dim'), -1)),
    reshape: c => call(useHelper(c, 'Reshape'), pos(lit(c.node.attrs.shape as number[], 'shape'))),
    // torchvision.ops.Permute's forward, as a helper: no parameters, so no state_dict entries, and no torchvision needed.
    permute: c => call(useHelper(c, 'Permute'), pos(lit(permutation(c), 'dims'))),
    pad: padModule,
    upsample: c => call('nn.Upsample', ...upsampleArgs(c)),
    pixelshuffle: ({ node: { attrs: a } }) => call('nn.PixelShuffle', pos(lit(a.factor as number, 'upscale_factor'))),
    pixelunshuffle: ({ node: { attrs: a } }) => call('nn.PixelUnshuffle', pos(lit(a.factor as number, 'downscale_factor'))),
};

export const tensorFunctions: OpTable<FunctionForm> = {
    matmul: (_, [a, b]) => call('torch.matmul', pos(a), pos(b)),
    flatten: ({ node: { attrs: a } }, [x]) => call('torch.flatten', pos(x), pos(lit(a.start_dim as number, 'start_dim')), pos(lit(a.end_dim as number, 'end_dim'))),
    reshape: ({ node: { attrs: a } }, [x]) => call('torch.reshape', pos(x), pos(lit(a.shape as number[], 'shape'))),
    permute: (c, [x]) => call('torch.permute', pos(x), pos(lit(permutation(c), 'dims'))),
    pad: (c, [x]) => {
        const a = c.node.attrs;
        const args: PyArg[] = [pos(x), pos(lit(padTuple(c.node, c.inShapes[0]), 'pad')), kw('mode', lit(a.mode as string, 'mode'), 'constant')];
        if (a.mode === 'constant') args.push(kw('value', lit(a.value as number, 'value'), 0));
        return call('F.pad', ...args);
    },
    upsample: (c, [x]) => call('F.interpolate', pos(x), ...upsampleArgs(c)),
    pixelshuffle: ({ node: { attrs: a } }, [x]) => call('F.pixel_shuffle', pos(x), pos(lit(a.factor as number, 'upscale_factor'))),
    pixelunshuffle: ({ node: { attrs: a } }, [x]) => call('F.pixel_unshuffle', pos(x), pos(lit(a.factor as number, 'downscale_factor'))),
};
