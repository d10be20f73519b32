/** The `convnet` command: check, summarise, run, export and import `.convnet` files from a terminal. */
import { check, graph, summary, type Output } from './commands.js';
import type { TableFormat } from '../language/render/summary-table.js';
import { FileNotFound } from '../language/node/load-files.js';
import { parseByteSize, parseNormalization, runCommand } from './run.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { diffCommand } from './diff.js';
import { calibrate } from './calibrate.js';
import { ENGINE_CHOICES, type EngineChoice } from '../runtime/compute.js';
import * as os from 'node:os';
import * as path from 'node:path';
import { displayText } from '../language/util/quote.js';
import { formatBytes } from '../language/util/format.js';
import { ReadRefused } from '../io/bounded-read.js';
import { WriteRefused } from '../io/safe-write.js';
import { parseBudget } from '../language/analysis/budgets.js';
import { CONVENTIONS, type ConventionName } from '../language/analysis/conventions.js';
import { INFERENCE_PRECISIONS, type InferencePrecision } from '../language/analysis/precision.js';
import { OPTIMIZERS, TRAINING_PRECISIONS, type Optimizer, type TrainingOptions, type TrainingPrecision } from '../language/analysis/training-memory.js';

/** What each command does and takes, shown by `convnet help`, `convnet COMMAND --help` and after a usage error. */
const COMMAND_USAGE: Record<string, string> = {
    check: `  convnet check FILE… [--budget "params<5M,macs<600M"]
                                                    print problems as file:line:col: severity: message (exit 1 on errors);
                                                    --budget: each network's params, macs, flops, memory (inference: peak
                                                    activations and weights) or memory(train, batch N[, adam][, mixed])
                                                    over its limit is an error too (CI: exit status 1)`,
    summary: `  convnet summary FILE [--network NAME] [--json | --format markdown|csv|latex]
                                                    per-layer table (name, op, output shape, params, MACs) with totals
      --convention torchvision|fvcore|thop|ptflops|paper
                                  also the total as that tool (or the papers) counts it, from the same op costs
      --precision fp32|fp16|bf16|int8
                                  bytes of weights, activations and memory traffic at that format; int8 also the
                                  bit-operations (BOPs = MACs × 8 × 8) of the layers that multiply
      --device NAME               bytes moved, intensity (FLOP/B), predicted time and bound (compute, memory or
                                  overhead) of every layer on a device: desktop-cpu-core, laptop-gpu, phone-arm-core,
                                  this-machine (measured by convnet calibrate) or a profile's .json; with --precision
      --insights                  ShuffleNet V2's guidelines (G1-G4) with what each costs on the device
      --sizes                     with size variables (network N(input: [1, 3, H, W], H: int = 224, W: int = 224)):
                                  every total as a formula of them, the total stride, the sizes at which a strided
                                  window leaves rows unread, and the smallest input that reaches the head
      --train                     the memory of a training step instead: parameters, gradients, optimizer state,
                                  what each layer keeps for its backward pass, the peak, what checkpointing a module
                                  would save, and the gradient all-reduce of data-parallel training
      --batch N                   samples per step (default: the network input's batch)
      --optimizer sgd|sgd-momentum|adam   (default sgd-momentum)
      --precision fp32|mixed      with --train: float32, or mixed (16-bit activations, float32 parameters,
                                  gradients and optimizer state)
      --fit SIZE                  also the largest batch whose peak fits SIZE, e.g. 8GiB, 512MiB`,
    diff: `  convnet diff A.convnet[#NET] B.convnet[#NET] [--all] [--json | --format markdown]
  convnet diff FILE.convnet[#NET] --git REV         compare two designs: layers added, removed and changed (aligned by name,
                                                    then by structure), with the totals' deltas and ratios. FILE#NET names
                                                    a network of a file of several (two networks of one file:
                                                    nets.convnet#A nets.convnet#B); --git compares the version of REV
                                                    (HEAD, HEAD~1, a branch, a commit) with the file as it is now;
                                                    --all also lists layers whose only change is their receptive field`,
    graph: `  convnet graph FILE [--network NAME] --svg OUT.svg [--force]
                                                    draw the network (the editor's graph view) as SVG`,
    run: `  convnet run FILE [options]                        run the network on the project's runtime: output shapes, min/max/mean/std,
                                                    top-5 of a vector output and the time
      --network NAME              the network to run (when the file declares several)
      --weights W.safetensors     a PyTorch state_dict saved as safetensors, by layer name (default: seeded init)
      --allow-unexpected          ignore tensors of the weights file that no layer has (default: an error)
      --input X.safetensors|X.npy|IMG.png|IMG.jpg
                                  the input(s) (default: standard normal from the seed); images are resized to H×W
      --normalize imagenet|M,…/S,…  per-channel mean and std for an image input (RGB in [0, 1] before)
      --seed N                    seeds the weights and the random inputs (default 0)
      --output OUT.safetensors    write every network output under its name
      --memory-budget SIZE        refuse a run that plans more, e.g. 512MiB, 2GiB (default), or bytes
      --profile                   time of every step (a conv with the batch norm and activation it absorbed is one), slowest first
      --engine fast|reference|typescript
                                  fast: WebAssembly SIMD on threads, batch norms folded (default); reference: TypeScript
                                  kernels layer by layer; typescript: the fast plan on TypeScript kernels (the fallback
                                  where WebAssembly SIMD is missing)
      --threads N                 threads of the fast engine (default: every core; more than the cores are capped)
      --json                      the same report as JSON`,
    export: `  convnet export FILE [--network NAME] (--onnx OUT.onnx | --pytorch OUT.py [--train TRAIN.py])… [options]
                                                    leave the editor: an ONNX model (weights as initializers named
                                                    layer1.0.conv1.weight …) and/or PyTorch source (an nn.Module with the same
                                                    state_dict keys); nothing is written unless every export succeeds
      --weights W.safetensors     the weights, a state_dict by layer name (default: seeded init)
      --allow-unexpected          ignore tensors of the weights file that no layer has
      --seed N                    seed of the initialised weights (default 0)
      --opset N                   ONNX opset 13 … 21 (default 17; 19 for a network with deformconv)
                                  with --pytorch, --weights or --seed also writes OUT.safetensors beside OUT.py
      --train TRAIN.py            with --pytorch, a torchrun-ready training script that imports the module: DDP (NCCL on
                                  GPUs, Gloo on CPU), ImageFolder or --data synthetic, SGD/AdamW with a cosine schedule,
                                  safetensors checkpoints under the .convnet names (convnet run --weights reads them), resume;
                                  e.g. torchrun --standalone --nproc_per_node 2 TRAIN.py --data synthetic`,
    calibrate: `  convnet calibrate [--threads N] [--out FILE.json] [--force] [--json]
                                                    measure this machine for summary --device this-machine: the FMA peak,
                                                    the sustained rates of dense, Winograd, depthwise and element-wise
                                                    layers, memory bandwidth and per-layer overhead, with the project's
                                                    engine (about 20 s); writes ~/.cache/convnet/this-machine.json
                                                    ($XDG_CACHE_HOME) or FILE.json
      --threads N                 threads of the engine (default: every core, as convnet run)`,
    import: `  convnet import MODEL.onnx [--out FILE.convnet] [--network NAME]
                                                    an ONNX model (from convnet export or torch.onnx.export) as a .convnet
                                                    file: layers named by the model's parameter names, blocks for its
                                                    modules; checked to have the model's parameters, MACs and output
                                                    shape before it is written (to stdout without --out)
      --out FILE.convnet          where to write it; nothing is written if the import fails
      --network NAME              the network's name (default: the graph's or the file's name)`,
};

