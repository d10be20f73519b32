/**
 * The free ranges of an arena, for a planner that replays a run: `take` finds the best fit (the smallest free
 * range that holds the size, the lowest such), `release` gives a range back merged with its free neighbours.
 * Ranges are ordered by (size, offset) in a treap, so each call is O(log F) for F free ranges; the neighbours
 * are found by their exact start and end in two maps. Offsets and sizes are in elements.
 */
interface RangeNode {
    readonly size: number;
    readonly offset: number;
    /** Heap order of the treap: pseudo-random, from a fixed seed, so plans are reproducible. */
    readonly priority: number;
    left?: RangeNode;
    right?: RangeNode;
}

/** (size, offset) order: best fit first, then the lowest offset. */
function before(a: { size: number; offset: number }, b: { size: number; offset: number }): boolean {
    return a.size < b.size || (a.size === b.size && a.offset < b.offset);
}

export class FreeRanges {
    private root: RangeNode | undefined;
    private readonly sizeAt = new Map<number, number>();
    private readonly startEndingAt = new Map<number, number>();
    private seed = 0x9e3779b9;

    /** The offset of the best-fitting free range for `size`, now taken; undefined when none is large enough. */
    take(size: number): number | undefined {
        const fit = this.smallestAtLeast(size);
        if (!fit) return undefined;
        this.remove(fit.offset);
        // The rest of the range stays free; its neighbours are not free (ranges are always merged), so no merge.
        if (fit.size > size) this.insert(fit.offset + size, fit.size - size);
        return fit.offset;
    }

    /** Frees [offset, offset + size), merged with the free ranges that touch it. */
    release(offset: number, size: number): void {
        const previous = this.startEndingAt.get(offset);
        if (previous !== undefined) {
            size += this.sizeAt.get(previous)!;
            offset = previous;
            this.remove(previous);
        }
        const nextSize = this.sizeAt.get(offset + size);
        if (nextSize !== undefined) {
            this.remove(offset + size);
            size += nextSize;
        }
        this.insert(offset, size);
    }

    /** The start of the free range that ends at `end`, now taken (to grow the arena from its top). */
    takeEndingAt(end: number): number | undefined {
        const start = this.startEndingAt.get(end);
        if (start !== undefined) this.remove(start);
        return start;
    }

    private insert(offset: number, size: number): void {
        this.sizeAt.set(offset, size);
        this.startEndingAt.set(offset + size, offset);
        this.seed ^= this.seed << 13;
        this.seed ^= this.seed >>> 17;
        this.seed ^= this.seed << 5;
        const node: RangeNode = { size, offset, priority: this.seed >>> 0 };
        const [left, right] = split(this.root, node);
        this.root = merge(merge(left, node), right);
    }

    private remove(offset: number): void {
        const size = this.sizeAt.get(offset)!;
        this.sizeAt.delete(offset);
        this.startEndingAt.delete(offset + size);
        this.root = removeKey(this.root, { size, offset });
    }

    private smallestAtLeast(size: number): RangeNode | undefined {
        let best: RangeNode | undefined;
        for (let node = this.root; node;) {
            if (node.size >= size) {
                best = node;
                node = node.left;
            } else {
                node = node.right;
            }
        }
        return best;
    }
}

/** Nodes ordered before `key`, and the rest. */
function split(node: RangeNode | undefined, key: { size: number; offset: number }): [RangeNode | undefined, RangeNode | undefined] {
    if (!node) return [undefined, undefined];
    if (before(node, key)) {
        const [left, right] = split(node.right, key);
        node.right = left;
        return [node, right];
    }
    const [left, right] = split(node.left, key);
    node.left = right;
    return [left, node];
}

/** Joins two treaps whose every key of `a` comes before every key of `b`. */
function merge(a: RangeNode | undefined, b: RangeNode | undefined): RangeNode | undefined {
    if (!a) return b;
    if (!b) return a;
    if (a.priority > b.priority) {
        a.right = merge(a.right, b);
        return a;
    }
    b.left = merge(a, b.left);
    return b;
}

function removeKey(node: RangeNode | undefined, key: { size: number; offset: number }): RangeNode | undefined {
    if (!node) return undefined;
    if (node.size === key.size && node.offset === key.offset) return merge(node.left, node.right);
    if (before(key, node)) node.left = removeKey(node.left, key);
    else node.right = removeKey(node.right, key);
    return node;
}
