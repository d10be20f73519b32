/**
 * The extension in the browser: the extension-host tests that test/editor/run.ts's `web` phase loads into the VS
 * Code server's web worker extension host (headless chromium), with the extension's web entry (package.json
 * `browser`). Bundled for the browser (out/test/editor-web-suite.cjs): no Node here, so a small runner of its own.
 *
 * The workspace is the launcher's copy of examples/ opened from a virtual file system, as vscode.dev opens a
 * repository: `convnet-test-vfs:/workspace`, held in memory by a test-only web extension (test/editor/virtual-workspace.ts)
 * and read and written only through `vscode.workspace.fs`; with it `web-fixtures/`: the desktop's figures
 * (`convnet run … --json` on Node, written by the launcher) and PyTorch's TinyNet fixture (test/fixtures/e2e/tiny).
 * Independent references: torchvision's ResNet-18 totals (test/fixtures/reference/torchvision-totals.json, copied there),
 * PyTorch's conv arithmetic for the stem (1×64×112×112), PyTorch's TinyNet outputs and weights, PyTorch's ResNet-18
 * state_dict names and shapes (test/fixtures/torchvision/resnet18.json, bundled in) for the exports.
 */
import * as vscode from 'vscode';
import type { ConvNetWebApi } from '../../client/web/extension.js';
import type { RunView } from '../../client/views/run-view.js';
import type { GraphMessage, SummaryMessage } from '../../client/views/messages.js';
import type { ExportOutcome } from '../../client/export/export-flow.js';
import { parseSafetensors, toFloat32 } from '../../io/safetensors.js';
import onnxProto from 'onnx-proto';

/** PyTorch's state_dict of torchvision's ResNet-18 (names and shapes) and its parameter count, bundled into the suite. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const torchvisionResnet18 = require('../fixtures/torchvision/resnet18.json') as { params: number; state_dict: Record<string, number[]> };

const cases: { name: string; body: () => Promise<void>; timeoutMs: number }[] = [];
const test = (name: string, body: () => Promise<void>, timeoutMs = 60_000) => { cases.push({ name, body, timeoutMs }); };
const log = (line: string) => console.log(`[editor-test] ${line}`);

function check(condition: unknown, message: string): asserts condition {
    if (!condition) throw new Error(message);
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
        await new Promise(resolve => setTimeout(resolve, 50));
    }
}

const EXTENSION_ID = 'convnet.convnet';
/** test/editor/virtual-workspace.ts's scheme. */
const VIRTUAL_SCHEME = 'convnet-test-vfs';
const NETWORK = 'ResNet18';
const folder = () => {
    const first = vscode.workspace.workspaceFolders?.[0];
    if (!first) throw new Error('the web tests need the launcher\'s workspace folder');
    return first.uri;
};
const file = (...segments: string[]) => vscode.Uri.joinPath(folder(), ...segments);
const resnet = () => file('examples', 'resnet18.convnet');
const readJson = async <T>(uri: vscode.Uri) => JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as T;

async function api(): Promise<ConvNetWebApi> {
    const extension = vscode.extensions.getExtension<ConvNetWebApi>(EXTENSION_ID);
    check(extension, `extension ${EXTENSION_ID} is not loaded`);
    const exports = extension.isActive ? extension.exports : await extension.activate();
    await waitFor('the language client to run', () => (exports.client()?.isRunning() ? true : undefined), 60_000);
    return exports;
}

async function open(uri: vscode.Uri): Promise<vscode.TextDocument> {
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.One });
    return document;
}

function positionOf(document: vscode.TextDocument, needle: string, delta = 0): vscode.Position {
    const at = document.getText().indexOf(needle);
    check(at >= 0, `${needle} is not in ${document.uri.path}`);
    return document.positionAt(at + delta);
}

