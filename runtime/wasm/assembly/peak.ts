// The machine's SIMD ceiling for the speed benchmark (AssemblyScript; see kernels.ts): fused multiply-adds on
// registers only, no memory traffic — what no kernel can beat on one thread. test/bench/speed.ts times it and
// reports each case's share of it.

import { madd } from './simd';

/**
 * `rounds` × 8 independent vector multiply-adds (8 accumulators hide the instruction's latency; 4 lanes each):
 * 64·rounds floating-point operations. Returns a lane of the sum so the work cannot be optimised away.
 */
export function fmaPeak(rounds: i32, seed: f32): f32 {
    const a = f32x4.splat(seed), b = f32x4.splat(0.999);
    let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a;
    for (let i = 0; i < rounds; i++) {
        c0 = madd(c0, b, a); c1 = madd(c1, b, a); c2 = madd(c2, b, a); c3 = madd(c3, b, a);
        c4 = madd(c4, b, a); c5 = madd(c5, b, a); c6 = madd(c6, b, a); c7 = madd(c7, b, a);
    }
    const sum = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
    return f32x4.extract_lane(sum, 0);
}
