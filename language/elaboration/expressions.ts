/**
 * Evaluating expressions — numbers, tuples, arithmetic, conditions, tensor properties, indexing — and
 * expanding the `for` and `repeat` items of lists. What an expression does with layers (a call, a chain step)
 * is the elaborator's: it comes back through `LayerApplication`.
 */
import type { AstNode } from 'langium';
import {
    isBinaryExpr, isBooleanLiteral, isCall, isForItem, isIfExpr, isIndexExpr, isItemBody, isLabeledItem, isListExpr, isMemberExpr,
    isNumberLiteral, isPipeExpr, isRepeatItem, isStringLiteral, isTupleExpr, isUnaryExpr,
    type Call, type Expression, type IfExpr, type ItemBody, type ListExpr, type ListItem, type Network, type Step,
} from '../generated/ast.js';
import { findOp } from '../ops/registry.js';
import { formatShape, numel } from '../ops/shape-utils.js';
import { didYouMean } from '../util/suggest.js';
import { Abort, type Context } from './context.js';
import type { ElaborationDiagnostics } from './diagnostics.js';
import type { GraphBuilder } from './graph-builder.js';
import type { LayerNames } from './layer-names.js';
import { LIMITS } from './limits.js';
import { describeValue, isTensor, isTuple, type TensorValue, type Value } from './values.js';

const TENSOR_PROPERTIES = ['batch', 'channels', 'depth', 'height', 'width', 'length', 'features', 'rank', 'shape', 'spatial', 'numel'];

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

/** What an expression asks of the layers: a call (`relu(y + s)`, `range(4)`, a name) and a chain step (`x -> conv(…)`). */
export interface LayerApplication {
    evaluateCall(call: Call, ctx: Context): Value | undefined;
    applyStep(input: Value, step: Step, ctx: Context): Value | undefined;
}

export class ExpressionEvaluator {
    /** Loop iterations so far, over the whole network. */
    private iterations = 0;

    constructor(
        private readonly network: Network,
        private readonly builder: GraphBuilder,
        private readonly diagnostics: ElaborationDiagnostics,
        private readonly names: LayerNames,
        private readonly layers: LayerApplication,
    ) {}

    evaluate(expr: Expression | undefined, ctx: Context): Value | undefined {
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
        if (isCall(expr)) return this.layers.evaluateCall(expr, ctx);
        if (isPipeExpr(expr)) {
            const input = this.evaluate(expr.input, ctx);
            return input === undefined || !expr.step ? undefined : this.layers.applyStep(input, expr.step, ctx);
        }
        if (isIfExpr(expr)) {
            if (!expr.else) {
                // Outside lists the validator has said so; in a list it is only known here that it holds values, not layers.
                return isListItemCondition(expr) ? this.diagnostics.error('an if in a list of values needs an else branch (only a layer may be left out): if … then … else …', expr, ctx, { property: 'condition' }) : undefined;
            }
            const branch = this.chooseBranch(expr.condition, ctx);
            return branch === undefined ? undefined : this.evaluate(branch ? expr.then : expr.else, ctx);
        }
        if (isBinaryExpr(expr)) return this.evaluateBinary(expr, ctx);
        if (isUnaryExpr(expr)) {
            const operand = this.evaluate(expr.operand, ctx);
            if (operand === undefined) return undefined;
            if (expr.operator === 'not') return typeof operand === 'boolean' ? !operand : this.diagnostics.error(`'not' needs a boolean, got ${describeValue(operand)}`, expr, ctx);
            return typeof operand === 'number' ? -operand : this.diagnostics.error(`'-' needs a number, got ${describeValue(operand)}`, expr, ctx);
        }
        // A member left out (`x.` being typed) is a syntax error already.
        if (isMemberExpr(expr)) return expr.member ? this.evaluateMember(expr.receiver, expr.member, expr, ctx) : undefined;
        if (isIndexExpr(expr)) {
            const receiver = this.evaluate(expr.receiver, ctx);
            const index = this.evaluate(expr.index, ctx);
            if (receiver === undefined || index === undefined) return undefined;
            if (!isTuple(receiver)) return this.diagnostics.error(`only a tuple or list can be indexed, not ${describeValue(receiver)}`, expr, ctx, { property: 'receiver' });
            if (typeof index !== 'number' || !Number.isInteger(index)) return this.diagnostics.error(`an index must be a whole number, got ${describeValue(index)}`, expr, ctx, { property: 'index' });
            const item = receiver[index < 0 ? index + receiver.length : index];
            return item !== undefined ? item : this.diagnostics.error(`index ${index} is out of range for ${receiver.length} items`, expr, ctx, { property: 'index' });
        }
        return undefined;
    }

