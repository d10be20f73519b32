/**
 * Passes over the layers once every node is read, for what exporters write as several layers that the language
 * says as one: adaptive pooling decomposed per axis, spatial pyramid pooling, an Identity that ends a
 * decomposition, a layer norm over the channels between two Transposes (LayerNorm2d), a reflect or replicate Pad
 * before a conv, or the exporter's wrap-around Slices and Concats before one (its padding_mode). A merged layer is
 * kept only when the language's op spec gives it the shapes the parts had.
 */
import { findOp } from '../../language/ops/registry.js';
import type { AttrValue, Shape } from '../../language/ops/types.js';
import { sameList, withDefaults, type ImportedLayer, type ImportGraph } from './import-graph.js';
import { layerPath, scopeOfNodes } from './layer-names.js';
import { compactInts } from './numbers.js';
import { compactPadding } from './padding.js';

/** Runs every pass, in the order they build on each other. */
export function mergeLayers(graph: ImportGraph): void {
    const layers = new LayerQueries(graph);
    mergeAdaptivePools(graph, layers);
    absorbIdentities(graph, layers);
    foldSpatialPyramids(graph, layers);
    foldLayerNorm2d(graph, layers);
    foldPaddingModes(graph, layers);
    foldCircularPadding(graph, layers);
}

/** Who makes and who reads a tensor among the layers, and replacing layers by one. */
class LayerQueries {
    constructor(private readonly graph: ImportGraph) {}

    producerOf(tensor: string): ImportedLayer | undefined {
        return this.graph.layers.find(l => l.outputs.includes(tensor));
    }

    readersOf(tensor: string): ImportedLayer[] {
        return this.graph.layers.filter(l => l.inputs.includes(tensor));
    }

    isOutput(tensor: string): boolean {
        return this.graph.graphOutputs.has(tensor) || [...this.graph.aliases.values()].includes(tensor);
    }

    scope(layer: ImportedLayer): string | undefined {
        return scopeOfNodes(this.graph.model.nodes, layer.nodes)?.join('.');
    }

    replace(remove: ImportedLayer[], add: ImportedLayer): void {
        const layers = this.graph.layers;
        const at = Math.min(...remove.map(l => layers.indexOf(l)));
        for (const l of remove) layers.splice(layers.indexOf(l), 1);
        layers.splice(at, 0, add);
    }

    /** `layer` as `op` with these attributes, or undefined when the language's spec does not give `expected` shapes. */
    reshaped(layer: ImportedLayer, op: string, attrs: Record<string, AttrValue>, inputs: string[], outputs: string[], nodes: number[], expected: readonly Shape[]): ImportedLayer | undefined {
        const spec = findOp(op)!;
        const full = withDefaults(op, attrs);
        const shapes = inputs.map(t => this.graph.shapes.get(t)!);
        const result = spec.shape({ inputs: shapes, attrs: full });
        if (!result.outputs || result.issues.some(i => i.severity === 'error') || result.outputs.length !== expected.length || !result.outputs.every((s, i) => sameList(s, expected[i]))) return undefined;
        const cost = spec.cost({ inputs: shapes, attrs: full }, result.outputs);
        return { ...layer, op, attrs, inputs, outputs, outputShapes: [...result.outputs], nodes, params: [], paramCount: 0, bufferCount: 0, macs: cost.macs, warnings: result.issues.filter(i => i.severity === 'warning') };
    }
}

/** Adaptive pooling along one axis, then along another (the exporter's per-axis decomposition): one layer. */
function mergeAdaptivePools(graph: ImportGraph, q: LayerQueries): void {
    const layers = graph.layers;
    for (let i = 0; i < layers.length; i++) {
        const first = layers[i];
        if (!first.op.startsWith('adaptive') || q.isOutput(first.outputs[0])) continue;
        const readers = q.readersOf(first.outputs[0]);
        const second = readers[0];
        if (readers.length !== 1 || second.op !== first.op) continue;
        const a = first.attrs.output_size;
        const b = second.attrs.output_size;
        const dims = first.outputShapes[0].length - 2;
        const inShape = graph.shapes.get(first.inputs[0])!;
        const sa = typeof a === 'number' ? Array(dims).fill(a) : a as number[];
        const sb = typeof b === 'number' ? Array(dims).fill(b) : b as number[];
        const mid = first.outputShapes[0].slice(2);
        // Each reduces the axes where its size differs from its input's; together they reduce both.
        const size = mid.map((m, d) => (sb[d] !== m ? sb[d] : sa[d] !== inShape[2 + d] ? sa[d] : m));
        const merged = q.reshaped(second, first.op, { output_size: compactInts(size) }, first.inputs.slice(), second.outputs.slice(), [...first.nodes, ...second.nodes], second.outputShapes);
        if (!merged) continue;
        q.replace([first, second], merged);
        i--;
    }
}

