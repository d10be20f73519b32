/**
 * A file named by a command's option in the browser: a URI of any scheme — `vscode-vfs://github/…`, `file:///…`,
 * or a virtual file system's `memfs:/…` without an authority — or else a path in the first workspace folder.
 */
import * as vscode from 'vscode';

/** A scheme of two letters or more: `c:\…` is a Windows path, not a URI. */
const URI_WITH_SCHEME = /^[a-z][\w+.-]+:/i;

export function optionUri(value: string | vscode.Uri): vscode.Uri {
    if (value instanceof vscode.Uri) return value;
    if (URI_WITH_SCHEME.test(value)) return vscode.Uri.parse(value);
    const folder = vscode.workspace.workspaceFolders?.[0];
    return folder ? vscode.Uri.joinPath(folder.uri, value) : vscode.Uri.file(value);
}
