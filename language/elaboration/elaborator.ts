/**
 * Elaboration: runs a network's description with concrete arguments — expanding blocks, loops, repetitions
 * and conditions — into one graph of ops, inferring every shape and cost on the way (conditions may ask
 * `x.channels`, so shapes cannot wait). Nothing here throws on a user's text: every problem becomes a
 * diagnostic on the exact piece of source that caused it, and evaluation of what depends on it stops quietly.
 */
import type { AstNode } from 'langium';
import {
    isBlock, isCall, isFunctionDecl, isIfExpr, isLabeledItem, isListExpr, isLoopVar, isOpDecl, isOutput, isParam, isParamDecl, isReturn, isTensorDecl,
    type Block, type Body, type Call, type Expression, type LabeledItem, type ListExpr, type ParamDecl, type ListItem, type Network, type Output, type Step,
} from '../generated/ast.js';
import { labelProblem, writtenLabelProblem } from '../names.js';
import type { CallArgument } from '../ops/attributes.js';
import { findOp } from '../ops/registry.js';
import { Abort, type Bindings, type Context } from './context.js';
import { ElaborationDiagnostics, type ElaborationDiagnostic } from './diagnostics.js';
import { ExpressionEvaluator, type LayerApplication } from './expressions.js';
import { BUILTIN_FUNCTIONS } from './functions.js';
import type { NetworkGraph } from './graph.js';
import { GraphBuilder, type NodeOrigin } from './graph-builder.js';
import { LayerNames } from './layer-names.js';
import { LIMITS } from './limits.js';
import { ParameterBinder, blockArguments } from './parameters.js';
import { describeValue, isTensor, isTuple, type TensorValue, type Value } from './values.js';

export type { ElaborationDiagnostic } from './diagnostics.js';
export type { NodeOrigin } from './graph-builder.js';
export { isListItemCondition } from './expressions.js';

export interface Elaboration {
    readonly network: Network;
    readonly graph: NetworkGraph;
    readonly diagnostics: readonly ElaborationDiagnostic[];
    /** Same order as `graph.nodes`. */
    readonly origins: readonly NodeOrigin[];
    /** The call or list each of `graph.modules` came from, same order. */
    readonly moduleOrigins: readonly AstNode[];
    /** The tensor each assignment target and network input holds (for hovers and inlay hints). */
    readonly tensorOfDecl: ReadonlyMap<AstNode, number[]>;
}

export interface ElaborationOptions {
    /**
     * Values for some of the network's value parameters instead of their defaults, by name: the size variables
     * of `network N(input: [1, 3, H, W], H: int = 224, W: int = 224)` at another input size
     * (language/analysis/symbolic-sizes.ts).
     */
    readonly arguments?: ReadonlyMap<string, number>;
}

export function elaborateNetwork(network: Network, options: ElaborationOptions = {}): Elaboration {
    const elaborator = new Elaborator(network, options);
    return elaborator.run();
}

/**
 * Runs bodies, calls, chains and lists of layers, and block calls; evaluation of plain expressions, parameter
 * binding, naming and the graph itself are its collaborators' (one instance of each per elaboration).
 */
class Elaborator implements LayerApplication {
    private readonly diagnostics = new ElaborationDiagnostics();
    private readonly names = new LayerNames(this.diagnostics);
    private readonly builder: GraphBuilder;
    private readonly expressions: ExpressionEvaluator;
    private readonly parameters: ParameterBinder;

    constructor(private readonly network: Network, options: ElaborationOptions) {
        this.builder = new GraphBuilder(network, this.diagnostics, this.names);
        this.expressions = new ExpressionEvaluator(network, this.builder, this.diagnostics, this.names, this);
        this.parameters = new ParameterBinder(network, this.builder, this.diagnostics, this.expressions, options.arguments);
    }

