/** The language server: Langium's LSP services for `.convnet` over stdio or IPC. */
import { DocumentState } from 'langium';
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createConvNetLspServices } from './services.js';
import { registerCustomRequests } from './requests.js';
import { loadDeviceProfile } from '../language/node/device-file.js';
import { THIS_MACHINE } from '../language/analysis/devices.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, ConvNet } = createConvNetLspServices({ connection, ...NodeFileSystem });
// Latency budgets on this machine: its calibrated profile, read from the user's cache when a budget first asks.
ConvNet.analysis.Devices.setThisMachine(() => loadDeviceProfile(THIS_MACHINE));
// The outline shows figures, which need the document linked: wait for that before the request takes its read
// of the workspace (waiting inside the provider would hold the read, and the build it waits for waits for the read).
startLanguageServer(shared, { DocumentSymbolProvider: DocumentState.Linked });
registerCustomRequests(connection, shared, ConvNet);
