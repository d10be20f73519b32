// Activations applied to every element (AssemblyScript; see kernels.ts): four lanes at a time, in float32. The
// transcendental ones go through one vector exp (Cephes' expf: range reduction by ln 2, a degree-5 polynomial,
// about 1 ulp), arranged so that no result comes from the difference of two nearly equal numbers — the TypeScript
// kernels (runtime/kernels/activation.ts) compute in float64 and are the reference these are tested against.

import { broadcast as k, clamp4, madd } from './simd';
import { ACTIVATION_SHIFT } from './flags';

/** Which activation: `activate`'s `op` (exported for the JavaScript side, as the flags are). */
export const ACT_RELU: i32 = 1;        // max(x, 0)
export const ACT_CLAMP: i32 = 2;       // min(max(x, alpha), beta): ReLU6 is [0, 6]
export const ACT_LEAKY: i32 = 3;       // x > 0 ? x : alpha·x
export const ACT_ELU: i32 = 4;         // x > 0 ? x : alpha·(eˣ − 1)
export const ACT_SIGMOID: i32 = 5;     // 1 / (1 + e⁻ˣ)
export const ACT_TANH: i32 = 6;
export const ACT_HARDSWISH: i32 = 7;   // x·min(max(x + 3, 0), 6) / 6
export const ACT_HARDSIGMOID: i32 = 8; // min(max(x + 3, 0), 6) / 6
export const ACT_SILU: i32 = 9;        // x / (1 + e⁻ˣ)
export const ACT_GELU: i32 = 10;       // x·Φ(x), Φ the standard normal's distribution function
export const ACT_GELU_TANH: i32 = 11;  // PyTorch's approximate='tanh'