    run(): Elaboration {
        const root: Context = { bindings: new Map(), prefix: '', module: -1, usedNames: new Map(), nextSuffix: new Map(), trace: [], blocks: [] };
        try {
            this.parameters.bindNetworkParams(root);
            const result = this.executeBody(this.network.body, root, this.network);
            if (result !== undefined) this.collectOutputs(result, root);
        } catch (e) {
            if (!(e instanceof Abort)) {
                this.diagnostics.report('error', `internal error while elaborating ${this.network.name}: ${e instanceof Error ? e.message : String(e)}`, this.network, root, { property: 'name' });
            }
        }
        const { builder } = this;
        return {
            network: this.network, graph: builder.graph(), diagnostics: this.diagnostics.list,
            origins: builder.origins, moduleOrigins: builder.moduleOrigins, tensorOfDecl: builder.tensorOfDecl,
        };
    }

    // ----- network and block bodies ---------------------------------------------------------------------------

    private executeBody(body: Body | undefined, ctx: Context, owner: Network | Block): Value | undefined {
        if (!body) return undefined;
        for (const statement of body.statements) {
            if (isReturn(statement)) {
                const values = statement.outputs.map(o => (o.value ? this.expressions.evaluate(o.value, ctx) : undefined));
                if (values.some(v => v === undefined)) return undefined;
                if (values.length === 1) return values[0];
                return values as Value[];
            }
            if (isParamDecl(statement)) {
                this.declareParameter(statement, ctx);
                continue;
            }
            const value = statement.value ? this.expressions.evaluate(statement.value, ctx) : undefined;
            if (value === undefined) continue;
            const targets = statement.targets;
            if (targets.length === 1) {
                this.bindDecl(targets[0], value, ctx);
            } else if (isTuple(value) && value.length === targets.length) {
                targets.forEach((t, i) => this.bindDecl(t, value[i], ctx));
            } else {
                this.diagnostics.error(`${targets.length} names on the left but the right side gives ${isTuple(value) ? `${value.length} values` : describeValue(value)}`, statement, ctx, { property: 'targets' });
            }
        }
        const kind = isBlock(owner) ? 'block' : 'network';
        return this.diagnostics.error(`${kind} ${owner.name} has no return statement; end it with: return <tensor>`, owner, ctx, { property: 'name' });
    }

    /** `param layer_scale: [dim, 1, 1] = 1e-6`: a learned tensor named as a child of the block instance. */
    private declareParameter(decl: ParamDecl, ctx: Context): void {
        if (!decl.name || !decl.shape) return;
        const shape = this.expressions.evaluateValueList(decl.shape, ctx);
        const init = decl.init ? this.expressions.evaluate(decl.init, ctx) : 0;
        if (shape === undefined || init === undefined) return;
        if (shape.length === 0 || !shape.every(d => typeof d === 'number' && Number.isInteger(d) && d >= 1)) {
            this.diagnostics.error(`a param's shape is a list of whole numbers ≥ 1, like [dim, 1, 1]; got [${shape.map(describeValue).join(', ')}]`, decl, ctx, { property: 'shape' });
            return;
        }
        if (typeof init !== 'number') {
            this.diagnostics.error(`a param starts as a number (every element), not ${describeValue(init)}`, decl, ctx, { property: 'init' });
            return;
        }
        const name = this.names.claim(ctx, decl.name, decl, 'name');
        if (name === undefined) return;
        const value = this.builder.applyOp(findOp('parameter')!, [], [{ index: 0, value: shape as number[] }, { index: 1, value: init }], name, decl as unknown as Expression, ctx, undefined, {});
        if (value !== undefined) this.bindDecl(decl, value, ctx);
    }

    private bindDecl(decl: AstNode & { name: string }, value: Value, ctx: Context): void {
        ctx.bindings.set(decl, value);
        const ids = isTensor(value) ? [value.id] : isTuple(value) ? value.filter(isTensor).map(t => t.id) : [];
        for (const id of ids) this.builder.recordTensorOfDecl(decl, id);
        if (isTensor(value) && this.builder.tensors[value.id].name === undefined) this.builder.tensors[value.id].name = decl.name;
    }

