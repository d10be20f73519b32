/**
 * The engine a run's kernels compute with: the shared GEMM, im2col, and the memory tensors should live in for
 * them to be fast. Three exist:
 *
 * - `referenceCompute`: the portable TypeScript kernels (runtime/gemm.ts, runtime/im2col.ts) on ordinary
 *   arrays, layer by layer — the reference every fast path is tested against;
 * - `typescriptCompute`: the same kernels plus a TypeScript Winograd, run as the fast engine runs (batch norms
 *   folded, activations and residual sums in the GEMM's output loop) — the fallback where WebAssembly SIMD is
 *   missing;
 * - the fast engine (runtime/wasm/compute.ts): WebAssembly SIMD kernels on worker threads over one shared memory,
 *   where a run allocates its weights, activations and scratch — or on one thread over a plain memory where the host
 *   allows no shared one (a browser page that is not cross-origin isolated).
 */
import * as os from 'node:os';
import { depthwise2d as referenceDepthwise } from './depthwise.js';
import { packedGemm, type GemmOptions, type GemmKernel } from './gemm.js';
import { col2im as referenceCol2im, im2col as referenceIm2col, type ConvGeometry } from './im2col.js';
import { WINOGRAD_POSITIONS, winogradConv, winogradGroup, winogradTileCount } from './winograd.js';
import { createWasmCompute } from './wasm/compute.js';
import { compiledKernels } from './wasm/instance.js';

/** The activations an engine may apply element by element (runtime/kernels/activation.ts has each in TypeScript). */
export type ActivationOp = 'relu' | 'relu6' | 'leakyrelu' | 'elu' | 'sigmoid' | 'tanh' | 'hardswish' | 'hardsigmoid' | 'silu' | 'gelu' | 'gelu-tanh';

/** The arithmetic of two tensors an engine may run (add, sub, mul and div with broadcasting). */
export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div';

/**
 * Where `a ∘ b` reads its operands, after broadcasting and merging dimensions: `rows` rows of `inner` output
 * elements; each operand advances by its row step between rows and by its step (0 or 1) along a row.
 */
export interface ArithmeticLayout {
    readonly rows: number;
    readonly inner: number;
    readonly aRow: number;
    readonly bRow: number;
    readonly aStep: number;
    readonly bStep: number;
}

