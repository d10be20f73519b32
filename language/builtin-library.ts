/**
 * The built-in library: one `op` declaration per op name and alias, and the built-in functions, generated
 * from the op registry so that op names are ordinary cross-references (go to definition, completion, rename
 * protection) and the registry stays the one place an op is defined.
 */
import { URI, type LangiumDocument, type LangiumSharedCoreServices } from 'langium';
import { allOpNames, findOp } from './ops/registry.js';
import { BUILTIN_FUNCTIONS } from './elaboration/functions.js';

export const BUILTIN_LIBRARY_URI = URI.parse('builtin:///convnet-library.convnet');

export function builtinLibraryText(): string {
    return [
        '# ConvNet built-in library (generated from the op registry).',
        // An op without inputs (a `param` statement's) is made by the language, not called.
        ...allOpNames().filter(name => findOp(name)!.inputs.max > 0).map(name => `op ${name}`),
        ...Object.keys(BUILTIN_FUNCTIONS).map(name => `function ${name}`),
        '',
    ].join('\n');
}

export function isBuiltinDocument(uri: URI | string): boolean {
    return uri.toString() === BUILTIN_LIBRARY_URI.toString();
}

/** Adds the library document to the workspace once; every build then indexes it with the user's files. */
export function ensureBuiltinLibrary(shared: LangiumSharedCoreServices): LangiumDocument {
    const documents = shared.workspace.LangiumDocuments;
    if (documents.hasDocument(BUILTIN_LIBRARY_URI)) return documents.getDocument(BUILTIN_LIBRARY_URI)!;
    const document = shared.workspace.LangiumDocumentFactory.fromString(builtinLibraryText(), BUILTIN_LIBRARY_URI);
    documents.addDocument(document);
    return document;
}
