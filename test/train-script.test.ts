/**
 * `convnet export --pytorch model.py --train train.py`: the training script, run for real. torchrun starts two
 * processes on the CPU (Gloo) that train the LeNet-5 and ResNet-18 examples for a few steps on synthetic data with
 * DistributedDataParallel; the test reads what the processes print (the loss, and every rank's checksum of its
 * weights after every step) and what they save. The references are PyTorch's own: both ranks' weights must agree
 * bit for bit after each step (DDP's all-reduce); the checkpoint, loaded by PyTorch into the exported module, gives
 * the logits `convnet run --weights checkpoint.safetensors` must match; a run stopped and started again must reach
 * the weights of a run that never stopped.
 *
 * Debian's PyTorch 1.13 on Python 3.11: torchrun's default `--redirects 0` fails there (Std.from_str misses the
 * zero-valued flag on Python 3.11's enums), so the test gives `--redirects 1 --tee 1`: each rank's stdout is
 * printed with a `[default<rank>]:` prefix and its stderr as is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, toFloat32 } from '../io/safetensors.js';
import { relativeError } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
const PYTHON = '/usr/bin/python3';
const TORCHRUN = '/usr/bin/torchrun';
let dir: string;
let runs = 0;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-train-'));
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

function convnet(...args: string[]): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
}

function exportWithScript(example: string, folder: string): { model: string; train: string } {
    const work = path.join(dir, folder);
    fs.mkdirSync(work);
    const model = path.join(work, 'model.py');
    const train = path.join(work, 'train.py');
    const r = convnet('export', path.join(ROOT, 'examples', example), '--pytorch', model, '--train', train);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/train\.py: training script for /);
    return { model, train };
}

interface Training {
    readonly output: string;
    /** The mean loss over both ranks, by step. */
    readonly losses: Map<number, number>;
    /** Each rank's checksum of its weights, by step. */
    readonly checksums: Map<number, Map<number, string>>;
}

/** The ranks' stderr logs under a torchrun --log_dir (…/attempt_N/RANK/stderr.log), joined. */
function ranksStderr(logs: string): string {
    return (fs.readdirSync(logs, { recursive: true }) as string[]).filter(f => f.endsWith('stderr.log'))
        .map(f => `${f}:\n${fs.readFileSync(path.join(logs, f), 'utf8')}`).join('\n');
}

/** The processes under `pid` (children first found by their parent in `ps`), with their state, kernel wait and command. */
function descendants(pid: number): { pid: number; line: string }[] {
    const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,etimes=,stat=,wchan:24=,args='], { encoding: 'utf8' });
    const rows = ps.stdout.split('\n').filter(Boolean).map(line => {
        const [p, parent] = line.trim().split(/\s+/, 2).map(Number);
        return { pid: p, parent, line: line.trim().slice(0, 300) };
    });
    const found: { pid: number; line: string }[] = [];
    const walk = (of: number) => {
        for (const row of rows.filter(r => r.parent === of)) {
            found.push(row);
            walk(row.pid);
        }
    };
    walk(pid);
    return found;
}

/** Runs a command, reading its output to the end; past `timeoutMs` it reports who hung before anything is killed. */
function runWatched(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ status: number | null; output: string; hung?: string }> {
    return new Promise(resolve => {
        // PYTHONFAULTHANDLER: a Python process given SIGABRT prints every thread's stack before it dies (torchrun passes
        // the environment on to its workers), so a hang shows where each process was.
        const child = spawn(command, args, { cwd, env: { ...process.env, PYTHONFAULTHANDLER: '1' } });
        let output = '';
        let hung: string | undefined;
        child.stdout.setEncoding('utf8').on('data', text => { output += text; });
        child.stderr.setEncoding('utf8').on('data', text => { output += text; });
        const timer = setTimeout(() => {
            const alive = descendants(child.pid!);
            hung = `still running after ${timeoutMs / 1000} s (pid ppid seconds state wait command):\n${spawnSync('ps', ['-o', 'pid=,ppid=,etimes=,stat=,wchan:24=,args=', '-p', String(child.pid)], { encoding: 'utf8' }).stdout}${alive.map(p => p.line).join('\n')}`;
            for (const pid of [...alive.reverse().map(p => p.pid), child.pid!]) {
                try {
                    process.kill(pid, 'SIGABRT');
                } catch {
                    // gone meanwhile
                }
            }
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }, timeoutMs);
        child.on('close', status => {
            clearTimeout(timer);
            resolve({ status, output, hung });
        });
    });
}

