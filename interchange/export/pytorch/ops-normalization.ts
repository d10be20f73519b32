/** Normalization layers as PyTorch modules (they have weights, so they are always modules). */
import type { OpTable } from '../../../language/ops/registry.js';
import { call, kw, lit, pos } from './py-ast.js';
import { useHelper, type ModuleForm } from './op-context.js';

export const normalizationModules: OpTable<ModuleForm> = {
    batchnorm: ({ node: { attrs: a }, inShapes: [x] }) => {
        const k = x.length <= 3 ? 1 : x.length - 2;
        return call(`nn.BatchNorm${k}d`, pos(lit(x[1], 'num_features')), kw('eps', lit(a.eps as number, 'eps'), 1e-5), kw('momentum', lit(a.momentum as number, 'momentum'), 0.1),
            kw('affine', lit(a.affine !== false, 'affine'), true), kw('track_running_stats', lit(a.track_running_stats !== false, 'track_running_stats'), true));
    },
    layernorm: ({ node: { attrs: a }, inShapes: [x] }) => {
        const shape = (a.normalized_shape as number[] | undefined) ?? x.slice(1);
        return call('nn.LayerNorm', pos(lit(shape, 'normalized_shape')), kw('eps', lit(a.eps as number, 'eps'), 1e-5));
    },
    // torchvision.models.convnext.LayerNorm2d, as a helper of the same definition (an nn.LayerNorm: weight, bias).
    layernorm2d: c => call(useHelper(c, 'LayerNorm2d'), pos(lit(c.inShapes[0][1], 'normalized_shape')), kw('eps', lit(c.node.attrs.eps as number, 'eps'), 1e-5)),
    groupnorm: ({ node: { attrs: a }, inShapes: [x] }) =>
        call('nn.GroupNorm', pos(lit(a.groups as number, 'num_groups')), pos(lit(x[1], 'num_channels')), kw('eps', lit(a.eps as number, 'eps'), 1e-5)),
    lrn: ({ node: { attrs: a } }) => call('nn.LocalResponseNorm', pos(lit(a.size as number, 'size')), kw('alpha', lit(a.alpha as number, 'alpha'), 1e-4),
        kw('beta', lit(a.beta as number, 'beta'), 0.75), kw('k', lit(a.k as number, 'k'), 1)),
};
