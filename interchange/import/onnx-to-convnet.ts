/**
 * ONNX → `.convnet`: the inverse of interchange/export/onnx.ts, and a reader for what torch.onnx.export writes for the
 * torchvision zoo. `importOnnx` decodes the model (onnx-model.ts) and checks it with the ONNX checker's rules
 * (check-model.ts), evaluates the shape arithmetic its outputs need within size limits (needed-nodes.ts,
 * constant-folding.ts), maps its nodes to the language's ops (recognize.ts) and writes a network with blocks and
 * lists named after the model's layers (write-convnet.ts), every piece of the model's own text passing through
 * convnet-text.ts. It is pure: bytes in, text and figures out; the CLI checks the text with the language before
 * writing it anywhere, so a text that does not check is the importer's mistake, never the model's.
 */
import { displayText, quoted } from '../../language/util/quote.js';
import { decodeModel, OnnxImportError } from './onnx-model.js';
import { convnetText, isReservedName, MAX_NAME } from './convnet-text.js';
import { recognizeModel, SUPPORTED_ONNX_OPS } from './recognize.js';
import { writeConvNet } from './write-convnet.js';

export { OnnxImportError, SUPPORTED_ONNX_OPS };

export interface OnnxImportOptions {
    /** The network's name; default: the graph's name, or the file's. */
    readonly networkName?: string;
    /** The model's file name, for messages and the file's header. */
    readonly source?: string;
}

export interface OnnxImport {
    readonly text: string;
    readonly networkName: string;
    readonly opset: number;
    /** The model's producer name and version, escaped for a message (one line, no control characters). */
    readonly producer: string;
    /** Layers of the imported network and the blocks written for its modules. */
    readonly layers: number;
    readonly blocks: number;
    /** Learned parameters (weights and biases), buffers (BN running statistics) and MACs, by the language's rules. */
    readonly params: number;
    readonly buffers: number;
    readonly macs: number;
    readonly inputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
    readonly outputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
    /** The model's names for the parameter tensors that have state_dict-like names (`layer1.0.conv1.weight`). */
    readonly parameterNames: readonly string[];
    /** Parameter tensors with generated names (`onnx::Conv_218`, a batch norm folded into its conv): named by their layers. */
    readonly generatedNames: number;
    /** Things the imported file's header also says (a symbolic batch size set to 1 …). */
    readonly notes: readonly string[];
}

const STATE_DICT_KEY = /^[\w-]+(\.[\w-]+)*\.(weight|bias|running_mean|running_var)$/;

const GENERIC_GRAPH_NAMES = new Set(['', 'main_graph', 'torch_jit', 'torch-jit-export', 'graph', 'model', 'tf2onnx']);

function networkNameFor(graphName: string, source: string | undefined): string {
    if (!GENERIC_GRAPH_NAMES.has(graphName) && /^[A-Za-z]\w*$/.test(graphName) && graphName.length <= MAX_NAME) return isReservedName(graphName) ? graphName.charAt(0).toUpperCase() + graphName.slice(1) : graphName;
    const base = (source ?? '').split(/[\\/]/).pop()!.replace(/\.onnx$/i, '');
    const camel = base.split(/[^A-Za-z0-9]+/).filter(Boolean).map(s => s.charAt(0).toUpperCase() + s.slice(1)).join('');
    return camel ? convnetText(/^\d/.test(camel) ? `Net${camel}` : camel, 'identifier') : 'Imported';
}

/**
 * The `.convnet` text of an ONNX model. Throws `OnnxImportError` for a file that is not ONNX, a model that breaks
 * ONNX's rules or the importer's limits, and a node the language cannot say (naming the op, the node and its index).
 */
export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): OnnxImport {
    const model = decodeModel(bytes, options.source ?? 'the file');
    const networkName = options.networkName ?? networkNameFor(model.graphName, options.source);
    if (!/^[A-Za-z_]\w*$/.test(networkName)) throw new OnnxImportError(`${quoted(networkName)} is not a network name (letters, digits and _, not starting with a digit)`);
    if (isReservedName(networkName)) throw new OnnxImportError(`${quoted(networkName)} cannot name a network: it is a keyword, an op or a built-in function of the language`);
    const graph = recognizeModel(model);
    const params = graph.layers.reduce((a, l) => a + l.paramCount, 0);
    const buffers = graph.layers.reduce((a, l) => a + l.bufferCount, 0);
    const macs = graph.layers.reduce((a, l) => a + l.macs, 0);
    const notes = [...graph.inputs.filter(i => i.note).map(i => `input ${quoted(i.name)}: ${i.note}`), ...graph.leftOut];
    const header = [
        `Imported from ${options.source ? options.source.split(/[\\/]/).pop() : 'an ONNX model'}${model.producer ? ` (made by ${model.producer}` : ' ('}${model.producer ? ', ' : ''}ONNX opset ${model.opset}) by \`convnet import\`.`,
        `${graph.layers.length} layer${graph.layers.length === 1 ? '' : 's'}; ${params.toLocaleString('en-US')} parameters, ${macs.toLocaleString('en-US')} MACs.`,
        ...notes,
    ];
    const written = writeConvNet(graph, { networkName, header });
    const shapeOf = (t: string) => graph.shapes.get(t)!;
    // A learned tensor of a module (`param`) has a key of any name (`layer_scale`); the others end in weight, bias, ….
    const names = graph.layers.flatMap(l => l.params.map(p => ({ name: p.paramName ?? p.tensor, parameter: l.op === 'parameter' })));
    const kept = names.filter(n => (n.parameter ? !n.name.includes('::') : STATE_DICT_KEY.test(n.name)));
    return {
        text: written.text,
        networkName,
        opset: model.opset,
        producer: displayText(model.producer, 200),
        layers: graph.layers.length,
        blocks: written.blocks,
        params,
        buffers,
        macs,
        inputs: graph.inputs.map(i => ({ name: i.name, shape: i.shape })),
        outputs: graph.outputs.map(o => ({ name: o.name, shape: shapeOf(o.tensor) })),
        parameterNames: kept.map(n => n.name),
        generatedNames: names.length - kept.length,
        notes,
    };
}
