/**
 * What Run Model remembers in a workspace, so that its file pickers do not start in the home folder every time:
 * the folder of the last file picked (input or weights) and the last weights file of each network.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const FOLDER_KEY = 'convnet.run.lastFolder';
const WEIGHTS_KEY = 'convnet.run.lastWeights';

export class RunMemory {
    constructor(private readonly state: vscode.Memento) {}

    /** Where a file picker starts: the folder of the last file picked, while it exists. */
    get folder(): vscode.Uri | undefined {
        const folder = this.state.get<string>(FOLDER_KEY);
        return folder && isDirectory(folder) ? vscode.Uri.file(folder) : undefined;
    }

    /** The weights file last used to run `network` (by `${document}#${network}`), while it exists. */
    weightsOf(network: string): string | undefined {
        const file = this.state.get<Record<string, string>>(WEIGHTS_KEY, {})[network];
        return file && fs.existsSync(file) ? file : undefined;
    }

    /** Remembers a run: the folder of a file it read, and its weights (none: the seeded initialisation). */
    async remember(network: string, files: { input?: string; weights?: string }): Promise<void> {
        const picked = files.weights ?? files.input;
        if (picked) await this.state.update(FOLDER_KEY, path.dirname(picked));
        const weights = { ...this.state.get<Record<string, string>>(WEIGHTS_KEY, {}) };
        if (files.weights) weights[network] = files.weights;
        else delete weights[network];
        await this.state.update(WEIGHTS_KEY, weights);
    }
}

function isDirectory(folder: string): boolean {
    try {
        return fs.statSync(folder).isDirectory();
    } catch {
        return false;
    }
}