    chooseBranch(condition: Expression | undefined, ctx: Context): boolean | undefined {
        const value = this.evaluate(condition, ctx);
        if (value === undefined) return undefined;
        if (typeof value !== 'boolean') return this.diagnostics.error(`a condition must be true or false, got ${describeValue(value)}`, condition!, ctx);
        return value;
    }

    private evaluateMember(receiverExpr: Expression, member: string, node: AstNode, ctx: Context): Value | undefined {
        const receiver = this.evaluate(receiverExpr, ctx);
        if (receiver === undefined) return undefined;
        if (!isTensor(receiver)) return this.diagnostics.error(`'.${member}' needs a tensor, got ${describeValue(receiver)}`, node, ctx, { property: 'member' });
        const shape = this.builder.tensors[receiver.id].shape;
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
            return this.diagnostics.error(`a ${rank}-D tensor (${formatShape(shape)}) has no ${member}${spatial > 0 ? '' : ' (it has no spatial dimensions)'}`, node, ctx, { property: 'member' });
        }
        return this.diagnostics.error(`a tensor has no property '${member}'${didYouMean(member, TENSOR_PROPERTIES)} (it has ${TENSOR_PROPERTIES.join(', ')})`, node, ctx, { property: 'member' });
    }

    private evaluateBinary(expr: Expression & { $type: 'BinaryExpr' }, ctx: Context): Value | undefined {
        const { operator } = expr;
        if (operator === 'and' || operator === 'or') {
            const left = this.evaluate(expr.left, ctx);
            if (left === undefined) return undefined;
            if (typeof left !== 'boolean') return this.diagnostics.error(`'${operator}' needs booleans, got ${describeValue(left)}`, expr, ctx, { property: 'left' });
            if (operator === 'and' ? !left : left) return left;
            const right = this.evaluate(expr.right, ctx);
            if (right === undefined) return undefined;
            return typeof right === 'boolean' ? right : this.diagnostics.error(`'${operator}' needs booleans, got ${describeValue(right)}`, expr, ctx, { property: 'right' });
        }
        const left = this.evaluate(expr.left, ctx);
        const right = this.evaluate(expr.right, ctx);
        if (left === undefined || right === undefined) return undefined;
        if (operator === '==' || operator === '!=') {
            const equal = JSON.stringify(left) === JSON.stringify(right);
            return operator === '==' ? equal : !equal;
        }
        if (operator === '*' && ((isTensor(left) && typeof right === 'number') || (typeof left === 'number' && isTensor(right)))) {
            // `x * 0.5`, `0.5 * x`: scaling by a number (ConvNeXt's and the SE papers' constant scales).
            const [tensor, factor, at] = isTensor(left) ? [left, right as number, 1] : [right as TensorValue, left as number, 0];
            return this.builder.applyOp(findOp('scale')!, [tensor], [{ index: at, value: factor }], this.names.auto(ctx, 'scale'), expr, ctx, undefined, { operands: [expr.left, expr.right] });
        }
        if (isTensor(left) || isTensor(right)) {
            const op = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }[operator as string];
            if (!op || !isTensor(left) || !isTensor(right)) {
                return this.diagnostics.error(`'${operator}' between ${describeValue(left)} and ${describeValue(right)} is not defined${op ? '; both sides must be tensors' : ''}`, expr, ctx);
            }
            return this.builder.applyOp(findOp(op)!, [left, right], [], this.names.auto(ctx, op), expr, ctx, undefined, { operands: [expr.left, expr.right] });
        }
        if (typeof left !== 'number' || typeof right !== 'number') {
            if (operator === '+' && isTuple(left) && isTuple(right)) {
                const items = left.length + right.length;
                if (items > LIMITS.tupleItems) return this.diagnostics.error(`'+' would make a tuple of ${items} items, above the limit of ${LIMITS.tupleItems}`, expr, ctx, { code: 'too-large' });
                return [...left, ...right];
            }
            return this.diagnostics.error(`'${operator}' needs numbers, got ${describeValue(left)} and ${describeValue(right)}`, expr, ctx);
        }
        switch (operator) {
            case '+': return this.exact(left + right, expr, ctx);
            case '-': return this.exact(left - right, expr, ctx);
            case '*': return this.exact(left * right, expr, ctx);
            case '**': return this.exact(left ** right, expr, ctx);
            case '/': return right === 0 ? this.diagnostics.error('division by zero', expr, ctx, { property: 'right' }) : left / right;
            case '//': return right === 0 ? this.diagnostics.error('division by zero', expr, ctx, { property: 'right' }) : Math.floor(left / right);
            case '%': return right === 0 ? this.diagnostics.error('modulo by zero', expr, ctx, { property: 'right' }) : left - right * Math.floor(left / right);
            case '<': return left < right;
            case '<=': return left <= right;
            case '>': return left > right;
            case '>=': return left >= right;
        }
        return undefined;
    }

    private exact(value: number, node: AstNode, ctx: Context): number | undefined {
        if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
            return this.diagnostics.error(`${value} is too large to represent exactly (limit 2^53)`, node, ctx, { code: 'too-large' });
        }
        return Number.isFinite(value) ? value : this.diagnostics.error('the result is not a finite number', node, ctx);
    }

    /** A list where values are expected: items are values, `for` and `repeat` expand into several. */
    evaluateValueList(list: ListExpr, ctx: Context): Value[] | undefined {
        const out: Value[] = [];
        const visit = (items: readonly ListItem[]): boolean => {
            for (const item of items) {
                if (isLabeledItem(item)) {
                    if (item.label) this.diagnostics.report('error', `a label (${item.label}:) names a layer; this list holds values`, item, ctx, { property: 'label' });
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
    iterate(item: ListItem, ctx: Context, visitBody: (body: ItemBody) => boolean): boolean {
        if (isRepeatItem(item)) {
            const count = this.evaluate(item.count, ctx);
            if (count === undefined) return false;
            if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
                this.diagnostics.error(`repeat needs a whole number ≥ 0, got ${describeValue(count)}`, item, ctx, { property: 'count' });
                return false;
            }
            if (count > LIMITS.loopIterations) {
                this.diagnostics.error(`repeat ${count} is above the limit of ${LIMITS.loopIterations} repetitions`, item, ctx, { property: 'count' });
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
            this.diagnostics.error(`for … in needs a list or tuple (e.g. range(4)), got ${describeValue(iterable)}`, item, ctx, { property: 'iterable' });
            return false;
        }
        if (iterable.length > LIMITS.loopIterations) {
            this.diagnostics.error(`this loop runs ${iterable.length} times, above the limit of ${LIMITS.loopIterations}`, item, ctx, { property: 'iterable' });
            return false;
        }
        this.countIterations(iterable.length, item, 'iterable', ctx);
        for (const element of iterable) {
            if (item.vars.length === 1) {
                ctx.bindings.set(item.vars[0], element);
            } else if (isTuple(element) && element.length === item.vars.length) {
                item.vars.forEach((v, i) => ctx.bindings.set(v, element[i]));
            } else {
                this.diagnostics.error(`each item must have ${item.vars.length} values to unpack into ${item.vars.map(v => v.name).join(', ')}; got ${describeValue(element)}`, item, ctx, { property: 'iterable' });
                return false;
            }
            if (item.body && !visitBody(item.body)) return false;
        }
        return true;
    }

    /** Nested loops multiply: past LIMITS.totalIterations for the whole network, elaboration stops. */
    private countIterations(count: number, item: ListItem, property: string, ctx: Context): void {
        this.iterations += count;
        if (this.iterations <= LIMITS.totalIterations) return;
        this.diagnostics.error(`network ${this.network.name} runs loops more than ${LIMITS.totalIterations} times in all (nested loops multiply); elaboration stopped`, item, ctx, { property, code: 'too-large' });
        throw new Abort();
    }
}
