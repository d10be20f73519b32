/**
 * The shipped browser run worker (out/web/run-worker.js) on threads: a page that is cross-origin isolated may make
 * a shared memory, so the WebAssembly engine's thread team runs there on Web Workers (client/web/shims/
 * worker-threads.ts, ./os.ts). The VS Code server's workbench in the web phase is not isolated, so this check has
 * a page of its own in headless chromium, served (through Playwright's routing) with the COOP/COEP headers that
 * isolate it. It runs seeded ResNet-18 there and compares with the desktop: the same run on Node
 * (client/run/execute.ts, as `convnet run --seed 0`). test/editor/run.ts's web phase runs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type ConsoleMessage } from 'playwright-core';
import { chooseNetwork } from '../../cli/network-choice.js';
import { executeRun, loadRun, type RunDone, type RunRequest } from '../../client/run/execute.js';
import type { StartWebRun } from '../../client/web/run-messages.js';
import { CHROMIUM_ARGS, ROOT } from './profile.js';

// localhost: a secure context, which cross-origin isolation needs (every request is answered by the route below).
const ORIGIN = 'http://localhost:8123';
const ISOLATING_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };

export interface IsolatedRunCheck {
    readonly ok: boolean;
    readonly ms: number;
    readonly message: string;
}

function check(condition: unknown, message: string): asserts condition {
    if (!condition) throw new Error(message);
}

export async function checkIsolatedRun(chromiumPath: string): Promise<IsolatedRunCheck> {
    const started = Date.now();
    let browser: Browser | undefined;
    try {
        const problems: string[] = [];
        const graph = await chooseNetwork(path.join(ROOT, 'examples', 'resnet18.convnet'), 'ResNet18', 'run', { out: () => undefined, err: text => problems.push(text) });
        if (typeof graph === 'number') throw new Error(`examples/resnet18.convnet: ${problems.join('\n')}`);
        const request: RunRequest = { graph, input: { kind: 'random' }, seed: 0, imagenetNormalization: false, memoryBudget: 2 * 1024 ** 3 };
        const loaded = loadRun(request);
        const desktop = executeRun(loaded, request);
        loaded.dispose();

        browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
        const context = await browser.newContext();
        const worker = fs.readFileSync(path.join(ROOT, 'out', 'web', 'run-worker.js'));
        await context.route('**/*', route => {
            const url = new URL(route.request().url());
            if (url.origin !== ORIGIN) return route.abort();
            if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', headers: ISOLATING_HEADERS, body: '<!doctype html><title>isolated</title>' });
            if (url.pathname === '/run-worker.js') return route.fulfill({ contentType: 'text/javascript', headers: ISOLATING_HEADERS, body: worker });
            return route.fulfill({ status: 404, body: '' });
        });
        const page = await context.newPage();
        // Errors the page or its run worker log. (Not the run's own threads': a thread that fails to start leaves every
        // part to the caller, with the outputs still right — the count of parts the workers ran below shows it.)
        const errors: string[] = [];
        const onConsole = (message: ConsoleMessage) => { if (message.type() === 'error') errors.push(message.text()); };
        page.on('console', onConsole);
        page.on('pageerror', error => errors.push(error.message));
        page.on('worker', worker => worker.on('console', onConsole));
        await page.goto(`${ORIGIN}/`);
        const start: StartWebRun = { type: 'start', ...request, files: [] };
        // Page code, as text: it runs in the browser, which this Node project's types do not describe.
        const answer = await page.evaluate(`new Promise(resolve => {
            const isolated = globalThis.crossOriginIsolated === true;
            const cores = navigator.hardwareConcurrency;
            const worker = new Worker('/run-worker.js');
            worker.onmessage = ({ data }) => { if (data.type !== 'progress') resolve({ isolated, cores, reply: data }); };
            worker.onerror = event => resolve({ isolated, cores, reply: { type: 'error', message: event.message } });
            worker.postMessage(${JSON.stringify(start)});
        })`) as { isolated: boolean; cores: number; reply: { type: string; message?: string } };
        check(answer.isolated, 'the page is not cross-origin isolated');
        check(answer.reply.type === 'done', `the run did not finish: ${answer.reply.message ?? answer.reply.type}`);
        const web = answer.reply as RunDone;
        const threads = Math.max(1, answer.cores);
        check(new RegExp(`^wasm (relaxed-simd|simd), ${threads} threads?$`).test(web.engine), `the run computed on ${web.engine}, not the WebAssembly kernels on ${threads} threads`);
        check(threads === 1 || web.workerParts > 0, `the Web Workers ran none of the run's parts (the calling thread ran them all): ${web.engine}${errors.length ? `; errors: ${errors.join('; ')}` : ''}`);
        check(errors.length === 0, `errors in the page: ${errors.join('; ')}`);
        const [ours, theirs] = [web.outputs[0], desktop.outputs[0]];
        check(JSON.stringify(ours.top5?.map(t => t.index)) === JSON.stringify(theirs.top5?.map(t => t.index)), `top 5 ${JSON.stringify(ours.top5?.map(t => t.index))} ≠ the desktop's ${JSON.stringify(theirs.top5?.map(t => t.index))}`);
        for (const key of ['min', 'max', 'mean', 'std'] as const) {
            check(Math.abs(ours[key] - theirs[key]) <= 1e-3 * Math.max(1, Math.abs(theirs[key])), `${key}: ${ours[key]}, the desktop's ${theirs[key]}`);
        }
        return { ok: true, ms: Date.now() - started, message: `seeded ResNet-18 in a cross-origin isolated page on ${web.engine}: ${web.totalMs.toFixed(0)} ms (warm median ${web.warmMs.toFixed(0)} ms), the desktop's top 5` };
    } catch (e) {
        return { ok: false, ms: Date.now() - started, message: e instanceof Error ? e.stack ?? e.message : String(e) };
    } finally {
        await browser?.close();
    }
}
