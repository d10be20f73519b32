/**
 * Runs modules written by the PyTorch exporter in Debian's PyTorch (/usr/bin/python3), all in one Python process
 * (test/export-pytorch-runner.py): each case is exported, given its weights through the module's own safetensors
 * loader, and run on its inputs. Shared by the export tests and the upsample sweep.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateDictKey, type NetworkGraph } from '../language/elaboration/graph.js';
import { exportPytorch } from '../interchange/export/pytorch.js';
import { encodeSafetensors, parseSafetensors, toFloat32 } from '../io/safetensors.js';
import type { Tensor } from '../runtime/tensor.js';
import type { ParameterStore } from '../runtime/weights.js';
import { ROOT } from './export-cases.js';

const PYTHON = '/usr/bin/python3';

/** Why PyTorch cannot be used here, or undefined when it can. */
export function torchProblem(): string | undefined {
    const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return undefined;
    return `${PYTHON} cannot import torch and torchvision (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); `
        + 'install Debian\'s PyTorch: apt-get install python3-torch python3-torchvision';
}

export interface PytorchCase {
    readonly id: string;
    readonly graph: NetworkGraph;
    readonly parameters: ParameterStore;
    readonly inputs: ReadonlyMap<string, Tensor>;
}

export interface PytorchResult {
    /** Why the export, or PyTorch, failed. */
    readonly error?: string;
    /** The module's state_dict: names and shapes. */
    readonly stateDict?: Record<string, number[]>;
    /** What the module returned, by the network's output names. */
    readonly outputs?: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
}

interface RunnerResult {
    readonly ok: boolean;
    readonly error?: string;
    readonly state_dict?: Record<string, number[]>;
}

/** Exports every case into its own folder under `work`, runs them all in PyTorch, and returns each one's result by id. */
export function runInPytorch(work: string, cases: readonly PytorchCase[]): Map<string, PytorchResult> {
    const results = new Map<string, PytorchResult>();
    const manifest: object[] = [];
    const dirs = new Map<string, string>();
    cases.forEach((c, index) => {
        const dir = path.join(work, String(index));
        fs.mkdirSync(dir, { recursive: true });
        let exported: ReturnType<typeof exportPytorch>;
        try {
            exported = exportPytorch(c.graph);
        } catch (e) {
            results.set(c.id, { error: `export: ${(e as Error).message}` });
            return;
        }
        fs.writeFileSync(path.join(dir, 'model.py'), exported.source);
        const weights = c.graph.nodes.flatMap(n => n.params.map(p => [stateDictKey(n.name, p.name), { shape: p.shape, data: c.parameters.get(n.name)![p.name] }] as [string, { shape: readonly number[]; data: Float32Array }]));
        fs.writeFileSync(path.join(dir, 'weights.safetensors'), encodeSafetensors(weights));
        fs.writeFileSync(path.join(dir, 'inputs.safetensors'), encodeSafetensors(c.inputs));
        dirs.set(c.id, dir);
        manifest.push({ id: c.id, dir, className: exported.className, inputs: c.graph.inputs.map(i => i.name), outputs: c.graph.outputs.map(o => o.name) });
    });
    const manifestPath = path.join(work, 'manifest.json');
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    const run = spawnSync(PYTHON, [path.join(ROOT, 'test', 'export-pytorch-runner.py'), manifestPath], { encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) throw new Error(`the PyTorch runner failed (${run.status ?? run.signal}): ${run.stderr}`);
    const ran = JSON.parse(fs.readFileSync(path.join(work, 'results.json'), 'utf8')) as Record<string, RunnerResult>;
    for (const [id, dir] of dirs) {
        const r = ran[id];
        if (!r?.ok) {
            results.set(id, { error: `PyTorch: ${r?.error ?? 'no result'}` });
            continue;
        }
        const file = parseSafetensors(fs.readFileSync(path.join(dir, 'outputs.safetensors')));
        const outputs = new Map([...file.tensors].map(([name, t]) => [name, { shape: t.shape, data: toFloat32(t) }]));
        results.set(id, { stateDict: r.state_dict, outputs });
    }
    return results;
}
