/**
 * The views' pages (client/media/summary.js, graph.js, run.js, compare.js with views.css) in headless chromium, outside the
 * editor: each page is built by the extension's own page builder (client/webview-page.ts, with its content
 * security policy), given a stand-in for VS Code's `acquireVsCodeApi`, and fed the messages the extension would
 * post — made from examples/resnet18.convnet by the project's own modules (the language for the summary and the
 * graph layout, the runtime for a seeded run). Checks what each page shows and sends back, and writes a
 * screenshot of each view, in a dark and a light theme, to test-output/editor/webviews/ for a person to look at.
 * test/editor/run.ts runs it first (it needs the chromium that test/editor/install.sh installs).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chooseNetwork } from '../../cli/network-choice.js';
import { summarizeNetwork, summaryFigures } from '../../language/analysis/summary.js';
import { symbolicSizes, symbolicSizesText } from '../../language/analysis/symbolic-sizes.js';
import { loadConvNetFiles } from '../../language/node/load-files.js';
import { isNetwork } from '../../language/generated/ast.js';
import type { NetworkGraph } from '../../language/elaboration/graph.js';
import { layoutGraph, renderSvg } from '../../language/render/graph-layout.js';
import { checkMemoryBudget } from '../../runtime/executor.js';
import { captureLayer, executeRun, loadRun, type RunRequest } from '../../client/run/execute.js';
import {
    featureMapsMessage, foldedIndices, graphMessage, initiallyFolded, runCancelledMessage, runErrorMessage, runProgressMessage, runResultMessage, summaryMessage,
} from '../../client/views/messages.js';
import { createNonce, webviewPageHtml } from '../../client/webview-page.js';
import { diffNetworks, type NetworkDiff } from '../../language/analysis/diff.js';
import { trainingMemory } from '../../language/analysis/training-memory.js';
import { roofline } from '../../language/analysis/roofline.js';
import { designInsights } from '../../language/analysis/insights.js';
import { findDeviceProfile } from '../../language/analysis/devices.js';
import { compareGraph, compareMessage, type CompareGraph } from '../../client/compare/graph-marks.js';
import { CHROMIUM_ARGS, ROOT } from './profile.js';

const MEDIA = path.join(ROOT, 'client', 'media');
const EXAMPLE = path.join(ROOT, 'examples', 'resnet18.convnet');
/** ResNet-34 as torchvision builds it (it imports ResNet-18's BasicBlock from the example). */
const RESNET34 = path.join(ROOT, 'test', 'fixtures', 'diff', 'resnet34.convnet');
/**
 * Independent figures for ResNet-18: thop's count by its hooks' rule applied by PyTorch (test/fixtures/conventions/
 * conventions.json), torchvision's MACs (its model docs, test/fixtures/reference/torchvision-totals.json) and the
 * MACs PyTorch counts at 32² and 64² inputs (test/fixtures/symbolic-sizes/figures.json).
 */
