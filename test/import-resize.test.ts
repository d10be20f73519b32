/**
 * ONNX Resize import against onnxruntime-node: every coordinate_transformation_mode, nearest_mode, antialias and
 * scales/sizes combination, on 1-D and 2-D inputs, either imports to an `upsample` whose output equals
 * onnxruntime's (nearest exactly, linear within 1e-5) or is refused with a message naming what cannot be said.
 * The combinations PyTorch's exporter writes (nearest: asymmetric + floor; linear: pytorch_half_pixel or
 * align_corners) must import.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { runNetwork } from '../runtime/executor.js';
import { importOnnx, OnnxImportError } from '../interchange/import/onnx-to-convnet.js';
import { SeededRandom } from '../runtime/random.js';
import { Tensor } from '../runtime/tensor.js';
import { analyzeNetwork, parse } from './helpers.js';

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
const TOLERANCE = 1e-5;

interface ResizeCase {
    readonly id: string;
    readonly input: readonly number[];
    readonly mode: 'nearest' | 'linear';
    readonly coordinateMode: string;
    readonly nearestMode?: string;
    readonly antialias?: number;
    readonly scales?: readonly number[];
    readonly sizes?: readonly number[];
}

function resizeModel(c: ResizeCase): Uint8Array {
    const text = (name: string, value: string) => ({ name, type: A.STRING, s: new TextEncoder().encode(value) });
    const attribute = [text('mode', c.mode), text('coordinate_transformation_mode', c.coordinateMode)];
    if (c.nearestMode) attribute.push(text('nearest_mode', c.nearestMode));
    const extra = c.antialias !== undefined ? [{ name: 'antialias', type: A.INT, i: c.antialias }] : [];
    const initializer = c.scales
        ? [{ name: 'scales', dataType: T.FLOAT, dims: [c.input.length], floatData: [...c.scales] }]
        : [{ name: 'sizes', dataType: T.INT64, dims: [c.input.length], int64Data: c.sizes!.map(Number) }];
    return onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 18 }],
        producerName: 'test',
        graph: {
            name: 'resize',
            node: [{ opType: 'Resize', name: 'up', input: c.scales ? ['x', '', 'scales'] : ['x', '', '', 'sizes'], output: ['y'], attribute: [...attribute, ...extra] }],
            initializer,
            input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: c.input.map(d => ({ dimValue: d })) } } } }],
            output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
        },
    }).finish();
}

function cases(): ResizeCase[] {
    const out: ResizeCase[] = [];
    const coordinateModes = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
    const nearestModes = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
    for (const input of [[1, 2, 5, 6], [2, 3, 7]]) {
        const spatial = input.slice(2);
        const resizes: { scales?: number[]; sizes?: number[] }[] = [
            ...[0.5, 0.6, 0.75, 1.5, 1.7, 2, 2.5, 3].map(s => ({ scales: [1, 1, ...spatial.map(() => s)] })),
            { scales: [1, 1, ...[1.5, 2.5].slice(0, spatial.length)] },
            { sizes: [...input.slice(0, 2), ...spatial.map(d => 2 * d + 1)] },
            { sizes: [...input.slice(0, 2), ...spatial.map(d => d - 2)] },
        ];
        for (const resize of resizes) {
            const how = resize.scales ? `scales=${resize.scales.slice(2).join(',')}` : `sizes=${resize.sizes!.slice(2).join(',')}`;
            for (const coordinateMode of coordinateModes) {
                for (const nearestMode of nearestModes) {
                    out.push({ id: `nearest ${coordinateMode} ${nearestMode} x=[${input}] ${how}`, input, mode: 'nearest', coordinateMode, nearestMode, ...resize });
                }
                out.push({ id: `linear ${coordinateMode} x=[${input}] ${how}`, input, mode: 'linear', coordinateMode, ...resize });
            }
            out.push({ id: `linear half_pixel antialias=1 x=[${input}] ${how}`, input, mode: 'linear', coordinateMode: 'half_pixel', antialias: 1, ...resize });
        }
    }
    return out;
}

/** The combinations torch.onnx.export writes for interpolate: they must import. */
function writtenByPytorch(c: ResizeCase): boolean {
    if (c.antialias) return false;
    if (c.mode === 'nearest') return c.coordinateMode === 'asymmetric' && c.nearestMode === 'floor';
    return c.coordinateMode === 'pytorch_half_pixel' || c.coordinateMode === 'align_corners';
}

const outcome = { imported: 0, refused: 0 };

describe('ONNX Resize imports exactly or is refused, against onnxruntime-node', () => {
    afterAll(() => console.log(`Resize import: ${outcome.imported} combinations imported, ${outcome.refused} refused`));

    it.each(cases().map(c => [c.id, c] as const))('%s', async (_id, c) => {
        const bytes = resizeModel(c);
        const x = new Float32Array(c.input.reduce((a, b) => a * b, 1));
        new SeededRandom(3).fillUniform(x, -2, 2);
        let text: string;
        try {
            text = importOnnx(bytes, { source: 'resize.onnx' }).text;
        } catch (e) {
            expect(e).toBeInstanceOf(OnnxImportError);
            expect(writtenByPytorch(c), `refused: ${(e as Error).message}`).toBe(false);
            expect((e as Error).message).toMatch(/coordinate_transformation_mode|nearest_mode|antialias|scale|shape/);
            outcome.refused++;
            return;
        }
        outcome.imported++;
        const graph = analyzeNetwork(await parse(text)).graph;
        const ours = runNetwork(graph, new Map([['x', new Tensor(c.input, x)]]), new Map(), { engine: 'reference' }).outputs.get('y')!;
        const session = await ort.InferenceSession.create(bytes);
        try {
            const theirs = (await session.run({ x: new ort.Tensor('float32', x, [...c.input]) })).y;
            expect([...ours.shape], text).toEqual([...theirs.dims]);
            const data = theirs.data as Float32Array;
            let difference = 0;
            for (let i = 0; i < data.length; i++) difference = Math.max(difference, Math.abs(data[i] - ours.data[i]));
            if (c.mode === 'nearest') expect(difference, text).toBe(0);
            else expect(difference, text).toBeLessThanOrEqual(TOLERANCE);
        } finally {
            await session.release();
        }
    });
});