/** A TCP port free on this machine a moment ago, for the rendezvous of one torchrun. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer().on('error', reject).listen(0, '127.0.0.1', () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/**
 * `torchrun --nproc_per_node 2 train.py ARGS…` in the script's folder, with the static rendezvous on a free port.
 * Not `--standalone`: its c10d rendezvous sends keep-alive heartbeats from a timer thread through the same TCPStore
 * client the agent's exit barrier uses when the workers are done (pytorch/pytorch#69520) — in CI, on a loaded
 * machine, torchrun hung after its workers had saved their last checkpoint, twice in a row, and only there;
 * `--standalone` also takes the fixed port 29400. A run whose ranks wrote no Python traceback yet failed or hung is
 * still run once more, and a hang shows which processes were left and their stacks. A traceback — an error of the
 * script — fails at once.
 */
async function torchrun(train: string, args: string[], attempt = 1): Promise<Training> {
    // The run resumes from a checkpoint it finds: one more try starts from the files as they were before this one
    // (the script's --checkpoint, default checkpoint.safetensors, and the optimizer's file beside it).
    const given = args.indexOf('--checkpoint');
    const checkpoint = given >= 0 ? args[given + 1] : 'checkpoint.safetensors';
    const checkpoints = [checkpoint, checkpoint.replace(/\.safetensors$/, '.optimizer.safetensors')].map(name => path.join(path.dirname(train), name))
        .map(file => ({ file, bytes: fs.existsSync(file) ? fs.readFileSync(file) : undefined }));
    const logs = path.join(dir, `torchrun-logs-${++runs}`);
    fs.mkdirSync(logs);
    const rendezvous = ['--nnodes', '1', '--master_addr', '127.0.0.1', '--master_port', String(await freePort())];
    const r = await runWatched(TORCHRUN, [...rendezvous, '--nproc_per_node', '2', '--redirects', '1', '--tee', '1', '--log_dir', logs, train, ...args],
        path.dirname(train), 150_000);
    const { output } = r;
    if (r.status !== 0 || r.hung) {
        const report = `torchrun ${r.hung ?? `exited with ${r.status}`}\n${output.slice(-6000)}\n${ranksStderr(logs).slice(-3000)}`;
        if (attempt === 1 && !/Traceback \(most recent call last\)/.test(report)) {
            console.warn(`${report}\nrunning it again`);
            for (const { file, bytes } of checkpoints) {
                if (bytes) fs.writeFileSync(file, bytes);
                else fs.rmSync(file, { force: true });
            }
            return torchrun(train, args, 2);
        }
        throw new Error(report);
    }
    const losses = new Map<number, number>();
    for (const m of output.matchAll(/step (\d+)\/\d+ epoch \d+ loss (\S+)/g)) losses.set(Number(m[1]), Number(m[2]));
    const checksums = new Map<number, Map<number, string>>();
    for (const m of output.matchAll(/rank (\d) step (\d+) weights ([0-9a-f]{16})/g)) {
        const step = Number(m[2]);
        if (!checksums.has(step)) checksums.set(step, new Map());
        checksums.get(step)!.set(Number(m[1]), m[3]);
    }
    return { output, losses, checksums };
}

