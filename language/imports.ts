/** Where an `import "./blocks.convnet"` points, relative to the importing file. */
import { URI, UriUtils } from 'langium';
import type { Model } from './generated/ast.js';

export function resolveImportUri(importer: URI, path: string): URI {
    const withExtension = path.endsWith('.convnet') ? path : `${path}.convnet`;
    return UriUtils.resolvePath(UriUtils.dirname(importer), withExtension);
}

export function importedUris(model: Model, documentUri: URI): URI[] {
    return model.imports.filter(i => i.path).map(i => resolveImportUri(documentUri, i.path));
}
