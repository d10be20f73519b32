// How esbuild.mjs bundles the extension for the browser (package.json "browser"): the client in the web extension
// host, the language server and a run in web workers. Node's built-ins have no place there: the few the shared
// code uses map to small web versions (client/web/shims), a language/node module to its language/web twin, and
// anything else fails the build, naming the file that imported it (test/web-bundle.test.ts checks).
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const ROOT = path.dirname(new URL(import.meta.url).pathname);
const WEB_SHIMS = {
    path: 'client/web/shims/path.ts',
    os: 'client/web/shims/os.ts',
    worker_threads: 'client/web/shims/worker-threads.ts',
};
/** Modules of the project replaced by their web versions (they read or write the disk, or read the machine's CPU times). */
const WEB_REPLACED = [
    { from: /\/io\/bounded-read(\.js|\.ts)?$/, to: 'client/web/shims/bounded-read.ts' },
    { from: /\/io\/safe-write(\.js|\.ts)?$/, to: 'client/web/shims/safe-write.ts' },
    { from: /\/runtime\/wasm\/machine-busy(\.js|\.ts)?$/, to: 'client/web/shims/machine-busy.ts' },
];
const nodeBuiltins = new Set(builtinModules.flatMap(name => [name, `node:${name}`]));

export const webPlatform = {
    name: 'web-platform',
    setup(build) {
        build.onResolve({ filter: /.*/ }, args => {
            if (args.kind === 'entry-point') return undefined;
            if (nodeBuiltins.has(args.path)) {
                const shim = WEB_SHIMS[args.path.replace(/^node:/, '')];
                if (shim) return { path: path.join(ROOT, shim) };
                return { errors: [{ text: `the web bundle cannot use Node's built-in '${args.path}' (imported by ${path.relative(ROOT, args.importer)}); give it a web version in client/web/shims or keep it out of the browser's code` }] };
            }
            if (args.path === 'pngjs') return { path: path.join(ROOT, 'node_modules/pngjs/browser.js') };
            if (!args.path.startsWith('.')) return undefined;
            const posix = path.resolve(args.resolveDir, args.path).split(path.sep).join('/');
            const replaced = WEB_REPLACED.find(r => r.from.test(posix));
            if (replaced) return { path: path.join(ROOT, replaced.to) };
            // language/node/X reads the disk: the browser gets language/web/X, which must exist.
            const nodeAdapter = /\/language\/node\/([^/]+?)(\.js|\.ts)?$/.exec(posix);
            if (nodeAdapter) {
                const web = path.join(ROOT, 'language', 'web', `${nodeAdapter[1]}.ts`);
                if (fs.existsSync(web)) return { path: web };
                return { errors: [{ text: `the web bundle cannot use language/node/${nodeAdapter[1]} (imported by ${path.relative(ROOT, args.importer)}); write its web version language/web/${nodeAdapter[1]}.ts or keep it out of the browser's code` }] };
            }
            return undefined;
        });
    },
};

/** esbuild's options for one web bundle: `{ in, out (under out/), format: 'cjs' | 'iife', external?, test? }`. */
export function webBuildOptions(entry) {
    return {
        entryPoints: [entry.in],
        outfile: path.join(ROOT, 'out', entry.out),
        bundle: true,
        platform: 'browser',
        // What VS Code for the web runs on: evergreen browsers.
        target: 'es2022',
        format: entry.format,
        sourcemap: true,
        minify: entry.test !== true,
        keepNames: entry.test !== true,
        external: entry.external ?? [],
        logLevel: 'warning',
        plugins: [webPlatform],
        // `Buffer` (base64 of the WebAssembly kernels, pngjs) from the npm package.
        inject: [path.join(ROOT, 'client/web/shims/buffer-global.ts')],
        define: { 'import.meta.url': '""', 'process.env.NODE_ENV': '"production"' },
    };
}