/** Both ranks printed a checksum after every one of `steps`, and they agree. */
function expectRanksAgree(training: Training, steps: number[]): void {
    for (const step of steps) {
        const byRank = training.checksums.get(step);
        expect(byRank, `checksums after step ${step}`).toBeDefined();
        expect([...byRank!.keys()].sort()).toEqual([0, 1]);
        expect(byRank!.get(1), `rank 1's weights after step ${step}`).toBe(byRank!.get(0));
    }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * PyTorch's logits of the checkpoint: the exported module's class loaded with the checkpoint (its own load_weights,
 * which refuses a missing or unexpected key), in eval mode, on a seeded random input of the .convnet file's shape.
 * Writes the input and the logits as safetensors.
 */
const PYTORCH_LOGITS = `
import importlib.util, sys, torch
model_file, class_name, checkpoint, shape, input_file, logits_file = sys.argv[1:]
spec = importlib.util.spec_from_file_location('exported', model_file)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = getattr(module, class_name)().eval()
module.load_weights(model, checkpoint)
torch.manual_seed(1)
x = torch.randn(*[int(n) for n in shape.split(',')])
with torch.no_grad():
    logits = model(x)
module.save_safetensors({'input': x}, input_file)
module.save_safetensors({'logits': logits}, logits_file)
print(sorted(model.state_dict().keys())[:3])
`;

function tensorOf(file: string, name: string): Float32Array {
    const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)));
    return toFloat32(parsed.tensors.get(name)!);
}

/** `convnet run --weights CHECKPOINT` on PyTorch's input gives PyTorch's logits within 1e-4. */
function expectConvnetRunMatchesPytorch(example: string, model: string, className: string, checkpoint: string, shape: number[]): void {
    const work = path.dirname(model);
    const input = path.join(work, 'input.safetensors');
    const logits = path.join(work, 'logits.safetensors');
    const reference = spawnSync(PYTHON, ['-c', PYTORCH_LOGITS, model, className, checkpoint, shape.join(','), input, logits], { encoding: 'utf8', timeout: 120_000 });
    expect(reference.stderr).not.toMatch(/Error/);
    expect(reference.status).toBe(0);
    const output = path.join(work, 'convnet-logits.safetensors');
    const r = convnet('run', path.join(ROOT, 'examples', example), '--weights', checkpoint, '--input', input, '--output', output);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/weights: .*\.safetensors \(\d+ tensors/);
    const ours = tensorOf(output, 'output');
    const theirs = tensorOf(logits, 'logits');
    expect(ours.length).toBe(theirs.length);
    expect(relativeError(ours, theirs)).toBeLessThan(1e-4);
}

