/**
 * The fast `Compute`: the WebAssembly SIMD GEMM and im2col on a team of threads over one shared memory.
 * Operands must be views of that memory (a run allocates everything there through `allocate`); a call with an
 * operand elsewhere falls back to the TypeScript kernel, which gives the same result.
 */
import type { Compute } from '../compute.js';
import { packedGemm, type GemmKernel } from '../gemm.js';
import { col2im as referenceCol2im, im2col as referenceIm2col, type ConvGeometry } from '../im2col.js';
import { type CompiledKernels, WasmMemory } from './instance.js';
import { ThreadTeam } from './threads.js';
import { winogradTiles } from '../winograd.js';
import { depthwise2d as referenceDepthwise } from '../depthwise.js';

/** Below this many multiply-adds a GEMM runs on the calling thread: waking the team costs more than it saves. */
const PARALLEL_MACS = 1 << 18;
/** Below this many column elements im2col runs on the calling thread. */
const PARALLEL_COLUMNS = 1 << 15;

/** A 2-D window in the 3-D form (depth plays no part): what the module's 2-D kernels take. */
function planar(g: ConvGeometry): boolean {
    return g.input[0] === 1 && g.output[0] === 1 && g.kernel[0] === 1 && g.padBegin[0] === 0;
}

export function createWasmCompute(compiled: CompiledKernels, threads: number, expectedBytes: number): Compute {
    const memory = new WasmMemory(compiled, expectedBytes);
    const team = new ThreadTeam(memory, threads, memory.kernels.gemmScratchBytes());
    const {
        ACCUMULATE, BIAS, CLAMP, RESIDUAL, PACKED_A, WINDOW_DEPTHWISE, WINDOW_MAX, WINDOW_AVG,
        JOB_GEMM, JOB_IM2COL, JOB_WINDOW, JOB_WINOGRAD_INPUT, JOB_WINOGRAD_OUTPUT, JOB_COL2IM,
    } = memory.constants;

    const gemm: GemmKernel = (m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue) => {
        const bias = epilogue?.bias;
        const residual = epilogue?.residual;
        if (!memory.holds(a) || !memory.holds(b) || !memory.holds(c) || (bias && !memory.holds(bias)) || (residual && !memory.holds(residual))) {
            packedGemm(m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue);
            return;
        }
        const lo = epilogue?.lo ?? -Infinity;
        const hi = epilogue?.hi ?? Infinity;
        const flags = (accumulate ? ACCUMULATE : 0) | (bias ? BIAS : 0) | (residual ? RESIDUAL : 0) | (lo > -Infinity || hi < Infinity ? CLAMP : 0)
            | (epilogue?.packedA ? PACKED_A : 0);
        const cAddress = memory.address(c, cOffset);
        team.run(JOB_GEMM, [
            m, n, k,
            memory.address(a, aOffset), lda,
            memory.address(b, bOffset), ldb,
            cAddress, ldc,
            flags, bias ? memory.address(bias, epilogue?.biasOffset ?? 0) : 0, { f32: lo }, { f32: hi },
            // The shortcut as a distance from C (negative distances wrap around in the module's 32-bit addresses).
            residual ? memory.address(residual, epilogue?.residualOffset ?? 0) - cAddress : 0,
            1, 0, 0, 0, // one GEMM, not a batch
        ], m * n * k >= PARALLEL_MACS);
    };

    return {
        kind: 'fast',
        description: `wasm ${compiled.variant}, ${team.threads} thread${team.threads === 1 ? '' : 's'}`,
        threads: team.threads,
        gemm,
        col2im(cols, colsOffset, g, y, yOffset) {
            if (!planar(g) || !memory.holds(cols) || !memory.holds(y)) {
                referenceCol2im(cols, colsOffset, g, y, yOffset);
                return;
            }
            const [, H, W] = g.input;
            const [, Hg, Wg] = g.output;
            team.run(JOB_COL2IM, [
                memory.address(cols, colsOffset), memory.address(y, yOffset), g.channels, H, W,
                g.kernel[1], g.kernel[2], g.stride[1], g.stride[2], g.dilation[1], g.dilation[2], g.padBegin[1], g.padBegin[2], Hg, Wg,
            ], g.channels * g.kernel[1] * g.kernel[2] * Hg * Wg >= PARALLEL_COLUMNS);
        },
        im2col(x, xOffset, g, cols, colsOffset) {
            if (!planar(g) || !memory.holds(x) || !memory.holds(cols)) {
                referenceIm2col(x, xOffset, g, cols, colsOffset);
                return;
            }
            const [, H, W] = g.input;
            const [, Ho, Wo] = g.output;
            team.run(JOB_IM2COL, [
                memory.address(x, xOffset), g.channels, H, W,
                g.kernel[1], g.kernel[2], g.stride[1], g.stride[2], g.dilation[1], g.dilation[2], g.padBegin[1], g.padBegin[2],
                Ho, Wo, memory.address(cols, colsOffset),
            ], g.channels * g.kernel[1] * g.kernel[2] * Ho * Wo >= PARALLEL_COLUMNS);
        },
        depthwise(x, xOffset, g, cin, multiplier, weight, y, yOffset, epilogue) {
            const bias = epilogue.bias;
            // The module's depthwise kernel has no residual input (the fusion never gives one to a depthwise conv).
            if (!memory.holds(x) || !memory.holds(y) || !memory.holds(weight) || (bias && !memory.holds(bias)) || epilogue.residual) {
                referenceDepthwise(x, xOffset, g, cin, multiplier, weight, y, yOffset, epilogue);
                return;
            }
            const [, H, W] = g.input;
            const [, Ho, Wo] = g.output;
            const lo = epilogue.lo ?? -Infinity;
            const hi = epilogue.hi ?? Infinity;
            const flags = (bias ? BIAS : 0) | (lo > -Infinity || hi < Infinity ? CLAMP : 0);
            const channels = cin * multiplier;
            team.run(JOB_WINDOW, [
                WINDOW_DEPTHWISE, memory.address(x, xOffset), memory.address(y, yOffset), memory.address(weight), bias ? memory.address(bias, epilogue.biasOffset ?? 0) : 0,
                channels, multiplier, H, W, Ho, Wo,
                g.kernel[1], g.kernel[2], g.stride[1], g.stride[2], g.dilation[1], g.dilation[2], g.padBegin[1], g.padBegin[2],
                flags, { f32: lo }, { f32: hi },
            ], channels * Ho * Wo * g.kernel[1] * g.kernel[2] >= PARALLEL_MACS);
        },
        winograd(x, xOffset, g, u, cout, y, yOffset, v, m, epilogue) {
            const bias = epilogue.bias;
            const residual = epilogue.residual;
            if (![x, u, y, v, m].every(a => memory.holds(a)) || (bias && !memory.holds(bias)) || (residual && !memory.holds(residual))) return false;
            const [, H, W] = g.input;
            const [, Ho, Wo] = g.output;
            const cin = g.channels;
            const { tilesH, tilesW } = winogradTiles(Ho, Wo);
            const tiles = tilesH * tilesW;
            const parallel = cout * cin * tiles * 16 >= PARALLEL_MACS;
            const [vAddress, mAddress, yAddress] = [memory.address(v), memory.address(m), memory.address(y, yOffset)];
            team.run(JOB_WINOGRAD_INPUT, [memory.address(x, xOffset), vAddress, cin, H, W, g.padBegin[1], g.padBegin[2], tilesH, tilesW], parallel);
            // M[ξ] = U[ξ] · V[ξ] for the 16 positions ξ of the transformed tile.
            team.run(JOB_GEMM, [
                cout, tiles, cin, memory.address(u), cin, vAddress, tiles, mAddress, tiles, 0, 0, { f32: 0 }, { f32: 0 }, 0,
                16, cout * cin * 4, cin * tiles * 4, cout * tiles * 4,
            ], parallel);
            const lo = epilogue.lo ?? -Infinity;
            const hi = epilogue.hi ?? Infinity;
            const flags = (bias ? BIAS : 0) | (residual ? RESIDUAL : 0) | (lo > -Infinity || hi < Infinity ? CLAMP : 0);
            team.run(JOB_WINOGRAD_OUTPUT, [
                mAddress, yAddress, cout, Ho, Wo, tilesH, tilesW, flags,
                bias ? memory.address(bias, epilogue.biasOffset ?? 0) : 0,
                residual ? memory.address(residual, epilogue.residualOffset ?? 0) - yAddress : 0,
                { f32: lo }, { f32: hi },
            ], parallel);
            return true;
        },
        pool2d(mode, x, g, planes, y) {
            if (!planar(g) || !memory.holds(x) || !memory.holds(y)) return false;
            const [, H, W] = g.input;
            const [, Ho, Wo] = g.output;
            team.run(JOB_WINDOW, [
                mode === 'max' ? WINDOW_MAX : WINDOW_AVG, memory.address(x), memory.address(y), 0, 0, planes, 1, H, W, Ho, Wo,
                g.kernel[1], g.kernel[2], g.stride[1], g.stride[2], g.dilation[1], g.dilation[2], g.padBegin[1], g.padBegin[2],
                0, { f32: 0 }, { f32: 0 },
            ], planes * Ho * Wo * g.kernel[1] * g.kernel[2] >= PARALLEL_MACS);
            return true;
        },
        packInPlace(a, m, k, scratch) {
            const size = memory.kernels.packedSize(m, k);
            if (size !== m * k || a.length < size || scratch.length < size || !memory.holds(a) || !memory.holds(scratch)) return false;
            memory.kernels.packMatrix(memory.address(a), m, k, k, memory.address(scratch));
            a.set(scratch.subarray(0, size));
            return true;
        },
        allocate: elements => memory.allocate(elements),
        holds: array => memory.holds(array),
        get allocatedBytes() { return memory.allocatedBytes; },
        dispose: () => team.dispose(),
    };
}
