/**
 * Writing files for a user without ever losing one:
 * - an existing file is replaced only when the caller says so (`replace`: the CLI's `--force`, or the editor after
 *   asking); an output that is one of the command's inputs is refused whatever the flags (`run --weights W
 *   --output W` would destroy the weights);
 * - nothing is written through a symbolic link, and only regular files are replaced;
 * - each file is written to a temporary file in its own folder and then moved into place, so a failure (a full
 *   disk, a crash) never leaves a partial file under the final name;
 * - several files are written all or none: every temporary file is complete before the first is moved into place,
 *   and a replaced file keeps a second name until all are in place, so a failure puts everything back.
 *
 * `checkWrites` runs the same checks without writing, so a command can refuse before doing its work.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { displayText } from '../language/util/quote.js';
import { notAFile } from './bounded-read.js';

/** A file to write: where, and what. */
export interface PlannedWrite {
    readonly file: string;
    readonly bytes: Uint8Array | string;
}

/** A file the command reads, named in the message should an output be it (`the weights`). */
export interface CommandInput {
    readonly file: string;
    readonly label: string;
}

export interface WriteOptions {
    /** Replace regular files that exist. */
    readonly replace?: boolean;
    /** What to tell the user to do to replace an existing file (the CLI: `give --force to replace it`). */
    readonly replaceHint?: string;
    /** The command's inputs: no output may be one of them. */
    readonly inputs?: readonly CommandInput[];
}

/** A write that was refused or failed; the message names the file, what is wrong and what to do. */
export class WriteRefused extends Error {}

interface Target {
    readonly file: string;
    readonly shown: string;
    /** The absolute path with the folder's symbolic links resolved: two targets are the same file when these are equal. */
    readonly canonical: string;
    readonly exists: boolean;
    readonly stats?: fs.Stats;
}

/** The folder a file goes in, with its links resolved; `given` is the folder as the user wrote it, for messages. */
function canonicalFolder(folder: string, given: string, shown: string): string {
    let stats: fs.Stats;
    try {
        stats = fs.statSync(folder);
    } catch {
        throw new WriteRefused(`${shown}: cannot write: the folder ${displayText(given, 120)} does not exist`);
    }
    if (!stats.isDirectory()) throw new WriteRefused(`${shown}: cannot write: ${displayText(given, 120)} is not a folder`);
    return fs.realpathSync(folder);
}

/** The longest file name (one path segment) common file systems allow, in bytes. */
const MAX_NAME_BYTES = 255;

function resolveTarget(file: string): Target {
    const shown = displayText(file, 120);
    if (file === '' || /[/\\]$/.test(file)) throw new WriteRefused(`${shown || "''"}: names a folder, not a file; give a file name`);
    const nameBytes = Buffer.byteLength(path.basename(file));
    if (nameBytes > MAX_NAME_BYTES) throw new WriteRefused(`${shown}: the file name is ${nameBytes} bytes, more than the ${MAX_NAME_BYTES} a file system allows`);
    const absolute = path.resolve(file);
    const canonical = path.join(canonicalFolder(path.dirname(absolute), path.dirname(file), shown), path.basename(absolute));
    let stats: fs.Stats | undefined;
    try {
        stats = fs.lstatSync(canonical);
    } catch {
        stats = undefined;
    }
    if (stats?.isSymbolicLink()) throw new WriteRefused(`${shown}: is a symbolic link; ConvNet does not write through links (remove the link or choose another name)`);
    if (stats) {
        const other = notAFile(stats);
        if (other) throw new WriteRefused(`${shown}: cannot write: it is ${other}`);
    }
    return { file, shown, canonical, exists: stats !== undefined, stats };
}

function sameFile(target: Target, input: CommandInput): boolean {
    let inputStats: fs.Stats;
    try {
        inputStats = fs.statSync(input.file);
    } catch {
        return false; // an input that does not exist cannot be overwritten
    }
    if (target.stats && target.stats.dev === inputStats.dev && target.stats.ino === inputStats.ino) return true;
    try {
        return fs.realpathSync(input.file) === target.canonical;
    } catch {
        return false;
    }
}

/** Checks every planned file as `writeFilesSafely` would, without writing anything; throws `WriteRefused`. */
export function checkWrites(files: readonly string[], options: WriteOptions = {}): void {
    resolveAll(files, options);
}