// Every constant lives once in static memory and is broadcast where it is used (`k`, simd.ts says why).
const ONE = memory.data<f32>([1]);
const TWO = memory.data<f32>([2]);
const HALF = memory.data<f32>([0.5]);
const THREE = memory.data<f32>([3]);
const SIX = memory.data<f32>([6]);
const SIXTH = memory.data<f32>([1.0 / 6.0]);
const EXP_LOWEST = memory.data<f32>([-87.33654]);
const EXP_HIGHEST = memory.data<f32>([88.72284]);
const LOG2_E = memory.data<f32>([1.44269504088896341]);
/** 1.5·2²³: added to a float below 2²², it leaves the float's nearest integer in the low mantissa bits. */
const ROUNDER = memory.data<f32>([12582912.0]);
/** ln 2 = LN2_HIGH − LN2_BELOW, the first exact in a few bits, so that n·ln 2 is subtracted without losing r's digits. */
const LN2_HIGH = memory.data<f32>([0.693359375]);
const LN2_BELOW = memory.data<f32>([2.12194440e-4]);
/** Cephes' expf: eʳ ≈ 1 + r + r²·P(r) on |r| ≤ ln 2 / 2, P's coefficients from the highest power. */
const EXP_P = memory.data<f32>([1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);
/** 1/8! … 1/2!: eˣ − 1 ≈ x + x²·Q(x) near 0. */
const EXPM1_Q = memory.data<f32>([1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5]);
const EXPM1_SERIES_FROM = memory.data<f32>([-0.5]);
/** Cephes' tanhf: tanh x ≈ x + x³·T(x²) below |x| = 0.625. */
const TANH_T = memory.data<f32>([-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
const TANH_SERIES_BELOW = memory.data<f32>([0.625]);
/** Numerical Recipes' erfcc: erfc z ≈ t·exp(−z² + R(t)), t = 1 / (1 + z/2); R's coefficients from the highest power. */
const ERFC_R = memory.data<f32>([
    0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223,
]);
const SQRT1_2 = memory.data<f32>([0.70710678118654752]);
const SQRT_2_OVER_PI = memory.data<f32>([0.7978845608028654]);
const GELU_CUBIC = memory.data<f32>([0.044715]);

/** c₀z⁴ + c₁z³ + … + c₄ by Horner, for the five coefficients at `c`. */
@inline function horner5(z: v128, c: usize): v128 {
    return hornerOn(k(c), z, c + 4);
}

/** Horner's rule carried on from p over the next four coefficients at `c`: ((((p·z + c₀)·z + c₁)·z + c₂)·z + c₃). */
@inline function hornerOn(p: v128, z: v128, c: usize): v128 {
    p = madd(p, z, k(c));
    p = madd(p, z, k(c + 4));
    p = madd(p, z, k(c + 8));
    return madd(p, z, k(c + 12));
}

/**
 * eˣ: x = n·ln 2 + r with |r| ≤ ln 2 / 2, eʳ by Cephes' polynomial, 2ⁿ built in the exponent bits. Below −87.3 it
 * gives 2⁻¹²⁶·eʳ (the true value is under 1.2e−38, where no activation can tell the difference); from 88.4 on,
 * ∞ (2¹²⁸'s bits are ∞'s). NaN stays NaN.
 */
@inline function exp4(x: v128): v128 {
    // pmax/pmin are one instruction each and keep a NaN in x (min/max would take several to order NaNs).
    const clamped = f32x4.pmin(f32x4.pmax(x, k(EXP_LOWEST)), k(EXP_HIGHEST));
    const shifted = madd(clamped, k(LOG2_E), k(ROUNDER));
    const n = f32x4.sub(shifted, k(ROUNDER));
    const r = madd(n, k(LN2_BELOW), f32x4.sub(clamped, f32x4.mul(n, k(LN2_HIGH))));
    const p = madd(horner5(r, EXP_P), r, k(EXP_P + 20));
    const er = f32x4.add(madd(p, f32x4.mul(r, r), r), k(ONE));
    // 2ⁿ: n sits in the low bits of `shifted`; shifted into the exponent field and biased by 127 (1.0's bits).
    return f32x4.mul(er, i32x4.add(i32x4.shl(shifted, 23), k(ONE)));
}

/** 1 / (1 + e⁻ˣ): 0 far below zero, 1 far above, with no cancellation anywhere. */
@inline function sigmoid4(x: v128): v128 {
    return f32x4.div(k(ONE), f32x4.add(k(ONE), exp4(f32x4.neg(x))));
}

/**
 * eˣ − 1 for x ≤ 0 (ELU's negative side): its Taylor series to x⁸ where x > −0.5 — there eˣ − 1 would cancel
 * most digits of a small x — and eˣ − 1 beyond, where the result is at least 0.39 in size.
 */
@inline function expm1Negative(x: v128): v128 {
    const q = madd(madd(horner5(x, EXPM1_Q), x, k(EXPM1_Q + 20)), x, k(EXPM1_Q + 24));
    const series = madd(f32x4.mul(q, x), x, x);
    return v128.bitselect(series, f32x4.sub(exp4(x), k(ONE)), f32x4.gt(x, k(EXPM1_SERIES_FROM)));
}

/** tanh: Cephes' tanhf — an odd polynomial below |x| = 0.625, 1 − 2 / (e²ˣ + 1) on |x| with x's sign above. */
@inline function tanh4(x: v128): v128 {
    const a = f32x4.abs(x);
    const z = f32x4.mul(x, x);
    const near = madd(f32x4.mul(horner5(z, TANH_T), z), x, x);
    const far = f32x4.sub(k(ONE), f32x4.div(k(TWO), f32x4.add(exp4(f32x4.add(a, a)), k(ONE))));
    // x's sign bit on |tanh|: x with its magnitude bits (those of |x|) cleared.
    const signed = v128.or(far, v128.andnot(x, a));
    return v128.bitselect(near, signed, f32x4.lt(a, k(TANH_SERIES_BELOW)));
}

/**
 * Φ(x) = erfc(−x/√2) / 2 by Numerical Recipes' erfcc (relative error < 1.2e−7 everywhere), with erfc(−z) =
 * 2 − erfc(z) — so Φ of a negative x is a small number computed directly, not 1 minus something near 1.
 */
@inline function normalCdf4(x: v128): v128 {
    const z = f32x4.mul(f32x4.abs(x), k(SQRT1_2));
    const t = f32x4.div(k(ONE), madd(z, k(HALF), k(ONE)));
    const r = madd(hornerOn(horner5(t, ERFC_R), t, ERFC_R + 20), t, k(ERFC_R + 36));
    // z² as x²/2 (one rounding, not two): at x = −7 the exponent is −25, where an ulp of it is 2e−6 of the result.
    const tail = f32x4.mul(k(HALF), f32x4.mul(t, exp4(f32x4.sub(r, f32x4.mul(f32x4.mul(x, x), k(HALF))))));
    return v128.bitselect(tail, f32x4.sub(k(ONE), tail), f32x4.le(x, splat0()));
}

@inline function splat0(): v128 {
    return f32x4.splat(0);
}

@inline function apply(op: i32, x: v128, alpha: v128, beta: v128): v128 {
    switch (op) {
        case ACT_RELU: return f32x4.pmax(x, splat0());
        case ACT_CLAMP: return clamp4(x, alpha, beta);
        case ACT_LEAKY: return v128.bitselect(x, f32x4.mul(x, alpha), f32x4.gt(x, splat0()));
        case ACT_ELU: return v128.bitselect(x, f32x4.mul(alpha, expm1Negative(f32x4.pmin(x, splat0()))), f32x4.gt(x, splat0()));
        case ACT_SIGMOID: return sigmoid4(x);
        case ACT_TANH: return tanh4(x);
        // x·(c / 6), not (x·c) / 6: the latter overflows for x beyond float32's largest / 6.
        case ACT_HARDSWISH: return f32x4.mul(x, f32x4.mul(clamp4(f32x4.add(x, k(THREE)), splat0(), k(SIX)), k(SIXTH)));
        case ACT_HARDSIGMOID: return f32x4.mul(clamp4(f32x4.add(x, k(THREE)), splat0(), k(SIX)), k(SIXTH));
        case ACT_SILU: return f32x4.div(x, f32x4.add(k(ONE), exp4(f32x4.neg(x))));
        case ACT_GELU: return f32x4.mul(x, normalCdf4(x));
        case ACT_GELU_TANH: {
            // ½·x·(1 + tanh u) = x·sigmoid(2u): the same value with no 1 + (−1 + small) for negative x.
            const u = f32x4.mul(k(SQRT_2_OVER_PI), madd(f32x4.mul(f32x4.mul(x, x), x), k(GELU_CUBIC), x));
            return f32x4.mul(x, sigmoid4(f32x4.add(u, u)));
        }
        default: return x;
    }
}

/** Elements [from, to) of x, four at a time, with `op` inlined in each loop: a switch per vector would cost more than a ReLU. */
@inline function run(op: i32, x: usize, y: usize, from: i32, to: i32, alpha: v128, beta: v128): void {
    let i = from;
    // Two vectors a step: V8 then interleaves the two chains of dependent operations (SiLU, sigmoid, ELU, tanh,
    // GELU 20–27% faster on this machine, ReLU6 a quarter; four a step spilled registers and lost on ELU and tanh).
    for (; i + 8 <= to; i += 8) {
        const at = <usize>i << 2;
        const a = apply(op, v128.load(x + at), alpha, beta);
        const b = apply(op, v128.load(x + at, 16), alpha, beta);
        v128.store(y + at, a);
        v128.store(y + at, b, 16);
    }
    for (; i + 4 <= to; i += 4) {
        const at = <usize>i << 2;
        v128.store(y + at, apply(op, v128.load(x + at), alpha, beta));
    }
    if (i < to) {
        // The last one to three elements through a vector whose other lanes are zero (never read past x's end).
        const tail = i;
        let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(x + (<usize>tail << 2)));
        if (tail + 1 < to) v = f32x4.replace_lane(v, 1, load<f32>(x + (<usize>(tail + 1) << 2)));
        if (tail + 2 < to) v = f32x4.replace_lane(v, 2, load<f32>(x + (<usize>(tail + 2) << 2)));
        const out = apply(op, v, alpha, beta);
        store<f32>(y + (<usize>tail << 2), f32x4.extract_lane(out, 0));
        if (tail + 1 < to) store<f32>(y + (<usize>(tail + 1) << 2), f32x4.extract_lane(out, 1));
        if (tail + 2 < to) store<f32>(y + (<usize>(tail + 2) << 2), f32x4.extract_lane(out, 2));
    }
}

/** y[i] = op(x[i]) for i in [from, to) (element indices; x and y byte addresses), alpha and beta as `op` says. */
export function activate(op: i32, x: usize, y: usize, from: i32, to: i32, alpha: f32, beta: f32): void {
    const a = f32x4.splat(alpha), b = f32x4.splat(beta);
    switch (op) {
        case ACT_RELU: run(ACT_RELU, x, y, from, to, a, b); break;
        case ACT_CLAMP: run(ACT_CLAMP, x, y, from, to, a, b); break;
        case ACT_LEAKY: run(ACT_LEAKY, x, y, from, to, a, b); break;
        case ACT_ELU: run(ACT_ELU, x, y, from, to, a, b); break;
        case ACT_SIGMOID: run(ACT_SIGMOID, x, y, from, to, a, b); break;
        case ACT_TANH: run(ACT_TANH, x, y, from, to, a, b); break;
        case ACT_HARDSWISH: run(ACT_HARDSWISH, x, y, from, to, a, b); break;
        case ACT_HARDSIGMOID: run(ACT_HARDSIGMOID, x, y, from, to, a, b); break;
        case ACT_SILU: run(ACT_SILU, x, y, from, to, a, b); break;
        case ACT_GELU: run(ACT_GELU, x, y, from, to, a, b); break;
        case ACT_GELU_TANH: run(ACT_GELU_TANH, x, y, from, to, a, b); break;
    }
}

/** The activation an output loop's flags carry for it to apply last (an ACT_ code; 0 for none): see flags.ts. */
@inline export function absorbedActivation(flags: i32): i32 {
    return (flags >> ACTIVATION_SHIFT) & 15;
}
