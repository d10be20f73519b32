/** Where an `import "./blocks.convnet"` points, relative to the importing file. */
import { URI, UriUtils } from 'langium';
import type { Model } from './generated/ast.js';

/** A lone UTF-16 surrogate cannot be encoded in a URI (or a file name): one would make every URI operation throw. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `path` can name a file at all; the validator says why not where it cannot. */
export function isUsableImportPath(path: string): boolean {
    return !LONE_SURROGATE.test(path) && !path.includes('\0');
}

/** The imported file's URI, or undefined for a path that cannot name a file. */
export function resolveImportUri(importer: URI, path: string): URI | undefined {
    if (!isUsableImportPath(path)) return undefined;
    const withExtension = path.endsWith('.convnet') ? path : `${path}.convnet`;
    return UriUtils.resolvePath(UriUtils.dirname(importer), withExtension);
}

export function importedUris(model: Model, documentUri: URI): URI[] {
    return model.imports.flatMap(i => {
        const uri = i.path ? resolveImportUri(documentUri, i.path) : undefined;
        return uri ? [uri] : [];
    });
}
