/**
 * Budgets: limits a design must stay within, written above a network as a comment line
 * `# budget: params < 5M, macs < 600M, memory < 200MiB, memory(train, batch 32) < 8GiB, latency(this-machine) < 20ms`
 * or given to `convnet check --budget "params<5M,macs<600M"`. Each is checked against the network's figures
 * (params, MACs and FLOPs from the op specs, activation memory from the graph, training memory from
 * training-memory.ts, latency from the roofline of a device profile, roofline.ts). Parsing and checking never
 * throw: a problem comes back as one sentence.
 */
import type { NetworkGraph } from '../elaboration/graph.js';
import { formatBytes, humanCount } from '../util/format.js';
import { quoted } from '../util/quote.js';
import { OPTIMIZERS, trainingMemory, type Optimizer, type TrainingPrecision } from './training-memory.js';
import { DEVICE_PROFILES, DeviceRegistry, THIS_MACHINE, type DeviceResolver } from './devices.js';
import { formatSeconds, roofline } from './roofline.js';

export type BudgetMetric = 'params' | 'macs' | 'flops' | 'memory' | 'train-memory' | 'latency';

/** The shipped profiles only: this machine's profile is a file only the front ends read. */
const shippedDevices: DeviceResolver = new DeviceRegistry().resolve;

export interface BudgetItem {
    readonly metric: BudgetMetric;
    /** As written, for messages: `MACs`, `memory(train, batch 32)`. */
    readonly label: string;
    readonly limit: number;
    /** `<=` allows the limit itself. */
    readonly inclusive: boolean;
    readonly training?: { readonly batch?: number; readonly optimizer: Optimizer; readonly precision: TrainingPrecision };
    /** The device of a latency budget (a profile id, or this-machine). */
    readonly device?: string;
}

export interface BudgetViolation {
    readonly item: BudgetItem;
    readonly actual: number;
    /** `MACs 1.82 G exceed the budget of 600 M by 3.0×`. */
    readonly message: string;
}

const COUNT_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, B: 1e9, T: 1e12 };
const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
const TIME_UNITS: Readonly<Record<string, number>> = { s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6 };
const LABELS: Readonly<Record<string, string>> = { params: 'params', macs: 'MACs', flops: 'FLOPs', memory: 'memory' };

/** Longer than any budget item a person writes; a longer one is refused before it is matched. */
const MAX_ITEM_LENGTH = 200;

/** The unit's scale, by the table's own keys only (never `constructor` from Object.prototype). */
function unitScale(units: Readonly<Record<string, number>>, unit: string): number | undefined {
    return Object.hasOwn(units, unit) ? units[unit] : undefined;
}

/** `params < 5M, macs < 600M, memory(train, batch 32, adam) < 8GiB`: the items, or what is wrong, in one sentence. */
export function parseBudget(text: string): { items: BudgetItem[] } | { error: string } {
    const items: BudgetItem[] = [];
    // Split on commas outside parentheses.
    const parts: string[] = [];
    let depth = 0, start = 0;
    for (let i = 0; i < text.length; i++) {
        if (text[i] === '(') depth++;
        else if (text[i] === ')') depth--;
        else if (text[i] === ',' && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
    }
    parts.push(text.slice(start));
    for (const raw of parts) {
        const part = raw.trim();
        if (!part) return { error: `an empty budget item in ${quoted(text.trim())}` };
        if (part.length > MAX_ITEM_LENGTH) return { error: `a budget item of ${part.length} characters (${quoted(part, 40)}) is longer than any budget` };
        // One optional stretch of blanks per gap, none nested in another: the match is linear in the item's length.
        const match = /^([a-z_]+)\s*(?:\(([^)]*)\)\s*)?(<=|<)\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([A-Za-zµ]*)$/i.exec(part);
        if (!match) return { error: `${quoted(part)} is not a budget: write a figure, < or <=, and a limit, e.g. 'macs < 600M' or 'memory < 200MiB'` };
        const [, name, args, op, number, unit] = match;
        const metric = name.toLowerCase();
        const value = Number(number);
        if (!Number.isFinite(value)) return { error: `${quoted(part)}: the limit ${number} is not a finite number` };
        if (metric === 'latency') {
            const latency = parseLatency(part, args, value, unit, op === '<=');
            if ('error' in latency) return latency;
            items.push(latency.item);
            continue;
        }
        if (!['params', 'macs', 'flops', 'memory'].includes(metric)) return { error: `unknown budget figure ${quoted(name)} (params, macs, flops, memory, memory(train, batch N), latency(DEVICE))` };
        const isMemory = metric === 'memory';
        const scale = isMemory ? unitScale(BYTE_UNITS, unit.toLowerCase() || 'b') : unitScale(COUNT_UNITS, unit);
        if (scale === undefined) {
            return { error: isMemory ? `${quoted(unit)} is not a size unit in ${quoted(part)} (B, KB, MB, GB, KiB, MiB, GiB)` : `${quoted(unit)} is not a count unit in ${quoted(part)} (k, M, G, T)` };
        }
        let training: BudgetItem['training'];
        if (args !== undefined) {
            if (!isMemory) return { error: `${quoted(part)}: only memory takes arguments, memory(train, batch N)` };
            const parsed = parseTraining(args);
            if ('error' in parsed) return { error: `${quoted(part)}: ${parsed.error}` };
            training = parsed.training;
        }
        items.push({
            metric: training ? 'train-memory' : metric as BudgetMetric,
            label: training ? `memory(${args!.trim()})` : LABELS[metric],
            limit: value * scale, inclusive: op === '<=',
            ...(training ? { training } : {}),
        });
    }
    return { items };
}

