/**
 * ConvNet: Open Example. The examples ship with the extension; one opens as a new, unsaved document (a copy the
 * person may edit and save anywhere, never the installed file). Only examples that import no other file are
 * offered: an unsaved document has no folder to resolve an import from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showError } from './notify.js';

/** The first comment line of each self-contained example, by file name. */
function examples(extensionPath: string): { file: string; title: string }[] {
    const folder = path.join(extensionPath, 'examples');
    if (!fs.existsSync(folder)) return [];
    return fs.readdirSync(folder)
        .filter(name => name.endsWith('.convnet'))
        .map(name => ({ name, text: fs.readFileSync(path.join(folder, name), 'utf8') }))
        .filter(({ text }) => !/^\s*import\s/m.test(text))
        .map(({ name, text }) => ({ file: path.join(folder, name), title: text.split('\n')[0].replace(/^#\s*/, '').replace(/:.*$/, '') }));
}

/** Opens `name` (e.g. "resnet18"), or the one picked from the list; returns the document opened. */
export async function openExample(context: vscode.ExtensionContext, name?: unknown): Promise<vscode.TextDocument | undefined> {
    const available = examples(context.extensionPath);
    const wanted = typeof name === 'string' ? available.find(e => path.basename(e.file, '.convnet') === name) : undefined;
    if (typeof name === 'string' && !wanted) {
        void showError(`ConvNet: there is no example called ${JSON.stringify(name.slice(0, 60))}; the examples are ${available.map(e => path.basename(e.file, '.convnet')).join(', ')}`);
        return undefined;
    }
    const picked = wanted ?? await vscode.window.showQuickPick(
        available.map(e => ({ label: path.basename(e.file, '.convnet'), description: e.title, example: e })),
        { placeHolder: 'An example network to open as a new file' },
    ).then(item => item?.example);
    if (!picked) return undefined;
    const document = await vscode.workspace.openTextDocument({ language: 'convnet', content: fs.readFileSync(picked.file, 'utf8') });
    await vscode.window.showTextDocument(document);
    return document;
}
