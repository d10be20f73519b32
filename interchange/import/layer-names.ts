/**
 * The hierarchical name of an imported layer (`layer1.0.conv1`), which write-convnet.ts turns into the lists and
 * blocks around it: from its parameters' names (state_dict keys) when they agree, else from the names of the
 * nodes it was made from, as the exporter and torch.onnx write them.
 */
import type { ImportedLayer } from './import-graph.js';
import type { OnnxNode } from './onnx-model.js';

const PARAM_SUFFIXES = new Set(['weight', 'bias', 'running_mean', 'running_var']);

/**
 * The deepest module path kept. Each level of a path becomes a list or a block around the layer, and the language
 * nests blocks at most LIMITS.callDepth (64) deep; segments beyond this are joined into the last one.
 */
const MAX_PATH_DEPTH = 32;

/** The scope a node's name gives: `layer1.0.conv1` (the exporter's), `/layer1/layer1.0/conv1/Conv` (torch.onnx's). */
function scopeOfNode(node: OnnxNode): string[] | undefined {
    const name = node.name;
    if (!name) return undefined;
    if (name.startsWith('/')) {
        const segments = name.split('/').slice(1, -1);
        const path: string[] = [];
        let previous: string | undefined;
        for (const segment of segments) {
            // torch.onnx names a child of a Sequential `<parent's segment>.<index>` (`block.0` → `block.0.2`).
            if (previous !== undefined && segment.startsWith(`${previous}.`)) path.push(...segment.slice(previous.length + 1).split('.'));
            else path.push(...segment.split('.'));
            previous = segment;
        }
        return path.length ? path : undefined;
    }
    const base = name.split('/')[0];
    // Generated names (`Conv_0`, `Relu_12`) say nothing about the layer.
    if (/^[A-Z][A-Za-z0-9]*(_\d+)?$/.test(base)) return undefined;
    return base.split('.');
}

/** The scope of the last of `indices` that has one (a decomposition's final node carries the layer's name). */
export function scopeOfNodes(nodes: readonly OnnxNode[], indices: readonly number[]): string[] | undefined {
    for (const i of [...indices].reverse()) {
        const scope = scopeOfNode(nodes[i]);
        if (scope) return scope;
    }
    return undefined;
}

/** The layer's hierarchical name: from its parameters' names (state_dict keys) or else its nodes' names. */
export function layerPath(layer: ImportedLayer, nodes: readonly OnnxNode[]): string[] | undefined {
    // A learned tensor of a module (`param`) is named by its whole key: `features.1.0.layer_scale`.
    const own = layer.op === 'parameter' ? layer.params[0]?.paramName : undefined;
    const prefixes = new Set<string>();
    for (const p of layer.params) {
        const name = p.paramName ?? p.tensor;
        const dot = name.lastIndexOf('.');
        if (dot > 0 && PARAM_SUFFIXES.has(name.slice(dot + 1))) prefixes.add(name.slice(0, dot));
        else prefixes.add('');
    }
    let path: string[] | undefined;
    if (own !== undefined && !own.includes('::')) path = own.split('.');
    else if (prefixes.size === 1 && ![...prefixes][0].includes('::') && [...prefixes][0] !== '') path = [...prefixes][0].split('.');
    else path = scopeOfNodes(nodes, layer.nodes);
    if (!path || path.length === 0) return undefined;
    // The segments beyond the deepest kept become one, so the written modules nest within the language's limits.
    if (path.length > MAX_PATH_DEPTH) path = [...path.slice(0, MAX_PATH_DEPTH - 1), path.slice(MAX_PATH_DEPTH - 1).join('_')];
    // Kept as the model has them (`block1-0`, `block`): the writer quotes what needs quotes (convnetText 'label').
    return path;
}
