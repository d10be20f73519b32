/** The `convnet` command: check and summarise `.convnet` files from a terminal. */
import { check, summary, type Output } from './commands.js';
import { FileNotFound } from '../language/node/load-files.js';

const USAGE = `usage:
  convnet check FILE…                               print problems as file:line:col: severity: message (exit 1 on errors)
  convnet summary FILE [--network NAME] [--json]    per-layer table (name, op, output shape, params, MACs) with totals`;

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
                const parsed = parseArgs(rest, ['network']);
                if (typeof parsed === 'string') return usage(io, parsed);
                const unknown = [...parsed.flags.keys()].find(f => !['network', 'json'].includes(f));
                if (unknown) return usage(io, `unknown option --${unknown}`);
                if (parsed.positional.length !== 1) return usage(io, 'summary takes exactly one file');
                return await summary(parsed.positional[0], { network: parsed.flags.get('network') as string | undefined, json: parsed.flags.has('json') }, io);
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
