/** Messages between the extension host and the run worker (client/run/worker.ts). */
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import type { OutputStatistics } from '../../runtime/statistics.js';

export type InputChoice =
    | { readonly kind: 'random' }
    | { readonly kind: 'file'; readonly path: string };

export interface StartRun {
    readonly type: 'start';
    readonly graph: NetworkGraph;
    readonly input: InputChoice;
    /** A `.safetensors` state_dict; absent: seeded initialisation. */
    readonly weights?: string;
    readonly seed: number;
    readonly imagenetNormalization: boolean;
    readonly memoryBudget: number;
    /** Int32 flag the extension sets to 1 to cancel between layers. */
    readonly cancelFlag: SharedArrayBuffer;
}

/** Re-run and send the output of one layer, for its feature maps. */
export interface CaptureLayer {
    readonly type: 'capture';
    readonly node: number;
}

export type ToWorker = StartRun | CaptureLayer;

export type FromWorker =
    | { readonly type: 'progress'; readonly done: number; readonly total: number; readonly layer: string }
    | {
        readonly type: 'done';
        readonly outputs: OutputStatistics[];
        readonly totalMs: number;
        /** Medians of `warmRuns` warm runs after the first (see RunOptions.profile in runtime/executor.ts). */
        readonly timings: { name: string; op: string; ms: number }[];
        readonly warmRuns: number;
        /** The median of the warm runs' totals. */
        readonly warmMs: number;
        readonly weights: string;
        readonly input: string;
        readonly memoryBytes: number;
        /** What computed: "wasm relaxed-simd, 2 threads", "wasm simd (plain memory), 1 thread", "typescript …". */
        readonly engine: string;
        /** Parts of the run's split jobs that worker threads ran (runtime/executor.ts RunResult). */
        readonly workerParts: number;
    }
    | { readonly type: 'layer'; readonly node: number; readonly shape: readonly number[]; readonly data: Float32Array }
    | { readonly type: 'cancelled'; readonly message: string }
    /** `memoryBudget`: the run was refused before anything was allocated (the setting convnet.memoryBudget). */
    | { readonly type: 'error'; readonly message: string; readonly memoryBudget?: boolean };
