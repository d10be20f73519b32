/**
 * The HTML of a view's page: a strict content security policy, a nonce for the one script, and the shared
 * stylesheet. Free of the `vscode` module, so test/editor/webview-pages.ts loads the very same page in chromium.
 */

export interface PageResources {
    /** Where the page may load styles and images from (the webview's `cspSource`). */
    readonly cspSource: string;
    /** URL of client/media/views.css. */
    readonly styleUrl: string;
    /** URL of the view's script in client/media. */
    readonly scriptUrl: string;
    /** The nonce that lets that script run. */
    readonly nonce: string;
    readonly title: string;
    /** Further stylesheets (a test page's stand-in for the editor's theme variables). */
    readonly extraStyleUrls?: readonly string[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function createNonce(): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let text = '';
    for (let i = 0; i < 32; i++) text += chars.charAt(Math.floor(Math.random() * chars.length));
    return text;
}

export function webviewPageHtml(page: PageResources): string {
    const styles = [...(page.extraStyleUrls ?? []), page.styleUrl].map(url => `<link rel="stylesheet" href="${escapeHtml(url)}">`).join('\n');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${page.cspSource} data:; style-src ${page.cspSource}; script-src 'nonce-${page.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>${escapeHtml(page.title)}</title>
</head>
<body>
<div id="root"><p class="muted">Loading…</p></div>
<script nonce="${page.nonce}" src="${escapeHtml(page.scriptUrl)}"></script>
</body>
</html>`;
}
