/**
 * A `.convnet` file as committed at a git revision, with the files it imports from the same revision: what
 * `convnet diff --git REV` and the editor's Compare with… (HEAD) compare the file as it is now with. Git runs without
 * a shell, its output bounded as every source read is (language/analysis/diff-sources.ts says what is asked of it).
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { URI } from 'langium';
import { READ_LIMITS } from '../../io/bounded-read.js';
import { gitShow, loadSourceText, type GitRunner, type LoadedText } from '../analysis/diff-sources.js';
import { FileNotFound } from './load-files.js';

/** Runs git without a shell; the output is bounded (ENOBUFS past it). */
export const runGit: GitRunner = (args, cwd, maxBytes) => {
    const result = spawnSync('git', args, { cwd, maxBuffer: maxBytes + 1, timeout: 30_000, windowsHide: true });
    const errorCode = (result.error as NodeJS.ErrnoException | undefined)?.code;
    return { status: result.status, stdout: result.stdout ?? new Uint8Array(), stderr: result.stderr?.toString('utf8') ?? '', ...(errorCode ? { errorCode } : {}) };
};

/**
 * The file at `rev`, loaded and validated with its imports from `rev`; `shown` names a file in messages. Throws
 * FileNotFound with git's answer in one sentence (not a repository, no such revision, not in it).
 */
export async function loadGitVersion(file: string, rev: string, shown: (file: string) => string): Promise<LoadedText> {
    const absolute = path.resolve(file);
    const folder = path.dirname(absolute);
    const main = gitShow(runGit, folder, path.basename(absolute), rev, shown(absolute), READ_LIMITS.source);
    if ('problem' in main) throw new FileNotFound(main.problem);
    return loadSourceText({ uri: URI.file(absolute).toString(), text: main.text }, async uri => {
        const relative = path.relative(folder, uri.fsPath).split(path.sep).join('/');
        const read = gitShow(runGit, folder, relative, rev, shown(uri.fsPath), READ_LIMITS.source);
        // An import missing at that revision is the import line's error ("cannot find"), like a missing file.
        return 'problem' in read && /is not in /.test(read.problem) ? undefined : read;
    });
}
