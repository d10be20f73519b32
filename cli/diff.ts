/**
 * `convnet diff A.convnet[#Net] B.convnet[#Net]` and `convnet diff FILE[#Net] --git REV`: two designs side by side —
 * layers added, removed and changed, and the totals' deltas and ratios (language/analysis/diff.ts), as a table,
 * Markdown or JSON. A committed version is read with `git show REV:./FILE` (an argument array, bounded output), its
 * imports from the same revision.
 */
import * as path from 'node:path';
import type { LangiumDocument } from 'langium';
import { isNetwork, type Model } from '../language/generated/ast.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import { isRevision } from '../language/analysis/diff-sources.js';
import { loadGitVersion } from '../language/node/git-version.js';
import { diffNetworks } from '../language/analysis/diff.js';
import { renderDiff } from '../language/render/diff-report.js';
import type { ConvNetServices } from '../language/convnet-module.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { displayText } from '../language/util/quote.js';
import type { Output } from './commands.js';
import { printErrors } from './network-choice.js';

export interface DiffOptions {
    /** Compare the one file given with its version at this git revision. */
    readonly git?: string;
    readonly json?: boolean;
    readonly format?: 'markdown';
    /** Also list layers whose only change is their receptive field. */
    readonly all?: boolean;
}

/** `file.convnet#Network` → the file and the network; a `#` elsewhere belongs to the file's name. */
export function parseOperand(operand: string): { file: string; network?: string } {
    const hash = operand.lastIndexOf('#');
    if (hash > 0 && /\.convnet$/i.test(operand.slice(0, hash))) return { file: operand.slice(0, hash), network: operand.slice(hash + 1) };
    return { file: operand };
}

interface Loaded {
    readonly services: ConvNetServices;
    readonly document: LangiumDocument<Model>;
    /** How messages name it: `a.convnet`, `a.convnet (HEAD)`. */
    readonly shown: string;
}

const shownPath = (file: string) => displayText(path.relative(process.cwd(), path.resolve(file)) || file, 120);

/** The file as committed at `rev`, with its imports from the same revision. */
async function loadGitSide(file: string, rev: string): Promise<Loaded> {
    const { services, document } = await loadGitVersion(file, rev, shownPath);
    return { services, document, shown: `${shownPath(file)} (${displayText(rev, 60)})` };
}

async function loadFile(file: string): Promise<Loaded> {
    const { services, documents } = await loadConvNetFiles([file]);
    return { services, document: documents[0], shown: shownPath(file) };
}

/** The network's graph, or the exit code after saying why there is none. */
function chooseGraph(loaded: Loaded, wanted: string | undefined, preferred: string | undefined, io: Output): NetworkGraph | number {
    const { document, shown } = loaded;
    const errors = printErrors(document, shown, io);
    const networks = document.parseResult.value.declarations.filter(isNetwork).filter(n => n.name);
    const names = networks.map(n => n.name).join(', ') || 'none';
    if (wanted !== undefined && !networks.some(n => n.name === wanted)) {
        io.err(`convnet: ${shown}: no network named '${displayText(wanted)}' (it has ${names})`);
        return 2;
    }
    if (errors > 0) {
        io.err(`convnet: ${shown}: ${errors} error${errors === 1 ? '' : 's'}; fix ${errors === 1 ? 'it' : 'them'} to compare the network`);
        return 1;
    }
    if (networks.length === 0) {
        io.err(`convnet: ${shown}: no network to compare (declare one with: network Name(input: [1, 3, 224, 224]) { … })`);
        return 2;
    }
    let chosen = wanted !== undefined ? networks.find(n => n.name === wanted) : networks.length === 1 ? networks[0] : undefined;
    // Unnamed in a file of several: the one named like the other side's, if there is one.
    chosen ??= preferred !== undefined ? networks.find(n => n.name === preferred) : undefined;
    if (!chosen) {
        io.err(`convnet: ${shown} has ${networks.length} networks (${names}); name one as ${shown}#${networks[0].name}`);
        return 2;
    }
    return loaded.services.analysis.NetworkAnalyzer.analyze(chosen).graph;
}

export async function diffCommand(operands: readonly string[], options: DiffOptions, io: Output): Promise<number> {
    const [first, second] = operands.map(parseOperand);
    let before: Loaded;
    let after: Loaded;
    let beforeNetwork = first.network;
    let afterNetwork = second?.network ?? first.network;
    if (options.git !== undefined) {
        if (!isRevision(options.git)) {
            io.err(`convnet: --git takes a revision such as HEAD, HEAD~1, main or a commit, not '${displayText(options.git, 60)}'`);
            return 2;
        }
        after = await loadFile(first.file); // checks that the file is there and a .convnet file first
        before = await loadGitSide(first.file, options.git);
        beforeNetwork = first.network;
        afterNetwork = first.network;
    } else {
        before = await loadFile(first.file);
        after = await loadFile(second.file);
    }
    const a = chooseGraph(before, beforeNetwork, afterNetwork, io);
    if (typeof a === 'number') return a;
    const b = chooseGraph(after, afterNetwork, a.name, io);
    if (typeof b === 'number') return b;
    const diff = diffNetworks(a, b, { before: before.shown, after: after.shown });
    if (options.json) io.out(JSON.stringify(diff, null, 2));
    else io.out(renderDiff(diff, options.format ?? 'text', { all: options.all }));
    return 0;
}