    private collectOutputs(result: Value, ctx: Context): void {
        const returned = this.network.body?.statements.find(isReturn);
        const values = isTuple(result) && (returned?.outputs.length ?? 0) > 1 ? result : [result];
        values.forEach((value, i) => {
            const output = returned?.outputs[i];
            const label = output ? this.label(output, ctx) : undefined;
            if (label === null) return;
            const name = label ?? (values.length === 1 ? 'output' : `output${i}`);
            const tensors = isTensor(value) ? [value] : isTuple(value) ? value.filter(isTensor) : [];
            if (tensors.length === 0) {
                this.diagnostics.error(`a network returns tensors; this returns ${describeValue(value)}`, output ?? this.network, { trace: [] });
                return;
            }
            tensors.forEach((t, j) => this.builder.outputs.push({ name: tensors.length === 1 ? name : `${name}${j}`, tensor: t.id }));
        });
    }

    // ----- calls, chains, lists of layers and blocks ----------------------------------------------------------

    /** A call where a value is expected: `relu(y + s)`, `concat(a, b)`, `range(4)`, or just a name. */
    evaluateCall(call: Call, ctx: Context): Value | undefined {
        const target = call.target?.ref;
        if (!target) return this.unresolved(call, ctx);
        if (isParam(target) || isTensorDecl(target) || isLoopVar(target) || isParamDecl(target)) {
            if (call.hasArguments) return this.diagnostics.error(`'${call.target.$refText}' is ${isParam(target) ? 'a parameter' : 'a value'}, not an op or block, and cannot be called`, call, ctx, { property: 'target' });
            const value = ctx.bindings.get(target);
            // No value means its own definition failed and was reported there.
            return value;
        }
        const args = this.evaluateArguments(call, ctx);
        if (!args) return undefined;
        if (isFunctionDecl(target)) {
            const fn = BUILTIN_FUNCTIONS[target.name];
            if (!fn || args.some(a => a.name)) return this.diagnostics.error(`${target.name} takes positional arguments: ${fn?.signature ?? ''}`, call, ctx);
            const result = fn.call(args.map(a => a.value));
            return 'error' in result ? this.diagnostics.error(result.error, call, ctx, { property: 'target' }) : result.value;
        }
        const tensors = args.filter(a => !a.name && (isTensor(a.value) || (isTuple(a.value) && a.value.length > 0 && a.value.every(isTensor))));
        const inputs = tensors.flatMap(a => (isTensor(a.value) ? [a.value] : (a.value as readonly Value[]).filter(isTensor)));
        const rest = args.filter(a => !tensors.includes(a));
        if (isOpDecl(target)) {
            const spec = findOp(target.name);
            if (!spec) return this.diagnostics.error(`unknown op '${target.name}'`, call, ctx, { property: 'target' });
            if (inputs.length === 0) return this.diagnostics.error(`${spec.name} needs an input: write x -> ${call.target.$refText}${call.hasArguments ? '(…)' : ''} or ${spec.name}(x${call.arguments.length ? ', …' : ''})`, call, ctx, { property: 'target' });
            return this.builder.applyOp(spec, inputs, rest, this.names.auto(ctx, spec.name), call, ctx, undefined, { tensorArgs: tensors.map(t => call.arguments[t.index]) });
        }
        if (isBlock(target)) {
            if (inputs.length === 0) return this.diagnostics.error(`block ${target.name} needs its input tensor${target.inputs.length === 1 ? '' : 's'}: write x -> ${target.name}(…) or ${target.name}(x, …)`, call, ctx, { property: 'target' });
            return this.callBlock(target, inputs, rest, this.names.auto(ctx, target.name), call, ctx);
        }
        return this.diagnostics.error(`'${call.target.$refText}' cannot be used as a value`, call, ctx, { property: 'target' });
    }

    /**
     * An unknown name stops what depends on it. The linker reports it in its own file; this copy lets a file
     * that calls a block of another file show it at the call (the validator drops it elsewhere).
     */
    private unresolved(call: Call, ctx: Context): undefined {
        if (!call.target) return undefined;
        return this.diagnostics.error(call.target.error?.message ?? `unknown name '${call.target.$refText}'`, call, ctx, { property: 'target', code: 'unresolved-reference' });
    }

