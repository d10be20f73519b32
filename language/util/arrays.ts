/**
 * Array helpers that stay safe at network size. `Math.max(...values)` and `target.push(...items)` pass every
 * item as an argument on the stack, and a network of 150,000 layers overflows it ("Maximum call stack size
 * exceeded"); these loop instead.
 */

/** The largest of `values`, or `empty` when there are none (Math.max() gives -Infinity). */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
    let max = -Infinity;
    let any = false;
    for (const value of values) {
        if (Number.isNaN(value)) return NaN; // as Math.max
        if (value > max) max = value;
        any = true;
    }
    return any ? max : empty;
}

/** The smallest of `values`, or `empty` when there are none (Math.min() gives Infinity). */
export function minOf(values: Iterable<number>, empty = Infinity): number {
    let min = Infinity;
    let any = false;
    for (const value of values) {
        if (Number.isNaN(value)) return NaN; // as Math.min
        if (value < min) min = value;
        any = true;
    }
    return any ? min : empty;
}

/** Appends `items` to `target` one by one. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
    for (const item of items) target.push(item);
    return target;
}
