/**
 * `npm run screenshots`: the README's pictures of the views and the extension's icon, rendered in headless chromium
 * (Debian's, through playwright-core, as the editor tests do) from the views' own pages fed the messages the extension
 * would post for examples/resnet18.convnet (test/editor/webview-pages.ts makes them with the project's modules).
 * Writes docs/images/*.png (light theme) and client/media/icon.png (128×128, from client/media/convnet-file.svg's
 * three bars drawn large). Each picture is clipped to what the README's section shows and kept under MAX_BYTES.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { compareMessage } from '../../client/compare/graph-marks.js';
import { graphMessage, runResultMessage, summaryMessage } from '../../client/views/messages.js';
import { summaryFigures } from '../../language/analysis/summary.js';
import { CHROMIUM_ARGS, ROOT } from './profile.js';
import { makeFixture, ViewPage, type Fixture } from './webview-pages.js';

const CHROMIUM = process.env.CONVNET_EDITOR_CHROMIUM ?? '/usr/bin/chromium';
const IMAGES = path.join(ROOT, 'docs', 'images');
const ICON = path.join(ROOT, 'client', 'media', 'icon.png');
/** A README picture over this is too heavy for the Marketplace page; fail rather than commit it. */
const MAX_BYTES = 150 * 1024;

interface Clip { x: number; y: number; width: number; height: number }

/** The page's region from the top of `from` to the bottom of `to` (whole width), at most `maxHeight` tall. */
async function region(page: Page, from: string, to: string, maxHeight: number): Promise<Clip> {
    const a = (await page.locator(from).first().boundingBox())!;
    const b = (await page.locator(to).first().boundingBox())!;
    const width = page.viewportSize()!.width;
    const y = Math.max(0, a.y - 8);
    return { x: 0, y, width, height: Math.min(maxHeight, b.y + b.height + 8 - y) };
}

async function shoot(page: Page, name: string, clip: Clip): Promise<string> {
    const file = path.join(IMAGES, `${name}.png`);
    await page.screenshot({ path: file, clip, fullPage: true });
    const size = fs.statSync(file).size;
    if (size > MAX_BYTES) throw new Error(`${path.relative(ROOT, file)} is ${Math.round(size / 1024)} KB, over ${MAX_BYTES / 1024} KB: clip it smaller`);
    return `${path.relative(ROOT, file)} (${clip.width}×${Math.round(clip.height)}, ${Math.round(size / 1024)} KB)`;
}

async function open(context: BrowserContext, folder: string, script: string, width: number, styles: string[] = []): Promise<ViewPage> {
    const view = await ViewPage.open(context, folder, script, 'light', styles);
    await view.page.setViewportSize({ width, height: 900 });
    return view;
}

