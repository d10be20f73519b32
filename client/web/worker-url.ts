/**
 * Where a web worker of the extension loads its script from. In vscode.dev the extension's files are web
 * resources (https:) a worker can load; a code server's web extension host refuses workers from its remote
 * (`vscode-remote:`) extensions, so there the script is read through the workspace file system and given to the
 * worker as a blob URL.
 */
import * as vscode from 'vscode';

/** The browser's Blob and URL, as far as this file uses them (the DOM library is not in tsconfig). */
declare const Blob: new (parts: Uint8Array[], options: { type: string }) => unknown;
declare const URL: { createObjectURL(blob: unknown): string };

export async function workerScriptUrl(extensionUri: vscode.Uri, ...segments: string[]): Promise<string> {
    const script = vscode.Uri.joinPath(extensionUri, ...segments);
    if (script.scheme === 'http' || script.scheme === 'https') return script.toString(true);
    const bytes = await vscode.workspace.fs.readFile(script);
    return URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
}
