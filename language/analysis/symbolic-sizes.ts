/**
 * Input size as a variable: `network N(input: [1, 3, H, W], H: int = 224, W: int = 224)` elaborates at the defaults
 * as any network does; this gives every total (params, MACs, FLOPs, activation memory) as a formula of the size
 * variables, and the sizes the network takes.
 *
 * No symbolic algebra: every output size of a conv or pooling window is ⌊(i + c)/s⌋ + 1, which is affine in i on
 * each class of i modulo s, so on the sizes `default + k·S` (S the total stride, the least common multiple of the
 * jumps of the network's tensors) every total is a polynomial in the size variables whose degree in each variable
 * is at most the number of input axes it sizes (a conv's MACs grow with H·W; 1·H·W, H, W, 1 for two variables).
 * The network is elaborated on a grid of such sizes, the polynomial through them solved exactly in rationals and
 * checked on two more sizes; a figure that the check refutes gets no formula, said so.
 *
 * Valid sizes: for each variable, the classes modulo S at which no strided window leaves rows unread (the op
 * specs' 'rows-unread' warning), and the smallest input that elaborates without an error, per variable, scanned
 * upward from 1 (smallest-input.ts). Work is a capped number of elaborations (MAX_ELABORATIONS for the formulas and
 * the scan of classes, MAX_PROBES per variable for the smallest input), each linear in the network.
 */
import { AstUtils } from 'langium';
import { isCall, isNetwork, type Network, type Param } from '../generated/ast.js';
import { elaborateNetwork, type Elaboration, type ElaborationDiagnostic } from '../elaboration/elaborator.js';
import type { NetworkGraph, Totals } from '../elaboration/graph.js';
import { sizeVariablesOf } from '../elaboration/parameters.js';
import { numel } from '../ops/shape-utils.js';
import { formatBytes, humanCount, withCommas } from '../util/format.js';
import { diagnosticLine, smallestInput, smallestInputLines, type SmallestInput } from './smallest-input.js';

export type { SmallestInput, SmallestSize } from './smallest-input.js';

/** Elaborations one analysis may run, all parts together; beyond it a part says it stopped. */
export const MAX_ELABORATIONS = 160;
/** A variable's classes modulo S are scanned for unread rows only up to this S (one elaboration per class). */
const MAX_SCANNED_PERIOD = 64;
/** Polynomial terms at most: 3 size variables of one axis each (1, D, H, W, DH, DW, HW, DHW). */
const MAX_TERMS = 16;

export const SYMBOLIC_FIGURES = ['params', 'macs', 'flops', 'memory', 'peakMemory'] as const;
export type SymbolicFigureName = typeof SYMBOLIC_FIGURES[number];
const FIGURE_LABELS: Record<SymbolicFigureName, string> = { params: 'Params', macs: 'MACs', flops: 'FLOPs', memory: 'Activations', peakMemory: 'Peak activations' };

export interface SizeVariable {
    readonly name: string;
    /** The value the network elaborates at. */
    readonly default: number;
    /** Where it is used: input name and axis, `input[2]`. */
    readonly uses: readonly string[];
    /** Sizes a spatial axis (then it steps by the total stride), not the batch or the channels. */
    readonly spatial: boolean;
    /** The formulas hold for `default + k·step`. */
    readonly step: number;
}

/** One term: an exact rational coefficient (`"36144"`, `"1/2"`) times a product of variables. */
export interface FormulaTerm {
    readonly coefficient: string;
    /** Exponent of each variable, by name; {} for the constant. */
    readonly powers: Readonly<Record<string, number>>;
    /** The term's value at the defaults. */
    readonly atDefault: number;
}

export interface SymbolicFigure {
    readonly figure: SymbolicFigureName;
    readonly label: string;
    /** Highest degree first; empty when the figure is 0. */
    readonly terms?: readonly FormulaTerm[];
    /** `36,144·H·W + 512,000`. */
    readonly exact?: string;
    /** `1.81 G·(H·W)/224² + 512 k`, each term written as its value at the defaults. */
    readonly approximate?: string;
    /** The figure does not change with the sizes. */
    readonly constant?: boolean;
    /** Where the formula holds when it is not the whole analysis' condition (a coarser class of sizes). */
    readonly condition?: string;
    /** Why there is no formula. */
    readonly error?: string;
}

