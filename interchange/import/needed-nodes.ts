/**
 * The nodes a model's outputs need, found backwards from the graph outputs. The importer evaluates shape arithmetic
 * only for these: a constant no output depends on (a leftover of an export, an unused Range(0, 3·10⁹)) is never
 * computed, so it can neither fail the import nor cost memory. (A layer no output needs — a branch the network
 * computes and drops — is still written, as the network has it; see recognizeModel in recognize.ts.) The walk
 * keeps its own stack, so a chain of any length cannot overflow the call stack.
 */
import type { DecodedModel, OnnxNode } from './onnx-model.js';

/** The nodes the graph outputs depend on. */
export function nodesTheOutputsNeed(model: DecodedModel): Set<OnnxNode> {
    const producers = new Map<string, OnnxNode>();
    for (const node of model.nodes) for (const output of node.outputs) if (output) producers.set(output, node);
    const needed = new Set<OnnxNode>();
    const pending = model.outputs.map(o => o.name);
    while (pending.length) {
        const producer = producers.get(pending.pop()!);
        if (!producer || needed.has(producer)) continue;
        needed.add(producer);
        for (const input of producer.inputs) if (input) pending.push(input);
    }
    return needed;
}
