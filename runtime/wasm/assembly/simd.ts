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
