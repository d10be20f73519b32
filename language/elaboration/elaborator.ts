/**
 * Elaboration: runs a network's description with concrete arguments — expanding blocks, loops, repetitions
 * and conditions — into one graph of ops, inferring every shape and cost on the way (conditions may ask
 * `x.channels`, so shapes cannot wait). Nothing here throws on a user's text: every problem becomes a
 * diagnostic on the exact piece of source that caused it, and evaluation of what depends on it stops quietly.
 */
import { AstUtils, type AstNode } from 'langium';
import {
    isBinaryExpr, isBlock, isBooleanLiteral, isCall, isForItem, isFunctionDecl, isIfExpr, isIndexExpr, isItemBody, isLabeledItem, isListExpr,
    isLoopVar, isMemberExpr, isNumberLiteral, isOpDecl, isParam, isPipeExpr, isRepeatItem, isReturn, isStringLiteral, isTensorDecl,
    isTupleExpr, isUnaryExpr,
    type Block, type Body, type Call, type Expression, type IfExpr, type ItemBody, type ListExpr, type ListItem, type Network, type Param, type Step,
} from '../generated/ast.js';
import { bindAttributes, type CallArgument } from '../ops/attributes.js';
import { findOp } from '../ops/registry.js';
import { checkRepresentable, formatShape, numel } from '../ops/shape-utils.js';
import type { AttrValue, DiagnosticCode, OpIssue, OpSpec, Shape } from '../ops/types.js';
import { closestName, didYouMean } from '../util/suggest.js';
import { formatBytes } from '../util/format.js';
import { BUILTIN_FUNCTIONS } from './functions.js';
import type { GraphModule, GraphNode, GraphTensor, NetworkGraph, SourceLocation } from './graph.js';
import { LIMITS } from './limits.js';
import { inputField, outputField } from './receptive-field.js';
import { computeTotals } from './totals.js';
import { asAttrValue, describeValue, isTensor, isTuple, typeName, type TensorValue, type Value } from './values.js';

export interface ElaborationDiagnostic {
    readonly severity: 'error' | 'warning';
    readonly message: string;
    /** Where the problem is; may lie in an imported file (then `trace` leads to it from this network). */
    readonly node: AstNode;
    readonly property?: string;
    readonly index?: number;
    readonly code?: DiagnosticCode;
    /** Figures for a quick fix (see OpIssue.data). */
    readonly data?: Readonly<Record<string, unknown>>;
    /** Where the shapes involved came from. */
    readonly related?: readonly { readonly location: SourceLocation; readonly message: string }[];
    /** Block calls from the network down to the block whose body holds `node`. */
    readonly trace: readonly Call[];
}

/** Where each node came from, for hovers and for pointing graph-level warnings at an argument. */
export interface NodeOrigin {
    readonly call: AstNode;
    readonly label?: AstNode;
    readonly argumentSources: Readonly<Record<string, AstNode>>;
}

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

/** Raised to stop elaboration of a network outright (a size limit); never escapes `elaborateNetwork`. */
class Abort extends Error {}

/** Bindings of one block instance (or the network): declaration node → value. */
type Bindings = Map<AstNode, Value>;

/** Where new layers go: the lexical bindings, the hierarchical name prefix and the module they belong to. */
interface Context {
    readonly bindings: Bindings;
    readonly prefix: string;
    readonly module: number;
    readonly usedNames: Map<string, AstNode | undefined>;
    /** Next free suffix per auto-name base, so naming stays linear in the number of layers. */
    readonly nextSuffix: Map<string, number>;
    /** Block calls that led here, outermost first. */
    readonly trace: readonly Call[];
    readonly blocks: readonly Block[];
}

const TENSOR_PROPERTIES = ['batch', 'channels', 'depth', 'height', 'width', 'length', 'features', 'rank', 'shape', 'spatial', 'numel'];
const VALUE_TYPES = ['int', 'float', 'bool', 'string', 'tuple', 'any', 'tensor'];

/** Whether an `if` (or a branch of one) is a whole item of a list, where leaving out `else` means "no layer". */
export function isListItemCondition(expr: IfExpr): boolean {
    let child: AstNode = expr;
    let parent = expr.$container as AstNode | undefined;
    while (isIfExpr(parent) && (parent.then === child || parent.else === child)) {
        child = parent;
        parent = parent.$container;
    }
    return isLabeledItem(parent) && (isListExpr(parent.$container) || isItemBody(parent.$container));
}

/** The value arguments a block instance was elaborated with (tensors left out), by parameter name. */
function blockArguments(block: Block, bindings: Bindings): Record<string, AttrValue> {
    const args: Record<string, AttrValue> = {};
    for (const param of block.params) {
        const value = bindings.get(param);
        const attr = value === undefined ? undefined : asAttrValue(value);
        if (param.name && attr !== undefined) args[param.name] = attr;
    }
    return args;
}

export function elaborateNetwork(network: Network): Elaboration {
    const elaborator = new Elaborator(network);
    return elaborator.run();
}

class Elaborator {
    private readonly tensors: GraphTensor[] = [];
    private readonly nodes: GraphNode[] = [];
    private readonly modules: GraphModule[] = [];
    private readonly origins: NodeOrigin[] = [];
    private readonly moduleOrigins: AstNode[] = [];
    private readonly diagnostics: ElaborationDiagnostic[] = [];
    private readonly tensorOfDecl = new Map<AstNode, number[]>();
    private readonly inputs: { name: string; tensor: number }[] = [];
    private readonly outputs: { name: string; tensor: number }[] = [];
    private readonly uriOf = new Map<AstNode, string>();

