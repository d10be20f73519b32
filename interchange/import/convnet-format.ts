/**
 * How the importer spells the language's values and calls — `3`, `(3, 1)`, `"tanh"`, `conv(64, kernel: 3)` — and
 * lays out chains (`x -> conv(…) -> relu`) and lists within a line width.
 */
import { findOp } from '../../language/ops/registry.js';
import type { AttrValue, OpSpec } from '../../language/ops/types.js';
import { convnetText } from './convnet-text.js';

/** The widest line the text is laid out in (a longer chain or list goes on over several lines). */
const MAX_LINE = 110;

/** An attribute value as the language writes it: `3`, `(3, 1)`, `((0, 1), (0, 1))`, `"same"`, `true`. */
export function formatAttr(value: AttrValue): string {
    if (typeof value === 'number') {
        // The recognizer refuses a NaN or infinite attribute naming its node; one here is the importer's own mistake.
        if (!Number.isFinite(value)) throw new Error(`importer: the attribute value ${value} is not a number the language can say`);
        // JavaScript's shortest form fits the language's numbers (`0.001`, `1e-7`, `1e+21`).
        return String(value);
    }
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'string') return convnetText(value, 'string');
    const items = value.map(formatAttr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/**
 * How many attributes the text gives by position: every position the spec allows, except that a kernel after the
 * channels is named (`conv(64, kernel: 3)`), as the examples write convolutions.
 */
function positionalCount(spec: OpSpec): number {
    return spec.positional >= 2 && spec.attrs[1]?.name === 'kernel' ? 1 : spec.positional;
}

/** `conv(64, kernel: 3, stride: 2)`: the spec's positional attributes by position while they are given in order. */
export function formatCall(op: string, attrs: Record<string, AttrValue>, tensors: readonly string[] = []): string {
    const spec = findOp(op)!;
    const args = [...tensors];
    let positional = true;
    spec.attrs.forEach((a, i) => {
        if (!(a.name in attrs)) {
            positional = false;
            return;
        }
        let value = attrs[a.name];
        if (a.type === 'intList' && Array.isArray(value) && value.length === 1) value = value[0] as number;
        // Numbers go by position; a string or a flag reads better named (`gelu(approximate: "tanh")`).
        if (positional && i < positionalCount(spec) && typeof value !== 'string' && typeof value !== 'boolean') args.push(formatAttr(value));
        else {
            positional = false;
            args.push(`${a.name}: ${formatAttr(value)}`);
        }
    });
    return args.length ? `${op}(${args.join(', ')})` : op;
}

/** `head -> a -> b` on one line when it fits with one heavy step at most; else a heavy step (conv, linear, a list, a block) starts a line. */
export function formatChain(head: string, steps: readonly { text: string; light: boolean }[], indent: string): string {
    const oneLine = [head, ...steps.map(s => s.text)].join(' -> ');
    if (!oneLine.includes('\n') && oneLine.length - oneLine.lastIndexOf('\n') <= MAX_LINE && steps.filter(s => !s.light).length <= 1) return oneLine;
    let text = head;
    let line = head.length - head.lastIndexOf('\n') - 1;
    for (const [i, step] of steps.entries()) {
        const multiline = step.text.includes('\n');
        const fits = line + 4 + step.text.length <= MAX_LINE;
        if (!multiline && fits && (step.light || (i === 0 && steps.length === 1))) {
            text += ` -> ${step.text}`;
            line += 4 + step.text.length;
        } else {
            text += `\n${indent}  -> ${step.text}`;
            line = multiline ? step.text.length - step.text.lastIndexOf('\n') - 1 : indent.length + 5 + step.text.length;
        }
    }
    return text;
}

/** An item of a list: its text, whether it may share a line (a layer without weights), and a comment for its line. */
export interface ListItem {
    readonly text: string;
    readonly light: boolean;
    readonly comment?: string;
}

/** A list on one line when short, else one heavy item per line with the light ones after it. */
export function listText(items: readonly ListItem[], indent: string): string {
    const oneLine = `[${items.map(i => i.text).join(', ')}]`;
    if (!oneLine.includes('\n') && !items.some(i => i.comment) && indent.length + oneLine.length <= MAX_LINE - 10) return oneLine;
    const inner = `${indent}  `;
    const lines: string[] = [];
    let open = false; // the last line can take more light items
    for (const item of items) {
        const last = lines.length - 1;
        if (item.light && open && !item.comment && !item.text.includes('\n') && lines[last].length + item.text.length + 2 <= MAX_LINE) {
            lines[last] += ` ${item.text},`;
            continue;
        }
        lines.push(`${inner}${item.text},${item.comment ? `  # ${convnetText(item.comment, 'comment')}` : ''}`);
        open = !item.comment && !item.text.includes('\n');
    }
    return `[\n${lines.join('\n')}\n${indent}]`;
}

