/**
 * A diff of two networks (language/analysis/diff.ts) as text: a terminal table or Markdown. Layers that are the same
 * are counted, not listed; a block found on one side only is one row (`+ layer1.2  BasicBlock  7 layers`).
 */
import type { AttrValue } from '../ops/types.js';
import type { DiffLayer, DiffModule, NetworkDiff, TotalKey } from '../analysis/diff.js';
import { formatBytes, withCommas } from '../util/format.js';

export type DiffFormat = 'text' | 'markdown';

const HEADERS = ['', 'Layer', 'Op', 'Output shape', 'Δ Params', 'Δ MACs', 'Δ Memory', 'What changed'];
const NUMERIC = [false, false, false, false, true, true, true, false];

const shape = (s: readonly number[]) => s.join('×');

/** +1,234 / -1,234 / 0 */
export function signed(n: number): string {
    return n > 0 ? `+${withCommas(n)}` : n < 0 ? `-${withCommas(-n)}` : '0';
}

function signedBytes(n: number): string {
    return n === 0 ? '0' : `${n > 0 ? '+' : '-'}${formatBytes(Math.abs(n))}`;
}

export function formatAttr(value: AttrValue | undefined): string {
    if (value === undefined) return '(none)';
    if (Array.isArray(value)) return `(${value.map(v => formatAttr(v)).join(', ')})`;
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** What differs in a changed row, in words: `channels 64 → 48; receptive field 35 → 43`. */
export function describeChanges(row: DiffLayer): string {
    if (row.status === 'added' || row.status === 'removed') return row.status;
    const { before, after } = row;
    if (!before || !after) return '';
    const parts: string[] = [];
    if (row.changes.includes('name')) parts.push(`renamed from ${before.name}`);
    if (row.changes.includes('op')) parts.push(`op ${before.op} → ${after.op}`);
    for (const a of row.attributes) parts.push(`${a.name} ${formatAttr(a.before)} → ${formatAttr(a.after)}`);
    if (row.changes.includes('params')) parts.push(`params ${withCommas(before.params)} → ${withCommas(after.params)}`);
    if (row.changes.includes('receptiveField')) parts.push(`receptive field ${(before.receptiveField ?? []).join('×') || '—'} → ${(after.receptiveField ?? []).join('×') || '—'}`);
    return parts.join('; ');
}

function layerRow(row: DiffLayer): string[] {
    const mark = row.status === 'added' ? '+' : row.status === 'removed' ? '-' : '~';
    const layer = row.after ?? row.before!;
    const output = row.before && row.after && row.changes.includes('output') ? `${shape(row.before.output)} → ${shape(row.after.output)}` : shape(layer.output);
    const op = row.before && row.after && row.before.op !== row.after.op ? `${row.before.op} → ${row.after.op}` : layer.op;
    return [mark, layer.name, op, output, signed(row.delta.params), signed(row.delta.macs), signedBytes(row.delta.memory), describeChanges(row)];
}

function moduleRow(m: DiffModule, diff: NetworkDiff): string[] {
    const rows = m.rows.map(r => diff.layers[r]);
    const last = rows[rows.length - 1];
    const sign = m.status === 'added' ? 1 : -1;
    const memory = rows.reduce((sum, r) => sum + r.delta.memory, 0);
    return [m.status === 'added' ? '+' : '-', m.name, m.block ?? 'list', shape((last.after ?? last.before!).output),
        signed(sign * m.params), signed(sign * m.macs), signedBytes(memory), `${m.status} (${rows.length} layer${rows.length === 1 ? '' : 's'})`];
}

/** The rows to show: every differing layer, with one row for each module found on one side only. */
function reportRows(diff: NetworkDiff, all: boolean): string[][] {
    const moduleAt = new Map<number, DiffModule>();
    const inModule = new Set<number>();
    for (const m of diff.modules) {
        moduleAt.set(m.rows[0], m);
        for (const r of m.rows) inModule.add(r);
    }
    const rows: string[][] = [];
    diff.layers.forEach((row, i) => {
        const m = moduleAt.get(i);
        if (m) rows.push(moduleRow(m, diff));
        else if (!inModule.has(i) && row.status !== 'same' && (all || !onlyReceptiveField(row))) rows.push(layerRow(row));
    });
    return rows;
}

/** A layer whose own figures are the same and whose receptive field grew or shrank with the layers before it. */
export function onlyReceptiveField(row: DiffLayer): boolean {
    return row.status === 'changed' && row.changes.length === 1 && row.changes[0] === 'receptiveField';
}

const TOTAL_LABELS: Record<TotalKey, string> = {
    params: 'Params', weights: 'Weights', biases: 'Biases', buffers: 'Buffers (BN statistics)', macs: 'MACs', flops: 'FLOPs',
    memory: 'Activations (bytes)', peakMemory: 'Peak activations (bytes)', layers: 'Layers',
};

function totalRows(diff: NetworkDiff): string[][] {
    return (Object.keys(TOTAL_LABELS) as TotalKey[]).map(k => {
        const t = diff.totals[k];
        return [TOTAL_LABELS[k], withCommas(t.before), withCommas(t.after), signed(t.delta), t.ratio === null ? '—' : `${t.ratio.toFixed(3)}×`];
    });
}

export function diffHeadline(diff: NetworkDiff, all = true): string {
    const c = diff.counts;
    if (diff.identical) return 'no differences';
    const rfOnly = all ? 0 : diff.layers.filter(onlyReceptiveField).length;
    const notes = [c.renamed ? `${c.renamed} renamed` : '', rfOnly ? `${rfOnly} only in their receptive field, not listed` : ''].filter(Boolean);
    return `${c.added} layer${c.added === 1 ? '' : 's'} added, ${c.removed} removed, ${c.changed} changed${notes.length ? ` (${notes.join('; ')})` : ''}, ${c.same} the same`;
}

function textTable(headers: string[], rows: string[][], numeric: boolean[]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [rule, line(headers), rule, ...rows.map(line), rule].join('\n');
}

function markdownTable(headers: string[], rows: string[][], numeric: boolean[]): string {
    const cell = (v: string) => v.replace(/\|/g, '\\|');
    return [
        `| ${headers.map(cell).join(' | ')} |`,
        `|${numeric.map(n => (n ? '---:' : '---')).join('|')}|`,
        ...rows.map(r => `| ${r.map(cell).join(' | ')} |`),
    ].join('\n');
}

export interface DiffRenderOptions {
    /** Also list the layers whose only change is their receptive field. */
    readonly all?: boolean;
}

export function renderDiff(diff: NetworkDiff, format: DiffFormat = 'text', options: DiffRenderOptions = {}): string {
    const title = `${diff.before.name} (${diff.before.label}) → ${diff.after.name} (${diff.after.label})`;
    const all = options.all === true;
    const headline = diffHeadline(diff, all);
    const tableOf = format === 'markdown' ? markdownTable : textTable;
    const rows = reportRows(diff, all);
    const totalsHeaders = ['Total', 'Before', 'After', 'Delta', 'Ratio'];
    const totalsNumeric = [false, true, true, true, true];
    const parts = format === 'markdown' ? [`### ${title}`, '', `${headline}.`] : [title, headline];
    if (rows.length > 0) parts.push(...(format === 'markdown' ? [''] : []), tableOf(HEADERS.map((h, i) => (i === 0 && format === 'markdown' ? ' ' : h)), rows, NUMERIC));
    if (!diff.identical) parts.push(...(format === 'markdown' ? [''] : []), tableOf(totalsHeaders, totalRows(diff), totalsNumeric));
    parts.push(...(format === 'markdown' ? [''] : []), `${diff.conventions.macs} Params exclude buffers; memory is float32 activations.`);
    return parts.join('\n');
}
