/**
 * A `.convnet` file given as text rather than read from disk — the version of a file in git, or an editor's unsaved
 * buffer — with the files it imports (transitively) read through a callback, then linked and validated. The diff
 * reads old versions this way; the callback decides where imports come from (the same git revision, the disk).
 * No Node and no editor here: the callback does any I/O.
 */
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import { createConvNetServices, type ConvNetServices } from '../convnet-module.js';
import { ensureBuiltinLibrary } from '../builtin-library.js';
import { importedUris } from '../imports.js';
import type { Model } from '../generated/ast.js';

export interface SourceText {
    /** Where the text stands (its imports resolve relative to it); need not exist on disk. */
    readonly uri: string;
    readonly text: string;
}

/** An imported file's text; or a reason it cannot be read (the import line's error says it); or undefined when absent. */
export type ImportReader = (uri: URI) => Promise<{ text: string } | { problem: string } | undefined>;

export interface LoadedText {
    readonly services: ConvNetServices;
    readonly document: LangiumDocument<Model>;
}

/** Most files one load follows through imports; far beyond any real design, it stops an import cycle through renamed copies. */
const MAX_FILES = 10_000;

export async function loadSourceText(main: SourceText, readImport: ImportReader): Promise<LoadedText> {
    const { shared, ConvNet } = createConvNetServices(EmptyFileSystem);
    const factory = shared.workspace.LangiumDocumentFactory;
    const langiumDocuments = shared.workspace.LangiumDocuments;
    const all: LangiumDocument[] = [ensureBuiltinLibrary(shared)];
    const mainUri = URI.parse(main.uri);
    const document = factory.fromString<Model>(main.text, mainUri);
    langiumDocuments.addDocument(document);
    all.push(document);
    const seen = new Set<string>([mainUri.toString()]);
    const pending = importedUris(document.parseResult.value, mainUri);
    for (let i = 0; i < pending.length && seen.size < MAX_FILES; i++) {
        const uri = pending[i];
        if (seen.has(uri.toString())) continue;
        seen.add(uri.toString());
        const read = await readImport(uri);
        if (!read) continue; // the import check reports a file that is not there
        if ('problem' in read) {
            ConvNet.files.UnreadableFiles.record(uri.toString(), read.problem);
            continue;
        }
        const imported = factory.fromString<Model>(read.text, uri);
        langiumDocuments.addDocument(imported);
        all.push(imported);
        for (const next of importedUris(imported.parseResult.value, uri)) pending.push(next);
    }
    await shared.workspace.DocumentBuilder.build(all, { validation: true });
    return { services: ConvNet, document };
}

/** What running `git` gave: exit status, output bytes, error text, or the spawn error's code (ENOENT, ENOBUFS). */
export interface GitRun {
    readonly status: number | null;
    readonly stdout: Uint8Array;
    readonly stderr: string;
    readonly errorCode?: string;
}

/** Runs git with an argument array (never a shell) in `cwd`, reading at most `maxBytes` of output. */
export type GitRunner = (args: readonly string[], cwd: string, maxBytes: number) => GitRun;

/** A revision as given after --git: a name, never an option (`-…`) nor a path part. */
export function isRevision(rev: string): boolean {
    return rev.length > 0 && rev.length <= 256 && !rev.startsWith('-') && !/[\s\0]/.test(rev);
}

/**
 * The text of `relativePath` (relative to `cwd`, as `./x.convnet` or `../blocks/y.convnet`) at revision `rev`, by
 * `git show REV:./PATH`; or one sentence saying why not. `shown` names the file in messages.
 */
export function gitShow(run: GitRunner, cwd: string, relativePath: string, rev: string, shown: string, maxBytes: number): { text: string } | { problem: string } {
    if (!isRevision(rev)) return { problem: `'${rev.slice(0, 60)}' is not a git revision (give a name such as HEAD, HEAD~1, main or a commit)` };
    const spec = `${rev}:${relativePath.startsWith('../') ? relativePath : `./${relativePath}`}`;
    const result = run(['show', '--no-textconv', spec], cwd, maxBytes);
    if (result.errorCode === 'ENOENT') return { problem: 'git is not installed here (it is needed to read a committed version)' };
    if (result.errorCode === 'ENOBUFS' || result.stdout.length > maxBytes) return { problem: `${shown} at ${rev} is larger than a .convnet file may be (${maxBytes} bytes)` };
    if (result.errorCode) return { problem: `git could not be run (${result.errorCode})` };
    if (result.status !== 0) {
        const err = result.stderr;
        if (/not a git repository/i.test(err)) return { problem: `${shown} is not inside a git repository, so it has no ${rev} version` };
        if (/exists on disk, but not in|does not exist in/i.test(err)) return { problem: `${shown} is not in ${rev} (it was not committed there)` };
        if (/invalid object name|unknown revision|bad revision|ambiguous argument/i.test(err)) return { problem: `the repository of ${shown} has no revision '${rev}'` };
        return { problem: `git show ${spec} failed: ${err.split('\n').find(l => l.trim())?.trim() ?? `exit status ${result.status}`}` };
    }
    if (result.stdout.includes(0)) return { problem: `${shown} at ${rev} is not a text file` };
    return { text: new TextDecoder().decode(result.stdout) };
}