const labelOf = (hint: vscode.InlayHint) => (typeof hint.label === 'string' ? hint.label : hint.label.map(p => p.value).join(''));
const closeTo = (actual: number, expected: number, tolerance: number, what: string) =>
    check(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual}, expected ${expected}`);

async function finishedRun(view: RunView | undefined, timeoutMs: number) {
    check(view, 'Run Model opened no view');
    const outcome = await waitFor('the run to end', () => view.outcome, timeoutMs);
    check(outcome.status === 'done', `the run did not finish: ${outcome.status === 'done' ? '' : outcome.message}`);
    return outcome.result;
}

test('the extension runs in the browser: its web entry in the web worker extension host', async () => {
    const convnet = await api();
    check(convnet.platform === 'browser', `activate() returned the ${String((convnet as { platform?: string }).platform ?? 'desktop')} API`);
    check(vscode.env.uiKind === vscode.UIKind.Web, 'the workbench is the web one');
    check(typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== 'string', 'no Node in this extension host');
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    log(`workspace folder ${folder().toString()}; cross-origin isolated: ${String(isolated)}, SharedArrayBuffer: ${typeof SharedArrayBuffer !== 'undefined'}`);
    // Neither the disk nor the server's file system: a virtual one, known to the extension only through vscode.workspace.fs.
    check(folder().scheme === VIRTUAL_SCHEME, `the workspace is on ${folder().scheme}:, not the virtual ${VIRTUAL_SCHEME}:`);
});

test('diagnostics: resnet18.convnet has none; an unknown op is an error; an imported block is found through the workspace file system', async () => {
    await api();
    const document = await open(resnet());
    await waitFor('the document to be validated', async () => {
        const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri);
        return symbols?.length ? true : undefined;
    });
    check(vscode.languages.getDiagnostics(document.uri).filter(d => d.severity === vscode.DiagnosticSeverity.Error).length === 0,
        `errors in resnet18: ${vscode.languages.getDiagnostics(document.uri).map(d => d.message).join('; ')}`);
    const untitled = await vscode.workspace.openTextDocument({ language: 'convnet', content: 'network N(input: [1, 3, 8, 8]) {\n  return input -> convv(4, kernel: 3)\n}\n' });
    const unknown = await waitFor('the unknown op\'s error', () => vscode.languages.getDiagnostics(untitled.uri).find(d => /convv/.test(d.message)));
    check(unknown.range.start.line === 1, `the error is on the op's line: ${unknown.range.start.line}`);
    // SE-ResNet imports ./blocks/squeeze_excitation.convnet: the server found it by asking the extension.
    const se = await open(file('examples', 'se_resnet.convnet'));
    // Asked again until the classifier's hint is there: an answer made while the file is rebuilt after opening
    // may stop at the first block, and the server then asks the editor to fetch the hints again
    // (server/view-refresh.ts; test/workspace-build.test.ts makes that race happen every time).
    let last: vscode.InlayHint[] = [];
    const hints = await waitFor('the 1×1000 inlay hint of se_resnet\'s classifier', async () => {
        last = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', se.uri, new vscode.Range(0, 0, se.lineCount, 0)) ?? [];
        return last.some(h => labelOf(h).includes('1×1000')) ? last : undefined;
    }, 30_000).catch(() => undefined);
    check(hints, `se_resnet's classifier gets its 1×1000 hint; got ${last.length} hints, the last ${last.slice(-3).map(labelOf).join(' | ')}; diagnostics: ${vscode.languages.getDiagnostics(se.uri).map(d => d.message).join('; ') || 'none'}`);
    const errors = vscode.languages.getDiagnostics(se.uri).filter(d => d.severity === vscode.DiagnosticSeverity.Error);
    check(errors.length === 0, `errors in se_resnet (its import): ${errors.map(e => e.message).join('; ')}`);
}, 90_000);

test('inlay hints and a hover give the stem conv\'s 1×64×112×112 (PyTorch: floor((224 + 2·3 − 7)/2) + 1 = 112)', async () => {
    await api();
    const document = await open(resnet());
    const stem = positionOf(document, 'conv(64, kernel: 7');
    const hints = await waitFor('inlay hints', async () => {
        const found = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', document.uri, new vscode.Range(0, 0, document.lineCount, 0));
        return found?.length ? found : undefined;
    });
    check(hints.some(h => h.position.line === stem.line && labelOf(h).includes('1×64×112×112')), `the stem's hint; got ${hints.slice(0, 5).map(labelOf).join(' | ')}`);
    check(hints.some(h => labelOf(h).includes('1×1000')), 'a hint shows the classifier output 1×1000');
    const hover = await waitFor('a hover on conv1', async () => {
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, stem.translate(0, 1));
        const text = (hovers ?? []).flatMap(h => h.contents).map(c => (typeof c === 'string' ? c : c.value)).join('\n');
        return text.includes('1×64×112×112') ? text : undefined;
    });
    check(/1×3×224×224/.test(hover), 'the hover gives the input shape too');
    // 3·64·7·7 = 9,408 weights (no bias): PyTorch's conv1.weight.
    check(/9,408|9408/.test(hover), `the hover gives the stem's 9,408 parameters: ${hover.slice(0, 300)}`);
});

