/**
 * Writing files through the workspace file system (`vscode.workspace.fs`), with io/safe-write.ts's rules and
 * messages, for the browser's exports:
 * - an existing file is replaced only when the caller says so (after asking the person); an output that is one of
 *   the command's inputs (its `.convnet` sources, its weights) is refused whatever it was told;
 * - nothing is written through a symbolic link, and only files are replaced;
 * - each file is written to a temporary name beside its target and then renamed into place, so a failure never
 *   leaves a partial file under the final name;
 * - several files are written all or none: every temporary file is complete before the first is renamed into
 *   place, and a replaced file keeps a copy until all are in place, so a failure puts everything back.
 */
import * as vscode from 'vscode';
import { displayText } from '../../language/util/quote.js';
import { WriteRefused } from './shims/safe-write.js';

export interface WorkspaceWrite {
    readonly uri: vscode.Uri;
    readonly bytes: Uint8Array | string;
}

/** A file the command reads, named in the message should an output be it (`the weights`). */
export interface WorkspaceInput {
    readonly uri: vscode.Uri;
    readonly label: string;
}

export interface WorkspaceWriteOptions {
    /** Replace files that exist. */
    readonly replace?: boolean;
    /** What to tell the person to do to replace an existing file. */
    readonly replaceHint?: string;
    /** The command's inputs: no output may be one of them. */
    readonly inputs?: readonly WorkspaceInput[];
}

interface Target {
    readonly uri: vscode.Uri;
    readonly shown: string;
    readonly exists: boolean;
}

/** The longest file name (one path segment) common file systems allow, in bytes. */
const MAX_NAME_BYTES = 255;

const shownOf = (uri: vscode.Uri) => displayText(uri.scheme === 'file' ? uri.fsPath : uri.path, 120);
const parentOf = (uri: vscode.Uri) => vscode.Uri.joinPath(uri, '..');
const nameOf = (uri: vscode.Uri) => uri.path.slice(uri.path.lastIndexOf('/') + 1);

async function statOf(uri: vscode.Uri): Promise<vscode.FileStat | undefined> {
    try {
        return await vscode.workspace.fs.stat(uri);
    } catch {
        return undefined;
    }
}

/** What the file system said, in words, without the temporary file's name (which means nothing to the person). */
function reasonOf(e: unknown): string {
    if (e instanceof vscode.FileSystemError) {
        switch (e.code) {
            case 'NoPermissions': return 'permission denied';
            case 'Unavailable': return 'the file system is unavailable';
            case 'FileNotFound': return 'the folder is gone';
            case 'FileExists': return 'a file appeared under its name';
            default: break;
        }
    }
    return displayText(e instanceof Error ? e.message : String(e));
}

async function resolveTarget(uri: vscode.Uri): Promise<Target> {
    const shown = shownOf(uri);
    const name = nameOf(uri);
    if (name === '') throw new WriteRefused(`${shown || "''"}: names a folder, not a file; give a file name`);
    const nameBytes = new TextEncoder().encode(name).length;
    if (nameBytes > MAX_NAME_BYTES) throw new WriteRefused(`${shown}: the file name is ${nameBytes} bytes, more than the ${MAX_NAME_BYTES} a file system allows`);
    const folder = parentOf(uri);
    const folderStat = await statOf(folder);
    if (!folderStat) throw new WriteRefused(`${shown}: cannot write: the folder ${shownOf(folder)} does not exist`);
    if ((folderStat.type & vscode.FileType.Directory) === 0) throw new WriteRefused(`${shown}: cannot write: ${shownOf(folder)} is not a folder`);
    if (vscode.workspace.fs.isWritableFileSystem(uri.scheme) === false) throw new WriteRefused(`${shown}: cannot write: its file system is read-only`);
    const stat = await statOf(uri);
    if (stat && (stat.type & vscode.FileType.SymbolicLink) !== 0) throw new WriteRefused(`${shown}: is a symbolic link; ConvNet does not write through links (remove the link or choose another name)`);
    if (stat && (stat.type & vscode.FileType.File) === 0) throw new WriteRefused(`${shown}: cannot write: it is ${(stat.type & vscode.FileType.Directory) !== 0 ? 'a folder' : 'not a file'}`);
    return { uri, shown, exists: stat !== undefined };
}