export interface Compute {
    /** The TypeScript reference, or an engine whose runs fold batch norms into convs (WebAssembly or TypeScript). */
    readonly kind: 'reference' | 'fast';
    /** What computes, for reports: "typescript", "wasm relaxed-simd, 2 threads". */
    readonly description: string;
    readonly threads: number;
    readonly gemm: GemmKernel;
    /** runtime/im2col.ts's `im2col`: the (channels·K) × P column matrix of one image. */
    im2col(x: Float32Array, xOffset: number, g: ConvGeometry, cols: Float32Array, colsOffset: number): void;
    /** runtime/im2col.ts's `col2im`: adds the column matrix back into the image (a transposed conv). */
    col2im(cols: Float32Array, colsOffset: number, g: ConvGeometry, y: Float32Array, yOffset: number): void;
    /** runtime/depthwise.ts's `depthwise2d`: a depthwise 2-D conv of one image with its bias and clamp. */
    depthwise(x: Float32Array, xOffset: number, g: ConvGeometry, cin: number, multiplier: number, weight: Float32Array,
        y: Float32Array, yOffset: number, epilogue: GemmOptions): void;
    /**
     * A 3×3 stride-1 conv of one image by Winograd F(4×4, 3×3) (runtime/winograd.ts) with the epilogue, on
     * transformed weights U made when the run was prepared (packed for this engine's GEMM when epilogue.packedA)
     * or on the conv's own weight, for an engine that makes U as it goes (language/analysis/engine-rules.ts);
     * false when the engine has no such kernel (the caller convolves directly). `scratch` gives scratch arrays on
     * demand (it may allocate, and move a plain memory: take them before any address). With `groups` > 1, a grouped
     * conv's groups side by side (runtime/winograd.ts's winogradGroup: g.channels is a group's input channels,
     * `cout` all of them), so that an engine may share out all groups' work at once.
     */
    winograd(x: Float32Array, xOffset: number, g: ConvGeometry, weights: WinogradWeights, cout: number, y: Float32Array, yOffset: number,
        scratch: WinogradScratch, epilogue: GemmOptions, groups: number): boolean;
    /**
     * A 2-D conv of one image's `g.channels` planes (at xOffset) into `m` planes (at yOffset) with the weights from
     * weightOffset (m × channels·taps, in this engine's packed GEMM layout when epilogue.packedA) and the epilogue,
     * as an implicit GEMM that packs the image straight into the GEMM's panels (runtime/wasm/assembly/implicit-conv.ts)
     * — where the engine has one and it pays for this conv; false otherwise, and the caller runs im2col + GEMM.
     * With `groups` > 1, that many such convs side by side as one job (a grouped conv's groups: group j reads the
     * j-th run of g.channels planes, the j-th m rows of unpacked weights and of the bias, and writes the j-th m
     * planes), so that threads share out all of them at once — a group of ResNeXt's is too small to split alone.
     */
    implicitConv(x: Float32Array, xOffset: number, g: ConvGeometry, m: number, groups: number, weight: Float32Array, weightOffset: number,
        y: Float32Array, yOffset: number, epilogue: GemmOptions): boolean;
    /**
     * Pooling of `planes` 2-D planes when the engine has a faster kernel for it — max (taps in the padding
     * skipped, NaN propagates) or mean over all kh·kw taps (padding counted as 0: count_include_pad with no
     * window past the end padding) — false when it has not, and the caller's own kernel runs.
     */
    pool2d(mode: 'max' | 'avg', x: Float32Array, g: ConvGeometry, planes: number, y: Float32Array): boolean;
    /**
     * y = op(x) element by element (`parameter`: leakyrelu's negative slope, elu's alpha) where the engine has a
     * kernel for it and both arrays live in its memory; false otherwise, and the caller's own loop runs.
     */
    activation(op: ActivationOp, x: Float32Array, y: Float32Array, parameter: number): boolean;
    /**
     * y = a ∘ b laid out as `layout` says, where the engine has a kernel for it and the arrays live in its memory;
     * false otherwise, and the caller's own loop runs.
     */
    arithmetic(op: ArithmeticOp, a: Float32Array, b: Float32Array, y: Float32Array, layout: ArithmeticLayout): boolean;
    /**
     * Rewrites the m×k matrix `a` (a conv's weights, owned by the run) in the packed layout of this engine's
     * GEMM, using `scratch` (≥ m·k elements), so that each run skips packing it (pass `packedA`); false when
     * the engine packs as it goes or the packed matrix would not fit in place.
     */
    packInPlace(a: Float32Array, m: number, k: number, scratch: Float32Array): boolean;
    /** A zeroed array in the memory this engine computes on fastest. */
    allocate(elements: number): Float32Array;
    /** Whether `array` lives in that memory (so a run can use it without a copy). */
    holds(array: Float32Array): boolean;
    /**
     * How many times that memory has moved. A plain (non-shared) WebAssembly memory moves when it grows: every
     * array taken from it before reads as empty, and must be taken again with `current`. 0 for other engines.
     */
    readonly moves: number;
    /** An array from `allocate` as a view of the memory now (itself unless the memory moved; others as they are). */
    current(array: Float32Array): Float32Array;
    /** Makes room for `bytes` more of `allocate` at once, so that the memory does not move while they are made. */
    reserve(bytes: number): void;
    /** Bytes obtained through `allocate` (and the engine's own scratch) so far. */
    readonly allocatedBytes: number;
    /** Parts of split jobs that worker threads ran since the engine started: 0 on one thread (see runtime/wasm/threads.ts). */
    readonly workerParts: number;
    /** Settles when the engine's worker threads have started (ThreadTeam.started); a browser run awaits it. */
    readonly started: Promise<void>;
    /** Releases threads; the arrays stay readable. */
    dispose(): void;
}

/** A Winograd conv's weights: U (36 matrices C_out × C_in), or the conv's weight [C_out, C_in, 3, 3] untransformed. */
export type WinogradWeights = { readonly u: Float32Array } | { readonly weight: Float32Array };

/** Winograd's scratch for one image, on demand: an array of at least `elements` for the transformed input (V) or products (M). */
export type WinogradScratch = (purpose: 'v' | 'm', elements: number) => Float32Array;

