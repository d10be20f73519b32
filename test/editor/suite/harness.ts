/**
 * A small test runner for the extension host (no mocha: nothing to configure for the two launchers, and the
 * report format is ours). Tests run one after another in registration order; `run()` rejects when any failed,
 * which makes VS Code end the extension host with exit code 1.
 */
import * as assert from 'node:assert/strict';

interface TestCase {
    readonly name: string;
    readonly body: () => Promise<void>;
    readonly timeoutMs: number;
    readonly installed: boolean;
}

export interface TestOptions {
    /** The default covers a cold language server; a test should need far less. */
    readonly timeoutMs?: number;
    /** Also run against the extension installed from the .vsix (CONVNET_EDITOR_PHASE=installed). */
    readonly installed?: boolean;
}

const cases: TestCase[] = [];

/** Which extension the launcher loaded: the repository (`development`) or the packaged .vsix (`installed`). */
export const phase: 'development' | 'installed' = process.env.CONVNET_EDITOR_PHASE === 'installed' ? 'installed' : 'development';

/** Registers a test (a number for `options` is its timeout in ms). */
export function test(name: string, body: () => Promise<void>, options: number | TestOptions = {}): void {
    const { timeoutMs = 30_000, installed = false } = typeof options === 'number' ? { timeoutMs: options } : options;
    cases.push({ name, body, timeoutMs, installed });
}

function log(line: string): void {
    // The extension host forwards console output to the page (and to the launcher's stdout under Electron).
    console.log(`[editor-test] ${line}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the registered tests of this phase whose name contains `CONVNET_EDITOR_GREP` (all when unset) and rejects
 * if one fails or none ran.
 */
export async function runTests(): Promise<void> {
    const grep = process.env.CONVNET_EDITOR_GREP;
    const ofPhase = phase === 'installed' ? cases.filter(c => c.installed) : cases;
    const selected = grep ? ofPhase.filter(c => c.name.includes(grep)) : ofPhase;
    const failures: string[] = [];
    const started = Date.now();
    log(`running ${selected.length} of ${cases.length} tests (${phase === 'installed' ? 'the extension installed from the .vsix' : 'the extension under development'})`);
    for (const c of selected) {
        const t0 = Date.now();
        try {
            await withTimeout(c.body(), c.timeoutMs, c.name);
            log(`ok   ${c.name} (${Date.now() - t0} ms)`);
        } catch (e) {
            failures.push(c.name);
            const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
            log(`FAIL ${c.name} (${Date.now() - t0} ms)\n${detail.replace(/^/gm, '    ')}`);
        }
    }
    log(`${selected.length - failures.length} passed, ${failures.length} failed in ${Date.now() - started} ms`);
    if (selected.length === 0) throw new Error(`no editor test matches CONVNET_EDITOR_GREP=${grep}`);
    if (failures.length) throw new Error(`${failures.length} editor test(s) failed: ${failures.join('; ')}`);
}

export interface WaitOptions {
    /** How long to keep trying. */
    readonly timeoutMs?: number;
    /** Time between two probes. */
    readonly intervalMs?: number;
}

/**
 * Probes until `probe` returns something other than `undefined` (or stops throwing) and returns that value;
 * after the deadline, fails with `what` and the last probe's error. A probe may be async.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    const interval = options.intervalMs ?? 50;
    let lastError: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
            lastError = undefined;
        } catch (e) {
            lastError = e;
        }
        if (Date.now() >= deadline) {
            const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
            throw new Error(`gave up waiting for ${what} after ${options.timeoutMs ?? 20_000} ms${reason}`);
        }
        await new Promise(resolve => setTimeout(resolve, interval));
    }
}

/** Like `waitFor`, for a probe that asserts: waits until it stops throwing. */
export async function eventually(what: string, check: () => void | Promise<void>, options: WaitOptions = {}): Promise<void> {
    await waitFor(what, async () => {
        await check();
        return true;
    }, options);
}

export { assert };
