/**
 * The language server's files in the browser: a web worker has no disk, so the server asks the extension for the
 * workspace's folders and files (the extension reads them with `vscode.workspace.fs`, whatever the scheme:
 * vscode-remote, vscode-vfs, memfs …). Langium reads through this provider when it indexes the workspace — which
 * is how an `import "./blocks.convnet"` finds the file it names, as on the desktop. Requests declared once here,
 * for both sides.
 */
import { RequestType } from 'vscode-languageserver';
import { URI, type FileSystemNode, type FileSystemProvider } from 'langium';

export interface WorkspaceEntry {
    readonly uri: string;
    readonly isFile: boolean;
    readonly isDirectory: boolean;
}

/** The entries of a folder; none when it cannot be read. */
export const ReadDirectoryRequest = new RequestType<{ uri: string }, { entries: WorkspaceEntry[] }, void>('convnet/workspace/readDirectory');
/** A file's bytes (text files only are asked for); `error` says why not, in one sentence. */
export const ReadFileRequest = new RequestType<{ uri: string }, { bytes?: number[] | Uint8Array; error?: string }, void>('convnet/workspace/readFile');
export const StatRequest = new RequestType<{ uri: string }, { entry?: WorkspaceEntry }, void>('convnet/workspace/stat');

/** The requests the provider sends (the language server's connection). */
export interface RequestSender {
    sendRequest<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
}

const node = (entry: WorkspaceEntry): FileSystemNode => ({ uri: URI.parse(entry.uri), isFile: entry.isFile, isDirectory: entry.isDirectory });

function syncRefused(): never {
    throw new Error('files are read asynchronously through the editor in the browser');
}

export class ClientFileSystemProvider implements FileSystemProvider {
    constructor(private readonly connection: () => RequestSender | undefined) {}

    private send<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
        const connection = this.connection();
        if (!connection) return Promise.reject(new Error('the language server has no connection to the editor'));
        return connection.sendRequest(type, params);
    }

    async stat(uri: URI): Promise<FileSystemNode> {
        const { entry } = await this.send(StatRequest, { uri: uri.toString() });
        if (!entry) throw new Error(`${uri.toString()}: no such file`);
        return node(entry);
    }

    async exists(uri: URI): Promise<boolean> {
        return (await this.send(StatRequest, { uri: uri.toString() })).entry !== undefined;
    }

    async readBinary(uri: URI): Promise<Uint8Array> {
        const { bytes, error } = await this.send(ReadFileRequest, { uri: uri.toString() });
        if (!bytes) throw new Error(error ?? `${uri.toString()}: cannot be read`);
        return bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    }

    async readFile(uri: URI): Promise<string> {
        return new TextDecoder().decode(await this.readBinary(uri));
    }

    async readDirectory(uri: URI): Promise<FileSystemNode[]> {
        return (await this.send(ReadDirectoryRequest, { uri: uri.toString() })).entries.map(node);
    }

    statSync(): FileSystemNode { return syncRefused(); }
    existsSync(): boolean { return false; }
    readBinarySync(): Uint8Array { return syncRefused(); }
    readFileSync(): string { return syncRefused(); }
    readDirectorySync(): FileSystemNode[] { return syncRefused(); }
}
