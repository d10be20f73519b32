/**
 * Talks LSP to the bundled language server (out/server.cjs) over stdio, as an editor would: the protocol tests
 * exercise the shipped bundle, not the sources.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
    createProtocolConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, InitializedNotification,
    DidOpenTextDocumentNotification, DidChangeTextDocumentNotification, PublishDiagnosticsNotification, ShutdownRequest, ExitNotification,
    type ProtocolConnection, type Diagnostic, type PublishDiagnosticsParams, type ClientCapabilities,
} from 'vscode-languageserver-protocol/node';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export class LspSession {
    private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
    private readonly waiters: { uri: string; version?: number; resolve: (d: Diagnostic[]) => void }[] = [];
    private versions = new Map<string, number>();
    /** Each document's URI in the order of its first published diagnostics. */
    readonly firstPublished: string[] = [];
    /** The refresh requests the server sent (`workspace/inlayHint/refresh`, `workspace/codeLens/refresh`), in order. */
    readonly refreshes: string[] = [];

    private constructor(private readonly child: ChildProcess, readonly connection: ProtocolConnection) {
        connection.onNotification(PublishDiagnosticsNotification.type, params => {
            if (!this.diagnostics.has(params.uri)) this.firstPublished.push(params.uri);
            const list = this.diagnostics.get(params.uri) ?? [];
            list.push(params);
            this.diagnostics.set(params.uri, list);
            for (const waiter of [...this.waiters]) {
                if (waiter.uri === params.uri && (waiter.version === undefined || params.version === undefined || params.version >= waiter.version)) {
                    this.waiters.splice(this.waiters.indexOf(waiter), 1);
                    waiter.resolve(params.diagnostics);
                }
            }
        });
    }

    /** `capabilities` adds to the client's (which say only that it answers `workspace/configuration`). */
    static async start(workspace: string, settings: Record<string, unknown> = {}, capabilities: ClientCapabilities = {}): Promise<LspSession> {
        const child = spawn(process.execPath, [path.join(ROOT, 'out', 'server.cjs'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
        const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
        connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
            params.items.map(item => (item.section ? settings[item.section] ?? null : settings)));
        connection.onRequest('client/registerCapability', () => null);
        const session = new LspSession(child, connection);
        for (const method of ['workspace/inlayHint/refresh', 'workspace/codeLens/refresh']) {
            connection.onRequest(method, () => {
                session.refreshes.push(method);
                return null;
            });
        }
        connection.listen();
        await connection.sendRequest(InitializeRequest.type, {
            processId: process.pid,
            rootUri: pathToFileURL(workspace).toString(),
            workspaceFolders: [{ uri: pathToFileURL(workspace).toString(), name: 'test' }],
            capabilities: { ...capabilities, workspace: { ...capabilities.workspace, configuration: true }, textDocument: { hover: { contentFormat: ['markdown'] }, ...capabilities.textDocument } },
        });
        await connection.sendNotification(InitializedNotification.type, {});
        return session;
    }

    /** Opens a document and resolves with its first published diagnostics. */
    async open(file: string, text: string): Promise<Diagnostic[]> {
        const uri = pathToFileURL(file).toString();
        this.versions.set(uri, 1);
        const published = this.waitForDiagnostics(uri, 1);
        await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'convnet', version: 1, text } });
        return published;
    }

    /** Replaces a document's text and resolves with the diagnostics of the new version. */
    async change(file: string, text: string): Promise<Diagnostic[]> {
        const uri = pathToFileURL(file).toString();
        const version = (this.versions.get(uri) ?? 1) + 1;
        this.versions.set(uri, version);
        const published = this.waitForDiagnostics(uri, version);
        await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
        return published;
    }

    waitForDiagnostics(uri: string, version?: number): Promise<Diagnostic[]> {
        return new Promise(resolve => this.waiters.push({ uri, version, resolve }));
    }

    async stop(): Promise<void> {
        try {
            await this.connection.sendRequest(ShutdownRequest.type);
            await this.connection.sendNotification(ExitNotification.type);
        } finally {
            this.connection.dispose();
            this.child.kill();
        }
    }
}

export function uriOf(file: string): string {
    return pathToFileURL(file).toString();
}
