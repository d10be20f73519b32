/** Webview panels: a strict content security policy, a nonce for the one script, and the shared stylesheet. */
import * as vscode from 'vscode';

function nonce(): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let text = '';
    for (let i = 0; i < 32; i++) text += chars.charAt(Math.floor(Math.random() * chars.length));
    return text;
}

export function createPanel(extensionUri: vscode.Uri, viewType: string, title: string): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Beside, {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'client', 'media')],
    });
}

/** The page of a view: `script` (a file in client/media) draws it from the messages the extension posts. */
export function pageHtml(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, script: string, title: string): string {
    const media = (file: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'client', 'media', file));
    const n = nonce();
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${panel.webview.cspSource} data:; style-src ${panel.webview.cspSource}; script-src 'nonce-${n}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('views.css')}">
<title>${title}</title>
</head>
<body>
<div id="root"><p class="muted">Loading…</p></div>
<script nonce="${n}" src="${media(script)}"></script>
</body>
</html>`;
}
