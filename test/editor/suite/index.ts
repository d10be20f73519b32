/**
 * The extension-host test suite (bundled to out/test/editor-suite.cjs). VS Code loads it as the
 * `extensionTestsPath` and calls `run()`; both launchers use it: test/editor/run.ts (VS Code server + chromium)
 * and test/editor/run-electron.ts (@vscode/test-electron, where a VS Code build is available).
 */
import './language-features.js';
import './views.js';
import './exports.js';
import './compare.js';
import { runTests } from './harness.js';

export function run(): Promise<void> {
    return runTests();
}
