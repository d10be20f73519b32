/**
 * The editor's open files first. Langium builds a set of documents phase by phase — every document parsed, then
 * every one indexed, linked, validated — so a file opened while the workspace is being built waited for all the
 * others: in a workspace of the 28 examples, ResNet-50's first shape hints came ~1 s later than in a workspace
 * holding it alone. This builder takes the open documents and the files they import through every phase first,
 * then the rest. Until the rest is built the workspace as a whole has not reached any state, so the first pass
 * moves only the documents' own states (their hints, hovers and diagnostics can be answered) and tells no one
 * waiting for the workspace.
 */
import { DefaultDocumentBuilder, DocumentState, type BuildOptions, type LangiumDocument, type LangiumSharedCoreServices } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import type { Model } from '../language/generated/ast.js';
import { importedUris } from '../language/imports.js';
import { BUILTIN_LIBRARY_URI } from '../language/builtin-library.js';

export class OpenFirstDocumentBuilder extends DefaultDocumentBuilder {
    /** While true, the build moves documents' states only, not the workspace's. */
    private openFilesPass = false;

    constructor(services: LangiumSharedCoreServices) {
        super(services);
    }

    protected override async buildDocuments(documents: LangiumDocument[], options: BuildOptions, cancelToken: CancellationToken): Promise<void> {
        if (this.openFilesPass) return super.buildDocuments(documents, options, cancelToken);
        this.openFilesPass = true;
        let first: Set<LangiumDocument>;
        try {
            first = await this.openFilesAndImports(documents, cancelToken);
            if (first.size > 0 && first.size < documents.length) await super.buildDocuments([...first], options, cancelToken);
        } finally {
            this.openFilesPass = false;
        }
        await super.buildDocuments(first.size < documents.length ? documents.filter(d => !first.has(d)) : documents, options, cancelToken);
    }

    /**
     * The documents of `documents` open in the editor, with the files they import, transitively (parsed on the
     * way: imports are known only from a parsed file), and the built-in op library every file links against.
     */
    private async openFilesAndImports(documents: LangiumDocument[], cancelToken: CancellationToken): Promise<Set<LangiumDocument>> {
        const byUri = new Map(documents.map(d => [d.uri.toString(), d]));
        const open = documents.filter(d => this.textDocuments?.get(d.uri.toString()) !== undefined);
        const found = new Set(open);
        const library = byUri.get(BUILTIN_LIBRARY_URI.toString());
        if (open.length > 0 && library) found.add(library);
        const pending = [...open];
        for (let document = pending.pop(); document; document = pending.pop()) {
            await this.runCancelable([document], DocumentState.Parsed, cancelToken, d => this.langiumDocumentFactory.update(d, cancelToken));
            for (const uri of importedUris(document.parseResult.value as Model, document.uri)) {
                const imported = byUri.get(uri.toString());
                if (imported && !found.has(imported)) {
                    found.add(imported);
                    pending.push(imported);
                }
            }
        }
        return found;
    }

    protected override async runCancelable(documents: LangiumDocument[], targetState: DocumentState, cancelToken: CancellationToken,
        callback: (document: LangiumDocument) => unknown): Promise<void> {
        const workspaceState = this.currentState;
        await super.runCancelable(documents, targetState, cancelToken, callback);
        if (this.openFilesPass) this.currentState = workspaceState;
    }

    protected override async notifyBuildPhase(documents: LangiumDocument[], state: DocumentState, cancelToken: CancellationToken): Promise<void> {
        if (!this.openFilesPass) await super.notifyBuildPhase(documents, state, cancelToken);
    }
}
