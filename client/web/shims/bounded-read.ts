/**
 * io/bounded-read.ts in the browser (the run worker): there is no disk, so the files a run reads (weights, an
 * input) are read by the extension through the workspace file system, checked against the same limits there, and
 * handed to the worker with the run; `readFileBounded` returns those bytes by the name the run uses for them. The
 * web bundles map io/bounded-read here (esbuild.mjs).
 */
import { formatBytes } from '../../../language/util/format.js';
import { displayText } from '../../../language/util/quote.js';
import { READ_LIMITS, type ReadKind } from '../../../io/read-limits.js';

export class ReadRefused extends Error {}

export { READ_LIMITS, type ReadKind } from '../../../io/read-limits.js';

const provided = new Map<string, Uint8Array>();

/** Makes `bytes` the contents of `name` for the next reads (the run worker calls it with the files of a run). */
export function provideFile(name: string, bytes: Uint8Array): void {
    provided.set(name, bytes);
}

export function forgetFiles(): void {
    provided.clear();
}

export function notAFile(): string | undefined {
    return undefined;
}

export function checkReadable(file: string, kind: ReadKind, label: string): number {
    const bytes = provided.get(file);
    if (!bytes) throw new ReadRefused(`${displayText(file, 120)}: cannot read ${label}: the file was not read by the editor`);
    const limit = READ_LIMITS[kind];
    if (bytes.byteLength > limit) throw new ReadRefused(`${displayText(file, 120)}: ${label} is ${formatBytes(bytes.byteLength)}, more than the ${formatBytes(limit)} ConvNet reads for ${label}`);
    return bytes.byteLength;
}

export function readFileBounded(file: string, kind: ReadKind, label: string): Uint8Array {
    checkReadable(file, kind, label);
    return provided.get(file)!;
}
