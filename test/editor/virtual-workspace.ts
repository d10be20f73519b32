/**
 * A test-only web extension (never shipped): a read/write in-memory file system for the scheme
 * `convnet-test-vfs`, so that the web phase of test/editor/run.ts opens its workspace as vscode.dev opens a GitHub
 * repository — a folder on a virtual file system the extension knows only through `vscode.workspace.fs`
 * (`?folder=convnet-test-vfs:/workspace`), neither `file:` nor the server's `vscode-remote:`.
 *
 * The launcher puts the files in `seed/` beside this bundle (a link to the test profile's workspace: a copy of
 * examples/ and the web fixtures); the first call after activation copies them into memory. Writes (the exports)
 * stay in memory. Activated by `onFileSystem:convnet-test-vfs`: the workbench activates it before it reads the folder.
 */
import * as vscode from 'vscode';

export const SCHEME = 'convnet-test-vfs';
/** The folder the web phase opens: `convnet-test-vfs:/workspace`. */
const ROOT_FOLDER = '/workspace';

type Entry = { type: vscode.FileType.File; data: Uint8Array; ctime: number; mtime: number } | { type: vscode.FileType.Directory; ctime: number; mtime: number };

class MemoryFileSystem implements vscode.FileSystemProvider {
    private readonly entries = new Map<string, Entry>([['/', { type: vscode.FileType.Directory, ctime: Date.now(), mtime: Date.now() }]]);
    private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
    readonly onDidChangeFile = this.changed.event;
    /** Resolves when the seed is in memory; every call waits for it. */
    ready: Promise<void> = Promise.resolve();

    watch(): vscode.Disposable {
        return new vscode.Disposable(() => undefined);
    }

    async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
        await this.ready;
        const entry = this.get(uri);
        return { type: entry.type, ctime: entry.ctime, mtime: entry.mtime, size: entry.type === vscode.FileType.File ? entry.data.length : 0 };
    }

    async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
        await this.ready;
        if (this.get(uri).type !== vscode.FileType.Directory) throw vscode.FileSystemError.FileNotADirectory(uri);
        const prefix = uri.path === '/' ? '/' : `${uri.path}/`;
        return [...this.entries].filter(([path]) => path !== '/' && path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
            .map(([path, entry]) => [path.slice(prefix.length), entry.type]);
    }

    async readFile(uri: vscode.Uri): Promise<Uint8Array> {
        await this.ready;
        const entry = this.get(uri);
        if (entry.type !== vscode.FileType.File) throw vscode.FileSystemError.FileIsADirectory(uri);
        return entry.data;
    }

    async writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
        await this.ready;
        const existing = this.entries.get(uri.path);
        if (existing?.type === vscode.FileType.Directory) throw vscode.FileSystemError.FileIsADirectory(uri);
        if (!existing && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
        if (existing && options.create && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
        this.parentOf(uri);
        this.put(uri.path, { type: vscode.FileType.File, data: content.slice(), ctime: existing?.ctime ?? Date.now(), mtime: Date.now() });
        this.changed.fire([{ type: existing ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
    }

    async createDirectory(uri: vscode.Uri): Promise<void> {
        await this.ready;
        if (this.entries.has(uri.path)) throw vscode.FileSystemError.FileExists(uri);
        this.parentOf(uri);
        this.put(uri.path, { type: vscode.FileType.Directory, ctime: Date.now(), mtime: Date.now() });
        this.changed.fire([{ type: vscode.FileChangeType.Created, uri }]);
    }

    async delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
        await this.ready;
        const entry = this.get(uri);
        const inside = [...this.entries.keys()].filter(path => path.startsWith(`${uri.path}/`));
        if (entry.type === vscode.FileType.Directory && inside.length && !options.recursive) throw vscode.FileSystemError.NoPermissions(`${uri.path} is not empty`);
        for (const path of [uri.path, ...inside]) this.entries.delete(path);
        this.changed.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
    }

    async rename(from: vscode.Uri, to: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
        await this.ready;
        const entry = this.get(from);
        if (this.entries.has(to.path) && !options.overwrite) throw vscode.FileSystemError.FileExists(to);
        this.parentOf(to);
        const inside = [...this.entries].filter(([path]) => path.startsWith(`${from.path}/`));
        this.entries.delete(from.path);
        for (const [path] of inside) this.entries.delete(path);
        this.put(to.path, entry);
        for (const [path, moved] of inside) this.put(to.path + path.slice(from.path.length), moved);
        this.changed.fire([{ type: vscode.FileChangeType.Deleted, uri: from }, { type: vscode.FileChangeType.Created, uri: to }]);
    }

    /** Copies the folder `source` (any scheme the workspace file system reads) to the new folder `target` in memory. */
    async copyIn(source: vscode.Uri, target: string): Promise<void> {
        this.put(target, { type: vscode.FileType.Directory, ctime: Date.now(), mtime: Date.now() });
        for (const [name, type] of await vscode.workspace.fs.readDirectory(source)) {
            const from = vscode.Uri.joinPath(source, name);
            const path = `${target}/${name}`;
            if (type & vscode.FileType.Directory) {
                await this.copyIn(from, path);
            } else {
                this.put(path, { type: vscode.FileType.File, data: await vscode.workspace.fs.readFile(from), ctime: Date.now(), mtime: Date.now() });
            }
        }
    }

    private get(uri: vscode.Uri): Entry {
        const entry = this.entries.get(uri.path);
        if (!entry) throw vscode.FileSystemError.FileNotFound(uri);
        return entry;
    }

    /** The folder `uri` goes in, which must exist (as on a disk). */
    private parentOf(uri: vscode.Uri): void {
        const parent = uri.path.slice(0, uri.path.lastIndexOf('/')) || '/';
        if (this.entries.get(parent)?.type !== vscode.FileType.Directory) throw vscode.FileSystemError.FileNotFound(uri.with({ path: parent }));
    }

    private put(path: string, entry: Entry): void {
        this.entries.set(path, entry);
    }
}

export function activate(context: vscode.ExtensionContext): void {
    const memory = new MemoryFileSystem();
    memory.ready = memory.copyIn(vscode.Uri.joinPath(context.extensionUri, 'seed'), ROOT_FOLDER).then(() => {
        console.log(`[editor-test] ${SCHEME}: the workspace is in memory`);
    });
    context.subscriptions.push(vscode.workspace.registerFileSystemProvider(SCHEME, memory, { isCaseSensitive: true }));
}
