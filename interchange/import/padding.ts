/**
 * Padding as ONNX says it — a windowed node's pads or auto_pad, a Pad node's pads, value and mode — read as begin
 * and end per spatial dimension, and as the language writes it.
 */
import type { AttrValue } from '../../language/ops/types.js';
import { quoted } from '../../language/util/quote.js';
import { unsupported } from './import-error.js';
import type { ImportGraph } from './import-graph.js';
import { attr, floatAttr, intsAttr, normalizeAxis, stringAttr } from './node-attributes.js';
import { compactInts } from './numbers.js';
import type { OnnxNode } from './onnx-model.js';

/** ONNX's auto_pad values (onnx/defs: NOTSET, SAME_UPPER, SAME_LOWER, VALID). */
const AUTO_PAD_VALUES = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
type AutoPad = typeof AUTO_PAD_VALUES[number];

/** Padding as the language writes it: `1`, per dimension `(1, 2)` or per side `((0, 1), (0, 1))`. */
export function compactPadding(begin: readonly number[], end: readonly number[]): AttrValue {
    if (begin.every((b, i) => b === end[i])) return compactInts(begin);
    return begin.map((b, i) => [b, end[i]]);
}

/** The spatial padding of a windowed node: explicit pads or auto_pad, as begin/end per dimension. */
export function windowPadding(node: OnnxNode, input: readonly number[], kernel: readonly number[], stride: readonly number[], dilation: readonly number[]): { begin: number[]; end: number[] } {
    const dims = kernel.length;
    const pad = autoPad(node);
    if (pad === 'SAME_UPPER' || pad === 'SAME_LOWER') {
        const begin: number[] = [];
        const end: number[] = [];
        for (let i = 0; i < dims; i++) {
            const out = Math.ceil(input[i] / stride[i]);
            const total = Math.max((out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - input[i], 0);
            const small = Math.floor(total / 2);
            begin.push(pad === 'SAME_UPPER' ? small : total - small);
            end.push(pad === 'SAME_UPPER' ? total - small : small);
        }
        return { begin, end };
    }
    if (pad === 'VALID') return { begin: Array(dims).fill(0), end: Array(dims).fill(0) };
    const pads = intsAttr(node, 'pads') ?? Array(2 * dims).fill(0);
    if (pads.length !== 2 * dims) unsupported(node, `pads has ${pads.length} values for ${dims} spatial dimensions`);
    if (pads.some(p => p < 0)) unsupported(node, `negative pads (${pads.join(', ')}) crop the input; the language pads only`);
    return { begin: pads.slice(0, dims), end: pads.slice(dims) };
}

/** The node's auto_pad, refused when it is not one ONNX defines (a misspelt value would silently mean no padding). */
export function autoPad(node: OnnxNode): AutoPad {
    const value = attr(node, 'auto_pad');
    if (value === undefined) return 'NOTSET';
    if (typeof value !== 'string' || !(AUTO_PAD_VALUES as readonly string[]).includes(value)) {
        unsupported(node, `its auto_pad is ${typeof value === 'string' ? quoted(value) : 'not a string'}, which ONNX does not define; it must be NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
    }
    return value as AutoPad;
}

/**
 * A Pad node's spatial sides, mode and value (attributes before opset 11, inputs after), or undefined if not
 * constant. `inputRank` is the input's rank when its shape is not known yet (a Pad right after the layer being
 * read); `rank` in the result is -1 when the batch or channel dimension is padded.
 */
export function padSides(graph: ImportGraph, node: OnnxNode, inputRank?: number): { begin: number[]; end: number[]; mode: string; value: number; rank: number } | undefined {
    const rank = graph.shapes.get(node.inputs[0])?.length ?? inputRank;
    if (rank === undefined) return undefined;
    let pads: readonly number[] | undefined = intsAttr(node, 'pads');
    let value = floatAttr(node, 'value', 0);
    if (!pads) {
        pads = graph.constant(node.inputs[1])?.values();
        if (!pads) return undefined;
        if (node.inputs[2]) {
            const v = graph.constant(node.inputs[2]);
            if (!v) return undefined;
            value = v.values()[0] ?? 0;
        }
        if (node.inputs[3]) {
            const axes = graph.constant(node.inputs[3])?.values();
            if (!axes) return undefined;
            const full = Array(2 * rank).fill(0);
            axes.forEach((a, i) => {
                const axis = normalizeAxis(a, rank);
                full[axis] = pads![i];
                full[rank + axis] = pads![axes.length + i];
            });
            pads = full;
        }
    }
    if (pads.length !== 2 * rank) return undefined;
    const mode = stringAttr(node, 'mode', 'constant');
    return { begin: pads.slice(2, rank), end: pads.slice(rank + 2), mode, value, rank: pads[0] || pads[1] || pads[rank] || pads[rank + 1] ? -1 : rank };
}
