/** Binding values to parameters: a network's inputs and value parameters, and the arguments of a block call. */
import { AstUtils, type AstNode } from 'langium';
import { isCall, isNetwork, isParam, type Block, type Call, type ListExpr, type Network, type Param } from '../generated/ast.js';
import type { CallArgument } from '../ops/attributes.js';
import { checkRepresentable } from '../ops/shape-utils.js';
import type { AttrValue } from '../ops/types.js';
import { closestName } from '../util/suggest.js';
import type { Bindings, Context } from './context.js';
import type { ElaborationDiagnostics } from './diagnostics.js';
import type { ExpressionEvaluator } from './expressions.js';
import type { GraphBuilder } from './graph-builder.js';
import { asAttrValue, describeValue, typeName, type Value } from './values.js';

/**
 * The network value parameters an input's shape names (`H`, `W` of `input: [1, 3, H, W]`), in order of first use:
 * its size variables.
 */
export function sizeVariablesOf(input: Param): Param[] {
    const found: Param[] = [];
    if (!input.shape) return found;
    for (const node of AstUtils.streamAst(input.shape)) {
        if (!isCall(node)) continue;
        const target = node.target?.ref;
        if (isParam(target) && !target.shape && isNetwork(target.$container) && target !== input && !found.includes(target)) found.push(target);
    }
    return found;
}

const VALUE_TYPES = ['int', 'float', 'bool', 'string', 'tuple', 'any', 'tensor'];

/** The value arguments a block instance was elaborated with (tensors left out), by parameter name. */
export function blockArguments(block: Block, bindings: Bindings): Record<string, AttrValue> {
    const args: Record<string, AttrValue> = {};
    for (const param of block.params) {
        const value = bindings.get(param);
        const attr = value === undefined ? undefined : asAttrValue(value);
        if (param.name && attr !== undefined) args[param.name] = attr;
    }
    return args;
}

export class ParameterBinder {
    constructor(
        private readonly network: Network,
        private readonly builder: GraphBuilder,
        private readonly diagnostics: ElaborationDiagnostics,
        private readonly expressions: ExpressionEvaluator,
        /** Values given instead of defaults, by parameter name (see ElaborationOptions.arguments). */
        private readonly overrides: ReadonlyMap<string, number> = new Map(),
    ) {}

    /**
     * Network inputs become the graph's input tensors; value parameters take their defaults. An input's shape may
     * name value parameters declared after it (its size variables: `input: [1, 3, H, W], H: int = 224`); those
     * are bound just before the shape is read.
     */
    bindNetworkParams(ctx: Context): void {
        const done = new Set<Param>();
        for (const param of this.network.params) {
            if (!param.name || done.has(param)) continue;
            done.add(param);
            if (param.shape) {
                for (const variable of sizeVariablesOf(param)) {
                    if (done.has(variable)) continue;
                    done.add(variable);
                    const reported = this.diagnostics.list.length;
                    this.bindNetworkValue(variable, ctx, param);
                    // Its default read something not bound yet (the input it sizes) and said nothing: say it here.
                    if (!ctx.bindings.has(variable) && this.diagnostics.list.length === reported) {
                        this.diagnostics.error(`size variable '${variable.name}' of input '${param.name}' needs a default that does not use the input it sizes: ${variable.name}: int = 224`, variable.default ?? variable, ctx);
                    }
                }
                const shape = this.evaluateShape(param.shape, ctx);
                if (!shape) continue;
                const id = this.builder.addTensor(shape, undefined, param.name);
                this.builder.inputs.push({ name: param.name, tensor: id });
                this.builder.tensorOfDecl.set(param, [id]);
                ctx.bindings.set(param, { kind: 'tensor', id });
            } else {
                this.bindNetworkValue(param, ctx);
            }
        }
    }

    /** A network value parameter: its default (or the value given for it); `sizes` is the input it sizes, if any. */
    private bindNetworkValue(param: Param, ctx: Context, sizes?: Param): void {
        const given = this.overrides.get(param.name);
        if (!param.default) {
            this.diagnostics.error(param.type === 'tensor' || !param.type
                ? sizes ? `size variable '${param.name}' of input '${sizes.name}' needs a default to elaborate at: ${param.name}: int = 224`
                    : `network input '${param.name}' needs a shape: ${param.name}: [1, 3, 224, 224]`
                : `${sizes ? `size variable '${param.name}' of input '${sizes.name}'` : `network parameter '${param.name}'`} needs a default value: ${param.name}: ${param.type} = …`, param, ctx, { property: 'name' });
            return;
        }
        const value = given ?? this.expressions.evaluate(param.default, ctx);
        if (value === undefined || !this.checkParamType(param, value, ctx)) return;
        if (sizes && !(typeof value === 'number' && Number.isInteger(value) && value >= 1)) {
            this.diagnostics.error(`size variable '${param.name}' of input '${sizes.name}' must be a whole number ≥ 1, not ${describeValue(value)}`, param.default, ctx);
            return;
        }
        ctx.bindings.set(param, value);
    }

    private evaluateShape(list: ListExpr, ctx: Context): number[] | undefined {
        const dims = this.expressions.evaluateValueList(list, ctx);
        if (!dims) return undefined;
        if (dims.length === 0 || !dims.every(d => typeof d === 'number' && Number.isInteger(d) && d >= 1)) {
            return this.diagnostics.error(`an input shape is a list of whole numbers ≥ 1, like [1, 3, 224, 224]; got [${dims.map(d => describeValue(d)).join(', ')}]`, list, ctx);
        }
        const issue = checkRepresentable(dims as number[], 'the input shape');
        if (issue) return this.diagnostics.error(issue.message, list, ctx, { code: issue.code });
        return dims as number[];
    }

    /**
     * Binds a block call's arguments (positional, then named, then defaults evaluated in the block's scope) to its
     * parameters in `inner`; false when any is missing, unknown, given twice or of the wrong type (each reported).
     */
    bindBlockArguments(block: Block, args: readonly (CallArgument & { value: Value })[], call: Call, outer: Context, inner: Context): boolean {
        const given = new Map<Param, Value>();
        let ok = true;
        const positional = args.filter(a => !a.name);
        positional.forEach((arg, i) => {
            const param = block.params[i];
            if (!param) {
                ok = this.diagnostics.error(`block ${block.name} takes ${block.params.length} argument${block.params.length === 1 ? '' : 's'} (${block.params.map(p => p.name).join(', ') || 'none'}), got ${positional.length}`, call.arguments[arg.index], outer) ?? false;
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
                ok = this.diagnostics.error(`block ${block.name} has no parameter '${arg.name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`, call.arguments[arg.index], outer, { property: 'name' }) ?? false;
            } else if (given.has(param)) {
                ok = this.diagnostics.error(`'${arg.name}' is given twice`, call.arguments[arg.index], outer, { property: 'name' }) ?? false;
            } else {
                given.set(param, arg.value);
            }
        }
        for (const param of block.params) {
            let value = given.get(param);
            if (value === undefined) {
                if (!param.default) {
                    if (!meant.has(param.name)) ok = this.diagnostics.error(`block ${block.name} needs '${param.name}'${param.type ? ` (${param.type})` : ''}`, call, outer, { property: 'target' }) ?? false;
                    continue;
                }
                value = this.expressions.evaluate(param.default, inner);
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
        if (!fits) this.diagnostics.error(`'${param.name}' is declared ${type} but got ${describeValue(value)}`, where, ctx);
        return fits;
    }
}
