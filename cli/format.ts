/** Number and table formatting for terminal output. */
export function withCommas(n: number): string {
    return Math.round(n).toLocaleString('en-US');
}

/** 1.81 G, 118.0 M, 9.4 k. */
export function humanCount(n: number): string {
    const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (const [scale, unit] of units) if (Math.abs(n) >= scale) return `${(n / scale).toFixed(2)} ${unit}`;
    return String(n);
}

export function table(headers: string[], rows: string[][], rightAligned: boolean[]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [rule, line(headers), rule, ...rows.map(line), rule].join('\n');
}
