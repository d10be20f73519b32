/**
 * ConvNet: Export to ONNX, Export to PyTorch and Export Training Script on examples/resnet18.convnet, started with a target
 * (as a test or a keybinding may) so that no dialog opens: the files exist, equal what `convnet export` writes,
 * and the notification names them; a failure is one readable sentence.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportOutcome } from '../../../client/export/export-command.js';
import { convnetApi, convnetCli, openResnet, resnetUri, workspaceFile } from './common.js';
import { assert, test } from './harness.js';

const NETWORK = 'ResNet18';

/** A fresh folder in the workspace for the files of one test. */
function exportFolder(name: string): string {
    const folder = path.join(workspaceFile().fsPath, 'exports', name);
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(folder, { recursive: true });
    return folder;
}

/** Where the CLI writes its copy, to compare (outside the workspace). */
function cliFolder(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-cli-export-'));
}

test('Export to ONNX writes the model `convnet export --onnx` writes, and says where', async () => {
    const api = await convnetApi();
    await openResnet();
    const target = path.join(exportFolder('onnx'), 'resnet18.onnx');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportOnnx', { uri: resnetUri().toString(), network: NETWORK, target, seed: 0 });
    assert.ok(outcome, 'the command returns its outcome');
    assert.equal(outcome.status, 'done', outcome.status === 'error' ? outcome.message : '');
    assert.deepEqual(api.lastExport(), outcome);
    if (outcome.status !== 'done') return;
    assert.deepEqual(outcome.files.map(f => f.file), [target], 'one file, the target');
    const bytes = fs.readFileSync(target);
    assert.ok(bytes.length > 1_000_000, `a model with ResNet-18's weights (${bytes.length} bytes)`);
    assert.equal(bytes.length, outcome.files[0].bytes);
    assert.match(outcome.files[0].what, /^ONNX opset 17 \(IR \d+\): 69 layers as 69 nodes, 102 initializers, seeded weights \(seed 0\)$/);
    const notice = api.notices().at(-1);
    assert.equal(notice?.severity, 'info');
    assert.ok(notice.message.includes(target), `the notification names the file: ${notice.message}`);
    assert.deepEqual(notice.actions, ['Open']);
    // Byte for byte what the CLI writes: the same export code, the same seeded weights.
    const fromCli = path.join(cliFolder(), 'resnet18.onnx');
    try {
        await convnetCli('export', resnetUri().fsPath, '--onnx', fromCli, '--seed', '0');
        assert.ok(bytes.equals(fs.readFileSync(fromCli)), 'the editor\'s .onnx equals the CLI\'s');
    } finally {
        fs.rmSync(path.dirname(fromCli), { recursive: true, force: true });
    }
}, { timeoutMs: 60_000, installed: true });