async function pictures(context: BrowserContext, folder: string, f: Fixture): Promise<string[]> {
    const written: string[] = [];
    // The Summary as it opens (torchvision's count, float32): the table's top, then the Training section and the
    // roofline with its insights.
    const summary = await open(context, folder, 'summary.js', 820);
    await summary.post(summaryMessage(f.graph.name, {
        summary: f.summary, errors: [], training: f.training, roofline: f.roofline, insights: f.insights, figures: summaryFigures(f.graph, 'torchvision', 'fp32'),
    }));
    await summary.page.locator('svg#roofline').waitFor();
    written.push(await shoot(summary.page, 'summary', await region(summary.page, 'h2', 'tbody tr.layer:nth-child(14)', 600)));
    written.push(await shoot(summary.page, 'summary-roofline', await region(summary.page, 'h3', '#insights', 900)));
    await summary.page.close();

    // ResNet-18 with its input [1, 3, H, W], counted as thop counts at int8: the figures' lines and the
    // Size variables section.
    const sized = await open(context, folder, 'summary.js', 820);
    await sized.post(summaryMessage('ResNet18', { summary: f.sized.summary, errors: [], figures: summaryFigures(f.sized.graph, 'thop', 'int8'), sizes: f.sized.sizes }));
    await sized.page.locator('#size-validity').waitFor();
    written.push(await shoot(sized.page, 'summary-sizes', await region(sized.page, '#figure-notes', '#size-validity', 600)));
    await sized.page.close();

    // The Graph: ResNet-18 as it opens, blocks folded; its top (stem, first stages).
    const graph = await open(context, folder, 'graph.js', 560);
    await graph.post(graphMessage(f.graph.name, f.graph, f.svg, f.folded));
    await graph.page.locator('#svg-host svg').waitFor();
    written.push(await shoot(graph.page, 'graph', await region(graph.page, '#graph-help', '#svg-host svg', 760)));
    await graph.page.close();

    // Compare: ResNet-18 → ResNet-34, the totals and the first rows; then the graph where the first added block is marked.
    const compare = await open(context, folder, 'compare.js', 1000, ['compare.css']);
    await compare.post(compareMessage(f.diff, f.compareGraph));
    await compare.page.locator('#compare-graph svg').waitFor();
    written.push(await shoot(compare.page, 'compare', await region(compare.page, 'h2', 'table.compare tbody tr:nth-child(8)', 520)));
    // layer1: its two blocks of ResNet-18 folded into one box, the block ResNet-34 adds unfolded and marked.
    const stage = (await compare.page.locator('#compare-graph g.frame.mark-changed').first().boundingBox())!;
    const firstMarked = (await compare.page.locator('#compare-graph g.frame.mark-added').first().boundingBox())!;
    written.push(await shoot(compare.page, 'compare-graph', {
        x: Math.max(0, Math.floor(stage.x - 12)), y: stage.y - 12, width: Math.ceil(stage.width + 24), height: Math.min(900, firstMarked.y + firstMarked.height + 12 - (stage.y - 12)),
    }));
    await compare.page.close();

    // Run: a seeded run's outputs, top 5 and time bars.
    const run = await open(context, folder, 'run.js', 820);
    await run.post(runResultMessage(f.run, f.graph, () => f.classes));
    await run.page.locator('#run-title').waitFor();
    written.push(await shoot(run.page, 'run', await region(run.page, '#run-title', '.bars tbody tr:nth-child(12)', 620)));
    await run.page.close();
    return written;
}

/** The extension's icon: client/media/convnet-file.svg's three bars (a feature map shrinking through a network), 128×128. */
async function icon(context: BrowserContext): Promise<string> {
    const page = await context.newPage();
    await page.setViewportSize({ width: 128, height: 128 });
    const bars = fs.readFileSync(path.join(ROOT, 'client', 'media', 'convnet-file.svg'), 'utf8')
        .replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
    await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:transparent">
<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
<rect x="4" y="4" width="120" height="120" rx="22" fill="#1f2a3a"/>
<g transform="translate(14 14) scale(6.25)">${bars}</g></svg></body></html>`);
    await page.screenshot({ path: ICON, clip: { x: 0, y: 0, width: 128, height: 128 }, omitBackground: true });
    await page.close();
    return `${path.relative(ROOT, ICON)} (128×128, ${Math.round(fs.statSync(ICON).size / 1024)} KB)`;
}

async function main(): Promise<void> {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run test/editor/install.sh (apt-get install chromium) or set CONVNET_EDITOR_CHROMIUM`);
    fs.mkdirSync(IMAGES, { recursive: true });
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-screenshots-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
        const fixture = await makeFixture();
        const context = await browser.newContext({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
        // The pages load their own files and nothing else.
        await context.route(url => url.protocol !== 'file:' && url.protocol !== 'data:' && url.protocol !== 'about:', route => route.abort());
        for (const line of [...await pictures(context, folder, fixture), await icon(context)]) console.log(`wrote ${line}`);
    } finally {
        await browser.close();
        fs.rmSync(folder, { recursive: true, force: true });
    }
}

main().catch(e => {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    process.exit(1);
});
