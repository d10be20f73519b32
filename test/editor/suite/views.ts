/**
 * The commands that open views — Run Model, Show Summary, Show Graph — on examples/resnet18.convnet: what each
 * computes (compared with the project's CLI), what it posts to its webview, and (under test/editor/run.ts, which
 * can look at the page) what the webview shows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GraphMessage, RunResultMessage, SummaryMessage } from '../../../client/views/messages.js';
import type { ConvNetWebview } from '../../../client/webview.js';
import { closeConvNetViews, convnetApi, convnetCli, openResnet, resnetUri, workspaceFile } from './common.js';
import { assert, eventually, test, waitFor } from './harness.js';
import { queryUi, uiAvailable, waitForUi } from './ui.js';

const NETWORK = 'ResNet18';
/** How the views write counts (summary.js): 11,689,512. */
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface CliSummary {
    name: string;
    params: number; weights: number; biases: number; buffers: number; macs: number; flops: number; memory: number; peakMemory: number;
    outputs: { name: string; shape: number[] }[];
    layers: { name: string; op: string }[];
    modules: { name: string; kind: string }[];
}

interface CliRun {
    outputs: { name: string; shape: number[]; min: number; max: number; mean: number; std: number; top5: { index: number; value: number }[] }[];
}

let cliSummary: Promise<CliSummary> | undefined;
/** `convnet summary examples/resnet18.convnet --json` (run once). */
function summaryFromCli(): Promise<CliSummary> {
    cliSummary ??= convnetCli('summary', resnetUri().fsPath, '--json').then(out => (JSON.parse(out) as { networks: CliSummary[] }).networks[0]);
    return cliSummary;
}

async function pageLoaded(view: ConvNetWebview): Promise<void> {
    await waitFor(`the ${view.kind} page's script to run (it sends 'ready')`, () =>
        view.received.some(m => (m as { type?: string }).type === 'ready') ? true : undefined);
}

