/** Every op the language knows, found by name or alias. Adding an op means adding its spec to one family file. */
import type { OpSpec } from './types.js';
import { convolutionOps } from './conv.js';
import { poolingOps } from './pool.js';
import { normalizationOps } from './norm.js';
import { activationOps } from './activation.js';
import { tensorOps } from './tensor.js';
import { mergeOps } from './merge.js';

export const ALL_OPS: readonly OpSpec[] = [...convolutionOps, ...poolingOps, ...normalizationOps, ...activationOps, ...tensorOps, ...mergeOps];

const byName = new Map<string, OpSpec>();
for (const spec of ALL_OPS) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) {
        if (byName.has(name)) throw new Error(`op name '${name}' is defined twice`);
        byName.set(name, spec);
    }
}

export function findOp(name: string): OpSpec | undefined {
    return byName.get(name);
}

export function allOpNames(): string[] {
    return [...byName.keys()];
}

/** Convolutions that sample their input through a dilated window (not transposed ones, which spread it). */
export const SAMPLING_CONV_OPS: ReadonlySet<string> = new Set(ALL_OPS
    .filter(o => o.category === 'convolution' && !o.name.startsWith('convtranspose') && o.attrs.some(a => a.name === 'dilation'))
    .map(o => o.name));

/** Ops whose output keeps the input's positions (`keepsPositions` on their specs): activations, norms, dropout, identity. */
export const POSITION_KEEPING_OPS: ReadonlySet<string> = new Set(ALL_OPS.filter(o => o.keepsPositions).map(o => o.name));
