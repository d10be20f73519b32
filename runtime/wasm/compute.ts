/**
 * The fast `Compute`: the WebAssembly SIMD GEMM and im2col on a team of threads over one shared memory — or, where
 * the host allows no shared memory (a browser page that is not cross-origin isolated), on one thread over a plain
 * memory, which moves when it grows (see `Compute.moves`). Operands must be views of that memory (a run allocates
 * everything there through `allocate`); a call with an operand elsewhere falls back to the TypeScript kernel,
 * which gives the same result.
 */
import type { ActivationOp, ArithmeticOp, Compute } from '../compute.js';
import { packedGemm, type GemmKernel, type GemmOptions } from '../gemm.js';
import { col2im as referenceCol2im, im2col as referenceIm2col, type ConvGeometry } from '../im2col.js';
import { type CompiledKernels, type KernelExports, WasmMemory } from './instance.js';
import { PARTS_PER_THREAD, ThreadTeam } from './threads.js';
import { WINOGRAD_POSITIONS, winogradGroup, winogradTiles } from '../winograd.js';
import { depthwise2d as referenceDepthwise } from '../depthwise.js';

/**
 * The size from which each kind of job is split over the team; below it the job runs on the calling thread, since
 * waking the team and handing out parts costs more than a second thread saves. Sizes are multiply-adds (GEMM,
 * the transformed-tile products of Winograd with its transforms, a sliding window's taps over its outputs), column
 * elements (im2col, col2im) or an element-wise job's elements × its cost (ACTIVATION_COST; the arithmetic of two
 * tensors costs what a ReLU does). Measured by `npm run bench:thresholds` (test/bench/thresholds.ts) on a quiet
 * 2-core AMD EPYC, 2026-12-06: the smallest size from which every larger one gained at least 5% with two threads
 * (SiLU, the activation measured, from 262,144 elements; col2im measured beside its GEMM on two threads); the
 * sliding window's on 2026-12-07, a depthwise conv timed after a split 1×1 conv as in MobileNet (timed alone, as it
 * was before, splitting it gained 5% at no size that day). Under load a split may still lose; the team then holds
 * jobs of that kind and size back, or all of them (threads.ts).
 */
export interface ParallelThresholds {
    readonly gemm: number;
    readonly winograd: number;
    readonly window: number;
    readonly columns: number;
    /** col2im (a transposed conv's scatter of its columns): more work per column element than im2col's copy. */
    readonly col2im: number;
    readonly elementwise: number;
}

export const PARALLEL_THRESHOLDS: ParallelThresholds = {
    gemm: 1_048_576,
    winograd: 705_600,
    window: 84_672,
    columns: 1_327_104,
    col2im: 204_800,
    elementwise: 2_359_296,
};

/**
 * What an activation costs per element, relative to a ReLU: the time per element of its WebAssembly kernel
 * (assembly/activation.ts) over ReLU's, measured on one thread of a 2-core AMD EPYC, 2026-12-06 (ReLU 0.2 ns, SiLU
 * 1.9 ns, GELU 3.7 ns) — so that one threshold serves a ReLU and a GELU.
 */
export const ACTIVATION_COST: Readonly<Record<ActivationOp, number>> = {
    'relu': 1, 'relu6': 1, 'leakyrelu': 1.5, 'hardswish': 2, 'hardsigmoid': 2,
    'sigmoid': 9, 'silu': 9, 'gelu-tanh': 9, 'tanh': 11, 'elu': 12, 'gelu': 18,
};

/** A 2-D window in the 3-D form (depth plays no part): what the module's 2-D kernels take. */
function planar(g: ConvGeometry): boolean {
    return g.input[0] === 1 && g.output[0] === 1 && g.kernel[0] === 1 && g.padBegin[0] === 0;
}