function closeTo(actual: number, expected: number, what: string): void {
    assert.ok(Math.abs(actual - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected} (CLI)`);
}

test('Run Model runs ResNet-18 without a question; its view shows the 1×1000 output and the top 5', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const cli = JSON.parse(await convnetCli('run', resnetUri().fsPath, '--json', '--seed', '0')) as CliRun;
    const before = api.lastRun();
    // The arguments a code lens or a test passes to skip the pickers; the command resolves when the run ended.
    await vscode.commands.executeCommand('convnet.runModel', { uri: resnetUri().toString(), network: NETWORK, input: 'seeded', seed: 0 });
    const run = api.lastRun();
    assert.ok(run && run !== before, 'Run Model opened a run view');
    const outcome = await waitFor('the run to end', () => run.outcome, { timeoutMs: 30_000 });
    assert.equal(outcome.status, 'done', outcome.status === 'done' ? '' : outcome.message);
    if (outcome.status !== 'done') return;
    const [output] = outcome.result.outputs;
    assert.deepEqual(output.shape, [1, 1000]);
    assert.match(outcome.result.input, /seeded random \(seed 0\)/);
    assert.match(outcome.result.weights, /seeded initialisation \(seed 0\)/);
    // The same numbers as `convnet run --seed 0`: same seeded weights and input, same runtime.
    const expected = cli.outputs[0];
    assert.deepEqual(output.top5?.map(t => t.index), expected.top5.map(t => t.index), 'top-5 classes equal the CLI\'s');
    for (const key of ['min', 'max', 'mean', 'std'] as const) closeTo(output[key], expected[key], key);

    // What the page was sent: the output with its shape, the top 5 with ImageNet labels, every layer.
    const posted = run.view.lastPosted<RunResultMessage>('result');
    assert.ok(posted, 'the result was posted to the run view');
    assert.deepEqual(posted.outputs[0].shape, [1, 1000]);
    const labels = posted.top5Labels?.[output.name];
    assert.equal(labels?.length, 5, 'five ImageNet labels');
    assert.ok(labels.every(l => l.length > 0), `labels: ${labels.join(', ')}`);
    assert.equal(posted.layers.length, 69);
    await pageLoaded(run.view);

    if (uiAvailable()) {
        const rows = await waitForUi('the output row in the run view', { selector: '#outputs tbody tr', screenshot: 'run-model' },
            elements => elements.some(e => e.attributes['data-shape'] === '1×1000'));
        assert.ok(rows[0].text.includes('1×1000'), `row: ${rows[0].text}`);
        const title = await queryUi({ selector: '#run-title' });
        assert.match(title.elements[0]?.text ?? '', /^Done in [\d.]+ ms$/);
        const top5 = await queryUi({ selector: '.top5 tbody tr' });
        assert.equal(top5.elements.length, 5, 'five rows in the top-5 table');
        assert.ok(top5.elements[0].text.includes(labels[0]) && top5.elements[0].text.includes(String(expected.top5[0].index)), `first row: ${top5.elements[0].text}`);
    }
    run.panel.dispose();
}, { timeoutMs: 90_000, installed: true });

test('a second run of a network shows in its Run view; a pinned view keeps its result and the next run opens a new one', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const args = { uri: resnetUri().toString(), network: NETWORK, input: 'seeded' };
    const runTabs = () => vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.label.startsWith(`Run: ${NETWORK}`)).map(t => t.label);
    const finished = async (run: NonNullable<ReturnType<typeof api.lastRun>>) => {
        const outcome = await waitFor('the run to end', () => run.outcome, { timeoutMs: 30_000 });
        assert.equal(outcome.status, 'done', outcome.status === 'done' ? '' : outcome.message);
        return outcome.status === 'done' ? outcome.result : undefined;
    };
    await vscode.commands.executeCommand('convnet.runModel', { ...args, seed: 0 });
    const first = api.lastRun()!;
    await finished(first);
    await vscode.commands.executeCommand('convnet.runModel', { ...args, seed: 1 });
    assert.equal(api.lastRun(), first, 'the second run shows in the same view');
    assert.match((await finished(first))!.input, /seed 1/, 'the view shows the second run');
    assert.deepEqual(runTabs(), [`Run: ${NETWORK}`], 'one Run tab for the network');

    first.pin(); // what the page's "Pin this result" button asks (the webview page test clicks it)
    assert.match(first.panel.title, new RegExp(`^Run: ${NETWORK} \\(pinned, \\d\\d:\\d\\d:\\d\\d\\)$`));
    await vscode.commands.executeCommand('convnet.runModel', { ...args, seed: 2 });
    const third = api.lastRun()!;
    assert.notEqual(third, first, 'after pinning, the next run opens a new view');
    assert.match((await finished(third))!.input, /seed 2/);
    assert.equal(first.outcome?.status === 'done' && first.outcome.result.input.includes('seed 1'), true, 'the pinned view keeps its result');
    await eventually('two Run tabs', () => assert.equal(runTabs().length, 2, JSON.stringify(runTabs())));
    first.panel.dispose();
    third.panel.dispose();
}, { timeoutMs: 120_000 });

test('Run Model remembers the folder of the files it read and the weights of each network', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const folder = fs.mkdtempSync(path.join(workspaceFile().fsPath, 'weights-'));
    const module = path.join(folder, 'resnet18.py');
    await convnetCli('export', resnetUri().fsPath, '--pytorch', module, '--seed', '3');
    const weights = path.join(folder, 'resnet18.safetensors');
    assert.ok(fs.existsSync(weights), 'the CLI wrote a state_dict to load');
    const uri = resnetUri().toString();
    await vscode.commands.executeCommand('convnet.runModel', { uri, network: NETWORK, input: 'seeded', weights, seed: 0 });
    const run = api.lastRun()!;
    const outcome = await waitFor('the run to end', () => run.outcome, { timeoutMs: 30_000 });
    assert.equal(outcome.status, 'done', outcome.status === 'done' ? '' : outcome.message);
    // The pickers now start in that folder, and the weights picker offers that file first for ResNet18.
    assert.deepEqual(api.runMemory(uri, NETWORK), { folder, weights });
    assert.equal(api.runMemory(uri, 'AnotherNetwork').weights, undefined, 'weights are remembered per network');
    // A run on the seeded initialisation forgets them again.
    await vscode.commands.executeCommand('convnet.runModel', { uri, network: NETWORK, input: 'seeded', seed: 0 });
    await waitFor('the second run to end', () => api.lastRun()?.outcome, { timeoutMs: 30_000 });
    assert.equal(api.runMemory(uri, NETWORK).weights, undefined);
    api.lastRun()?.panel.dispose();
    fs.rmSync(folder, { recursive: true, force: true });
}, { timeoutMs: 90_000 });

test('Show Summary: the totals it shows equal `convnet summary --json`', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const cli = await summaryFromCli();
    await vscode.commands.executeCommand('convnet.showSummary', { uri: resnetUri().toString(), network: NETWORK });
    const view = await waitFor('the summary view', () => api.view('summary'));
    const message = await waitFor('a summary posted to the page', () => view.lastPosted<SummaryMessage>('summary'));
    assert.deepEqual(message.errors, []);
    const s = message.summary;
    assert.ok(s, 'a summary');
    assert.equal(s.name, NETWORK);
    for (const key of ['params', 'weights', 'biases', 'buffers', 'macs', 'flops', 'memory', 'peakMemory'] as const) assert.equal(s[key], cli[key], `${key} equals the CLI's`);
    assert.equal(s.layers.length, cli.layers.length, 'as many layers as the CLI lists');
    assert.deepEqual(s.outputs.map(o => o.shape), cli.outputs.map(o => o.shape));
    await pageLoaded(view);

    if (uiAvailable()) {
        const [totals] = await waitForUi('the totals row of the summary', { selector: '#totals', screenshot: 'summary' }, elements => elements.length === 1);
        assert.equal(totals.attributes['data-params'], String(cli.params));
        assert.equal(totals.attributes['data-macs'], String(cli.macs));
        for (const text of ['Total', '1×1000', fmt(cli.params), fmt(cli.macs), fmt(cli.memory)]) assert.ok(totals.text.includes(text), `the totals row shows ${text}: ${totals.text}`);
        const titles = await queryUi({ selector: 'h2' });
        assert.ok(titles.elements.some(e => e.text === `${NETWORK}: ${fmt(cli.params)} params · ${fmt(cli.macs)} MACs · ${fmt(cli.flops)} FLOPs`),
            `the summary's title; saw ${JSON.stringify(titles.elements.map(e => e.text))}`);
        const rows = await queryUi({ selector: 'tbody tr.layer' });
        assert.equal(rows.elements.length, cli.layers.length, 'one row per layer');
    }
    view.panel.dispose();
}, { installed: true });

