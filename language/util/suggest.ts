/** "Did you mean …?" for a misspelt name: the closest candidate within a small edit distance. */
/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
    const rows = a.length + 1;
    const cols = b.length + 1;
    const d = new Array<number>(rows * cols);
    for (let i = 0; i < rows; i++) d[i * cols] = i;
    for (let j = 0; j < cols; j++) d[j] = j;
    for (let i = 1; i < rows; i++) {
        for (let j = 1; j < cols; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
            d[i * cols + j] = best;
        }
    }
    return d[rows * cols - 1];
}

export function closestName(name: string, candidates: Iterable<string>): string | undefined {
    const lower = name.toLowerCase();
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of candidates) {
        const distance = editDistance(lower, candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    const allowed = Math.max(1, Math.floor(name.length / 3));
    return best !== undefined && best !== name && bestDistance <= allowed ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
    const suggestion = closestName(name, candidates);
    return suggestion ? `; did you mean '${suggestion}'?` : '';
}
