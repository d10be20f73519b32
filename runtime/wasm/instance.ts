/**
 * The WebAssembly kernels (runtime/wasm/assembly/kernels.ts, compiled at build time) and the linear memory they
 * work in. A `WasmMemory` is one run's heap: weights, activations and scratch are allocated in it by a bump
 * allocator, so a kernel passes byte addresses instead of copying operands in and out.
 *
 * The memory is shared (a SharedArrayBuffer) wherever the host allows one, so worker threads instantiate the same
 * module on it and work on the same tensors; a shared memory never detaches, so views taken before it grows stay
 * valid. A browser page that is not cross-origin isolated may not make a shared memory: there the same kernels,
 * compiled for a plain memory, run on one thread. A plain memory MOVES when it grows — its old ArrayBuffer is
 * detached and every view of it reads as empty — so holders of views re-take them (`current`) after `moves` changes.
 */
import { PLAIN_RELAXED_SIMD_KERNELS, PLAIN_SIMD_KERNELS, RELAXED_SIMD_KERNELS, SIMD_KERNELS } from './generated/kernels-wasm.js';

/** The functions the module exports (addresses in bytes, sizes in elements). */
export interface KernelExports {
    gemm(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
        flags: number, bias: number, residual: number, lo: number, hi: number, scratch: number): void;
    gemmScratchBytes(): number;
    /** Scratch bytes the implicit conv takes at depth k for rows of wo positions, besides a packed copy of its weights. */
    implicitConvScratchBytes(k: number, wo: number): number;
    /** Scratch bytes the tile-blocked Winograd takes for blocks of nt tiles (assembly/winograd-blocks.ts). */
    winogradBlockScratchBytes(cin: number, cout: number, nt: number): number;
    /** Scratch bytes a part of a small plane's Winograd takes (winograd-rows.ts), and the bytes of its shared V. */
    winogradRowsScratchBytes(tiles: number): number;
    winogradRowsBytes(cin: number, tiles: number): number;
    /** Elements packMatrix writes for an m×k A. */
    packedSize(m: number, k: number): number;
    packMatrix(a: number, m: number, k: number, lda: number, dst: number): void;
    im2col2d(x: number, c0: number, c1: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
        dh: number, dw: number, ph: number, pw: number, Ho: number, Wo: number, cols: number): void;
    /** mode: WINDOW_DEPTHWISE, WINDOW_MAX or WINDOW_AVG. */
    window2d(mode: number, x: number, y: number, weight: number, bias: number, c0: number, c1: number, multiplier: number,
        H: number, W: number, Ho: number, Wo: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
        ph: number, pw: number, flags: number, lo: number, hi: number, scratch: number): void;
    /** y[i] = op(x[i]) for elements [from, to): op one of the ACT_* constants, alpha and beta its parameters. */
    activate(op: number, x: number, y: number, from: number, to: number, alpha: number, beta: number): void;
    heapBase(): number;
    /** Part t of T of the job in the block at byte address `job` (job-layout.ts), on `thread`'s scratch. */
    runPart(job: number, t: number, T: number, thread: number): void;
    /** 64·rounds flops of register-only multiply-adds: the benchmark's SIMD ceiling (assembly/peak.ts). */
    fmaPeak(rounds: number, seed: number): number;
    /** The GEMM's micro-kernel `rounds` times on operands in L1 at `scratch` (l1PeakBytes() zeroed bytes; assembly/peak.ts). */
    l1Peak(rounds: number, scratch: number): void;
    l1PeakBytes(): number;
    l1PeakFlops(): number;
}

/**
 * Numbers both sides must agree on — the kernels' flag bits, window2d's modes and the activations — defined once,
 * in the module, and read from its exported globals. (The job block's layout and job kinds are defined once too,
 * on this side: job-layout.ts.)
 */