async function resolveAll(uris: readonly vscode.Uri[], options: WorkspaceWriteOptions): Promise<Target[]> {
    const targets: Target[] = [];
    for (const uri of uris) {
        const target = await resolveTarget(uri);
        const twice = targets.find(t => t.uri.toString() === uri.toString());
        if (twice) throw new WriteRefused(`${target.shown}: is given twice as an output (also as ${twice.shown}); each output needs its own file`);
        // An input that does not exist cannot be overwritten; one that does is the same file when its URI is.
        const input = options.inputs?.find(i => i.uri.toString() === uri.toString());
        if (input && target.exists) throw new WriteRefused(`${target.shown}: this command reads it (${input.label}); refusing to write over it — choose another output name`);
        if (target.exists && !options.replace) throw new WriteRefused(`${target.shown}: already exists; ${options.replaceHint ?? 'choose another name'}`);
        targets.push(target);
    }
    return targets;
}

/** Checks every planned file as `writeWorkspaceFiles` would, without writing anything; throws `WriteRefused`. */
export async function checkWorkspaceWrites(uris: readonly vscode.Uri[], options: WorkspaceWriteOptions = {}): Promise<void> {
    await resolveAll(uris, options);
}

function temporaryOf(target: Target, index: number, what: string): vscode.Uri {
    const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    return vscode.Uri.joinPath(parentOf(target.uri), `.${nameOf(target.uri).slice(0, 100)}.${unique}-${index}.convnet-${what}`);
}

async function removeQuietly(uri: vscode.Uri | undefined): Promise<void> {
    if (!uri) return;
    try {
        await vscode.workspace.fs.delete(uri, { recursive: false, useTrash: false });
    } catch {
        // already gone
    }
}

/** A copy of a file about to be replaced, or undefined where it cannot be made (then a failure cannot put it back). */
async function keepPrevious(target: Target, index: number): Promise<vscode.Uri | undefined> {
    const kept = temporaryOf(target, index, 'previous');
    try {
        await vscode.workspace.fs.copy(target.uri, kept, { overwrite: false });
        return kept;
    } catch {
        return undefined;
    }
}

/** Writes every file, or none; throws `WriteRefused` naming the file at fault. */
export async function writeWorkspaceFiles(files: readonly WorkspaceWrite[], options: WorkspaceWriteOptions = {}): Promise<void> {
    const targets = await resolveAll(files.map(f => f.uri), options);
    const temporaries: vscode.Uri[] = [];
    try {
        for (const [i, file] of files.entries()) {
            const temporary = temporaryOf(targets[i], i, 'partial');
            temporaries.push(temporary);
            try {
                await vscode.workspace.fs.writeFile(temporary, typeof file.bytes === 'string' ? new TextEncoder().encode(file.bytes) : file.bytes);
            } catch (e) {
                throw new WriteRefused(`${targets[i].shown}: cannot write: ${reasonOf(e)}`);
            }
        }
    } catch (e) {
        await Promise.all(temporaries.map(removeQuietly));
        throw e;
    }
    const previous: (vscode.Uri | undefined)[] = [];
    for (const [i, target] of targets.entries()) previous.push(target.exists ? await keepPrevious(target, i) : undefined);
    let placed = 0;
    try {
        for (const [i, target] of targets.entries()) {
            // Replacing only a file that existed (and may be replaced); a file that appeared since the check stays.
            await vscode.workspace.fs.rename(temporaries[i], target.uri, { overwrite: target.exists });
            placed++;
        }
    } catch (e) {
        for (let i = 0; i < placed; i++) {
            const kept = previous[i];
            try {
                if (kept) await vscode.workspace.fs.rename(kept, targets[i].uri, { overwrite: true });
                else await removeQuietly(targets[i].uri);
            } catch {
                // put back what can be
            }
        }
        await Promise.all([...temporaries, ...previous].map(removeQuietly));
        const target = targets[placed];
        if (e instanceof vscode.FileSystemError && e.code === 'FileExists' && !target.exists) throw new WriteRefused(`${target.shown}: appeared while it was being written; nothing replaced`);
        throw new WriteRefused(`${target.shown}: cannot write: ${reasonOf(e)}`);
    }
    await Promise.all(previous.map(removeQuietly));
}
