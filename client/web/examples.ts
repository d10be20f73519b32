/**
 * ConvNet: Open Example in the browser: client/examples.ts's command, reading the examples shipped with the
 * extension through the workspace file system (the extension's files are web resources there).
 */
import * as vscode from 'vscode';
import { showError } from '../notify.js';

async function examples(extensionUri: vscode.Uri): Promise<{ name: string; title: string; text: string }[]> {
    const folder = vscode.Uri.joinPath(extensionUri, 'examples');
    let entries: [string, vscode.FileType][];
    try {
        entries = await vscode.workspace.fs.readDirectory(folder);
    } catch {
        return [];
    }
    const found = await Promise.all(entries.filter(([name]) => name.endsWith('.convnet')).sort(([a], [b]) => a.localeCompare(b)).map(async ([name]) => ({
        name: name.slice(0, -'.convnet'.length),
        text: new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name))),
    })));
    // Only examples that import no other file: an unsaved document has no folder to resolve an import from.
    return found.filter(({ text }) => !/^\s*import\s/m.test(text))
        .map(({ name, text }) => ({ name, text, title: text.split('\n')[0].replace(/^#\s*/, '').replace(/:.*$/, '') }));
}

export async function openExampleInBrowser(context: vscode.ExtensionContext, name?: unknown): Promise<vscode.TextDocument | undefined> {
    const available = await examples(context.extensionUri);
    const wanted = typeof name === 'string' ? available.find(e => e.name === name) : undefined;
    if (typeof name === 'string' && !wanted) {
        void showError(`ConvNet: there is no example called ${JSON.stringify(name.slice(0, 60))}; the examples are ${available.map(e => e.name).join(', ')}`);
        return undefined;
    }
    const picked = wanted ?? await vscode.window.showQuickPick(
        available.map(e => ({ label: e.name, description: e.title, example: e })),
        { placeHolder: 'An example network to open as a new file' },
    ).then(item => item?.example);
    if (!picked) return undefined;
    const document = await vscode.workspace.openTextDocument({ language: 'convnet', content: picked.text });
    await vscode.window.showTextDocument(document);
    return document;
}