/** A planar window's kernel, stride, dilation and padding as the windowed jobs take them (job-layout.ts). */
function windowGeometry(g: ConvGeometry) {
    return {
        kh: g.kernel[1], kw: g.kernel[2], sh: g.stride[1], sw: g.stride[2],
        dh: g.dilation[1], dw: g.dilation[2], ph: g.padBegin[1], pw: g.padBegin[2],
    };
}

/**
 * Which convs the implicit conv takes (the others run im2col + GEMM). It reads its weights once per output row, so
 * it pays while they stay in cache; its output rows are cut into panels of 8 positions, and a part-filled panel at
 * a row's end costs nearly a whole one. Measured on this 2-core AMD EPYC (2026-12-06, one thread, per image): a
 * grouped 3×3 conv's group of 16 channels on 56² 0.45 against 0.48 ms, ResNet's 7×7/2 stem 5.8 against 6.6 ms,
 * MobileNetV2's 3×3/2 stem 0.70 against 0.76 ms, a 3×3 conv of 64 → 32 channels on 56² (74 KiB of weights) 3.2
 * against 3.6 ms — but on rows of 28 the same grouped conv 0.51 against 0.42 ms and a 1×1/2 conv 64 → 128 0.41
 * against 0.33 ms, and with 295 KiB of weights (3×3/2, 64 → 128) 3.3 against 2.9 ms.
 *
 * With more than one thread a grouped conv takes it on rows of any length: as one job its groups' rows are shared
 * out, where im2col + GEMM runs group by group and a group's GEMM is too small to split (ResNeXt's 8–32 channels).
 * ResNeXt-50's grouped convs on 28², 14² and 7² took 1.0–1.3× less time with two threads than with one that way,
 * 1.6–1.9× less this way (2026-12-07); on one thread, part-filled panels keep them on im2col + GEMM.
 */
export interface ImplicitConvPolicy {
    readonly maxWeightBytes: number;
    /** Output rows must be a whole number of panels of 8 positions (but a grouped conv's on more than one thread). */
    readonly wholePanels: boolean;
}

export const IMPLICIT_CONV_POLICY: ImplicitConvPolicy = { maxWeightBytes: 128 * 1024, wholePanels: true };

/**
 * Tiles in a block of the tile-blocked Winograd (assembly/winograd-blocks.ts): whole panels of 8, as many as keep
 * the block's V and M (36 · (C_in + C_out) floats a tile) within 320 KiB, a third of a core's L2 here, beside U;
 * on a split job no more than gives every part a block, so that parts stay even (ResNet's 64 channels on 56²: 16
 * tiles; 128 on 28²: 8). On this AMD EPYC a 160, 320 or 640 KiB budget made no difference (2026-12-07).
 */
function winogradBlockTiles(cin: number, cout: number, tiles: number, parts: number): number {
    const fits = Math.floor(320 * 1024 / (WINOGRAD_POSITIONS * (cin + cout) * 4) / 8) * 8;
    const share = Math.ceil(tiles / parts / 8) * 8;
    return Math.max(8, Math.min(64, fits, share));
}

/**
 * How the engine runs a Winograd conv on its own weight (a small plane's, U made as it runs: F(4×4, 3×3) with the
 * tiles as the GEMM's rows, assembly/winograd-rows.ts): the thread scratch a part takes and the bytes of the
 * shared V.
 */
function smallPlaneWinograd(kernels: KernelExports, tiles: number, cin: number): { scratchBytes: number; vBytes: number } {
    return { scratchBytes: kernels.winogradRowsScratchBytes(tiles), vBytes: kernels.winogradRowsBytes(cin, tiles) };
}

/** The batch fields of a GEMM job that is one GEMM, not a batch. */
const ONE_GEMM = { count: 1, aStride: 0, bStride: 0, cStride: 0 };