test('completion offers the ops', async () => {
    await api();
    const document = await vscode.workspace.openTextDocument({ language: 'convnet', content: 'network N(input: [1, 3, 8, 8]) {\n  return input -> \n}\n' });
    const list = await waitFor('completion items', async () => {
        const found = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, new vscode.Position(1, 18));
        return found?.items.length ? found : undefined;
    });
    const labels = list.items.map(i => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const op of ['conv', 'batchnorm', 'relu', 'maxpool', 'linear']) check(labels.includes(op), `completion offers ${op}; got ${labels.slice(0, 20).join(', ')}`);
});

test('Show Summary: ResNet-18\'s totals equal torchvision\'s (11,689,512 params, 1,814,073,344 MACs)', async () => {
    const convnet = await api();
    await open(resnet());
    await vscode.commands.executeCommand('convnet.showSummary', { uri: resnet().toString(), network: NETWORK });
    const view = await waitFor('the summary view', () => convnet.view('summary'));
    const message = await waitFor('the summary posted to the page', () => view.lastPosted<SummaryMessage>('summary'));
    const torchvision = await readJson<{ models: Record<string, { params: number; macs: number; output: number[] }> }>(file('web-fixtures', 'torchvision-totals.json'));
    const reference = torchvision.models.resnet18;
    check(message.summary, `no summary: ${message.errors.join('; ')}`);
    check(message.summary.params === reference.params, `params ${message.summary.params} ≠ torchvision's ${reference.params}`);
    check(message.summary.macs === reference.macs, `MACs ${message.summary.macs} ≠ torchvision's ${reference.macs}`);
    check(JSON.stringify(message.summary.outputs[0].shape) === JSON.stringify(reference.output), 'the output is 1×1000');
    await waitFor('the summary page to load', () => (view.received.some(m => (m as { type?: string }).type === 'ready') ? true : undefined));
    view.panel.dispose();
});

test('Show Graph: ResNet-18\'s graph is drawn in its view', async () => {
    const convnet = await api();
    await vscode.commands.executeCommand('convnet.showGraph', { uri: resnet().toString(), network: NETWORK });
    const view = await waitFor('the graph view', () => convnet.view('graph'));
    const message = await waitFor('the graph posted to the page', () => view.lastPosted<GraphMessage>('graph'));
    check(JSON.stringify(message).includes('conv1'), 'the graph has the stem conv');
    view.panel.dispose();
});

test('Run Model: seeded ResNet-18 in a web worker gives the desktop\'s top 5 (convnet run --seed 0 on Node)', async () => {
    const convnet = await api();
    const desktop = await readJson<{ outputs: { shape: number[]; min: number; max: number; mean: number; std: number; top5: { index: number; value: number }[] }[] }>(file('web-fixtures', 'resnet18-run.json'));
    await vscode.commands.executeCommand('convnet.runModel', { uri: resnet().toString(), network: NETWORK, input: 'seeded', seed: 0 });
    const result = await finishedRun(convnet.lastRun(), 240_000);
    const [output] = result.outputs;
    const expected = desktop.outputs[0];
    check(JSON.stringify(output.shape) === '[1,1000]', `output shape ${output.shape.join('×')}`);
    check(JSON.stringify(output.top5?.map(t => t.index)) === JSON.stringify(expected.top5.map(t => t.index)),
        `top 5 ${JSON.stringify(output.top5?.map(t => t.index))} ≠ the desktop's ${JSON.stringify(expected.top5.map(t => t.index))}`);
    for (const key of ['min', 'max', 'mean', 'std'] as const) closeTo(output[key], expected[key], 1e-3, key);
    // The WebAssembly kernels, on a plain memory and one thread where the page is not cross-origin isolated.
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    check(isolated ? /^wasm /.test(result.engine) : /^wasm (relaxed-simd|simd) \(plain memory\), 1 thread$/.test(result.engine), `the run computed on ${result.engine}`);
    log(`ResNet-18 ran in ${result.totalMs.toFixed(0)} ms in the browser on ${result.engine} (${result.warmRuns} warm runs, median ${result.warmMs.toFixed(0)} ms); top 5 ${output.top5?.map(t => t.index).join(', ')}`);
    convnet.lastRun()?.panel.dispose();
}, 300_000);

