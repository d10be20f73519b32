/**
 * A network graph as TensorFlow.js ops, for the speed benchmark: the same layers and the same weights as the
 * project's runtime runs, in TensorFlow.js's native NHWC layout (its CPU and WASM backends implement convs for
 * NHWC only). Weights are converted once, up front: OIHW → HWIO for convs, → HWC·multiplier for depthwise convs,
 * IOHW → HWOI for transposed convs. Covers the ops of the benchmarked networks and layers; any other op makes
 * `buildTfjsNetwork` throw, and the benchmark reports the peer as not applicable.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { GraphNode, NetworkGraph } from '../../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../../language/ops/conv.js';
import type { ParameterStore } from '../../runtime/weights.js';

/** The TensorFlow.js namespace (as `require('@tensorflow/tfjs')` gives it). */
export type Tf = Omit<typeof tfjs, 'default'>;
type Tensor4D = tfjs.Tensor4D;
type Op = (inputs: tfjs.Tensor[]) => tfjs.Tensor;

export interface TfjsNetwork {
    /** Runs on an NHWC input; returns the first output, back in NCHW order. */
    run(input: tfjs.Tensor4D): Promise<Float32Array>;
    dispose(): void;
}

/** Explicit per-side padding of a 2-D window, in TensorFlow.js's NHWC form. */
function explicitPads(pads: { readonly begin: readonly number[]; readonly end: readonly number[] }): [[number, number], [number, number], [number, number], [number, number]] {
    return [[0, 0], [pads.begin[0], pads.end[0]], [pads.begin[1], pads.end[1]], [0, 0]];
}

export function buildTfjsNetwork(tf: Tf, graph: NetworkGraph, parameters: ParameterStore): TfjsNetwork {
    const owned: tfjs.Tensor[] = [];
    const keep = <T extends tfjs.Tensor>(t: T): T => {
        owned.push(t);
        return t;
    };
    const ops = graph.nodes.map(node => compile(tf, graph, node, parameters.get(node.name) ?? {}, keep));
    return {
        async run(input) {
            const result = tf.tidy(() => {
                const values = new Map<number, tfjs.Tensor>([[graph.inputs[0].tensor, input]]);
                graph.nodes.forEach((node, i) => {
                    const out = ops[i](node.inputs.map(t => values.get(t)!));
                    values.set(node.outputs[0], out);
                });
                const output = values.get(graph.outputs[0].tensor)!;
                return output.rank === 4 ? tf.transpose(output, [0, 3, 1, 2]) : output;
            });
            const data = (await result.data()) as Float32Array;
            result.dispose();
            return data;
        },
        dispose: () => owned.forEach(t => t.dispose()),
    };
}

