/** Tables for terminal output (numbers are formatted by language/util/format.ts). */
import { maxOf } from '../language/util/arrays.js';

export function table(headers: string[], rows: string[][], rightAligned: boolean[]): string {
    const widths = headers.map((h, i) => Math.max(h.length, maxOf(rows.map(r => r[i].length))));
    const line = (cells: string[]) => cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [rule, line(headers), rule, ...rows.map(line), rule].join('\n');
}
