/** What an expression evaluates to while a network is elaborated. */
import type { AttrValue } from '../ops/types.js';
import { displayText } from '../util/quote.js';

/** A tensor of the graph being built, by id. */
export interface TensorValue {
    readonly kind: 'tensor';
    readonly id: number;
}

/** Numbers, booleans and strings are plain; tuples and value lists are arrays. */
export type Value = number | boolean | string | TensorValue | readonly Value[];

export function isTensor(value: Value | undefined): value is TensorValue {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as TensorValue).kind === 'tensor';
}

export function isTuple(value: Value | undefined): value is readonly Value[] {
    return Array.isArray(value);
}

/** A value an op attribute can hold (no tensors anywhere inside). */
export function asAttrValue(value: Value): AttrValue | undefined {
    if (isTensor(value)) return undefined;
    if (Array.isArray(value)) {
        const items = value.map(asAttrValue);
        return items.every(i => i !== undefined) ? (items as AttrValue[]) : undefined;
    }
    return value as AttrValue;
}

export function describeValue(value: Value): string {
    if (isTensor(value)) return 'a tensor';
    if (Array.isArray(value)) return value.every(isTensor) ? `${value.length} tensors` : 'a tuple';
    if (typeof value === 'number') return Number.isInteger(value) ? `the number ${value}` : `the number ${value}`;
    if (typeof value === 'boolean') return `the boolean ${value}`;
    return `the string "${displayText(value as string)}"`;
}

export function typeName(value: Value): string {
    if (isTensor(value)) return 'tensor';
    if (Array.isArray(value)) return 'tuple';
    if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
    if (typeof value === 'boolean') return 'bool';
    return 'string';
}
