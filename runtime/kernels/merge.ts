/**
 * Kernels that combine or divide tensors: add/sub/mul/div with PyTorch broadcasting, concat, split, slice and
 * channel shuffle.
 */
import { normalizeDim } from '../../language/ops/tensor.js';
import type { Tensor } from '../tensor.js';
import type { OpTable } from '../../language/ops/registry.js';
import type { ArithmeticOp } from '../compute.js';
import type { Kernel } from './types.js';

type Binary = ArithmeticOp;

/**
 * Broadcast geometry of `a ∘ b` → out: the output's dimensions with each operand's stride along them (0 where it
 * broadcasts), after merging neighbouring dimensions that both operands walk the same way, so an SE gate
 * [N, C, 1, 1] times [N, C, H, W] becomes two loops: N·C rows of H·W.
 */
function broadcastPlan(a: readonly number[], b: readonly number[], out: readonly number[]): { sizes: number[]; sa: number[]; sb: number[] } {
    const rank = out.length;
    const dimA = (i: number) => a[a.length - rank + i] ?? 1;
    const dimB = (i: number) => b[b.length - rank + i] ?? 1;
    const sizes: number[] = [];
    const sa: number[] = [];
    const sb: number[] = [];
    // Walk from the innermost dimension out, accumulating each operand's contiguous stride.
    let strideA = 1;
    let strideB = 1;
    for (let i = rank - 1; i >= 0; i--) {
        const size = out[i];
        if (size === 1) continue;
        const stepA = dimA(i) === 1 ? 0 : strideA;
        const stepB = dimB(i) === 1 ? 0 : strideB;
        const last = sizes.length - 1;
        // Merge with the previous (inner) dimension when both operands continue contiguously across it.
        if (last >= 0 && (stepA === 0) === (sa[last] === 0) && (stepB === 0) === (sb[last] === 0)
            && (stepA === 0 || stepA === sa[last] * sizes[last]) && (stepB === 0 || stepB === sb[last] * sizes[last])) {
            sizes[last] *= size;
        } else {
            sizes.push(size);
            sa.push(stepA);
            sb.push(stepB);
        }
        strideA *= dimA(i);
        strideB *= dimB(i);
    }
    if (sizes.length === 0) {
        sizes.push(1);
        sa.push(0);
        sb.push(0);
    }
    return { sizes: sizes.reverse(), sa: sa.reverse(), sb: sb.reverse() };
}

function binaryKernel(op: Binary): Kernel {
    return ctx => {
        const [a, b] = ctx.inputs;
        const y = ctx.outputs[0];
        const A = a.data;
        const B = b.data;
        const out = y.data;
        const { sizes, sa, sb } = broadcastPlan(a.shape, b.shape, y.shape);
        const rank = sizes.length;
        const inner = sizes[rank - 1];
        const ia = sa[rank - 1];
        const ib = sb[rank - 1];
        // Rows of a row each (what nearly every network's sums and gates merge into) go to the engine's kernel.
        if (rank <= 2) {
            const layout = { rows: rank === 2 ? sizes[0] : 1, inner, aRow: rank === 2 ? sa[0] : 0, bRow: rank === 2 ? sb[0] : 0, aStep: ia, bStep: ib };
            if (ctx.compute.arithmetic(op, A, B, out, layout)) return;
        }
        const rows = out.length / inner;
        const index = new Int32Array(rank); // the current row's position in the outer dimensions
        let pa = 0;
        let pb = 0;
        let dst = 0;
        for (let r = 0; r < rows; r++) {
            let ka = pa;
            let kb = pb;
            switch (op) {
                case 'add': for (let j = 0; j < inner; j++, ka += ia, kb += ib) out[dst++] = A[ka] + B[kb]; break;
                case 'sub': for (let j = 0; j < inner; j++, ka += ia, kb += ib) out[dst++] = A[ka] - B[kb]; break;
                case 'mul': for (let j = 0; j < inner; j++, ka += ia, kb += ib) out[dst++] = A[ka] * B[kb]; break;
                case 'div': for (let j = 0; j < inner; j++, ka += ia, kb += ib) out[dst++] = A[ka] / B[kb]; break;
            }
            // Advance the outer index like an odometer.
            for (let d = rank - 2; d >= 0; d--) {
                index[d]++;
                pa += sa[d];
                pb += sb[d];
                if (index[d] < sizes[d]) break;
                pa -= sa[d] * sizes[d];
                pb -= sb[d] * sizes[d];
                index[d] = 0;
            }
        }
    };
}

