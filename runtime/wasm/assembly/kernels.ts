// AssemblyScript source of the runtime's WebAssembly kernels (compiled at build time by runtime/wasm/build.mjs,
// twice: with 128-bit SIMD, and with relaxed SIMD for a fused multiply-add where the engine has it). This file is
// the module's entry: what it exports is what the JavaScript side sees (runtime/wasm/instance.ts); the kernels
// live one concern per file beside it — activation.ts and arithmetic.ts (element by element), gemm.ts, im2col.ts
// (and col2im), implicit-conv.ts (a conv packed straight from the image), window.ts (depthwise conv and pooling),
// winograd.ts (F(4×4, 3×3)), winograd-blocks.ts (the same a block of tiles at a time), winograd-rows.ts (a small
// plane's, its tiles as the GEMM's rows), winograd-weights.ts (U made as a conv runs), jobs.ts, which splits a
// job over threads, and peak.ts, the benchmark's SIMD ceiling.
//
// Everything works on byte addresses in one shared linear memory that the JavaScript side owns and allocates
// (`WasmMemory` in runtime/wasm/instance.ts): tensors, weights and scratch all live there, so no call copies its operands.
// The first 64 KiB are left to this module's own static data.

export {
    ACT_CLAMP, ACT_ELU, ACT_GELU, ACT_GELU_TANH, ACT_HARDSIGMOID, ACT_HARDSWISH, ACT_LEAKY, ACT_RELU, ACT_SIGMOID, ACT_SILU, ACT_TANH, activate,
} from './activation';
export { ARITH_ADD, ARITH_DIV, ARITH_MUL, ARITH_SUB, arithmetic } from './arithmetic';
export { ACCUMULATE, ACTIVATION_SHIFT, BIAS, BIAS_COLUMNS, CLAMP, PACKED_A, RESIDUAL } from './flags';
export { gemm, gemmScratchBytes, packMatrix, packedSize } from './gemm';
export { col2im2d, im2col2d } from './im2col';
export { implicitConv2d, implicitConvScratchBytes } from './implicit-conv';
export { WINDOW_AVG, WINDOW_DEPTHWISE, WINDOW_MAX, window2d } from './window';
export { winogradInput, winogradOutput } from './winograd';
export { winogradBlockScratchBytes } from './winograd-blocks';
export { winogradRowsBytes, winogradRowsScratchBytes } from './winograd-rows';
export { runPart } from './jobs';
export { fmaPeak, l1Peak, l1PeakBytes, l1PeakFlops } from './peak';

/** Lowest byte address the JavaScript side may allocate from (above this module's static data). */
export function heapBase(): usize {
    return (__heap_base + 65535) & ~65535;
}
