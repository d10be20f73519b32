/**
 * The network's nesting as the exporter walks it: the layers and modules directly inside each container, and the
 * tensors that cross a module's boundary (its inputs, and the outputs something outside reads).
 */
import type { GraphModule, GraphNode, NetworkGraph } from '../../../language/elaboration/graph.js';

/** What a container holds directly: a layer, or a block instance or list (a module). */
export type Item = { readonly kind: 'node'; readonly node: GraphNode } | { readonly kind: 'module'; readonly module: GraphModule };

export interface Structure {
    readonly graph: NetworkGraph;
    readonly consumers: readonly number[][];
    readonly outputTensors: ReadonlySet<number>;
    /** Items directly inside a container (-1: the network). */
    items(container: number): Item[];
    inputsOf(item: Item): number[];
    outputsOf(item: Item): number[];
}

export function structureOf(graph: NetworkGraph): Structure {
    const consumers: number[][] = graph.tensors.map(() => []);
    for (const node of graph.nodes) for (const t of node.inputs) consumers[t].push(node.index);
    const outputTensors = new Set(graph.outputs.map(p => p.tensor));
    const childOf = (moduleIndex: number, container: number): number | undefined => {
        let m = moduleIndex;
        while (m !== -1 && graph.modules[m].parent !== container) m = graph.modules[m].parent;
        return m === -1 ? undefined : m;
    };
    const boundary = (first: number, end: number) => {
        const inputs: number[] = [];
        const outputs: number[] = [];
        for (let i = first; i < end; i++) {
            for (const t of graph.nodes[i].inputs) {
                const p = graph.tensors[t].producer;
                if ((p === undefined || p < first || p >= end) && !inputs.includes(t)) inputs.push(t);
            }
            for (const t of graph.nodes[i].outputs) {
                if (outputTensors.has(t) || consumers[t].some(c => c < first || c >= end)) outputs.push(t);
            }
        }
        return { inputs, outputs };
    };
    return {
        graph, consumers, outputTensors,
        items(container) {
            const [first, end] = container === -1 ? [0, graph.nodes.length] : [graph.modules[container].firstNode, graph.modules[container].endNode];
            const items: Item[] = [];
            for (let i = first; i < end; i++) {
                const node = graph.nodes[i];
                if (node.module === container) {
                    items.push({ kind: 'node', node });
                    continue;
                }
                const m = childOf(node.module, container)!;
                const last = items[items.length - 1];
                if (!(last?.kind === 'module' && last.module.index === m)) items.push({ kind: 'module', module: graph.modules[m] });
            }
            return items;
        },
        inputsOf(item) {
            return item.kind === 'node' ? [...item.node.inputs] : boundary(item.module.firstNode, item.module.endNode).inputs;
        },
        outputsOf(item) {
            return item.kind === 'node' ? [...item.node.outputs] : boundary(item.module.firstNode, item.module.endNode).outputs;
        },
    };
}
