/**
 * A small model of Python expressions, enough for what the exporter writes: literals that may become constructor
 * parameters (`lit`, with a hint for the parameter's name), calls with keyword arguments left out at PyTorch's
 * defaults, operators, lists, OrderedDicts and slices. Rendering asks a `SlotResolver` how each literal is written,
 * so one expression serves every instance of a block class.
 */
import { pythonString } from '../python-text.js';

export type PyLit = number | boolean | string | null | readonly PyLit[];

export type Py =
    | { readonly k: 'lit'; readonly v: PyLit; hint: string; id?: number }
    | { readonly k: 'raw'; readonly s: string }
    | { readonly k: 'call'; readonly fn: string; readonly args: readonly PyArg[] }
    | { readonly k: 'infix'; readonly op: string; readonly a: Py; readonly b: Py }
    | { readonly k: 'list'; readonly items: readonly Py[] }
    | { readonly k: 'dict'; readonly items: readonly (readonly [string, Py])[] }
    | { readonly k: 'slice'; readonly target: Py; readonly before: number; readonly start: Py; readonly end: Py; readonly step: Py };

export interface PyArg {
    readonly kw?: string;
    readonly v: Py;
    /** Left out when it resolves to this literal (PyTorch's default). */
    readonly dflt?: PyLit;
}

export const lit = (v: PyLit, hint: string): Py => ({ k: 'lit', v, hint });
export const raw = (s: string): Py => ({ k: 'raw', s });
export const call = (fn: string, ...args: PyArg[]): Py => ({ k: 'call', fn, args });
export const pos = (v: Py): PyArg => ({ v });
export const kw = (name: string, v: Py, dflt?: PyLit): PyArg => ({ kw: name, v, dflt });

export function pyLiteral(v: PyLit): string {
    if (v === null) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (typeof v === 'number') {
        if (Number.isNaN(v)) return "float('nan')";
        if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : "float('-inf')";
        return String(v);
    }
    if (typeof v === 'string') return pythonString(v);
    return v.length === 1 ? `(${pyLiteral(v[0])},)` : `(${v.map(pyLiteral).join(', ')})`;
}

export const sameLit = (a: PyLit | undefined, b: PyLit | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** How a literal slot is written: its value, or an expression of the class's constructor parameters. */
export type SlotResolver = (slot: Py & { k: 'lit' }) => { expr: string } | { literal: PyLit };

export function render(py: Py, resolve: SlotResolver): string {
    switch (py.k) {
        case 'lit': {
            const r = resolve(py);
            return 'expr' in r ? r.expr : pyLiteral(r.literal);
        }
        case 'raw': return py.s;
        case 'call': return `${py.fn}(${visibleArgs(py, resolve).map(a => (a.kw ? `${a.kw}=${render(a.v, resolve)}` : render(a.v, resolve))).join(', ')})`;
        case 'infix': return `${render(py.a, resolve)} ${py.op} ${render(py.b, resolve)}`;
        case 'list': return `[${py.items.map(i => render(i, resolve)).join(', ')}]`;
        case 'dict': return `OrderedDict([${py.items.map(([k, v]) => `(${pythonString(k)}, ${render(v, resolve)})`).join(', ')}])`;
        case 'slice': {
            const colons = Array(py.before).fill(':');
            const step = render(py.step, resolve);
            const range = `${render(py.start, resolve)}:${render(py.end, resolve)}${step === '1' ? '' : `:${step}`}`;
            return `${render(py.target, resolve)}[${[...colons, range].join(', ')}]`;
        }
    }
}

/** A call's arguments without the keywords left at their default. */
function visibleArgs(py: Py & { k: 'call' }, resolve: SlotResolver): PyArg[] {
    return py.args.filter(a => {
        if (a.dflt === undefined || a.v.k !== 'lit') return true;
        const r = resolve(a.v);
        return 'expr' in r || !sameLit(r.literal, a.dflt);
    });
}

/** As `render`, but a call or OrderedDict longer than the line puts one argument per line. */
export function renderPretty(py: Py, resolve: SlotResolver, indent: string, used: number, width = 120): string {
    const flat = render(py, resolve);
    if (used + flat.length <= width) return flat;
    const inner = `${indent}    `;
    if (py.k === 'call') {
        const args = visibleArgs(py, resolve);
        if (args.length === 0) return flat;
        const parts = args.map(a => `${inner}${a.kw ? `${a.kw}=` : ''}${renderPretty(a.v, resolve, inner, inner.length + (a.kw?.length ?? 0) + 1, width)}`);
        return `${py.fn}(\n${parts.join(',\n')},\n${indent})`;
    }
    if (py.k === 'dict') {
        const parts = py.items.map(([k, v]) => `${inner}(${pythonString(k)}, ${renderPretty(v, resolve, inner, inner.length + k.length + 5, width)})`);
        return `OrderedDict([\n${parts.join(',\n')},\n${indent}])`;
    }
    return flat;
}

/** Visits the literal slots of `py` in rendering order. */
export function eachSlot(py: Py, visit: (slot: Py & { k: 'lit' }) => void): void {
    switch (py.k) {
        case 'lit': visit(py); break;
        case 'raw': break;
        case 'call': py.args.forEach(a => eachSlot(a.v, visit)); break;
        case 'infix': eachSlot(py.a, visit); eachSlot(py.b, visit); break;
        case 'list': py.items.forEach(i => eachSlot(i, visit)); break;
        case 'dict': py.items.forEach(([, v]) => eachSlot(v, visit)); break;
        case 'slice': eachSlot(py.target, visit); eachSlot(py.start, visit); eachSlot(py.end, visit); eachSlot(py.step, visit); break;
    }
}