const REFERENCE = {
    thop: (JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/conventions/conventions.json'), 'utf8')) as { models: Record<string, { thop: number }> }).models.resnet18.thop,
    macs: (JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/reference/torchvision-totals.json'), 'utf8')) as { models: Record<string, { macs: number }> }).models.resnet18.macs,
    macsAt: (JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/symbolic-sizes/figures.json'), 'utf8')) as { macs: { resnet18: { height: number; width: number; macs: number }[] } }).macs.resnet18,
};
/** torchvision's parameter counts (its model docs): resnet18 11,689,512, resnet34 21,797,672. */
export const TORCHVISION_PARAMS = { resnet18: 11_689_512, resnet34: 21_797_672 } as const;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Stand-ins for the theme variables VS Code gives a webview (Dark Modern, Light Modern and Dark High Contrast). */
export const THEMES = {
    dark: {
        '--vscode-font-family': 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif', '--vscode-font-size': '13px',
        '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-errorForeground': '#f85149',
        '--vscode-editor-background': '#1f1f1f', '--vscode-editorWidget-border': '#454545', '--vscode-list-hoverBackground': '#2a2d2e',
        '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-charts-orange': '#d18616',
        '--vscode-dropdown-background': '#313131', '--vscode-dropdown-foreground': '#cccccc', '--vscode-dropdown-border': '#3c3c3c',
    },
    light: {
        '--vscode-font-family': 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif', '--vscode-font-size': '13px',
        '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#717171', '--vscode-errorForeground': '#f85149',
        '--vscode-editor-background': '#ffffff', '--vscode-editorWidget-border': '#c8c8c8', '--vscode-list-hoverBackground': '#f2f2f2',
        '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-charts-orange': '#d18616',
        '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b', '--vscode-dropdown-border': '#cecece',
    },
    'high-contrast': {
        '--vscode-font-family': 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif', '--vscode-font-size': '13px',
        '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': '#ffffff', '--vscode-errorForeground': '#f48771',
        '--vscode-editor-background': '#000000', '--vscode-editorWidget-border': '#6fc3df', '--vscode-list-hoverBackground': '#000000',
        '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-charts-orange': '#ffa500',
        '--vscode-dropdown-background': '#000000', '--vscode-dropdown-foreground': '#ffffff', '--vscode-dropdown-border': '#6fc3df',
    },
} as const;

/** Widths a view is checked at: a side panel, and an editor group on a wide screen. */
const WIDTHS = [300, 1200];

/**
 * At each width: the page itself never scrolls sideways (a table too wide scrolls inside its own box), the first
 * column of every table stays in view when its box is scrolled to the far right, and numbers align right.
 */
async function checkLayout(view: ViewPage, folder: string, name: string): Promise<void> {
    for (const width of WIDTHS) {
        await view.page.setViewportSize({ width, height: 800 });
        const layout = await view.page.evaluate(`(() => {
            const page = { scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth };
            const boxes = [...document.querySelectorAll('.table-wrap')].map(box => {
                box.scrollLeft = box.scrollWidth;
                const boxLeft = box.getBoundingClientRect().left;
                const first = box.querySelector('tbody td:first-child');
                const firstLeft = first ? first.getBoundingClientRect().left : boxLeft;
                const numbers = [...box.querySelectorAll('td.num')].map(td => getComputedStyle(td).textAlign);
                const result = { scrolls: box.scrollWidth > box.clientWidth, firstOffset: Math.round(firstLeft - boxLeft), numbers: [...new Set(numbers)] };
                box.scrollLeft = 0;
                return result;
            });
            return { page, boxes };
        })()`) as { page: { scrollWidth: number; width: number }; boxes: { scrolls: boolean; firstOffset: number; numbers: string[] }[] };
        assert.ok(layout.page.scrollWidth <= layout.page.width, `${name} at ${width} px: the page is ${layout.page.scrollWidth} px wide, wider than the panel`);
        assert.ok(layout.boxes.length > 0, `${name}: its tables are in scrolling boxes`);
        for (const [i, box] of layout.boxes.entries()) {
            assert.ok(Math.abs(box.firstOffset) <= 1, `${name} at ${width} px, table ${i + 1}: the first column stays in view when scrolled (${box.firstOffset} px off)`);
            assert.ok(box.numbers.every(a => a === 'right'), `${name} at ${width} px, table ${i + 1}: numbers align right (${box.numbers.join(', ')})`);
        }
        if (width === 300) assert.ok(layout.boxes.some(b => b.scrolls), `${name} at 300 px: a table wider than the panel scrolls inside its box`);
        await view.screenshot(folder, `${name}-${width}px`);
    }
    await view.page.setViewportSize({ width: 1000, height: 800 });
}
export type Theme = keyof typeof THEMES;

export interface PageCheck {
    readonly name: string;
    readonly ok: boolean;
    readonly ms: number;
    readonly error?: string;
}

/** What the pages are fed: one network's summary, graph and run, made by the project's own modules. */
export interface Fixture {
    readonly graph: NetworkGraph;
    readonly summary: ReturnType<typeof summarizeNetwork>;
    readonly svg: string;
    readonly folded: number;
    readonly request: RunRequest;
    readonly run: ReturnType<typeof executeRun>;
    readonly loaded: ReturnType<typeof loadRun>;
    readonly budgetMessage: string;
    readonly classes: string[];
    /** ResNet-18 → ResNet-34 (the newer design has the added blocks), and ResNet-34's graph with them marked. */
    readonly diff: NetworkDiff;
    readonly compareGraph: CompareGraph;
    /** The Summary view's Training section (batch 32, SGD with momentum) and roofline on the desktop CPU core profile. */
    readonly training: Omit<ReturnType<typeof trainingMemory>, 'layers'>;
    readonly roofline: ReturnType<typeof roofline>;
    readonly insights: ReturnType<typeof designInsights>;
    /** ResNet-18 with its input `[1, 3, H, W]` (H, W = 224): the Summary view's figures and size formulas. */
    readonly sized: { readonly summary: ReturnType<typeof summarizeNetwork>; readonly sizes: ReturnType<typeof symbolicSizesText>; readonly graph: NetworkGraph };
}

/** examples/resnet18.convnet with its input written `[1, 3, H, W]`, H and W defaulting to 224, in a folder of its own. */
async function sizedResnet(): Promise<Fixture['sized']> {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-webview-sizes-'));
    try {
        const file = path.join(folder, 'resnet18.convnet');
        const text = fs.readFileSync(EXAMPLE, 'utf8');
        const header = 'network ResNet18(input: [1, 3, 224, 224]';
        assert.ok(text.includes(header), 'ResNet-18\'s header');
        fs.writeFileSync(file, text.replace(header, 'network ResNet18(input: [1, 3, H, W], H: int = 224, W: int = 224'));
        const { documents, services } = await loadConvNetFiles([file]);
        const network = documents[0].parseResult.value.declarations.find(isNetwork)!;
        const analysis = services.analysis.NetworkAnalyzer.analyze(network);
        const sizes = symbolicSizes(analysis);
        assert.ok(sizes, 'ResNet-18 declares size variables');
        return { summary: summarizeNetwork(analysis.graph), sizes: symbolicSizesText(sizes), graph: analysis.graph };
    } finally {
        fs.rmSync(folder, { recursive: true, force: true });
    }
}

export async function makeFixture(): Promise<Fixture> {
    const problems: string[] = [];
    const graph = await chooseNetwork(EXAMPLE, 'ResNet18', 'show', { out: () => undefined, err: text => problems.push(text) });
    if (typeof graph === 'number') throw new Error(`examples/resnet18.convnet: ${problems.join('\n')}`);
    const foldedModules = foldedIndices(graph, initiallyFolded(graph));
    const layout = await layoutGraph(graph, foldedModules);
    const request: RunRequest = { graph, input: { kind: 'random' }, seed: 0, imagenetNormalization: true, memoryBudget: 2 * 1024 ** 3 };
    const loaded = loadRun(request);
    let budgetMessage = '';
    try {
        checkMemoryBudget(graph, 1024 ** 2);
    } catch (e) {
        budgetMessage = (e as Error).message;
    }
    assert.ok(budgetMessage, 'ResNet-18 is over a 1 MiB budget');
    const resnet34 = await chooseNetwork(RESNET34, 'ResNet34', 'show', { out: () => undefined, err: text => problems.push(text) });
    if (typeof resnet34 === 'number') throw new Error(`test/fixtures/diff/resnet34.convnet: ${problems.join('\n')}`);
    const diff = diffNetworks(graph, resnet34, { before: 'resnet18.convnet', after: 'resnet34.convnet' });
    const device = findDeviceProfile('desktop-cpu-core')!;
    const model = roofline(graph, device);
    const { layers: _layers, ...training } = trainingMemory(graph, { batch: 32, optimizer: 'sgd-momentum' });
    return {
        diff, compareGraph: await compareGraph(diff, resnet34), training, roofline: model, insights: designInsights(graph, device, { roofline: model }),
        graph, summary: summarizeNetwork(graph), svg: renderSvg(layout, graph.name), folded: foldedModules.size, sized: await sizedResnet(),
        request, loaded, run: executeRun(loaded, request), budgetMessage,
        classes: JSON.parse(fs.readFileSync(path.join(MEDIA, 'imagenet-classes.json'), 'utf8')) as string[],
    };
}

/** One view's page in a tab: what it posted (through the `acquireVsCodeApi` stand-in) and what went wrong in it. */
export class ViewPage {
    readonly problems: string[] = [];

    private constructor(readonly page: Page) {
        page.on('console', message => {
            // A content-security-policy violation or a script error is logged as an error.
            if (message.type() === 'error') this.problems.push(`console: ${message.text()}`);
        });
        page.on('pageerror', error => this.problems.push(`page error: ${error.message}`));
    }

    static async open(context: BrowserContext, folder: string, script: string, theme: Theme, extraStyles: readonly string[] = []): Promise<ViewPage> {
        const themeFile = path.join(folder, `theme-${theme}.css`);
        const variables = Object.entries(THEMES[theme]).map(([name, value]) => `  ${name}: ${value};`).join('\n');
        // VS Code's webview host also sets the page background from the theme.
        fs.writeFileSync(themeFile, `:root {\n${variables}\n}\nbody { background-color: var(--vscode-editor-background); }\n`);
        const htmlFile = path.join(folder, `${path.basename(script, '.js')}-${theme}.html`);
        fs.writeFileSync(htmlFile, webviewPageHtml({
            cspSource: 'file:', styleUrl: pathToFileURL(path.join(MEDIA, 'views.css')).href, scriptUrl: pathToFileURL(path.join(MEDIA, script)).href,
            nonce: createNonce(), title: script, extraStyleUrls: [pathToFileURL(themeFile).href, ...extraStyles.map(file => pathToFileURL(path.join(MEDIA, file)).href)],
        }));
        const view = new ViewPage(await context.newPage());
        await view.page.addInitScript(() => {
            const posted: unknown[] = [];
            const w = globalThis as unknown as { convnetPosted: unknown[]; acquireVsCodeApi: () => unknown };
            w.convnetPosted = posted;
            w.acquireVsCodeApi = () => ({ postMessage: (message: unknown) => posted.push(message), getState: () => undefined, setState: () => undefined });
        });
        await view.page.goto(pathToFileURL(htmlFile).href);
        await view.waitForPosted('ready');
        return view;
    }

    /** What the extension would post: a message event on the page's window. */
    async post(message: unknown): Promise<void> {
        await this.page.evaluate(m => (globalThis as unknown as { postMessage(message: unknown, target: string): void }).postMessage(m, '*'), message);
    }

    async posted(): Promise<{ type: string; [key: string]: unknown }[]> {
        return this.page.evaluate(() => (globalThis as unknown as { convnetPosted: { type: string; [key: string]: unknown }[] }).convnetPosted);
    }

    async waitForPosted(type: string, count = 1): Promise<{ type: string; [key: string]: unknown }> {
        await this.page.waitForFunction(([t, n]) => (globalThis as unknown as { convnetPosted: { type: string }[] }).convnetPosted.filter(m => m.type === t).length >= n, [type, count] as const, { timeout: 10_000 });
        return (await this.posted()).filter(m => m.type === type)[count - 1];
    }

    async text(selector: string): Promise<string> {
        return ((await this.page.locator(selector).first().textContent({ timeout: 10_000 })) ?? '').replace(/\s+/g, ' ').trim();
    }

    async screenshot(folder: string, name: string): Promise<void> {
        await this.page.screenshot({ path: path.join(folder, `${name}.png`), fullPage: true });
    }

    noProblems(): void {
        assert.deepEqual(this.problems, [], 'the page logged no errors (script errors, content security policy violations)');
    }
}

async function checkSummary(context: BrowserContext, folder: string, theme: Theme, f: Fixture): Promise<void> {
    const view = await ViewPage.open(context, folder, 'summary.js', theme);
    await view.post(summaryMessage(f.graph.name, { summary: f.summary, errors: [] }));
    const totals = view.page.locator('#totals');
    await totals.waitFor({ timeout: 10_000 });
    const s = f.summary;
    assert.equal(await totals.getAttribute('data-params'), String(s.params));
    assert.equal(await totals.getAttribute('data-macs'), String(s.macs));
    const totalsText = await view.text('#totals');
    assert.equal(totalsText.replace(/\s/g, ''), `Total1×1000${fmt(s.params)}${fmt(s.macs)}${fmt(s.memory)}`, `totals row: ${totalsText}`);
    assert.equal(await view.text('h2'), `ResNet18: ${fmt(s.params)} params · ${fmt(s.macs)} MACs · ${fmt(s.flops)} FLOPs`);
    assert.equal(await view.page.locator('tbody tr.layer').count(), f.graph.nodes.length, 'a row per layer');
    assert.equal(await view.text('tbody tr.layer td'), 'conv1', 'in source order, the stem first');
    await view.screenshot(folder, `summary-${theme}`);
    await checkLayout(view, folder, `summary-${theme}`);

    // Sorting by params (largest first), copying, revealing a layer's source.
    await view.page.locator('th', { hasText: 'Params' }).click();
    const largest = [...s.layers].sort((a, b) => b.params - a.params)[0];
    assert.equal(await view.text('tbody tr.layer td'), largest.name, 'sorted by params, the largest layer first');
    await view.page.locator('#copy-markdown').click();
    assert.deepEqual(await view.waitForPosted('copy'), { type: 'copy', format: 'markdown' });
    await view.page.locator('tbody tr.layer').first().click();
    assert.deepEqual(await view.waitForPosted('reveal'), { type: 'reveal', line: largest.line - 1 });

    // A file with errors: the page says so instead of a table.
    await view.post(summaryMessage(f.graph.name, { errors: ["unknown op or block 'maxpol'; did you mean 'maxpool'?"] }));
    await view.page.locator('p.error').waitFor({ timeout: 5_000 });
    assert.match(await view.text('p.error'), /^Fix the errors for a summary: unknown op or block 'maxpol'/);
    view.noProblems();
    await view.page.close();
}

/**
 * The Summary view with its Training section (settings convnet.trainingBatch 32, convnet.trainingOptimizer
 * sgd-momentum) and the roofline on the desktop CPU core profile (setting convnet.device), checked against hand
 * counts: parameters, their gradients and SGD's momentum buffers are each 11,689,512 × 4 bytes (torchvision's count);
 * the fc layer reads (512 × 1000 + 1000) weights, 512 inputs and writes 1000 outputs, 4 bytes each, at Intel's
 * published 41.6 GB/s.
 */
async function checkSummaryTraining(context: BrowserContext, folder: string, theme: Theme, f: Fixture): Promise<void> {
    const view = await ViewPage.open(context, folder, 'summary.js', theme);
    await view.post({ ...summaryMessage(f.graph.name, { summary: f.summary, errors: [], training: f.training, roofline: f.roofline, insights: f.insights }) });
    await view.page.locator('#training').waitFor({ timeout: 10_000 });
    const paramBytes = TORCHVISION_PARAMS.resnet18 * 4;
    assert.equal(await view.text('h3'), 'Training (batch 32, SGD with momentum)');
    const cells = await view.page.locator('#training td.num').evaluateAll(tds => tds.map(td => td.getAttribute('title')));
    assert.deepEqual(cells.slice(0, 3), [`${fmt(paramBytes)} bytes`, `${fmt(paramBytes)} bytes`, `${fmt(paramBytes)} bytes`], 'parameters, gradients and momentum: 4 bytes per parameter each');
    assert.equal(await view.text('#training tr:nth-child(1) td.num'), '44.6 MiB', '46,758,048 bytes in MiB');
    assert.equal(Number(await view.page.locator('#training').getAttribute('data-peak')), f.training.peakBytes);
    assert.ok(f.training.peakBytes > 3 * paramBytes, 'the peak holds the parameters, gradients, momentum and activations');
    // The roofline: one point per layer not fused into a conv, the roof, and the predicted total in the heading.
    const svg = view.page.locator('svg#roofline');
    await svg.waitFor({ timeout: 10_000 });
    const drawn = f.roofline.layers.filter(l => !l.fusedInto && l.flops > 0 && l.bytes > 0);
    assert.equal(await svg.locator('circle.layer').count(), drawn.length, 'a point per unfused layer');
    assert.equal(await svg.locator('polyline.roof').count(), 1);
    assert.match(await view.text('h3:nth-of-type(2)'), /^Roofline: desktop CPU core, 128-bit SIMD \(Intel Core i7-8700K, 1 core\) — predicted [\d.]+ ms \(fp32\)$/);
    assert.equal(f.roofline.device.peakFlops, 2 * 4 * 2 * 4.7e9, 'Intel ARK: 4.7 GHz × 2 FMA ports × 4 lanes × 2 FLOP');
    const fc = f.roofline.layers.find(l => l.name === 'fc')!;
    const fcBytes = (512 * 1000 + 1000 + 512 + 1000) * 4;
    assert.equal(fc.bytes, fcBytes);
    assert.equal(fc.bound, 'memory');
    assert.ok(Math.abs(fc.seconds - (fcBytes / 41.6e9 + 2e-6)) < 1e-12, `fc: ${fc.seconds} s`);
    const fcTitle = await svg.locator('circle.layer title', { hasText: /^fc \(linear\)/ }).textContent();
    assert.match(fcTitle ?? '', new RegExp(`${(fc.seconds * 1e3).toFixed(3)} ms, memory-bound$`));
    // A Predicted column and its total.
    assert.equal(await view.page.locator('thead th', { hasText: 'Predicted (ms)' }).count(), 1);
    assert.equal(await view.text('#totals td:last-child'), (f.roofline.seconds * 1e3).toFixed(3));
    assert.equal(await view.page.locator('#insights li').count(), f.insights.length);
    await view.screenshot(folder, `summary-training-${theme}`);
    await checkLayout(view, folder, `summary-training-${theme}`);
    // A click on a point reveals the layer's line.
    await svg.locator('circle.layer').first().dispatchEvent('click');
    assert.equal((await view.waitForPosted('reveal')).type, 'reveal');
    view.noProblems();
    await view.page.close();
}

/**
 * The Summary view's selectors and Size variables section, on ResNet-18 with its input `[1, 3, H, W]`. Choosing thop
 * and int8 asks the extension (which keeps them as settings and answers with new figures, posted here as it would);
 * the figures shown are checked against independent numbers: thop's count of ResNet-18 (its rule applied by PyTorch),
 * int8 bit-operations = torchvision's MACs × 8 × 8, int8 weights = torchvision's 11,689,512 parameters + 9,600 BN
 * running statistics (2 × 4,800 channels) at 1 byte, and the MACs formula from PyTorch's counts at 32² and 64².
 */
async function checkSummaryFigures(context: BrowserContext, folder: string, theme: Theme, f: Fixture): Promise<void> {
    const view = await ViewPage.open(context, folder, 'summary.js', theme);
    const { sized } = f;
    const post = (convention: 'torchvision' | 'thop', precision: 'fp32' | 'int8') => view.post(summaryMessage('ResNet18', {
        summary: sized.summary, errors: [], figures: summaryFigures(sized.graph, convention, precision), sizes: sized.sizes,
    }));
    await post('torchvision', 'fp32');
    await view.page.locator('#totals').waitFor({ timeout: 10_000 });
    assert.equal(await view.page.locator('select#convention').inputValue(), 'torchvision');
    assert.equal(await view.page.locator('select#precision').inputValue(), 'fp32');
    assert.equal(await view.page.locator('#totals').getAttribute('data-count'), String(REFERENCE.macs), 'torchvision\'s count is its MACs');
    assert.equal(await view.page.locator('thead th', { hasText: /^Memory \(fp32 bytes\)/ }).count(), 1);

    // The choices go to the extension; nothing changes until it answers.
    await view.page.locator('select#convention').selectOption('thop');
    assert.deepEqual(await view.waitForPosted('figures'), { type: 'figures', convention: 'thop' });
    await view.page.locator('select#precision').selectOption('int8');
    assert.deepEqual(await view.waitForPosted('figures', 2), { type: 'figures', precision: 'int8' });
    await post('thop', 'int8');
    await view.page.locator('#totals[data-bops]').waitFor({ timeout: 10_000 });
    assert.equal(await view.page.locator('select#convention').inputValue(), 'thop');
    assert.equal(await view.page.locator('select#precision').inputValue(), 'int8');
    const totals = view.page.locator('#totals');
    assert.equal(await totals.getAttribute('data-count'), String(REFERENCE.thop), 'thop\'s count of ResNet-18');
    assert.equal(await totals.getAttribute('data-bops'), String(REFERENCE.macs * 64), 'BOPs = MACs × 8 × 8');
    assert.ok((await view.text('#totals')).includes(fmt(REFERENCE.thop)), 'the totals row shows thop\'s count');
    assert.equal(await view.page.locator('thead th', { hasText: /^MACs \(thop\)/ }).count(), 1, 'the column says whose count it is');
    assert.equal(await view.page.locator('thead th', { hasText: /^BOPs/ }).count(), 1, 'int8 adds bit-operations');
    const notes = await view.text('#figure-notes');
    assert.ok(notes.startsWith(`thop convention: ${fmt(REFERENCE.thop)} (1.82 G) MACs (thop)`), notes);
    const weights = (TORCHVISION_PARAMS.resnet18 + 2 * 4800) / 2 ** 20;
    assert.ok(notes.includes(`At int8 (1 byte per element): weights ${weights.toFixed(1)} MiB`), notes);

    // Size variables: MACs = slope·H·W + constant, both from PyTorch's counts at 32² and 64².
    const at = (h: number) => REFERENCE.macsAt.find(r => r.height === h && r.width === h)!.macs;
    const slope = (at(64) - at(32)) / (64 * 64 - 32 * 32);
    assert.equal(await view.text('h3'), 'Size variables');
    const macsRow = view.page.locator('#size-formulas tr', { hasText: /^MACs/ });
    assert.equal(await macsRow.locator('td').nth(1).textContent().then(t => (t ?? '').split('  ≈')[0]), `= ${slope.toLocaleString('en-US')}·H·W + ${(at(32) - slope * 32 * 32).toLocaleString('en-US')}`);
    assert.match(await view.text('#size-validity'), /Smallest input that reaches the head: H = W = 1 \(no size is smaller\)/);
    await view.screenshot(folder, `summary-figures-${theme}`);
    await checkLayout(view, folder, `summary-figures-${theme}`);
    view.noProblems();
    await view.page.close();
}

/**
 * The Compare view on ResNet-18 → ResNet-34: torchvision's parameter counts in the totals, and ResNet-34's graph with
 * the eight BasicBlocks it adds (He et al., Table 1: [3, 4, 6, 3] − [2, 2, 2, 2]) marked added, seven layers each.
 */
async function checkCompare(context: BrowserContext, folder: string, theme: Theme, f: Fixture): Promise<void> {
    const view = await ViewPage.open(context, folder, 'compare.js', theme, ['compare.css']);
    await view.post(compareMessage(f.diff, f.compareGraph));
    await view.page.locator('#compare-graph svg').waitFor({ timeout: 10_000 });
    const { resnet18, resnet34 } = TORCHVISION_PARAMS;
    const params = (await view.text('tr[data-total="params"]')).replace(/\s+/g, '');
    assert.equal(params, `Params${fmt(resnet18)}${fmt(resnet34)}+${fmt(resnet34 - resnet18)}${(resnet34 / resnet18).toFixed(3)}×`);
    const blocksAdded = (3 + 4 + 6 + 3) - (2 + 2 + 2 + 2);
    const perBlock = 7; // conv1, bn1, relu, conv2, bn2, the residual sum, relu
    // Every layer after the first added block sees more of the input (two more 3×3 convs per block); nothing else changes.
    const fieldOnly = f.diff.layers.filter(row => row.status === 'changed');
    assert.ok(fieldOnly.length > 0 && fieldOnly.every(row => row.changes.join() === 'receptiveField'), 'the layers ResNet-18 shares change their receptive field only');
    assert.equal(await view.text('#headline'), `${blocksAdded * perBlock} layers added, 0 removed, ${fieldOnly.length} changed, ${f.graph.nodes.length - fieldOnly.length} the same.`);
    assert.equal(await view.page.locator('#compare-graph g.box.layer.mark-added').count(), blocksAdded * perBlock, 'every added layer has a marked box');
    assert.equal(await view.page.locator('#compare-graph g.box.mark-changed').count(), 0);
    const addedFrames = await view.page.locator('#compare-graph g.frame.mark-added > text').evaluateAll(ts => ts.map(t => (t.textContent ?? '').replace(/^▾ /, '').split(' · ')[0]));
    assert.deepEqual(addedFrames.sort(), ['layer1.2', 'layer2.2', 'layer2.3', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.2']);
    const changedFrames = await view.page.locator('#compare-graph g.frame.mark-changed > text').evaluateAll(ts => ts.map(t => (t.textContent ?? '').replace(/^▾ /, '')));
    assert.deepEqual(changedFrames.sort(), ['layer1', 'layer2', 'layer3', 'layer4'], 'the stages hold added and unchanged blocks');
    // Unchanged blocks stay folded, so the drawing stays short.
    assert.ok(await view.page.locator('#compare-graph g.box.collapsed').count() >= 1);
    assert.equal(await view.page.locator('#compare-graph g.box.collapsed.mark-added, #compare-graph g.box.collapsed.mark-changed').count(), 0);
    // The marks are coloured: an added box's outline is not an unchanged one's.
    const strokes = await view.page.evaluate(`(() => {
        const stroke = selector => getComputedStyle(document.querySelector(selector)).stroke;
        return { added: stroke('#compare-graph g.box.mark-added > rect'), plain: stroke('#compare-graph g.box.layer:not(.mark-added) > rect') };
    })()`) as { added: string; plain: string };
    assert.notEqual(strokes.added, strokes.plain, `added ${strokes.added}, unchanged ${strokes.plain}`);
    assert.match(await view.text('#graph-legend'), new RegExp(`^added changed — ${blocksAdded * perBlock} layers added, 0 changed\\. ${fieldOnly.length} layers whose receptive field alone changed`));
    await view.screenshot(folder, `compare-${theme}`);
    await checkLayout(view, folder, `compare-${theme}`);
    // A click on a marked layer reveals its line (0-based, as the Graph view's boxes carry it).
    const marked = view.page.locator('#compare-graph g.box.mark-added').first();
    const line = Number(await marked.getAttribute('data-line'));
    await marked.dispatchEvent('click');
    assert.deepEqual(await view.waitForPosted('reveal'), { type: 'reveal', line });
    view.noProblems();
    await view.page.close();
}

async function checkGraph(context: BrowserContext, folder: string, theme: Theme, f: Fixture): Promise<void> {
    const view = await ViewPage.open(context, folder, 'graph.js', theme);
    await view.post(graphMessage(f.graph.name, f.graph, f.svg, f.folded));
    await view.page.locator('#svg-host svg').waitFor({ timeout: 10_000 });
    const folded = f.graph.modules.filter(m => m.kind === 'block');
    assert.equal(f.folded, folded.length, 'every block of ResNet-18 starts folded');
    const outside = f.graph.nodes.filter(n => !folded.some(b => n.name.startsWith(`${b.name}.`)));
    assert.equal(await view.page.locator('#svg-host g.box.layer').count(), outside.length, 'a box per layer outside the blocks');
    // layer1's two blocks do the same work on the same shapes: one box "layer1.0 … 1 · BasicBlock ×2".
    assert.equal(await view.page.locator('#svg-host g.box.collapsed').count(), folded.length - 1, 'a box per folded block, the repeated ones in one');
    assert.equal(await view.page.locator('#svg-host g.box.collapsed', { hasText: 'layer1.0 … 1 · BasicBlock ×2' }).count(), 1);
    assert.equal(await view.page.locator('#svg-host g.box.input').count(), 1);
    assert.equal(await view.page.locator('#svg-host g.box.output').count(), 1);
    assert.ok(await view.page.locator('#svg-host path[marker-end]').count() >= outside.length + folded.length, 'edges between the boxes');
    assert.match(await view.text('#graph-help'), /^ResNet18: 69 layers, 8 blocks folded\./);
    const box = await view.page.locator('#svg-host svg').boundingBox();
    assert.ok(box && box.width > 100 && box.height > 1000, `the SVG is drawn at its size (${JSON.stringify(box)})`);
    await view.screenshot(folder, `graph-${theme}`);

    // Save as SVG asks the extension; Save as PNG draws the graph on a canvas and sends the PNG, at twice its size.
    await view.page.locator('#save-svg').click();
    assert.deepEqual(await view.waitForPosted('save'), { type: 'save', format: 'svg' });
    await view.page.locator('#save-png').click();
    const png = await view.waitForPosted('save', 2) as unknown as { format: string; data: string; width: number; height: number };
    assert.equal(png.format, 'png');
    const bytes = Buffer.from(png.data, 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    // The PNG header's own width and height (big-endian at bytes 16 and 20) are the canvas's.
    assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [png.width, png.height]);
    assert.equal(png.width, 2 * Math.ceil(box!.width), 'twice the drawn width');

    // Clicking a folded block asks to unfold it; clicking a layer asks for its source.
    const block = view.page.locator('#svg-host g.box.collapsed').first();
    const module = Number(await block.getAttribute('data-module'));
    await block.click();
    assert.deepEqual(await view.waitForPosted('toggle'), { type: 'toggle', module });
    await view.page.locator('#svg-host g.box.layer').first().click();
    const reveal = await view.waitForPosted('reveal');
    assert.equal(reveal.uri, pathToFileURL(EXAMPLE).href);
    assert.equal(typeof reveal.line, 'number');
    view.noProblems();
    await view.page.close();
}

async function checkRun(context: BrowserContext, folder: string, theme: Theme, f: Fixture): Promise<void> {
    const view = await ViewPage.open(context, folder, 'run.js', theme);
    await view.post(runProgressMessage(10, f.graph.nodes.length, f.graph.nodes[10].name));
    assert.equal(await view.text('#root p'), `Layer 11 of 69: ${f.graph.nodes[10].name}`);
    const result = runResultMessage(f.run, f.graph, () => f.classes);
    await view.post(result);
    await view.page.locator('#run-title').waitFor({ timeout: 10_000 });
    assert.match(await view.text('#run-title'), /^Done in [\d.]+ ms$/);
    const row = view.page.locator('#outputs tbody tr');
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-shape'), '1×1000');
    assert.match(await view.text('#outputs tbody tr'), /^output1×1000-?\d/);
    const top5 = view.page.locator('.top5 tbody tr');
    assert.equal(await top5.count(), 5);
    const [output] = f.run.outputs;
    for (let i = 0; i < 5; i++) {
        const text = ((await top5.nth(i).textContent()) ?? '');
        assert.ok(text.startsWith(`${i + 1}${output.top5![i].index}${f.classes[output.top5![i].index]}`), `top-5 row ${i + 1}: ${text}`);
    }
    assert.equal(await view.page.locator('.bars tbody tr').count(), f.run.timings.length, 'a time bar per step');
    assert.match(await view.text('#time-note'), new RegExp(`^Warm times: the median of ${f.run.warmRuns} runs? after the first`), 'says how the times were measured');
    assert.ok(f.run.warmRuns >= 1, 'at least one warm run was timed');
    assert.equal(await view.page.locator('#layer-select option').count(), f.graph.nodes.length + 1, 'every layer can be picked');

    // Picking a layer asks for its feature maps; the page draws them.
    const conv1 = f.graph.nodes.find(n => n.name === 'conv1')!;
    await view.page.locator('#layer-select').selectOption(String(conv1.index));
    assert.deepEqual(await view.waitForPosted('layer'), { type: 'layer', node: conv1.index });
    const tensor = captureLayer(f.loaded, conv1.index);
    await view.post(featureMapsMessage(conv1.index, tensor.shape, tensor.data));
    await view.page.locator('#maps[data-channels]').waitFor({ timeout: 10_000 });
    assert.equal(await view.page.locator('#maps canvas').count(), 64, 'conv1\'s 64 channels');
    await view.screenshot(folder, `run-${theme}`);
    await checkLayout(view, folder, `run-${theme}`);

    // Pinning: the button asks the extension, and the page says what pinning means once it is pinned.
    await view.page.locator('#pin').click();
    assert.deepEqual(await view.waitForPosted('pin'), { type: 'pin' });
    await view.post({ type: 'pinned' });
    assert.equal(await view.text('#pinned'), 'Pinned: the next run of this network opens a new view.');

    // A refused run: the message, as one readable paragraph.
    await view.post(runErrorMessage(f.budgetMessage));
    assert.equal(await view.text('#run-error'), f.budgetMessage);
    await view.screenshot(folder, `run-error-${theme}`);

    // A cancelled run is information in the foreground colour, not an error.
    await view.post(runCancelledMessage('run cancelled after 12 of 60 layers'));
    assert.equal(await view.text('#run-cancelled'), 'Run cancelled after 12 of 60 layers');
    assert.equal(await view.page.locator('#run-error').count(), 0, 'no error paragraph');
    // Playwright's evaluate runs in the page; its DOM types are not in this (Node) program's lib.
    const colours = await view.page.evaluate(`(() => {
        const probe = document.createElement('span');
        probe.style.color = 'var(--vscode-errorForeground)';
        document.body.append(probe);
        const error = getComputedStyle(probe).color;
        probe.remove();
        return { text: getComputedStyle(document.getElementById('run-cancelled')).color, error };
    })()`) as { text: string; error: string };
    assert.notEqual(colours.text, colours.error, 'not in the error colour');
    await view.screenshot(folder, `run-cancelled-${theme}`);
    view.noProblems();
    await view.page.close();
}

/** Runs every page check; returns one entry per check (screenshots in `folder`). */
export async function checkWebviewPages(folder: string, chromiumPath: string, say: (line: string) => void): Promise<PageCheck[]> {
    fs.mkdirSync(folder, { recursive: true });
    const t0 = Date.now();
    const fixture = await makeFixture();
    say(`webview pages: ResNet-18's summary, training memory, roofline, graph, a seeded run and its comparison with ResNet-34 made in ${Date.now() - t0} ms`);
    let browser: Browser | undefined;
    const results: PageCheck[] = [];
    try {
        browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
        const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
        // The pages load their own files and nothing else.
        await context.route(url => url.protocol !== 'file:' && url.protocol !== 'data:', route => route.abort());
        for (const theme of Object.keys(THEMES) as Theme[]) {
            for (const [name, check] of [['summary', checkSummary], ['summary training + roofline', checkSummaryTraining], ['summary figures + size variables', checkSummaryFigures], ['graph', checkGraph], ['run', checkRun], ['compare', checkCompare]] as const) {
                const started = Date.now();
                try {
                    await check(context, folder, theme, fixture);
                    results.push({ name: `${name} (${theme})`, ok: true, ms: Date.now() - started });
                } catch (e) {
                    results.push({ name: `${name} (${theme})`, ok: false, ms: Date.now() - started, error: e instanceof Error ? e.stack ?? e.message : String(e) });
                }
            }
        }
    } finally {
        await browser?.close();
    }
    return results;
}