/** The TypeScript reference: layer by layer, no folding, no Winograd. */
export function referenceCompute(): Compute {
    return typescriptEngine('reference', 'reference (TypeScript, layer by layer)', () => false);
}

/**
 * The fast engine's plan on the TypeScript kernels, with Winograd for the 3×3 convs: what runs where WebAssembly
 * SIMD is missing, with the reference's results up to floating-point reassociation.
 */
export function typescriptCompute(): Compute {
    return typescriptEngine('fast', 'typescript (no WebAssembly SIMD)', (x, xOffset, g, weights, cout, y, yOffset, scratch, epilogue, groups) => {
        if (!('u' in weights)) return false; // U made as it goes: WebAssembly only
        const tiles = winogradTileCount(g);
        const v = scratch('v', WINOGRAD_POSITIONS * g.channels * tiles);
        const m = scratch('m', WINOGRAD_POSITIONS * (cout / groups) * tiles);
        for (let j = 0; j < groups; j++) {
            const group = winogradGroup(j, groups, g, weights, cout, xOffset, yOffset, epilogue);
            winogradConv(packedGemm, x, group.xOffset, g, group.weights.u, group.cout, y, group.yOffset, v, m, group.epilogue);
        }
        return true;
    });
}

function typescriptEngine(kind: Compute['kind'], description: string, winograd: Compute['winograd']): Compute {
    let allocated = 0;
    return {
        kind,
        description,
        threads: 1,
        gemm: packedGemm,
        im2col: referenceIm2col,
        col2im: referenceCol2im,
        depthwise: referenceDepthwise,
        pool2d: () => false,
        activation: () => false,
        arithmetic: () => false,
        implicitConv: () => false,
        winograd,
        packInPlace: () => false,
        allocate: elements => {
            allocated += elements * 4;
            return new Float32Array(elements);
        },
        holds: () => true,
        moves: 0,
        workerParts: 0,
        started: Promise.resolve(),
        current: array => array,
        reserve: () => {},
        get allocatedBytes() { return allocated; },
        dispose: () => {},
    };
}

/** Which compute a run may ask for: see ComputeOptions.engine. */
export const ENGINE_CHOICES = ['fast', 'reference', 'typescript'] as const;
export type EngineChoice = typeof ENGINE_CHOICES[number];

export interface ComputeOptions {
    /**
     * 'fast' (default): WebAssembly SIMD when the engine has it, else `typescriptCompute`; 'reference': the
     * reference, layer by layer; 'typescript': the fallback itself (`convnet run --engine typescript`, the
     * benchmark, tests).
     */
    readonly engine?: EngineChoice;
    /** Threads for the fast engine (default: the machine's available parallelism). */
    readonly threads?: number;
    /** Bytes the run will allocate, so the memory grows once. */
    readonly expectedBytes?: number;
    /**
     * Which WebAssembly memory: 'auto' (default) a shared one, with threads, where the host allows it, else a plain
     * one on one thread; 'plain' forces the latter (what a browser page that is not cross-origin isolated runs).
     */
    readonly memory?: 'auto' | 'plain';
}

export function defaultThreads(): number {
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * The threads a run gets for the `requested` number: never more than the cores. More threads than cores only
 * take turns on them, each with its own scratch and its own worker (tens of MB), so 256 asked for on 2 cores
 * would cost gigabytes and run slower.
 */
export function threadsFor(requested: number | undefined): number {
    return Math.max(1, Math.min(requested ?? defaultThreads(), defaultThreads()));
}

/** The most memory the fast engine can hold: a 32-bit WebAssembly memory addresses 4 GiB. */
export const FAST_ENGINE_CAPACITY = 4 * 1024 ** 3;

export function createCompute(options: ComputeOptions = {}): Compute {
    if (options.engine === 'reference') return referenceCompute();
    const compiled = options.engine === 'typescript' ? null : compiledKernels(options.memory);
    if (!compiled) return typescriptCompute();
    try {
        return createWasmCompute(compiled, threadsFor(options.threads), options.expectedBytes ?? 0);
    } catch {
        // A host that validates the module but cannot share its memory with threads: the TypeScript kernels run.
        return typescriptCompute();
    }
}
