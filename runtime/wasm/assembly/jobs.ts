// The work split over threads (AssemblyScript; see kernels.ts). A job is a block of 4-byte slots in shared
// memory, written by the thread that starts it (ThreadTeam.run in runtime/wasm/threads.ts) and cut into parts;
// the threads take parts one at a time and call runPart(block, t, T, thread) for part t of T.
//
// '../job-layout' is runtime/wasm/job-layout.ts, where the block's header and each job's fields are defined
// once: runtime/wasm/build.mjs hands the compiler its translation to AssemblyScript — a struct per layout
// (`GemmJob`, …, `JobHeader`), the job kinds (`JOB_GEMM`, …) and JOB_ARGUMENTS_OFFSET, the byte offset of a
// job's first field.

import {
    ActivationJob, ArithmeticJob, Col2imJob, GemmJob, Im2colJob, ImplicitConvJob, JOB_ACTIVATION, JOB_ARGUMENTS_OFFSET, JOB_ARITHMETIC, JOB_COL2IM, JOB_GEMM, JOB_IM2COL, JOB_IMPLICIT_CONV,
    JOB_WINDOW, JOB_WINOGRAD, JOB_WINOGRAD_INPUT, JOB_WINOGRAD_OUTPUT, JOB_WINOGRAD_INPUT_PANELS, JOB_WINOGRAD_CHANNELS, JobHeader, WindowJob, WinogradInputJob, WinogradJob,
    WinogradOutputJob, WinogradInputPanelsJob, WinogradChannelsJob,
} from '../job-layout';
import { activate } from './activation';
import { arithmetic } from './arithmetic';
import { BIAS_COLUMNS, PACKED_A } from './flags';
import { MR, NR, gemm } from './gemm';
import { col2im2d, im2col2d } from './im2col';
import { implicitConv2d } from './implicit-conv';
import { window2d } from './window';
import { winogradInput, winogradOutput } from './winograd';
import { winogradBlock } from './winograd-blocks';
import { winogradRowsChannelPanels, winogradRowsInput } from './winograd-rows';

/** Part t's share [begin, end) of `count` items handed out in multiples of `unit`. */
@inline function shareBegin(count: i32, unit: i32, t: i32, T: i32): i32 {
    const per = ((count + T * unit - 1) / (T * unit)) * unit;
    return min(count, t * per);
}

@inline function shareEnd(count: i32, unit: i32, t: i32, T: i32): i32 {
    const per = ((count + T * unit - 1) / (T * unit)) * unit;
    return min(count, (t + 1) * per);
}
/**
 * Part t of T of the job, run by `thread` (whose scratch it uses): a GEMM is split by columns of C (whole NR
 * panels) when it is wide, by rows (whole MR panels) when it is tall; an implicit conv by output rows (of all its
 * groups); a Winograd conv by runs of whole blocks of tiles, or (a small plane's) by channels, then by panels of output channels; an activation by runs of whole cache lines; arithmetic by rows, or a single row by runs of whole cache
 * lines; the other jobs by channels. Each part writes a disjoint part of the result.
 */
