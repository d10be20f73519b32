// Winograd F(4×4, 3×3)'s transformed weights U = G g Gᵀ made at run time (AssemblyScript; see kernels.ts), for the
// convs whose U the engine does not keep (small planes with large weights: language/analysis/engine-rules.ts;
// winograd-rows.ts uses them). Four output channels are the four lanes of a vector, so the transform of four
// channel pairs is one pass of vector arithmetic, and each of its 36 results is four floats of a U[ξ]ᵀ row.
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
 * The 3×3 kernels of output channels ir … ir + MR (lanes beyond C_out zero) for input channel c as 9 vectors at
 * `taps` (vector e, lane r: tap e of row ir + r): each row's taps 0–3 and 4–7 loaded as vectors and transposed in
 * registers, tap 8 lane by lane.
 */
@inline function gatherTaps(g: usize, cout: i32, cin: i32, ir: i32, c: i32, taps: usize): void {
    const real = min(MR, cout - ir);
    const rowBytes = <usize>cin * 36;
    const row0 = g + (<usize>ir * cin + c) * 36;
    const row1 = row0 + rowBytes, row2 = row1 + rowBytes, row3 = row2 + rowBytes;
    const zero = f32x4.splat(0);
    const a0 = v128.load(row0), b0 = v128.load(row0, 16);
    const a1 = real > 1 ? v128.load(row1) : zero, b1 = real > 1 ? v128.load(row1, 16) : zero;
    const a2 = real > 2 ? v128.load(row2) : zero, b2 = real > 2 ? v128.load(row2, 16) : zero;
    const a3 = real > 3 ? v128.load(row3) : zero, b3 = real > 3 ? v128.load(row3, 16) : zero;
    let p = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), q = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
    let r = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), t = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
    v128.store(taps, v128.shuffle<f32>(p, r, 0, 1, 4, 5));
    v128.store(taps, v128.shuffle<f32>(p, r, 2, 3, 6, 7), 16);
    v128.store(taps, v128.shuffle<f32>(q, t, 0, 1, 4, 5), 32);
    v128.store(taps, v128.shuffle<f32>(q, t, 2, 3, 6, 7), 48);
    p = v128.shuffle<f32>(b0, b1, 0, 4, 1, 5); q = v128.shuffle<f32>(b0, b1, 2, 6, 3, 7);
    r = v128.shuffle<f32>(b2, b3, 0, 4, 1, 5); t = v128.shuffle<f32>(b2, b3, 2, 6, 3, 7);
    v128.store(taps, v128.shuffle<f32>(p, r, 0, 1, 4, 5), 64);
    v128.store(taps, v128.shuffle<f32>(p, r, 2, 3, 6, 7), 80);
    v128.store(taps, v128.shuffle<f32>(q, t, 0, 1, 4, 5), 96);
    v128.store(taps, v128.shuffle<f32>(q, t, 2, 3, 6, 7), 112);
    // Built in a register and stored whole: four 4-byte stores read back as one vector would stall the load
    // (no store forwarding from narrower stores): the transform took 1.1 ms of a 512 → 512 conv on 7² that way.
    let last = f32x4.splat(load<f32>(row0, 32));
    last = f32x4.replace_lane(last, 1, real > 1 ? load<f32>(row1, 32) : 0);
    last = f32x4.replace_lane(last, 2, real > 2 ? load<f32>(row2, 32) : 0);
    last = f32x4.replace_lane(last, 3, real > 3 ? load<f32>(row3, 32) : 0);
    v128.store(taps, last, 128);
}

/**
 * U[ξ] of output channels ir … ir + MR (lanes beyond C_out zero) over input channels p0 … p0 + kc, from g, the
 * conv's weight [C_out, C_in, 3, 3]: position ξ's at dst + ξ · positionBytes, kc rows of MR floats `rowBytes`
 * apart (depth-major: half of each row of a packed B panel of NR, as winograd-rows.ts reads U[ξ]ᵀ).
 */
export function transformWeightPanel(g: usize, cout: i32, cin: i32, ir: i32, p0: i32, kc: i32, dst: usize, positionBytes: usize, scratch: usize,
    rowBytes: usize): void {
    const taps = scratch;          // 9 vectors: tap e of the panel's four rows
    const gg = scratch + 9 * 16;   // 18 vectors: (G g)[i][j] at 3i + j
    for (let c = p0; c < p0 + kc; c++) {
        gatherTaps(g, cout, cin, ir, c, taps);
        // G g: down each column j of the 3×3 kernel (taps j, 3 + j, 6 + j); then (G g) Gᵀ along each row.
        for (let j = 0; j < 3; j++) {
            applyG(v128.load(taps + <usize>j * 16), v128.load(taps + <usize>(3 + j) * 16), v128.load(taps + <usize>(6 + j) * 16), gg + <usize>j * 16, 3 * 16);
        }
        const at = dst + <usize>(c - p0) * rowBytes;
        for (let i = 0; i < 6; i++) {
            const t = gg + <usize>(3 * i) * 16;
            applyG(v128.load(t), v128.load(t, 16), v128.load(t, 32), at + <usize>(6 * i) * positionBytes, positionBytes);
        }
    }
}
