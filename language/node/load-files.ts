/** Loads `.convnet` files from disk, with every file they import (transitively), and validates them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI, type LangiumDocument } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { createConvNetServices, type ConvNetServices } from '../convnet-module.js';
import { ensureBuiltinLibrary } from '../builtin-library.js';
import { importedUris } from '../imports.js';
import type { Model } from '../generated/ast.js';

export interface LoadedWorkspace {
    readonly services: ConvNetServices;
    /** The documents asked for, in order. */
    readonly documents: LangiumDocument<Model>[];
}

export class FileNotFound extends Error {}

export async function loadConvNetFiles(files: readonly string[]): Promise<LoadedWorkspace> {
    const { shared, ConvNet } = createConvNetServices(NodeFileSystem);
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
        if (!fs.existsSync(uri.fsPath) || !fs.statSync(uri.fsPath).isFile()) {
            if (isRequested) throw new FileNotFound(`${files[i]}: no such file`);
            continue; // a missing import is reported by the validator on the import line
        }
        const document = await langiumDocuments.getOrCreateDocument(uri);
        all.push(document);
        if (isRequested) requested.push(document as LangiumDocument<Model>);
        pending.push(...importedUris(document.parseResult.value as Model, uri));
    }
    await shared.workspace.DocumentBuilder.build(all, { validation: true });
    return { services: ConvNet, documents: requested };
}
