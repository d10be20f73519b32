/**
 * Activation kernels (elementwise, computed in float64 and stored as float32), softmax and log-softmax over one
 * dimension, and the ops that pass their input through unchanged at inference (dropout, identity) — those copy,
 * since every tensor has its own place in the arena.
 */
import { normalizeDim } from '../../language/ops/tensor.js';
import type { OpTable } from '../../language/ops/registry.js';
import { activateRange, activationOf } from '../activations.js';
import type { Kernel } from './types.js';

const copyKernel: Kernel = ctx => ctx.outputs[0].data.set(ctx.inputs[0].data);

/** softmax or log-softmax over `dim`: outer × size × inner, the maximum subtracted first. */
function softmax(log: boolean): Kernel {
    return ctx => {
        const x = ctx.inputs[0];
        const y = ctx.outputs[0].data;
        const dim = normalizeDim(ctx.node.attrs.dim as number, x.shape.length)!;
        const size = x.shape[dim];
        let inner = 1;
        for (let i = dim + 1; i < x.shape.length; i++) inner *= x.shape[i];
        const outer = x.data.length / (size * inner);
        const data = x.data;
        for (let o = 0; o < outer; o++) {
            for (let j = 0; j < inner; j++) {
                const base = o * size * inner + j;
                let max = -Infinity;
                for (let i = 0, p = base; i < size; i++, p += inner) if (data[p] > max) max = data[p];
                if (log) {
                    let sum = 0;
                    for (let i = 0, p = base; i < size; i++, p += inner) sum += Math.exp(data[p] - max);
                    const shift = max + Math.log(sum);
                    for (let i = 0, p = base; i < size; i++, p += inner) y[p] = data[p] - shift;
                } else {
                    // The exponentials go into the output first, then are scaled: one exp per element.
                    let sum = 0;
                    for (let i = 0, p = base; i < size; i++, p += inner) {
                        const e = Math.exp(data[p] - max);
                        y[p] = e;
                        sum += e;
                    }
                    const inv = 1 / sum;
                    for (let i = 0, p = base; i < size; i++, p += inner) y[p] *= inv;
                }
            }
        }
    };
}

/** An activation node: the engine's kernel where it has one (runtime/wasm/assembly/activation.ts), else activateRange. */
function pointwise(): Kernel {
    return ctx => {
        const x = ctx.inputs[0].data;
        const y = ctx.outputs[0].data;
        const { op, parameter } = activationOf(ctx.node);
        if (!ctx.compute.activation(op, x, y, parameter)) activateRange(op, parameter, x, y, 0, x.length);
    };
}

export const activationKernels: OpTable<Kernel> = {
    relu: pointwise(),
    relu6: pointwise(),
    leakyrelu: pointwise(),
    elu: pointwise(),
    sigmoid: pointwise(),
    tanh: pointwise(),
    hardswish: pointwise(),
    hardsigmoid: pointwise(),
    silu: pointwise(),
    gelu: pointwise(),
    softmax: softmax(false),
    logsoftmax: softmax(true),
    dropout: copyKernel,
    stochasticdepth: copyKernel,
    identity: copyKernel,
};
