/** Loads `.convnet` files from disk, with every file they import (transitively), and validates them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { createConvNetServices, type ConvNetServices } from '../convnet-module.js';
import { loadDeviceProfile } from './device-file.js';
import { THIS_MACHINE } from '../analysis/devices.js';
import { ensureBuiltinLibrary } from '../builtin-library.js';
import { importedUris } from '../imports.js';
import type { Model } from '../generated/ast.js';
import { notAFile, READ_LIMITS } from '../../io/bounded-read.js';
import { formatBytes } from '../util/format.js';
import { displayText } from '../util/quote.js';
import { appendAll } from '../util/arrays.js';

export interface LoadedWorkspace {
    readonly services: ConvNetServices;
    /** The documents asked for, in order. */
    readonly documents: LangiumDocument<Model>[];
}

/** A file named on the command line that cannot be loaded; the message names it and says why. */
export class FileNotFound extends Error {}

/** Why `file` cannot be loaded as a source (checked by type and size before it is opened), or undefined. */
function sourceFileProblem(file: string): string | undefined {
    let stats: fs.Stats;
    try {
        stats = fs.statSync(file);
    } catch {
        return 'no such file';
    }
    const other = notAFile(stats);
    if (other) return `it is ${other}, not a file`;
    if (stats.size > READ_LIMITS.source) return `it is ${formatBytes(stats.size)}; a .convnet file may have at most ${formatBytes(READ_LIMITS.source)}`;
    return undefined;
}

export async function loadConvNetFiles(files: readonly string[]): Promise<LoadedWorkspace> {
    const { shared, ConvNet } = createConvNetServices(NodeFileSystem);
    ConvNet.analysis.Devices.setThisMachine(() => loadDeviceProfile(THIS_MACHINE));
    const langiumDocuments = shared.workspace.LangiumDocuments;
    const all: LangiumDocument[] = [ensureBuiltinLibrary(shared)];
    const requested: LangiumDocument<Model>[] = [];
    const pending = files.map(f => URI.file(path.resolve(f)));
    const seen = new Set<string>();
    for (let i = 0; i < pending.length; i++) {
        const uri = pending[i];
        if (seen.has(uri.toString())) continue;
        seen.add(uri.toString());
        const isRequested = i < files.length;
        const problem = sourceFileProblem(uri.fsPath);
        if (problem) {
            if (isRequested) throw new FileNotFound(`${displayText(files[i], 120)}: ${problem}`);
            // A missing or unreadable import is reported by the validator on the import line, with the reason.
            if (problem !== 'no such file') ConvNet.files.UnreadableFiles.record(uri.toString(), problem);
            continue;
        }
        if (isRequested && path.extname(uri.fsPath).toLowerCase() !== '.convnet') {
            const onnx = path.extname(uri.fsPath).toLowerCase() === '.onnx';
            throw new FileNotFound(`${displayText(files[i], 120)}: not a .convnet file${onnx ? ` (to turn an ONNX model into one: convnet import ${displayText(files[i], 120)})` : ' (networks are written in .convnet files)'}`);
        }
        const document = await langiumDocuments.getOrCreateDocument(uri);
        all.push(document);
        if (isRequested) requested.push(document as LangiumDocument<Model>);
        appendAll(pending, importedUris(document.parseResult.value as Model, uri)); // a file may import without bound
    }
    await shared.workspace.DocumentBuilder.build(all, { validation: true });
    return { services: ConvNet, documents: requested };
}
