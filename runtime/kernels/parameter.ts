/** Kernels of a learned tensor of its own (`param`: its value, as loaded or initialised) and of scaling by a number. */
import type { OpTable } from '../../language/ops/registry.js';
import type { Kernel } from './types.js';

export const parameterKernels: OpTable<Kernel> = {
    parameter: ctx => {
        ctx.outputs[0].data.set(ctx.params['']);
    },
    scale: ctx => {
        const x = ctx.inputs[0].data;
        const y = ctx.outputs[0].data;
        const factor = ctx.node.attrs.factor as number;
        for (let i = 0; i < y.length; i++) y[i] = x[i] * factor;
    },
};