/** `latency(laptop-gpu) < 5ms`; `latency < 20ms` and `latency(this machine)` are this machine's. */
function parseLatency(part: string, args: string | undefined, value: number, unit: string, inclusive: boolean): { item: BudgetItem } | { error: string } {
    const scale = unitScale(TIME_UNITS, unit.toLowerCase());
    if (scale === undefined) return { error: `${quoted(part)}: a latency limit needs a time unit (s, ms, us)` };
    const named = (args ?? THIS_MACHINE).trim().replace(/\s+/g, '-');
    const known = [...DEVICE_PROFILES.map(d => d.id), THIS_MACHINE];
    if (!known.includes(named)) return { error: `${quoted(part)}: unknown device ${quoted(named)} (${known.join(', ')})` };
    return { item: { metric: 'latency', label: `latency(${named})`, limit: value * scale, inclusive, device: named } };
}

function parseTraining(args: string): { training: NonNullable<BudgetItem['training']> } | { error: string } {
    const words = args.split(',').map(w => w.trim()).filter(Boolean);
    if (words[0] !== 'train') return { error: `memory(…) takes 'train' first, e.g. memory(train, batch 32)` };
    let batch: number | undefined;
    let optimizer: Optimizer = 'sgd-momentum';
    let precision: TrainingPrecision = 'fp32';
    for (const word of words.slice(1)) {
        const b = /^batch\s+(\d+)$/.exec(word);
        if (b && Number(b[1]) >= 1 && Number(b[1]) <= 2 ** 31) batch = Number(b[1]);
        else if ((OPTIMIZERS as readonly string[]).includes(word)) optimizer = word as Optimizer;
        else if (word === 'mixed' || word === 'fp32') precision = word;
        else return { error: `${quoted(word)} is not batch N (1 … 2147483648), sgd, sgd-momentum, adam, fp32 or mixed` };
    }
    return { training: { batch, optimizer, precision } };
}

/** The network's figure a budget item limits (seconds for latency, on the device `resolve` gives), or why there is none. */
export function budgetFigure(graph: NetworkGraph, item: BudgetItem, resolve: DeviceResolver = shippedDevices): number | string {
    switch (item.metric) {
        case 'latency': {
            const device = resolve(item.device ?? THIS_MACHINE);
            return typeof device === 'string' ? device : roofline(graph, device).seconds;
        }
        case 'params': return graph.totals.params;
        case 'macs': return graph.totals.macs;
        case 'flops': return graph.totals.flops;
        // What an inference needs: the activations alive at once and the parameters and buffers, float32.
        case 'memory': return graph.totals.peakMemory + (graph.totals.params + graph.totals.buffers) * 4;
        case 'train-memory': return trainingMemory(graph, item.training!).peakBytes;
    }
}

/**
 * The items the network does not keep, each with its message; a latency budget whose device profile is not at hand
 * (this machine not calibrated) is one too, saying so, since a budget that cannot be checked must not pass.
 */
export function checkBudget(graph: NetworkGraph, items: readonly BudgetItem[], resolve: DeviceResolver = shippedDevices): BudgetViolation[] {
    const violations: BudgetViolation[] = [];
    for (const item of items) {
        const actual = budgetFigure(graph, item, resolve);
        if (typeof actual === 'string') {
            violations.push({ item, actual: NaN, message: `${item.label} cannot be checked: ${actual}` });
            continue;
        }
        if (item.inclusive ? actual <= item.limit : actual < item.limit) continue;
        const bytes = item.metric === 'memory' || item.metric === 'train-memory';
        const show = (n: number) => (item.metric === 'latency' ? formatSeconds(n) : bytes ? formatBytes(n) : humanCount(n));
        const label = item.metric === 'params' ? 'Params' : item.label;
        const message = actual === item.limit
            ? `${label} ${show(actual)} reach the budget of ${show(item.limit)} (it allows less; write <= to allow it)`
            : `${label} ${show(actual)} exceed the budget of ${show(item.limit)}${item.limit > 0 ? ` by ${(actual / item.limit).toFixed(1)}×` : ''}`;
        violations.push({ item, actual, message });
    }
    return violations;
}

/**
 * The `# budget: …` comment lines directly above the line that starts at `offset` in `text`, joined. Walks back
 * from there line by line, so a file of many networks is not split once per network.
 */
export function budgetCommentAbove(text: string, offset: number): string | undefined {
    const found: string[] = [];
    let end = text.lastIndexOf('\n', offset - 1); // the newline ending the line above
    while (end >= 0) {
        const start = text.lastIndexOf('\n', end - 1) + 1;
        const line = text.slice(start, end).replace(/\r$/, '');
        const match = /^\s*#\s*budget\s*:(.*)$/i.exec(line);
        if (match) found.unshift(match[1]);
        else if (!/^\s*#/.test(line)) break;
        end = start - 1;
    }
    return found.length ? found.join(',') : undefined;
}
