/**
 * The extension's side of the browser's files: answers the language server's requests for the workspace's folders
 * and `.convnet` files (server/web-file-system.ts), and reads a run's weights and input, all through
 * `vscode.workspace.fs` — whatever the workspace's scheme (vscode-remote, vscode-vfs for GitHub, memfs …).
 */
import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { ReadDirectoryRequest, ReadFileRequest, StatRequest, type WorkspaceEntry } from '../../server/web-file-system.js';
import { READ_LIMITS, type ReadKind } from './shims/bounded-read.js';
import { formatBytes } from '../../language/util/format.js';

function entryOf(uri: vscode.Uri, type: vscode.FileType): WorkspaceEntry {
    // A symbolic link counts as what it points to (FileType is a bit set).
    return { uri: uri.toString(), isFile: (type & vscode.FileType.File) !== 0, isDirectory: (type & vscode.FileType.Directory) !== 0 };
}

/** Why a file system call failed, in a few words (the workspace file system's errors carry a code). */
function reasonOf(e: unknown): string {
    if (e instanceof vscode.FileSystemError) return e.code === 'FileNotFound' ? 'no such file' : e.code === 'NoPermissions' ? 'permission denied' : e.message;
    return e instanceof Error ? e.message : String(e);
}

/** Registers the handlers before the client starts: the server indexes the workspace as soon as it is initialised. */
export function serveWorkspaceFiles(client: BaseLanguageClient): void {
    client.onRequest(ReadDirectoryRequest, async ({ uri }) => {
        try {
            const folder = vscode.Uri.parse(uri);
            const entries = await vscode.workspace.fs.readDirectory(folder);
            return { entries: entries.map(([name, type]) => entryOf(vscode.Uri.joinPath(folder, name), type)) };
        } catch {
            return { entries: [] };
        }
    });
    client.onRequest(StatRequest, async ({ uri }) => {
        try {
            const parsed = vscode.Uri.parse(uri);
            return { entry: entryOf(parsed, (await vscode.workspace.fs.stat(parsed)).type) };
        } catch {
            return {};
        }
    });
    client.onRequest(ReadFileRequest, async ({ uri }) => {
        try {
            return { bytes: await readWorkspaceFile(vscode.Uri.parse(uri), 'source', 'a .convnet file') };
        } catch (e) {
            return { error: e instanceof Error ? e.message : String(e) };
        }
    });
}

/** A file of the workspace, refused by type and size (the desktop's limits, io/bounded-read.ts) before it is read. */
export async function readWorkspaceFile(uri: vscode.Uri, kind: ReadKind, label: string): Promise<Uint8Array> {
    const shown = uri.scheme === 'file' ? uri.fsPath : uri.path;
    let stat: vscode.FileStat;
    try {
        stat = await vscode.workspace.fs.stat(uri);
    } catch (e) {
        throw new Error(`${shown}: cannot read ${label}: ${reasonOf(e)}`);
    }
    if ((stat.type & vscode.FileType.File) === 0) throw new Error(`${shown}: cannot read ${label}: it is not a file`);
    if (stat.size > READ_LIMITS[kind]) throw new Error(`${shown}: ${label} is ${formatBytes(stat.size)}, more than the ${formatBytes(READ_LIMITS[kind])} ConvNet reads for ${label}`);
    try {
        return await vscode.workspace.fs.readFile(uri);
    } catch (e) {
        throw new Error(`${shown}: cannot read ${label}: ${reasonOf(e)}`);
    }
}
