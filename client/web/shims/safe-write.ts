/**
 * io/safe-write.ts in the browser: writing files next to the user's (the graph saved as SVG or PNG) needs a disk.
 * The web bundles map io/safe-write here (esbuild.mjs); the callers report the error in one sentence.
 */
export class WriteRefused extends Error {}

export function checkWrites(): void {
    throw new WriteRefused('saving files is available in the desktop editor only');
}

export function writeFilesSafely(): void {
    throw new WriteRefused('saving files is available in the desktop editor only');
}