test('Run Model: TinyNet with PyTorch\'s weights and input read through the workspace file system gives PyTorch\'s logits', async () => {
    const convnet = await api();
    const tiny = (name: string) => file('web-fixtures', 'tiny', name);
    await open(tiny('tiny.convnet'));
    await vscode.commands.executeCommand('convnet.runModel', {
        uri: tiny('tiny.convnet').toString(), network: 'TinyNet', input: tiny('input.safetensors').toString(), weights: tiny('weights.safetensors').toString(), seed: 0,
    });
    const result = await finishedRun(convnet.lastRun(), 60_000);
    check(result.weights === 'weights.safetensors' && result.input === 'input.safetensors', `read ${result.weights} and ${result.input}`);
    const expected = parseSafetensors(await vscode.workspace.fs.readFile(tiny('expected.safetensors')));
    const logitsTensor = expected.tensors.get('logits');
    check(logitsTensor, `expected.safetensors has no logits (it has ${[...expected.tensors.keys()].join(', ')})`);
    const logits = toFloat32(logitsTensor);
    const output = result.outputs.find(o => o.name === 'logits');
    check(output, `no logits output (${result.outputs.map(o => o.name).join(', ')})`);
    const mean = logits.reduce((a, b) => a + b, 0) / logits.length;
    closeTo(output.min, Math.min(...logits), 1e-4, 'min of the logits');
    closeTo(output.max, Math.max(...logits), 1e-4, 'max of the logits');
    closeTo(output.mean, mean, 1e-4, 'mean of the logits');
    convnet.lastRun()?.panel.dispose();
}, 90_000);

/** A fresh folder of the workspace for the files of one export test, made through the workspace file system. */
async function exportFolder(name: string): Promise<vscode.Uri> {
    const uri = file('web-exports', name);
    try {
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
    } catch {
        // not there yet
    }
    await vscode.workspace.fs.createDirectory(uri);
    return uri;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);
const namesIn = async (folderUri: vscode.Uri) => (await vscode.workspace.fs.readDirectory(folderUri)).map(([name]) => name).sort();

async function exported(command: string, options: Record<string, unknown>): Promise<ExportOutcome & { status: 'done' }> {
    const outcome = await vscode.commands.executeCommand<ExportOutcome | undefined>(command, options);
    check(outcome, `${command} returned no outcome`);
    check(outcome.status === 'done', `${command} failed: ${outcome.status === 'error' ? outcome.message : ''}`);
    return outcome;
}

