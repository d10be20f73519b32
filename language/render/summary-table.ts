/**
 * A network summary as a table for papers and reviews: Markdown, CSV or LaTeX (booktabs). The CLI's
 * `summary --format` and the editor's "Copy as …" buttons both print through here; the editor's copy carries the
 * figures its Summary view shows (a convention's count, bytes at a precision).
 */
import type { NetworkSummary } from '../analysis/summary.js';
import type { SummaryFigures } from '../analysis/summary.js';
import { withCommas } from '../util/format.js';

export type TableFormat = 'markdown' | 'csv' | 'latex';

/** The Summary view's choice of figures (the convention's counts, bytes at a precision). */
type TableFigures = Pick<SummaryFigures, 'convention' | 'precision'>;

interface Column {
    readonly title: string;
    readonly numeric: boolean;
    /** Layer i's cell. */
    readonly cell: (i: number) => string;
    /** The totals row's cell. */
    readonly total: string;
}

function columns(s: NetworkSummary, figures?: TableFigures): Column[] {
    const layers = s.layers;
    const text = (c: Omit<Column, 'numeric'>): Column => ({ ...c, numeric: false });
    const number = (title: string, value: (i: number) => number, total: number): Column => ({ title, numeric: true, cell: i => String(value(i)), total: String(total) });
    const base = [
        text({ title: 'Layer', cell: i => layers[i].name, total: 'Total' }),
        text({ title: 'Op', cell: i => layers[i].op, total: '' }),
        text({ title: 'Output shape', cell: i => layers[i].output.join('×'), total: s.outputs.map(o => o.shape.join('×')).join(', ') }),
        number('Params', i => layers[i].params, s.params),
    ];
    if (!figures) return [...base, number('MACs', i => layers[i].macs, s.macs), number('Memory (bytes)', i => layers[i].memory, s.memory)];
    const { convention: c, precision: p } = figures;
    return [
        ...base,
        number(c.label, i => c.layers[i].count, c.total),
        number(`Memory (${p.precision} bytes)`, i => p.layers[i].activationBytes, p.activationBytes),
        number(`Traffic (${p.precision} bytes)`, i => p.layers[i].trafficBytes, p.trafficBytes),
        ...(p.bops !== undefined ? [number('BOPs', i => p.layers[i].bops ?? 0, p.bops)] : []),
    ];
}

function csvCell(value: string): string {
    return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function latexCell(value: string): string {
    return value.replace(/([\\&%$#_{}])/g, '\\$1').replace(/×/g, '$\\times$').replace(/~/g, '\\textasciitilde{}').replace(/\^/g, '\\textasciicircum{}');
}

export function renderSummaryTable(s: NetworkSummary, format: TableFormat, figures?: TableFigures): string {
    const cols = columns(s, figures);
    const headers = cols.map(c => c.title);
    const body = s.layers.map((_, i) => cols.map(c => c.cell(i)));
    const total = cols.map(c => c.total);
    const note = figures ? `${figures.convention.convention} convention: ${figures.convention.rule}. Bytes at ${figures.precision.precision}.` : s.conventions.macs;
    if (format === 'csv') return [headers, ...body, total].map(r => r.map(csvCell).join(',')).join('\n');
    const pretty = (r: string[]) => r.map((v, i) => (cols[i].numeric && v !== '' ? withCommas(Number(v)) : v));
    if (format === 'markdown') {
        return [
            `| ${headers.join(' | ')} |`,
            `|${cols.map(c => (c.numeric ? '---:' : '---')).join('|')}|`,
            ...body.map(r => `| ${pretty(r).join(' | ')} |`),
            `| ${pretty(total).map((v, i) => (v === '' || i === 2 ? v : `**${v}**`)).join(' | ').replace(/ {2}/g, ' ')} |`,
            '',
            `${note} Params exclude ${withCommas(s.buffers)} buffer values (BN running statistics).`,
        ].join('\n');
    }
    return [
        `\\begin{tabular}{${cols.map(c => (c.numeric ? 'r' : 'l')).join('')}}`,
        '\\toprule',
        `${headers.map(latexCell).join(' & ')} \\\\`,
        '\\midrule',
        ...body.map(r => `${pretty(r).map(latexCell).join(' & ')} \\\\`),
        '\\midrule',
        `${pretty(total).map(latexCell).join(' & ')} \\\\`,
        '\\bottomrule',
        '\\end{tabular}',
        `% ${s.name}: ${note}`,
    ].join('\n');
}
