/** Language services with the editor features (LSP) on top of the core language module. */
import {
    createDefaultModule, createDefaultSharedModule, DefaultDocumentUpdateHandler,
    type DefaultSharedModuleContext, type LangiumServices, type LangiumSharedServices, type PartialLangiumServices,
} from 'langium/lsp';
import type { TextDocumentChangeEvent } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { ConvNetHoverProvider } from './hover.js';
import { ConvNetInlayHintProvider } from './inlay-hints.js';
import { ConvNetCodeLensProvider } from './code-lens.js';
import { ConvNetDocumentSymbolProvider } from './document-symbols.js';
import { ConvNetSemanticTokenProvider } from './semantic-tokens.js';
import { ConvNetCompletionProvider } from './completion.js';
import { ConvNetSignatureHelpProvider } from './signature-help.js';
import { ConvNetFormatter } from './formatter.js';
import { ConvNetCodeActionProvider } from './code-actions.js';
import { ConvNetRenameProvider } from './rename.js';
import {
    DefaultLangiumDocumentFactory, DefaultWorkspaceManager, DocumentState, inject, URI,
    type AstNode, type LangiumDocument, type LangiumDocumentFactory, type LangiumSharedCoreServices, type Module, type Mutable, type Stream, type WorkspaceFolder,
} from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { OpenFirstDocumentBuilder } from './open-first-builder.js';
import { ViewRefresh } from './view-refresh.js';
import { ConvNetGeneratedModule, ConvNetGeneratedSharedModule, ConvNetLanguageMetaData } from '../language/generated/module.js';
import { ConvNetModule, type ConvNetAddedServices } from '../language/convnet-module.js';
import { registerValidationChecks } from '../language/validator.js';
import { builtinLibraryText, BUILTIN_LIBRARY_URI } from '../language/builtin-library.js';

interface ConvNetEditorServices {
    editor: { ViewRefresh: ViewRefresh };
}

export type ConvNetLspServices = LangiumServices & ConvNetAddedServices & ConvNetEditorServices;

/** The editor features; everything else comes from the core language module. */
const ConvNetLspModule: Module<ConvNetLspServices, PartialLangiumServices & ConvNetEditorServices> = {
    // The shipped server skips the parser generator's checks of the grammar (ambiguities, left recursion) when it
    // builds its parser at start-up (57 → 44 ms of a 370 ms start measured alone). The unit tests build the parser
    // with them (the language/ services).
    LanguageMetaData: () => ({ ...ConvNetLanguageMetaData, mode: 'production' }),
    lsp: {
        HoverProvider: services => new ConvNetHoverProvider(services),
        InlayHintProvider: services => new ConvNetInlayHintProvider(services),
        CodeLensProvider: services => new ConvNetCodeLensProvider(services),
        DocumentSymbolProvider: services => new ConvNetDocumentSymbolProvider(services),
        SemanticTokenProvider: services => new ConvNetSemanticTokenProvider(services),
        CompletionProvider: services => new ConvNetCompletionProvider(services),
        SignatureHelp: () => new ConvNetSignatureHelpProvider(),
        Formatter: () => new ConvNetFormatter(),
        CodeActionProvider: services => new ConvNetCodeActionProvider(services),
        RenameProvider: services => new ConvNetRenameProvider(services),
    },
    editor: { ViewRefresh: services => new ViewRefresh(services.shared) },
};

/**
 * Adds the built-in op library to the workspace before the user's files are indexed, and leaves the workspace's
 * files unread until they are built: Langium reads and parses every file before it starts building, all at once
 * and uninterruptibly, so a file opened meanwhile waited for all of them (~0.7 s for the 28 examples on a loaded
 * 2-core machine). Unread, they are parsed in the build's first phase, which gives way to the open files
 * (./open-first-builder.ts).
 */
class ConvNetWorkspaceManager extends DefaultWorkspaceManager {
    private readonly documentFactory: LangiumDocumentFactory;

    constructor(services: LangiumSharedCoreServices) {
        super(services);
        this.documentFactory = services.workspace.LangiumDocumentFactory;
    }

    protected override async loadAdditionalDocuments(folders: WorkspaceFolder[], collector: (document: LangiumDocument) => void): Promise<void> {
        await super.loadAdditionalDocuments(folders, collector);
        collector(this.documentFactory.fromString(builtinLibraryText(), BUILTIN_LIBRARY_URI));
    }

    protected override async loadWorkspaceDocuments(uris: Stream<URI>, collector: (document: LangiumDocument) => void): Promise<void> {
        for (const uri of uris) {
            // As Langium's DocumentBuilder.update does for a file it has not seen: a document to be read and parsed.
            const unread = this.documentFactory.fromModel({ $type: 'INVALID' } as AstNode, uri);
            unread.state = DocumentState.Changed;
            collector(unread);
        }
    }
}

/**
 * A file that cannot be read when it is built (deleted since the workspace was listed, unreadable) is an empty
 * document, recorded as unreadable so an import of it says why: Langium's factory throws, which ends the whole
 * workspace's build, for every file, at every keystroke, until the file is back.
 */
class ConvNetDocumentFactory extends DefaultLangiumDocumentFactory {
    protected override async getUpdatedText<T extends AstNode>(document: Mutable<LangiumDocument<T>>, textDocument: TextDocument | undefined, cancelToken: CancellationToken): Promise<string> {
        const services = this.serviceRegistry.getServices(document.uri) as unknown as Partial<ConvNetAddedServices>;
        try {
            const text = await super.getUpdatedText(document, textDocument, cancelToken);
            services.files?.UnreadableFiles.forget(document.uri.toString());
            return text;
        } catch (e) {
            // The reason without the error's text, which names the absolute path.
            const missing = (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
            services.files?.UnreadableFiles.record(document.uri.toString(), missing ? 'it was deleted while the workspace was read' : 'it could not be read');
            return '';
        }
    }
}

/**
 * Forgets a document that exists only in the editor (an untitled one) when it is closed. Langium keeps every
 * document it was sent; a closed untitled one would linger in the index (its networks and blocks visible to other
 * files) and, having no file extension, make the next workspace update fail to find its language — which ended
 * the server.
 */
class ConvNetDocumentUpdateHandler extends DefaultDocumentUpdateHandler {
    didCloseDocument(event: TextDocumentChangeEvent<TextDocument>): void {
        // Only an untitled document: a file of another scheme (the browser's vscode-remote or vscode-vfs) stays
        // in the workspace when its editor closes.
        const uri = URI.parse(event.document.uri);
        if (uri.scheme === 'untitled') this.fireDocumentUpdate([], [uri]);
    }
}

export function createConvNetLspServices(context: DefaultSharedModuleContext): { shared: LangiumSharedServices; ConvNet: ConvNetLspServices } {
    const shared = inject(createDefaultSharedModule(context), ConvNetGeneratedSharedModule, {
        workspace: {
            WorkspaceManager: services => new ConvNetWorkspaceManager(services),
            DocumentBuilder: services => new OpenFirstDocumentBuilder(services),
            LangiumDocumentFactory: services => new ConvNetDocumentFactory(services),
        },
        lsp: { DocumentUpdateHandler: services => new ConvNetDocumentUpdateHandler(services) },
    });
    const ConvNet = inject(createDefaultModule({ shared }), ConvNetGeneratedModule, ConvNetModule, ConvNetLspModule) as ConvNetLspServices;
    shared.ServiceRegistry.register(ConvNet);
    registerValidationChecks(ConvNet);
    // Made now, not when a provider first asks: it must hear the client's capabilities at initialize.
    void ConvNet.editor.ViewRefresh;
    return { shared, ConvNet };
}
