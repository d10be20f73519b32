/** The language server: Langium's LSP services for `.convnet` over stdio or IPC. */
import { DocumentState } from 'langium';
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createConvNetLspServices } from './services.js';
import { registerCustomRequests } from './requests.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, ConvNet } = createConvNetLspServices({ connection, ...NodeFileSystem });
// The outline shows figures, which need the document linked: wait for that before the request takes its read
// of the workspace (waiting inside the provider would hold the read, and the build it waits for waits for the read).
startLanguageServer(shared, { DocumentSymbolProvider: DocumentState.Linked });
registerCustomRequests(connection, shared, ConvNet);