/**
 * Independent figures (test/fixtures): thop's count of ResNet-18 by its hooks' rule applied by PyTorch
 * (conventions/conventions.json), torchvision's MACs of ResNet-18 (reference/torchvision-totals.json), and U-Net's
 * smallest tile per axis as PyTorch runs it (symbolic-sizes/smallest-per-axis.json).
 */
function fixtureJson<T>(...segments: string[]): T {
    return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'test', 'fixtures', ...segments), 'utf8')) as T;
}

test('Show Summary follows the settings convnet.convention and convnet.precision, and shows U-Net\'s size variables', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const thop = fixtureJson<{ models: Record<string, { thop: number }> }>('conventions', 'conventions.json').models.resnet18.thop;
    const macs = fixtureJson<{ models: Record<string, { macs: number }> }>('reference', 'torchvision-totals.json').models.resnet18.macs;
    const unetSmallest = fixtureJson<{ models: Record<string, { H: { smallest: number } }> }>('symbolic-sizes', 'smallest-per-axis.json').models.unet.H.smallest;
    const config = vscode.workspace.getConfiguration('convnet');
    try {
        // What the page's selectors do (the extension writes the choice to the workspace's settings).
        await config.update('convention', 'thop', vscode.ConfigurationTarget.Workspace);
        await config.update('precision', 'int8', vscode.ConfigurationTarget.Workspace);
        await vscode.commands.executeCommand('convnet.showSummary', { uri: resnetUri().toString(), network: NETWORK });
        const view = await waitFor('the summary view', () => api.view('summary'));
        const message = await waitFor('a summary with thop\'s figures', () => {
            const m = view.lastPosted<SummaryMessage>('summary');
            return m?.figures?.convention.convention === 'thop' && m.figures.precision.precision === 'int8' ? m : undefined;
        });
        assert.equal(message.figures!.convention.total, thop, 'thop\'s count of ResNet-18');
        assert.equal(message.figures!.precision.bops, macs * 64, 'int8 bit-operations: MACs × 8 × 8');
        assert.equal(message.sizes, undefined, 'examples/resnet18.convnet declares no size variables');
        await pageLoaded(view);
        if (uiAvailable()) {
            const [totals] = await waitForUi('the totals row with thop\'s count', { selector: '#totals', screenshot: 'summary-thop-int8' }, elements => elements[0]?.attributes['data-count'] === String(thop));
            assert.equal(totals.attributes['data-bops'], String(macs * 64));
        }
        view.panel.dispose();

        // U-Net declares its tile as H and W: the view shows the formulas and the smallest tile.
        const unet = workspaceFile('examples', 'unet.convnet');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(unet));
        await vscode.commands.executeCommand('convnet.showSummary', { uri: unet.toString(), network: 'UNet' });
        const unetView = await waitFor('the U-Net summary view', () => api.view('summary'));
        const sized = await waitFor('a summary with size variables', () => unetView.lastPosted<SummaryMessage>('summary')?.sizes, { timeoutMs: 30_000 });
        assert.deepEqual(sized.formulas.map(f => f.label), ['Params', 'MACs', 'FLOPs', 'Activations', 'Peak activations']);
        assert.ok(sized.validity.some(v => v.text.startsWith(`Smallest input that reaches the head: H = W = ${unetSmallest};`)), JSON.stringify(sized.validity));
        if (uiAvailable()) {
            await pageLoaded(unetView);
            await waitForUi('the Size variables section', { selector: '#size-formulas tr', screenshot: 'summary-sizes' }, elements => elements.length === 5);
        }
        unetView.panel.dispose();
    } finally {
        await config.update('convention', undefined, vscode.ConfigurationTarget.Workspace);
        await config.update('precision', undefined, vscode.ConfigurationTarget.Workspace);
    }
}, { timeoutMs: 90_000 });