    constructor(private readonly network: Network) {}

    run(): Elaboration {
        const root: Context = { bindings: new Map(), prefix: '', module: -1, usedNames: new Map(), nextSuffix: new Map(), trace: [], blocks: [] };
        try {
            this.bindNetworkParams(root);
            const result = this.executeBody(this.network.body, root, this.network);
            if (result !== undefined) this.collectOutputs(result);
        } catch (e) {
            if (!(e instanceof Abort)) {
                this.report('error', `internal error while elaborating ${this.network.name}: ${e instanceof Error ? e.message : String(e)}`, this.network, root, { property: 'name' });
            }
        }
        const graph: NetworkGraph = {
            name: this.network.name ?? '',
            uri: this.uri(this.network),
            inputs: this.inputs,
            outputs: this.outputs,
            nodes: this.nodes,
            tensors: this.tensors,
            modules: this.modules,
            totals: computeTotals(this.nodes, this.tensors, this.inputs, this.outputs),
        };
        return { network: this.network, graph, diagnostics: this.diagnostics, origins: this.origins, moduleOrigins: this.moduleOrigins, tensorOfDecl: this.tensorOfDecl };
    }

    // ----- diagnostics -------------------------------------------------------------------------------------

    private report(severity: 'error' | 'warning', message: string, node: AstNode, ctx: Pick<Context, 'trace'>, where: Pick<ElaborationDiagnostic, 'property' | 'index' | 'code' | 'data' | 'related'> = {}): void {
        this.diagnostics.push({ severity, message, node, trace: ctx.trace, ...where });
    }

    private error(message: string, node: AstNode, ctx: Pick<Context, 'trace'>, where: { property?: string; index?: number; code?: DiagnosticCode } = {}): undefined {
        this.report('error', message, node, ctx, where);
        return undefined;
    }

    // ----- network and block bodies ------------------------------------------------------------------------

    private bindNetworkParams(ctx: Context): void {
        for (const param of this.network.params) {
            if (!param.name) continue;
            if (param.shape) {
                const shape = this.evaluateShape(param.shape, ctx);
                if (!shape) continue;
                const id = this.addTensor(shape, undefined, param.name);
                this.inputs.push({ name: param.name, tensor: id });
                this.tensorOfDecl.set(param, [id]);
                ctx.bindings.set(param, { kind: 'tensor', id });
            } else if (param.default) {
                const value = this.evaluate(param.default, ctx);
                if (value !== undefined && this.checkParamType(param, value, ctx)) ctx.bindings.set(param, value);
            } else {
                this.error(param.type === 'tensor' || !param.type
                    ? `network input '${param.name}' needs a shape: ${param.name}: [1, 3, 224, 224]`
                    : `network parameter '${param.name}' needs a default value: ${param.name}: ${param.type} = …`, param, ctx, { property: 'name' });
            }
        }
    }

    private evaluateShape(list: ListExpr, ctx: Context): number[] | undefined {
        const dims = this.evaluateValueList(list, ctx);
        if (!dims) return undefined;
        if (dims.length === 0 || !dims.every(d => typeof d === 'number' && Number.isInteger(d) && d >= 1)) {
            return this.error(`an input shape is a list of whole numbers ≥ 1, like [1, 3, 224, 224]; got [${dims.map(d => describeValue(d)).join(', ')}]`, list, ctx);
        }
        const issue = checkRepresentable(dims as number[], 'the input shape');
        if (issue) return this.error(issue.message, list, ctx, { code: issue.code });
        return dims as number[];
    }

    private executeBody(body: Body | undefined, ctx: Context, owner: Network | Block): Value | undefined {
        if (!body) return undefined;
        for (const statement of body.statements) {
            if (isReturn(statement)) {
                const values = statement.outputs.map(o => (o.value ? this.evaluate(o.value, ctx) : undefined));
                if (values.some(v => v === undefined)) return undefined;
                if (values.length === 1) return values[0];
                return values as Value[];
            }
            const value = statement.value ? this.evaluate(statement.value, ctx) : undefined;
            if (value === undefined) continue;
            const targets = statement.targets;
            if (targets.length === 1) {
                this.bindDecl(targets[0], value, ctx);
            } else if (isTuple(value) && value.length === targets.length) {
                targets.forEach((t, i) => this.bindDecl(t, value[i], ctx));
            } else {
                this.error(`${targets.length} names on the left but the right side gives ${isTuple(value) ? `${value.length} values` : describeValue(value)}`, statement, ctx, { property: 'targets' });
            }
        }
        const kind = isBlock(owner) ? 'block' : 'network';
        return this.error(`${kind} ${owner.name} has no return statement; end it with: return <tensor>`, owner, ctx, { property: 'name' });
    }

    private bindDecl(decl: AstNode & { name: string }, value: Value, ctx: Context): void {
        ctx.bindings.set(decl, value);
        const ids = isTensor(value) ? [value.id] : isTuple(value) ? value.filter(isTensor).map(t => t.id) : [];
        for (const id of ids) this.recordTensorOfDecl(decl, id);
        if (isTensor(value) && this.tensors[value.id].name === undefined) this.tensors[value.id].name = decl.name;
    }