export interface UnreadRows {
    readonly variable: string;
    readonly step: number;
    /** Classes modulo `step` at which no strided window leaves rows or columns unread; undefined when not scanned. */
    readonly clean?: readonly number[];
    /** An example size outside `clean` and what it leaves unread. */
    readonly example?: { readonly size: number; readonly message: string; readonly line: number };
    readonly note?: string;
}

export interface SymbolicSizes {
    readonly network: string;
    readonly variables: readonly SizeVariable[];
    /** Total stride S: the least common multiple of the jumps (input pixels between neighbouring positions). */
    readonly totalStride: number;
    /** `H and W multiples of 32`, or `H = 299 + 32k`. */
    readonly condition: string;
    readonly formulas: readonly SymbolicFigure[];
    /** Layers whose parameter count changes with the sizes (a linear after a flatten), when any. */
    readonly sizeDependentParams?: readonly string[];
    readonly unreadRows: readonly UnreadRows[];
    readonly smallest: SmallestInput;
    readonly elaborations: number;
}

/** The value parameters the network's input shapes name, with their defaults (undefined when there are none). */
export function sizeVariablesOfNetwork(network: Network): Param[] {
    const found: Param[] = [];
    for (const input of network.params.filter(p => p.shape)) for (const v of sizeVariablesOf(input)) if (!found.includes(v)) found.push(v);
    return found;
}

const caches = { scanned: new WeakMap<Elaboration, SymbolicSizes | undefined>(), quick: new WeakMap<Elaboration, SymbolicSizes | undefined>() };

export interface SymbolicSizesOptions {
    /**
     * Scan every class of sizes modulo the total stride for unread rows (one elaboration per class and variable, the
     * bulk of the work); a hover leaves it out (default true).
     */
    readonly scanUnreadRows?: boolean;
}

/**
 * The formulas and valid sizes of a network that declares size variables, from its elaboration at the defaults
 * (without errors); undefined otherwise. Cached per elaboration (the analyzer caches that per workspace state).
 */
export function symbolicSizes(base: Elaboration, options: SymbolicSizesOptions = {}): SymbolicSizes | undefined {
    const scan = options.scanUnreadRows ?? true;
    const cache = scan ? caches.scanned : caches.quick;
    if (cache.has(base)) return cache.get(base);
    const result = analyze(base, scan);
    cache.set(base, result);
    return result;
}