const CONSTANT_NAMES = [
    'ACCUMULATE', 'BIAS', 'BIAS_COLUMNS', 'CLAMP', 'RESIDUAL', 'PACKED_A', 'ACTIVATION_SHIFT', 'WINDOW_DEPTHWISE', 'WINDOW_MAX', 'WINDOW_AVG',
    'ACT_RELU', 'ACT_CLAMP', 'ACT_LEAKY', 'ACT_ELU', 'ACT_SIGMOID', 'ACT_TANH', 'ACT_HARDSWISH', 'ACT_HARDSIGMOID',
    'ACT_SILU', 'ACT_GELU', 'ACT_GELU_TANH', 'ARITH_ADD', 'ARITH_SUB', 'ARITH_MUL', 'ARITH_DIV',
] as const;

export type KernelConstants = Readonly<Record<typeof CONSTANT_NAMES[number], number>>;

function constantsOf(exports: Record<string, unknown>): KernelConstants {
    return Object.fromEntries(CONSTANT_NAMES.map(name => [name, (exports[name] as { value: number }).value])) as KernelConstants;
}

export type WasmVariant = 'relaxed-simd' | 'simd';

/** 'shared': a shared memory that worker threads can work on; 'plain': an ordinary memory, one thread. */
export type WasmMemoryKind = 'shared' | 'plain';

export interface CompiledKernels {
    readonly module: WebAssembly.Module;
    readonly variant: WasmVariant;
    readonly memory: WasmMemoryKind;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the most a 32-bit memory can address

/** A run that needs more memory than a 32-bit WebAssembly memory has. */
export class EngineMemoryExhausted extends Error {}

const BINARIES: Record<WasmMemoryKind, readonly (readonly [WasmVariant, string])[]> = {
    shared: [['relaxed-simd', RELAXED_SIMD_KERNELS], ['simd', SIMD_KERNELS]],
    plain: [['relaxed-simd', PLAIN_RELAXED_SIMD_KERNELS], ['simd', PLAIN_SIMD_KERNELS]],
};

/** Whether this host lets a WebAssembly memory be shared (Node; a browser page only when cross-origin isolated). */
function sharedMemoryAllowed(): boolean {
    if (typeof SharedArrayBuffer === 'undefined') return false;
    try {
        new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
        return true;
    } catch {
        return false;
    }
}

const compiled = new Map<WasmMemoryKind | 'auto', CompiledKernels | null>();

/**
 * The compiled module for this engine — with relaxed SIMD's fused multiply-add when the engine validates it,
 * else plain 128-bit SIMD — or null when the engine has no WebAssembly SIMD (then the TypeScript kernels run).
 * `memory` 'auto' (default) takes the shared-memory build where the host allows a shared memory, else the plain
 * one; 'plain' forces the plain build (tests, and the speed figures of the browser's engine on Node).
 */
export function compiledKernels(memory: WasmMemoryKind | 'auto' = 'auto'): CompiledKernels | null {
    const known = compiled.get(memory);
    if (known !== undefined) return known;
    let result: CompiledKernels | null = null;
    if (memory === 'auto') {
        result = (sharedMemoryAllowed() ? compiledKernels('shared') : null) ?? compiledKernels('plain');
    } else if (typeof WebAssembly !== 'undefined' && (memory === 'plain' || sharedMemoryAllowed())) {
        for (const [variant, base64] of BINARIES[memory]) {
            const bytes = Buffer.from(base64, 'base64');
            if (!WebAssembly.validate(bytes)) continue;
            try {
                result = { module: new WebAssembly.Module(bytes), variant, memory };
                break;
            } catch {
                // A module that validates but cannot compile: try the next one.
            }
        }
    }
    compiled.set(memory, result);
    return result;
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Record<string, unknown> {
    return new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('wasm kernel aborted'); } } }).exports;
}