test('Show Graph: the graph it draws has every layer of ResNet-18, its blocks folded', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const cli = await summaryFromCli();
    await vscode.commands.executeCommand('convnet.showGraph', { uri: resnetUri().toString(), network: NETWORK });
    const view = await waitFor('the graph view', () => api.view('graph'));
    // The view lays out the graph once its page says it is ready.
    const message = await waitFor('a graph posted to the page', () => view.lastPosted<GraphMessage>('graph'), { timeoutMs: 20_000 });
    assert.equal(message.layers, cli.layers.length, 'the graph has every layer the CLI lists');
    assert.equal(message.layers, 69);
    // Over 60 layers, every block starts folded: one box per block instance — layer1's two identical blocks in one
    // "×2" box — and a box per layer outside blocks.
    const blocks = cli.modules.filter(m => m.kind === 'block').map(m => m.name);
    assert.equal(blocks.length, 8);
    const outside = cli.layers.filter(l => !blocks.some(b => l.name.startsWith(`${b}.`)));
    const count = (pattern: RegExp) => (message.svg.match(pattern) ?? []).length;
    assert.equal(message.folded, blocks.length, 'every block is folded');
    assert.equal(count(/class="box module collapsed"/g), blocks.length - 1, 'one folded box per block, the repeated ones in one');
    assert.ok(message.svg.includes('▸ layer1.0 … 1 · BasicBlock ×2'), 'layer1.0 and layer1.1 as one box');
    assert.equal(count(/class="box layer"/g), outside.length, `a box per layer outside the blocks (${outside.map(l => l.name).join(', ')})`);
    for (const block of blocks.filter(b => b !== 'layer1.1')) assert.ok(message.svg.includes(`▸ ${block}`), `the folded box of ${block}`);
    await pageLoaded(view);

    if (uiAvailable()) {
        const boxes = await waitForUi('the boxes of the graph', { selector: '#svg-host svg g.box', screenshot: 'graph' }, elements => elements.length > 0);
        assert.equal(boxes.filter(b => / layer$| layer /.test(` ${b.attributes.class} `)).length, outside.length);
        assert.equal(boxes.filter(b => b.attributes.class.includes('collapsed')).length, blocks.length - 1, 'layer1.0 and layer1.1 in one box');
        const help = await queryUi({ selector: '#graph-help' });
        assert.match(help.elements[0]?.text ?? '', /^ResNet18: 69 layers, 8 blocks folded\./);
    }
    view.panel.dispose();
}, { installed: true });