test('Export to ONNX writes through the workspace file system: initializers named as torchvision\'s state_dict, 11,689,512 params; no replacing without leave', async () => {
    const convnet = await api();
    await open(resnet());
    const folderUri = await exportFolder('onnx');
    const target = vscode.Uri.joinPath(folderUri, 'resnet18.onnx');
    const started = Date.now();
    const outcome = await exported('convnet.exportOnnx', { uri: resnet().toString(), network: NETWORK, target: target.toString(), seed: 0 });
    log(`ResNet-18 exported to ONNX in the browser in ${Date.now() - started} ms`);
    check(JSON.stringify(outcome.files.map(f => f.file)) === JSON.stringify([target.path]), `the files written: ${outcome.files.map(f => f.file).join(', ')}`);
    check(/^ONNX opset 17 \(IR \d+\): 69 layers as 69 nodes, 102 initializers, seeded weights \(seed 0\)$/.test(outcome.files[0].what), outcome.files[0].what);
    check(convnet.lastExport() === outcome, 'the API gives the last export');
    const notice = convnet.notices().at(-1);
    check(notice?.severity === 'info' && notice.message.includes(target.path) && notice.actions?.includes('Open'), `the notice: ${notice?.message}`);
    const bytes = await vscode.workspace.fs.readFile(target);
    check(bytes.length === outcome.files[0].bytes, `${bytes.length} bytes read, ${outcome.files[0].bytes} written`);
    // Decoded as an ONNX ModelProto; names and shapes from PyTorch (test/fixtures/torchvision/resnet18.json).
    const model = onnxProto.onnx.ModelProto.decode(bytes);
    const initializers = model.graph?.initializer ?? [];
    const stateDict = torchvisionResnet18.state_dict;
    const names = initializers.map(t => t.name ?? '').sort();
    check(JSON.stringify(names) === JSON.stringify(Object.keys(stateDict).sort()), `initializers ${names.length} ≠ torchvision's ${Object.keys(stateDict).length} state_dict keys`);
    for (const t of initializers) {
        const dims = (t.dims ?? []).map(Number);
        check(JSON.stringify(dims) === JSON.stringify(stateDict[t.name ?? '']), `${t.name}: ${dims.join('×')} ≠ torchvision's ${stateDict[t.name ?? ''].join('×')}`);
    }
    const params = initializers.filter(t => !/\.running_(mean|var)$/.test(t.name ?? '')).reduce((sum, t) => sum + (t.dims ?? []).map(Number).reduce((a, b) => a * b, 1), 0);
    check(params === torchvisionResnet18.params && params === 11_689_512, `${params} parameters, torchvision's ${torchvisionResnet18.params}`);

    // A second export to the same file, told not to replace it: refused in one sentence, the first file untouched.
    const refused = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportOnnx', { uri: resnet().toString(), network: NETWORK, target: target.toString(), seed: 1, replace: false });
    check(refused?.status === 'error' && /resnet18\.onnx: already exists; choose another name$/.test(refused.message), `the refusal: ${refused?.status === 'error' ? refused.message : refused?.status}`);
    check(!/\n|\bat .*:\d+:\d+/.test(refused.message), 'no stack trace');
    check(sameBytes(await vscode.workspace.fs.readFile(target), bytes), 'the first export is untouched');
    check(JSON.stringify(await namesIn(folderUri)) === JSON.stringify(['resnet18.onnx']), `nothing else in the folder: ${(await namesIn(folderUri)).join(', ')}`);

    // Told it may replace it: the seed-1 model replaces the seed-0 one, through a temporary file renamed into place.
    await exported('convnet.exportOnnx', { uri: resnet().toString(), network: NETWORK, target: target.toString(), seed: 1, replace: true });
    const replaced = await vscode.workspace.fs.readFile(target);
    check(replaced.length === bytes.length && !sameBytes(replaced, bytes), 'the seed-1 model replaced the seed-0 one');
    check(JSON.stringify(await namesIn(folderUri)) === JSON.stringify(['resnet18.onnx']), `no temporary file left: ${(await namesIn(folderUri)).join(', ')}`);
}, 180_000);

test('Export to PyTorch: the ResNet18 module and its state_dict (torchvision\'s keys); TinyNet with PyTorch\'s weights read from the workspace, never written over', async () => {
    await api();
    const folderUri = await exportFolder('pytorch');
    const target = vscode.Uri.joinPath(folderUri, 'resnet18.py');
    const outcome = await exported('convnet.exportPyTorch', { uri: resnet().toString(), network: NETWORK, target: target.toString(), seed: 0 });
    const weights = vscode.Uri.joinPath(folderUri, 'resnet18.safetensors');
    check(JSON.stringify(outcome.files.map(f => f.file)) === JSON.stringify([target.path, weights.path]), `the files written: ${outcome.files.map(f => f.file).join(', ')}`);
    const source = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    check(/^class ResNet18\(nn\.Module\):$/m.test(source) && /^class BasicBlock\(nn\.Module\):$/m.test(source), 'the module defines ResNet18 and BasicBlock');
    const stateDict = parseSafetensors(await vscode.workspace.fs.readFile(weights));
    check(JSON.stringify([...stateDict.tensors.keys()].sort()) === JSON.stringify(Object.keys(torchvisionResnet18.state_dict).sort()), 'the state_dict has torchvision\'s keys');

    // TinyNet with PyTorch's own weights (test/fixtures/e2e/tiny), read through the workspace file system.
    const tiny = (name: string) => file('web-fixtures', 'tiny', name);
    const tinyTarget = vscode.Uri.joinPath(folderUri, 'tinynet.py');
    const tinyOutcome = await exported('convnet.exportPyTorch', { uri: tiny('tiny.convnet').toString(), network: 'TinyNet', target: tinyTarget.toString(), weights: tiny('weights.safetensors').toString() });
    check(/weights from .*weights\.safetensors/.test(tinyOutcome.files[1]?.what ?? ''), `the state_dict's description: ${tinyOutcome.files[1]?.what}`);
    const original = parseSafetensors(await vscode.workspace.fs.readFile(tiny('weights.safetensors')));
    const written = parseSafetensors(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folderUri, 'tinynet.safetensors')));
    check(written.tensors.size > 0, 'the state_dict has tensors');
    for (const [name, tensor] of written.tensors) {
        const from = original.tensors.get(name);
        check(from, `${name} is not in PyTorch's weights`);
        check(sameBytes(new Uint8Array(toFloat32(tensor).buffer), new Uint8Array(toFloat32(from).buffer)), `${name} differs from PyTorch's`);
    }

    // A module whose state_dict would go over the weights it reads: refused whatever it was told; the weights untouched.
    const before = await vscode.workspace.fs.readFile(tiny('weights.safetensors'));
    const refused = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportPyTorch', { uri: tiny('tiny.convnet').toString(), network: 'TinyNet', target: tiny('weights.py').toString(), weights: tiny('weights.safetensors').toString(), replace: true });
    check(refused?.status === 'error' && /weights\.safetensors: this command reads it \(the weights\); refusing to write over it/.test(refused.message), `the refusal: ${refused?.status === 'error' ? refused.message : refused?.status}`);
    check(sameBytes(await vscode.workspace.fs.readFile(tiny('weights.safetensors')), before), 'the weights are untouched');
    check(!(await namesIn(file('web-fixtures', 'tiny'))).some(name => name === 'weights.py' || name.endsWith('.convnet-partial')), 'and no module written');
}, 180_000);

