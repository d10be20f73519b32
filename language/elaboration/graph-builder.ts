/**
 * The graph under construction: its tensors, nodes and modules, where each came from, and the one way a node is
 * added — `applyOp`, which checks an op's call against its spec and infers the output shapes and cost.
 */
import { AstUtils, type AstNode } from 'langium';
import { isCall, type Call, type Expression, type Network } from '../generated/ast.js';
import { bindAttributes, type CallArgument } from '../ops/attributes.js';
import { checkRepresentable, formatShape, numel } from '../ops/shape-utils.js';
import type { OpIssue, OpSpec, Shape } from '../ops/types.js';
import { formatBytes } from '../util/format.js';
import { Abort, type Context } from './context.js';
import type { ElaborationDiagnostics } from './diagnostics.js';
import type { GraphModule, GraphNode, GraphTensor, NetworkGraph, SourceLocation } from './graph.js';
import type { LayerNames } from './layer-names.js';
import { LIMITS } from './limits.js';
import { inputField, outputField } from './receptive-field.js';
import { computeTotals } from './totals.js';
import { asAttrValue, type TensorValue, type Value } from './values.js';

/** Where each node came from, for hovers and for pointing graph-level warnings at an argument. */
export interface NodeOrigin {
    readonly call: AstNode;
    readonly label?: AstNode;
    readonly argumentSources: Readonly<Record<string, AstNode>>;
}

export class GraphBuilder {
    readonly tensors: GraphTensor[] = [];
    readonly nodes: GraphNode[] = [];
    readonly modules: GraphModule[] = [];
    /** Same order as `nodes`. */
    readonly origins: NodeOrigin[] = [];
    /** The call or list each of `modules` came from, same order. */
    readonly moduleOrigins: AstNode[] = [];
    /** The tensor each assignment target and network input holds (for hovers and inlay hints). */
    readonly tensorOfDecl = new Map<AstNode, number[]>();
    readonly inputs: { name: string; tensor: number }[] = [];
    readonly outputs: { name: string; tensor: number }[] = [];
    private readonly uriOf = new Map<AstNode, string>();

    constructor(private readonly network: Network, private readonly diagnostics: ElaborationDiagnostics, private readonly names: LayerNames) {}

    /** The finished graph, with its totals. */
    graph(): NetworkGraph {
        return {
            name: this.network.name ?? '',
            uri: this.uri(this.network),
            inputs: this.inputs,
            outputs: this.outputs,
            nodes: this.nodes,
            tensors: this.tensors,
            modules: this.modules,
            totals: computeTotals(this.nodes, this.tensors, this.inputs, this.outputs),
        };
    }

    /**
     * A declaration in a block body holds one tensor per instance of the block: appended in place, because
     * copying the list on every instance made a block used 38,416 times cost 38,416² / 2 copies.
     */
    recordTensorOfDecl(decl: AstNode, id: number): void {
        const ids = this.tensorOfDecl.get(decl);
        if (ids) ids.push(id);
        else this.tensorOfDecl.set(decl, [id]);
    }

