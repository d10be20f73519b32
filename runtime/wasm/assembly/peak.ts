// The machine's SIMD ceiling for the speed benchmark (AssemblyScript; see kernels.ts): fused multiply-adds on
// registers only, no memory traffic — what no kernel can beat on one thread. test/bench/speed.ts times it and
// reports each case's share of it; l1Peak, the GEMM's micro-kernel on operands in L1, tells the machine's slow spells.

import { madd } from './simd';
import { KC, MR, NR, microKernel } from './gemm';

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

/** Bytes `l1Peak` works in: one packed A panel and one B panel of KC depths, and a C tile and its edge tile. */
export function l1PeakBytes(): i32 {
    return (KC * (MR + NR) + 2 * MR * NR) * 4;
}

/** Floating-point operations of one `l1Peak` round: the micro-kernel's MR·NR·KC multiply-adds. */
export function l1PeakFlops(): i32 {
    return 2 * MR * NR * KC;
}

/**
 * `rounds` calls of the GEMM's micro-kernel (gemm.ts) on one A panel and one B panel of KC depths at `scratch`
 * (l1PeakBytes(), zeroed: no denormals), which stay in the L1 cache: 2·MR·NR·KC·rounds flops. Unlike fmaPeak it
 * loads its operands as the GEMM does, and so it shows what fmaPeak hides: on a shared host, a core slows down when
 * another tenant runs on its sibling hyperthread — measured on this 2-core AMD EPYC VM (2026-12-07), 33–35 against
 * 55 GFLOP/s for seconds at a time while fmaPeak held 55. The benchmark looks at it on every core between its
 * processes to tell the machine's slow spells (test/bench/machine-probe.ts).
 */
export function l1Peak(rounds: i32, scratch: usize): void {
    const pa = scratch;
    const pb = pa + <usize>(KC * MR * 4);
    const c = pb + <usize>(KC * NR * 4);
    for (let r = 0; r < rounds; r++) microKernel(KC, pa, pb, c, NR * 4, MR, NR, true, false, 0, 0, 0, 0, 0, c + <usize>(MR * NR * 4));
}
