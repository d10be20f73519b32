/**
 * What both editor-test launchers share: where the repository and the bundled suite are, and a fresh,
 * throw-away profile (user settings, extensions folder, a workspace holding a copy of examples/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the launchers are bundled into out/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SUITE = path.join(ROOT, 'out', 'test', 'editor-suite.cjs');
export const OUTPUT = path.join(ROOT, 'test-output', 'editor');

/** Flags of the headless chromium that shows the workbench or a view's page (see ../shared/EDITOR-TESTS.md). */
export const CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    // Chromium's own traffic (not the page's) goes to a closed port; loopback is never proxied.
    '--proxy-server=http://127.0.0.1:9',
];

/** User settings of the test profile (see ../shared/EDITOR-TESTS.md). */
export const USER_SETTINGS = {
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'npm.autoDetect': 'off',
};

export interface Profile {
    /** Every file of the run lives here; delete it afterwards. */
    readonly root: string;
    readonly userDataDir: string;
    readonly extensionsDir: string;
    /** The folder VS Code opens: a copy of examples/ under examples/, so tests may write files next to it. */
    readonly workspace: string;
}

export function createProfile(root: string): Profile {
    const userDataDir = path.join(root, 'user');
    const extensionsDir = path.join(root, 'ext');
    const workspace = path.join(root, 'workspace');
    fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
    fs.cpSync(path.join(ROOT, 'examples'), path.join(workspace, 'examples'), { recursive: true });
    return { root, userDataDir, extensionsDir, workspace };
}

/** Fails with the command to run when the suite bundle is missing. */
export function requireSuite(): void {
    if (!fs.existsSync(SUITE)) throw new Error(`${path.relative(ROOT, SUITE)} is missing: run \`npm run build\` first`);
}
