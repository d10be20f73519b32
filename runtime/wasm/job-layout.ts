/**
 * The job block, defined once for both sides: how the TypeScript side (`ThreadTeam.run`, threads.ts) hands a
 * job to the WebAssembly kernels' `runPart` (assembly/jobs.ts). A block is a run of 4-byte slots in shared
 * memory: the header below, then the arguments of the job named by `kind`, in the order of its fields here.
 *
 * Both sides take their offsets from here, so they cannot disagree. The TypeScript side writes a job by field
 * name (`jobSlots` gives each field's slot). The AssemblyScript side imports this file as '../job-layout', and
 * runtime/wasm/build.mjs hands the compiler its translation: one @unmanaged class (a plain struct) per layout,
 * the same fields in the same order, with a compile-time check of every field's byte offset — so a kernel reads
 * `job.lda`, not argument 6.
 *
 * Only the layouts live here; what the fields mean is said where the kernels take them.
 */

/**
 * A slot's type: a 32-bit integer, a 32-bit float, or a byte address or size (an unsigned 32-bit integer in
 * the module; a negative distance wraps around, as the module's address arithmetic does).
 */
export type SlotType = 'i32' | 'f32' | 'usize';

/** Field names in slot order (an object keeps its string keys in the order written). */
export type Layout = Readonly<Record<string, SlotType>>;

export const JOB_HEADER = {
    /** Bumped by the caller to wake the workers (Atomics.wait and notify on this slot). */
    generation: 'i32',
    /** Which job the arguments are (JOB_KINDS), or STOP_KIND. */
    kind: 'i32',
    /** The parts the job is cut into; threads take them one at a time (threads.ts). */
    parts: 'i32',
    /** Parts finished: the thread that finishes the last one wakes the caller. */
    done: 'i32',
    /** Thread 0's scratch; thread t's starts t · scratchStride bytes further. */
    scratch: 'usize',
    scratchStride: 'usize',
    /**
     * The next part to take, as one 64-bit value (ticketLow, ticketHigh): the job's generation in the high half and
     * the part's index in the low half, taken by compare-and-swap — so a thread that read an older job can never
     * take a part of a newer one. At an even slot, for the 8-byte alignment 64-bit atomics need.
     */
    ticketLow: 'i32',
    ticketHigh: 'i32',
    /** Parts the worker threads (not the caller) have run since the team started: that they take any at all. */
    workerParts: 'i32',
    /**
     * Workers running their loop. A job split before any is runs on the caller alone and is no loss: a worker
     * thread takes milliseconds to start, while a run that starts at once goes on synchronously.
     */
    workersReady: 'i32',
    /** How long, in microseconds, a worker that finished its parts watches for the next job before it sleeps. */
    watchMicros: 'i32',
} as const satisfies Layout;

/** The geometry of a 2-D sliding window (kernel, stride, dilation, padding before), shared by several jobs. */
const WINDOW_2D = {
    kh: 'i32', kw: 'i32', sh: 'i32', sw: 'i32', dh: 'i32', dw: 'i32', ph: 'i32', pw: 'i32',
} as const satisfies Layout;