/** One heap in linear memory: a bump allocator over 16-byte-aligned blocks. */
export class WasmMemory {
    readonly memory: WebAssembly.Memory;
    readonly kernels: KernelExports;
    readonly constants: KernelConstants;
    readonly shared: boolean;
    private top: number;
    private moveCount = 0;
    /** Every SharedArrayBuffer object a shared memory has had: a view made before a grow holds an older one. */
    private readonly buffers = new WeakSet<ArrayBufferLike>();
    /**
     * Where each array handed out by a plain memory starts and how long it is: once the memory moves, an array's
     * own byteOffset reads 0, so `current` finds its place here.
     */
    private readonly places = new WeakMap<Float32Array, { address: number; elements: number }>();

    constructor(readonly compiledKernels: CompiledKernels, initialBytes = 0) {
        this.shared = compiledKernels.memory === 'shared';
        const pages = Math.max(2, Math.ceil((initialBytes + 2 * PAGE) / PAGE));
        this.memory = new WebAssembly.Memory({ initial: Math.min(pages, MAX_PAGES), maximum: MAX_PAGES, shared: this.shared });
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

    /** How many times a plain memory has moved (grown): views taken before the last move are void. Always 0 when shared. */
    get moves(): number {
        return this.moveCount;
    }

    /** Grows the memory, if needed, so that the next `bytes` of blocks fit without growing (for a plain memory: moving) again. */
    reserve(bytes: number): void {
        const end = this.top + bytes;
        if (end > MAX_PAGES * PAGE) throw new EngineMemoryExhausted(`the run needs more than the 4 GiB the fast engine's WebAssembly memory can hold; run it on the TypeScript engine (convnet run --engine typescript)`);
        const have = this.memory.buffer.byteLength;
        if (end <= have) return;
        this.memory.grow(Math.ceil((end - have) / PAGE));
        this.buffers.add(this.memory.buffer);
        if (!this.shared) this.moveCount++;
    }

    /**
     * A fresh, zeroed block of `bytes` bytes, growing the memory when needed. Blocks are 16-byte aligned and
     * followed by 16 spare bytes: a vector kernel may load (never use) a few elements past a tensor's end.
     */
    allocateBytes(bytes: number): number {
        const address = this.top;
        const size = Math.ceil(bytes / 16) * 16 + 16;
        this.reserve(size);
        this.top = address + size;
        return address;
    }

    allocate(elements: number): Float32Array {
        const address = this.allocateBytes(elements * 4);
        // The buffer object as it is now, recorded: a shared memory's may be a new object for the same memory that
        // no grow of ours recorded, and a view of it must still count as this memory's once another replaces it.
        const buffer = this.memory.buffer;
        if (this.shared) this.buffers.add(buffer);
        const array = new Float32Array(buffer, address, elements);
        if (!this.shared) this.places.set(array, { address, elements });
        return array;
    }

    /**
     * `array` as a view of the memory as it is now: `array` itself unless a plain memory moved since `allocate`
     * (or `current`) gave it; an array that is not this memory's comes back as it is.
     */
    current(array: Float32Array): Float32Array {
        if (this.shared || array.buffer === this.memory.buffer) return array;
        const place = this.places.get(array);
        if (!place) return array;
        const moved = new Float32Array(this.memory.buffer, place.address, place.elements);
        this.places.set(moved, place);
        return moved;
    }

    /**
     * Whether `array` is a view of this memory (so kernels can take its address). A view of a plain memory from
     * before a move is not: its address reads 0, and a kernel given it would write over the heap's first block.
     */
    holds(array: Float32Array): boolean {
        // A shared memory's views from before it grew stay valid (the set keeps every buffer object it had); the
        // current object is checked first, since V8 may hand out a new one for the same memory without a grow of ours.
        return array.buffer === this.memory.buffer || (this.shared && this.buffers.has(array.buffer));
    }

    /** Byte address of element `offset` of `array`, a view of this memory. */
    address(array: Float32Array, offset = 0): number {
        return array.byteOffset + offset * 4;
    }
}