test('an input that fails because of the setting convnet.defaultInputImage names the setting and offers to open it', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const broken = path.join(workspaceFile().fsPath, 'not-an-image.png');
    fs.writeFileSync(broken, 'this is not a PNG');
    const config = vscode.workspace.getConfiguration('convnet');
    await config.update('defaultInputImage', broken, vscode.ConfigurationTarget.Global);
    try {
        // What picking the "default input image" item runs.
        await vscode.commands.executeCommand('convnet.runModel', { uri: resnetUri().toString(), network: NETWORK, input: broken, weights: 'seeded' });
        const run = api.lastRun()!;
        const outcome = await waitFor('the run to fail', () => run.outcome);
        if (outcome.status !== 'error') assert.fail(`the run did not fail: ${outcome.status}`);
        const notice = api.notices().at(-1);
        assert.equal(notice?.message, `ConvNet: ${outcome.message} (setting convnet.defaultInputImage: ${broken})`);
        assert.deepEqual(notice?.actions, ['Open Settings']);
        run.panel.dispose();
    } finally {
        await config.update('defaultInputImage', undefined, vscode.ConfigurationTarget.Global);
        fs.rmSync(broken, { force: true });
    }
}, { timeoutMs: 60_000 });

test('Show Graph remembers the folding of each network and saves the graph as SVG without the source files\' paths', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const args = { uri: resnetUri().toString(), network: NETWORK };
    await vscode.commands.executeCommand('convnet.showGraph', args);
    const first = await waitFor('the graph view', () => api.lastGraph());
    const view = await waitFor('the graph view page', () => api.view('graph'));
    const drawn = await waitFor('a graph posted', () => view.lastPosted<GraphMessage>('graph'), { timeoutMs: 20_000 });
    // Unfold one block, as a click on it does, and close the view.
    const layer1 = drawn.svg.match(/data-module="(\d+)"[^>]*>[^<]*<rect[^>]*\/>\s*<text[^>]*>▸ layer1\.0/);
    const module = layer1 ? Number(layer1[1]) : undefined;
    assert.ok(module !== undefined, 'layer1.0 is drawn folded');
    view.received.length = 0;
    await first.toggle(module!);
    const unfolded = view.lastPosted<GraphMessage>('graph')!;
    assert.equal(unfolded.folded, drawn.folded - 1, 'one block fewer folded');
    first.panel.dispose();
    // Opened again, the network keeps that folding.
    await vscode.commands.executeCommand('convnet.showGraph', args);
    const again = await waitFor('the graph view again', () => (api.lastGraph() !== first ? api.lastGraph() : undefined));
    const reopened = await waitFor('a graph posted again', () => api.view('graph')?.lastPosted<GraphMessage>('graph'), { timeoutMs: 20_000 });
    assert.equal(reopened.folded, unfolded.folded, 'the folding is remembered');

    const file = path.join(workspaceFile().fsPath, 'resnet18-graph.svg');
    fs.rmSync(file, { force: true });
    assert.equal(again.saveAs('svg', file), true);
    const svg = fs.readFileSync(file, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /conv1/);
    assert.ok(!svg.includes(workspaceFile().fsPath) && !svg.includes('data-uri'), 'no path of the author\'s files');
    fs.rmSync(file, { force: true });
    // Put the folding back for the other tests.
    await again.toggle(module!);
    again.panel.dispose();
}, { timeoutMs: 60_000 });

