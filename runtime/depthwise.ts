/**
 * Depthwise 2-D conv (groups = C_in, `multiplier` outputs per input channel), computed directly: im2col would
 * copy K values per output for a GEMM of inner size K, all overhead. This is the TypeScript reference; the fast
 * engine runs the same computation in WebAssembly (runtime/wasm/assembly/kernels.ts, `depthwise2d`).
 */
import { applyEpilogue, hasEpilogue, type GemmOptions } from './gemm.js';
import type { ConvGeometry } from './im2col.js';

/**
 * One image: y[yOffset …] (C_in·multiplier planes of H_out×W_out) from x[xOffset …] (C_in planes of H×W), then
 * the epilogue's bias per output channel and clamp. `g` is the 2-D window in 3-D form (depth 1).
 */
export function depthwise2d(x: Float32Array, xOffset: number, g: ConvGeometry, cin: number, multiplier: number, weight: Float32Array,
    y: Float32Array, yOffset: number, epilogue: GemmOptions = {}): void {
    const [, H, W] = g.input;
    const [, Ho, Wo] = g.output;
    const [, kh, kw] = g.kernel;
    const [, sh, sw] = g.stride;
    const [, dh, dw] = g.dilation;
    const [, ph, pw] = g.padBegin;
    for (let c = 0; c < cin; c++) {
        const src = xOffset + c * H * W;
        for (let m = 0; m < multiplier; m++) {
            const oc = c * multiplier + m;
            const wBase = oc * kh * kw;
            const dst = yOffset + oc * Ho * Wo;
            for (let oh = 0; oh < Ho; oh++) {
                for (let ow = 0; ow < Wo; ow++) {
                    let sum = 0;
                    for (let i = 0; i < kh; i++) {
                        const ih = oh * sh - ph + i * dh;
                        if (ih < 0 || ih >= H) continue;
                        const row = src + ih * W;
                        for (let j = 0; j < kw; j++) {
                            const iw = ow * sw - pw + j * dw;
                            if (iw >= 0 && iw < W) sum += x[row + iw] * weight[wBase + i * kw + j];
                        }
                    }
                    y[dst + oh * Wo + ow] = sum;
                }
            }
        }
    }
    if (hasEpilogue(epilogue)) applyEpilogue(cin * multiplier, Ho * Wo, y, yOffset, Ho * Wo, epilogue);
}