function analyze(base: Elaboration, scan: boolean): SymbolicSizes | undefined {
    const network = base.network;
    if (!isNetwork(network)) return undefined;
    const params = sizeVariablesOfNetwork(network);
    if (params.length === 0 || base.diagnostics.some(d => d.severity === 'error')) return undefined;
    let elaborations = 0;
    const elaborate = (values: ReadonlyMap<string, number>): Elaboration | undefined => {
        if (elaborations >= MAX_ELABORATIONS) return undefined;
        elaborations++;
        return elaborateNetwork(network, { arguments: values });
    };

    const totalStride = totalStrideOf(base.graph);
    const defaults = new Map<string, number>();
    const variables: SizeVariable[] = [];
    for (const param of params) {
        const uses = usesOf(network, param);
        const value = defaultOf(base, param, uses);
        if (value === undefined) return undefined;
        defaults.set(param.name, value);
        const spatial = uses.some(u => u.axis >= 2 && u.rank >= 3);
        variables.push({ name: param.name, default: value, uses: uses.map(u => `${u.input}[${u.axis}]`), spatial, step: spatial ? totalStride : 1 });
    }
    const condition = conditionText(variables);

    // Degree in each variable: the number of input axes it sizes.
    const degrees = variables.map(v => Math.max(1, v.uses.length));
    const termCount = degrees.reduce((a, d) => a * (d + 1), 1);
    let formulas: SymbolicFigure[];
    let sizeDependentParams: string[] | undefined;
    if (termCount > MAX_TERMS) {
        formulas = SYMBOLIC_FIGURES.map(figure => ({ figure, label: FIGURE_LABELS[figure], error: `${variables.length} size variables make ${termCount} terms; formulas are given for at most ${MAX_TERMS}` }));
    } else {
        const exponents = grid(degrees);
        const fit = (scale: number, figures: readonly SymbolicFigureName[]) => {
            const at = (steps: readonly number[]) => new Map(variables.map((v, i) => [v.name, v.default + steps[i] * v.step * scale]));
            const samples: { values: Map<string, number>; graph?: NetworkGraph; error?: string }[] = [];
            const verify = [degrees.map(d => d + 1), degrees.map((d, i) => (i % 2 === 0 ? d + 2 : 0))];
            for (const steps of [...exponents, ...verify]) {
                const values = at(steps);
                const elaboration = steps.every(x => x === 0) ? base : elaborate(values);
                const error = elaboration === undefined ? `stopped after ${MAX_ELABORATIONS} elaborations` : firstError(elaboration.diagnostics);
                samples.push({ values, graph: elaboration && !error ? elaboration.graph : undefined, error: error && `at ${sizesText(values)}: ${error}` });
                if (error) break;
            }
            const failed = samples.find(x => !x.graph);
            const figureOf = (figure: SymbolicFigureName) => (x: typeof samples[number]) => ({ values: x.values, value: x.graph!.totals[figure as keyof Totals] });
            const results = figures.map((figure): SymbolicFigure => failed
                ? { figure, label: FIGURE_LABELS[figure], error: `the network does not elaborate ${failed.error}` }
                : fitFigure(figure, variables, exponents, samples.slice(0, exponents.length).map(figureOf(figure)), samples.slice(exponents.length).map(figureOf(figure))));
            return { results, corner: failed ? undefined : samples[exponents.length - 1].graph };
        };
        const first = fit(1, SYMBOLIC_FIGURES);
        formulas = first.results;
        // Adaptive pooling's windows (and a pyramid's bins) repeat only when its input grows by a multiple of its
        // output size: a figure that counts their reads is a polynomial on a coarser class of sizes.
        const coarser = adaptivePeriod(base.graph);
        const refuted = formulas.filter(f => f.error && f.terms === undefined && f.error.startsWith('no polynomial')).map(f => f.figure);
        if (refuted.length && coarser > 1 && variables.some(v => v.spatial)) {
            const second = fit(coarser, refuted);
            const condition = conditionText(variables.map(v => ({ ...v, step: v.step * coarser })));
            formulas = formulas.map(f => {
                const better = second.results.find(r => r.figure === f.figure && !r.error);
                return better ? { ...better, condition } : f;
            });
        }
        // Layers whose weights are sized by the input, found by comparing the defaults with the grid's far corner.
        if (first.corner && formulas[0].constant === false) sizeDependentParams = paramsChanged(base.graph, first.corner);
    }

    const unreadRows = scan ? variables.filter(v => v.spatial).map(v => scanUnreadRows(v, defaults, base, elaborate)) : [];
    let probes = 0;
    const smallest = smallestInput(variables.filter(v => v.spatial), defaults, values => {
        probes++;
        return elaborateNetwork(network, { arguments: values });
    });
    return { network: network.name, variables, totalStride, condition, formulas, ...(sizeDependentParams ? { sizeDependentParams } : {}), unreadRows, smallest, elaborations: elaborations + probes };
}

// ----- the period and the variables ----------------------------------------------------------------------------

/**
 * The least common multiple of the whole-number jumps of the tensors that keep a spatial extent: a global pool's
 * 1×1 output jumps by the whole input and is left out; an upsampling's fractional jump is too.
 */
function totalStrideOf(graph: NetworkGraph): number {
    let period = 1;
    for (const tensor of graph.tensors) {
        if (!tensor.jump || tensor.shape.slice(2).every(d => d === 1)) continue;
        for (const j of tensor.jump) if (Number.isInteger(j) && j > 1 && j <= 1 << 20) period = lcm(period, j);
    }
    return period;
}

interface Use { readonly input: string; readonly axis: number; readonly rank: number; readonly direct: boolean }

/** The least common multiple of the output sizes of adaptive pooling and of a spatial pyramid's levels. */
function adaptivePeriod(graph: NetworkGraph): number {
    let period = 1;
    for (const node of graph.nodes) {
        const sizes = node.op.startsWith('adaptive') ? graph.tensors[node.outputs[0]].shape.slice(2)
            : node.op === 'spp' && Array.isArray(node.attrs.levels) ? node.attrs.levels.filter((l): l is number => typeof l === 'number') : [];
        for (const o of sizes) if (Number.isInteger(o) && o > 1 && o <= 1024) period = lcm(period, o);
    }
    return period;
}

