/** Wires the language's services (Langium dependency injection). */
import {
    inject, type LangiumCoreServices, type LangiumSharedCoreServices, type Module, type PartialLangiumCoreServices, type DefaultSharedCoreModuleContext,
    createDefaultCoreModule, createDefaultSharedCoreModule,
} from 'langium';
import { ConvNetGeneratedModule, ConvNetGeneratedSharedModule } from './generated/module.js';
import { ConvNetScopeProvider } from './scope-provider.js';
import { ConvNetLinker } from './linker.js';
import { registerValidationChecks } from './validator.js';
import { NetworkAnalyzer } from './analysis/network-analyzer.js';
import { LayerLookup } from './analysis/layer-lookup.js';
import { DeviceRegistry } from './analysis/devices.js';
import { ConvNetScopeComputation } from './scope-computation.js';
import { ConvNetLexer } from './lexer.js';
import { ConvNetTokenBuilder, ConvNetValueConverter } from './name-tokens.js';
import { createConvNetParser } from './parser.js';
import { ConvNetLexerErrorMessageProvider, ConvNetParserErrorMessageProvider } from './parser-messages.js';
import { ConvNetDocumentValidator } from './document-validator.js';
import { UnreadableFiles } from './unreadable-files.js';
import { ConvNetReferences } from './references.js';

export interface ConvNetAddedServices {
    analysis: {
        NetworkAnalyzer: NetworkAnalyzer;
        LayerLookup: LayerLookup;
        /** The device profiles latency budgets are checked on. */
        Devices: DeviceRegistry;
    };
    files: {
        UnreadableFiles: UnreadableFiles;
    };
}

export type ConvNetServices = LangiumCoreServices & ConvNetAddedServices;

export const ConvNetModule: Module<ConvNetServices, PartialLangiumCoreServices & ConvNetAddedServices> = {
    parser: {
        TokenBuilder: () => new ConvNetTokenBuilder(),
        ValueConverter: () => new ConvNetValueConverter(),
        Lexer: services => new ConvNetLexer(services),
        LangiumParser: services => createConvNetParser(services),
        ParserErrorMessageProvider: () => new ConvNetParserErrorMessageProvider(),
        LexerErrorMessageProvider: () => new ConvNetLexerErrorMessageProvider(),
    },
    references: {
        ScopeProvider: services => new ConvNetScopeProvider(services),
        ScopeComputation: services => new ConvNetScopeComputation(services),
        Linker: services => new ConvNetLinker(services),
        References: services => new ConvNetReferences(services),
    },
    validation: {
        DocumentValidator: services => new ConvNetDocumentValidator(services),
    },
    analysis: {
        NetworkAnalyzer: services => new NetworkAnalyzer(services.shared),
        LayerLookup: services => new LayerLookup(services.shared, () => services.analysis.NetworkAnalyzer),
        Devices: () => new DeviceRegistry(),
    },
    files: {
        UnreadableFiles: () => new UnreadableFiles(),
    },
};

/** Services without an editor: for the CLI, tests and the runtime's front end. */
export function createConvNetServices(context: DefaultSharedCoreModuleContext): { shared: LangiumSharedCoreServices; ConvNet: ConvNetServices } {
    const shared = inject(createDefaultSharedCoreModule(context), ConvNetGeneratedSharedModule);
    const ConvNet = inject(createDefaultCoreModule({ shared }), ConvNetGeneratedModule, ConvNetModule);
    shared.ServiceRegistry.register(ConvNet);
    registerValidationChecks(ConvNet);
    return { shared, ConvNet };
}
