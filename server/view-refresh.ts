/**
 * Asks the editor to fetch inlay hints and code lenses again when a build ends, if what they show may have changed
 * without the document's own text changing. VS Code asks for them again only when a document is edited, so
 * without this an open file keeps figures that are out of date:
 *   - a file's figures depend on the files it imports: editing examples/blocks/squeeze_excitation.convnet changes
 *     the shapes shown in an open examples/se_resnet.convnet, which is rebuilt but not edited;
 *   - an answer made while its document was being rebuilt (the editor asks as soon as a file opens, and the build
 *     that follows may reset the file it read), or before the workspace's other files were linked (a block's
 *     figures come from every network that uses it), is incomplete.
 */
import { DocumentState, type LangiumDocument } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import { CodeLensRefreshRequest, InlayHintRefreshRequest } from 'vscode-languageserver';

export class ViewRefresh {
    private pending = false;
    /** Counts the builds started: an answer made across one may mix the document before and after. */
    private updates = 0;
    /** From a build's start (the workspace's first one included) to its end; a cancelled one ends with the next. */
    private building = true;
    /** The documents the build under way was started for: their own edits make the editor ask again. */
    private edited = new Set<string>();
    private supports = { inlayHints: false, codeLenses: false };

    constructor(private readonly shared: LangiumSharedServices) {
        const builder = shared.workspace.DocumentBuilder;
        shared.lsp.LanguageServer.onInitialize(params => {
            const workspace = params.capabilities.workspace;
            this.supports = { inlayHints: workspace?.inlayHint?.refreshSupport === true, codeLenses: workspace?.codeLens?.refreshSupport === true };
        });
        builder.onUpdate(changed => {
            this.updates++;
            this.building = true;
            this.edited = new Set(changed.map(uri => uri.toString()));
        });
        builder.onDocumentPhase(DocumentState.Validated, document => {
            if (this.isOpen(document) && !this.edited.has(document.uri.toString())) this.pending = true;
        });
        builder.onBuildPhase(DocumentState.Validated, () => {
            this.building = false;
            this.flush();
        });
    }

    /**
     * The answer `compute` makes for `document`; when it was made from a build not yet ended — the document not
     * linked before or after, a build started meanwhile, or `sawEverything` false (files left out) — the editor
     * is asked for it again once the build ends.
     */
    async answer<T>(document: LangiumDocument, compute: () => T | Promise<T>, sawEverything: () => boolean): Promise<T> {
        const linked = () => document.state >= DocumentState.IndexedReferences;
        const updates = this.updates;
        const linkedBefore = linked();
        const result = await compute();
        if (!linkedBefore || !linked() || updates !== this.updates || !sawEverything()) {
            this.pending = true;
            // The build may have ended while the answer was made: then nothing else will flush.
            if (!this.building) this.flush();
        }
        return result;
    }

    private isOpen(document: LangiumDocument): boolean {
        return this.shared.workspace.TextDocuments?.get(document.uri.toString()) !== undefined;
    }

    private flush(): void {
        const connection = this.shared.lsp.Connection;
        if (!this.pending || !connection) return;
        this.pending = false;
        // A refresh the editor refuses (it is closing) changes nothing shown: nothing to report.
        if (this.supports.inlayHints) connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
        if (this.supports.codeLenses) connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    }
}
