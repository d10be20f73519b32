/**
 * A network summary as a table for papers and reviews: Markdown, CSV or LaTeX (booktabs). The CLI's
 * `summary --format` and the editor's "Copy as …" buttons both print through here.
 */
import type { NetworkSummary } from '../analysis/summary.js';
import { withCommas } from '../util/format.js';

export type TableFormat = 'markdown' | 'csv' | 'latex';

const HEADERS = ['Layer', 'Op', 'Output shape', 'Params', 'MACs', 'Memory (bytes)'];

function rows(s: NetworkSummary): string[][] {
    return s.layers.map(l => [l.name, l.op, l.output.join('×'), String(l.params), String(l.macs), String(l.memory)]);
}

function totals(s: NetworkSummary): string[] {
    return ['Total', '', s.outputs.map(o => o.shape.join('×')).join(', '), String(s.params), String(s.macs), String(s.memory)];
}

function csvCell(value: string): string {
    return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function latexCell(value: string): string {
    return value.replace(/([\\&%$#_{}])/g, '\\$1').replace(/×/g, '$\\times$').replace(/~/g, '\\textasciitilde{}').replace(/\^/g, '\\textasciicircum{}');
}

const NUMERIC = [false, false, false, true, true, true];

export function renderSummaryTable(s: NetworkSummary, format: TableFormat): string {
    const body = rows(s);
    const total = totals(s);
    if (format === 'csv') return [HEADERS, ...body, total].map(r => r.map(csvCell).join(',')).join('\n');
    const pretty = (r: string[]) => r.map((v, i) => (NUMERIC[i] && v !== '' ? withCommas(Number(v)) : v));
    if (format === 'markdown') {
        return [
            `| ${HEADERS.join(' | ')} |`,
            `|${NUMERIC.map(n => (n ? '---:' : '---')).join('|')}|`,
            ...body.map(r => `| ${pretty(r).join(' | ')} |`),
            `| **${total[0]}** | | ${total[2]} | **${withCommas(s.params)}** | **${withCommas(s.macs)}** | **${withCommas(s.memory)}** |`,
            '',
            `${s.conventions.macs} Params exclude ${withCommas(s.buffers)} buffer values (BN running statistics).`,
        ].join('\n');
    }
    return [
        '\\begin{tabular}{lllrrr}',
        '\\toprule',
        `${HEADERS.map(latexCell).join(' & ')} \\\\`,
        '\\midrule',
        ...body.map(r => `${pretty(r).map(latexCell).join(' & ')} \\\\`),
        '\\midrule',
        `${pretty(total).map(latexCell).join(' & ')} \\\\`,
        '\\bottomrule',
        '\\end{tabular}',
        `% ${s.name}: ${s.conventions.macs}`,
    ].join('\n');
}