/** Each job's arguments; the AssemblyScript struct of `fooBar` is `FooBarJob`, its kind `JOB_FOO_BAR`. */
export const JOBS = {
    /** `count` GEMMs of one shape (Winograd's 36), operands `aStride`, `bStride`, `cStride` bytes apart. */
    gemm: {
        m: 'i32', n: 'i32', k: 'i32', a: 'usize', lda: 'i32', b: 'usize', ldb: 'i32', c: 'usize', ldc: 'i32',
        flags: 'i32', bias: 'usize', lo: 'f32', hi: 'f32', residual: 'usize',
        count: 'i32', aStride: 'usize', bStride: 'usize', cStride: 'usize',
    },
    im2col: { x: 'usize', channels: 'i32', H: 'i32', W: 'i32', ...WINDOW_2D, Ho: 'i32', Wo: 'i32', cols: 'usize' },
    /** A depthwise conv, max or average pooling (`mode`). */
    window: {
        mode: 'i32', x: 'usize', y: 'usize', weight: 'usize', bias: 'usize', channels: 'i32', multiplier: 'i32',
        H: 'i32', W: 'i32', Ho: 'i32', Wo: 'i32', ...WINDOW_2D, flags: 'i32', lo: 'f32', hi: 'f32',
    },
    winogradInput: { x: 'usize', v: 'usize', channels: 'i32', H: 'i32', W: 'i32', ph: 'i32', pw: 'i32', tilesH: 'i32', tilesW: 'i32' },
    winogradOutput: {
        m: 'usize', y: 'usize', channels: 'i32', Ho: 'i32', Wo: 'i32', tilesH: 'i32', tilesW: 'i32',
        flags: 'i32', bias: 'usize', residual: 'usize', lo: 'f32', hi: 'f32',
    },
    /**
     * A 3×3 stride-1 conv by Winograd a block of `block` tiles at a time (assembly/winograd-blocks.ts): the whole
     * conv of one image, cut into parts by runs of blocks — of every group of a grouped conv, group j's input, U
     * and output `*GroupStride` bytes on from the last (channels and cout a group's, its bias cout floats on).
     */
    winograd: {
        x: 'usize', channels: 'i32', H: 'i32', W: 'i32', ph: 'i32', pw: 'i32', tilesH: 'i32', tilesW: 'i32', u: 'usize', cout: 'i32',
        y: 'usize', Ho: 'i32', Wo: 'i32', flags: 'i32', bias: 'usize', residual: 'usize', lo: 'f32', hi: 'f32', block: 'i32',
        groups: 'i32', xGroupStride: 'usize', uGroupStride: 'usize', yGroupStride: 'usize',
    },
    /**
     * A small plane's Winograd conv, its tiles as the GEMM's rows (assembly/winograd-rows.ts): V of every tile as
     * packed panels, cut by channels…
     */
    winogradInputPanels: { x: 'usize', v: 'usize', channels: 'i32', H: 'i32', W: 'i32', ph: 'i32', pw: 'i32', tilesH: 'i32', tilesW: 'i32' },
    /**
     * …then the output channels, cut by panels, each on U made from its weights `g` as it goes: `groups` convs of
     * `channels` → `cout` channels, group j reading V's channels from j · channels (of `vChannels`), its weights
     * and output planes `*GroupStride` bytes on from the last, its bias `cout` floats on.
     */
    winogradChannels: {
        v: 'usize', channels: 'i32', vChannels: 'i32', tilesH: 'i32', tilesW: 'i32', g: 'usize', cout: 'i32',
        y: 'usize', Ho: 'i32', Wo: 'i32', flags: 'i32', bias: 'usize', residual: 'usize', lo: 'f32', hi: 'f32',
        groups: 'i32', gGroupStride: 'usize', yGroupStride: 'usize',
    },
    col2im: { cols: 'usize', y: 'usize', channels: 'i32', H: 'i32', W: 'i32', ...WINDOW_2D, Hg: 'i32', Wg: 'i32' },
    /** `groups` convs alike, each `*GroupStride` bytes on from the last (its bias m floats on), as one job. */
    implicitConv: {
        x: 'usize', channels: 'i32', H: 'i32', W: 'i32', ...WINDOW_2D, Ho: 'i32', Wo: 'i32', a: 'usize', m: 'i32',
        flags: 'i32', bias: 'usize', residual: 'usize', lo: 'f32', hi: 'f32', y: 'usize',
        groups: 'i32', xGroupStride: 'usize', aGroupStride: 'usize', yGroupStride: 'usize',
    },
    /** An activation (`op`, assembly/activation.ts) of `n` elements. */
    activation: { op: 'i32', x: 'usize', y: 'usize', n: 'i32', alpha: 'f32', beta: 'f32' },
    /** y = a ∘ b (`op`, assembly/arithmetic.ts) over `rows` rows of `inner` elements (steps in elements). */
    arithmetic: {
        op: 'i32', a: 'usize', b: 'usize', y: 'usize', rows: 'i32', inner: 'i32', aRow: 'i32', bRow: 'i32', aStep: 'i32', bStep: 'i32',
    },
} as const satisfies Record<string, Layout>;

export type JobName = keyof typeof JOBS;

/** A job's arguments by field name; f32 fields are written as floats, the others as 32-bit integers. */
export type JobArguments<J extends JobName> = { readonly [F in keyof typeof JOBS[J]]: number };

/** Job kinds number the jobs in the order above, from 1. */
export const JOB_KINDS = Object.fromEntries(Object.keys(JOBS).map((name, i) => [name, i + 1])) as Record<JobName, number>;

/** The kind that tells the workers to stop. */
export const STOP_KIND = -1;

/** One field of a block: its slot (a 4-byte index from the block's start) and type. */
export interface JobSlot {
    readonly field: string;
    readonly slot: number;
    readonly type: SlotType;
}

function slotsOf(layout: Layout, first: number): readonly JobSlot[] {
    return Object.entries(layout).map(([field, type], i) => ({ field, slot: first + i, type }));
}

/** The header's slots by field name. */
export const HEADER_SLOT = Object.fromEntries(slotsOf(JOB_HEADER, 0).map(s => [s.field, s.slot])) as Record<keyof typeof JOB_HEADER, number>;
if (HEADER_SLOT.ticketLow % 2 !== 0) throw new Error('job-layout: the ticket must start at an even slot (8-byte aligned)');

/** The slot of a job's first argument. */
export const ARGUMENTS_SLOT = Object.keys(JOB_HEADER).length;

/** Slots in a block: the header and the longest job's arguments. */
export const JOB_SLOTS = ARGUMENTS_SLOT + Math.max(...Object.values(JOBS).map(fields => Object.keys(fields).length));

const JOB_SLOTS_BY_NAME = Object.fromEntries(Object.entries(JOBS).map(([name, fields]) => [name, slotsOf(fields, ARGUMENTS_SLOT)])) as Record<JobName, readonly JobSlot[]>;

/** Where each argument of job `name` goes, in slot order. */
export function jobSlots(name: JobName): readonly JobSlot[] {
    return JOB_SLOTS_BY_NAME[name];
}
