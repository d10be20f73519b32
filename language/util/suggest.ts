/**
 * "Did you mean …?" for a misspelt name: the closest candidate within a small edit distance.
 *
 * The work per unknown name is bounded, so a file of 10,000 unknown names is checked in linear time: names longer
 * than MAX_SUGGESTED_LENGTH get no suggestion (a misspelling of such a name is not what a suggestion is for), only
 * the first MAX_CANDIDATES candidates are read (scopes list the nearest first), a candidate whose length alone puts
 * it out of reach is skipped, and the distance is computed only as far as the allowed number of edits.
 */

export const MAX_SUGGESTED_LENGTH = 64;
export const MAX_CANDIDATES = 500;

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
    return boundedEditDistance(a, b, Infinity);
}

/**
 * The distance between `a` and `b` when it is at most `bound`, else any number above `bound`: only the cells within
 * `bound` of the diagonal are computed (the others are over the bound), and it stops when a whole row is over it.
 */
export function boundedEditDistance(a: string, b: string, bound: number): number {
    if (Math.abs(a.length - b.length) > bound) return bound + 1;
    const rows = a.length + 1;
    const cols = b.length + 1;
    const over = Math.min(bound + 1, a.length + b.length + 1); // stands for every cell beyond the bound
    const d = new Array<number>(rows * cols).fill(over);
    for (let i = 0; i < rows && i <= bound; i++) d[i * cols] = i;
    for (let j = 0; j < cols && j <= bound; j++) d[j] = j;
    for (let i = 1; i < rows; i++) {
        let rowMin = d[i * cols]; // column 0: i deletions
        const from = Math.max(1, i - bound);
        const to = Math.min(cols - 1, i + bound);
        for (let j = from; j <= to; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
            d[i * cols + j] = Math.min(best, over);
            rowMin = Math.min(rowMin, d[i * cols + j]);
        }
        if (rowMin > bound) return over;
    }
    return d[rows * cols - 1];
}

export function closestName(name: string, candidates: Iterable<string>): string | undefined {
    if (name.length > MAX_SUGGESTED_LENGTH) return undefined;
    const lower = name.toLowerCase();
    const allowed = Math.max(1, Math.floor(name.length / 3));
    let best: string | undefined;
    let bestDistance = allowed + 1;
    let read = 0;
    for (const candidate of candidates) {
        if (++read > MAX_CANDIDATES) break;
        // The name itself, in scope after all, wins unless a spelling in other case came first (as a distance of 0).
        if (candidate === name) {
            if (bestDistance > 0) return undefined;
            continue;
        }
        const other = candidate.toLowerCase();
        if (Math.abs(other.length - lower.length) >= bestDistance) continue; // too long or short to come closer
        const distance = boundedEditDistance(lower, other, bestDistance - 1);
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
    const suggestion = closestName(name, candidates);
    return suggestion ? `; did you mean '${suggestion}'?` : '';
}
