// Bits of the kernels' `flags` argument (exported from the module: the JavaScript side reads them,
// runtime/wasm/instance.ts). Worded for the GEMM's C; the window and Winograd kernels apply BIAS, RESIDUAL and
// CLAMP to each output channel the same way.

export const ACCUMULATE: i32 = 1; // C += A·B instead of C = A·B
export const BIAS: i32 = 2;       // add bias[row] to every element of a row of C
export const CLAMP: i32 = 4;      // clamp C to [lo, hi] (ReLU: [0, ∞), ReLU6: [0, 6]) after the bias and residual
export const RESIDUAL: i32 = 8;   // add R, laid out as C and `residual` bytes after it (a shortcut joined in ResNet)
export const PACKED_A: i32 = 16;  // A was packed ahead of time by packMatrix (a conv's weights, packed once per run)
export const BIAS_COLUMNS: i32 = 32; // with BIAS: add bias[column] to every element of a column instead (a linear layer's C = X·Wᵀ)
// Bits 8–11: an activation applied last, after everything above (activation.ts's ACT_ codes, shifted), its alpha
// and beta passed as lo and hi. A conv absorbs one activation: a clamp, or this (SiLU, hardswish, GELU …).
export const ACTIVATION_SHIFT: i32 = 8;
