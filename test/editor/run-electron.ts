/**
 * Runs the same extension-host suite as test/editor/run.ts, in a desktop VS Code through @vscode/test-electron —
 * for machines that have a VS Code build. It never downloads one: VSCODE_EXECUTABLE must name the `code`
 * binary (e.g. /usr/share/code/code). `npm run test:editor:electron`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createProfile, requireSuite, ROOT, SUITE } from './profile.js';

async function main(): Promise<number> {
    const executable = process.env.VSCODE_EXECUTABLE;
    if (!executable || !fs.existsSync(executable)) {
        console.error('Set VSCODE_EXECUTABLE to a VS Code executable (this launcher does not download one); without one, use `npm run test:editor`.');
        return 2;
    }
    requireSuite();
    const profile = createProfile(fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-editor-electron-')));
    try {
        return await runTests({
            vscodeExecutablePath: executable,
            extensionDevelopmentPath: ROOT,
            extensionTestsPath: SUITE,
            launchArgs: [
                profile.workspace,
                '--user-data-dir', profile.userDataDir,
                '--extensions-dir', profile.extensionsDir,
                '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu',
            ],
            extensionTestsEnv: { CONVNET_EDITOR_GREP: process.env.CONVNET_EDITOR_GREP },
        });
    } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        return 1;
    } finally {
        fs.rmSync(profile.root, { recursive: true, force: true });
    }
}

main().then(code => process.exit(code));
