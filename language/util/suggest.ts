/** "Did you mean …?" for a misspelt name: the closest candidate within a small edit distance. */
export function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return prev[b.length];
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