/** Each axis of an input shape whose item names the variable. */
function usesOf(network: Network, param: Param): Use[] {
    const uses: Use[] = [];
    for (const input of network.params.filter(p => p.shape)) {
        const items = input.shape!.items;
        items.forEach((item, axis) => {
            const names = AstUtils.streamAst(item).some(node => isCall(node) && node.target?.ref === param);
            if (!names) return;
            const text = item.$cstNode?.text.trim();
            uses.push({ input: input.name, axis, rank: items.length, direct: text === param.name });
        });
    }
    return uses;
}

/** The variable's value at the defaults: read from an input axis it sizes alone, else its default evaluated. */
function defaultOf(base: Elaboration, param: Param, uses: readonly Use[]): number | undefined {
    const direct = uses.find(u => u.direct);
    if (direct) {
        const port = base.graph.inputs.find(p => p.name === direct.input);
        const size = port && base.graph.tensors[port.tensor].shape[direct.axis];
        if (size !== undefined) return size;
    }
    const text = param.default?.$cstNode?.text.trim();
    const value = text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
    return value;
}

function conditionText(variables: readonly SizeVariable[]): string {
    const stepped = variables.filter(v => v.step > 1);
    if (stepped.length === 0) return 'every size';
    const aligned = stepped.filter(v => v.default % v.step === 0);
    const parts: string[] = [];
    if (aligned.length) parts.push(`${joinNames(aligned.map(v => v.name))} ${aligned.length === 1 ? 'a multiple' : 'multiples'} of ${stepped[0].step}`);
    for (const v of stepped.filter(v => v.default % v.step !== 0)) parts.push(`${v.name} = ${v.default % v.step} + ${v.step}k`);
    return parts.join(', ');
}

function joinNames(names: readonly string[]): string {
    return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function sizesText(values: ReadonlyMap<string, number>): string {
    return [...values].map(([k, v]) => `${k} = ${v}`).join(', ');
}

function firstError(diagnostics: readonly ElaborationDiagnostic[]): string | undefined {
    const error = diagnostics.find(d => d.severity === 'error');
    return error && `${error.message} (line ${diagnosticLine(error)})`;
}

/** Every exponent tuple with 0 ≤ e_i ≤ degrees[i], the constant first, the highest last. */
function grid(degrees: readonly number[]): number[][] {
    let tuples: number[][] = [[]];
    for (const d of degrees) tuples = tuples.flatMap(t => Array.from({ length: d + 1 }, (_, e) => [...t, e]));
    return tuples;
}

// ----- exact fitting --------------------------------------------------------------------------------------------

interface Sample { readonly values: ReadonlyMap<string, number>; readonly value: number }

function fitFigure(figure: SymbolicFigureName, variables: readonly SizeVariable[], exponents: readonly number[][], points: readonly Sample[], checks: readonly Sample[]): SymbolicFigure {
    const label = FIGURE_LABELS[figure];
    if ([...points, ...checks].some(p => !Number.isSafeInteger(p.value))) return { figure, label, error: 'a figure is too large to fit exactly' };
    const monomial = (values: ReadonlyMap<string, number>, powers: readonly number[]) =>
        powers.reduce((acc, e, i) => acc * BigInt(values.get(variables[i].name)!) ** BigInt(e), 1n);
    const matrix = points.map(p => exponents.map(powers => Rational.of(monomial(p.values, powers))));
    const coefficients = solve(matrix, points.map(p => Rational.of(BigInt(p.value))));
    if (!coefficients) return { figure, label, error: 'the sizes sampled do not determine a formula' };
    const evaluate = (values: ReadonlyMap<string, number>) => exponents.reduce((acc, powers, t) => acc.add(coefficients[t].mul(Rational.of(monomial(values, powers)))), Rational.ZERO);
    const refuted = checks.find(c => !evaluate(c.values).equals(Rational.of(BigInt(c.value))));
    if (refuted) {
        return { figure, label, error: `no polynomial of degree ≤ ${Math.max(...exponents.flat())} per variable fits (at ${sizesText(refuted.values)} it is ${withCommas(refuted.value)}, the fit says ${evaluate(refuted.values).toString()})` };
    }
    const defaults = new Map(variables.map(v => [v.name, v.default]));
    const terms: FormulaTerm[] = exponents.map((powers, t) => ({ powers, t }))
        .filter(({ t }) => !coefficients[t].isZero())
        .sort((a, b) => sum(b.powers) - sum(a.powers) || compareDesc(a.powers, b.powers))
        .map(({ powers, t }) => ({
            coefficient: coefficients[t].toString(),
            powers: Object.fromEntries(powers.map((e, i) => [variables[i].name, e]).filter(([, e]) => (e as number) > 0)),
            atDefault: coefficients[t].mul(Rational.of(monomial(defaults, powers))).toNumber(),
        }));
    const constant = terms.every(t => Object.keys(t.powers).length === 0);
    const bytes = figure === 'memory' || figure === 'peakMemory';
    return {
        figure, label, terms, constant,
        exact: exactText(terms, bytes),
        approximate: approximateText(terms, variables, bytes),
    };
}

function sum(xs: readonly number[]): number {
    return xs.reduce((a, b) => a + b, 0);
}

function compareDesc(a: readonly number[], b: readonly number[]): number {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i] - a[i];
    return 0;
}

