/**
 * Reading a user's file: refused by type before it is opened (a FIFO would block forever, /dev/zero never ends,
 * a directory is not a file), refused by size before anything is allocated, and read exactly to the size seen.
 */
import * as fs from 'node:fs';
import { formatBytes } from '../language/util/format.js';
import { displayText } from '../language/util/quote.js';
import { READ_LIMITS, type ReadKind } from './read-limits.js';

/** A file that cannot or may not be read; the message names the file and says what to do. */
export class ReadRefused extends Error {}

export { READ_LIMITS, type ReadKind } from './read-limits.js';

/** What a path is when it is not a regular file: `a directory`, `a named pipe (FIFO)` … or undefined. */
export function notAFile(stats: fs.Stats): string | undefined {
    if (stats.isFile()) return undefined;
    if (stats.isDirectory()) return 'a directory';
    if (stats.isFIFO()) return 'a named pipe (FIFO)';
    if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
    if (stats.isSocket()) return 'a socket';
    return 'not a regular file';
}

function describeError(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOTDIR') return 'a part of the path is not a folder';
    if (code === 'ELOOP') return 'too many symbolic links';
    return (e as Error).message;
}

/**
 * Checks that `file` is a regular file within the limit for `what` it is, without opening it. Returns its size.
 * `label` says what the file is for in messages (`the weights`).
 */
export function checkReadable(file: string, kind: ReadKind, label: string): number {
    const shown = displayText(file, 120);
    let stats: fs.Stats;
    try {
        stats = fs.statSync(file);
    } catch (e) {
        throw new ReadRefused(`${shown}: cannot read ${label}: ${describeError(e)}`);
    }
    const other = notAFile(stats);
    if (other) throw new ReadRefused(`${shown}: cannot read ${label}: it is ${other}, not a file`);
    const limit = READ_LIMITS[kind];
    if (stats.size > limit) throw new ReadRefused(`${shown}: ${label} is ${formatBytes(stats.size)}, more than the ${formatBytes(limit)} ConvNet reads for ${label}`);
    return stats.size;
}

/** Reads a whole regular file of at most the limit for its kind; a `ReadRefused` names the file and the reason. */
export function readFileBounded(file: string, kind: ReadKind, label: string): Uint8Array {
    checkReadable(file, kind, label);
    const shown = displayText(file, 120);
    let fd: number;
    try {
        // O_NONBLOCK: should the path have become a FIFO since the check, opening it does not wait for a writer.
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
        throw new ReadRefused(`${shown}: cannot read ${label}: ${describeError(e)}`);
    }
    try {
        const stats = fs.fstatSync(fd);
        const other = notAFile(stats);
        if (other) throw new ReadRefused(`${shown}: cannot read ${label}: it is ${other}, not a file`);
        if (stats.size > READ_LIMITS[kind]) throw new ReadRefused(`${shown}: ${label} is ${formatBytes(stats.size)}, more than the ${formatBytes(READ_LIMITS[kind])} ConvNet reads for ${label}`);
        const bytes = new Uint8Array(stats.size);
        let filled = 0;
        while (filled < bytes.length) {
            const n = fs.readSync(fd, bytes, filled, bytes.length - filled, filled);
            if (n === 0) break; // the file shrank while it was read: what is there is what it holds
            filled += n;
        }
        return filled === bytes.length ? bytes : bytes.subarray(0, filled);
    } catch (e) {
        if (e instanceof ReadRefused) throw e;
        throw new ReadRefused(`${shown}: cannot read ${label}: ${describeError(e)}`);
    } finally {
        fs.closeSync(fd);
    }
}
