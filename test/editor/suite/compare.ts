/**
 * ConvNet: Compare with… and the Summary view's training memory and roofline, in the real editor, on
 * examples/resnet18.convnet: the figures each computes against independent ones (torchvision's parameter counts,
 * He et al.'s block counts, Intel's published peak and bandwidth), and (under test/editor/run.ts) what the page shows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompareView } from '../../../client/compare/compare-view.js';
import type { CompareGraph } from '../../../client/compare/graph-marks.js';
import type { SummaryMessage } from '../../../client/views/messages.js';
import { closeConvNetViews, convnetApi, openInEditor, openResnet, resnetUri, workspaceFile } from './common.js';
import { assert, test, waitFor } from './harness.js';
import { queryUi, uiAvailable, waitForUi } from './ui.js';

/** The repository (the suite is out/test/editor-suite.cjs), for the ResNet-34 fixture. */
const ROOT = path.resolve(__dirname, '..', '..');
const RESNET34_FIXTURE = path.join(ROOT, 'test', 'fixtures', 'diff', 'resnet34.convnet');
/** torchvision's parameter counts (its model docs). */
const RESNET18_PARAMS = 11_689_512;
const RESNET34_PARAMS = 21_797_672;
/** ResNet-34 has [3, 4, 6, 3] BasicBlocks where ResNet-18 has [2, 2, 2, 2] (He et al., Table 1); seven layers each. */
const ADDED_BLOCKS = ['layer1.2', 'layer2.2', 'layer2.3', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.2'];
const LAYERS_PER_BLOCK = 7;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function pageReady(view: CompareView): Promise<{ type: string; graph?: CompareGraph }> {
    return waitFor('the comparison posted to its page (the page sends ready first)', () => view.posted.at(-1) as { type: string; graph?: CompareGraph } | undefined);
}

test('Compare with…: ResNet-18 against a ResNet-34 file shows torchvision\'s parameter delta, side by side', async () => {
    await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const view = await vscode.commands.executeCommand<CompareView | undefined>('convnet.compareWith',
        { uri: resnetUri().toString(), network: 'ResNet18', against: RESNET34_FIXTURE });
    assert.ok(view, 'the command opened a comparison');
    const diff = view.lastDiff;
    assert.equal(diff.before.name, 'ResNet34');
    assert.equal(diff.after.name, 'ResNet18');
    assert.deepEqual([diff.totals.params.before, diff.totals.params.after], [RESNET34_PARAMS, RESNET18_PARAMS], 'torchvision\'s counts');
    assert.equal(diff.totals.params.delta, RESNET18_PARAMS - RESNET34_PARAMS);
    assert.equal(diff.counts.removed, ADDED_BLOCKS.length * LAYERS_PER_BLOCK, 'ResNet-18 lacks eight BasicBlocks of seven layers');
    assert.equal(diff.counts.added, 0);
    const message = await pageReady(view);
    assert.equal(message.type, 'diff');
    assert.ok(message.graph, 'the graph of ResNet-18 was drawn');
    assert.deepEqual(message.graph.nodes, {}, 'nothing added to ResNet-18: no layer marked');
    assert.equal(message.graph.removed, ADDED_BLOCKS.length * LAYERS_PER_BLOCK);

    if (uiAvailable()) {
        const [row] = await waitForUi('the params row of the totals', { selector: 'tr[data-total="params"]', screenshot: 'compare-resnet18-resnet34' }, e => e.length === 1);
        for (const text of [fmt(RESNET34_PARAMS), fmt(RESNET18_PARAMS), `−${fmt(RESNET34_PARAMS - RESNET18_PARAMS)}`, `${(RESNET18_PARAMS / RESNET34_PARAMS).toFixed(3)}×`]) {
            assert.ok(row.text.includes(text), `the params row shows ${text}: ${row.text}`);
        }
        const removed = await queryUi({ selector: 'tr.layer.removed' });
        assert.equal(removed.elements.length, ADDED_BLOCKS.length * LAYERS_PER_BLOCK, 'a removed row per layer ResNet-18 lacks');
        const [legend] = (await queryUi({ selector: '#graph-legend' })).elements;
        assert.match(legend?.text ?? '', /0 layers added, 0 changed; 56 removed/);
    }
    view.panel.dispose();
}, { timeoutMs: 60_000, installed: true });

test('Compare with…: the graph of ResNet-34 marks the eight BasicBlocks it adds to ResNet-18', async () => {
    await convnetApi();
    await closeConvNetViews();
    // The fixture in the workspace, importing the workspace's ResNet-18 (its BasicBlock).
    const file = workspaceFile('diff', 'resnet34.convnet');
    fs.mkdirSync(path.dirname(file.fsPath), { recursive: true });
    fs.writeFileSync(file.fsPath, fs.readFileSync(RESNET34_FIXTURE, 'utf8').replace('import "../../../examples/resnet18.convnet"', 'import "../examples/resnet18.convnet"'));
    await openInEditor(file);
    const view = await vscode.commands.executeCommand<CompareView | undefined>('convnet.compareWith',
        { uri: file.toString(), network: 'ResNet34', against: resnetUri().fsPath });
    assert.ok(view, 'the command opened a comparison');
    assert.equal(view.lastDiff.totals.params.delta, RESNET34_PARAMS - RESNET18_PARAMS);
    const graph = view.lastGraph;
    assert.ok(graph, 'a graph of ResNet-34');
    const marks = Object.values(graph.nodes);
    assert.equal(marks.length, ADDED_BLOCKS.length * LAYERS_PER_BLOCK);
    assert.ok(marks.every(m => m === 'added'), 'every marked layer is added');

    if (uiAvailable()) {
        const boxes = await waitForUi('the added layers marked in the graph', { selector: '#compare-graph g.box.mark-added', screenshot: 'compare-resnet34-graph' },
            e => e.length === ADDED_BLOCKS.length * LAYERS_PER_BLOCK);
        const blocks = new Set(boxes.map(b => b.text.split(' ')[0].split('.').slice(0, 2).join('.')));
        assert.deepEqual([...blocks].sort(), ADDED_BLOCKS);
    }
    view.panel.dispose();
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(path.dirname(file.fsPath), { recursive: true, force: true });
}, { timeoutMs: 60_000 });

test('Show Summary with convnet.trainingBatch 32 and convnet.device desktop-cpu-core: training memory and a roofline', async () => {
    const api = await convnetApi();
    await closeConvNetViews();
    await openResnet();
    const settings = vscode.workspace.getConfiguration('convnet');
    const previous = { batch: settings.inspect('trainingBatch')?.globalValue, optimizer: settings.inspect('trainingOptimizer')?.globalValue, device: settings.inspect('device')?.globalValue };
    await settings.update('trainingBatch', 32, vscode.ConfigurationTarget.Global);
    await settings.update('trainingOptimizer', 'sgd-momentum', vscode.ConfigurationTarget.Global);
    await settings.update('device', 'desktop-cpu-core', vscode.ConfigurationTarget.Global);
    try {
        await vscode.commands.executeCommand('convnet.showSummary', { uri: resnetUri().toString(), network: 'ResNet18' });
        const view = await waitFor('the summary view', () => api.view('summary'));
        const message = await waitFor('a summary with training figures and a roofline', () => {
            const m = view.lastPosted<SummaryMessage>('summary');
            return m?.training && m.roofline ? m : undefined;
        });
        const t = message.training!;
        const paramBytes = RESNET18_PARAMS * 4;
        assert.equal(t.batch, 32);
        assert.equal(t.optimizer, 'sgd-momentum');
        assert.deepEqual([t.parameterBytes, t.gradientBytes, t.optimizerStateBytes], [paramBytes, paramBytes, paramBytes], 'parameters, gradients and momentum: 4 bytes per parameter each');
        assert.ok(t.peakBytes > 3 * paramBytes + t.savedActivationBytes - 1, 'the peak holds the state and the kept activations');
        // The roofline on Intel's published figures (i7-8700K, one core: 4.7 GHz × 16 FLOP/cycle; 41.6 GB/s).
        const r = message.roofline!;
        assert.equal(r.device.id, 'desktop-cpu-core');
        assert.equal(r.device.peakFlops, 75.2e9);
        assert.equal(r.device.bandwidth, 41.6e9);
        assert.equal(r.layers.length, 69);
        const fc = r.layers.find(l => l.name === 'fc')!;
        const fcBytes = (512 * 1000 + 1000 + 512 + 1000) * 4;
        assert.equal(fc.bytes, fcBytes);
        assert.equal(fc.bound, 'memory');
        assert.ok(Math.abs(fc.seconds - (fcBytes / 41.6e9 + 2e-6)) < 1e-12, `fc: ${fc.seconds} s`);
        assert.ok(Array.isArray(message.insights), 'the insights come with the roofline');

        if (uiAvailable()) {
            const [training] = await waitForUi('the Training section', { selector: '#training', screenshot: 'summary-training-roofline' }, e => e.length === 1);
            assert.equal(training.attributes['data-peak'], String(t.peakBytes));
            const points = await queryUi({ selector: 'svg#roofline circle.layer' });
            assert.equal(points.elements.length, r.layers.filter(l => !l.fusedInto && l.flops > 0 && l.bytes > 0 && l.seconds > 0).length, 'a point per unfused layer');
        }
        view.panel.dispose();
    } finally {
        await settings.update('trainingBatch', previous.batch, vscode.ConfigurationTarget.Global);
        await settings.update('trainingOptimizer', previous.optimizer, vscode.ConfigurationTarget.Global);
        await settings.update('device', previous.device, vscode.ConfigurationTarget.Global);
    }
}, { timeoutMs: 60_000, installed: true });