/** Flatten(pool_l(x)) for every level, concatenated: the exporter's spatial pyramid pooling, read back whole. */
function foldSpatialPyramids(graph: ImportGraph, q: LayerQueries): void {
    for (const concat of [...graph.layers]) {
        if (concat.op !== 'concat' || (concat.attrs.dim !== undefined && concat.attrs.dim !== 1) || concat.inputs.length < 1) continue;
        const parts = concat.inputs.map(t => {
            const flatten = q.producerOf(t);
            if (!flatten || flatten.op !== 'flatten' || q.readersOf(t).length !== 1 || q.isOutput(t)) return undefined;
            const pool = q.producerOf(flatten.inputs[0]);
            if (!pool || q.readersOf(flatten.inputs[0]).length !== 1 || q.isOutput(flatten.inputs[0])) return undefined;
            const level = pyramidLevel(pool, graph.shapes.get(pool.inputs[0])!);
            return level ? { flatten, pool, ...level } : undefined;
        });
        if (parts.some(p => !p)) continue;
        const all = parts as NonNullable<typeof parts[number]>[];
        const x = all[0].pool.inputs[0];
        const modes = new Set(all.map(p => p.mode).filter(m => m !== 'any'));
        const mode = modes.size === 0 ? 'max' : [...modes][0];
        if (!all.every(p => p.pool.inputs[0] === x) || modes.size > 1 || graph.shapes.get(x)!.length !== 4) continue;
        const scopes = new Set([concat, ...all.flatMap(p => [p.flatten, p.pool])].map(l => q.scope(l) ?? ''));
        if (scopes.size !== 1) continue;
        const attrs: Record<string, AttrValue> = {};
        const levels = all.map(p => p.level);
        if (!sameList(levels, [1, 2, 4])) attrs.levels = levels.length === 1 ? levels[0] : levels;
        if (mode !== 'max') attrs.mode = mode;
        const nodes = [...all.flatMap(p => [...p.pool.nodes, ...p.flatten.nodes]), ...concat.nodes];
        const spp = q.reshaped(concat, 'spp', attrs, [x], concat.outputs.slice(), nodes, concat.outputShapes);
        if (spp) q.replace([concat, ...all.flatMap(p => [p.pool, p.flatten])], spp);
    }
}

/**
 * Channels-last → layernorm over the channels → channels-first, all three of one module (the Transposes' node names
 * in the layer norm's scope): torchvision's LayerNorm2d as torch.onnx writes it, and the exporter's layernorm2d.
 * Three layers a person wrote (each its own module) stay three.
 */
function foldLayerNorm2d(graph: ImportGraph, q: LayerQueries): void {
    const permutes = (layer: ImportedLayer | undefined, named: string, dims: readonly number[]) =>
        !!layer && (layer.op === named || (layer.op === 'permute' && sameList(layer.attrs.dims as number[], dims)));
    for (const norm of [...graph.layers]) {
        if (norm.op !== 'layernorm') continue;
        const input = norm.inputs[0];
        const shape = graph.shapes.get(input)!;
        const normalized = (withDefaults(norm.op, norm.attrs).normalized_shape as number[] | undefined) ?? shape.slice(1);
        if (shape.length !== 4 || !sameList(normalized, [shape[3]])) continue;
        const before = q.producerOf(input);
        const readers = q.readersOf(norm.outputs[0]);
        const after = readers[0];
        if (!permutes(before, 'channelslast', [0, 2, 3, 1]) || readers.length !== 1 || !permutes(after, 'channelsfirst', [0, 3, 1, 2])) continue;
        if (q.readersOf(input).length !== 1 || q.isOutput(input) || q.isOutput(norm.outputs[0])) continue;
        const path = layerPath(norm, graph.model.nodes)?.join('.');
        if (!path || q.scope(before!) !== path || q.scope(after) !== path) continue;
        const attrs: Record<string, AttrValue> = norm.attrs.eps === undefined ? {} : { eps: norm.attrs.eps };
        const merged: ImportedLayer = {
            ...norm, op: 'layernorm2d', attrs, inputs: before!.inputs.slice(), outputs: after.outputs.slice(), outputShapes: after.outputShapes.slice(),
            nodes: [...before!.nodes, ...norm.nodes, ...after.nodes],
        };
        const spec = findOp('layernorm2d')!.shape({ inputs: [graph.shapes.get(merged.inputs[0])!], attrs: withDefaults('layernorm2d', attrs) });
        if (!spec.outputs || !sameList(spec.outputs[0], merged.outputShapes[0])) continue;
        q.replace([before!, norm, after], merged);
    }
}