test('Run Model over the memory budget is refused with a readable message, not a stack trace', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const config = vscode.workspace.getConfiguration('convnet');
    await config.update('memoryBudget', '1MiB', vscode.ConfigurationTarget.Global);
    try {
        await vscode.commands.executeCommand('convnet.runModel', { uri: resnetUri().toString(), network: NETWORK, input: 'seeded' });
        const run = api.lastRun();
        assert.ok(run, 'a run view');
        const outcome = await waitFor('the run to be refused', () => run.outcome);
        if (outcome.status !== 'error') assert.fail(`the run was not refused: ${outcome.status}`);
        assert.match(outcome.message, /^ResNet18 needs [\d.]+ MiB \(activations .*\), over the memory budget of 1(\.0+)? MiB\. Largest layers: .*Reduce the input size or batch, or raise the budget\.$/);
        assert.doesNotMatch(outcome.message, /\n|\bat .*\(.*:\d+:\d+\)|Error:/, 'one sentence, no stack trace');
        // The notification says the same and names the setting, with a way to it.
        const notice = api.notices().at(-1);
        assert.equal(notice?.severity, 'error');
        assert.equal(notice.message, `ConvNet: ${outcome.message} (setting convnet.memoryBudget: 1MiB)`);
        assert.deepEqual(notice.actions, ['Open Settings']);
        // The view shows it too.
        assert.deepEqual(run.view.lastPosted('error'), { type: 'error', message: outcome.message });
        await pageLoaded(run.view);
        if (uiAvailable()) {
            const [shown] = await waitForUi('the error in the run view', { selector: '#run-error', screenshot: 'run-over-budget' }, elements => elements.length === 1);
            assert.equal(shown.text, outcome.message);
            // Headless, notifications may not toast: open the list, as a person would with the bell.
            await vscode.commands.executeCommand('notifications.showList');
            const items = await waitForUi('the notification', { selector: '.notifications-list-container .notification-list-item-message', in: 'workbench', screenshot: 'run-over-budget-notification' },
                elements => elements.some(e => e.text.includes(outcome.message.slice(0, 60))));
            assert.ok(items.every(e => !/\bat .*:\d+:\d+/.test(e.text)), 'no stack trace in the notifications');
            // The run's progress notification has gone: the refusal ended the run.
            await waitForUi('the progress notification to close', { selector: '.notifications-list-container .notification-list-item-message', in: 'workbench' },
                elements => !elements.some(e => e.text.startsWith('Running ResNet18')), 5_000);
            await vscode.commands.executeCommand('notifications.hideList');
        }
        run.panel.dispose();
    } finally {
        await config.update('memoryBudget', undefined, vscode.ConfigurationTarget.Global);
    }
});

test('a new, untitled ConvNet document gets diagnostics (the client selects the untitled scheme)', async () => {
    await convnetApi();
    const document = await vscode.workspace.openTextDocument({ language: 'convnet', content: 'network Untitled(input: [1, 3, 8, 8]) {\n  return input -> conv(4, kernel: 3) -> relu6x\n}\n' });
    await vscode.window.showTextDocument(document);
    const diagnostics = await waitFor('diagnostics on the untitled document', () => {
        const errors = vscode.languages.getDiagnostics(document.uri).filter(d => d.severity === vscode.DiagnosticSeverity.Error);
        return errors.length ? errors : undefined;
    });
    assert.match(diagnostics[0].message, /unknown op or block 'relu6x'/);
    // Close it without the save prompt (a modal dialog would stop a headless run).
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
});