function monomialText(powers: Readonly<Record<string, number>>): string {
    return Object.entries(powers).map(([name, e]) => (e === 1 ? name : `${name}${superscript(e)}`)).join('·');
}

function superscript(n: number): string {
    return String(n).split('').map(c => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(c)]).join('');
}

/** `36,144·H·W + 512,000` (bytes: `147,456·H·W + …` B). */
function exactText(terms: readonly FormulaTerm[], bytes: boolean): string {
    if (terms.length === 0) return '0';
    const parts = terms.map(t => {
        const m = monomialText(t.powers);
        const c = coefficientText(t.coefficient);
        return m ? (c === '1' ? m : c === '-1' ? `-${m}` : `${c}·${m}`) : c;
    });
    return parts.join(' + ').replace(/\+ -/g, '− ') + (bytes ? ' bytes' : '');
}

function coefficientText(rational: string): string {
    const [n, d] = rational.split('/');
    const whole = (s: string) => (s.startsWith('-') ? `-${withCommas(Number(s.slice(1)))}` : withCommas(Number(s)));
    if (!d) return Number.isSafeInteger(Number(n)) ? whole(n) : n;
    // A finite decimal when the denominator has no factor but 2 and 5.
    let den = BigInt(d);
    while (den % 2n === 0n) den /= 2n;
    while (den % 5n === 0n) den /= 5n;
    return den === 1n ? (Number(n) / Number(d)).toLocaleString('en-US', { maximumFractionDigits: 20 }) : `(${n}/${d})`;
}

/** `1.81 G·(H·W)/224² + 512 k`: each term as its value at the defaults, times the variables over their defaults. */
function approximateText(terms: readonly FormulaTerm[], variables: readonly SizeVariable[], bytes: boolean): string {
    if (terms.length === 0) return '0';
    const text = terms.map(t => {
        const value = bytes ? formatBytes(Math.abs(t.atDefault)) : roundCount(Math.abs(t.atDefault));
        const sign = t.atDefault < 0 ? '− ' : '';
        const names = Object.keys(t.powers);
        if (names.length === 0) return `${sign}${value}`;
        const over = denominatorText(t.powers, variables);
        const m = monomialText(t.powers);
        return `${sign}${value}·${names.length > 1 || Object.values(t.powers)[0] > 1 ? `(${m})` : m}/${over}`;
    }).join(' + ').replace(/\+ − /g, '− ');
    return text;
}

/** Three significant digits: 1.81 G, 512 k, 1.02 M, 80. */
function roundCount(n: number): string {
    const text = humanCount(n);
    const match = /^(\d+\.\d+) (.)$/.exec(text);
    return match ? `${Number(Number(match[1]).toPrecision(3))} ${match[2]}` : text;
}

