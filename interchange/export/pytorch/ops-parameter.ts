/**
 * A learned tensor of its own (`param`) and scaling by a number, in PyTorch. The learned tensor is an nn.Parameter
 * set on its block's module (block-classes.ts registers it and reads it as `self.<name>` in forward); `x * 0.5` is
 * written inline, and as the small `Scale` module when labelled.
 */
import type { OpTable } from '../../../language/ops/registry.js';
import { HELPERS } from './helpers-code.js';
import { call, kw, lit, pos, raw, type Py } from './py-ast.js';
import { useHelper, type FunctionForm, type ModuleForm, type OpContext } from './op-context.js';

HELPERS.Scale = { code: `class Scale(nn.Module):
    """Multiplies by a number: \`x * factor\`."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor` };

/** `nn.Parameter(torch.full([dim, 1, 1], 1e-06, dtype=torch.float32))`: each dimension a setting the block's class may take. */
function parameterModule(c: OpContext): Py {
    const shape = c.node.attrs.shape as number[];
    const full = call('torch.full', pos({ k: 'list', items: shape.map(d => lit(d, 'shape')) }), pos(lit(c.node.attrs.init as number, 'init')), kw('dtype', raw('torch.float32')));
    return call('nn.Parameter', pos(full));
}

export const parameterModules: OpTable<ModuleForm> = {
    parameter: parameterModule,
    scale: c => call(useHelper(c, 'Scale'), pos(lit(c.node.attrs.factor as number, 'factor'))),
};

export const parameterFunctions: OpTable<FunctionForm> = {
    scale: (c, [x]) => ({ k: 'infix', op: '*', a: x, b: lit(c.node.attrs.factor as number, 'factor') }),
};
