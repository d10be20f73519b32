/**
 * `convnet import MODEL.onnx [--out FILE.convnet] [--network NAME]`: an ONNX model as a `.convnet` file. The text
 * is checked by the language before it goes anywhere — it must have no errors, and its parameters, MACs and output
 * shapes must be the model's — so a failed import writes nothing.
 */
import { readFileBounded } from '../io/bounded-read.js';
import { checkWrites, writeFilesSafely, type WriteOptions } from '../io/safe-write.js';
import { FORCE_HINT } from './outputs.js';
import * as path from 'node:path';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { createConvNetServices } from '../language/convnet-module.js';
import { ensureBuiltinLibrary } from '../language/builtin-library.js';
import { isNetwork, type Model } from '../language/generated/ast.js';
import { stateDictKey } from '../language/elaboration/graph.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { withCommas } from '../language/util/format.js';
import { displayText, quoted } from '../language/util/quote.js';
import { importOnnx, OnnxImportError, type OnnxImport } from '../interchange/import/onnx-to-convnet.js';
import type { Output } from './commands.js';

export interface ImportCommandOptions {
    out?: string;
    network?: string;
    /** Replace an existing --out file. */
    force?: boolean;
}

export interface ImportCheck {
    readonly errors: string[];
    readonly warnings: string[];
    /** The parameter tensors whose state_dict key is the model's name for them. */
    readonly namesKept: number;
    readonly namesChanged: string[];
}

/**
 * Parses `text` (as the file `file` would be) and compares what the language computes with what the importer
 * read from the model: the same parameters, MACs and output shapes, or a problem per difference.
 */
export async function checkImported(result: OnnxImport, file: string): Promise<ImportCheck> {
    const { shared, ConvNet } = createConvNetServices(NodeFileSystem);
    const library = ensureBuiltinLibrary(shared);
    const documents = shared.workspace.LangiumDocuments;
    const document = shared.workspace.LangiumDocumentFactory.fromString<Model>(result.text, URI.file(path.resolve(file)));
    documents.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document, library], { validation: true });
    const where = (d: { range: { start: { line: number; character: number } } }) => `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
    const diagnostics = document.diagnostics ?? [];
    const errors = diagnostics.filter(d => d.severity === 1).map(d => `${where(d)}: ${d.message}`);
    const warnings = diagnostics.filter(d => d.severity === 2).map(d => `${where(d)}: ${d.message}`);
    const network = document.parseResult.value.declarations.filter(isNetwork).find(n => n.name === result.networkName);
    if (!network) return { errors: [...errors, `the text has no network ${result.networkName}`], warnings, namesKept: 0, namesChanged: [] };
    if (errors.length) return { errors, warnings, namesKept: 0, namesChanged: [] };
    const graph = ConvNet.analysis.NetworkAnalyzer.analyze(network).graph;
    const outputs = graph.outputs.map(o => graph.tensors[o.tensor].shape);
    if (graph.totals.params !== result.params) errors.push(`the network has ${withCommas(graph.totals.params)} parameters, the model ${withCommas(result.params)}`);
    if (graph.totals.macs !== result.macs) errors.push(`the network has ${withCommas(graph.totals.macs)} MACs, the model ${withCommas(result.macs)}`);
    if (outputs.map(formatShape).join(', ') !== result.outputs.map(o => formatShape(o.shape)).join(', ')) {
        errors.push(`the network's outputs are ${outputs.map(formatShape).join(', ')}, the model's ${result.outputs.map(o => formatShape(o.shape)).join(', ')}`);
    }
    const keys = new Set(graph.nodes.flatMap(n => n.params.map(p => stateDictKey(n.name, p.name))));
    const namesChanged = result.parameterNames.filter(n => !keys.has(n));
    return { errors, warnings, namesKept: result.parameterNames.length - namesChanged.length, namesChanged };
}

export async function importCommand(file: string, options: ImportCommandOptions, io: Output): Promise<number> {
    const writing: WriteOptions = { replace: options.force, replaceHint: FORCE_HINT, inputs: [{ file, label: 'the ONNX model' }] };
    if (options.out) checkWrites([options.out], writing);
    const bytes = readFileBounded(file, 'model', 'the ONNX model');
    let result: OnnxImport;
    try {
        result = importOnnx(bytes, { source: file, networkName: options.network });
    } catch (e) {
        if (e instanceof OnnxImportError) {
            io.err(`convnet: ${displayText(file, 120)}: ${e.message}`);
            return 1;
        }
        throw e;
    }
    const shown = options.out ?? `${path.basename(file).replace(/\.onnx$/i, '')}.convnet`;
    const check = await checkImported(result, shown);
    if (check.errors.length) {
        io.err(`convnet: ${displayText(file, 120)}: the translation does not check clean (internal error — please report; nothing written):\n  ${check.errors.join('\n  ')}`);
        return 1;
    }
    if (options.out) {
        writeFilesSafely([{ file: options.out, bytes: result.text }], writing);
    } else {
        io.out(result.text.trimEnd());
    }
    const total = result.parameterNames.length;
    const kept = check.namesChanged.length === 0
        ? `${total === 1 ? 'the' : `all ${total}`} parameter tensor${total === 1 ? '' : 's'} with state_dict names keep${total === 1 ? 's' : ''} ${total === 1 ? 'its name' : 'their names'}`
        : `${check.namesKept} of ${total} parameter tensors keep their state_dict names (not: ${check.namesChanged.slice(0, 2).map(n => quoted(n)).join(', ')}${check.namesChanged.length > 2 ? ' …' : ''})`;
    const generated = result.generatedNames ? `; ${result.generatedNames} with generated names (onnx::…) are named after their layers` : '';
    const names = total ? `${kept}${generated}` : `the model's parameters have generated names; they are named after their layers`;
    io.err([
        `${displayText(options.out ?? 'stdout', 120)}: network ${result.networkName} from ${result.producer ? displayText(result.producer) : 'an unnamed producer'} (opset ${result.opset}): ${result.layers} layers${result.blocks ? `, ${result.blocks} block${result.blocks === 1 ? '' : 's'}` : ''}`,
        `  ${withCommas(result.params)} parameters, ${withCommas(result.macs)} MACs; ${result.inputs.map(i => `${displayText(i.name)} ${formatShape(i.shape)}`).join(', ')} → ${result.outputs.map(o => formatShape(o.shape)).join(', ')}`,
        `  ${names}`,
        ...result.notes.map(n => `  note: ${displayText(n, 300)}`),
        ...check.warnings.map(w => `  warning: ${w}`),
    ].join('\n'));
    return 0;
}
