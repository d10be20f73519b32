/** The extension's settings (package.json `contributes.configuration`), read in one place and typed. */
import * as vscode from 'vscode';
import { OPTIMIZERS, type Optimizer } from '../language/analysis/training-memory.js';

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
        trainingOptimizer: (OPTIMIZERS as readonly string[]).includes(config.get<string>('trainingOptimizer', '')) ? config.get<string>('trainingOptimizer') as Optimizer : 'sgd-momentum',
    };
}
