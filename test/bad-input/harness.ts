/**
 * The bad-input harness: runs one case of the corpus through the built CLI (cli/bin/convnet.cjs) in a fresh
 * temporary folder, under /usr/bin/time -v when it is installed, and checks what every command must do
 * whatever it was given — end within 20 s, exit as expected (never 70, the internal-error status), print no
 * stack trace, no "internal error", no raw control characters and no line longer than 400 characters, stay
 * under 1.5 GB of memory, leave the folder as it was when it fails, write only what it was asked to when it
 * succeeds, and never write the temporary folder's absolute path into a file. Problems are collected, not
 * thrown one by one, so a failing case reports everything that went wrong with the exact command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
const LOCAL_NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
/** The Node the project installs (22); `node` on the PATH otherwise. */
export const NODE = fs.existsSync(LOCAL_NODE) ? LOCAL_NODE : 'node';
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
export const PYTHON = '/usr/bin/python3';

export const TIME_LIMIT_MS = 20_000;
export const MEMORY_LIMIT_KB = 1.5 * 1024 * 1024;
/** A run above this is killed at once (it has failed anyway), so that several runaway cases cannot take the machine. */
const MEMORY_KILL_KB = 3 * 1024 * 1024;
const MAX_LINE = 400;
/** At most this many cases run a process at once (the machine has 2 cores). */
const CONCURRENCY = Math.max(2, Math.min(4, os.availableParallelism() * 2));

// ---------------------------------------------------------------------------------------------------------
// Limited concurrency

