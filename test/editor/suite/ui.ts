/**
 * Looking at the editor's UI from the suite. The extension host cannot see the page, but the launcher that drives
 * chromium (test/editor/run.ts) can: the suite logs a request line (`[editor-ui] {…}`), the launcher — which
 * reads the page's console — queries the page's frames with playwright (a webview's page is two iframes deep),
 * optionally takes a screenshot, and answers in a file of CONVNET_EDITOR_UI_DIR that the suite waits for.
 * Without that variable (the @vscode/test-electron launcher) there is no UI to look at: `uiAvailable()` is false.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from './harness.js';

export interface UiQuery {
    /** A CSS selector. */
    readonly selector: string;
    /** Where: the webviews' pages (default) or the workbench itself. */
    readonly in?: 'webview' | 'workbench';
    /** A screenshot of the window after the query, named `<screenshot>.png` in test-output/editor/ui/. */
    readonly screenshot?: string;
}

export interface UiElement {
    /** Its text (textContent, whitespace collapsed). */
    readonly text: string;
    /** Its `data-*` attributes and class. */
    readonly attributes: Record<string, string>;
}

export interface UiAnswer {
    readonly elements: UiElement[];
    readonly error?: string;
}

const dir = process.env.CONVNET_EDITOR_UI_DIR;
let counter = 0;

export function uiAvailable(): boolean {
    return !!dir;
}

/** Asks the launcher for the elements matching `query` (in every frame of that kind). */
export async function queryUi(query: UiQuery): Promise<UiAnswer> {
    if (!dir) throw new Error('no UI access (CONVNET_EDITOR_UI_DIR is not set)');
    const id = `${process.pid}-${++counter}`;
    const answerFile = path.join(dir, `${id}.json`);
    console.log(`[editor-ui] ${JSON.stringify({ id, ...query })}`);
    const answer = await waitFor(`the launcher to answer UI query ${JSON.stringify(query.selector)}`, () =>
        fs.existsSync(answerFile) ? JSON.parse(fs.readFileSync(answerFile, 'utf8')) as UiAnswer : undefined,
    { timeoutMs: 15_000, intervalMs: 50 });
    if (answer.error) throw new Error(`UI query ${query.selector}: ${answer.error}`);
    return answer;
}

/** Queries until `accept` holds for the elements (they render after the message arrives). */
export async function waitForUi(what: string, query: UiQuery, accept: (elements: UiElement[]) => boolean, timeoutMs = 15_000): Promise<UiElement[]> {
    let last: UiElement[] = [];
    try {
        return await waitFor(what, async () => {
            const { elements } = await queryUi({ ...query, screenshot: undefined });
            last = elements;
            return accept(elements) ? elements : undefined;
        }, { timeoutMs, intervalMs: 100 });
    } catch (e) {
        throw new Error(`${(e as Error).message}; last saw ${JSON.stringify(last.map(e => e.text.slice(0, 200)).slice(0, 5))}`);
    } finally {
        if (query.screenshot) await queryUi({ selector: 'body', in: 'workbench', screenshot: query.screenshot }).catch(() => undefined);
    }
}