/**
 * A reflect or replicate Pad read only by an unpadded conv of the same module: the conv's padding and padding_mode
 * (the exporter's form, and torch.onnx's for a Conv2d with padding_mode). A pad a person wrote (a layer of its own)
 * stays a pad.
 */
function foldPaddingModes(graph: ImportGraph, q: LayerQueries): void {
    for (const pad of [...graph.layers]) {
        const mode = pad.op === 'pad' ? withDefaults(pad.op, pad.attrs).mode : undefined;
        if (mode !== 'reflect' && mode !== 'replicate') continue;
        const readers = q.readersOf(pad.outputs[0]);
        const conv = readers[0];
        const spec = conv && findOp(conv.op);
        if (readers.length !== 1 || q.isOutput(pad.outputs[0]) || conv.inputs.length !== 1 || !spec?.attrs.some(a => a.name === 'padding_mode')) continue;
        const own = withDefaults(conv.op, conv.attrs);
        if ((own.padding !== 0 && own.padding !== undefined) || own.padding_mode !== 'zeros') continue;
        const path = layerPath(conv, graph.model.nodes)?.join('.');
        if (!path || q.scope(pad) !== path) continue;
        const attrs = inSpecOrder(conv.op, { ...conv.attrs, padding: pad.attrs.padding, padding_mode: mode });
        const result = spec.shape({ inputs: [graph.shapes.get(pad.inputs[0])!], attrs: withDefaults(conv.op, attrs) });
        if (!result.outputs || result.issues.some(i => i.severity === 'error') || !sameList(result.outputs[0], conv.outputShapes[0])) continue;
        q.replace([pad, conv], { ...conv, attrs, inputs: pad.inputs.slice(), nodes: [...pad.nodes, ...conv.nodes] });
    }
}

/** `attrs` in the order of the op's attributes (the order the writer gives them in). */
function inSpecOrder(op: string, attrs: Record<string, AttrValue>): Record<string, AttrValue> {
    return Object.fromEntries(findOp(op)!.attrs.filter(a => a.name in attrs).map(a => [a.name, attrs[a.name]]));
}

/**
 * The exporter's circular padding before an unpadded conv of the same module: per padded axis, a Concat of the last
 * `begin` rows (a Slice), the tensor and its first `end` rows (a Slice). Read back as the conv's padding with
 * padding_mode "circular".
 */
function foldCircularPadding(graph: ImportGraph, q: LayerQueries): void {
    for (const conv of [...graph.layers]) {
        const spec = findOp(conv.op);
        if (!spec?.attrs.some(a => a.name === 'padding_mode') || conv.inputs.length !== 1) continue;
        const own = withDefaults(conv.op, conv.attrs);
        if ((own.padding !== 0 && own.padding !== undefined) || own.padding_mode !== 'zeros') continue;
        const rank = graph.shapes.get(conv.inputs[0])!.length;
        const begin: number[] = Array(rank - 2).fill(0);
        const end: number[] = Array(rank - 2).fill(0);
        const parts: ImportedLayer[] = [];
        let tensor = conv.inputs[0];
        for (;;) {
            const concat = q.producerOf(tensor);
            // Read by nothing but what is being folded: the conv, or the Slices and Concat of the axis after.
            const folded = [conv, ...parts];
            if (!concat || concat.op !== 'concat' || q.readersOf(tensor).some(r => !folded.includes(r)) || q.isOutput(tensor)) break;
            const dim = (concat.attrs.dim as number | undefined) ?? 1;
            const axis = dim < 0 ? dim + rank : dim;
            const wrapped = wrappedAxis(graph, q, concat, axis);
            if (!wrapped || axis < 2 || begin[axis - 2] || end[axis - 2]) break;
            begin[axis - 2] = wrapped.before;
            end[axis - 2] = wrapped.after;
            parts.push(concat, ...wrapped.slices);
            tensor = wrapped.middle;
        }
        const path = layerPath(conv, graph.model.nodes)?.join('.');
        if (parts.length === 0 || !path || parts.some(p => q.scope(p) !== path)) continue;
        const attrs = inSpecOrder(conv.op, { ...conv.attrs, padding: compactPadding(begin, end), padding_mode: 'circular' });
        const result = spec.shape({ inputs: [graph.shapes.get(tensor)!], attrs: withDefaults(conv.op, attrs) });
        if (!result.outputs || result.issues.some(i => i.severity === 'error') || !sameList(result.outputs[0], conv.outputShapes[0])) continue;
        q.replace([...parts, conv], { ...conv, attrs, inputs: [tensor], nodes: [...parts.flatMap(p => p.nodes), ...conv.nodes] });
    }
}

