/**
 * Every op the language knows, found by name or alias. Adding an op means adding its spec to one family file;
 * every list of ops anywhere (completion, hovers, the analyses, the runtime's kernels, the exporters, the
 * importer) is derived from here.
 */
import type { OpSpec } from './types.js';
import { convolutionOps } from './conv.js';
import { poolingOps } from './pool.js';
import { normalizationOps } from './norm.js';
import { activationOps } from './activation.js';
import { tensorOps } from './tensor.js';
import { mergeOps } from './merge.js';
import { parameterOps } from './parameter.js';

/** The ops built into the language. */
export const ALL_OPS: readonly OpSpec[] = [...convolutionOps, ...poolingOps, ...normalizationOps, ...activationOps, ...tensorOps, ...mergeOps, ...parameterOps];

const specs: OpSpec[] = [];
const byName = new Map<string, OpSpec>();

/**
 * Adds an op to the language and returns what removes it again. The built-in ops are registered here; tests use it
 * to show that a new spec reaches completion, hovers and the exporters' checks with nothing else written. Register
 * before creating the language services: the built-in library document is generated from the registry then.
 */
export function registerOp(spec: OpSpec): () => void {
    const names = [spec.name, ...(spec.aliases ?? [])];
    for (const name of names) {
        if (byName.has(name)) throw new Error(`op name '${name}' is defined twice`);
    }
    specs.push(spec);
    for (const name of names) byName.set(name, spec);
    return () => {
        const at = specs.indexOf(spec);
        if (at < 0) return;
        specs.splice(at, 1);
        for (const name of names) byName.delete(name);
    };
}

for (const spec of ALL_OPS) registerOp(spec);

export function findOp(name: string): OpSpec | undefined {
    return byName.get(name);
}

/** Every registered op (the built-in ones first). */
export function allOps(): readonly OpSpec[] {
    return specs;
}

/** Every name an op can be called by: canonical names and aliases. */
export function allOpNames(): string[] {
    return [...byName.keys()];
}

/** The family of an op named by its canonical name or an alias (`conv` for `conv3d`), or undefined if unknown. */
export function familyOf(op: string): string | undefined {
    const spec = byName.get(op);
    return spec && (spec.family ?? spec.name);
}

/** Every op family, each once, in registration order. */
export function opFamilies(): string[] {
    return [...new Set(specs.map(s => s.family ?? s.name))];
}

/**
 * A layer's facts about every op, keyed by family: the runtime's kernels, the ONNX emitters, the PyTorch mapping,
 * the importer's recognisers. A test checks each table against `opFamilies()`, so a new op cannot be forgotten.
 */
export type OpTable<T> = Readonly<Record<string, T>>;

/** The entry of `table` for an op (by canonical name, alias or family), or undefined if the table has none. */
export function entryFor<T>(table: OpTable<T>, op: string): T | undefined {
    const family = familyOf(op) ?? op;
    return Object.hasOwn(table, family) ? table[family] : undefined;
}

/** Families with no entry in `table`, and entries of `table` that name no family (left over from a removed op). */
export function tableGaps(table: OpTable<unknown>): { missing: string[]; unknown: string[] } {
    const families = opFamilies();
    return {
        missing: families.filter(f => !Object.hasOwn(table, f)),
        unknown: Object.keys(table).filter(k => !families.includes(k)),
    };
}

/** Whether `op` is a convolution that samples its input through a dilated window (not a transposed one, which spreads it). */
export function samplesThroughDilatedWindow(op: string): boolean {
    const spec = findOp(op);
    return !!spec && spec.category === 'convolution' && (spec.family ?? spec.name) !== 'convtranspose' && spec.attrs.some(a => a.name === 'dilation');
}

/** Whether the output of `op` keeps its input's positions (`keepsPositions` on its spec): activations, norms, dropout, identity. */
export function keepsPositions(op: string): boolean {
    return findOp(op)?.keepsPositions === true;
}
