/**
 * Shared test set-up: language services are built once per test file on an in-memory file system, with the
 * built-in op library loaded, as the language server and the CLI have them.
 */
import { URI, type LangiumDocument } from 'langium';
import { EmptyFileSystem } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { createConvNetServices } from '../language/convnet-module.js';
import { ensureBuiltinLibrary } from '../language/builtin-library.js';
import { isNetwork, type Model } from '../language/generated/ast.js';
import { summarizeNetwork, type NetworkSummary } from '../language/analysis/summary.js';
import type { NetworkAnalysis } from '../language/analysis/network-analyzer.js';

const { shared, ConvNet } = createConvNetServices(EmptyFileSystem);
ensureBuiltinLibrary(shared);
let counter = 0;

export const services = ConvNet;

export interface Parsed {
    document: LangiumDocument<Model>;
    diagnostics: Diagnostic[];
    errors: Diagnostic[];
    warnings: Diagnostic[];
}

/**
 * Parses and validates `text` as a file at `path` (in memory). Other files it imports can be given in `files`
 * (path → text) and are built with it.
 */
export async function parse(text: string, options: { path?: string; files?: Record<string, string> } = {}): Promise<Parsed> {
    const documents = shared.workspace.LangiumDocuments;
    const factory = shared.workspace.LangiumDocumentFactory;
    const uri = URI.file(options.path ?? `/test/doc${++counter}.convnet`);
    const extra = Object.entries(options.files ?? {}).map(([p, t]) => {
        const u = URI.file(p);
        if (documents.hasDocument(u)) documents.deleteDocument(u);
        const d = factory.fromString(t, u);
        documents.addDocument(d);
        return d;
    });
    if (documents.hasDocument(uri)) documents.deleteDocument(uri);
    const document = factory.fromString<Model>(text, uri);
    documents.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document, ...extra, documents.getDocument(URI.parse('builtin:///convnet-library.convnet'))!], { validation: true });
    const diagnostics = document.diagnostics ?? [];
    return {
        document,
        diagnostics,
        errors: diagnostics.filter(d => d.severity === 1),
        warnings: diagnostics.filter(d => d.severity === 2),
    };
}

export function analyzeNetwork(parsed: Parsed, name?: string): NetworkAnalysis {
    const networks = parsed.document.parseResult.value.declarations.filter(isNetwork);
    const network = name ? networks.find(n => n.name === name) : networks[0];
    if (!network) throw new Error(`no network ${name ?? ''} in the document`);
    return ConvNet.analysis.NetworkAnalyzer.analyze(network);
}

/** Parses a file and summarises its (first or named) network; fails the test on any error. */
export async function summarize(text: string, name?: string): Promise<NetworkSummary> {
    const parsed = await parse(text);
    if (parsed.errors.length) throw new Error(`unexpected errors:\n${parsed.errors.map(e => `${e.range.start.line + 1}:${e.range.start.character + 1} ${e.message}`).join('\n')}`);
    return summarizeNetwork(analyzeNetwork(parsed, name).graph);
}

/** The text a diagnostic's range covers. */
export function textAt(parsed: Parsed, d: Diagnostic): string {
    return parsed.document.textDocument.getText(d.range);
}

/** Wraps one chain step in a network with the given input, for op-level tests. */
export function singleOp(input: readonly number[], step: string): string {
    return `network Test(input: [${input.join(', ')}]) {\n  return input -> ${step}\n}\n`;
}

/**
 * The one measure of agreement every comparison test uses: max |actual − reference| / max |reference| over the
 * reference's finite entries (the absolute error when they are all zero). A non-finite reference entry (−∞ from a
 * max-pool window wholly in the padding, a NaN propagated on purpose) must be matched exactly — the same infinity,
 * or NaN for NaN — and a NaN or infinity where the reference is finite makes the error Infinity. So a NaN never
 * passes by comparing false.
 */
export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < reference.length; i++) {
        const want = reference[i];
        const got = actual[i];
        if (!Number.isFinite(want)) {
            if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) return Infinity;
            continue;
        }
        const difference = Math.abs(got - want);
        if (!Number.isFinite(difference)) return Infinity;
        worst = Math.max(worst, difference);
        scale = Math.max(scale, Math.abs(want));
    }
    return scale === 0 ? worst : worst / scale;
}
