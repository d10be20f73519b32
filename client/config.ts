/** The extension's settings (package.json `contributes.configuration`), read in one place and typed. */
import * as vscode from 'vscode';
import { OPTIMIZERS, type Optimizer } from '../language/analysis/training-memory.js';
import { CONVENTIONS, type ConventionName } from '../language/analysis/conventions.js';
import { INFERENCE_PRECISIONS, type InferencePrecision } from '../language/analysis/precision.js';

export interface ConvNetSettings {
    readonly inlayHints: 'shapes' | 'shapes+cost' | 'off';
    /** Bytes a run may plan (activations + scratch + parameters). */
    readonly memoryBudgetBytes: number;
    /** The setting as written (`2GiB`), for messages. */
    readonly memoryBudgetText: string;
    readonly defaultSeed: number;
    /** An image used as input when none is chosen ('' = ask). */
    readonly defaultInputImage: string;
    readonly imagenetNormalization: boolean;
    /** The Summary view's Training section: samples per step and the optimizer. */
    readonly trainingBatch: number;
    readonly trainingOptimizer: Optimizer;
    /** The Summary view's figures: whose count of the operations, and the number format of the bytes. */
    readonly convention: ConventionName;
    readonly precision: InferencePrecision;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `2GiB`, `512 MiB`, `1e9` → bytes; undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
    const match = /^\s*([\d.]+(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
    if (!match) return undefined;
    const unit = UNITS[(match[2] || 'b').toLowerCase()];
    const value = Number(match[1]) * (unit ?? NaN);
    return Number.isFinite(value) && value > 0 ? value : undefined;
}

export function readSettings(): ConvNetSettings {
    const config = vscode.workspace.getConfiguration('convnet');
    const mode = config.get<string>('inlayHints', 'shapes');
    return {
        inlayHints: mode === 'off' || mode === 'shapes+cost' ? mode : 'shapes',
        memoryBudgetBytes: parseBytes(config.get<string>('memoryBudget', '2GiB')) ?? 2 * 1024 ** 3,
        memoryBudgetText: config.get<string>('memoryBudget', '2GiB'),
        defaultSeed: config.get<number>('defaultSeed', 0),
        defaultInputImage: config.get<string>('defaultInputImage', ''),
        imagenetNormalization: config.get<boolean>('imagenetNormalization', true),
        trainingBatch: Math.max(1, Math.floor(config.get<number>('trainingBatch', 32)) || 32),
        trainingOptimizer: oneOf(OPTIMIZERS, config.get<string>('trainingOptimizer'), 'sgd-momentum'),
        convention: oneOf(CONVENTIONS, config.get<string>('convention'), 'torchvision'),
        precision: oneOf(INFERENCE_PRECISIONS, config.get<string>('precision'), 'fp32'),
    };
}

/** `value` when it is one of `allowed` (a setting edited by hand may be anything), else `fallback`. */
function oneOf<T extends string>(allowed: readonly T[], value: string | undefined, fallback: T): T {
    return (allowed as readonly string[]).includes(value ?? '') ? value as T : fallback;
}
