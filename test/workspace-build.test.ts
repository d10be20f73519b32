/**
 * The workspace's build puts the editor's open files first (server/open-first-builder.ts), and a file that cannot
 * be read when it is built leaves the others building (server/services.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentState, EmptyFileSystemProvider, URI, type FileSystemNode, type FileSystemProvider } from 'langium';
import { LspSession, ROOT } from './lsp-client.js';
import { createConvNetLspServices } from '../server/services.js';
import type { Model } from '../language/generated/ast.js';

const EXAMPLES = path.join(ROOT, 'examples');
const OPENED = 'se_resnet.convnet'; // imports ./blocks/squeeze_excitation.convnet
const temporary: string[] = [];
afterAll(() => { for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true }); });

function workspaceWith(extraCopies: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-workspace-build-'));
    temporary.push(dir);
    fs.cpSync(EXAMPLES, dir, { recursive: true });
    const resnet50 = fs.readFileSync(path.join(EXAMPLES, 'resnet50.convnet'), 'utf8');
    for (let i = 0; i < extraCopies; i++) fs.writeFileSync(path.join(dir, `copy${i}.convnet`), resnet50);
    return dir;
}

/** Milliseconds from the server's start to the opened file's first diagnostics, and those diagnostics. */
async function openAtStart(workspace: string): Promise<{ ms: number; errors: string[]; publishedBefore: number }> {
    const start = performance.now();
    const session = await LspSession.start(workspace);
    try {
        const file = path.join(workspace, OPENED);
        const diagnostics = await session.open(file, fs.readFileSync(file, 'utf8'));
        const ms = performance.now() - start;
        return { ms, errors: diagnostics.filter(d => d.severity === 1).map(d => (typeof d.message === 'string' ? d.message : d.message.value)), publishedBefore: session.firstPublished.indexOf(session.firstPublished.find(u => u.endsWith(OPENED))!) };
    } finally {
        await session.stop();
    }
}

describe('a file opened while the workspace is built', () => {
    it('is checked, with its imports, before the other files are read: as soon in a workspace of 300 more files as in one of the examples', async () => {
        await openAtStart(workspaceWith(0)); // warm the disk cache and the node binary
        const small = await openAtStart(workspaceWith(0));
        const large = await openAtStart(workspaceWith(300));
        // Its import resolved in the first pass: no "cannot find" or unknown block.
        expect(small.errors).toEqual([]);
        expect(large.errors).toEqual([]);
        expect(large.publishedBefore).toBe(0);
        // Read, parsed and linked phase by phase with the examples it took 1.1 s, with 200 ResNet-50s more 3.0 s
        // (Langium's build order); first, 0.42 s in both. A wide margin: the machine is shared.
        expect(large.ms).toBeLessThan(small.ms * 1.6 + 100);
    }, 120_000);
});

describe('a file that cannot be read when the workspace is built', () => {
    it('is an empty document: the others are built, and an import of it says it could not be read', async () => {
        const files = new Map<string, string>([
            ['/ws/main.convnet', 'import "./gone.convnet"\nnetwork Main(input: [1, 3, 8, 8]) {\n  return input -> conv(4, kernel: 3, padding: 1)\n}\n'],
            ['/ws/gone.convnet', ''],
        ]);
        // Listed when the workspace is read, gone when it is built.
        const fileSystem: FileSystemProvider = Object.assign(new EmptyFileSystemProvider(), {
            readDirectory: async (): Promise<FileSystemNode[]> => [...files.keys()].map(f => ({ isFile: true, isDirectory: false, uri: URI.file(f) })),
            readFile: async (uri: URI): Promise<string> => {
                if (uri.path.endsWith('gone.convnet')) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${uri.fsPath}'`), { code: 'ENOENT' });
                return files.get(uri.path) ?? '';
            },
        });
        const { shared } = createConvNetLspServices({ fileSystemProvider: () => fileSystem });
        await shared.workspace.WorkspaceManager.initializeWorkspace([{ name: 'ws', uri: URI.file('/ws').toString() }]);
        const main = shared.workspace.LangiumDocuments.getDocument(URI.file('/ws/main.convnet'))!;
        await shared.workspace.DocumentBuilder.build([main], { validation: true }); // as opening it in the editor does
        expect(main.diagnostics?.map(d => d.message)).toEqual(["cannot read './gone.convnet': it was deleted while the workspace was read"]);
        const gone = shared.workspace.LangiumDocuments.getDocument(URI.file('/ws/gone.convnet'))!;
        expect(gone.state).toBeGreaterThanOrEqual(DocumentState.IndexedReferences);
        expect((gone.parseResult.value as Model).declarations).toEqual([]);
    });
});