    /**
     * A declaration in a block body holds one tensor per instance of the block: appended in place, because
     * copying the list on every instance made a block used 38,416 times cost 38,416² / 2 copies.
     */
    private recordTensorOfDecl(decl: AstNode, id: number): void {
        const ids = this.tensorOfDecl.get(decl);
        if (ids) ids.push(id);
        else this.tensorOfDecl.set(decl, [id]);
    }

    private collectOutputs(result: Value): void {
        const returned = this.network.body?.statements.find(isReturn);
        const values = isTuple(result) && (returned?.outputs.length ?? 0) > 1 ? result : [result];
        values.forEach((value, i) => {
            const output = returned?.outputs[i];
            const name = output?.name ?? (values.length === 1 ? 'output' : `output${i}`);
            const tensors = isTensor(value) ? [value] : isTuple(value) ? value.filter(isTensor) : [];
            if (tensors.length === 0) {
                this.error(`a network returns tensors; this returns ${describeValue(value)}`, output ?? this.network, { trace: [] });
                return;
            }
            tensors.forEach((t, j) => this.outputs.push({ name: tensors.length === 1 ? name : `${name}${j}`, tensor: t.id }));
        });
    }

    // ----- expressions -------------------------------------------------------------------------------------

    private evaluate(expr: Expression | undefined, ctx: Context): Value | undefined {
        if (!expr) return undefined;
        if (isNumberLiteral(expr)) return Number(expr.value);
        if (isStringLiteral(expr)) return expr.value ?? '';
        if (isBooleanLiteral(expr)) return expr.value === true;
        if (isTupleExpr(expr)) {
            if (expr.items.length === 1 && !expr.trailingComma) return this.evaluate(expr.items[0], ctx);
            const items = expr.items.map(i => this.evaluate(i, ctx));
            return items.every(i => i !== undefined) ? (items as Value[]) : undefined;
        }
        if (isListExpr(expr)) return this.evaluateValueList(expr, ctx);
        if (isCall(expr)) return this.evaluateCall(expr, ctx);
        if (isPipeExpr(expr)) {
            const input = this.evaluate(expr.input, ctx);
            return input === undefined || !expr.step ? undefined : this.applyStep(input, expr.step, ctx);
        }
        if (isIfExpr(expr)) {
            if (!expr.else) {
                // Outside lists the validator has said so; in a list it is only known here that it holds values, not layers.
                return isListItemCondition(expr) ? this.error('an if in a list of values needs an else branch (only a layer may be left out): if … then … else …', expr, ctx, { property: 'condition' }) : undefined;
            }
            const branch = this.chooseBranch(expr.condition, ctx);
            return branch === undefined ? undefined : this.evaluate(branch ? expr.then : expr.else, ctx);
        }
        if (isBinaryExpr(expr)) return this.evaluateBinary(expr, ctx);
        if (isUnaryExpr(expr)) {
            const operand = this.evaluate(expr.operand, ctx);
            if (operand === undefined) return undefined;
            if (expr.operator === 'not') return typeof operand === 'boolean' ? !operand : this.error(`'not' needs a boolean, got ${describeValue(operand)}`, expr, ctx);
            return typeof operand === 'number' ? -operand : this.error(`'-' needs a number, got ${describeValue(operand)}`, expr, ctx);
        }
        // A member left out (`x.` being typed) is a syntax error already.
        if (isMemberExpr(expr)) return expr.member ? this.evaluateMember(expr.receiver, expr.member, expr, ctx) : undefined;
        if (isIndexExpr(expr)) {
            const receiver = this.evaluate(expr.receiver, ctx);
            const index = this.evaluate(expr.index, ctx);
            if (receiver === undefined || index === undefined) return undefined;
            if (!isTuple(receiver)) return this.error(`only a tuple or list can be indexed, not ${describeValue(receiver)}`, expr, ctx, { property: 'receiver' });
            if (typeof index !== 'number' || !Number.isInteger(index)) return this.error(`an index must be a whole number, got ${describeValue(index)}`, expr, ctx, { property: 'index' });
            const item = receiver[index < 0 ? index + receiver.length : index];
            return item !== undefined ? item : this.error(`index ${index} is out of range for ${receiver.length} items`, expr, ctx, { property: 'index' });
        }
        return undefined;
    }

    private chooseBranch(condition: Expression | undefined, ctx: Context): boolean | undefined {
        const value = this.evaluate(condition, ctx);
        if (value === undefined) return undefined;
        if (typeof value !== 'boolean') return this.error(`a condition must be true or false, got ${describeValue(value)}`, condition!, ctx);
        return value;
    }