const COMMON_OPTIONS = `Every command takes --help. Commands that write files (run --output, graph --svg, export, import --out) never
replace an existing file unless --force is given, and never write over a file they read. --debug adds the details
when something fails that should not have.`;

const USAGE = `usage:\n${Object.values(COMMAND_USAGE).join('\n')}\n\n${COMMON_OPTIONS}`;

function commandUsage(command: string): string {
    return `usage:\n${COMMAND_USAGE[command]}\n\n${COMMON_OPTIONS}`;
}

interface Parsed {
    positional: string[];
    flags: Map<string, string | true>;
}

function parseArgs(args: string[], valued: string[]): Parsed | string {
    const positional: string[] = [];
    const flags = new Map<string, string | true>();
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (!arg.startsWith('--')) {
            positional.push(arg);
            continue;
        }
        const [name, inline] = arg.slice(2).split('=', 2);
        if (valued.includes(name)) {
            const value = inline ?? args[++i];
            if (value === undefined) return `--${name} needs a value`;
            flags.set(name, value);
        } else if (inline === undefined) {
            flags.set(name, true);
        } else {
            return `--${name} takes no value`;
        }
    }
    return { positional, flags };
}

export async function main(argv: string[], io: Output): Promise<number> {
    const debug = argv.includes('--debug');
    const [command, ...rest] = argv.filter(a => a !== '--debug');
    if (command !== undefined && command in COMMAND_USAGE && rest.some(a => a === '--help' || a === '-h')) {
        io.out(commandUsage(command));
        return 0;
    }
    try {
        switch (command) {
            case 'check': {
                const parsed = parseArgs(rest, ['budget']);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => f !== 'budget');
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length === 0) return usage(io, command, 'check needs at least one file');
                const budgetText = parsed.flags.get('budget') as string | undefined;
                const budget = budgetText === undefined ? undefined : parseBudget(budgetText);
                if (budget && 'error' in budget) return usage(io, command, `--budget: ${displayText(budget.error, 400)}`);
                return await check(parsed.positional, io, budget?.items);
            }
            case 'summary': {
                const parsed = parseArgs(rest, ['network', 'format', 'batch', 'optimizer', 'precision', 'fit', 'convention', 'device']);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['network', 'json', 'format', 'train', 'batch', 'optimizer', 'precision', 'fit', 'convention', 'device', 'insights', 'sizes'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length !== 1) return usage(io, command, 'summary takes exactly one file');
                const format = parsed.flags.get('format') as string | undefined;
                if (format !== undefined && !['markdown', 'csv', 'latex'].includes(format)) return usage(io, command, `--format must be markdown, csv or latex, not '${displayText(String(format))}'`);
                if (format !== undefined && parsed.flags.has('json')) return usage(io, command, 'give --json or --format, not both');
                const train = trainingOptions(parsed.flags);
                if (typeof train === 'string') return usage(io, command, train);
                if (train && format !== undefined) return usage(io, command, 'give --train or --format, not both');
                const convention = parsed.flags.get('convention') as string | undefined;
                if (convention !== undefined && !(CONVENTIONS as readonly string[]).includes(convention)) return usage(io, command, `--convention must be torchvision, fvcore, thop, ptflops or paper, not '${displayText(String(convention))}'`);
                if (convention !== undefined && (train || format !== undefined)) return usage(io, command, `--convention goes with the summary itself, not with ${train ? '--train' : '--format'}`);
                // One --precision, two meanings: an inference format (bytes and BOPs) or, with --train, a training one.
                const precision = train ? undefined : parsed.flags.get('precision') as string | undefined;
                if (precision === 'mixed') return usage(io, command, '--precision mixed is a training format (16-bit activations, float32 weights); it goes with --train');
                if (precision !== undefined && !(INFERENCE_PRECISIONS as readonly string[]).includes(precision)) return usage(io, command, `--precision must be fp32, fp16, bf16 or int8 (or, with --train, fp32 or mixed), not '${displayText(String(precision))}'`);
                if (precision !== undefined && format !== undefined) return usage(io, command, '--precision goes with the summary itself or --json, not with --format');
                const device = parsed.flags.get('device') as string | undefined;
                if ((device !== undefined || parsed.flags.has('insights')) && (train || format !== undefined || convention !== undefined)) {
                    return usage(io, command, `--${device !== undefined ? 'device' : 'insights'} goes with the summary itself or --json, not with ${train ? '--train' : format !== undefined ? '--format' : '--convention'}`);
                }
                const sizes = parsed.flags.has('sizes');
                if (sizes && (train || format !== undefined || convention !== undefined || precision !== undefined || device !== undefined || parsed.flags.has('insights'))) {
                    return usage(io, command, '--sizes goes with the summary itself or --json, not with --train, --format, --convention, --precision, --device or --insights');
                }
                return await summary(parsed.positional[0], {
                    network: parsed.flags.get('network') as string | undefined, json: parsed.flags.has('json'), format: format as TableFormat | undefined, train,
                    convention: convention as ConventionName | undefined, precision: precision as InferencePrecision | undefined,
                    device, insights: parsed.flags.has('insights'), sizes,
                }, io);
            }
            case 'graph': {
                const parsed = parseArgs(rest, ['network', 'svg']);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['network', 'svg', 'force'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length !== 1) return usage(io, command, 'graph takes exactly one file');
                const svg = parsed.flags.get('svg') as string | undefined;
                if (!svg) return usage(io, command, 'graph needs --svg OUT.svg');
                return await graph(parsed.positional[0], { network: parsed.flags.get('network') as string | undefined, svg, force: parsed.flags.has('force') }, io);
            }
            case 'diff': {
                const parsed = parseArgs(rest, ['format', 'git']);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['format', 'git', 'json', 'all'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                const git = parsed.flags.get('git') as string | undefined;
                const wanted = git === undefined ? 2 : 1;
                if (parsed.positional.length !== wanted) return usage(io, command, git === undefined ? 'diff takes two files (or one file and --git REV)' : 'diff --git REV takes one file');
                const format = parsed.flags.get('format') as string | undefined;
                if (format !== undefined && format !== 'markdown') return usage(io, command, `--format must be markdown, not '${displayText(String(format))}'`);
                if (format !== undefined && parsed.flags.has('json')) return usage(io, command, 'give --json or --format, not both');
                return await diffCommand(parsed.positional, { git, json: parsed.flags.has('json'), format: format as 'markdown' | undefined, all: parsed.flags.has('all') }, io);
            }
            case 'run': {
                const valued = ['network', 'weights', 'input', 'seed', 'output', 'memory-budget', 'normalize', 'engine', 'threads'];
                const parsed = parseArgs(rest, valued);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => ![...valued, 'profile', 'json', 'allow-unexpected', 'force'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length !== 1) return usage(io, command, 'run takes exactly one file');
                const flag = (name: string) => parsed.flags.get(name) as string | undefined;
                const seedText = flag('seed');
                const seed = seedText === undefined ? undefined : Number(seedText);
                if (seed !== undefined && (!/^\d+$/.test(seedText!) || seed > 0xffffffff)) return usage(io, command, `--seed must be an integer from 0 to 4294967295, not '${displayText(String(seedText))}'`);
                const budgetText = flag('memory-budget');
                const memoryBudget = budgetText === undefined ? undefined : parseByteSize(budgetText);
                if (budgetText !== undefined && memoryBudget === undefined) return usage(io, command, `--memory-budget must be a size such as 2GiB, 512MiB or 100000000 (bytes), not '${displayText(String(budgetText))}'`);
                if (memoryBudget !== undefined && memoryBudget > os.totalmem()) return usage(io, command, `--memory-budget ${displayText(String(budgetText))} is more than this machine's memory (${formatBytes(os.totalmem())}); give at most that`);
                const normalizeText = flag('normalize');
                const normalize = normalizeText === undefined ? undefined : parseNormalization(normalizeText);
                if (normalizeText !== undefined && normalize === undefined) return usage(io, command, `--normalize must be 'imagenet' or MEAN,…/STD,… (one number per channel each, e.g. 0.5,0.5,0.5/0.25,0.25,0.25), not '${displayText(String(normalizeText))}'`);
                const engine = flag('engine') as EngineChoice | undefined;
                if (engine !== undefined && !ENGINE_CHOICES.includes(engine)) return usage(io, command, `--engine must be 'fast', 'reference' or 'typescript', not '${displayText(String(engine))}'`);
                const threadsText = flag('threads');
                const threads = threadsText === undefined ? undefined : Number(threadsText);
                if (threads !== undefined && (!/^\d+$/.test(threadsText!) || threads < 1 || threads > 256)) return usage(io, command, `--threads must be an integer from 1 to 256, not '${displayText(String(threadsText))}'`);
                const output = flag('output');
                if (output !== undefined && !/\.safetensors$/i.test(output)) return usage(io, command, `--output writes a .safetensors file (every output by name); '${displayText(output)}' does not end in .safetensors`);
                return await runCommand(parsed.positional[0], {
                    network: flag('network'),
                    weights: flag('weights'),
                    input: flag('input'),
                    seed,
                    output: flag('output'),
                    profile: parsed.flags.has('profile'),
                    json: parsed.flags.has('json'),
                    memoryBudget,
                    normalize,
                    allowUnexpected: parsed.flags.has('allow-unexpected'),
                    engine,
                    threads,
                    force: parsed.flags.has('force'),
                }, io);
            }
            case 'export': {
                const valued = ['network', 'onnx', 'pytorch', 'train', 'weights', 'seed', 'opset'];
                const parsed = parseArgs(rest, valued);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => ![...valued, 'allow-unexpected', 'force'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length !== 1) return usage(io, command, 'export takes exactly one file');
                const flag = (name: string) => parsed.flags.get(name) as string | undefined;
                if (flag('train') && !flag('pytorch')) return usage(io, command, '--train writes a training script that imports the PyTorch module; give --pytorch MODEL.py too');
                if (!flag('onnx') && !flag('pytorch')) return usage(io, command, 'export needs --onnx OUT.onnx, --pytorch OUT.py or both');
                if (flag('weights') && flag('seed')) return usage(io, command, 'give --weights or --seed, not both');
                const seedText = flag('seed');
                if (seedText !== undefined && (!/^\d+$/.test(seedText) || Number(seedText) > 0xffffffff)) return usage(io, command, `--seed must be an integer from 0 to 4294967295, not '${displayText(String(seedText))}'`);
                const opsetText = flag('opset');
                if (opsetText !== undefined && !/^\d+$/.test(opsetText)) return usage(io, command, `--opset must be a whole number (13 … 21), not '${displayText(String(opsetText))}'`);
                return await exportCommand(parsed.positional[0], {
                    network: flag('network'),
                    onnx: flag('onnx'),
                    pytorch: flag('pytorch'),
                    train: flag('train'),
                    weights: flag('weights'),
                    seed: seedText === undefined ? undefined : Number(seedText),
                    opset: opsetText === undefined ? undefined : Number(opsetText),
                    allowUnexpected: parsed.flags.has('allow-unexpected'),
                    force: parsed.flags.has('force'),
                }, io);
            }
            case 'calibrate': {
                const parsed = parseArgs(rest, ['threads', 'out']);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['threads', 'out', 'force', 'json'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length) return usage(io, command, 'calibrate takes no file (it measures this machine)');
                const threadsText = parsed.flags.get('threads') as string | undefined;
                if (threadsText !== undefined && (!/^\d+$/.test(threadsText) || Number(threadsText) < 1 || Number(threadsText) > 256)) return usage(io, command, `--threads must be an integer from 1 to 256, not '${displayText(String(threadsText))}'`);
                const out = parsed.flags.get('out') as string | undefined;
                if (out !== undefined && !/\.json$/i.test(out)) return usage(io, command, `--out writes a device profile as .json; '${displayText(out)}' does not end in .json`);
                return await calibrate({ threads: threadsText === undefined ? undefined : Number(threadsText), out, force: parsed.flags.has('force'), json: parsed.flags.has('json') }, io);
            }
            case 'import': {
                const valued = ['out', 'network'];
                const parsed = parseArgs(rest, valued);
                if (typeof parsed === 'string') return usage(io, command, parsed);
                const unknown = [...parsed.flags.keys()].find(f => ![...valued, 'force'].includes(f));
                if (unknown) return usage(io, command, `unknown option --${displayText(unknown)}`);
                if (parsed.positional.length !== 1) return usage(io, command, 'import takes exactly one ONNX file');
                const network = parsed.flags.get('network') as string | undefined;
                if (network !== undefined && !/^[A-Za-z_]\w*$/.test(network)) return usage(io, command, `--network must be a name (letters, digits and _, not starting with a digit), not '${displayText(String(network))}'`);
                return await importCommand(parsed.positional[0], { out: parsed.flags.get('out') as string | undefined, network, force: parsed.flags.has('force') }, io);
            }
            case undefined:
            case 'help':
            case '--help':
            case '-h':
                io.out(USAGE);
                return command === undefined ? 2 : 0;
            default:
                return usage(io, command, `unknown command '${displayText(command)}'`);
        }
    } catch (e) {
        if (isUserFacing(e)) {
            io.err(`convnet: ${e.message}`);
            return e instanceof FileNotFound || e instanceof ReadRefused ? 2 : 1;
        }
        // Not the input's fault: one sentence for the user, the details only when asked for.
        io.err(`convnet: internal error — please report it${debug ? `:\n${e instanceof Error ? e.stack : String(e)}` : ' (run again with --debug for the details)'}`);
        return 70;
    }
}