test('Export to PyTorch writes the ResNet18 nn.Module `convnet export --pytorch` writes (and its state_dict when seeded)', async () => {
    const api = await convnetApi();
    await openResnet();
    const folder = exportFolder('pytorch');
    const target = path.join(folder, 'resnet18.py');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportPyTorch', { uri: resnetUri().toString(), network: NETWORK, target });
    assert.equal(outcome?.status, 'done', outcome?.status === 'error' ? outcome.message : '');
    if (outcome?.status !== 'done') return;
    const source = fs.readFileSync(target, 'utf8');
    assert.match(source, /^class ResNet18\(nn\.Module\):$/m);
    assert.match(source, /^class BasicBlock\(nn\.Module\):$/m);
    assert.deepEqual(outcome.files.map(f => f.file), [target], 'no weights asked for, none written');
    assert.ok(!fs.existsSync(path.join(folder, 'resnet18.safetensors')));
    assert.ok(api.notices().at(-1)?.message.includes(target));
    const fromCli = path.join(cliFolder(), 'resnet18.py');
    try {
        await convnetCli('export', resnetUri().fsPath, '--pytorch', fromCli);
        assert.equal(source, fs.readFileSync(fromCli, 'utf8'), 'the editor\'s module equals the CLI\'s');
    } finally {
        fs.rmSync(path.dirname(fromCli), { recursive: true, force: true });
    }

    // The module exists now: an export told not to replace files refuses, in one sentence, and changes nothing.
    const refused = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportPyTorch', { uri: resnetUri().toString(), network: NETWORK, target, seed: 1, replace: false });
    assert.equal(refused?.status, 'error');
    assert.match(refused?.status === 'error' ? refused.message : '', /resnet18\.py: already exists/);
    assert.equal(fs.readFileSync(target, 'utf8'), source, 'the module is untouched');
    assert.ok(!fs.existsSync(path.join(folder, 'resnet18.safetensors')), 'and nothing else written');

    // With a seed, the state_dict goes beside the module, as with `convnet export --pytorch F.py --seed 1`.
    const seeded = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportPyTorch', { uri: resnetUri().toString(), network: NETWORK, target, seed: 1, replace: true });
    assert.equal(seeded?.status, 'done');
    if (seeded?.status !== 'done') return;
    const weights = path.join(folder, 'resnet18.safetensors');
    assert.deepEqual(seeded.files.map(f => f.file), [target, weights]);
    assert.ok(fs.statSync(weights).size > 1_000_000, 'the state_dict is written');
    assert.match(seeded.files[1].what, /seeded weights \(seed 1\)/);
}, { timeoutMs: 60_000, installed: true });

test('Export Training Script writes the script and, beside it, the module it imports, as `convnet export --pytorch --train` does', async () => {
    const api = await convnetApi();
    await openResnet();
    const folder = exportFolder('train');
    const target = path.join(folder, 'train_resnet18.py');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportTrainingScript', { uri: resnetUri().toString(), network: NETWORK, target });
    assert.equal(outcome?.status, 'done', outcome?.status === 'error' ? outcome.message : '');
    if (outcome?.status !== 'done') return;
    const module = path.join(folder, 'resnet18.py');
    assert.deepEqual(outcome.files.map(f => f.file).sort(), [module, target].sort(), 'the script and the module, no weights');
    const script = fs.readFileSync(target, 'utf8');
    assert.match(script, /^from resnet18 import ResNet18 as Network, load_weights$/m);
    assert.match(api.notices().at(-1)?.message ?? '', /^ConvNet: exported ResNet18 to .*train_resnet18\.py — training script for ResNet18/);
    const cli = cliFolder();
    try {
        await convnetCli('export', resnetUri().fsPath, '--pytorch', path.join(cli, 'resnet18.py'), '--train', path.join(cli, 'train_resnet18.py'));
        assert.equal(script, fs.readFileSync(path.join(cli, 'train_resnet18.py'), 'utf8'), 'the editor\'s script equals the CLI\'s');
        assert.equal(fs.readFileSync(module, 'utf8'), fs.readFileSync(path.join(cli, 'resnet18.py'), 'utf8'), 'and so does the module');
    } finally {
        fs.rmSync(cli, { recursive: true, force: true });
    }
}, { timeoutMs: 60_000, installed: true });

test('an export that cannot write its file says why in one sentence', async () => {
    const api = await convnetApi();
    await openResnet();
    const target = path.join(workspaceFile().fsPath, 'no-such-folder', 'deeper', 'resnet18.onnx');
    const outcome = await vscode.commands.executeCommand<ExportOutcome>('convnet.exportOnnx', { uri: resnetUri().toString(), network: NETWORK, target });
    assert.equal(outcome?.status, 'error');
    if (outcome?.status !== 'error') return;
    assert.match(outcome.message, /^ConvNet: export of ResNet18 to ONNX failed: .*resnet18\.onnx: cannot write: the folder .*deeper does not exist$/);
    assert.doesNotMatch(outcome.message, /\n|\bat .*:\d+:\d+/, 'no stack trace');
    assert.equal(outcome.stack, undefined, 'an expected problem, not a bug');
    assert.equal(api.notices().at(-1)?.message, outcome.message);
    assert.ok(!fs.existsSync(target));
});
