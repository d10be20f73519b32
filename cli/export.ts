/**
 * `convnet export`: a network of a `.convnet` file as an ONNX model (with seeded or loaded weights as initializers
 * under their state_dict names) and/or as PyTorch source (an nn.Module whose state_dict keys are the same names).
 * Every export is built in memory first; files are written only when all of them succeeded, so a failed export
 * leaves nothing behind.
 */
import { chooseNetwork } from './network-choice.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import { exportOnnx, OnnxExportError } from '../runtime/export/onnx.js';
import { exportPytorch, PytorchExportError } from '../runtime/export/pytorch.js';
import { encodeSafetensors, loadParametersFromBytes, SafetensorsError, WeightsError } from '../runtime/safetensors.js';
import { initializeParameters, type ParameterStore } from '../runtime/weights.js';
import { formatBytes } from '../language/util/format.js';
import type { Output } from './commands.js';

export interface ExportCommandOptions {
    network?: string;
    onnx?: string;
    pytorch?: string;
    weights?: string;
    seed?: number;
    opset?: number;
    allowUnexpected?: boolean;
}

class ExportCommandError extends Error {}

const EXPECTED = [ExportCommandError, OnnxExportError, PytorchExportError, SafetensorsError, WeightsError];

function parametersFor(graph: NetworkGraph, options: ExportCommandOptions): { store: ParameterStore; described: string } {
    if (options.weights) {
        let bytes: Uint8Array;
        try {
            bytes = fs.readFileSync(options.weights);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            throw new ExportCommandError(`${options.weights}: cannot read the weights${code === 'ENOENT' ? ': no such file' : `: ${(e as Error).message}`}`);
        }
        const loaded = loadParametersFromBytes(graph, bytes, { source: options.weights, allowUnexpected: options.allowUnexpected });
        return { store: loaded.store, described: `weights from ${options.weights}` };
    }
    const seed = options.seed ?? 0;
    return { store: initializeParameters(graph, seed), described: `seeded weights (seed ${seed})` };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `model.py` → `model.safetensors`. */
function weightsBeside(file: string): string {
    const ext = path.extname(file);
    return `${ext ? file.slice(0, -ext.length) : file}.safetensors`;
}

export async function exportCommand(file: string, options: ExportCommandOptions, io: Output): Promise<number> {
    const graph = await chooseNetwork(file, options.network, 'export', io);
    if (typeof graph === 'number') return graph;
    try {
        const writes: { file: string; bytes: Uint8Array | string; what: string }[] = [];
        const needsWeights = options.onnx !== undefined || options.weights !== undefined || options.seed !== undefined;
        const parameters = needsWeights ? parametersFor(graph, options) : undefined;
        if (options.onnx) {
            const model = exportOnnx(graph, parameters!.store, { opset: options.opset });
            writes.push({
                file: options.onnx, bytes: model.bytes,
                what: `ONNX opset ${model.opset} (IR ${model.irVersion}): ${plural(graph.nodes.length, 'layer')} as ${plural(model.nodeCount, 'node')}, ${plural(model.initializers.length, 'initializer')}, ${parameters!.described}`,
            });
        }
        if (options.pytorch) {
            const module = exportPytorch(graph, { sourceFile: path.resolve(file) });
            writes.push({ file: options.pytorch, bytes: module.source, what: `PyTorch module ${module.className}${module.blockClasses.length ? ` (block classes ${module.blockClasses.join(', ')})` : ''}` });
            if (parameters) {
                const tensors = graph.nodes.flatMap(n => n.params.map(p => [`${n.name}.${p.name}`, { shape: p.shape, data: parameters.store.get(n.name)![p.name] }] as [string, { shape: readonly number[]; data: Float32Array }]));
                writes.push({
                    file: weightsBeside(options.pytorch), bytes: encodeSafetensors(tensors, { producer: 'convnet export', network: graph.name }),
                    what: `its state_dict, ${parameters.described} (load_weights(model, path) in the module)`,
                });
            }
        }
        for (const w of writes) {
            try {
                fs.writeFileSync(w.file, w.bytes);
            } catch (e) {
                throw new ExportCommandError(`${w.file}: cannot write: ${(e as Error).message}`);
            }
        }
        for (const w of writes) io.out(`${w.file}: ${w.what} (${formatBytes(typeof w.bytes === 'string' ? Buffer.byteLength(w.bytes) : w.bytes.length)})`);
        return 0;
    } catch (e) {
        if (EXPECTED.some(type => e instanceof type)) {
            io.err(`convnet: ${(e as Error).message}`);
            return 1;
        }
        throw e;
    }
}
