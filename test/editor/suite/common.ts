/**
 * What the editor tests share: the workspace (a copy of examples/ that the launcher opens), the extension and its
 * API, and the project's CLI (out/cli.cjs) for figures to compare the editor's with.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConvNetApi } from '../../../client/extension.js';
import { waitFor } from './harness.js';

export const EXTENSION_ID = 'convnet.convnet';

export function workspaceFile(...segments: string[]): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('the tests need a workspace folder (the launcher opens a copy of examples/)');
    return vscode.Uri.joinPath(folder.uri, ...segments);
}

export async function openInEditor(uri: vscode.Uri): Promise<vscode.TextEditor> {
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.One });
}

export const resnetUri = () => workspaceFile('examples', 'resnet18.convnet');

/** Opens ResNet-18 in the first editor column. */
export async function openResnet(): Promise<vscode.TextDocument> {
    const editor = await openInEditor(resnetUri());
    return editor.document;
}

/** The extension's API once it is active and its language server runs. */
export async function convnetApi(): Promise<ConvNetApi> {
    const extension = vscode.extensions.getExtension<ConvNetApi>(EXTENSION_ID);
    if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
    const api = extension.isActive ? extension.exports : await extension.activate();
    await waitFor('the language client to run', () => (api.client()?.isRunning() ? true : undefined));
    return api;
}

/** The repository's `convnet` command (it runs the bundle out/cli.cjs); the suite is out/test/editor-suite.cjs. */
export const CLI = path.resolve(__dirname, '..', '..', 'cli', 'bin', 'convnet.cjs');

/** Runs `convnet ARGS…` (the repository's CLI, on the extension host's Node) and returns its stdout. */
export function convnetCli(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        // Under Electron (the @vscode/test-electron launcher) the executable is Electron: run it as Node.
        const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
        child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
        child.on('error', reject);
        child.on('close', code => (code === 0 ? resolve(out) : reject(new Error(`convnet ${args.join(' ')} exited with ${code}: ${err.trim()}`))));
    });
}

/** Closes the ConvNet views left open (by a test that failed before closing its own). */
export async function closeConvNetViews(): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap(group => group.tabs)
        .filter(tab => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.includes('convnet.'));
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
}
