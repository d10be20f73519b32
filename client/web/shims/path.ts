/**
 * The part of `node:path` the shared client code uses (names of files for messages, a default folder, the training
 * script's path to its module), on the POSIX separator: in the browser, paths are the path parts of workspace URIs.
 * The web bundles map `node:path` here (esbuild.mjs).
 */
export const sep = '/';

export function basename(file: string, extension?: string): string {
    const trimmed = file.replace(/\/+$/, '');
    const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    return extension && base.endsWith(extension) && base !== extension ? base.slice(0, -extension.length) : base;
}

export function dirname(file: string): string {
    const trimmed = file.replace(/\/+$/, '');
    const at = trimmed.lastIndexOf('/');
    if (at < 0) return '.';
    return at === 0 ? '/' : trimmed.slice(0, at);
}

export function extname(file: string): string {
    const base = basename(file);
    const at = base.lastIndexOf('.');
    return at <= 0 ? '' : base.slice(at);
}

export function join(...parts: string[]): string {
    return parts.filter(p => p.length > 0).join('/').replace(/\/{2,}/g, '/') || '.';
}

/** `/a/b/../c` → `/a/c`; a relative path is taken from the root (there is no current folder in the browser). */
export function resolve(...parts: string[]): string {
    let joined = '';
    for (const part of parts) joined = part.startsWith('/') ? part : `${joined}/${part}`;
    const segments: string[] = [];
    for (const segment of joined.split('/')) {
        if (segment === '' || segment === '.') continue;
        if (segment === '..') segments.pop();
        else segments.push(segment);
    }
    return `/${segments.join('/')}`;
}

/** The path from folder `from` to `to` (both resolved first): `relative('/a/b', '/a/c/d')` is `../c/d`. */
export function relative(from: string, to: string): string {
    const a = resolve(from).split('/').filter(Boolean);
    const b = resolve(to).split('/').filter(Boolean);
    let common = 0;
    while (common < a.length && common < b.length && a[common] === b[common]) common++;
    return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

export default { sep, basename, dirname, extname, join, resolve, relative };