    private evaluateMember(receiverExpr: Expression, member: string, node: AstNode, ctx: Context): Value | undefined {
        const receiver = this.evaluate(receiverExpr, ctx);
        if (receiver === undefined) return undefined;
        if (!isTensor(receiver)) return this.error(`'.${member}' needs a tensor, got ${describeValue(receiver)}`, node, ctx, { property: 'member' });
        const shape = this.tensors[receiver.id].shape;
        const rank = shape.length;
        const spatial = rank - 2;
        const value = ((): Value | undefined => {
            switch (member) {
                case 'batch': return shape[0];
                case 'channels': return rank >= 2 ? shape[1] : undefined;
                case 'features': return rank === 2 ? shape[1] : undefined;
                case 'length': return rank === 3 ? shape[2] : undefined;
                case 'depth': return rank === 5 ? shape[2] : undefined;
                case 'height': return rank >= 4 ? shape[rank - 2] : undefined;
                case 'width': return rank >= 4 ? shape[rank - 1] : undefined;
                case 'rank': return rank;
                case 'shape': return [...shape];
                case 'spatial': return shape.slice(2);
                case 'numel': return numel(shape);
                default: return undefined;
            }
        })();
        if (value !== undefined) return value;
        if (TENSOR_PROPERTIES.includes(member)) {
            return this.error(`a ${rank}-D tensor (${formatShape(shape)}) has no ${member}${spatial > 0 ? '' : ' (it has no spatial dimensions)'}`, node, ctx, { property: 'member' });
        }
        return this.error(`a tensor has no property '${member}'${didYouMean(member, TENSOR_PROPERTIES)} (it has ${TENSOR_PROPERTIES.join(', ')})`, node, ctx, { property: 'member' });
    }