/** `thresholds`: when to split a job (the calibration bench tries others). */
export function createWasmCompute(compiled: CompiledKernels, threads: number, expectedBytes: number, thresholds: ParallelThresholds = PARALLEL_THRESHOLDS,
    implicit: ImplicitConvPolicy = IMPLICIT_CONV_POLICY): Compute {
    const memory = new WasmMemory(compiled, expectedBytes);
    const scratchBytes = memory.kernels.gemmScratchBytes();
    const team = new ThreadTeam(memory, threads, scratchBytes);
    const { ACCUMULATE, ACTIVATION_SHIFT, BIAS, BIAS_COLUMNS, CLAMP, RESIDUAL, PACKED_A, WINDOW_DEPTHWISE, WINDOW_MAX, WINDOW_AVG } = memory.constants;
    const constants = memory.constants;
    /** Each activation's op code in the module and its two parameters (alpha, beta) from the one a layer has. */
    const activations: Readonly<Record<ActivationOp, (parameter: number) => [op: number, alpha: number, beta: number]>> = {
        'relu': () => [constants.ACT_RELU, 0, 0],
        'relu6': () => [constants.ACT_CLAMP, 0, 6],
        'leakyrelu': slope => [constants.ACT_LEAKY, slope, 0],
        'elu': alpha => [constants.ACT_ELU, alpha, 0],
        'sigmoid': () => [constants.ACT_SIGMOID, 0, 0],
        'tanh': () => [constants.ACT_TANH, 0, 0],
        'hardswish': () => [constants.ACT_HARDSWISH, 0, 0],
        'hardsigmoid': () => [constants.ACT_HARDSIGMOID, 0, 0],
        'silu': () => [constants.ACT_SILU, 0, 0],
        'gelu': () => [constants.ACT_GELU, 0, 0],
        'gelu-tanh': () => [constants.ACT_GELU_TANH, 0, 0],
    };
    /**
     * An epilogue's last step as the module's output loops take it: flag bits, and the two numbers after — the
     * clamp's bounds, or an absorbed activation's parameters (its code in the flags, from ACTIVATION_SHIFT).
     */
    const finishing = (epilogue: GemmOptions | undefined): { flags: number; lo: number; hi: number } => {
        if (epilogue?.activation) {
            const [code, alpha, beta] = activations[epilogue.activation.op](epilogue.activation.parameter);
            return { flags: code << ACTIVATION_SHIFT, lo: alpha, hi: beta };
        }
        const lo = epilogue?.lo ?? -Infinity;
        const hi = epilogue?.hi ?? Infinity;
        return { flags: lo > -Infinity || hi < Infinity ? CLAMP : 0, lo, hi };
    };
    const arithmeticCodes: Readonly<Record<ArithmeticOp, number>> = {
        add: constants.ARITH_ADD, sub: constants.ARITH_SUB, mul: constants.ARITH_MUL, div: constants.ARITH_DIV,
    };

    const gemm: GemmKernel = (m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue) => {
        const bias = epilogue?.bias;
        const residual = epilogue?.residual;
        if (!memory.holds(a) || !memory.holds(b) || !memory.holds(c) || (bias && !memory.holds(bias)) || (residual && !memory.holds(residual))) {
            packedGemm(m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue);
            return;
        }
        const { flags: last, lo, hi } = finishing(epilogue);
        const flags = (accumulate ? ACCUMULATE : 0) | (bias ? BIAS : 0) | (residual ? RESIDUAL : 0) | last
            | (epilogue?.packedA ? PACKED_A : 0) | (epilogue?.biasPerColumn ? BIAS_COLUMNS : 0);
        const cAddress = memory.address(c, cOffset);
        team.run('gemm', {
            m, n, k,
            a: memory.address(a, aOffset), lda,
            b: memory.address(b, bOffset), ldb,
            c: cAddress, ldc,
            flags, bias: bias ? memory.address(bias, epilogue?.biasOffset ?? 0) : 0, lo, hi,
            // The shortcut as a distance from C (negative distances wrap around in the module's 32-bit addresses).
            residual: residual ? memory.address(residual, epilogue?.residualOffset ?? 0) - cAddress : 0,
            ...ONE_GEMM,
        }, m * n * k >= thresholds.gemm, m * n * k);
    };

    /** Compute.winograd (below): a function of its own, as group by group it calls itself. */
    const winograd: Compute['winograd'] = (x, xOffset, g, weights, cout, y, yOffset, scratch, epilogue, groups) => {
        const cin = g.channels;
        const [, H, W] = g.input;
        const [, Ho, Wo] = g.output;
        const { tilesH, tilesW } = winogradTiles(Ho, Wo);
        const tiles = tilesH * tilesW;
        const work = cout * cin * tiles * WINOGRAD_POSITIONS;
        // A grouped conv's groups in one job where U is packed (its parts cut from every group's blocks of tiles:
        // each group alone, 16 channels on 56², was too little to share out evenly) or made as it runs (from every
        // group's panels of output channels: ResNeXt-50's 32 groups on 14² were a job each); otherwise group by group.
        const perRun = 'weight' in weights;
        if (groups > 1 && !perRun && !('u' in weights && epilogue.packedA)) {
            for (let j = 0; j < groups; j++) {
                const group = winogradGroup(j, groups, g, weights, cout, xOffset, yOffset, epilogue);
                if (!winograd(x, group.xOffset, g, group.weights, group.cout, y, group.yOffset, scratch, group.epilogue, 1)) return false;
            }
            return true;
        }
        const coutG = cout / groups;
        const parallel = work >= thresholds.winograd;
        // Three ways. On the conv's own weight (a small plane's): V of every tile once, shared, then the output
        // channels panel by panel, each on U made as it goes, the tiles as the GEMM's rows. On U packed: block by
        // block of tiles. On U unpacked (C_out not a multiple of 4): three jobs on the whole image's V and M. The
        // first two fall back to the caller's direct conv where a part would not fit a thread's scratch (blocks of
        // tiles: C_in + C_out over ~1,800).
        // Every group's input channels share one V.
        const small = perRun ? smallPlaneWinograd(memory.kernels, tiles, cin * groups) : undefined;
        const block = winogradBlockTiles(cin, coutG, tiles, parallel ? team.threads * PARTS_PER_THREAD : 1);
        if (small ? small.scratchBytes > scratchBytes
            : epilogue.packedA && memory.kernels.winogradBlockScratchBytes(cin, coutG, block) > scratchBytes) return false;
        const v = small ? scratch('v', small.vBytes / 4)
            : epilogue.packedA ? undefined : scratch('v', WINOGRAD_POSITIONS * cin * tiles);
        const m = perRun || epilogue.packedA ? undefined : scratch('m', WINOGRAD_POSITIONS * cout * tiles);
        const w = perRun ? weights.weight : weights.u;
        const bias = epilogue.bias;
        const residual = epilogue.residual;
        if (![x, w, y, ...(v ? [v] : []), ...(m ? [m] : [])].every(a => memory.holds(a)) || (bias && !memory.holds(bias)) || (residual && !memory.holds(residual))) return false;
        const { flags: last, lo, hi } = finishing(epilogue);
        const flags = (bias ? BIAS : 0) | (residual ? RESIDUAL : 0) | last;
        const yAddress = memory.address(y, yOffset);
        const finish = {
            flags, bias: bias ? memory.address(bias, epilogue.biasOffset ?? 0) : 0,
            residual: residual ? memory.address(residual, epilogue.residualOffset ?? 0) - yAddress : 0, lo, hi,
        };
        const input = { x: memory.address(x, xOffset), channels: cin, H, W, ph: g.padBegin[1], pw: g.padBegin[2], tilesH, tilesW };
        if (small) {
            const vAddress = memory.address(v!);
            team.run('winogradInputPanels', { ...input, channels: cin * groups, v: vAddress }, parallel, cin * groups * tiles * WINOGRAD_POSITIONS, 'winograd input');
            team.run('winogradChannels', {
                v: vAddress, channels: cin, vChannels: cin * groups, tilesH, tilesW, g: memory.address(w), cout: coutG, y: yAddress, Ho, Wo, ...finish,
                groups, gGroupStride: coutG * cin * 9 * 4, yGroupStride: coutG * Ho * Wo * 4,
            }, parallel, work, 'winograd channels');
            return true;
        }
        if (!v) {
            team.run('winograd', {
                ...input, u: memory.address(w), cout: coutG, y: yAddress, Ho, Wo, ...finish, block,
                groups, xGroupStride: cin * H * W * 4, uGroupStride: WINOGRAD_POSITIONS * coutG * cin * 4, yGroupStride: coutG * Ho * Wo * 4,
            }, parallel, work, 'winograd');
            return true;
        }
        const [vAddress, mAddress] = [memory.address(v), memory.address(m!)];
        team.run('winogradInput', { ...input, v: vAddress }, parallel, work);
        // M[ξ] = U[ξ] · V[ξ] for the 36 positions ξ of the transformed tile.
        team.run('gemm', {
            m: cout, n: tiles, k: cin, a: memory.address(w), lda: cin, b: vAddress, ldb: tiles, c: mAddress, ldc: tiles,
            flags: 0, bias: 0, lo: 0, hi: 0, residual: 0,
            count: WINOGRAD_POSITIONS, aStride: cout * cin * 4, bStride: cin * tiles * 4, cStride: cout * tiles * 4,
        }, parallel, work, 'winograd products');
        team.run('winogradOutput', { m: mAddress, y: yAddress, channels: cout, Ho, Wo, tilesH, tilesW, ...finish }, parallel, work);
        return true;
    };

    return {
        kind: 'fast',
        description: `wasm ${compiled.variant}${memory.shared ? '' : ' (plain memory)'}, ${team.threads} thread${team.threads === 1 ? '' : 's'}`,
        threads: team.threads,
        gemm,
        col2im(cols, colsOffset, g, y, yOffset) {
            if (!planar(g) || !memory.holds(cols) || !memory.holds(y)) {
                referenceCol2im(cols, colsOffset, g, y, yOffset);
                return;
            }
            const [, H, W] = g.input;
            const [, Hg, Wg] = g.output;
            team.run('col2im', {
                cols: memory.address(cols, colsOffset), y: memory.address(y, yOffset), channels: g.channels, H, W, ...windowGeometry(g), Hg, Wg,
            }, g.channels * g.kernel[1] * g.kernel[2] * Hg * Wg >= thresholds.col2im, g.channels * g.kernel[1] * g.kernel[2] * Hg * Wg);
        },
        im2col(x, xOffset, g, cols, colsOffset) {
            if (!planar(g) || !memory.holds(x) || !memory.holds(cols)) {
                referenceIm2col(x, xOffset, g, cols, colsOffset);
                return;
            }
            const [, H, W] = g.input;
            const [, Ho, Wo] = g.output;
            team.run('im2col', {
                x: memory.address(x, xOffset), channels: g.channels, H, W, ...windowGeometry(g), Ho, Wo, cols: memory.address(cols, colsOffset),
            }, g.channels * g.kernel[1] * g.kernel[2] * Ho * Wo >= thresholds.columns, g.channels * g.kernel[1] * g.kernel[2] * Ho * Wo);
        },
        implicitConv(x, xOffset, g, m, groups, weight, weightOffset, y, yOffset, epilogue) {
            const bias = epilogue.bias;
            const residual = epilogue.residual;
            const k = g.channels * g.kernel[1] * g.kernel[2];
            const weightBytes = memory.kernels.packedSize(m, k) * 4;
            const Wo = g.output[2];
            const sharedOut = groups > 1 && team.threads > 1;
            if (!planar(g) || weightBytes > implicit.maxWeightBytes || (implicit.wholePanels && Wo % 8 !== 0 && !sharedOut)
                || weightBytes + memory.kernels.implicitConvScratchBytes(k, Wo) > scratchBytes) return false;
            if (![x, weight, y].every(a => memory.holds(a)) || (bias && !memory.holds(bias)) || (residual && !memory.holds(residual))) return false;
            // Packed weights are packed whole (cout rows), not group by group.
            if (groups > 1 && epilogue.packedA) return false;
            const [, H, W] = g.input;
            const Ho = g.output[1];
            const { flags: last, lo, hi } = finishing(epilogue);
            const flags = (bias ? BIAS : 0) | (residual ? RESIDUAL : 0) | last | (epilogue.packedA ? PACKED_A : 0);
            const yAddress = memory.address(y, yOffset);
            const work = groups * m * k * Ho * Wo;
            team.run('implicitConv', {
                x: memory.address(x, xOffset), channels: g.channels, H, W, ...windowGeometry(g), Ho, Wo,
                a: memory.address(weight, weightOffset), m, flags,
                bias: bias ? memory.address(bias, epilogue.biasOffset ?? 0) : 0,
                residual: residual ? memory.address(residual, epilogue.residualOffset ?? 0) - yAddress : 0,
                lo, hi, y: yAddress,
                groups, xGroupStride: g.channels * H * W * 4, aGroupStride: m * k * 4, yGroupStride: m * Ho * Wo * 4,
            }, work >= thresholds.gemm, work, 'implicit');
            return true;
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
            const { flags: last, lo, hi } = finishing(epilogue);
            const flags = (bias ? BIAS : 0) | last;
            const channels = cin * multiplier;
            team.run('window', {
                mode: WINDOW_DEPTHWISE, x: memory.address(x, xOffset), y: memory.address(y, yOffset),
                weight: memory.address(weight), bias: bias ? memory.address(bias, epilogue.biasOffset ?? 0) : 0,
                channels, multiplier, H, W, Ho, Wo, ...windowGeometry(g), flags, lo, hi,
            }, channels * Ho * Wo * g.kernel[1] * g.kernel[2] >= thresholds.window, channels * Ho * Wo * g.kernel[1] * g.kernel[2]);
        },
        winograd,
        pool2d(mode, x, g, planes, y) {
            if (!planar(g) || !memory.holds(x) || !memory.holds(y)) return false;
            const [, H, W] = g.input;
            const [, Ho, Wo] = g.output;
            team.run('window', {
                mode: mode === 'max' ? WINDOW_MAX : WINDOW_AVG, x: memory.address(x), y: memory.address(y), weight: 0, bias: 0,
                channels: planes, multiplier: 1, H, W, Ho, Wo, ...windowGeometry(g), flags: 0, lo: 0, hi: 0,
            }, planes * Ho * Wo * g.kernel[1] * g.kernel[2] >= thresholds.window, planes * Ho * Wo * g.kernel[1] * g.kernel[2], 'pool');
            return true;
        },
        activation(op, x, y, parameter) {
            if (!memory.holds(x) || !memory.holds(y) || x.length !== y.length) return false;
            const [code, alpha, beta] = activations[op](parameter);
            const work = x.length * ACTIVATION_COST[op];
            team.run('activation', { op: code, x: memory.address(x), y: memory.address(y), n: x.length, alpha, beta },
                work >= thresholds.elementwise, work, op);
            return true;
        },
        arithmetic(op, a, b, y, layout) {
            if (!memory.holds(a) || !memory.holds(b) || !memory.holds(y)) return false;
            const work = y.length * ACTIVATION_COST.relu;
            team.run('arithmetic', {
                op: arithmeticCodes[op], a: memory.address(a), b: memory.address(b), y: memory.address(y), ...layout,
            }, work >= thresholds.elementwise, work, op);
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
        get moves() { return memory.moves; },
        current: array => memory.current(array),
        reserve: bytes => memory.reserve(bytes),
        get allocatedBytes() { return memory.allocatedBytes; },
        get workerParts() { return team.workerParts; },
        started: team.started,
        dispose: () => team.dispose(),
    };
}
