/** The language server: Langium's LSP services for `.convnet` over stdio or IPC. */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createConvNetLspServices } from './services.js';
import { registerCustomRequests } from './requests.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, ConvNet } = createConvNetLspServices({ connection, ...NodeFileSystem });
startLanguageServer(shared);
registerCustomRequests(connection, shared, ConvNet);
