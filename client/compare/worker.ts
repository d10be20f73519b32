/**
 * Compares two networks off the editor's thread (a worker thread of the extension host) with the code `convnet diff`
 * uses: each side loaded and elaborated (language/analysis/diff-sources.ts for text and git versions, the Node loader
 * for files), then aligned by language/analysis/diff.ts.
 */
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { LangiumDocument } from 'langium';
import { isNetwork, type Model } from '../../language/generated/ast.js';
import { FileNotFound, loadConvNetFiles } from '../../language/node/load-files.js';
import { loadSourceText, type ImportReader } from '../../language/analysis/diff-sources.js';
import { loadGitVersion } from '../../language/node/git-version.js';
import { displayText } from '../../language/util/quote.js';
import { diffNetworks } from '../../language/analysis/diff.js';
import { compareGraph } from './graph-marks.js';
import type { ConvNetServices } from '../../language/convnet-module.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { ReadRefused, readFileBounded } from '../../io/bounded-read.js';
import type { CompareSource, FromCompareWorker, StartCompare } from './messages.js';

/** Imports of an editor's text come from the disk, bounded as every source read is. */
const importFromDisk: ImportReader = async uri => {
    try {
        return { text: new TextDecoder().decode(readFileBounded(uri.fsPath, 'source', 'an imported .convnet file')) };
    } catch (e) {
        return /no such file/.test(String((e as Error).message)) ? undefined : { problem: (e as Error).message };
    }
};

async function load(source: CompareSource): Promise<{ services: ConvNetServices; document: LangiumDocument<Model> }> {
    if (source.kind === 'text') return loadSourceText({ uri: source.uri, text: source.text }, importFromDisk);
    if (source.kind === 'file') {
        const { services, documents } = await loadConvNetFiles([source.path]);
        return { services, document: documents[0] };
    }
    // Files are named in messages as the picker named them: the main one by its label, imports relative to it.
    return loadGitVersion(source.path, source.rev, file => (file === path.resolve(source.path) ? source.label : displayText(path.relative(path.dirname(source.path), file), 120)));
}

function graphOf(side: 'before' | 'after', source: CompareSource, loaded: { services: ConvNetServices; document: LangiumDocument<Model> }, preferred?: string): NetworkGraph | FromCompareWorker {
    const errors = (loaded.document.diagnostics ?? []).filter(d => d.severity === 1);
    const networks = loaded.document.parseResult.value.declarations.filter(isNetwork).filter(n => n.name);
    if (source.network !== undefined && !networks.some(n => n.name === source.network)) {
        return { type: 'error', message: `${source.label} has no network named '${source.network}' (it has ${networks.map(n => n.name).join(', ') || 'none'}).` };
    }
    if (errors.length > 0) {
        const first = errors[0];
        return { type: 'error', message: `${source.label} has ${errors.length} error${errors.length === 1 ? '' : 's'} (line ${first.range.start.line + 1}: ${first.message}); fix ${errors.length === 1 ? 'it' : 'them'} to compare.` };
    }
    if (networks.length === 0) return { type: 'error', message: `${source.label} declares no network.` };
    const chosen = source.network !== undefined ? networks.find(n => n.name === source.network)
        : networks.length === 1 ? networks[0] : networks.find(n => n.name === preferred);
    if (!chosen) return { type: 'choose', side, networks: networks.map(n => n.name) };
    return loaded.services.analysis.NetworkAnalyzer.analyze(chosen).graph;
}

function post(message: FromCompareWorker): void {
    parentPort!.postMessage(message);
}

parentPort!.once('message', async ({ before, after }: StartCompare) => {
    try {
        const a = graphOf('before', before, await load(before), after.network);
        if (!('nodes' in a)) return post(a);
        const b = graphOf('after', after, await load(after), a.name);
        if (!('nodes' in b)) return post(b);
        const diff = diffNetworks(a, b, { before: before.label, after: after.label });
        post({ type: 'diff', diff, afterUri: b.uri, graph: await compareGraph(diff, b) });
    } catch (e) {
        // Refusals (a file that is not there, git's answer) are written for the person; anything else is a bug.
        const error = e instanceof Error ? e : new Error(String(e));
        const expected = error instanceof FileNotFound || error instanceof ReadRefused;
        post({ type: 'error', message: expected ? error.message : `internal error: ${error.message}` });
    }
});