    private evaluateArguments(call: Call, ctx: Context): (CallArgument & { value: Value })[] | undefined {
        const args: (CallArgument & { value: Value })[] = [];
        let ok = true;
        call.arguments.forEach((arg, index) => {
            const value = this.expressions.evaluate(arg.value, ctx);
            if (value === undefined) ok = false;
            else args.push({ index, name: arg.name, value: value as never });
        });
        return ok ? args : undefined;
    }

    /**
     * The name a label gives, as written or computed from its `{…}` parts; undefined for no label, null when a computed
     * part fails (reported) or a quoted name cannot be a module's (the validator reports it as written).
     */
    private label(node: Step | LabeledItem | Output, ctx: Context): string | undefined | null {
        const property = isOutput(node) ? 'name' : 'label';
        const written = isOutput(node) ? node.name : node.label;
        if (written !== undefined) return writtenLabelProblem(node, property, written) === undefined ? written : null; // the validator says why
        const computed = node.computed;
        if (!computed) return undefined;
        let text = computed.parts[0] ?? '';
        for (let i = 0; i < computed.holes.length; i++) {
            const value = this.expressions.evaluate(computed.holes[i], ctx);
            if (value === undefined) return null;
            if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
                this.diagnostics.error(`a computed part of a name must be a whole number or a string, not ${describeValue(value)}`, computed.holes[i], ctx);
                return null;
            }
            text += String(value) + (computed.parts[i + 1] ?? '');
        }
        const problem = labelProblem(text);
        if (problem) {
            this.diagnostics.error(`${problem}; this gives '${text}'`, computed, ctx);
            return null;
        }
        return text;
    }

    /** Applies one chain step (`-> conv1: conv(64, kernel: 3)`) to the value that flows into it. */
    applyStep(input: Value, step: Step, ctx: Context): Value | undefined {
        const target = step.target;
        if (!target) return undefined;
        const base = isListExpr(target) ? 'sequential' : (target.target?.$refText ?? 'layer');
        const label = this.label(step, ctx);
        if (label === null) return undefined;
        const name = label !== undefined ? this.names.claim(ctx, label, step, step.computed ? 'computed' : 'label') : this.names.auto(ctx, base);
        if (name === undefined) return undefined;
        return this.applyLayer(input, target, name, ctx, step);
    }

    /** Applies a layer (an op, a block, a list of layers or a conditional one) to a value. */
    private applyLayer(input: Value, layer: Expression, name: string, ctx: Context, labelNode?: AstNode): Value | undefined {
        const inputs = isTensor(input) ? [input] : isTuple(input) && input.length > 0 && input.every(isTensor) ? (input as TensorValue[]) : undefined;
        if (!inputs) return this.diagnostics.error(`a layer is applied to a tensor, not to ${describeValue(input)}`, layer, ctx);
        if (isListExpr(layer)) return this.applyList(inputs, layer, name, ctx);
        if (isIfExpr(layer)) {
            const branch = this.expressions.chooseBranch(layer.condition, ctx);
            if (branch === undefined) return undefined;
            const chosen = branch ? layer.then : layer.else;
            return chosen ? this.applyLayer(input, chosen, name, ctx, labelNode) : input;
        }
        if (!isCall(layer)) return this.diagnostics.error('expected a layer here: an op (relu, conv(64, kernel: 3)), a block call or a list of layers', layer, ctx);
        const target = layer.target?.ref;
        if (!target) return this.unresolved(layer, ctx);
        const args = this.evaluateArguments(layer, ctx);
        if (!args) return undefined;
        const extra = args.filter(a => !a.name && isTensor(a.value));
        const all = [...inputs, ...extra.map(a => a.value as TensorValue)];
        const rest = args.filter(a => !extra.includes(a));
        if (isOpDecl(target)) {
            const spec = findOp(target.name);
            if (!spec) return this.diagnostics.error(`unknown op '${target.name}'`, layer, ctx, { property: 'target' });
            return this.builder.applyOp(spec, all, rest, name, layer, ctx, labelNode, { tensorArgs: extra.map(a => layer.arguments[a.index]), piped: true });
        }
        if (isBlock(target)) return this.callBlock(target, all, rest, name, layer, ctx);
        const what = isFunctionDecl(target) ? 'a function' : isParam(target) ? 'a parameter' : 'a tensor';
        return this.diagnostics.error(`'${layer.target.$refText}' is ${what}, not a layer; a chain step must be an op, a block or a list of layers`, layer, ctx, { property: 'target' });
    }

    /** A list of layers applied in order; children are named 0, 1, … (or by their label), as in nn.Sequential. */
    private applyList(inputs: TensorValue[], list: ListExpr, name: string, ctx: Context): Value | undefined {
        const module = this.builder.openModule(name, 'list', undefined, list, ctx);
        const inner: Context = { ...ctx, prefix: name, module, usedNames: new Map(), nextSuffix: new Map() };
        let current: Value = inputs.length === 1 ? inputs[0] : inputs;
        let index = 0;
        let failed = false;
        const visit = (items: readonly ListItem[]): boolean => {
            for (const item of items) {
                if (isLabeledItem(item)) {
                    let layer: Expression | undefined = item.value;
                    while (layer && isIfExpr(layer)) {
                        const branch = this.expressions.chooseBranch(layer.condition, inner);
                        if (branch === undefined) return false;
                        layer = branch ? layer.then : layer.else;
                    }
                    if (!layer || (isListExpr(layer) && layer.items.length === 0)) continue; // a layer left out
                    const label = this.label(item, inner);
                    if (label === null) return false;
                    const childName = label !== undefined ? this.names.claim(inner, label, item, item.computed ? 'computed' : 'label') : this.names.claim(inner, String(index++), item);
                    if (childName === undefined) return false;
                    const next = this.applyLayer(current, layer, childName, inner, item);
                    if (next === undefined) return false;
                    current = next;
                } else if (!this.expressions.iterate(item, inner, body => visit(body.items))) {
                    return false;
                }
            }
            return true;
        };
        failed = !visit(list.items);
        this.builder.closeModule(module);
        return failed ? undefined : current;
    }

    private callBlock(block: Block, inputs: TensorValue[], args: readonly (CallArgument & { value: Value })[], name: string, call: Call, ctx: Context): Value | undefined {
        if (ctx.blocks.includes(block)) {
            const cycle = [...ctx.blocks.slice(ctx.blocks.indexOf(block)), block].map(b => b.name).join(' → ');
            return this.diagnostics.error(`block ${block.name} calls itself (${cycle}); a network must be finite`, call, ctx, { property: 'target', code: 'recursive-block' });
        }
        if (ctx.blocks.length >= LIMITS.callDepth) return this.diagnostics.error(`blocks are nested more than ${LIMITS.callDepth} deep`, call, ctx, { property: 'target' });
        if (inputs.length !== block.inputs.length) {
            return this.diagnostics.error(`block ${block.name} takes ${block.inputs.length} input tensor${block.inputs.length === 1 ? '' : 's'} (${block.inputs.map(i => i.name).join(', ')}), got ${inputs.length}`, call, ctx, { property: 'target' });
        }
        const trace = [...ctx.trace, call];
        const bindings: Bindings = new Map();
        const inner: Context = { bindings, prefix: name, module: -1, usedNames: new Map(), nextSuffix: new Map(), trace, blocks: [...ctx.blocks, block] };
        if (!this.parameters.bindBlockArguments(block, args, call, ctx, inner)) return undefined;
        block.inputs.forEach((p, i) => {
            bindings.set(p, inputs[i]);
            this.builder.recordTensorOfDecl(p, inputs[i].id);
        });
        const module = this.builder.openModule(name, 'block', block.name, call, ctx);
        this.builder.modules[module].args = blockArguments(block, bindings);
        const result = this.executeBody(block.body, { ...inner, module }, block);
        this.builder.closeModule(module);
        return result;
    }
}
