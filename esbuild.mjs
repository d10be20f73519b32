// Bundles the CLI, the language server and the extension with esbuild (CommonJS: Langium is ESM-only and
// VS Code loads extensions as CommonJS).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { buildWasmKernels } from './runtime/wasm/build.mjs';

// The WebAssembly kernels first: the bundles embed them (runtime/wasm/generated/kernels-wasm.ts).
await buildWasmKernels();

const entries = [
    { in: 'cli/main.ts', out: 'cli' },
    // What the .vsix ships is minified (its source maps stay out of the package: .vscodeignore).
    { in: 'server/main.ts', out: 'server', shipped: true },
    { in: 'client/extension.ts', out: 'extension', external: ['vscode'], shipped: true },
    { in: 'client/run/worker.ts', out: 'run-worker', shipped: true },
    { in: 'client/export/worker.ts', out: 'export-worker', shipped: true },
    { in: 'client/compare/worker.ts', out: 'compare-worker', shipped: true },
    { in: 'test/bench/language.ts', out: 'bench-language' },
    { in: 'test/bench/server.ts', out: 'bench-server' },
    { in: 'test/bench/scale.ts', out: 'bench-scale' },
    { in: 'test/bench/roofline.ts', out: 'bench-roofline' },
    { in: 'test/bench/thresholds.ts', out: 'bench-thresholds' },
    // The speed benchmark loads its peers from node_modules at run time (native and WebAssembly binaries).
    { in: 'test/bench/speed.ts', out: 'bench-speed', external: ['onnxruntime-node', 'onnxruntime-web', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] },
    // Tests inside a real editor: the extension-host suite and its two launchers (see test/editor/run.ts).
    { in: 'test/editor/suite/index.ts', out: 'test/editor-suite', external: ['vscode'] },
    { in: 'test/editor/run.ts', out: 'editor-run', external: ['playwright-core'] },
    { in: 'test/editor/run-electron.ts', out: 'editor-run-electron', external: ['@vscode/test-electron'] },
];

await Promise.all(entries.filter(entry => fs.existsSync(entry.in)).map(entry => esbuild.build({
    entryPoints: [entry.in],
    outfile: `out/${entry.out}.cjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // Names kept: a bug report's stack and `--debug` still say which function failed.
    minify: entry.shipped === true,
    keepNames: entry.shipped === true,
    external: entry.external ?? [],
    logLevel: 'warning',
    // Langium's ESM code reads import.meta.url; give the CommonJS bundle an equivalent.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
})));

// ---- the extension in the browser (the package's "browser" entry) ----
// The client in the web extension host, the language server and a run in web workers. Node's built-ins have no
// place there: the few the shared code uses map to small web versions (client/web/shims), any other fails the
// build, naming the file that imported it.
const WEB_SHIMS = {
    path: 'client/web/shims/path.ts',
    os: 'client/web/shims/os.ts',
    worker_threads: 'client/web/shims/worker-threads.ts',
};
/** Modules of the project replaced by their web versions (they read or write the disk). */
const WEB_REPLACED = [
    { from: /(^|\/)io\/bounded-read\.(js|ts)$/, to: 'client/web/shims/bounded-read.ts' },
    { from: /(^|\/)io\/safe-write\.(js|ts)$/, to: 'client/web/shims/safe-write.ts' },
];
const { builtinModules } = await import('node:module');
const path = await import('node:path');
const nodeBuiltins = new Set(builtinModules.flatMap(name => [name, `node:${name}`]));
const webPlatform = {
    name: 'web-platform',
    setup(build) {
        build.onResolve({ filter: /.*/ }, args => {
            if (args.kind === 'entry-point') return undefined;
            const bare = args.path.replace(/^node:/, '');
            if (nodeBuiltins.has(args.path)) {
                const shim = WEB_SHIMS[bare];
                if (shim) return { path: path.resolve(shim) };
                return { errors: [{ text: `the web bundle cannot use Node's built-in '${args.path}' (imported by ${path.relative('.', args.importer)}); give it a web version in client/web/shims or keep it out of the browser's code` }] };
            }
            if (args.path === 'pngjs') return { path: path.resolve('node_modules/pngjs/browser.js') };
            if (args.path.startsWith('.')) {
                const resolved = path.resolve(args.resolveDir, args.path);
                const posix = resolved.split(path.sep).join('/');
                const replaced = WEB_REPLACED.find(r => r.from.test(posix));
                if (replaced) return { path: path.resolve(replaced.to) };
                // language/node/X reads the disk: the browser gets language/web/X, which must exist.
                const nodeAdapter = /\/language\/node\/([^/]+?)(\.js|\.ts)?$/.exec(posix);
                if (nodeAdapter) {
                    const web = path.resolve('language', 'web', `${nodeAdapter[1]}.ts`);
                    if (fs.existsSync(web)) return { path: web };
                    return { errors: [{ text: `the web bundle cannot use language/node/${nodeAdapter[1]} (imported by ${path.relative('.', args.importer)}); write its web version language/web/${nodeAdapter[1]}.ts or keep it out of the browser's code` }] };
                }
            }
            return undefined;
        });
    },
};
const webEntries = [
    { in: 'client/web/extension.ts', out: 'web/extension.cjs', format: 'cjs', external: ['vscode'] },
    { in: 'server/browser.ts', out: 'web/server.js', format: 'iife' },
    { in: 'client/web/run-worker.ts', out: 'web/run-worker.js', format: 'iife' },
    // The browser's extension-host tests (test/editor/web-suite.ts, loaded by test/editor/run.ts's web phase).
    { in: 'test/editor/web-suite.ts', out: 'test/editor-web-suite.cjs', format: 'cjs', external: ['vscode'], test: true },
];
const webResults = await Promise.all(webEntries.filter(entry => fs.existsSync(entry.in)).map(entry => esbuild.build({
    entryPoints: [entry.in],
    outfile: `out/${entry.out}`,
    bundle: true,
    platform: 'browser',
    // What current VS Code for the web runs on: evergreen browsers.
    target: 'es2022',
    format: entry.format,
    sourcemap: true,
    minify: entry.test !== true,
    keepNames: entry.test !== true,
    external: entry.external ?? [],
    logLevel: 'warning',
    metafile: true,
    plugins: [webPlatform],
    inject: ['client/web/shims/buffer-global.ts'],
    define: { 'import.meta.url': '""', 'process.env.NODE_ENV': '"production"' },
}).then(result => ({ entry, result }))));
if (process.argv.includes('--sizes')) {
    for (const { entry } of webResults) console.log(`out/${entry.out}\t${(fs.statSync(`out/${entry.out}`).size / 1024).toFixed(0)} KiB`);
}
