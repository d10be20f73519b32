/** The `convnet` command: check, summarise, run, export and import `.convnet` files from a terminal. */
import { check, graph, summary, type Output } from './commands.js';
import type { TableFormat } from '../language/render/summary-table.js';
import { FileNotFound } from '../language/node/load-files.js';
import { parseByteSize, parseNormalization, runCommand } from './run.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { ENGINE_CHOICES, type EngineChoice } from '../runtime/compute.js';

const USAGE = `usage:
  convnet check FILE…                               print problems as file:line:col: severity: message (exit 1 on errors)
  convnet summary FILE [--network NAME] [--json | --format markdown|csv|latex]
                                                    per-layer table (name, op, output shape, params, MACs) with totals
  convnet graph FILE [--network NAME] --svg OUT.svg  draw the network (the editor's graph view) as SVG
  convnet run FILE [options]                        run the network on the project's runtime: output shapes, min/max/mean/std,
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
      --profile                   time of every step (a conv with the batch norm and ReLU it absorbed is one), slowest first
      --engine fast|reference|typescript
                                  fast: WebAssembly SIMD on threads, batch norms folded (default); reference: TypeScript
                                  kernels layer by layer; typescript: the fast plan on TypeScript kernels (the fallback
                                  where WebAssembly SIMD is missing)
      --threads N                 threads of the fast engine (default: every core)
      --json                      the same report as JSON
  convnet export FILE [--network NAME] (--onnx OUT.onnx | --pytorch OUT.py)… [options]
                                                    leave the editor: an ONNX model (weights as initializers named
                                                    layer1.0.conv1.weight …) and/or PyTorch source (an nn.Module with the same
                                                    state_dict keys); nothing is written unless every export succeeds
      --weights W.safetensors     the weights, a state_dict by layer name (default: seeded init)
      --allow-unexpected          ignore tensors of the weights file that no layer has
      --seed N                    seed of the initialised weights (default 0)
      --opset N                   ONNX opset 13 … 21 (default 17; 19 for a network with deformconv)
                                  with --pytorch, --weights or --seed also writes OUT.safetensors beside OUT.py
  convnet import MODEL.onnx [--out FILE.convnet] [--network NAME]
                                                    an ONNX model (from convnet export or torch.onnx.export) as a .convnet
                                                    file: layers named by the model's parameter names, blocks for its
                                                    modules; checked to have the model's parameters, MACs and output
                                                    shape before it is written (to stdout without --out)
      --out FILE.convnet          where to write it; nothing is written if the import fails
      --network NAME              the network's name (default: the graph's or the file's name)`;

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
    const [command, ...rest] = argv;
    try {
        switch (command) {
            case 'check': {
                const parsed = parseArgs(rest, []);
                if (typeof parsed === 'string') return usage(io, parsed);
                if (parsed.flags.size) return usage(io, `unknown option --${[...parsed.flags.keys()][0]}`);
                if (parsed.positional.length === 0) return usage(io, 'check needs at least one file');
                return await check(parsed.positional, io);
            }
            case 'summary': {
                const parsed = parseArgs(rest, ['network', 'format']);
                if (typeof parsed === 'string') return usage(io, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['network', 'json', 'format'].includes(f));
                if (unknown) return usage(io, `unknown option --${unknown}`);
                if (parsed.positional.length !== 1) return usage(io, 'summary takes exactly one file');
                const format = parsed.flags.get('format') as string | undefined;
                if (format !== undefined && !['markdown', 'csv', 'latex'].includes(format)) return usage(io, `--format must be markdown, csv or latex, not '${format}'`);
                if (format !== undefined && parsed.flags.has('json')) return usage(io, 'give --json or --format, not both');
                return await summary(parsed.positional[0], { network: parsed.flags.get('network') as string | undefined, json: parsed.flags.has('json'), format: format as TableFormat | undefined }, io);
            }
            case 'graph': {
                const parsed = parseArgs(rest, ['network', 'svg']);
                if (typeof parsed === 'string') return usage(io, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['network', 'svg'].includes(f));
                if (unknown) return usage(io, `unknown option --${unknown}`);
                if (parsed.positional.length !== 1) return usage(io, 'graph takes exactly one file');
                const svg = parsed.flags.get('svg') as string | undefined;
                if (!svg) return usage(io, 'graph needs --svg OUT.svg');
                return await graph(parsed.positional[0], { network: parsed.flags.get('network') as string | undefined, svg }, io);
            }
            case 'run': {
                const valued = ['network', 'weights', 'input', 'seed', 'output', 'memory-budget', 'normalize', 'engine', 'threads'];
                const parsed = parseArgs(rest, valued);
                if (typeof parsed === 'string') return usage(io, parsed);
                const unknown = [...parsed.flags.keys()].find(f => ![...valued, 'profile', 'json', 'allow-unexpected'].includes(f));
                if (unknown) return usage(io, `unknown option --${unknown}`);
                if (parsed.positional.length !== 1) return usage(io, 'run takes exactly one file');
                const flag = (name: string) => parsed.flags.get(name) as string | undefined;
                const seedText = flag('seed');
                const seed = seedText === undefined ? undefined : Number(seedText);
                if (seed !== undefined && (!/^\d+$/.test(seedText!) || seed > 0xffffffff)) return usage(io, `--seed must be an integer from 0 to 4294967295, not '${seedText}'`);
                const budgetText = flag('memory-budget');
                const memoryBudget = budgetText === undefined ? undefined : parseByteSize(budgetText);
                if (budgetText !== undefined && memoryBudget === undefined) return usage(io, `--memory-budget must be a size such as 2GiB, 512MiB or 100000000 (bytes), not '${budgetText}'`);
                const normalizeText = flag('normalize');
                const normalize = normalizeText === undefined ? undefined : parseNormalization(normalizeText);
                if (normalizeText !== undefined && normalize === undefined) return usage(io, `--normalize must be 'imagenet' or MEAN,…/STD,… (one number per channel each, e.g. 0.5,0.5,0.5/0.25,0.25,0.25), not '${normalizeText}'`);
                const engine = flag('engine') as EngineChoice | undefined;
                if (engine !== undefined && !ENGINE_CHOICES.includes(engine)) return usage(io, `--engine must be 'fast', 'reference' or 'typescript', not '${engine}'`);
                const threadsText = flag('threads');
                const threads = threadsText === undefined ? undefined : Number(threadsText);
                if (threads !== undefined && (!/^\d+$/.test(threadsText!) || threads < 1 || threads > 256)) return usage(io, `--threads must be an integer from 1 to 256, not '${threadsText}'`);
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
                }, io);
            }
            case 'export': {
                const valued = ['network', 'onnx', 'pytorch', 'weights', 'seed', 'opset'];
                const parsed = parseArgs(rest, valued);
                if (typeof parsed === 'string') return usage(io, parsed);
                const unknown = [...parsed.flags.keys()].find(f => ![...valued, 'allow-unexpected'].includes(f));
                if (unknown) return usage(io, `unknown option --${unknown}`);
                if (parsed.positional.length !== 1) return usage(io, 'export takes exactly one file');
                const flag = (name: string) => parsed.flags.get(name) as string | undefined;
                if (!flag('onnx') && !flag('pytorch')) return usage(io, 'export needs --onnx OUT.onnx, --pytorch OUT.py or both');
                if (flag('weights') && flag('seed')) return usage(io, 'give --weights or --seed, not both');
                const seedText = flag('seed');
                if (seedText !== undefined && (!/^\d+$/.test(seedText) || Number(seedText) > 0xffffffff)) return usage(io, `--seed must be an integer from 0 to 4294967295, not '${seedText}'`);
                const opsetText = flag('opset');
                if (opsetText !== undefined && !/^\d+$/.test(opsetText)) return usage(io, `--opset must be a whole number (13 … 21), not '${opsetText}'`);
                return await exportCommand(parsed.positional[0], {
                    network: flag('network'),
                    onnx: flag('onnx'),
                    pytorch: flag('pytorch'),
                    weights: flag('weights'),
                    seed: seedText === undefined ? undefined : Number(seedText),
                    opset: opsetText === undefined ? undefined : Number(opsetText),
                    allowUnexpected: parsed.flags.has('allow-unexpected'),
                }, io);
            }
            case 'import': {
                const valued = ['out', 'network'];
                const parsed = parseArgs(rest, valued);
                if (typeof parsed === 'string') return usage(io, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !valued.includes(f));
                if (unknown) return usage(io, `unknown option --${unknown}`);
                if (parsed.positional.length !== 1) return usage(io, 'import takes exactly one ONNX file');
                const network = parsed.flags.get('network') as string | undefined;
                if (network !== undefined && !/^[A-Za-z_]\w*$/.test(network)) return usage(io, `--network must be a name (letters, digits and _, not starting with a digit), not '${network}'`);
                return await importCommand(parsed.positional[0], { out: parsed.flags.get('out') as string | undefined, network }, io);
            }
            case undefined:
            case 'help':
            case '--help':
            case '-h':
                io.out(USAGE);
                return command === undefined ? 2 : 0;
            default:
                return usage(io, `unknown command '${command}'`);
        }
    } catch (e) {
        if (e instanceof FileNotFound) {
            io.err(`convnet: ${e.message}`);
            return 2;
        }
        throw e;
    }
}

function usage(io: Output, problem: string): number {
    io.err(`convnet: ${problem}\n${USAGE}`);
    return 2;
}

/** Entry point of the bundled CLI (see cli/bin/convnet.cjs). */
export function run(argv: string[]): void {
    main(argv, { out: t => process.stdout.write(`${t}\n`), err: t => process.stderr.write(`${t}\n`) })
        .then(code => { process.exitCode = code; }, e => {
            process.stderr.write(`convnet: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
            process.exitCode = 70;
        });
}
