/** What a person wants to know about an output tensor: its range, mean and spread, and its top-5 entries. */
import type { Tensor } from './tensor.js';

export interface OutputStatistics {
    readonly name: string;
    readonly shape: readonly number[];
    readonly min: number;
    readonly max: number;
    readonly mean: number;
    /** Population standard deviation (divided by n). */
    readonly std: number;
    /** For a vector output (one dimension above 1): the 5 largest values, largest first, by flat index. */
    readonly top5?: { index: number; value: number }[];
    /** For an N×K output with N > 1: the top 5 of each row. */
    readonly top5PerRow?: { index: number; value: number }[][];
}

function topK(data: Float32Array, k: number): { index: number; value: number }[] {
    const indices = Array.from(data.keys());
    indices.sort((a, b) => data[b] - data[a] || a - b);
    return indices.slice(0, k).map(index => ({ index, value: data[index] }));
}

export function outputStatistics(name: string, tensor: Tensor): OutputStatistics {
    const { data, shape } = tensor;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
    }
    const mean = sum / data.length;
    let squares = 0;
    for (let i = 0; i < data.length; i++) squares += (data[i] - mean) ** 2;
    const stats: OutputStatistics = { name, shape, min, max, mean, std: Math.sqrt(squares / data.length) };
    const nonUnit = shape.filter(d => d > 1).length;
    if (nonUnit === 1) return { ...stats, top5: topK(data, 5) };
    if (shape.length === 2 && shape[0] > 1) {
        const width = shape[1];
        const rows = Array.from({ length: shape[0] }, (_, r) => topK(data.subarray(r * width, (r + 1) * width), 5));
        return { ...stats, top5PerRow: rows };
    }
    return stats;
}