function resolveAll(files: readonly string[], options: WriteOptions): Target[] {
    const targets: Target[] = [];
    for (const file of files) {
        const target = resolveTarget(file);
        const twice = targets.find(t => t.canonical === target.canonical);
        if (twice) throw new WriteRefused(`${target.shown}: is given twice as an output (also as ${twice.shown}); each output needs its own file`);
        const input = options.inputs?.find(i => sameFile(target, i));
        if (input) throw new WriteRefused(`${target.shown}: this command reads it (${input.label}); refusing to write over it — choose another output name`);
        if (target.exists && !options.replace) throw new WriteRefused(`${target.shown}: already exists; ${options.replaceHint ?? 'choose another name'}`);
        targets.push(target);
    }
    return targets;
}

/** What the system said, in words, without the temporary file's name (which means nothing to the user). */
function systemReason(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code;
    switch (code) {
        case 'ENOSPC': return 'the disk is full';
        case 'EDQUOT': return 'the disk quota is used up';
        case 'EACCES': case 'EPERM': return 'permission denied';
        case 'EROFS': return 'the file system is read-only';
        case 'ENAMETOOLONG': return 'the path is too long';
        case 'EIO': return 'an input/output error on the disk';
        default: return code ? `the system refused (${code})` : displayText((e as Error).message);
    }
}

function temporaryName(target: Target, index: number): string {
    const folder = path.dirname(target.canonical);
    const base = path.basename(target.canonical).slice(0, 100);
    return path.join(folder, `.${base}.${process.pid}-${Date.now().toString(36)}-${index}.convnet-partial`);
}

function removeQuietly(file: string): void {
    try {
        fs.unlinkSync(file);
    } catch {
        // already gone
    }
}

function writeTemporary(target: Target, bytes: Uint8Array | string, index: number): string {
    const temporary = temporaryName(target, index);
    let fd: number | undefined;
    try {
        // 'wx': create, and fail rather than open something that appeared under this name.
        fd = fs.openSync(temporary, 'wx', target.stats ? target.stats.mode & 0o777 : 0o666);
        const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
        let written = 0;
        while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
        fs.fsyncSync(fd);
        return temporary;
    } catch (e) {
        if (fd !== undefined) removeQuietly(temporary);
        throw new WriteRefused(`${target.shown}: cannot write: ${systemReason(e)}`);
    } finally {
        if (fd !== undefined) fs.closeSync(fd);
    }
}

/** Moves a complete temporary file to its target: without replacing anything unless the target existed and may be replaced. */
function moveIntoPlace(temporary: string, target: Target): void {
    if (target.exists) {
        fs.renameSync(temporary, target.canonical);
        return;
    }
    try {
        // link() fails if a file appeared under the name since the check, where rename() would replace it.
        fs.linkSync(temporary, target.canonical);
        removeQuietly(temporary);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new WriteRefused(`${target.shown}: appeared while it was being written; nothing replaced`);
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
        // A file system without hard links: rename after the check above.
        fs.renameSync(temporary, target.canonical);
    }
}

/** Writes every file, or none; throws `WriteRefused` naming the file at fault. */
export function writeFilesSafely(files: readonly PlannedWrite[], options: WriteOptions = {}): void {
    const targets = resolveAll(files.map(f => f.file), options);
    const temporaries: string[] = [];
    try {
        files.forEach((f, i) => temporaries.push(writeTemporary(targets[i], f.bytes, i)));
    } catch (e) {
        temporaries.forEach(removeQuietly);
        throw e;
    }
    // A file being replaced keeps a second name until every file is in place, so a failure can put it back.
    const previous = targets.map((target, i) => (target.exists ? keepPrevious(target, i) : undefined));
    const placed: Target[] = [];
    try {
        targets.forEach((target, i) => {
            moveIntoPlace(temporaries[i], target);
            placed.push(target);
        });
    } catch (e) {
        placed.forEach((target, i) => {
            const kept = previous[i];
            if (kept) fs.renameSync(kept, target.canonical);
            else removeQuietly(target.canonical);
        });
        temporaries.forEach(removeQuietly);
        previous.forEach(kept => kept && removeQuietly(kept));
        if (e instanceof WriteRefused) throw e;
        throw new WriteRefused(`${targets[placed.length].shown}: cannot write: ${systemReason(e)}`);
    }
    previous.forEach(kept => kept && removeQuietly(kept));
}

/** A second name (hard link) for a file about to be replaced, or undefined where the file system has none. */
function keepPrevious(target: Target, index: number): string | undefined {
    const kept = `${temporaryName(target, index)}-previous`;
    try {
        fs.linkSync(target.canonical, kept);
        return kept;
    } catch {
        return undefined;
    }
}
