/**
 * The WebAssembly kernels (runtime/wasm/assembly/kernels.ts, compiled at build time) and the shared linear
 * memory they work in. A `WasmMemory` is one run's heap: weights, activations and scratch are allocated in it
 * by a bump allocator, so a kernel passes byte addresses instead of copying operands in and out. The memory is
 * shared (a SharedArrayBuffer), so worker threads instantiate the same module on it and work on the same tensors;
 * a shared memory never detaches, so views taken before it grows stay valid.
 */
import { RELAXED_SIMD_KERNELS, SIMD_KERNELS } from './generated/kernels-wasm.js';

/** The functions the module exports (addresses in bytes, sizes in elements). */
export interface KernelExports {
    gemm(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
        flags: number, bias: number, residual: number, lo: number, hi: number, scratch: number): void;
    gemmScratchBytes(): number;
    /** Elements packMatrix writes for an m×k A. */
    packedSize(m: number, k: number): number;
    packMatrix(a: number, m: number, k: number, lda: number, dst: number): void;
    im2col2d(x: number, c0: number, c1: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
        dh: number, dw: number, ph: number, pw: number, Ho: number, Wo: number, cols: number): void;
    /** mode: WINDOW_DEPTHWISE, WINDOW_MAX or WINDOW_AVG. */
    window2d(mode: number, x: number, y: number, weight: number, bias: number, c0: number, c1: number, multiplier: number,
        H: number, W: number, Ho: number, Wo: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
        ph: number, pw: number, flags: number, lo: number, hi: number, scratch: number): void;
    heapBase(): number;
    /** Part t of T of the job in the block at byte address `job` (job-layout.ts), on `thread`'s scratch. */
    runPart(job: number, t: number, T: number, thread: number): void;
    /** 64·rounds flops of register-only multiply-adds: the benchmark's SIMD ceiling (assembly/peak.ts). */
    fmaPeak(rounds: number, seed: number): number;
}

/**
 * Numbers both sides must agree on — the kernels' flag bits and window2d's modes — defined once, in the module,
 * and read from its exported globals. (The job block's layout and job kinds are defined once too, on this
 * side: job-layout.ts.)
 */
const CONSTANT_NAMES = [
    'ACCUMULATE', 'BIAS', 'CLAMP', 'RESIDUAL', 'PACKED_A', 'WINDOW_DEPTHWISE', 'WINDOW_MAX', 'WINDOW_AVG',
] as const;

export type KernelConstants = Readonly<Record<typeof CONSTANT_NAMES[number], number>>;

function constantsOf(exports: Record<string, unknown>): KernelConstants {
    return Object.fromEntries(CONSTANT_NAMES.map(name => [name, (exports[name] as { value: number }).value])) as KernelConstants;
}

export type WasmVariant = 'relaxed-simd' | 'simd';

export interface CompiledKernels {
    readonly module: WebAssembly.Module;
    readonly variant: WasmVariant;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the most a 32-bit memory can address

/** A run that needs more memory than a 32-bit WebAssembly memory has. */
export class EngineMemoryExhausted extends Error {}

let compiled: CompiledKernels | null | undefined;

/**
 * The compiled module for this engine — with relaxed SIMD's fused multiply-add when the engine validates it,
 * else plain 128-bit SIMD — or null when the engine has neither WebAssembly SIMD nor shared memory (then the
 * TypeScript kernels run).
 */
export function compiledKernels(): CompiledKernels | null {
    if (compiled !== undefined) return compiled;
    compiled = null;
    if (typeof WebAssembly === 'undefined' || typeof SharedArrayBuffer === 'undefined') return compiled;
    for (const [variant, base64] of [['relaxed-simd', RELAXED_SIMD_KERNELS], ['simd', SIMD_KERNELS]] as const) {
        const bytes = Buffer.from(base64, 'base64');
        if (!WebAssembly.validate(bytes)) continue;
        try {
            compiled = { module: new WebAssembly.Module(bytes), variant };
            break;
        } catch {
            // A module that validates but cannot compile (an engine without shared memory): try the next one.
        }
    }
    return compiled;
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Record<string, unknown> {
    return new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('wasm kernel aborted'); } } }).exports;
}

/** One heap in shared linear memory: a bump allocator over 16-byte-aligned blocks. */
export class WasmMemory {
    readonly memory: WebAssembly.Memory;
    readonly kernels: KernelExports;
    readonly constants: KernelConstants;
    private top: number;
    /** Every SharedArrayBuffer object this memory has had: a view made before a grow holds an older one. */
    private readonly buffers = new WeakSet<ArrayBufferLike>();

    constructor(readonly compiledKernels: CompiledKernels, initialBytes = 0) {
        const pages = Math.max(2, Math.ceil((initialBytes + 2 * PAGE) / PAGE));
        this.memory = new WebAssembly.Memory({ initial: Math.min(pages, MAX_PAGES), maximum: MAX_PAGES, shared: true });
        this.buffers.add(this.memory.buffer);
        const exports = instantiate(compiledKernels.module, this.memory);
        this.kernels = exports as unknown as KernelExports;
        this.constants = constantsOf(exports);
        this.top = this.kernels.heapBase();
    }

    /** Bytes allocated so far (the high-water mark of this heap). */
    get allocatedBytes(): number {
        return this.top;
    }

    /**
     * A fresh, zeroed block of `bytes` bytes, growing the memory when needed. Blocks are 16-byte aligned and
     * followed by 16 spare bytes: a vector kernel may load (never use) a few elements past a tensor's end.
     */
    allocateBytes(bytes: number): number {
        const address = this.top;
        const end = address + Math.ceil(bytes / 16) * 16 + 16;
        if (end > MAX_PAGES * PAGE) throw new EngineMemoryExhausted(`the run needs more than the 4 GiB the fast engine's WebAssembly memory can hold; run it on the TypeScript engine (convnet run --engine typescript)`);
        const have = this.memory.buffer.byteLength;
        if (end > have) {
            this.memory.grow(Math.ceil((end - have) / PAGE));
            this.buffers.add(this.memory.buffer);
        }
        this.top = end;
        return address;
    }

    allocate(elements: number): Float32Array {
        const address = this.allocateBytes(elements * 4);
        return new Float32Array(this.memory.buffer, address, elements);
    }

    /** Whether `array` is a view of this memory (so kernels can take its address). */
    holds(array: Float32Array): boolean {
        return this.buffers.has(array.buffer);
    }

    /** Byte address of element `offset` of `array`, a view of this memory. */
    address(array: Float32Array, offset = 0): number {
        return array.byteOffset + offset * 4;
    }
}