export function runPart(block: usize, t: i32, T: i32, thread: i32): void {
    const header = changetype<JobHeader>(block);
    const args = block + JOB_ARGUMENTS_OFFSET;
    const kind = header.kind;
    const scratch = header.scratch + <usize>thread * header.scratchStride;
    if (kind == JOB_GEMM) {
        const job = changetype<GemmJob>(args);
        const m = job.m, n = job.n, k = job.k, lda = job.lda, ldb = job.ldb, ldc = job.ldc;
        const flags = job.flags, bias = job.bias, residual = job.residual, lo = job.lo, hi = job.hi;
        let a = job.a, b = job.b, c = job.c;
        // A batch of `count` GEMMs of the same shape, `*Stride` bytes apart (Winograd's 36), or just one.
        const count = max(1, job.count);
        const aStride = job.aStride, bStride = job.bStride, cStride = job.cStride;
        for (let g = 0; g < count; g++, a += aStride, b += bStride, c += cStride) {
            // Packed A is laid out for whole-matrix blocks: a split by rows would not find its panels.
            if ((flags & PACKED_A) || n >= m || m < MR * T) {
                const j0 = shareBegin(n, NR, t, T), j1 = shareEnd(n, NR, t, T);
                const columnBias = flags & BIAS_COLUMNS ? bias + (<usize>j0 << 2) : bias;
                if (j0 < j1) gemm(m, j1 - j0, k, a, lda, b + (<usize>j0 << 2), ldb, c + (<usize>j0 << 2), ldc, flags, columnBias, residual, lo, hi, scratch);
            } else {
                const i0 = shareBegin(m, MR, t, T), i1 = shareEnd(m, MR, t, T);
                const rowBias = flags & BIAS_COLUMNS ? bias : bias + (<usize>i0 << 2);
                if (i0 < i1) gemm(i1 - i0, n, k, a + <usize>i0 * lda * 4, lda, b, ldb, c + <usize>i0 * ldc * 4, ldc, flags, rowBias, residual, lo, hi, scratch);
            }
        }
    } else if (kind == JOB_WINOGRAD_INPUT) {
        const job = changetype<WinogradInputJob>(args);
        const c0 = shareBegin(job.channels, 1, t, T), c1 = shareEnd(job.channels, 1, t, T);
        if (c0 < c1) winogradInput(job.x, job.v, c0, c1, job.channels, job.H, job.W, job.ph, job.pw, job.tilesH, job.tilesW, scratch);
    } else if (kind == JOB_WINOGRAD_OUTPUT) {
        const job = changetype<WinogradOutputJob>(args);
        const c0 = shareBegin(job.channels, 1, t, T), c1 = shareEnd(job.channels, 1, t, T);
        if (c0 < c1) {
            winogradOutput(job.m, job.y, c0, c1, job.channels, job.Ho, job.Wo, job.tilesH, job.tilesW,
                job.flags, job.bias, job.residual, job.lo, job.hi, scratch);
        }
    } else if (kind == JOB_WINOGRAD) {
        // The groups' blocks of tiles one after another, cut into parts of whole blocks.
        const job = changetype<WinogradJob>(args);
        const block = job.block, tiles = job.tilesH * job.tilesW;
        const blocks = (tiles + block - 1) / block;
        const b1 = shareEnd(job.groups * blocks, 1, t, T);
        for (let b = shareBegin(job.groups * blocks, 1, t, T); b < b1; b++) {
            const group = b / blocks, f = (b - group * blocks) * block;
            winogradBlock(job.x + <usize>group * job.xGroupStride, job.channels, job.H, job.W, job.ph, job.pw, job.tilesW,
                job.u + <usize>group * job.uGroupStride, job.cout, job.y + <usize>group * job.yGroupStride, job.Ho, job.Wo,
                job.flags, job.bias + <usize>(group * job.cout * 4), job.residual, job.lo, job.hi, f, min(block, tiles - f), block, scratch);
        }
    } else if (kind == JOB_WINOGRAD_INPUT_PANELS) {
        const job = changetype<WinogradInputPanelsJob>(args);
        const c0 = shareBegin(job.channels, 1, t, T), c1 = shareEnd(job.channels, 1, t, T);
        if (c0 < c1) winogradRowsInput(job.x, c0, c1, job.channels, job.H, job.W, job.ph, job.pw, job.tilesH, job.tilesW, job.v, scratch);
    } else if (kind == JOB_WINOGRAD_CHANNELS) {
        const job = changetype<WinogradChannelsJob>(args);
        // Every group's panels of NR output channels (a group's last may be part-filled), one after another.
        const panels = (job.cout + NR - 1) / NR;
        const p1 = shareEnd(job.groups * panels, 1, t, T);
        for (let p = shareBegin(job.groups * panels, 1, t, T); p < p1; p++) {
            const group = p / panels, r0 = (p - group * panels) * NR;
            winogradRowsChannelPanels(job.v + <usize>(group * job.channels) * 16, job.channels, job.vChannels, job.tilesH, job.tilesW,
                job.g + <usize>group * job.gGroupStride, job.cout, job.y + <usize>group * job.yGroupStride, job.Ho, job.Wo,
                job.flags, job.bias + <usize>(group * job.cout * 4), job.residual, job.lo, job.hi, r0, min(job.cout, r0 + NR), scratch);
        }
    } else if (kind == JOB_WINDOW) {
        const job = changetype<WindowJob>(args);
        // Whole fours of channels where it can: a small plane's depthwise conv takes them four at a time (window.ts).
        const c0 = shareBegin(job.channels, 4, t, T), c1 = shareEnd(job.channels, 4, t, T);
        if (c0 < c1) {
            window2d(job.mode, job.x, job.y, job.weight, job.bias, c0, c1, job.multiplier, job.H, job.W, job.Ho, job.Wo,
                job.kh, job.kw, job.sh, job.sw, job.dh, job.dw, job.ph, job.pw, job.flags, job.lo, job.hi, scratch);
        }
    } else if (kind == JOB_COL2IM) {
        const job = changetype<Col2imJob>(args);
        const c0 = shareBegin(job.channels, 1, t, T), c1 = shareEnd(job.channels, 1, t, T);
        if (c0 < c1) {
            col2im2d(job.cols, job.y, c0, c1, job.H, job.W, job.kh, job.kw, job.sh, job.sw, job.dh, job.dw, job.ph, job.pw, job.Hg, job.Wg);
        }
    } else if (kind == JOB_IMPLICIT_CONV) {
        const job = changetype<ImplicitConvJob>(args);
        // The groups' output rows one after another, cut into parts: a part may end in one group and go on in the next.
        const Ho = job.Ho;
        const r1 = shareEnd(job.groups * Ho, 1, t, T);
        for (let r = shareBegin(job.groups * Ho, 1, t, T); r < r1;) {
            const group = r / Ho;
            const oh0 = r - group * Ho, oh1 = min(Ho, oh0 + r1 - r);
            implicitConv2d(job.x + <usize>group * job.xGroupStride, job.channels, job.H, job.W, job.kh, job.kw, job.sh, job.sw,
                job.dh, job.dw, job.ph, job.pw, Ho, job.Wo, job.a + <usize>group * job.aGroupStride, job.m, job.flags,
                job.bias + <usize>(group * job.m * 4), job.residual, job.lo, job.hi, job.y + <usize>group * job.yGroupStride,
                oh0, oh1, scratch);
            r += oh1 - oh0;
        }
    } else if (kind == JOB_ACTIVATION) {
        const job = changetype<ActivationJob>(args);
        const i0 = shareBegin(job.n, 16, t, T), i1 = shareEnd(job.n, 16, t, T);
        if (i0 < i1) activate(job.op, job.x, job.y, i0, i1, job.alpha, job.beta);
    } else if (kind == JOB_ARITHMETIC) {
        const job = changetype<ArithmeticJob>(args);
        const single = job.rows == 1;
        const count = single ? job.inner : job.rows, unit = single ? 16 : 1;
        const r0 = shareBegin(count, unit, t, T), r1 = shareEnd(count, unit, t, T);
        if (r0 < r1) arithmetic(job.op, job.a, job.b, job.y, job.rows, job.inner, job.aRow, job.bRow, job.aStep, job.bStep, r0, r1);
    } else if (kind == JOB_IM2COL) {
        const job = changetype<Im2colJob>(args);
        const c0 = shareBegin(job.channels, 1, t, T), c1 = shareEnd(job.channels, 1, t, T);
        if (c0 < c1) {
            im2col2d(job.x, c0, c1, job.H, job.W, job.kh, job.kw, job.sh, job.sw, job.dh, job.dw, job.ph, job.pw, job.Ho, job.Wo, job.cols);
        }
    }
}
