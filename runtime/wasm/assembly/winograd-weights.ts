// Winograd F(4×4, 3×3)'s transformed weights U = G g Gᵀ made at run time (AssemblyScript; see kernels.ts), for the
// convs whose U the engine does not keep (small planes with large weights: language/analysis/engine-rules.ts;
// winograd-blocks.ts's winogradChannelPanels uses them). The four rows of a panel (output channels) are the four
// lanes of a vector, so the transform of four channel pairs is one pass of vector arithmetic, and each of its 36
// results is one 16-byte row of a U[ξ] panel as gemm.ts's packMatrix lays it out.
//     G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1]   (runtime/winograd.ts)

import { MR } from './gemm';
import { transposeInPlace } from './winograd';

/** Bytes of a thread's scratch the transform uses: the 9 taps of four rows, then G g (6×3 vectors). */
export const WEIGHT_TRANSFORM_BYTES: i32 = (9 + 18) * 16;

/** G applied to the three vectors a, b, c (lane by lane): six results at out, out + step, …. */
@inline function applyG(a: v128, b: v128, c: v128, out: usize, step: usize): void {
    const ac = f32x4.add(a, c);
    const p = f32x4.add(f32x4.mul(a, f32x4.splat(<f32>(1.0 / 24))), f32x4.mul(c, f32x4.splat(<f32>(1.0 / 6))));
    const q = f32x4.mul(b, f32x4.splat(<f32>(1.0 / 12)));
    const minusSixth = f32x4.splat(<f32>(-1.0 / 6));
    v128.store(out, f32x4.mul(a, f32x4.splat(0.25)));
    v128.store(out + step, f32x4.mul(f32x4.add(ac, b), minusSixth));
    v128.store(out + 2 * step, f32x4.mul(f32x4.sub(ac, b), minusSixth));
    v128.store(out + 3 * step, f32x4.add(p, q));
    v128.store(out + 4 * step, f32x4.sub(p, q));
    v128.store(out + 5 * step, c);
}

/**
 * U[ξ] of output channels ir … ir + MR (lanes beyond C_out zero) over input channels p0 … p0 + kc, from g, the
 * conv's weight [C_out, C_in, 3, 3]: the panel of position ξ at dst + ξ · positionBytes, kc rows of MR floats
 * (depth-major, as the micro-kernel reads a packed A panel).
 */
export function transformWeightPanel(g: usize, cout: i32, cin: i32, ir: i32, p0: i32, kc: i32, dst: usize, positionBytes: usize, scratch: usize): void {
    const taps = scratch;          // 9 vectors: tap e of the panel's four rows
    const gg = scratch + 9 * 16;   // 18 vectors: (G g)[i][j] at 3i + j
    const rowBytes = <usize>cin * 9 * 4;
    const real = min(MR, cout - ir);
    for (let c = p0; c < p0 + kc; c++) {
        // Taps 0–3 and 4–7 of each row as a vector, transposed to a vector per tap; tap 8 lane by lane.
        for (let r = 0; r < MR; r++) {
            const row = g + <usize>(ir + r) * rowBytes + <usize>c * 36;
            const inside = r < real;
            v128.store(taps + (<usize>r << 4), inside ? v128.load(row) : f32x4.splat(0));
            v128.store(taps + 64 + (<usize>r << 4), inside ? v128.load(row, 16) : f32x4.splat(0));
            store<f32>(taps + 128 + (<usize>r << 2), inside ? load<f32>(row, 32) : 0);
        }
        transposeInPlace(taps);
        transposeInPlace(taps + 64);
        // G g: down each column j of the 3×3 kernel (taps j, 3 + j, 6 + j); then (G g) Gᵀ along each row.
        for (let j = 0; j < 3; j++) {
            applyG(v128.load(taps + <usize>j * 16), v128.load(taps + <usize>(3 + j) * 16), v128.load(taps + <usize>(6 + j) * 16), gg + <usize>j * 16, 3 * 16);
        }
        const at = dst + (<usize>(c - p0) << 4);
        for (let i = 0; i < 6; i++) {
            const t = gg + <usize>(3 * i) * 16;
            applyG(v128.load(t), v128.load(t, 16), v128.load(t, 32), at + <usize>(6 * i) * positionBytes, positionBytes);
        }
    }
}
