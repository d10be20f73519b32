/**
 * Receptive field and jump along each spatial dimension (Araujo et al.; the source material's rule):
 *   k_eff = d·(k−1)+1,  r_out = r_in + (k_eff−1)·j_in,  j_out = j_in·s.
 * A transposed conv or upsampling divides the jump by its scale. Merges take the largest field of their inputs.
 */
import type { Window } from '../ops/types.js';
import type { GraphTensor } from './graph.js';
import { maxOf } from '../util/arrays.js';

export interface Field {
    readonly receptiveField?: readonly number[];
    readonly jump?: readonly number[];
}

export function inputField(shape: readonly number[]): Field {
    const spatial = Math.max(shape.length - 2, 0);
    return spatial ? { receptiveField: Array(spatial).fill(1), jump: Array(spatial).fill(1) } : {};
}

/**
 * Combines the fields of a node's inputs: the widest field wins (a concat of branches sees what its widest branch
 * sees). The jump — the input step between neighbouring output positions — comes from the inputs that span the
 * output along that dimension: a 1×1 map broadcast over it (the gates of a Squeeze-and-Excitation block in `x * s`)
 * widens the field to the whole image but does not space the output's positions by its own (whole-image) jump.
 */
function mergeInputs(inputs: readonly GraphTensor[], outputShape: readonly number[]): Field {
    const spatial = inputs.filter(t => t.receptiveField && t.jump);
    if (spatial.length === 0) return {};
    const dims = spatial[0].receptiveField!.length;
    if (spatial.some(t => t.receptiveField!.length !== dims)) return {};
    const jump = (i: number): number => {
        const extent = outputShape.length === dims + 2 ? outputShape[i + 2] : undefined;
        const spanning = spatial.filter(t => extent === undefined || extent === 1 || t.shape[i + 2] !== 1);
        return maxOf((spanning.length ? spanning : spatial).map(t => t.jump![i]));
    };
    return {
        receptiveField: Array.from({ length: dims }, (_, i) => maxOf(spatial.map(t => t.receptiveField![i]))),
        jump: Array.from({ length: dims }, (_, i) => jump(i)),
    };
}

export function outputField(window: Window, inputs: readonly GraphTensor[], outputShape: readonly number[]): Field {
    const merged = mergeInputs(inputs, outputShape);
    const r = merged.receptiveField;
    const j = merged.jump;
    const spatial = outputShape.length - 2;
    if (!r || !j || window.kind === 'none') return {};
    switch (window.kind) {
        case 'pointwise':
            return spatial === r.length ? merged : {};
        case 'sliding':
            if (window.kernel.length !== r.length) return {};
            return { receptiveField: r.map((ri, i) => ri + (window.kernel[i] - 1) * j[i]), jump: j.map((ji, i) => ji * window.stride[i]) };
        case 'upsampling': {
            if (window.kernel.length !== r.length) return {};
            const jump = j.map((ji, i) => ji / window.scale[i]);
            return { receptiveField: r.map((ri, i) => ri + (window.kernel[i] - 1) * jump[i]), jump };
        }
        case 'global': {
            const input = inputs[0];
            const extent = input.shape.slice(2);
            return spatial === r.length
                ? { receptiveField: r.map((ri, i) => ri + (extent[i] - 1) * j[i]), jump: j.map((ji, i) => ji * extent[i]) }
                : {};
        }
    }
}
