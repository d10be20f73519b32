/**
 * PyTorch's outputs for the end-to-end tests (test/e2e.test.ts, test/runtime-plain-memory.test.ts): torchvision
 * models with random weights, their state_dict, an input and PyTorch's output (in float64), made at test time into
 * test/.generated/e2e/<model>/ by test/fixtures/e2e/make_e2e_fixtures.py with Debian's python3-torch and
 * python3-torchvision — too large to commit.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, toFloat32 } from '../io/safetensors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'e2e', 'make_e2e_fixtures.py');
export const GENERATED = path.join(ROOT, 'test', '.generated', 'e2e');
const PYTHON = '/usr/bin/python3';

export function readTensors(file: string): Map<string, { shape: readonly number[]; data: Float32Array }> {
    const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)), file);
    return new Map([...parsed.tensors].map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t) }]));
}

export /** Makes (or reuses, when the script is unchanged) the fixtures of one torchvision model. */
function generate(model: string): string {
    const dir = path.join(GENERATED, model);
    const stamp = path.join(dir, 'stamp.txt');
    const digest = crypto.createHash('sha256').update(fs.readFileSync(SCRIPT)).digest('hex');
    const files = ['weights.safetensors', 'input.safetensors', 'expected.safetensors'];
    if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest && files.every(f => fs.existsSync(path.join(dir, f)))) return dir;
    const result = spawnSync(PYTHON, [SCRIPT, '--model', model, '--out', dir], { encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) {
        throw new Error(`${path.relative(ROOT, SCRIPT)} --model ${model} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${result.stderr}`);
    }
    fs.writeFileSync(stamp, digest);
    return dir;
}

let torchProblem: string | undefined | null = null;

/** Fails the calling test (never skips it) when /usr/bin/python3 cannot import torch and torchvision. */
export function requireTorch(): void {
    if (torchProblem === null) {
        const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'], { encoding: 'utf8' });
        torchProblem = probe.status === 0 ? undefined : (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n').at(-1);
    }
    if (torchProblem !== undefined) {
        throw new Error(`the end-to-end tests need PyTorch and torchvision for ${PYTHON}, to make their reference files: `
            + `install Debian's packages with \`apt-get install python3-torch python3-torchvision\` (${PYTHON} said: ${torchProblem})`);
    }
}
