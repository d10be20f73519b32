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
import { DefaultWorkspaceManager, inject, URI, type Module, type LangiumDocument, type LangiumDocumentFactory, type LangiumSharedCoreServices, type WorkspaceFolder } from 'langium';
import { ConvNetGeneratedModule, ConvNetGeneratedSharedModule } from '../language/generated/module.js';
import { ConvNetModule, type ConvNetAddedServices } from '../language/convnet-module.js';
import { registerValidationChecks } from '../language/validator.js';
import { builtinLibraryText, BUILTIN_LIBRARY_URI } from '../language/builtin-library.js';

export type ConvNetLspServices = LangiumServices & ConvNetAddedServices;

/** The editor features; everything else comes from the core language module. */
const ConvNetLspModule: Module<ConvNetLspServices, PartialLangiumServices> = {
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
};

/** Adds the built-in op library to the workspace before the user's files are indexed. */
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
        workspace: { WorkspaceManager: services => new ConvNetWorkspaceManager(services) },
        lsp: { DocumentUpdateHandler: services => new ConvNetDocumentUpdateHandler(services) },
    });
    const ConvNet = inject(createDefaultModule({ shared }), ConvNetGeneratedModule, ConvNetModule, ConvNetLspModule) as ConvNetLspServices;
    shared.ServiceRegistry.register(ConvNet);
    registerValidationChecks(ConvNet);
    return { shared, ConvNet };
}