    /**
     * Applies an op to its input tensors: binds its attributes, infers its output shapes and cost, reports what its
     * spec finds (on the argument at fault), and adds the node. Undefined when it cannot be applied.
     */
    applyOp(
        spec: OpSpec, inputs: readonly TensorValue[], attrArgs: readonly (CallArgument & { value: Value })[],
        name: string, call: Call | Expression, ctx: Context, labelNode: AstNode | undefined,
        where: { tensorArgs?: readonly AstNode[]; operands?: readonly AstNode[]; piped?: boolean },
    ): Value | undefined {
        const callNode = call as AstNode;
        const argNode = (index: number): AstNode => (isCall(call) ? call.arguments[index] : callNode);
        if (inputs.length < spec.inputs.min || inputs.length > spec.inputs.max) {
            const expected = spec.inputs.min === spec.inputs.max ? `${spec.inputs.min}` : spec.inputs.max === Infinity ? `at least ${spec.inputs.min}` : `${spec.inputs.min} to ${spec.inputs.max}`;
            return this.diagnostics.error(`${spec.name} takes ${expected} input tensor${expected === '1' ? '' : 's'}, got ${inputs.length}`, callNode, ctx, isCall(call) ? { property: 'target', code: 'bad-input-count' } : { code: 'bad-input-count' });
        }
        const attrValues: CallArgument[] = [];
        for (const arg of attrArgs) {
            const value = asAttrValue(arg.value);
            if (value === undefined) return this.diagnostics.error(`${spec.name}: a tensor cannot be an attribute value`, argNode(arg.index), ctx);
            attrValues.push({ index: arg.index, name: arg.name, value });
        }
        const binding = bindAttributes(spec, attrValues.filter(v => !v.name), attrValues.filter(v => v.name));
        if (binding.issues.length) {
            for (const issue of binding.issues) {
                if (issue.argIndex !== undefined) this.diagnostics.error(issue.message, argNode(issue.argIndex), ctx);
                else this.diagnostics.error(issue.message, callNode, ctx, isCall(call) ? { property: 'target' } : {});
            }
            return undefined;
        }
        const shapes = inputs.map(t => this.tensors[t.id].shape);
        const opCtx = { inputs: shapes, attrs: binding.attrs };
        const result = spec.shape(opCtx);
        const layer = ctx.prefix && !this.names.isAuto(name) ? `${name}: ` : '';
        const argumentSources: Record<string, AstNode> = {};
        for (const [attr, index] of Object.entries(binding.sources)) argumentSources[attr] = argNode(index);
        const locate = (issue: OpIssue): { node: AstNode; property?: string } => {
            if (issue.attr && argumentSources[issue.attr]) return { node: argumentSources[issue.attr] };
            if (issue.input !== undefined) {
                const operand = where.operands?.[issue.input];
                if (operand) return { node: operand };
                const tensorArg = where.tensorArgs?.[issue.input - (where.piped ? 1 : 0)];
                if (tensorArg) return { node: tensorArg };
            }
            return isCall(call) ? { node: callNode, property: 'target' } : { node: callNode };
        };
        // For a problem between inputs (a residual of mismatched shapes), say where each input was made.
        const operandName = (i: number) => (where.operands && inputs.length === 2 ? `the ${i === 0 ? 'left' : 'right'} operand` : `input ${i + 1}`);
        const related = inputs.length > 1 ? inputs.map((t, i) => this.provenance(t.id, operandName(i))).filter(r => r !== undefined) : [];
        for (const issue of result.issues) {
            const at = locate(issue);
            this.diagnostics.report(issue.severity, `${layer}${issue.message}`, at.node, ctx, {
                property: at.property, code: issue.code, data: issue.data, ...(issue.input !== undefined && related.length ? { related } : {}),
            });
        }
        if (!result.outputs) return undefined;
        for (const shape of result.outputs) {
            const problem = checkRepresentable(shape, `the output of ${spec.name}`);
            if (problem) return this.diagnostics.error(problem.message, callNode, ctx, { code: problem.code });
        }
        const cost = spec.cost(opCtx, result.outputs);
        if (!Number.isSafeInteger(cost.macs) || !Number.isSafeInteger(Math.round(cost.flops))) {
            return this.diagnostics.error(`${spec.name}: its cost (${cost.macs} MACs) is too large to count exactly (limit 2^53)`, callNode, ctx, { code: 'too-large' });
        }
        if (this.nodes.length >= LIMITS.nodes) {
            this.diagnostics.error(`network ${this.network.name} has more than ${LIMITS.nodes} layers; elaboration stopped`, callNode, ctx, { code: 'too-large' });
            throw new Abort();
        }
        const index = this.nodes.length;
        const inputTensors = inputs.map(t => this.tensors[t.id]);
        const window = spec.window(opCtx, result.outputs);
        const outputs = result.outputs.map(shape => this.addTensor(shape, index, undefined, outputField(window, inputTensors, shape)));
        const memory = result.outputs.reduce((sum, s) => sum + numel(s) * 4, 0);
        if (memory > LIMITS.activationWarningBytes) {
            this.diagnostics.report('warning', `${layer}${spec.name} produces ${formatBytes(memory)} of activations (${result.outputs.map(formatShape).join(', ')}), above ${formatBytes(LIMITS.activationWarningBytes)}`, callNode, ctx, isCall(call) ? { property: 'target', code: 'large-activation' } : { code: 'large-activation' });
        }
        this.nodes.push({
            index, name, op: spec.name, attrs: binding.attrs, inputs: inputs.map(t => t.id), outputs,
            params: cost.params, macs: cost.macs, flops: cost.flops, memory, formula: result.formula ?? [],
            source: this.location(labelNode && !isCall(call) ? callNode : (labelNode ?? callNode)), module: ctx.module,
        });
        this.origins.push({ call: callNode, label: labelNode, argumentSources });
        const values: TensorValue[] = outputs.map(id => ({ kind: 'tensor', id }));
        return values.length === 1 ? values[0] : values;
    }

    /** Where a tensor was made, for a diagnostic's related information: "the left operand, 1×64×56×56, comes from layer conv1 (conv)". */
    private provenance(id: number, what: string): { location: SourceLocation; message: string } | undefined {
        const tensor = this.tensors[id];
        const shape = formatShape(tensor.shape);
        if (tensor.producer !== undefined) {
            const node = this.nodes[tensor.producer];
            return { location: node.source, message: `${what}, ${shape}, comes from layer ${node.name} (${node.op})` };
        }
        const input = this.network.params.find(p => p.name === tensor.name);
        return input ? { location: this.location(input), message: `${what}, ${shape}, is the network's input '${input.name}'` } : undefined;
    }

    addTensor(shape: Shape, producer: number | undefined, name: string | undefined, field = inputField(shape)): number {
        const id = this.tensors.length;
        this.tensors.push({ id, shape: [...shape], producer, name, receptiveField: field.receptiveField, jump: field.jump });
        return id;
    }

    openModule(name: string, kind: 'block' | 'list', block: string | undefined, node: AstNode, ctx: Context): number {
        const index = this.modules.length;
        this.moduleOrigins.push(node);
        this.modules.push({ index, name, kind, block, parent: ctx.module, firstNode: this.nodes.length, endNode: this.nodes.length, source: this.location(node) });
        return index;
    }

    closeModule(index: number): void {
        this.modules[index].endNode = this.nodes.length;
    }

    private uri(node: AstNode): string {
        const root = AstUtils.findRootNode(node);
        let uri = this.uriOf.get(root);
        if (uri === undefined) {
            uri = root.$document?.uri.toString() ?? '';
            this.uriOf.set(root, uri);
        }
        return uri;
    }

    location(node: AstNode): SourceLocation {
        const range = node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
        return { uri: this.uri(node), start: range.start, end: range.end };
    }
}