function compile(tf: Tf, graph: NetworkGraph, node: GraphNode, params: Record<string, Float32Array>, keep: <T extends tfjs.Tensor>(t: T) => T): Op {
    const inShape = graph.tensors[node.inputs[0]].shape;
    const window = () => resolveWindowAttrs({ inputs: [inShape], attrs: node.attrs }, 2);
    switch (node.op) {
        case 'conv':
        case 'dwconv': {
            const w = window();
            const [cout, cinG, kh, kw] = node.params.find(p => p.name === 'weight')!.shape;
            const cin = inShape[1];
            const groups = cin / cinG;
            const bias = params.bias ? keep(tf.tensor1d(params.bias)) : undefined;
            const pad = explicitPads(w.pads);
            const strides = w.stride as [number, number];
            const dilations = w.dilation as [number, number];
            if (groups === 1) {
                const filter = keep(tf.tidy(() => tf.transpose(tf.tensor4d(params.weight, [cout, cin, kh, kw]), [2, 3, 1, 0]))) as Tensor4D;
                return ([x]) => tf.fused.conv2d({ x: x as Tensor4D, filter, strides, pad, dilations, bias });
            }
            if (groups === cin) {
                const multiplier = cout / cin;
                const filter = keep(tf.tidy(() => tf.transpose(tf.tensor4d(params.weight, [cin, multiplier, kh, kw]), [2, 3, 0, 1]))) as Tensor4D;
                return ([x]) => {
                    const y = tf.depthwiseConv2d(x as Tensor4D, filter, strides, pad, 'NHWC', dilations);
                    return bias ? tf.add(y, bias) : y;
                };
            }
            // TensorFlow.js has no grouped conv: one conv per group on a channel slice, then concatenated.
            const coutG = cout / groups;
            const filters = Array.from({ length: groups }, (_, g) => keep(tf.tidy(() =>
                tf.transpose(tf.tensor4d(params.weight.subarray(g * coutG * cinG * kh * kw, (g + 1) * coutG * cinG * kh * kw), [coutG, cinG, kh, kw]), [2, 3, 1, 0]))) as Tensor4D);
            return ([x]) => {
                const parts = tf.split(x, groups, 3).map((part, g) => tf.conv2d(part as Tensor4D, filters[g], strides, pad, 'NHWC', dilations));
                const y = tf.concat(parts, 3);
                return bias ? tf.add(y, bias) : y;
            };
        }
        case 'convtranspose': {
            const w = window();
            const [cin, cout, kh, kw] = node.params.find(p => p.name === 'weight')!.shape;
            if ((node.attrs.groups as number) !== 1) throw new Error('grouped transposed conv');
            const outShape = graph.tensors[node.outputs[0]].shape;
            const [, , h, wIn] = inShape;
            // TensorFlow.js takes 'same' (output = input × stride) or 'valid' (no cropping) for a transposed conv.
            const same = outShape[2] === h * w.stride[0] && outShape[3] === wIn * w.stride[1];
            const valid = w.pads.begin.every(p => p === 0) && w.pads.end.every(p => p === 0);
            if (!same && !valid) throw new Error('transposed conv padding other than same/valid');
            const filter = keep(tf.tidy(() => tf.transpose(tf.tensor4d(params.weight, [cin, cout, kh, kw]), [2, 3, 1, 0]))) as Tensor4D;
            const bias = params.bias ? keep(tf.tensor1d(params.bias)) : undefined;
            const output: [number, number, number, number] = [outShape[0], outShape[2], outShape[3], outShape[1]];
            return ([x]) => {
                const y = tf.conv2dTranspose(x as Tensor4D, filter, output, w.stride as [number, number], same ? 'same' : 'valid');
                return bias ? tf.add(y, bias) : y;
            };
        }
        case 'batchnorm': {
            const [mean, variance, offset, scale] = [params.running_mean, params.running_var, params.bias, params.weight].map(p => keep(tf.tensor1d(p)));
            const eps = node.attrs.eps as number;
            return ([x]) => tf.batchNorm(x, mean, variance, offset, scale, eps);
        }
        case 'relu': return ([x]) => tf.relu(x);
        case 'relu6': return ([x]) => tf.relu6(x);
        case 'sigmoid': return ([x]) => tf.sigmoid(x);
        case 'silu': return ([x]) => tf.mul(x, tf.sigmoid(x));
        case 'add': return ([a, b]) => tf.add(a, b);
        // An SE gate [1, 1, 1, C] on [1, H, W, C]: NHWC broadcasts as NCHW does.
        case 'mul': return ([a, b]) => tf.mul(a, b);
        case 'dropout':
        case 'stochasticdepth': return ([x]) => x;
        case 'maxpool':
        case 'avgpool': {
            const w = window();
            if (w.pads.begin.some((p, i) => p !== w.pads.end[i] || p !== w.pads.begin[0])) throw new Error('asymmetric pooling padding');
            const pool = node.op === 'maxpool' ? tf.maxPool : tf.avgPool;
            return ([x]) => pool(x as Tensor4D, w.kernel as [number, number], w.stride as [number, number], w.pads.begin[0]);
        }
        case 'adaptiveavgpool':
        case 'globalavgpool': {
            const out = graph.tensors[node.outputs[0]].shape;
            if (out[2] !== 1 || out[3] !== 1) throw new Error('adaptive pooling to more than 1×1');
            return ([x]) => tf.mean(x, [1, 2], true);
        }
        case 'flatten':
            // NCHW order, as the graph's flatten means it.
            return ([x]) => (x.rank === 4 ? tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [x.shape[0], -1]) : tf.reshape(x, [x.shape[0], -1]));
        case 'linear': {
            const [out, inF] = node.params.find(p => p.name === 'weight')!.shape;
            const weight = keep(tf.tensor2d(params.weight, [out, inF]));
            const bias = params.bias ? keep(tf.tensor1d(params.bias)) : undefined;
            return ([x]) => tf.fused.matMul({ a: x as tfjs.Tensor2D, b: weight, transposeB: true, bias });
        }
        default:
            throw new Error(`op '${node.op}'`);
    }
}
