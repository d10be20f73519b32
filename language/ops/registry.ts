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