/** A Concat along `axis` of [last rows of t, t, first rows of t] (either end may be missing), each Slice read only by it. */
function wrappedAxis(graph: ImportGraph, q: LayerQueries, concat: ImportedLayer, axis: number): { middle: string; before: number; after: number; slices: ImportedLayer[] } | undefined {
    const inputs = concat.inputs;
    if (inputs.length < 2 || inputs.length > 3) return undefined;
    const sliceOf = (t: string) => {
        const layer = q.producerOf(t);
        if (!layer || layer.op !== 'slice' || q.readersOf(t).length !== 1 || q.isOutput(t)) return undefined;
        const attrs = withDefaults('slice', layer.attrs);
        const dim = attrs.dim as number;
        return (dim < 0 ? dim + graph.shapes.get(layer.inputs[0])!.length : dim) === axis && attrs.step === 1 ? layer : undefined;
    };
    for (const middleAt of inputs.length === 3 ? [1] : [0, 1]) {
        const middle = inputs[middleAt];
        const size = graph.shapes.get(middle)![axis];
        const first = middleAt === 1 ? sliceOf(inputs[0]) : undefined;
        const last = middleAt + 1 < inputs.length ? sliceOf(inputs[middleAt + 1]) : undefined;
        if ((middleAt === 1 && !first) || (middleAt + 1 < inputs.length && !last)) continue;
        const slices = [first, last].filter((l): l is ImportedLayer => !!l);
        if (slices.some(l => l.inputs[0] !== middle)) continue;
        const extent = (l: ImportedLayer | undefined) => (l ? l.outputShapes[0][axis] : 0);
        const before = extent(first);
        const after = extent(last);
        // The last `before` rows, and the first `after` rows.
        const startOf = (l: ImportedLayer) => withDefaults('slice', l.attrs).start as number;
        if ((first && startOf(first) !== size - before) || (last && startOf(last) !== 0)) continue;
        return { middle, before, after, slices };
    }
    return undefined;
}

/** A pooling layer as one level of a spatial pyramid: the grid size it pools to. */
function pyramidLevel(pool: ImportedLayer, input: Shape): { level: number; mode: 'max' | 'avg' | 'any' } | undefined {
    const [h, w] = input.slice(2);
    const out = pool.outputShapes[0];
    if (out.length !== 4 || out[2] !== out[3]) return undefined;
    const level = out[2];
    if (pool.op === 'globalmaxpool' || pool.op === 'globalavgpool') return { level: 1, mode: pool.op === 'globalmaxpool' ? 'max' : 'avg' };
    if (pool.op === 'adaptivemaxpool' || pool.op === 'adaptiveavgpool') return { level, mode: pool.op === 'adaptivemaxpool' ? 'max' : 'avg' };
    if ((pool.op === 'maxpool' || pool.op === 'avgpool') && h % level === 0 && w % level === 0) {
        const kernel = [h / level, w / level];
        const attrs = withDefaults(pool.op, pool.attrs);
        const k = typeof attrs.kernel === 'number' ? [attrs.kernel, attrs.kernel] : attrs.kernel as number[];
        const s = attrs.stride === undefined ? k : typeof attrs.stride === 'number' ? [attrs.stride, attrs.stride] : attrs.stride as number[];
        if (sameList(k, kernel) && sameList(s, kernel) && attrs.padding === 0 && !attrs.ceil_mode && (attrs.dilation ?? 1) === 1) return { level, mode: pool.op === 'maxpool' ? 'max' : 'avg' };
    }
    // An adaptive pooling to the input's own size is written as Identity.
    if (pool.op === 'identity' && h === w) return { level: h, mode: 'any' };
    return undefined;
}

/** An Identity that only ends a decomposition (same layer name as what it copies) is part of that layer. */
function absorbIdentities(graph: ImportGraph, q: LayerQueries): void {
    for (const identity of [...graph.layers]) {
        if (identity.op !== 'identity') continue;
        const producer = q.producerOf(identity.inputs[0]);
        if (!producer || producer.outputs.length !== 1 || q.readersOf(identity.inputs[0]).length !== 1 || q.isOutput(identity.inputs[0])) continue;
        const scope = q.scope(identity);
        if (!scope || q.scope(producer) !== scope || producer.nodes.length < 2) continue;
        producer.outputs = identity.outputs.slice();
        producer.nodes.push(...identity.nodes);
        graph.layers.splice(graph.layers.indexOf(identity), 1);
    }
}