/** Copies `length` elements; short runs by a loop (no subarray object per run), long ones by `set`. */
function copy(src: Float32Array, from: number, dst: Float32Array, to: number, length: number): void {
    if (length >= 64) {
        dst.set(src.subarray(from, from + length), to);
    } else {
        for (let i = 0; i < length; i++) dst[to + i] = src[from + i];
    }
}

/** Elements before `dim` (outer) and after it (inner) of a shape. */
function around(shape: readonly number[], dim: number): [number, number] {
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < dim; i++) outer *= shape[i];
    for (let i = dim + 1; i < shape.length; i++) inner *= shape[i];
    return [outer, inner];
}

const concatKernel: Kernel = ctx => {
    const y = ctx.outputs[0];
    const dim = normalizeDim(ctx.node.attrs.dim as number, y.shape.length)!;
    const [outer, inner] = around(y.shape, dim);
    const outRow = y.shape[dim] * inner;
    let offset = 0;
    for (const x of ctx.inputs) {
        const row = x.shape[dim] * inner;
        for (let o = 0; o < outer; o++) copy(x.data, o * row, y.data, o * outRow + offset, row);
        offset += row;
    }
};

const splitKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const dim = normalizeDim(ctx.node.attrs.dim as number, x.shape.length)!;
    const [outer, inner] = around(x.shape, dim);
    const inRow = x.shape[dim] * inner;
    let offset = 0;
    for (const y of ctx.outputs) {
        const row = y.shape[dim] * inner;
        for (let o = 0; o < outer; o++) copy(x.data, o * inRow + offset, y.data, o * row, row);
        offset += row;
    }
};

/** Elements start, start+step, … before end along `dim`; start and end clamped as the shape rule (and Python) do. */
const sliceKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y: Tensor = ctx.outputs[0];
    const dim = normalizeDim(ctx.node.attrs.dim as number, x.shape.length)!;
    const size = x.shape[dim];
    const raw = ctx.node.attrs.start as number;
    const start = Math.min(Math.max(raw < 0 ? raw + size : raw, 0), size);
    const step = ctx.node.attrs.step as number;
    const count = y.shape[dim];
    const [outer, inner] = around(x.shape, dim);
    let dst = 0;
    for (let o = 0; o < outer; o++) {
        for (let i = 0; i < count; i++) {
            const src = (o * size + start + i * step) * inner;
            copy(x.data, src, y.data, dst, inner);
            dst += inner;
        }
    }
};

/** Channel shuffle: channels viewed as groups × C/g, transposed: output channel j·g + i is input channel i·(C/g) + j. */
const shuffleKernel: Kernel = ctx => {
    const x = ctx.inputs[0];
    const y = ctx.outputs[0];
    const groups = ctx.node.attrs.groups as number;
    const [batch, channels] = x.shape;
    const plane = x.data.length / (batch * channels);
    const perGroup = channels / groups;
    for (let n = 0; n < batch; n++) {
        for (let i = 0; i < groups; i++) {
            for (let j = 0; j < perGroup; j++) {
                const src = (n * channels + i * perGroup + j) * plane;
                copy(x.data, src, y.data, (n * channels + j * groups + i) * plane, plane);
            }
        }
    }
};

export const mergeKernels: OpTable<Kernel> = {
    add: binaryKernel('add'),
    sub: binaryKernel('sub'),
    mul: binaryKernel('mul'),
    div: binaryKernel('div'),
    concat: concatKernel,
    split: splitKernel,
    slice: sliceKernel,
    shuffle: shuffleKernel,
};