function checkpointMetadata(file: string): Record<string, string> {
    return parseSafetensors(new Uint8Array(fs.readFileSync(file))).metadata ?? {};
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('the exported training script under torchrun (2 CPU processes, Gloo)', () => {
    it('LeNet-5: the loss falls, both ranks hold the same weights after every step, the checkpoint runs in convnet with PyTorch\'s logits, and a restart resumes at the step it stopped with the weights of a run that never stopped', async () => {
        const { model, train } = exportWithScript('lenet5.convnet', 'lenet5');
        // 128 images, 8 per process and step: 8 steps per epoch; the schedule spans 2 epochs.
        const common = ['--data', 'synthetic', '--synthetic-size', '128', '--batch-size', '8', '--epochs', '2', '--lr', '0.5', '--log-every', '1', '--log-weights-checksum'];
        const whole = await torchrun(train, [...common, '--max-steps', '12', '--checkpoint', 'whole.safetensors']);
        expect(whole.output).toMatch(/LeNet5: 61,706 parameters; 2 process\(es\) on cpu \(gloo\); batch 8 per process, 16 in all; 8 steps per epoch, 16 in all/);
        expect([...whole.losses.keys()]).toEqual(range(1, 12));
        const losses = [...whole.losses.values()];
        expect(mean(losses.slice(-3))).toBeLessThan(0.7 * mean(losses.slice(0, 2)));
        expectRanksAgree(whole, range(1, 12));
        const checkpoint = path.join(path.dirname(train), 'whole.safetensors');
        expect(checkpointMetadata(checkpoint).step).toBe('12');
        expectConvnetRunMatchesPytorch('lenet5.convnet', model, 'LeNet5', checkpoint, [1, 1, 32, 32]);

        // Stopped after step 5 (part-way through the first epoch), then started again with the same command.
        const first = await torchrun(train, [...common, '--max-steps', '5', '--checkpoint', 'parts.safetensors']);
        expect([...first.checksums.keys()]).toEqual(range(1, 5));
        const second = await torchrun(train, [...common, '--max-steps', '12', '--checkpoint', 'parts.safetensors']);
        expect(second.output).toMatch(/resuming from parts\.safetensors at step 5/);
        expect([...second.checksums.keys()]).toEqual(range(6, 12));
        expectRanksAgree(second, range(6, 12));
        for (const step of range(6, 12)) expect(second.checksums.get(step)!.get(0), `weights after step ${step}`).toBe(whole.checksums.get(step)!.get(0));
    }, 600_000);

    it('ResNet-18 at 32×32: the loss falls, both ranks agree after every step, the checkpoint gives PyTorch\'s logits in convnet run at 224×224, and a restart resumes at the step it stopped', async () => {
        const { model, train } = exportWithScript('resnet18.convnet', 'resnet18');
        const common = ['--data', 'synthetic', '--synthetic-size', '64', '--batch-size', '4', '--image-size', '32', '--lr', '0.005', '--log-every', '1',
            '--log-weights-checksum', '--epochs', '1'];
        const first = await torchrun(train, [...common, '--max-steps', '5']);
        expect(first.output).toMatch(/ResNet18: 11,689,512 parameters; 2 process\(es\) on cpu \(gloo\); batch 4 per process, 8 in all; 8 steps per epoch, 8 in all; all-reduce of 44\.6 MiB/);
        expectRanksAgree(first, range(1, 5));
        const losses = [...first.losses.values()];
        expect(mean(losses.slice(-2))).toBeLessThan(0.8 * losses[0]);
        const checkpoint = path.join(path.dirname(train), 'checkpoint.safetensors');
        expect(checkpointMetadata(checkpoint).step).toBe('5');
        expectConvnetRunMatchesPytorch('resnet18.convnet', model, 'ResNet18', checkpoint, [1, 3, 224, 224]);

        const second = await torchrun(train, [...common, '--max-steps', '7']);
        expect(second.output).toMatch(/resuming from checkpoint\.safetensors at step 5/);
        expect([...second.checksums.keys()]).toEqual([6, 7]);
        expectRanksAgree(second, [6, 7]);
        expect(checkpointMetadata(checkpoint).step).toBe('7');
    }, 600_000);
});

describe('the training script: export and bad input', () => {
    it('--train without --pytorch is a usage error; a network that is not a classifier is refused in one line and nothing is written; an existing script is not replaced without --force', () => {
        const work = path.join(dir, 'refusals');
        fs.mkdirSync(work);
        const lenet = path.join(ROOT, 'examples', 'lenet5.convnet');
        const alone = convnet('export', lenet, '--train', path.join(work, 'train.py'));
        expect(alone.status).toBe(2);
        expect(alone.stderr.split('\n')[0]).toBe('convnet: --train writes a training script that imports the PyTorch module; give --pytorch MODEL.py too');

        const unet = convnet('export', path.join(ROOT, 'examples', 'unet.convnet'), '--pytorch', path.join(work, 'unet.py'), '--train', path.join(work, 'train.py'));
        expect(unet.status).toBe(1);
        expect(unet.stderr).toMatch(/^convnet: network UNet's output \S+ is [\d×]+; the training script trains a classifier, whose output is \[N, classes\]\n$/);
        expect(fs.readdirSync(work)).toEqual([]);

        const twice = convnet('export', lenet, '--pytorch', path.join(work, 'same.py'), '--train', path.join(work, 'same.py'));
        expect(twice.status).not.toBe(0);
        expect(twice.stderr).toMatch(/given twice as an output/);

        fs.writeFileSync(path.join(work, 'train.py'), 'mine\n');
        const kept = convnet('export', lenet, '--pytorch', path.join(work, 'model.py'), '--train', path.join(work, 'train.py'));
        expect(kept.status).not.toBe(0);
        expect(kept.stderr).toMatch(/train\.py.*--force/);
        expect(fs.readFileSync(path.join(work, 'train.py'), 'utf8')).toBe('mine\n');
        expect(fs.existsSync(path.join(work, 'model.py'))).toBe(false);
    });

    it('a module in another folder, with quotes and spaces in its path, is imported by its path; a hostile source file name stays text; the script is ASCII and runs from any folder', () => {
        const work = path.join(dir, 'odd');
        const models = path.join(work, 'models "a\' b');
        fs.mkdirSync(models, { recursive: true });
        const train = path.join(work, 'train.py');
        // A source file name that would end the docstring and run code, were it not escaped.
        const source = path.join(work, 'x"""; import os; os.system(\'touch pwned\') #.convnet');
        fs.copyFileSync(path.join(ROOT, 'examples', 'lenet5.convnet'), source);
        const r = convnet('export', source, '--pytorch', path.join(models, 'le-net".py'), '--train', train);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const text = fs.readFileSync(train, 'utf8');
        expect(/^[\x09\x0a\x20-\x7e]*$/.test(text)).toBe(true);
        expect(text).toContain('"models \\"a\' b/le-net\\".py"');
        const help = spawnSync(PYTHON, [train, '--help'], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 60_000 });
        expect(help.stderr).toBe('');
        expect(help.status).toBe(0);
        expect(help.stdout).toMatch(/Train LeNet5 with DistributedDataParallel/);
        expect(text).toContain('from x\\"\\"\\"; import os;');
        expect(fs.existsSync(path.join(os.tmpdir(), 'pwned'))).toBe(false);
    });

    it('a network named after a Python builtin the script calls (enumerate, min) trains: the class is imported as Network', () => {
        const work = path.join(dir, 'builtins');
        fs.mkdirSync(work);
        for (const name of ['enumerate', 'min']) {
            const source = path.join(work, `${name}.convnet`);
            fs.writeFileSync(source, `network ${name}(input: [1, 1, 8, 8]) {\n  return input -> flatten -> fc: linear(3)\n}\n`);
            const r = convnet('export', source, '--pytorch', path.join(work, `${name}.py`), '--train', path.join(work, `train_${name}.py`));
            expect(r.stderr).toBe('');
            const text = fs.readFileSync(path.join(work, `train_${name}.py`), 'utf8');
            expect(text).toContain(`from ${name} import ${name} as Network, load_weights`);
            const trained = spawnSync(PYTHON, [`train_${name}.py`, '--data', 'synthetic', '--batch-size', '2', '--max-steps', '1', '--workers', '0'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
            expect(trained.stderr).toBe('');
            expect(trained.status).toBe(0);
        }
    }, 120_000);

    it('as a plain python process on an ImageFolder of grey images: trains and saves; a size the network cannot take and a missing folder are one line each', () => {
        const { train } = exportWithScript('lenet5.convnet', 'folder');
        const images = path.join(path.dirname(train), 'images');
        const make = spawnSync(PYTHON, ['-c', `
import os, sys
from PIL import Image
root = sys.argv[1]
for label in ['circle', 'square']:
    os.makedirs(os.path.join(root, label))
    for i in range(4):
        Image.new('L', (40, 36), color=40 * i + (120 if label == 'square' else 0)).save(os.path.join(root, label, f'{i}.png'))
`, images], { encoding: 'utf8' });
        expect(make.status).toBe(0);
        const run = (...args: string[]) => spawnSync(PYTHON, [train, ...args], { cwd: path.dirname(train), encoding: 'utf8', timeout: 120_000 });
        const trained = run('--data', images, '--batch-size', '2', '--max-steps', '2', '--workers', '0', '--log-every', '1');
        expect(trained.stderr).toBe('');
        expect(trained.status).toBe(0);
        expect(trained.stdout).toMatch(/1 process\(es\) on cpu \(gloo\); batch 2 per process, 2 in all; 4 steps per epoch/);
        expect(trained.stdout).toMatch(/saved checkpoint\.safetensors at step 2/);
        expect(checkpointMetadata(path.join(path.dirname(train), 'checkpoint.safetensors')).step).toBe('2');

        const small = run('--data', 'synthetic', '--image-size', '20', '--fresh');
        expect(small.status).toBe(1);
        expect(small.stderr).toMatch(/^train\.py: LeNet5 cannot take 20 x 20 images \(.*\); the \.convnet file declares 32 x 32; choose another --image-size\n$/);
        const missing = run('--data', path.join(dir, 'no-such-folder'));
        expect(missing.status).toBe(1);
        expect(missing.stderr).toMatch(/^train\.py: --data .*no-such-folder: not a folder; give a folder of images with one subfolder per class, or 'synthetic'\n$/);
    }, 120_000);
});