/** `224²` when every variable of the term defaults to 224; `(224·320)` otherwise. */
function denominatorText(powers: Readonly<Record<string, number>>, variables: readonly SizeVariable[]): string {
    const factors = Object.entries(powers).flatMap(([name, e]) => Array<number>(e).fill(variables.find(v => v.name === name)!.default));
    if (factors.every(f => f === factors[0])) return factors.length === 1 ? String(factors[0]) : `${factors[0]}${superscript(factors.length)}`;
    return `(${factors.join('·')})`;
}

/** Layers whose parameter count differs between two elaborations (by name). */
function paramsChanged(a: NetworkGraph, b: NetworkGraph): string[] {
    const count = (g: NetworkGraph) => new Map(g.nodes.map(n => [n.name, n.params.reduce((s, p) => s + numel(p.shape), 0)]));
    const before = count(a);
    return [...count(b)].filter(([name, n]) => before.get(name) !== n).map(([name]) => name).slice(0, 10);
}

// ----- valid sizes ----------------------------------------------------------------------------------------------

function scanUnreadRows(variable: SizeVariable, defaults: ReadonlyMap<string, number>, base: Elaboration, elaborate: (values: ReadonlyMap<string, number>) => Elaboration | undefined): UnreadRows {
    const { name, step } = variable;
    if (step <= 1) return { variable: name, step, clean: [0] };
    if (step > MAX_SCANNED_PERIOD) return { variable: name, step, note: `the total stride ${step} is above ${MAX_SCANNED_PERIOD}; sizes were not scanned` };
    const clean: number[] = [];
    let example: UnreadRows['example'];
    const start = variable.default - (variable.default % step);
    for (let r = 0; r < step; r++) {
        let size = start + r;
        if (size < 1) size += step;
        const values = new Map(defaults).set(name, size);
        const elaboration = size === variable.default ? base : elaborate(values);
        if (!elaboration) return { variable: name, step, ...(clean.length ? { clean } : {}), note: `stopped after ${MAX_ELABORATIONS} elaborations` };
        const unread = elaboration.diagnostics.find(d => d.code === 'rows-unread');
        if (!unread && !elaboration.diagnostics.some(d => d.severity === 'error')) clean.push(r);
        else if (unread && !example) example = { size, message: unread.message, line: diagnosticLine(unread) };
    }
    return { variable: name, step, clean, ...(example ? { example } : {}) };
}

// ----- rationals ------------------------------------------------------------------------------------------------

function gcd(a: bigint, b: bigint): bigint {
    a = a < 0n ? -a : a;
    b = b < 0n ? -b : b;
    while (b) [a, b] = [b, a % b];
    return a;
}

function lcm(a: number, b: number): number {
    let x = a, y = b;
    while (y) [x, y] = [y, x % y];
    return (a / x) * b;
}

class Rational {
    static readonly ZERO = new Rational(0n, 1n);
    private constructor(readonly n: bigint, readonly d: bigint) {}
    static of(n: bigint, d = 1n): Rational {
        if (d < 0n) [n, d] = [-n, -d];
        const g = gcd(n, d) || 1n;
        return new Rational(n / g, d / g);
    }
    add(o: Rational): Rational { return Rational.of(this.n * o.d + o.n * this.d, this.d * o.d); }
    sub(o: Rational): Rational { return Rational.of(this.n * o.d - o.n * this.d, this.d * o.d); }
    mul(o: Rational): Rational { return Rational.of(this.n * o.n, this.d * o.d); }
    div(o: Rational): Rational { return Rational.of(this.n * o.d, this.d * o.n); }
    isZero(): boolean { return this.n === 0n; }
    equals(o: Rational): boolean { return this.n === o.n && this.d === o.d; }
    toNumber(): number { return Number(this.n) / Number(this.d); }
    toString(): string { return this.d === 1n ? String(this.n) : `${this.n}/${this.d}`; }
    static parse(text: string): Rational {
        const [n, d] = text.split('/');
        return Rational.of(BigInt(n), BigInt(d ?? '1'));
    }
}

