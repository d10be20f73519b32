/**
 * The extension's browser bundles (esbuild.mjs, package.json `browser`): they carry no Node built-in, the build
 * refuses one that sneaks in, and the web versions of Node-side modules keep the desktop's limits.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { basename, dirname, extname, join } from '../client/web/shims/path.js';

const ROOT = path.resolve(__dirname, '..');
const WEB_BUNDLES = ['out/web/extension.cjs', 'out/web/server.js', 'out/web/run-worker.js'];

describe('web bundles', () => {
    it('package.json names the browser entry, and the .vsix ships the web bundles', () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { browser?: string };
        expect(manifest.browser).toBe('./out/web/extension.cjs');
        const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
        for (const bundle of WEB_BUNDLES) expect(ignore).toContain(`!${bundle}`);
    });

    it('no web bundle imports a Node built-in: esbuild\'s own record of every import ', () => {
        // The bundles' text cannot say it (the thread pool's worker source mentions node:worker_threads in a string).
        const script = `
            import * as esbuild from 'esbuild';
            import { webBuildOptions } from ${JSON.stringify(path.join(ROOT, 'esbuild-web.mjs'))};
            const entries = [['client/web/extension.ts', 'cjs', ['vscode']], ['server/browser.ts', 'iife', []], ['client/web/run-worker.ts', 'iife', []]];
            const imports = {};
            for (const [entry, format, external] of entries) {
                const result = await esbuild.build({ ...webBuildOptions({ in: entry, out: 'unused', format, external }), write: false, metafile: true, logLevel: 'silent' });
                imports[entry] = Object.values(result.metafile.inputs).flatMap(input => input.imports.filter(i => i.external && i.path !== '<runtime>' && !i.path.startsWith('/')).map(i => i.path));
            }
            console.log(JSON.stringify(imports));
        `;
        const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
        expect(result.status, result.stderr).toBe(0);
        const imports = JSON.parse(result.stdout) as Record<string, string[]>;
        // (A type-only import esbuild drops is listed as external too: `import type { AstNode } from 'langium'`.)
        expect(imports['client/web/extension.ts']).toContain('vscode');
        expect(imports['client/web/run-worker.ts']).not.toContain('vscode');
        const builtin = new Set(builtinModules.flatMap(name => [name, `node:${name}`]));
        for (const bundle of WEB_BUNDLES) expect(fs.existsSync(path.join(ROOT, bundle)), `${bundle} is built by node esbuild.mjs`).toBe(true);
        expect(Object.values(imports).flat().filter(i => builtin.has(i))).toEqual([]);
    }, 60_000);

    it('the build fails, naming the file, when browser code imports a Node built-in', () => {
        // The same esbuild configuration on a scratch entry that imports node:fs.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-web-'));
        const entry = path.join(dir, 'entry.ts');
        fs.writeFileSync(entry, "import * as fs from 'node:fs';\nexport const exists = fs.existsSync('x');\n");
        const script = `
            import * as esbuild from 'esbuild';
            import { webBuildOptions } from ${JSON.stringify(path.join(ROOT, 'esbuild-web.mjs'))};
            await esbuild.build({ ...webBuildOptions({ in: ${JSON.stringify(entry)}, out: 'unused', format: 'cjs' }), write: false, logLevel: 'silent' });
        `;
        const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
        fs.rmSync(dir, { recursive: true, force: true });
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/the web bundle cannot use Node's built-in 'node:fs' \(imported by .*entry\.ts\)/);
    });

    it('the web path functions agree with node:path on POSIX paths', () => {
        for (const p of ['/a/b/c.safetensors', 'c.npy', '/a/b/', '/x', 'a/b.c/d']) {
            expect(basename(p)).toBe(path.posix.basename(p));
            expect(dirname(p)).toBe(path.posix.dirname(p));
            expect(extname(p)).toBe(path.posix.extname(p));
        }
        expect(basename('/a/w.safetensors', '.safetensors')).toBe('w');
        expect(join('/a', 'b', 'c.svg')).toBe(path.posix.join('/a', 'b', 'c.svg'));
    });
});
