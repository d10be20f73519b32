/**
 * Binds the evaluated arguments of an op call to the op's attributes: positional then named, with defaults,
 * and checks each value's type, allowed choices and minimum. Every problem names the argument it is about.
 */
import type { AttrSpec, AttrValue, OpSpec } from './types.js';
import { formatValue } from './shape-utils.js';
import { closestName, didYouMean } from '../util/suggest.js';
import { appendAll } from '../util/arrays.js';

export interface CallArgument {
    /** Position among the call's arguments (tensor inputs included), to locate the argument in the source. */
    readonly index: number;
    readonly name?: string;
    readonly value: AttrValue;
}

export interface BindingIssue {
    readonly message: string;
    /** The argument at fault; absent when the problem is the call as a whole (a missing argument). */
    readonly argIndex?: number;
}

export interface Binding {
    readonly attrs: Record<string, AttrValue>;
    /** Which call argument gave each attribute, so later shape issues can point at it. */
    readonly sources: Record<string, number>;
    readonly issues: BindingIssue[];
}

export function findAttr(spec: OpSpec, name: string): AttrSpec | undefined {
    return spec.attrs.find(a => a.name === name || a.aliases?.includes(name));
}

export function bindAttributes(spec: OpSpec, positional: readonly CallArgument[], named: readonly CallArgument[]): Binding {
    const attrs: Record<string, AttrValue> = {};
    const sources: Record<string, number> = {};
    const issues: BindingIssue[] = [];
    positional.forEach((arg, i) => {
        if (i >= spec.positional) {
            const names = spec.attrs.slice(spec.positional).map(a => a.name).join(', ');
            issues.push({ argIndex: arg.index, message: `${spec.name} takes ${spec.positional === 0 ? 'no' : `at most ${spec.positional}`} positional argument${spec.positional === 1 ? '' : 's'}${names ? `; name the others (${names})` : ''}` });
            return;
        }
        const attr = spec.attrs[i];
        attrs[attr.name] = arg.value;
        sources[attr.name] = arg.index;
    });
    // An attribute a misspelt argument was meant for is not reported missing as well.
    const meant = new Set<string>();
    for (const arg of named) {
        const attr = findAttr(spec, arg.name!);
        if (!attr) {
            const known = spec.attrs.flatMap(a => [a.name, ...(a.aliases ?? [])]);
            const suggestion = closestName(arg.name!, known);
            if (suggestion) meant.add(findAttr(spec, suggestion)!.name);
            issues.push({ argIndex: arg.index, message: `${spec.name} has no argument '${arg.name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}${known.length ? ` (it takes ${spec.attrs.map(a => a.name).join(', ')})` : ' (it takes none)'}` });
            continue;
        }
        if (attr.name in attrs) {
            issues.push({ argIndex: arg.index, message: `${spec.name}: '${attr.name}' is given twice` });
            continue;
        }
        attrs[attr.name] = arg.value;
        sources[attr.name] = arg.index;
    }
    for (const attr of spec.attrs) {
        if (attr.name in attrs) {
            const problem = checkValue(attr, attrs[attr.name]);
            if (problem) {
                issues.push({ argIndex: sources[attr.name], message: `${spec.name}: ${attr.name} ${problem}` });
                delete attrs[attr.name];
            } else if (attr.type === 'intList' && typeof attrs[attr.name] === 'number') {
                // A list given as one number (`layernorm(10)`, `spp(4)`) is the list of that number, as in PyTorch.
                attrs[attr.name] = [attrs[attr.name]];
            }
        } else if (attr.default !== undefined) {
            attrs[attr.name] = attr.default;
        } else if (!attr.optional && !meant.has(attr.name)) {
            issues.push({ message: `${spec.name} needs '${attr.name}' (${attr.doc})` });
        }
    }
    return { attrs, sources, issues };
}

const isInt = (v: AttrValue): v is number => typeof v === 'number' && Number.isInteger(v);

/** Returns what is wrong with a value for an attribute, or undefined when it fits. */
export function checkValue(attr: AttrSpec, value: AttrValue): string | undefined {
    const numbers: number[] = [];
    const shown = formatValue(value);
    switch (attr.type) {
        case 'int':
            if (!isInt(value)) return `must be a whole number, got ${shown}`;
            numbers.push(value);
            break;
        case 'float':
            if (typeof value !== 'number') return `must be a number, got ${shown}`;
            numbers.push(value);
            break;
        case 'floats':
            if (typeof value === 'number') numbers.push(value);
            else if (Array.isArray(value) && value.length > 0 && value.every(v => typeof v === 'number')) appendAll(numbers, value as number[]);
            else return `must be a number or a tuple of numbers, got ${shown}`;
            break;
        case 'bool':
            if (typeof value !== 'boolean') return `must be true or false, got ${shown}`;
            break;
        case 'string':
            if (typeof value !== 'string') return `must be a string${attr.choices ? ` (${attr.choices.map(c => `"${c}"`).join(', ')})` : ''}, got ${shown}`;
            if (attr.choices && !attr.choices.includes(value)) return `must be one of ${attr.choices.map(c => `"${c}"`).join(', ')}, got ${shown}${didYouMean(value, attr.choices)}`;
            break;
        case 'ints':
        case 'intList':
            if (isInt(value)) numbers.push(value);
            else if (Array.isArray(value) && value.length > 0 && value.every(isInt)) appendAll(numbers, value as number[]);
            else return `must be a whole number or a tuple of whole numbers, got ${shown}`;
            break;
        case 'padding':
            if (value === 'same' || value === 'valid') break;
            if (typeof value === 'string') return `must be a number, a tuple, "same" or "valid", got ${shown}`;
            if (!collectInts(value, numbers)) return `must be whole numbers (or "same"/"valid"), got ${shown}`;
            break;
    }
    if (attr.min !== undefined) {
        const low = numbers.find(n => n < attr.min!);
        if (low !== undefined) return `must be ≥ ${attr.min}, got ${shown}`;
    }
    if (numbers.some(n => !Number.isSafeInteger(Math.round(n)) && Math.abs(n) > Number.MAX_SAFE_INTEGER)) {
        return `${shown} is too large to represent exactly`;
    }
    return undefined;
}

function collectInts(value: AttrValue, into: number[]): boolean {
    if (isInt(value)) {
        into.push(value);
        return true;
    }
    return Array.isArray(value) && value.length > 0 && value.every(v => collectInts(v, into));
}
