/**
 * Activations, dropout, stochastic depth (torchvision's) and identity as PyTorch modules and inline functions. A
 * layer without a label is written inline in forward (`F.relu(x)`); identity has no functional form: its output is
 * its input's variable.
 */
import type { OpTable } from '../../../language/ops/registry.js';
import { call, kw, lit, pos, raw } from './py-ast.js';
import type { FunctionForm, ModuleForm } from './op-context.js';

export const activationModules: OpTable<ModuleForm> = {
    relu: () => call('nn.ReLU'),
    relu6: () => call('nn.ReLU6'),
    leakyrelu: ({ node: { attrs: a } }) => call('nn.LeakyReLU', pos(lit(a.negative_slope as number, 'negative_slope'))),
    elu: ({ node: { attrs: a } }) => call('nn.ELU', kw('alpha', lit(a.alpha as number, 'alpha'), 1)),
    sigmoid: () => call('nn.Sigmoid'),
    tanh: () => call('nn.Tanh'),
    hardswish: () => call('nn.Hardswish'),
    hardsigmoid: () => call('nn.Hardsigmoid'),
    silu: () => call('nn.SiLU'),
    gelu: ({ node: { attrs: a } }) => call('nn.GELU', kw('approximate', lit(a.approximate as string, 'approximate'), 'none')),
    softmax: ({ node: { attrs: a } }) => call('nn.Softmax', kw('dim', lit(a.dim as number, 'dim'))),
    logsoftmax: ({ node: { attrs: a } }) => call('nn.LogSoftmax', kw('dim', lit(a.dim as number, 'dim'))),
    dropout: ({ node: { attrs: a } }) => call('nn.Dropout', kw('p', lit(a.p as number, 'p'), 0.5)),
    stochasticdepth: c => {
        c.imports.add('torchvision');
        return call('torchvision.ops.StochasticDepth', pos(lit(c.node.attrs.p as number, 'p')), pos(lit(c.node.attrs.mode as string, 'mode')));
    },
    identity: () => call('nn.Identity'),
};

export const activationFunctions: OpTable<FunctionForm> = {
    relu: (_, [x]) => call('F.relu', pos(x)),
    relu6: (_, [x]) => call('F.relu6', pos(x)),
    leakyrelu: ({ node: { attrs: a } }, [x]) => call('F.leaky_relu', pos(x), pos(lit(a.negative_slope as number, 'negative_slope'))),
    elu: ({ node: { attrs: a } }, [x]) => call('F.elu', pos(x), kw('alpha', lit(a.alpha as number, 'alpha'), 1)),
    sigmoid: (_, [x]) => call('torch.sigmoid', pos(x)),
    tanh: (_, [x]) => call('torch.tanh', pos(x)),
    hardswish: (_, [x]) => call('F.hardswish', pos(x)),
    hardsigmoid: (_, [x]) => call('F.hardsigmoid', pos(x)),
    silu: (_, [x]) => call('F.silu', pos(x)),
    gelu: ({ node: { attrs: a } }, [x]) => call('F.gelu', pos(x), kw('approximate', lit(a.approximate as string, 'approximate'), 'none')),
    softmax: ({ node: { attrs: a } }, [x]) => call('F.softmax', pos(x), kw('dim', lit(a.dim as number, 'dim'))),
    logsoftmax: ({ node: { attrs: a } }, [x]) => call('F.log_softmax', pos(x), kw('dim', lit(a.dim as number, 'dim'))),
    dropout: ({ node: { attrs: a } }, [x]) => call('F.dropout', pos(x), kw('p', lit(a.p as number, 'p')), kw('training', raw('self.training'))),
    stochasticdepth: (c, [x]) => {
        c.imports.add('torchvision');
        return call('torchvision.ops.stochastic_depth', pos(x), pos(lit(c.node.attrs.p as number, 'p')), pos(lit(c.node.attrs.mode as string, 'mode')), kw('training', raw('self.training')));
    },
};
