/**
 * The language server in the browser: the same services as server/main.ts in a web worker, talking to the
 * extension over the worker's messages, reading the workspace's files through the extension
 * (server/web-file-system.ts).
 */
import { DocumentState } from 'langium';
import { startLanguageServer } from 'langium/lsp';
import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { createConvNetLspServices } from './services.js';
import { registerCustomRequests } from './requests.js';
import { ClientFileSystemProvider } from './web-file-system.js';

// The worker's global scope (the DOM library is not in tsconfig: the server shares its types with Node).
declare const self: never;

const connection = createConnection(new BrowserMessageReader(self), new BrowserMessageWriter(self));
const { shared, ConvNet } = createConvNetLspServices({ connection, fileSystemProvider: () => new ClientFileSystemProvider(() => connection) });
startLanguageServer(shared, { DocumentSymbolProvider: DocumentState.Linked });
registerCustomRequests(connection, shared, ConvNet);
