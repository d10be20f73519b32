/**
 * Evaluates the constant parts of an ONNX graph: initializers, Constant nodes, and the shape arithmetic exporters
 * write around Reshape, Slice, Pad and Resize (Shape → Gather → Unsqueeze → Concat, Div/Mul on sizes, Cast,
 * ConstantOfShape …). A value is computed on demand and remembered; Shape of an activation is known once the
 * importer has inferred that activation's shape, so a Reshape's target resolves exactly when the Reshape is read.
 *
 * Tensors that come from a parameter by Identity, Reshape, Transpose, Unsqueeze, Squeeze or Cast keep the
 * parameter's name (`paramName`), so `fc.weight` transposed for a MatMul still names the layer `fc`.
 */
import { broadcastShapes, numel } from '../../language/ops/shape-utils.js';
import { quoted } from '../../language/util/quote.js';
import { describeNode, OnnxImportError } from './import-error.js';
import { attr, intAttr, intsAttr, normalizeAxis } from './node-attributes.js';
import { computedTensor, DataType, isIntType, type ConstTensor, type DecodedModel, type OnnxNode } from './onnx-model.js';

type Shape = readonly number[];

/** Strides of a row-major tensor. */
function stridesOf(dims: Shape): number[] {
    const strides = Array(dims.length).fill(1);
    for (let i = dims.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
    return strides;
}

/** Maps a flat position of `out` to the index into a tensor of shape `dims` broadcast to it (strides computed once). */
function broadcaster(out: Shape, dims: Shape): (flat: number) => number {
    const outStrides = stridesOf(out);
    const strides = stridesOf(dims);
    const offset = out.length - dims.length;
    return flat => {
        let index = 0;
        for (let i = 0; i < out.length; i++) {
            const coordinate = Math.floor(flat / outStrides[i]) % out[i];
            const d = i - offset;
            if (d >= 0 && dims[d] !== 1) index += coordinate * strides[d];
        }
        return index;
    };
}

const BINARY: Record<string, (a: number, b: number, integer: boolean) => number> = {
    Add: (a, b) => a + b,
    Sub: (a, b) => a - b,
    Mul: (a, b) => a * b,
    Div: (a, b, integer) => (integer ? Math.trunc(a / b) : a / b),
    Pow: (a, b) => a ** b,
    Min: (a, b) => Math.min(a, b),
    Max: (a, b) => Math.max(a, b),
    Mod: (a, b) => a - Math.floor(a / b) * b,
    Equal: (a, b) => (a === b ? 1 : 0),
    Less: (a, b) => (a < b ? 1 : 0),
    Greater: (a, b) => (a > b ? 1 : 0),
    LessOrEqual: (a, b) => (a <= b ? 1 : 0),
    GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
    And: (a, b) => (a && b ? 1 : 0),
    Or: (a, b) => (a || b ? 1 : 0),
};

const COMPARISONS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

const UNARY: Record<string, (a: number) => number> = {
    Neg: a => -a,
    Abs: Math.abs,
    Floor: Math.floor,
    Ceil: Math.ceil,
    Round: a => {
        const r = Math.round(a);
        return Math.abs(a % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even, as ONNX
    },
    Sqrt: Math.sqrt,
    Reciprocal: a => 1 / a,
    Not: a => (a ? 0 : 1),
    Sign: Math.sign,
};

/** Ops evaluated when every input is constant (Shape and Size need only the input's shape). */
export const FOLDABLE_OPS: ReadonlySet<string> = new Set([
    'Constant', 'Identity', 'Shape', 'Size', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'CastLike', 'Reshape', 'Flatten',
    'Transpose', 'Slice', 'ConstantOfShape', 'Range', 'Where', 'Expand', 'ReduceProd', 'ReduceSum', 'ReduceMin', 'ReduceMax',
    ...Object.keys(BINARY), ...Object.keys(UNARY),
]);

/** The result of folding a node, or undefined when one of its inputs is not constant (yet). */
type Folder = (node: OnnxNode, inputs: (ConstTensor | undefined)[], ev: ConstantEvaluator) => ConstTensor[] | undefined;

function castValue(v: number, to: number): number {
    if (to === DataType.BOOL) return v ? 1 : 0;
    if (isIntType(to)) return Math.trunc(v);
    if (to === DataType.FLOAT) return Math.fround(v);
    return v;
}

/** Axes given as an attribute (older opsets) or as the second input (newer). */
function axesOf(node: OnnxNode, inputs: (ConstTensor | undefined)[], index: number): number[] | undefined | null {
    const fromAttr = intsAttr(node, 'axes');
    if (fromAttr) return fromAttr;
    if (node.inputs[index]) {
        const t = inputs[index];
        return t ? [...t.values()] : null; // null: given but not constant
    }
    return undefined;
}

function gather(data: ConstTensor, indices: ConstTensor, axisAttr: number): ConstTensor {
    const axis = normalizeAxis(axisAttr, data.dims.length);
    const outer = numel(data.dims.slice(0, axis));
    const inner = numel(data.dims.slice(axis + 1));
    const size = data.dims[axis];
    const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
    return computedTensor(dims, data.dataType, () => {
        const values = data.values();
        const idx = indices.values().map(i => (i < 0 ? i + size : i));
        const out: number[] = [];
        for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) out.push(values[(o * size + i) * inner + k]);
        return out;
    });
}

function transpose(data: ConstTensor, perm: readonly number[]): ConstTensor {
    const dims = perm.map(p => data.dims[p]);
    return computedTensor(dims, data.dataType, () => {
        const values = data.values();
        const inStrides = stridesOf(data.dims);
        const outStrides = stridesOf(dims);
        const out: number[] = Array(values.length);
        for (let flat = 0; flat < values.length; flat++) {
            let src = 0;
            for (let i = 0; i < dims.length; i++) src += (Math.floor(flat / outStrides[i]) % dims[i]) * inStrides[perm[i]];
            out[flat] = values[src];
        }
        return out;
    }, data.paramName);
}

/** ONNX Slice's clamping of one axis: the first index and the count taken with `step`. */
export function sliceRange(size: number, start: number, end: number, step: number): { first: number; count: number } {
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = start < 0 ? start + size : start;
    let e = end < 0 ? end + size : end;
    if (step > 0) {
        s = clamp(s, 0, size);
        e = clamp(e, 0, size);
        return { first: s, count: Math.max(0, Math.ceil((e - s) / step)) };
    }
    s = clamp(s, 0, size - 1);
    e = clamp(e, -1, size - 1);
    return { first: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

function slice(data: ConstTensor, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[]): ConstTensor {
    const rank = data.dims.length;
    const first = Array(rank).fill(0);
    const step = Array(rank).fill(1);
    const dims = [...data.dims];
    axes.forEach((a, i) => {
        const axis = normalizeAxis(a, rank);
        const r = sliceRange(data.dims[axis], starts[i], ends[i], steps[i] ?? 1);
        first[axis] = r.first;
        step[axis] = steps[i] ?? 1;
        dims[axis] = r.count;
    });
    return computedTensor(dims, data.dataType, () => {
        const values = data.values();
        const inStrides = stridesOf(data.dims);
        const outStrides = stridesOf(dims);
        const out: number[] = [];
        for (let flat = 0; flat < numel(dims); flat++) {
            let src = 0;
            for (let i = 0; i < rank; i++) src += (first[i] + (Math.floor(flat / outStrides[i]) % dims[i]) * step[i]) * inStrides[i];
            out.push(values[src]);
        }
        return out;
    });
}

/** Reshape's target with 0 (copy, unless allowzero) and −1 (inferred) resolved. */
export function resolveReshape(input: Shape, target: readonly number[], allowZero = false): number[] | undefined {
    const out = target.map((d, i) => (d === 0 && !allowZero ? input[i] : d));
    if (out.some(d => d === undefined || d < -1)) return undefined;
    const unknown = out.filter(d => d === -1).length;
    if (unknown > 1) return undefined;
    const known = numel(out.filter(d => d !== -1));
    const total = numel(input);
    if (unknown === 1) {
        if (known === 0 || total % known !== 0) return undefined;
        return out.map(d => (d === -1 ? total / known : d));
    }
    return known === total ? out : undefined;
}

function reduce(node: OnnxNode, inputs: (ConstTensor | undefined)[], combine: (a: number, b: number) => number, initial: number): ConstTensor[] | undefined {
    const data = inputs[0];
    if (!data) return undefined;
    const axesRaw = axesOf(node, inputs, 1);
    if (axesRaw === null) return undefined;
    const rank = data.dims.length;
    const axes = (axesRaw ?? (intAttr(node, 'noop_with_empty_axes', 0) ? [] : data.dims.map((_, i) => i))).map(a => normalizeAxis(a, rank));
    const keep = intAttr(node, 'keepdims', 1) === 1;
    const outFull = data.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    const dims = keep ? outFull : data.dims.filter((_, i) => !axes.includes(i));
    return [computedTensor(dims, data.dataType, () => {
        const values = data.values();
        const out = Array(numel(outFull)).fill(initial);
        const inStrides = stridesOf(data.dims);
        const outStrides = stridesOf(outFull);
        values.forEach((v, flat) => {
            let dst = 0;
            for (let i = 0; i < rank; i++) if (!axes.includes(i)) dst += (Math.floor(flat / inStrides[i]) % data.dims[i]) * outStrides[i];
            out[dst] = combine(out[dst], v);
        });
        return out;
    })];
}

const FOLDERS: Record<string, Folder> = {
    Constant: node => {
        const value = attr(node, 'value');
        if (value && typeof value === 'object' && !Array.isArray(value)) return [value];
        const f = attr(node, 'value_float');
        if (typeof f === 'number') return [computedTensor([], DataType.FLOAT, [f])];
        const fs = attr(node, 'value_floats');
        if (Array.isArray(fs)) return [computedTensor([fs.length], DataType.FLOAT, fs)];
        const i = attr(node, 'value_int');
        if (typeof i === 'number') return [computedTensor([], DataType.INT64, [i])];
        const is = intsAttr(node, 'value_ints');
        if (is) return [computedTensor([is.length], DataType.INT64, is)];
        return undefined;
    },
    // PyTorch writes a parameter equal to another as Identity(other) → its own name, which it keeps; a graph output
    // (a network returning a learned tensor) is named for the output, and the parameter keeps its own name.
    Identity: (node, [x], ev) => (x ? [{ ...x, paramName: x.paramName !== undefined && !ev.isGraphOutput(node.outputs[0]) ? node.outputs[0] : x.paramName, values: x.values }] : undefined),
    Shape: (node, _inputs, ev) => {
        const shape = ev.shapeOf(node.inputs[0]);
        if (!shape) return undefined;
        const rank = shape.length;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
        const start = clamp(intAttr(node, 'start', 0));
        const end = clamp(intAttr(node, 'end', rank));
        const dims = shape.slice(start, end);
        return [computedTensor([dims.length], DataType.INT64, dims)];
    },
    Size: (node, _inputs, ev) => {
        const shape = ev.shapeOf(node.inputs[0]);
        return shape ? [computedTensor([], DataType.INT64, [numel(shape)])] : undefined;
    },
    Gather: (node, [data, indices]) => (data && indices ? [gather(data, indices, intAttr(node, 'axis', 0))] : undefined),
    Unsqueeze: (node, inputs) => {
        const data = inputs[0];
        const axesRaw = axesOf(node, inputs, 1);
        if (!data || !axesRaw) return undefined;
        const rank = data.dims.length + axesRaw.length;
        const axes = axesRaw.map(a => normalizeAxis(a, rank)).sort((a, b) => a - b);
        const dims = [...data.dims];
        for (const a of axes) dims.splice(a, 0, 1);
        return [computedTensor(dims, data.dataType, () => data.values(), data.paramName)];
    },
    Squeeze: (node, inputs) => {
        const data = inputs[0];
        const axesRaw = axesOf(node, inputs, 1);
        if (!data || axesRaw === null) return undefined;
        const axes = (axesRaw ?? data.dims.map((d, i) => (d === 1 ? i : -1)).filter(i => i >= 0)).map(a => normalizeAxis(a, data.dims.length));
        return [computedTensor(data.dims.filter((_, i) => !axes.includes(i)), data.dataType, () => data.values(), data.paramName)];
    },
    Concat: (node, inputs) => {
        if (inputs.some(t => !t)) return undefined;
        const tensors = inputs as ConstTensor[];
        const rank = tensors[0].dims.length;
        const axis = normalizeAxis(intAttr(node, 'axis', 0), rank);
        const dims = [...tensors[0].dims];
        dims[axis] = tensors.reduce((a, t) => a + t.dims[axis], 0);
        return [computedTensor(dims, tensors[0].dataType, () => {
            const outer = numel(dims.slice(0, axis));
            const out: number[] = [];
            for (let o = 0; o < outer; o++) {
                for (const t of tensors) {
                    const chunk = numel(t.dims.slice(axis));
                    const values = t.values();
                    // One element at a time: spreading a large chunk into push() would overflow the call stack.
                    for (let k = o * chunk; k < (o + 1) * chunk; k++) out.push(values[k]);
                }
            }
            return out;
        })];
    },
    Cast: (node, [x]) => {
        if (!x) return undefined;
        const to = intAttr(node, 'to', DataType.FLOAT);
        return [computedTensor(x.dims, to, () => x.values().map(v => castValue(v, to)), x.paramName)];
    },
    CastLike: (_node, [x, like]) => (x && like ? [computedTensor(x.dims, like.dataType, () => x.values().map(v => castValue(v, like.dataType)), x.paramName)] : undefined),
    Reshape: (node, [data, shape]) => {
        if (!data || !shape) return undefined;
        const dims = resolveReshape(data.dims, shape.values(), intAttr(node, 'allowzero', 0) === 1);
        return dims ? [computedTensor(dims, data.dataType, () => data.values(), data.paramName)] : undefined;
    },
    Flatten: (node, [data]) => {
        if (!data) return undefined;
        const axis = normalizeAxis(intAttr(node, 'axis', 1), data.dims.length);
        return [computedTensor([numel(data.dims.slice(0, axis)), numel(data.dims.slice(axis))], data.dataType, () => data.values(), data.paramName)];
    },
    Transpose: (node, [data]) => {
        if (!data) return undefined;
        const perm = intsAttr(node, 'perm') ?? data.dims.map((_, i) => data.dims.length - 1 - i);
        return [transpose(data, perm)];
    },
    Slice: (node, inputs) => {
        const data = inputs[0];
        if (!data) return undefined;
        const fromAttr = intsAttr(node, 'starts');
        let starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[];
        if (fromAttr) {
            starts = fromAttr;
            ends = intsAttr(node, 'ends') ?? [];
            axes = intsAttr(node, 'axes') ?? starts.map((_, i) => i);
            steps = starts.map(() => 1);
        } else {
            if (!inputs[1] || !inputs[2] || (node.inputs[3] && !inputs[3]) || (node.inputs[4] && !inputs[4])) return undefined;
            starts = inputs[1].values();
            ends = inputs[2].values();
            axes = inputs[3]?.values() ?? starts.map((_, i) => i);
            steps = inputs[4]?.values() ?? starts.map(() => 1);
        }
        return [slice(data, starts, ends, axes, steps)];
    },
    ConstantOfShape: (node, [shape]) => {
        if (!shape) return undefined;
        const value = attr(node, 'value');
        const fill = value && typeof value === 'object' && !Array.isArray(value) ? value.values()[0] ?? 0 : 0;
        const dataType = value && typeof value === 'object' && !Array.isArray(value) ? value.dataType : DataType.FLOAT;
        const dims = [...shape.values()];
        return [computedTensor(dims, dataType, () => Array(numel(dims)).fill(fill))];
    },
    Range: (node, [start, limit, delta]) => {
        if (!start || !limit || !delta) return undefined;
        const [s, l, d] = [start.values()[0], limit.values()[0], delta.values()[0]];
        if (d === 0 || ![s, l, d].every(Number.isFinite)) {
            throw new OnnxImportError(`${describeNode(node)} is a Range from ${s} to ${l} by ${d}, which never ends; fix its start, limit and delta`);
        }
        const count = Math.max(Math.ceil((l - s) / d), 0);
        // The elements are made only when read: the size limit is checked on the dimensions first.
        return [computedTensor([count], start.dataType, () => Array.from({ length: count }, (_, i) => s + i * d))];
    },
    Where: (_node, [cond, a, b]) => {
        if (!cond || !a || !b) return undefined;
        const condDims = broadcastShapes(cond.dims, a.dims);
        const dims = condDims && broadcastShapes(condDims, b.dims);
        if (!dims) return undefined;
        return [computedTensor(dims, a.dataType, () => {
            const [c, x, y] = [cond.values(), a.values(), b.values()];
            const [ci, xi, yi] = [broadcaster(dims, cond.dims), broadcaster(dims, a.dims), broadcaster(dims, b.dims)];
            return Array.from({ length: numel(dims) }, (_, i) => (c[ci(i)] ? x[xi(i)] : y[yi(i)]));
        })];
    },
    Expand: (_node, [data, shape]) => {
        if (!data || !shape) return undefined;
        const dims = broadcastShapes(data.dims, shape.values());
        if (!dims) return undefined;
        return [computedTensor(dims, data.dataType, () => {
            const values = data.values();
            const index = broadcaster(dims, data.dims);
            return Array.from({ length: numel(dims) }, (_, i) => values[index(i)]);
        })];
    },
    ReduceProd: (node, inputs) => reduce(node, inputs, (a, b) => a * b, 1),
    ReduceSum: (node, inputs) => reduce(node, inputs, (a, b) => a + b, 0),
    ReduceMin: (node, inputs) => reduce(node, inputs, Math.min, Infinity),
    ReduceMax: (node, inputs) => reduce(node, inputs, Math.max, -Infinity),
};

for (const [op, f] of Object.entries(BINARY)) {
    FOLDERS[op] = (_node, [a, b]) => {
        if (!a || !b) return undefined;
        const dims = broadcastShapes(a.dims, b.dims);
        if (!dims) return undefined;
        const integer = isIntType(a.dataType);
        const dataType = COMPARISONS.has(op) ? DataType.BOOL : a.dataType;
        return [computedTensor(dims, dataType, () => {
            const [x, y] = [a.values(), b.values()];
            const [xi, yi] = [broadcaster(dims, a.dims), broadcaster(dims, b.dims)];
            return Array.from({ length: numel(dims) }, (_, i) => {
                const v = f(x[xi(i)], y[yi(i)], integer);
                return dataType === DataType.FLOAT ? Math.fround(v) : v;
            });
        })];
    };
}
for (const [op, f] of Object.entries(UNARY)) {
    FOLDERS[op] = (_node, [a]) => (a ? [computedTensor(a.dims, a.dataType, () => a.values().map(f))] : undefined);
}

/**
 * The most elements one computed constant may have (2^24, 16.7 M), and all of them together. Shape arithmetic
 * makes vectors of a few numbers; a constant beyond this is an attack or a mistake (Range(0, 3·10⁹) would exhaust
 * the heap), and is refused naming the node that makes it. A parameter that is only reshaped, transposed or cast
 * is not limited: it has no more elements than the file stores.
 */
export const CONSTANT_LIMITS = { elements: 2 ** 24, totalElements: 2 ** 26 } as const;

/** Constants of a model, computed on demand. `shapeOf` gives the inferred shape of an activation (or undefined). */
export class ConstantEvaluator {
    private readonly producers = new Map<string, OnnxNode>();
    private readonly known = new Map<string, ConstTensor>();
    /** Elements of computed constants made so far (their values, not just their dimensions). */
    private evaluatedElements = 0;
    /** Computed constants whose values are not made yet. */
    private readonly unmade = new Set<string>();

    private readonly graphOutputs: ReadonlySet<string>;

    constructor(model: DecodedModel, private readonly activationShape: (tensor: string) => Shape | undefined) {
        for (const node of model.nodes) for (const out of node.outputs) if (out) this.producers.set(out, node);
        for (const [name, t] of model.initializers) this.known.set(name, t);
        this.graphOutputs = new Set(model.outputs.map(o => o.name));
    }

    isGraphOutput(tensor: string): boolean {
        return this.graphOutputs.has(tensor);
    }

    /** The constant value of `tensor`, or undefined when it depends on an activation (or an unknown shape). */
    constant(tensor: string): ConstTensor | undefined {
        if (!tensor) return undefined;
        const known = this.known.get(tensor);
        if (known) return known;
        if (this.activationShape(tensor)) return undefined; // an activation is never constant
        for (const node of this.foldOrder(tensor)) this.foldNode(node);
        return this.known.get(tensor);
    }

    isConstant(tensor: string): boolean {
        return this.constant(tensor) !== undefined;
    }

    /** Whether every output of `node` is a constant (the node is shape arithmetic, not a layer). */
    folds(node: OnnxNode): boolean {
        return node.outputs.length > 0 && node.outputs.every(o => !o || this.constant(o) !== undefined);
    }

    shapeOf(tensor: string): Shape | undefined {
        return this.known.get(tensor)?.dims ?? this.activationShape(tensor) ?? this.constant(tensor)?.dims;
    }

    /** The node that computes `tensor` when it is shape arithmetic (a foldable op of the ONNX domain). */
    private foldableProducer(tensor: string): OnnxNode | undefined {
        if (!tensor || this.known.has(tensor) || this.activationShape(tensor)) return undefined;
        const node = this.producers.get(tensor);
        if (!node || !FOLDERS[node.opType] || (node.domain && node.domain !== 'ai.onnx')) return undefined;
        // A node that reads an activation's values is a layer, not a constant: its other inputs need not be computed.
        const shapeOnly = node.opType === 'Shape' || node.opType === 'Size';
        if (!shapeOnly && node.inputs.some(i => i && this.activationShape(i))) return undefined;
        return node;
    }

    /**
     * The foldable nodes `tensor` depends on, each after the nodes it reads: a walk backwards from `tensor` with an
     * explicit stack, so a long chain of shape arithmetic cannot overflow the call stack. Only what `tensor` needs
     * is visited.
     */
    private foldOrder(tensor: string): OnnxNode[] {
        const root = this.foldableProducer(tensor);
        if (!root) return [];
        const order: OnnxNode[] = [];
        const seen = new Set<OnnxNode>([root]);
        const stack: { node: OnnxNode; next: number }[] = [{ node: root, next: 0 }];
        while (stack.length) {
            const top = stack[stack.length - 1];
            if (top.next === top.node.inputs.length) {
                order.push(top.node);
                stack.pop();
                continue;
            }
            const producer = this.foldableProducer(top.node.inputs[top.next++]);
            if (producer && !seen.has(producer)) {
                seen.add(producer);
                stack.push({ node: producer, next: 0 });
            }
        }
        return order;
    }

    /** Folds `node` (its inputs already folded where they can be) and remembers its outputs, within the limits. */
    private foldNode(node: OnnxNode): void {
        if (node.outputs.every(o => !o || this.known.has(o))) return;
        const results = this.fold(node);
        if (!results) return;
        node.outputs.forEach((out, i) => {
            if (out && results[i]) this.known.set(out, this.limited(node, out, results[i]));
        });
    }

    /**
     * `t` refused when its dimensions are not sizes or it has too many elements. Its values are made when first read,
     * after those of the constants it reads (see `makeValuesBefore`), and counted against the limit for all.
     */
    private limited(node: OnnxNode, output: string, t: ConstTensor): ConstTensor {
        const shape = `(${t.dims.join(', ')})`;
        if (t.dims.some(d => !Number.isSafeInteger(d) || d < 0)) {
            throw new OnnxImportError(`${describeNode(node)} computes ${quoted(output)} with dimensions ${shape}, which are not sizes; fix the shape arithmetic that feeds it`);
        }
        // A parameter viewed another way (reshaped, transposed, cast) has the parameter's elements, which the file holds.
        const viewOfParameter = t.paramName !== undefined;
        const count = numel(t.dims);
        if (!viewOfParameter && count > CONSTANT_LIMITS.elements) {
            throw new OnnxImportError(`${describeNode(node)} computes ${quoted(output)} of shape ${shape}, ${count.toLocaleString('en-US')} elements, above the importer's limit of ${CONSTANT_LIMITS.elements.toLocaleString('en-US')} for a constant; shape arithmetic should make small tensors (check its sizes)`);
        }
        let cache: readonly number[] | undefined;
        this.unmade.add(output);
        const values = () => {
            if (cache) return cache;
            this.makeValuesBefore(node);
            if (!viewOfParameter) this.countElements(node, output, count);
            cache = t.values();
            this.unmade.delete(output);
            return cache;
        };
        return { ...t, values };
    }

    private countElements(node: OnnxNode, output: string, count: number): void {
        this.evaluatedElements += count;
        if (this.evaluatedElements > CONSTANT_LIMITS.totalElements) {
            throw new OnnxImportError(`${describeNode(node)} computes ${quoted(output)} after the model's constants already reached the importer's limit of ${CONSTANT_LIMITS.totalElements.toLocaleString('en-US')} elements in all; shape arithmetic should make small tensors`);
        }
    }

    /**
     * Makes the values of the computed constants `node` reads, the deepest first: each constant's values are made
     * from its inputs' values, and reading them through a chain of thousands of nodes in one go would overflow the
     * call stack. (Shape and Size read only their input's dimensions.)
     */
    private makeValuesBefore(node: OnnxNode): void {
        const readsValues = (n: OnnxNode) => n.opType !== 'Shape' && n.opType !== 'Size';
        const producerToMake = (tensor: string) => (tensor && this.unmade.has(tensor) ? this.producers.get(tensor) : undefined);
        const seen = new Set<OnnxNode>([node]);
        const stack: { node: OnnxNode; next: number }[] = [{ node, next: 0 }];
        while (stack.length) {
            const top = stack[stack.length - 1];
            if (!readsValues(top.node) || top.next === top.node.inputs.length) {
                stack.pop();
                if (top.node !== node) for (const out of top.node.outputs) if (this.unmade.has(out)) this.known.get(out)!.values();
                continue;
            }
            const producer = producerToMake(top.node.inputs[top.next++]);
            if (producer && !seen.has(producer)) {
                seen.add(producer);
                stack.push({ node: producer, next: 0 });
            }
        }
    }

    private fold(node: OnnxNode): ConstTensor[] | undefined {
        const shapeOnly = node.opType === 'Shape' || node.opType === 'Size';
        const inputs = node.inputs.map(i => (i && !shapeOnly ? this.known.get(i) : undefined));
        if (!shapeOnly && node.inputs.some((name, i) => name && !inputs[i])) return undefined;
        try {
            return FOLDERS[node.opType](node, inputs, this);
        } catch (e) {
            if (e instanceof OnnxImportError) throw e;
            return undefined; // malformed attributes or inputs: the node is not read as a constant
        }
    }
}
