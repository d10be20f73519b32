/**
 * The folders' import rules (each folder's README.md): every relative import and every package import of the
 * hand-written sources is checked against the table below, so a forbidden dependency fails `npm test` — runtime
 * importing interchange, anything but the client importing `vscode`, the language touching the runtime.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './export-cases.js';

type Folder = 'language' | 'runtime' | 'io' | 'interchange' | 'server' | 'client' | 'cli';

/** What each folder may import (besides itself and Node's built-ins and the npm packages not listed below). */
const MAY_IMPORT: Record<Folder, readonly Folder[]> = {
    language: [],
    runtime: ['language'],
    io: ['language', 'runtime'],
    interchange: ['language', 'runtime', 'io'],
    server: ['language', 'runtime', 'io'],
    cli: ['language', 'runtime', 'io', 'interchange'],
    client: ['language', 'runtime', 'io', 'interchange', 'server'],
};

/** Narrow exceptions, each explained in the folder's README. */
const ALLOWED: readonly { from: RegExp; to: RegExp; why: string }[] = [
    { from: /^language\/node\//, to: /^io\/bounded-read\.ts$/, why: 'the Node loader refuses special files as every reader does' },
];

/** Packages only some folders may use. */
const PACKAGES: Record<string, readonly Folder[]> = {
    'vscode': ['client'],
    'vscode-languageclient': ['client'],
    'vscode-languageserver': ['server', 'client'],
    'onnx-proto': ['interchange'],
    'pngjs': ['io'],
    'jpeg-js': ['io'],
    'elkjs': ['language'],
};

const FOLDERS = Object.keys(MAY_IMPORT) as Folder[];

/** The hand-written TypeScript of a folder (the AssemblyScript kernels only when asked: they import nothing of ours). */
function sources(folder: string, options: { withAssembly?: boolean } = {}): string[] {
    const out: string[] = [];
    const skipped = ['generated', 'media', 'node_modules', 'fixtures', ...(options.withAssembly ? [] : ['assembly'])];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                if (!skipped.includes(entry.name) && !entry.name.startsWith('.')) walk(full);
            } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
                out.push(path.relative(ROOT, full));
            }
        }
    };
    walk(path.join(ROOT, folder));
    return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    return [...text.matchAll(IMPORT)].map(m => m[1] ?? m[2] ?? m[3]);
}

/** What is wrong with `file` (in `folder`) importing `spec`, or undefined when the rules allow it. */
function violation(folder: Folder, file: string, spec: string): string | undefined {
    if (spec.startsWith('.')) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec)).replace(/\.js$/, '.ts');
        const top = target.split(path.sep)[0] as Folder;
        if (top === folder || !FOLDERS.includes(top) || MAY_IMPORT[folder].includes(top)) return undefined;
        if (ALLOWED.some(a => a.from.test(file) && a.to.test(target))) return undefined;
        return `${file} imports ${target}`;
    }
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    const only = PACKAGES[name];
    return only && !only.includes(folder) ? `${file} imports the package ${spec} (only ${only.join(', ')} may)` : undefined;
}

describe('each folder imports only what its README allows', () => {
    it('finds the sources of every folder and their imports', () => {
        for (const folder of FOLDERS) expect(sources(folder).length, folder).toBeGreaterThan(0);
        expect(importsOf('cli/run.ts')).toContain('../io/bounded-read.js');
        expect(importsOf('client/extension.ts')).toContain('vscode');
    });

    it('the rules catch a forbidden import', () => {
        expect(violation('runtime', 'runtime/executor.ts', '../interchange/export/onnx.js')).toBe('runtime/executor.ts imports interchange/export/onnx.ts');
        expect(violation('language', 'language/validator.ts', '../runtime/tensor.js')).toBe('language/validator.ts imports runtime/tensor.ts');
        expect(violation('server', 'server/hover.ts', 'vscode')).toMatch(/imports the package vscode/);
        expect(violation('language', 'language/node/load-files.ts', '../../io/bounded-read.js')).toBeUndefined();
    });

    it.each(FOLDERS)('%s/', folder => {
        const problems = sources(folder).flatMap(file => importsOf(file).flatMap(spec => violation(folder, file, spec) ?? []));
        expect(problems).toEqual([]);
    });
});

describe('every file a source or README names exists', () => {
    // A comment that points to a file that is gone sends the reader nowhere (kernels.ts once cited a heap.ts).
    const NAMED = /(?<![\w./-])((?:language|runtime|io|interchange|server|client|cli|test|examples)\/[\w./-]*\w\.(?:json|ts|js|py|md|convnet|mjs|cjs|bin|langium|sh|html|css))(?![\w.])/g;
    const readable = [
        ...[...FOLDERS, 'test'].flatMap(folder => sources(folder, { withAssembly: true })),
        ...['README.md', ...FOLDERS.map(f => `${f}/README.md`)].filter(f => fs.existsSync(path.join(ROOT, f))),
    ];

    it('checks every source, the AssemblyScript kernels and the tests among them', () => {
        expect(readable).toContain('runtime/wasm/assembly/kernels.ts');
        expect(readable.length).toBeGreaterThan(200);
    });

    it('names only files that exist', () => {
        const missing = readable.flatMap(file => [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(NAMED)]
            .map(m => m[1]).filter(named => !fs.existsSync(path.join(ROOT, named))).map(named => `${file} names ${named}`));
        expect(missing).toEqual([]);
    });
});