/** Gaussian elimination with exact rationals; undefined when the matrix is singular. */
function solve(matrix: Rational[][], rhs: Rational[]): Rational[] | undefined {
    const n = rhs.length;
    const a = matrix.map((row, i) => [...row, rhs[i]]);
    for (let col = 0; col < n; col++) {
        const pivot = a.findIndex((row, r) => r >= col && !row[col].isZero());
        if (pivot < 0) return undefined;
        [a[col], a[pivot]] = [a[pivot], a[col]];
        for (let r = 0; r < n; r++) {
            if (r === col || a[r][col].isZero()) continue;
            const factor = a[r][col].div(a[col][col]);
            for (let c = col; c <= n; c++) a[r][c] = a[r][c].sub(factor.mul(a[col][c]));
        }
    }
    return a.map((row, i) => row[n].div(row[i]));
}

/** A formula's value at some sizes, exactly (the `terms` of a SymbolicFigure). */
export function evaluateFormula(terms: readonly FormulaTerm[], values: Readonly<Record<string, number>>): number {
    let total = Rational.ZERO;
    for (const term of terms) {
        let value = Rational.parse(term.coefficient);
        for (const [name, e] of Object.entries(term.powers)) value = value.mul(Rational.of(BigInt(values[name]) ** BigInt(e)));
        total = total.add(value);
    }
    if (total.d !== 1n) return total.toNumber();
    return Number(total.n);
}

// ----- text -----------------------------------------------------------------------------------------------------

/**
 * What `summary --sizes` prints, in parts a view can lay out: the variables, each figure's formula (after its label:
 * `= 36,144·H·W + 512,000  ≈ 1.81 G·(H·W)/224² + 512 k`), and the valid sizes (the Summary view shows the same).
 */
export interface SymbolicSizesText {
    readonly heading: string;
    readonly formulas: readonly { readonly label: string; readonly text: string }[];
    /** Layers sized by the input, when any. */
    readonly params?: string;
    /** The total stride, the classes of sizes every row is read at, the smallest input. */
    readonly validity: readonly { readonly text: string; readonly indent: boolean }[];
}

export function symbolicSizesText(s: SymbolicSizes): SymbolicSizesText {
    const vars = s.variables.map(v => `${v.name} = ${v.default}`).join(', ');
    const formulas = s.formulas.map(f => ({
        label: f.label,
        text: f.error ? `no formula — ${f.error}`
            : f.constant ? `= ${f.exact} (does not depend on ${joinNames(s.variables.map(v => v.name))})`
            : `= ${f.exact}${f.approximate && f.approximate !== f.exact ? `  ≈ ${f.approximate}` : ''}${f.condition ? ` (for ${f.condition})` : ''}`,
    }));
    const validity = [{ text: `Total stride: ${s.totalStride}`, indent: false }];
    for (const u of s.unreadRows) {
        if (u.note) validity.push({ text: `${u.variable}: ${u.note}`, indent: true });
        if (!u.clean) continue;
        const all = u.clean.length === u.step;
        const which = all ? `any ${u.variable}` : u.clean.length === 0 ? 'no size' : `${u.variable} ≡ ${u.clean.join(', ')} (mod ${u.step})`;
        validity.push({ text: `${u.variable}: every input row is read for ${which}${u.example ? `; at ${u.variable} = ${u.example.size}, line ${u.example.line}: ${u.example.message}` : ''}`, indent: true });
    }
    validity.push(...smallestInputLines(s.smallest).map(text => ({ text, indent: false })));
    return {
        heading: `Size variables: ${vars} (the network elaborates at these; figures below hold for ${s.condition})`,
        formulas,
        ...(s.sizeDependentParams?.length ? { params: `Params depend on the sizes: ${s.sizeDependentParams.join(', ')} ${s.sizeDependentParams.length === 1 ? 'is' : 'are'} sized by the input, so weights trained at one size do not load at another` } : {}),
        validity,
    };
}

/** The lines `summary --sizes` prints and the hover shows. */
export function renderSymbolicSizes(s: SymbolicSizes): string[] {
    const text = symbolicSizesText(s);
    return [
        text.heading,
        ...text.formulas.map(f => `  ${f.label}${f.text.startsWith('=') ? ' ' : ': '}${f.text}`),
        ...(text.params ? [`  ${text.params}`] : []),
        ...text.validity.map(v => `${v.indent ? '  ' : ''}${v.text}`),
    ];
}

export { Rational as ExactRational };