/** Errors whose message is written for the user (names the file, what is wrong and what to do). */
function isUserFacing(e: unknown): e is Error {
    return e instanceof FileNotFound || e instanceof ReadRefused || e instanceof WriteRefused;
}

/** `summary --train`'s options, undefined without --train, or what is wrong with them. */
function trainingOptions(flags: Map<string, string | true>): (TrainingOptions & { fit?: number }) | undefined | string {
    const given = ['batch', 'optimizer', 'fit'].filter(f => flags.has(f));
    if (!flags.has('train')) return given.length ? `--${given[0]} goes with --train (the memory of a training step)` : undefined;
    const text = (name: string) => flags.get(name) as string | undefined;
    const batchText = text('batch');
    const batch = batchText === undefined ? undefined : Number(batchText);
    if (batchText !== undefined && (!/^\d+$/.test(batchText) || batch! < 1 || batch! > 2 ** 31)) return `--batch must be a whole number of samples from 1 to 2147483648, not '${displayText(batchText)}'`;
    const optimizer = text('optimizer') ?? 'sgd-momentum';
    if (!(OPTIMIZERS as readonly string[]).includes(optimizer)) return `--optimizer must be sgd, sgd-momentum or adam, not '${displayText(optimizer)}'`;
    const precision = text('precision') ?? 'fp32';
    if (!(TRAINING_PRECISIONS as readonly string[]).includes(precision)) {
        return (INFERENCE_PRECISIONS as readonly string[]).includes(precision)
            ? `--train counts float32 or mixed-precision training: --precision must be fp32 or mixed with --train, not '${displayText(precision)}'`
            : `--precision must be fp32 or mixed, not '${displayText(precision)}'`;
    }
    const fitText = text('fit');
    const fit = fitText === undefined ? undefined : parseByteSize(fitText);
    if (fitText !== undefined && fit === undefined) return `--fit must be a memory size such as 8GiB, 512MiB or 100000000 (bytes), not '${displayText(fitText)}'`;
    return { batch, optimizer: optimizer as Optimizer, precision: precision as TrainingPrecision, ...(fit !== undefined ? { fit } : {}) };
}

function usage(io: Output, command: string | undefined, problem: string): number {
    io.err(`convnet: ${problem}\n${command !== undefined && command in COMMAND_USAGE ? commandUsage(command) : USAGE}`);
    return 2;
}

/** Entry point of the bundled CLI (see cli/bin/convnet.cjs). */
export function run(argv: string[]): void {
    main(argv, { out: t => process.stdout.write(`${t}\n`), err: t => process.stderr.write(`${t}\n`) })
        .then(code => { process.exitCode = code; }, () => {
            process.stderr.write('convnet: internal error — please report it\n');
            process.exitCode = 70;
        });
}

// The bundle run directly (`node out/cli.cjs …`) would otherwise do nothing and exit 0, being a module that the
// command's entry point loads: hand over to that entry point (cli/bin/convnet.cjs), which checks Node's version and
// calls `run` on this same module.
if (typeof require === 'function' && typeof module === 'object' && require.main === module) {
    require(path.join(__dirname, '..', 'cli', 'bin', 'convnet.cjs'));
}
