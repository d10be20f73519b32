/**
 * Built-in functions usable in expressions (`range(n)`, `make_divisible(v, 8)`). Each takes evaluated values
 * and returns a value or a message saying what is wrong with its arguments.
 */
import type { Value } from './values.js';
import { maxOf, minOf } from '../util/arrays.js';

export type BuiltinResult = { value: Value } | { error: string };

/** Most items a `range` may produce; a loop over more is almost certainly a mistake. */
export const MAX_RANGE = 100_000;

const isInt = (v: Value | undefined): v is number => typeof v === 'number' && Number.isInteger(v);
const isNumber = (v: Value | undefined): v is number => typeof v === 'number';

export const BUILTIN_FUNCTIONS: Record<string, { signature: string; doc: string; call: (args: readonly Value[]) => BuiltinResult }> = {
    range: {
        signature: 'range(stop) / range(start, stop[, step])',
        doc: 'Whole numbers from start (0) up to stop − 1, as in Python.',
        call: args => {
            if (args.length < 1 || args.length > 3 || !args.every(isInt)) return { error: 'range takes 1 to 3 whole numbers' };
            const [start, stop, step] = args.length === 1 ? [0, args[0] as number, 1] : [args[0] as number, args[1] as number, (args[2] as number | undefined) ?? 1];
            if (step === 0) return { error: 'range step must not be 0' };
            const count = Math.max(0, Math.ceil((stop - start) / step));
            if (count > MAX_RANGE) return { error: `range(${args.join(', ')}) has ${count} items; the limit is ${MAX_RANGE}` };
            return { value: Array.from({ length: count }, (_, i) => start + i * step) };
        },
    },
    len: {
        signature: 'len(tuple)',
        doc: 'Number of items of a tuple or list.',
        call: args => (args.length === 1 && Array.isArray(args[0]) ? { value: args[0].length } : { error: 'len takes one tuple or list' }),
    },
    min: {
        signature: 'min(a, b, …)',
        doc: 'Smallest of its numbers.',
        call: args => (args.length > 0 && args.every(isNumber) ? { value: minOf(args as number[]) } : { error: 'min takes numbers' }),
    },
    max: {
        signature: 'max(a, b, …)',
        doc: 'Largest of its numbers.',
        call: args => (args.length > 0 && args.every(isNumber) ? { value: maxOf(args as number[]) } : { error: 'max takes numbers' }),
    },
    int: {
        signature: 'int(x)',
        doc: 'Truncates a number towards zero, as Python\'s int().',
        call: args => (args.length === 1 && isNumber(args[0]) ? { value: Math.trunc(args[0]) } : { error: 'int takes one number' }),
    },
    round: {
        signature: 'round(x)',
        doc: 'Rounds to the nearest whole number (halves to even, as Python).',
        call: args => {
            if (args.length !== 1 || !isNumber(args[0])) return { error: 'round takes one number' };
            const x = args[0];
            const r = Math.round(x);
            return { value: Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r };
        },
    },
    make_divisible: {
        signature: 'make_divisible(v, divisor = 8)',
        doc: 'Rounds channels to a multiple of divisor without going below 90% of v (torchvision\'s _make_divisible, used by MobileNet width multipliers).',
        call: args => {
            if (args.length < 1 || args.length > 2 || !args.every(isNumber)) return { error: 'make_divisible takes a number and an optional divisor' };
            const v = args[0] as number;
            const divisor = (args[1] as number | undefined) ?? 8;
            let value = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
            if (value < 0.9 * v) value += divisor;
            return { value };
        },
    },
};
