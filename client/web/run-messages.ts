/** What the extension sends the run's web worker (client/web/run-worker.ts); it answers with client/run/messages.ts's FromWorker. */
import type { CaptureLayer, StartRun } from '../run/messages.js';

/**
 * A run in the browser: the files it reads come with it (read through the workspace file system), by the names
 * `weights` and `input.path` give them. No cancel flag: a web worker busy with a run is stopped by terminating it.
 */
export interface StartWebRun extends Omit<StartRun, 'cancelFlag'> {
    readonly files: { readonly name: string; readonly bytes: Uint8Array }[];
}

export type ToWebWorker = StartWebRun | CaptureLayer;
