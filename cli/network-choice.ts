/**
 * The network a command acts on: loads the file, prints its errors as file:line:col, and picks the network
 * named by --network (or the only one). `verb` says what the command would do ("run", "export").
 */
import * as path from 'node:path';
import type { LangiumDocument } from 'langium';
import { isNetwork } from '../language/generated/ast.js';
import { loadConvNetFiles } from '../language/node/load-files.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import type { Output } from './commands.js';
import { displayText } from '../language/util/quote.js';

/** Prints the document's errors as `shown:line:col: error: message` on stderr; returns how many there were. */
export function printErrors(document: LangiumDocument, shown: string, io: Output): number {
    let errors = 0;
    for (const d of document.diagnostics ?? []) {
        if (d.severity !== 1) continue;
        errors++;
        io.err(`${shown}:${d.range.start.line + 1}:${d.range.start.character + 1}: error: ${d.message}`);
    }
    return errors;
}

/** The chosen network's graph, or the exit code when there is none to act on. */
export async function chooseNetwork(file: string, network: string | undefined, verb: string, io: Output): Promise<NetworkGraph | number> {
    const { documents, services } = await loadConvNetFiles([file]);
    const document = documents[0];
    const shown = displayText(path.relative(process.cwd(), document.uri.fsPath) || document.uri.fsPath, 120);
    const errors = printErrors(document, shown, io);
    const networks = document.parseResult.value.declarations.filter(isNetwork).filter(n => n.name);
    if (network && !networks.some(n => n.name === network)) {
        io.err(`convnet: ${shown}: no network named '${displayText(network)}' (it has ${networks.map(n => n.name).join(', ') || 'none'})`);
        return 2;
    }
    if (errors > 0) {
        io.err(`convnet: ${shown}: ${errors} error${errors === 1 ? '' : 's'}; fix ${errors === 1 ? 'it' : 'them'} to ${verb} the network`);
        return 1;
    }
    if (networks.length === 0) {
        io.err(`convnet: ${shown}: no network to ${verb} (declare one with: network Name(input: [1, 3, 224, 224]) { … })`);
        return 2;
    }
    if (!network && networks.length > 1) {
        io.err(`convnet: ${shown} has ${networks.length} networks (${networks.map(n => n.name).join(', ')}); choose one with --network NAME`);
        return 2;
    }
    const chosen = network ? networks.find(n => n.name === network)! : networks[0];
    return services.analysis.NetworkAnalyzer.analyze(chosen).graph;
}