    private evaluateBinary(expr: Expression & { $type: 'BinaryExpr' }, ctx: Context): Value | undefined {
        const { operator } = expr;
        if (operator === 'and' || operator === 'or') {
            const left = this.evaluate(expr.left, ctx);
            if (left === undefined) return undefined;
            if (typeof left !== 'boolean') return this.error(`'${operator}' needs booleans, got ${describeValue(left)}`, expr, ctx, { property: 'left' });
            if (operator === 'and' ? !left : left) return left;
            const right = this.evaluate(expr.right, ctx);
            if (right === undefined) return undefined;
            return typeof right === 'boolean' ? right : this.error(`'${operator}' needs booleans, got ${describeValue(right)}`, expr, ctx, { property: 'right' });
        }
        const left = this.evaluate(expr.left, ctx);
        const right = this.evaluate(expr.right, ctx);
        if (left === undefined || right === undefined) return undefined;
        if (operator === '==' || operator === '!=') {
            const equal = JSON.stringify(left) === JSON.stringify(right);
            return operator === '==' ? equal : !equal;
        }
        if (isTensor(left) || isTensor(right)) {
            const op = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }[operator as string];
            if (!op || !isTensor(left) || !isTensor(right)) {
                return this.error(`'${operator}' between ${describeValue(left)} and ${describeValue(right)} is not defined${op ? '; both sides must be tensors' : ''}`, expr, ctx);
            }
            return this.applyOp(findOp(op)!, [left, right], [], this.autoName(ctx, op), expr, ctx, undefined, { operands: [expr.left, expr.right] });
        }
        if (typeof left !== 'number' || typeof right !== 'number') {
            if (operator === '+' && isTuple(left) && isTuple(right)) {
                const items = left.length + right.length;
                if (items > LIMITS.tupleItems) return this.error(`'+' would make a tuple of ${items} items, above the limit of ${LIMITS.tupleItems}`, expr, ctx, { code: 'too-large' });
                return [...left, ...right];
            }
            return this.error(`'${operator}' needs numbers, got ${describeValue(left)} and ${describeValue(right)}`, expr, ctx);
        }
        switch (operator) {
            case '+': return this.exact(left + right, expr, ctx);
            case '-': return this.exact(left - right, expr, ctx);
            case '*': return this.exact(left * right, expr, ctx);
            case '**': return this.exact(left ** right, expr, ctx);
            case '/': return right === 0 ? this.error('division by zero', expr, ctx, { property: 'right' }) : left / right;
            case '//': return right === 0 ? this.error('division by zero', expr, ctx, { property: 'right' }) : Math.floor(left / right);
            case '%': return right === 0 ? this.error('modulo by zero', expr, ctx, { property: 'right' }) : left - right * Math.floor(left / right);
            case '<': return left < right;
            case '<=': return left <= right;
            case '>': return left > right;
            case '>=': return left >= right;
        }
        return undefined;
    }

    private exact(value: number, node: AstNode, ctx: Context): number | undefined {
        if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
            return this.error(`${value} is too large to represent exactly (limit 2^53)`, node, ctx, { code: 'too-large' });
        }
        return Number.isFinite(value) ? value : this.error('the result is not a finite number', node, ctx);
    }

    /** A list where values are expected: items are values, `for` and `repeat` expand into several. */
    private evaluateValueList(list: ListExpr, ctx: Context): Value[] | undefined {
        const out: Value[] = [];
        const visit = (items: readonly ListItem[]): boolean => {
            for (const item of items) {
                if (isLabeledItem(item)) {
                    if (item.label) this.report('error', `a label (${item.label}:) names a layer; this list holds values`, item, ctx, { property: 'label' });
                    const value = this.evaluate(item.value, ctx);
                    if (value === undefined) return false;
                    out.push(value);
                } else if (!this.iterate(item, ctx, body => visit(body.items))) {
                    return false;
                }
            }
            return true;
        };
        return visit(list.items) ? out : undefined;
    }

    /** Runs a `for` or `repeat` item's body once per iteration, binding loop variables; false stops on error. */
    private iterate(item: ListItem, ctx: Context, visitBody: (body: ItemBody) => boolean): boolean {
        if (isRepeatItem(item)) {
            const count = this.evaluate(item.count, ctx);
            if (count === undefined) return false;
            if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
                this.error(`repeat needs a whole number ≥ 0, got ${describeValue(count)}`, item, ctx, { property: 'count' });
                return false;
            }
            if (count > LIMITS.loopIterations) {
                this.error(`repeat ${count} is above the limit of ${LIMITS.loopIterations} repetitions`, item, ctx, { property: 'count' });
                return false;
            }
            this.countIterations(count, item, 'count', ctx);
            for (let i = 0; i < count; i++) if (item.body && !visitBody(item.body)) return false;
            return true;
        }
        if (!isForItem(item)) return false;
        const iterable = this.evaluate(item.iterable, ctx);
        if (iterable === undefined) return false;
        if (!isTuple(iterable)) {
            this.error(`for … in needs a list or tuple (e.g. range(4)), got ${describeValue(iterable)}`, item, ctx, { property: 'iterable' });
            return false;
        }
        if (iterable.length > LIMITS.loopIterations) {
            this.error(`this loop runs ${iterable.length} times, above the limit of ${LIMITS.loopIterations}`, item, ctx, { property: 'iterable' });
            return false;
        }
        this.countIterations(iterable.length, item, 'iterable', ctx);
        for (const element of iterable) {
            if (item.vars.length === 1) {
                ctx.bindings.set(item.vars[0], element);
            } else if (isTuple(element) && element.length === item.vars.length) {
                item.vars.forEach((v, i) => ctx.bindings.set(v, element[i]));
            } else {
                this.error(`each item must have ${item.vars.length} values to unpack into ${item.vars.map(v => v.name).join(', ')}; got ${describeValue(element)}`, item, ctx, { property: 'iterable' });
                return false;
            }
            if (item.body && !visitBody(item.body)) return false;
        }
        return true;
    }

    private iterations = 0;

    /** Nested loops multiply: past LIMITS.totalIterations for the whole network, elaboration stops. */
    private countIterations(count: number, item: ListItem, property: string, ctx: Context): void {
        this.iterations += count;
        if (this.iterations <= LIMITS.totalIterations) return;
        this.error(`network ${this.network.name} runs loops more than ${LIMITS.totalIterations} times in all (nested loops multiply); elaboration stopped`, item, ctx, { property, code: 'too-large' });
        throw new Abort();
    }

    // ----- calls -------------------------------------------------------------------------------------------

    /** A call where a value is expected: `relu(y + s)`, `concat(a, b)`, `range(4)`, or just a name. */
    private evaluateCall(call: Call, ctx: Context): Value | undefined {
        const target = call.target?.ref;
        if (!target) return this.unresolved(call, ctx);
        if (isParam(target) || isTensorDecl(target) || isLoopVar(target)) {
            if (call.hasArguments) return this.error(`'${call.target.$refText}' is ${isParam(target) ? 'a parameter' : 'a value'}, not an op or block, and cannot be called`, call, ctx, { property: 'target' });
            const value = ctx.bindings.get(target);
            // No value means its own definition failed and was reported there.
            return value;
        }
        const args = this.evaluateArguments(call, ctx);
        if (!args) return undefined;
        if (isFunctionDecl(target)) {
            const fn = BUILTIN_FUNCTIONS[target.name];
            if (!fn || args.some(a => a.name)) return this.error(`${target.name} takes positional arguments: ${fn?.signature ?? ''}`, call, ctx);
            const result = fn.call(args.map(a => a.value));
            return 'error' in result ? this.error(result.error, call, ctx, { property: 'target' }) : result.value;
        }
        const tensors = args.filter(a => !a.name && (isTensor(a.value) || (isTuple(a.value) && a.value.length > 0 && a.value.every(isTensor))));
        const inputs = tensors.flatMap(a => (isTensor(a.value) ? [a.value] : (a.value as readonly Value[]).filter(isTensor)));
        const rest = args.filter(a => !tensors.includes(a));
        if (isOpDecl(target)) {
            const spec = findOp(target.name);
            if (!spec) return this.error(`unknown op '${target.name}'`, call, ctx, { property: 'target' });
            if (inputs.length === 0) return this.error(`${spec.name} needs an input: write x -> ${call.target.$refText}${call.hasArguments ? '(…)' : ''} or ${spec.name}(x${call.arguments.length ? ', …' : ''})`, call, ctx, { property: 'target' });
            return this.applyOp(spec, inputs, rest, this.autoName(ctx, spec.name), call, ctx, undefined, { tensorArgs: tensors.map(t => call.arguments[t.index]) });
        }
        if (isBlock(target)) {
            if (inputs.length === 0) return this.error(`block ${target.name} needs its input tensor${target.inputs.length === 1 ? '' : 's'}: write x -> ${target.name}(…) or ${target.name}(x, …)`, call, ctx, { property: 'target' });
            return this.callBlock(target, inputs, rest, this.autoName(ctx, target.name), call, ctx);
        }
        return this.error(`'${call.target.$refText}' cannot be used as a value`, call, ctx, { property: 'target' });
    }

    /**
     * An unknown name stops what depends on it. The linker reports it in its own file; this copy lets a file
     * that calls a block of another file show it at the call (the validator drops it elsewhere).
     */
    private unresolved(call: Call, ctx: Context): undefined {
        if (!call.target) return undefined;
        return this.error(call.target.error?.message ?? `unknown name '${call.target.$refText}'`, call, ctx, { property: 'target', code: 'unresolved-reference' });
    }

    private evaluateArguments(call: Call, ctx: Context): (CallArgument & { value: Value })[] | undefined {
        const args: (CallArgument & { value: Value })[] = [];
        let ok = true;
        call.arguments.forEach((arg, index) => {
            const value = this.evaluate(arg.value, ctx);
            if (value === undefined) ok = false;
            else args.push({ index, name: arg.name, value: value as never });
        });
        return ok ? args : undefined;
    }

    /** Applies one chain step (`-> conv1: conv(64, kernel: 3)`) to the value that flows into it. */
    private applyStep(input: Value, step: Step, ctx: Context): Value | undefined {
        const target = step.target;
        if (!target) return undefined;
        const base = isListExpr(target) ? 'sequential' : (target.target?.$refText ?? 'layer');
        const name = step.label ? this.claimName(ctx, step.label, step) : this.autoName(ctx, base);
        if (name === undefined) return undefined;
        return this.applyLayer(input, target, name, ctx, step);
    }

    /** Applies a layer (an op, a block, a list of layers or a conditional one) to a value. */
    private applyLayer(input: Value, layer: Expression, name: string, ctx: Context, labelNode?: AstNode): Value | undefined {
        const inputs = isTensor(input) ? [input] : isTuple(input) && input.length > 0 && input.every(isTensor) ? (input as TensorValue[]) : undefined;
        if (!inputs) return this.error(`a layer is applied to a tensor, not to ${describeValue(input)}`, layer, ctx);
        if (isListExpr(layer)) return this.applyList(inputs, layer, name, ctx);
        if (isIfExpr(layer)) {
            const branch = this.chooseBranch(layer.condition, ctx);
            if (branch === undefined) return undefined;
            const chosen = branch ? layer.then : layer.else;
            return chosen ? this.applyLayer(input, chosen, name, ctx, labelNode) : input;
        }
        if (!isCall(layer)) return this.error('expected a layer here: an op (relu, conv(64, kernel: 3)), a block call or a list of layers', layer, ctx);
        const target = layer.target?.ref;
        if (!target) return this.unresolved(layer, ctx);
        const args = this.evaluateArguments(layer, ctx);
        if (!args) return undefined;
        const extra = args.filter(a => !a.name && isTensor(a.value));
        const all = [...inputs, ...extra.map(a => a.value as TensorValue)];
        const rest = args.filter(a => !extra.includes(a));
        if (isOpDecl(target)) {
            const spec = findOp(target.name);
            if (!spec) return this.error(`unknown op '${target.name}'`, layer, ctx, { property: 'target' });
            return this.applyOp(spec, all, rest, name, layer, ctx, labelNode, { tensorArgs: extra.map(a => layer.arguments[a.index]), piped: true });
        }
        if (isBlock(target)) return this.callBlock(target, all, rest, name, layer, ctx);
        const what = isFunctionDecl(target) ? 'a function' : isParam(target) ? 'a parameter' : 'a tensor';
        return this.error(`'${layer.target.$refText}' is ${what}, not a layer; a chain step must be an op, a block or a list of layers`, layer, ctx, { property: 'target' });
    }

    /** A list of layers applied in order; children are named 0, 1, … (or by their label), as in nn.Sequential. */
    private applyList(inputs: TensorValue[], list: ListExpr, name: string, ctx: Context): Value | undefined {
        const module = this.openModule(name, 'list', undefined, list, ctx);
        const inner: Context = { ...ctx, prefix: name, module, usedNames: new Map(), nextSuffix: new Map() };
        let current: Value = inputs.length === 1 ? inputs[0] : inputs;
        let index = 0;
        let failed = false;
        const visit = (items: readonly ListItem[]): boolean => {
            for (const item of items) {
                if (isLabeledItem(item)) {
                    let layer: Expression | undefined = item.value;
                    while (layer && isIfExpr(layer)) {
                        const branch = this.chooseBranch(layer.condition, inner);
                        if (branch === undefined) return false;
                        layer = branch ? layer.then : layer.else;
                    }
                    if (!layer || (isListExpr(layer) && layer.items.length === 0)) continue; // a layer left out
                    const childName = item.label ? this.claimName(inner, item.label, item) : this.claimName(inner, String(index++), item);
                    if (childName === undefined) return false;
                    const next = this.applyLayer(current, layer, childName, inner, item);
                    if (next === undefined) return false;
                    current = next;
                } else if (!this.iterate(item, inner, body => visit(body.items))) {
                    return false;
                }
            }
            return true;
        };
        failed = !visit(list.items);
        this.closeModule(module);
        return failed ? undefined : current;
    }

    private callBlock(block: Block, inputs: TensorValue[], args: readonly (CallArgument & { value: Value })[], name: string, call: Call, ctx: Context): Value | undefined {
        if (ctx.blocks.includes(block)) {
            const cycle = [...ctx.blocks.slice(ctx.blocks.indexOf(block)), block].map(b => b.name).join(' → ');
            return this.error(`block ${block.name} calls itself (${cycle}); a network must be finite`, call, ctx, { property: 'target', code: 'recursive-block' });
        }
        if (ctx.blocks.length >= LIMITS.callDepth) return this.error(`blocks are nested more than ${LIMITS.callDepth} deep`, call, ctx, { property: 'target' });
        if (inputs.length !== block.inputs.length) {
            return this.error(`block ${block.name} takes ${block.inputs.length} input tensor${block.inputs.length === 1 ? '' : 's'} (${block.inputs.map(i => i.name).join(', ')}), got ${inputs.length}`, call, ctx, { property: 'target' });
        }
        const trace = [...ctx.trace, call];
        const bindings: Bindings = new Map();
        const inner: Context = { bindings, prefix: name, module: -1, usedNames: new Map(), nextSuffix: new Map(), trace, blocks: [...ctx.blocks, block] };
        if (!this.bindBlockArguments(block, args, call, ctx, inner)) return undefined;
        block.inputs.forEach((p, i) => {
            bindings.set(p, inputs[i]);
            this.recordTensorOfDecl(p, inputs[i].id);
        });
        const module = this.openModule(name, 'block', block.name, call, ctx);
        this.modules[module].args = blockArguments(block, bindings);
        const result = this.executeBody(block.body, { ...inner, module }, block);
        this.closeModule(module);
        return result;
    }

    private bindBlockArguments(block: Block, args: readonly (CallArgument & { value: Value })[], call: Call, outer: Context, inner: Context): boolean {
        const given = new Map<Param, Value>();
        let ok = true;
        const positional = args.filter(a => !a.name);
        positional.forEach((arg, i) => {
            const param = block.params[i];
            if (!param) {
                ok = this.error(`block ${block.name} takes ${block.params.length} argument${block.params.length === 1 ? '' : 's'} (${block.params.map(p => p.name).join(', ') || 'none'}), got ${positional.length}`, call.arguments[arg.index], outer) ?? false;
                return;
            }
            given.set(param, arg.value);
        });
        // A parameter a misspelt argument was meant for is not reported missing as well.
        const meant = new Set<string>();
        for (const arg of args.filter(a => a.name)) {
            const param = block.params.find(p => p.name === arg.name);
            if (!param) {
                const suggestion = closestName(arg.name!, block.params.map(p => p.name).filter(Boolean));
                if (suggestion) meant.add(suggestion);
                ok = this.error(`block ${block.name} has no parameter '${arg.name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`, call.arguments[arg.index], outer, { property: 'name' }) ?? false;
            } else if (given.has(param)) {
                ok = this.error(`'${arg.name}' is given twice`, call.arguments[arg.index], outer, { property: 'name' }) ?? false;
            } else {
                given.set(param, arg.value);
            }
        }
        for (const param of block.params) {
            let value = given.get(param);
            if (value === undefined) {
                if (!param.default) {
                    if (!meant.has(param.name)) ok = this.error(`block ${block.name} needs '${param.name}'${param.type ? ` (${param.type})` : ''}`, call, outer, { property: 'target' }) ?? false;
                    continue;
                }
                value = this.evaluate(param.default, inner);
                if (value === undefined) {
                    ok = false;
                    continue;
                }
            } else if (!this.checkParamType(param, value, outer, call.arguments.find(a => a.name === param.name) ?? call)) {
                ok = false;
                continue;
            }
            inner.bindings.set(param, value);
        }
        return ok;
    }

    private checkParamType(param: Param, value: Value, ctx: Pick<Context, 'trace'>, where: AstNode = param): boolean {
        const type = param.type;
        if (!type || type === 'any' || !VALUE_TYPES.includes(type)) return true;
        const actual = typeName(value);
        const fits = type === actual || (type === 'float' && actual === 'int');
        if (!fits) this.error(`'${param.name}' is declared ${type} but got ${describeValue(value)}`, where, ctx);
        return fits;
    }

    // ----- ops and the graph -------------------------------------------------------------------------------

    private applyOp(
        spec: OpSpec, inputs: readonly TensorValue[], attrArgs: readonly (CallArgument & { value: Value })[],
        name: string, call: Call | Expression, ctx: Context, labelNode: AstNode | undefined,
        where: { tensorArgs?: readonly AstNode[]; operands?: readonly AstNode[]; piped?: boolean },
    ): Value | undefined {
        const callNode = call as AstNode;
        const argNode = (index: number): AstNode => (isCall(call) ? call.arguments[index] : callNode);
        if (inputs.length < spec.inputs.min || inputs.length > spec.inputs.max) {
            const expected = spec.inputs.min === spec.inputs.max ? `${spec.inputs.min}` : spec.inputs.max === Infinity ? `at least ${spec.inputs.min}` : `${spec.inputs.min} to ${spec.inputs.max}`;
            return this.error(`${spec.name} takes ${expected} input tensor${expected === '1' ? '' : 's'}, got ${inputs.length}`, callNode, ctx, isCall(call) ? { property: 'target', code: 'bad-input-count' } : { code: 'bad-input-count' });
        }
        const attrValues: CallArgument[] = [];
        for (const arg of attrArgs) {
            const value = asAttrValue(arg.value);
            if (value === undefined) return this.error(`${spec.name}: a tensor cannot be an attribute value`, argNode(arg.index), ctx);
            attrValues.push({ index: arg.index, name: arg.name, value });
        }
        const binding = bindAttributes(spec, attrValues.filter(v => !v.name), attrValues.filter(v => v.name));
        if (binding.issues.length) {
            for (const issue of binding.issues) {
                if (issue.argIndex !== undefined) this.error(issue.message, argNode(issue.argIndex), ctx);
                else this.error(issue.message, callNode, ctx, isCall(call) ? { property: 'target' } : {});
            }
            return undefined;
        }
        const shapes = inputs.map(t => this.tensors[t.id].shape);
        const opCtx = { inputs: shapes, attrs: binding.attrs };
        const result = spec.shape(opCtx);
        const layer = ctx.prefix && !this.isAutoName(name) ? `${name}: ` : '';
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
        const related = inputs.length > 1 ? inputs.map(t => this.provenance(t.id)).filter(r => r !== undefined) : [];
        for (const issue of result.issues) {
            const at = locate(issue);
            this.report(issue.severity, `${layer}${issue.message}`, at.node, ctx, {
                property: at.property, code: issue.code, data: issue.data, ...(issue.input !== undefined && related.length ? { related } : {}),
            });
        }
        if (!result.outputs) return undefined;
        for (const shape of result.outputs) {
            const problem = checkRepresentable(shape, `the output of ${spec.name}`);
            if (problem) return this.error(problem.message, callNode, ctx, { code: problem.code });
        }
        const cost = spec.cost(opCtx, result.outputs);
        if (!Number.isSafeInteger(cost.macs) || !Number.isSafeInteger(Math.round(cost.flops))) {
            return this.error(`${spec.name}: its cost (${cost.macs} MACs) is too large to count exactly (limit 2^53)`, callNode, ctx, { code: 'too-large' });
        }
        if (this.nodes.length >= LIMITS.nodes) {
            this.error(`network ${this.network.name} has more than ${LIMITS.nodes} layers; elaboration stopped`, callNode, ctx, { code: 'too-large' });
            throw new Abort();
        }
        const index = this.nodes.length;
        const inputTensors = inputs.map(t => this.tensors[t.id]);
        const window = spec.window(opCtx, result.outputs);
        const outputs = result.outputs.map(shape => this.addTensor(shape, index, undefined, outputField(window, inputTensors, shape)));
        const memory = result.outputs.reduce((sum, s) => sum + numel(s) * 4, 0);
        if (memory > LIMITS.activationWarningBytes) {
            this.report('warning', `${layer}${spec.name} produces ${formatBytes(memory)} of activations (${result.outputs.map(formatShape).join(', ')}), above ${formatBytes(LIMITS.activationWarningBytes)}`, callNode, ctx, isCall(call) ? { property: 'target', code: 'large-activation' } : { code: 'large-activation' });
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

    /** Where a tensor was made, for a diagnostic's related information. */
    private provenance(id: number): { location: SourceLocation; message: string } | undefined {
        const tensor = this.tensors[id];
        const shape = formatShape(tensor.shape);
        if (tensor.producer !== undefined) {
            const node = this.nodes[tensor.producer];
            return { location: node.source, message: `${shape} comes from ${node.name} (${node.op})` };
        }
        const input = this.network.params.find(p => p.name === tensor.name);
        return input ? { location: this.location(input), message: `${shape} is the network input ${input.name}` } : undefined;
    }

    private addTensor(shape: Shape, producer: number | undefined, name: string | undefined, field = inputField(shape)): number {
        const id = this.tensors.length;
        this.tensors.push({ id, shape: [...shape], producer, name, receptiveField: field.receptiveField, jump: field.jump });
        return id;
    }

    // ----- names and modules -------------------------------------------------------------------------------

    /** Auto names (`relu`, `relu_1`, …) are for display; only labels and list positions reach state_dict keys you write. */
    private autoName(ctx: Context, base: string): string {
        let suffix = ctx.nextSuffix.get(base) ?? 0;
        let candidate = suffix === 0 ? base : `${base}_${suffix}`;
        while (ctx.usedNames.has(candidate)) candidate = `${base}_${++suffix}`;
        ctx.nextSuffix.set(base, suffix + 1);
        ctx.usedNames.set(candidate, undefined);
        const full = ctx.prefix ? `${ctx.prefix}.${candidate}` : candidate;
        this.autoNames.add(full);
        return full;
    }

    private readonly autoNames = new Set<string>();

    private isAutoName(name: string): boolean {
        return this.autoNames.has(name);
    }

    private claimName(ctx: Context, label: string, node: AstNode): string | undefined {
        const full = ctx.prefix ? `${ctx.prefix}.${label}` : label;
        const previous = ctx.usedNames.get(label);
        if (ctx.usedNames.has(label) && previous !== node) {
            const where = previous ? ` (also used at line ${(previous.$cstNode?.range.start.line ?? 0) + 1})` : '';
            return this.error(`the layer name '${full}' is used twice${where}; state_dict keys would collide`, node, ctx, { property: 'label' });
        }
        ctx.usedNames.set(label, node);
        return full;
    }

    private openModule(name: string, kind: 'block' | 'list', block: string | undefined, node: AstNode, ctx: Context): number {
        const index = this.modules.length;
        this.moduleOrigins.push(node);
        this.modules.push({ index, name, kind, block, parent: ctx.module, firstNode: this.nodes.length, endNode: this.nodes.length, source: this.location(node) });
        return index;
    }

    private closeModule(index: number): void {
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

    private location(node: AstNode): SourceLocation {
        const range = node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
        return { uri: this.uri(node), start: range.start, end: range.end };
    }
}