test('Export Training Script writes train_resnet18.py and, beside it, the resnet18.py it imports', async () => {
    await api();
    const folderUri = await exportFolder('train');
    const target = vscode.Uri.joinPath(folderUri, 'train_resnet18.py');
    const outcome = await exported('convnet.exportTrainingScript', { uri: resnet().toString(), network: NETWORK, target: target.toString() });
    check(JSON.stringify(outcome.files.map(f => f.file).sort()) === JSON.stringify([vscode.Uri.joinPath(folderUri, 'resnet18.py').path, target.path].sort()), `the files: ${outcome.files.map(f => f.file).join(', ')}`);
    const script = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    check(/^from resnet18 import ResNet18( as \w+)?, load_weights$/m.test(script), 'the script imports the module beside it by name');
    check(/^class ResNet18\(nn\.Module\):$/m.test(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folderUri, 'resnet18.py')))), 'the module defines ResNet18');
    check(JSON.stringify(await namesIn(folderUri)) === JSON.stringify(['resnet18.py', 'train_resnet18.py']), `the folder: ${(await namesIn(folderUri)).join(', ')}`);
});

test('an export that cannot write its file, or read its weights, says why in one sentence', async () => {
    await api();
    const target = file('no-such-folder', 'deeper', 'resnet18.onnx');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportOnnx', { uri: resnet().toString(), network: NETWORK, target: target.toString() });
    check(outcome?.status === 'error', `the outcome: ${outcome?.status}`);
    check(/^ConvNet: export of ResNet18 to ONNX failed: .*resnet18\.onnx: cannot write: the folder .*deeper does not exist$/.test(outcome.message), outcome.message);
    check(outcome.stack === undefined, 'an expected problem, not a bug');
    // Weights that are not there: said before anything is written.
    const folderUri = await exportFolder('missing-weights');
    const missing = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportOnnx', {
        uri: resnet().toString(), network: NETWORK, target: vscode.Uri.joinPath(folderUri, 'resnet18.onnx').toString(), weights: file('no-such-weights.safetensors').toString(),
    });
    check(missing?.status === 'error' && /^ConvNet: export of ResNet18 to ONNX failed: .*no-such-weights\.safetensors: cannot read the weights: no such file$/.test(missing.message),
        `the outcome: ${missing?.status === 'error' ? missing.message : missing?.status}`);
    check((await namesIn(folderUri)).length === 0, 'nothing written');
});

export async function run(): Promise<void> {
    const failures: string[] = [];
    const started = Date.now();
    log(`running ${cases.length} web tests (the extension's browser entry)`);
    for (const c of cases) {
        const t0 = Date.now();
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
            await Promise.race([c.body(), new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs); })]);
            log(`ok   ${c.name} (${Date.now() - t0} ms)`);
        } catch (e) {
            failures.push(c.name);
            if (c === cases[0]) cases.splice(1); // the extension did not start: the other tests would only time out
            log(`FAIL ${c.name} (${Date.now() - t0} ms)\n    ${e instanceof Error ? (e.stack ?? e.message).replace(/\n/g, '\n    ') : String(e)}`);
        } finally {
            clearTimeout(timer);
        }
    }
    log(`${cases.length - failures.length} passed, ${failures.length} failed in ${Date.now() - started} ms`);
    if (failures.length) throw new Error(`${failures.length} web test(s) failed: ${failures.join('; ')}`);
}
