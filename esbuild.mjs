// Bundles the CLI, the language server and the extension with esbuild (CommonJS: Langium is ESM-only and
// VS Code loads extensions as CommonJS).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { buildWasmKernels } from './runtime/wasm/build.mjs';
import { webBuildOptions } from './esbuild-web.mjs';

// The WebAssembly kernels first: the bundles embed them (runtime/wasm/generated/kernels-wasm.ts).
await buildWasmKernels();

/**
 * elkjs (1.6 MB, the Graph view's layout) is a bundle of its own, out/elk.cjs, which the bundles beside it require on
 * the first layout (language/render/graph-layout.ts imports it dynamically). Inlined, it was two thirds of the
 * extension's bundle: the editor compiled it at every activation (~55 ms of V8's compile on this machine) though
 * most sessions never open the graph. Bundles in subfolders of out/ keep it inline (their relative path differs).
 */
const ELK = 'elkjs/lib/elk.bundled.js';
const elkBeside = {
    name: 'elk-beside',
    setup(build) {
        build.onResolve({ filter: /^elkjs\/lib\/elk\.bundled\.js$/ }, () => ({ path: './elk.cjs', external: true }));
    },
};

const entries = [
    { in: `node_modules/${ELK}`, out: 'elk', shipped: true },
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
    { in: 'test/bench/plain-memory.ts', out: 'bench-plain-memory' },
    // The speed benchmark loads its peers from node_modules at run time (native and WebAssembly binaries).
    { in: 'test/bench/speed.ts', out: 'bench-speed', external: ['onnxruntime-node', 'onnxruntime-web', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] },
    // Tests inside a real editor: the extension-host suite and its two launchers (see test/editor/run.ts).
    { in: 'test/editor/suite/index.ts', out: 'test/editor-suite', external: ['vscode'] },
    { in: 'test/editor/run.ts', out: 'editor-run', external: ['playwright-core'] },
    { in: 'test/editor/run-electron.ts', out: 'editor-run-electron', external: ['@vscode/test-electron'] },
    { in: 'test/editor/screenshots.ts', out: 'editor-screenshots', external: ['playwright-core'] },
    { in: 'test/editor/cold-start.ts', out: 'bench-editor-cold-start', external: ['playwright-core'] },
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
    plugins: entry.out.includes('/') || entry.out === 'elk' ? [] : [elkBeside],
    logLevel: 'warning',
    // Langium's ESM code reads import.meta.url; give the CommonJS bundle an equivalent.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
})));


// ---- the extension in the browser (the package's "browser" entry): see esbuild-web.mjs ----
const webEntries = [
    { in: 'client/web/extension.ts', out: 'web/extension.cjs', format: 'cjs', external: ['vscode'] },
    { in: 'server/browser.ts', out: 'web/server.js', format: 'iife' },
    { in: 'client/web/run-worker.ts', out: 'web/run-worker.js', format: 'iife' },
    // The browser's extension-host tests (test/editor/web-suite.ts, loaded by test/editor/run.ts's web phase).
    { in: 'test/editor/web-suite.ts', out: 'test/editor-web-suite.cjs', format: 'cjs', external: ['vscode'], test: true },
    // A test-only web extension loaded beside it: the in-memory file system its workspace is opened from.
    { in: 'test/editor/virtual-workspace.ts', out: 'test/editor-virtual-workspace.cjs', format: 'cjs', external: ['vscode'], test: true },
];
await Promise.all(webEntries.filter(entry => fs.existsSync(entry.in)).map(entry => esbuild.build(webBuildOptions(entry))));
if (process.argv.includes('--sizes')) {
    for (const entry of webEntries) console.log(`out/${entry.out}\t${(fs.statSync(`out/${entry.out}`).size / 1024).toFixed(0)} KiB`);
}
