/**
 * The part of `node:path` the shared client code uses (names of files for messages, a default folder), on the
 * POSIX separator: in the browser, paths are the path parts of workspace URIs. The web bundles map `node:path`
 * here (esbuild.mjs).
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

export default { sep, basename, dirname, extname, join };
