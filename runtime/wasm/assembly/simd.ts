// SIMD helpers more than one kernel uses (AssemblyScript; see kernels.ts).

/** c + a·b: relaxed SIMD's fused multiply-add where the engine has it (the relaxed build), else a multiply and an add. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
    if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(c, f32x4.mul(a, b));
}

/** Four values of an input row from `at`: consecutive (stride 1) or every other one (stride 2). */
@inline export function loadStrided(at: usize, sw: i32): v128 {
    return sw == 1 ? v128.load(at) : v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6);
}

/**
 * The float32 at `at`, in all four lanes: how kernels take their constants, from `memory.data` (one load-and-broadcast
 * instruction). Written as f32x4.splat(literal), a constant is a vector literal, which V8 rebuilds with about four
 * instructions at every use inside a loop — that made SiLU twice as slow.
 */
@inline export function broadcast(at: usize): v128 {
    return v128.load32_splat(at);
}

/**
 * min(max(v, lo), hi) as pseudo-min and pseudo-max: one instruction each (f32x4.min and max take several on x64 to
 * order NaNs and signed zeros), and a NaN in v still comes out NaN — pmax(v, lo) is `v < lo ? lo : v`.
 */
@inline export function clamp4(v: v128, lo: v128, hi: v128): v128 {
    return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/**
 * Stores the 4×4 block whose rows are a, b, c, d transposed: its first column (lanes 0 of a, b, c, d) at `to0`, its
 * second at `to1`, and so on — four planes' values at one position into one vector, or back.
 */
@inline export function storeTransposed(a: v128, b: v128, c: v128, d: v128, to0: usize, to1: usize, to2: usize, to3: usize): void {
    const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), cd01 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
    const ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7), cd23 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
    v128.store(to0, v128.shuffle<f32>(ab01, cd01, 0, 1, 4, 5));
    v128.store(to1, v128.shuffle<f32>(ab01, cd01, 2, 3, 6, 7));
    v128.store(to2, v128.shuffle<f32>(ab23, cd23, 0, 1, 4, 5));
    v128.store(to3, v128.shuffle<f32>(ab23, cd23, 2, 3, 6, 7));
}
