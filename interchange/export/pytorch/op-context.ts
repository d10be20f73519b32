/**
 * What every op's PyTorch form is written from (`OpContext`), the two forms an op can take, and the pieces they
 * share: the window of a convolution or pool, compact tuples, and the error that names the layer.
 */
import type { GraphNode } from '../../../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../../../language/ops/conv.js';
import type { Py, PyLit } from './py-ast.js';

export class PytorchExportError extends Error {}

export interface OpContext {
    readonly node: GraphNode;
    readonly inShapes: readonly (readonly number[])[];
    readonly outShapes: readonly (readonly number[])[];
    /** The helpers of helpers-code.ts the file needs (an op adds the ones it calls). */
    readonly helpers: Set<string>;
    readonly imports: Set<string>;
}

/** The nn.Module that computes a layer (its parameters under the layer's name). */
export type ModuleForm = (c: OpContext) => Py;

/**
 * The layer written inline in forward on its inputs (`F.relu(x)`, `a + b`); undefined when this layer needs its
 * module after all (a pool with per-side padding).
 */
export type FunctionForm = (c: OpContext, inputs: readonly Py[]) => Py | undefined;

export function fail(node: GraphNode, reason: string): never {
    throw new PytorchExportError(`cannot export layer '${node.name}' (${node.op}) to PyTorch: ${reason}`);
}

/** The name of a helper of helpers-code.ts, which the file then includes. */
export function useHelper(c: OpContext, helper: string): string {
    c.helpers.add(helper);
    return helper;
}

/** `3` for (3, 3), the tuple otherwise. */
export function compact(values: readonly number[]): PyLit {
    return values.every(v => v === values[0]) ? values[0] : values;
}

export const dimsOf = (c: OpContext) => c.inShapes[0].length - 2;

export function windowOf(node: GraphNode, inShape: readonly number[], dilation = true) {
    const dims = inShape.length - 2;
    const w = resolveWindowAttrs({ inputs: [inShape], attrs: node.attrs }, dims, { dilation });
    if (w.issues.length) fail(node, w.issues[0].message);
    const symmetric = w.pads.begin.every((b, i) => b === w.pads.end[i]);
    // F.pad lists the last dimension first.
    const fpad: number[] = [];
    for (let i = dims - 1; i >= 0; i--) fpad.push(w.pads.begin[i], w.pads.end[i]);
    return { ...w, symmetric, fpad };
}