let running = 0;
const waiting: (() => void)[] = [];
async function slot<R>(job: () => Promise<R>): Promise<R> {
    if (running >= CONCURRENCY) await new Promise<void>(resolve => waiting.push(resolve));
    running++;
    try {
        return await job();
    } finally {
        running--;
        waiting.shift()?.();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Case context: the temporary folder

export class Ctx {
    readonly dir: string;
    /** The random part of the folder's name: found in a written file, the folder's path leaked into it. */
    readonly token: string;
    readonly problems: string[] = [];

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnbad-'));
        this.token = path.basename(this.dir);
    }

    path(name: string): string {
        return path.join(this.dir, name);
    }

    write(name: string, data: string | Buffer): string {
        fs.mkdirSync(path.dirname(this.path(name)), { recursive: true });
        fs.writeFileSync(this.path(name), data);
        return name;
    }

    read(name: string): Buffer {
        return fs.readFileSync(this.path(name));
    }

    exists(name: string): boolean {
        try {
            fs.lstatSync(this.path(name));
            return true;
        } catch {
            return false;
        }
    }

    mkfifo(name: string): string {
        const r = spawnSync('mkfifo', [this.path(name)]);
        if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
        return name;
    }

    symlink(target: string, name: string): string {
        fs.symlinkSync(target, this.path(name));
        return name;
    }

    problem(text: string): void {
        this.problems.push(text);
    }

    /** Runs the CLI in the folder without the case's checks (for set-up, or a second look in a check). */
    cli(args: string[]): Promise<Ran> {
        return run(NODE, [BIN, ...args], this.dir);
    }

    /** Runs Debian's python3 in the folder (without writing __pycache__). */
    python(args: string[]): Promise<Ran> {
        return run(PYTHON, ['-B', ...args], this.dir, 60_000);
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------------------
// Running a process

export interface Ran {
    code: number | null;
    signal: string | null;
    ms: number;
    timedOut: boolean;
    /** Killed by the harness for going above MEMORY_KILL_KB. */
    memoryKilled: boolean;
    /** Peak resident memory in KiB (from /usr/bin/time -v, or sampled from /proc), undefined when unknown. */
    maxRssKB?: number;
    stdout: string;
    stderr: string;
    stdoutBytes: Buffer;
    stderrBytes: Buffer;
}

const OUTPUT_CAP = 8 << 20;

function children(pid: number): number[] {
    try {
        const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
        return text ? text.split(/\s+/).map(Number) : [];
    } catch {
        return [];
    }
}

/** Resident memory (KiB) of the process and its descendants, from /proc. */
function treeRssKB(pid: number): number {
    let total = 0;
    const stack = [pid];
    while (stack.length > 0) {
        const p = stack.pop()!;
        try {
            const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
            const m = /VmRSS:\s+(\d+)/.exec(status);
            if (m) total += Number(m[1]);
        } catch {
            // gone
        }
        stack.push(...children(p));
    }
    return total;
}

/** Spawns `command` in its own process group in `cwd` with stdin from /dev/null; kills the group on timeout. */
export function run(command: string, args: string[], cwd: string, timeoutMs = TIME_LIMIT_MS, measure = false): Promise<Ran> {
    return slot(() => new Promise<Ran>((resolve, reject) => {
        let timeFile: string | undefined;
        let file = command;
        let argv = args;
        if (measure && TIME) {
            timeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cnbad-time-')), 'time.txt');
            file = TIME;
            argv = ['-v', '-o', timeFile, command, ...args];
        }
        const start = performance.now();
        const child = spawn(file, argv, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outSize = 0;
        let errSize = 0;
        child.stdout.on('data', (b: Buffer) => { if (outSize < OUTPUT_CAP) out.push(b); outSize += b.length; });
        child.stderr.on('data', (b: Buffer) => { if (errSize < OUTPUT_CAP) err.push(b); errSize += b.length; });
        let timedOut = false;
        let memoryKilled = false;
        let sampledPeak = 0;
        const killGroup = () => {
            try {
                if (child.pid) process.kill(-child.pid, 'SIGKILL');
            } catch {
                // already gone
            }
        };
        const timer = setTimeout(() => { timedOut = true; killGroup(); }, timeoutMs);
        const sampler = setInterval(() => {
            if (!child.pid) return;
            const rss = treeRssKB(child.pid);
            sampledPeak = Math.max(sampledPeak, rss);
            if (rss > MEMORY_KILL_KB) {
                memoryKilled = true;
                killGroup();
            }
        }, 100);
        child.on('error', e => { clearTimeout(timer); clearInterval(sampler); reject(e); });
        child.on('close', (exitCode, exitSignal) => {
            let code = exitCode;
            let signal: string | null = exitSignal;
            const ms = performance.now() - start;
            clearTimeout(timer);
            clearInterval(sampler);
            let maxRssKB: number | undefined = sampledPeak > 0 ? sampledPeak : undefined;
            if (timeFile) {
                try {
                    const text = fs.readFileSync(timeFile, 'utf8');
                    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
                    if (m) maxRssKB = Math.max(maxRssKB ?? 0, Number(m[1]));
                    // time exits with the command's status; a signal shows as "Command terminated by signal N".
                    const sig = /Command terminated by signal (\d+)/.exec(text);
                    if (sig) {
                        const n = Number(sig[1]);
                        signal = Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
                        code = null;
                    }
                } catch {
                    // killed before time could write
                }
                fs.rmSync(path.dirname(timeFile), { recursive: true, force: true });
            }
            const stdoutBytes = Buffer.concat(out);
            const stderrBytes = Buffer.concat(err);
            resolve({
                code: timedOut || memoryKilled ? null : code, signal, ms, timedOut, memoryKilled, maxRssKB,
                stdout: stdoutBytes.toString('utf8'), stderr: stderrBytes.toString('utf8'), stdoutBytes, stderrBytes,
            });
        });
    }));
}

// ---------------------------------------------------------------------------------------------------------
// Snapshots of the folder

export interface Entry {
    kind: 'file' | 'dir' | 'link' | 'fifo' | 'other';
    size?: number;
    sha256?: string;
    target?: string;
}

/** Every entry under `dir` (recursively, symlinks not followed, FIFOs and devices never opened). */
export function snapshot(dir: string): Map<string, Entry> {
    const result = new Map<string, Entry>();
    const walk = (rel: string) => {
        for (const name of fs.readdirSync(path.join(dir, rel))) {
            const r = rel ? path.join(rel, name) : name;
            const full = path.join(dir, r);
            const st = fs.lstatSync(full);
            if (st.isSymbolicLink()) result.set(r, { kind: 'link', target: fs.readlinkSync(full) });
            else if (st.isDirectory()) {
                result.set(r, { kind: 'dir' });
                walk(r);
            } else if (st.isFIFO()) result.set(r, { kind: 'fifo' });
            else if (st.isFile()) {
                result.set(r, { kind: 'file', size: st.size, sha256: createHash('sha256').update(fs.readFileSync(full)).digest('hex') });
            } else result.set(r, { kind: 'other' });
        }
    };
    walk('');
    return result;
}

export interface Changes {
    created: string[];
    changed: string[];
    deleted: string[];
}

export function diff(before: Map<string, Entry>, after: Map<string, Entry>): Changes {
    const created: string[] = [];
    const changed: string[] = [];
    const deleted: string[] = [];
    for (const [name, entry] of after) {
        const old = before.get(name);
        if (!old) created.push(name);
        else if (JSON.stringify(old) !== JSON.stringify(entry)) changed.push(name);
    }
    for (const name of before.keys()) if (!after.has(name)) deleted.push(name);
    return { created: created.sort(), changed: changed.sort(), deleted: deleted.sort() };
}

// ---------------------------------------------------------------------------------------------------------
// Cases

export interface Case {
    /** What the case tries, as the test's name. */
    name: string;
    /**
     * `error`: the command must fail (exit ≠ 0, ≠ 70) and change nothing; `ok`: it must succeed and write exactly
     * `writes`; `either`: an input with more than one fair answer — only the checks every command must pass.
     */
    expect: 'error' | 'ok' | 'either';
    setup?: (ctx: Ctx) => unknown;
    args: string[] | ((ctx: Ctx) => string[]);
    /** Files (relative to the folder) a successful command must create or change, and no others. */
    writes?: string[];
    /** stdout is the product (e.g. `import` without --out): it must not hold the folder's path either. */
    stdoutIsProduct?: boolean;
    /** The program to run instead of the project's Node (for the case about an old Node). */
    node?: string;
    /** Further checks, after the common ones; report with ctx.problem() or throw. */
    check?: (r: Ran, ctx: Ctx) => void | Promise<void>;
}

const STACK_TRACE = [/^\s+at .+\(.+:\d+:\d+\)/m, /^\s+at /m];
// C0 controls except tab and newline, DEL, and C1 controls (U+0080–U+009F, e.g. the 8-bit CSI U+009B).
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;

export function quoteArg(a: string): string {
    if (/^[\w@%+=:,./-]+$/.test(a)) return a;
    if (/[\x00-\x1f\x7f]/.test(a) || /[^\x20-\x7e]/.test(a)) {
        return "$'" + [...a].map(ch => {
            const c = ch.codePointAt(0)!;
            if (ch === "'" || ch === '\\') return '\\' + ch;
            if (c < 0x20 || c === 0x7f) return '\\x' + c.toString(16).padStart(2, '0');
            return ch;
        }).join('') + "'";
    }
    return "'" + a.replace(/'/g, `'\\''`) + "'";
}

export function describeRun(r: Ran): string {
    const excerpt = (s: string) => {
        const t = s.length > 1200 ? s.slice(0, 1200) + ` … (${s.length} chars)` : s;
        return JSON.stringify(t);
    };
    return [
        `exit ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (killed after 20 s)' : ''}${r.memoryKilled ? ' (killed above 3 GB)' : ''}`,
        `time ${(r.ms / 1000).toFixed(2)} s, max RSS ${r.maxRssKB === undefined ? '?' : (r.maxRssKB / 1024).toFixed(0) + ' MiB'}`,
        `stderr: ${excerpt(r.stderr)}`,
        `stdout: ${excerpt(r.stdout)}`,
    ].join('\n    ');
}

function checkText(label: string, text: string, bytes: Buffer, lineLimit: boolean, problems: string[]): void {
    for (const re of STACK_TRACE) {
        const m = re.exec(text);
        if (m) {
            problems.push(`${label} holds a stack trace: ${JSON.stringify(text.slice(Math.max(0, m.index - 80), m.index + 120))}`);
            break;
        }
    }
    for (const phrase of ['internal error', 'importer bug']) {
        const line = text.split('\n').find(l => l.toLowerCase().includes(phrase));
        if (line !== undefined) problems.push(`${label} says "${phrase}": ${JSON.stringify(line.slice(0, 200))}`);
    }
    const c = CONTROL.exec(text);
    if (c) {
        const code = c[0].codePointAt(0)!;
        problems.push(`${label} holds a raw control character U+${code.toString(16).padStart(4, '0')} at ${c.index}: ${JSON.stringify(text.slice(Math.max(0, c.index - 40), c.index + 40))}`);
    }
    if (bytes.length >= OUTPUT_CAP) problems.push(`${label} is over ${OUTPUT_CAP >> 20} MiB`);
    if (lineLimit) {
        const long = text.split('\n').filter(l => [...l].length > MAX_LINE);
        if (long.length > 0) problems.push(`${label} has ${long.length} line(s) over ${MAX_LINE} characters (longest ${Math.max(...long.map(l => [...l].length))}): ${JSON.stringify(long[0].slice(0, 160))}…`);
    }
}

function fileList(names: string[]): string {
    return names.length ? names.map(quoteArg).join(', ') : '(none)';
}

/** Runs one case and returns its problems (empty: passed) with a description of the run. */
export async function runCase(c: Case): Promise<{ problems: string[]; report: string }> {
    const ctx = new Ctx();
    try {
        if (c.setup) await c.setup(ctx);
        const args = typeof c.args === 'function' ? c.args(ctx) : c.args;
        const before = snapshot(ctx.dir);
        const r = await run(c.node ?? NODE, [BIN, ...args], ctx.dir, TIME_LIMIT_MS, true);
        const after = snapshot(ctx.dir);
        const changes = diff(before, after);
        const p = ctx.problems;

        if (r.timedOut) p.push(`did not end within ${TIME_LIMIT_MS / 1000} s`);
        else if (r.ms > TIME_LIMIT_MS) p.push(`took ${(r.ms / 1000).toFixed(1)} s`);
        if (r.memoryKilled) p.push('went above 3 GB of memory and was killed');
        else if (r.maxRssKB !== undefined && r.maxRssKB > MEMORY_LIMIT_KB) p.push(`peak memory ${(r.maxRssKB / 1024).toFixed(0)} MiB ≥ 1.5 GB`);
        if (!r.timedOut && !r.memoryKilled) {
            if (r.code === 70) p.push('exit status 70 (internal error)');
            if (r.signal) p.push(`ended by signal ${r.signal}`);
            if (c.expect === 'error' && r.code === 0) p.push('exit status 0 for an input that must be refused');
            if (c.expect === 'ok' && r.code !== 0) p.push(`exit status ${r.code} for an input that must succeed`);
        }
        const failed = r.code !== 0;
        checkText('stderr', r.stderr, r.stderrBytes, true, p);
        checkText('stdout', r.stdout, r.stdoutBytes, failed, p);

        const touched = [...changes.created, ...changes.changed];
        if (failed || c.expect === 'error') {
            if (touched.length || changes.deleted.length) {
                p.push(`files changed by a ${failed ? 'failing' : 'refused'} command: created ${fileList(changes.created)}; changed ${fileList(changes.changed)}; deleted ${fileList(changes.deleted)}`);
            }
        } else {
            if (changes.deleted.length) p.push(`deleted ${fileList(changes.deleted)}`);
            const expected = [...(c.writes ?? [])].sort();
            const unexpected = touched.filter(n => !expected.includes(n));
            const missing = expected.filter(n => !touched.includes(n));
            if (unexpected.length) p.push(`wrote files it was not asked to: ${fileList(unexpected)}`);
            if (missing.length) p.push(`did not write ${fileList(missing)}`);
        }
        // The folder's absolute path must not be written into any file (or into stdout when that is the product).
        for (const name of touched) {
            const entry = after.get(name);
            if (entry?.kind !== 'file') continue;
            const bytes = fs.readFileSync(ctx.path(name));
            if (bytes.includes(ctx.token)) p.push(`${quoteArg(name)} holds the temporary folder's absolute path (${JSON.stringify(contextOf(bytes, ctx.token))})`);
        }
        if (c.stdoutIsProduct && r.stdoutBytes.includes(ctx.token)) p.push(`stdout holds the temporary folder's absolute path (${JSON.stringify(contextOf(r.stdoutBytes, ctx.token))})`);

        if (c.check) {
            try {
                await c.check(r, ctx);
            } catch (e) {
                p.push(`check: ${e instanceof Error ? e.message : String(e)}`);
            }
        }
        const changeText = `files: created ${fileList(changes.created)}; changed ${fileList(changes.changed)}; deleted ${fileList(changes.deleted)}`;
        return { problems: [...p], report: `convnet ${args.map(quoteArg).join(' ')}\n    ${describeRun(r)}\n    ${changeText}` };
    } finally {
        ctx.cleanup();
    }
}

function contextOf(bytes: Buffer, token: string): string {
    const i = bytes.indexOf(token);
    return bytes.subarray(Math.max(0, i - 60), i + token.length + 40).toString('latin1');
}

/** Lines of a text without the empty ones. */
export const lines = (text: string) => text.split('\n').filter(l => l.trim().length > 0);
