/** Shows a place in a `.convnet` file (from a summary row or a graph box). */
import * as vscode from 'vscode';

export async function revealSource(uri: string, line: number, character: number): Promise<void> {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    const position = new vscode.Position(line, character);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(position, position) });
}
