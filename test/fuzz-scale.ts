/**
 * What the fuzz tests share: how many cases they run: a slice in `npm test`, multiplied by CONVNET_FUZZ_SCALE for a nightly-size
 * run (`npm run test:fuzz` sets 100: over 100,000 generated and mutated .convnet texts, thousands of editor
 * requests at random positions and of mutated weights, tensors, images and models).
 */
const scale = Math.max(1, Number(process.env.CONVNET_FUZZ_SCALE ?? 1) || 1);

export function runs(base: number): number {
    return Math.round(base * scale);
}

/** Time a fuzz test may take at this scale (fast-check's cases are independent, so it grows with the scale). */
export function timeout(baseMs: number): number {
    return baseMs * scale;
}

/** A random edit of a text: delete, insert or duplicate at a position (taken modulo the text's length). */
export interface TextEdit {
    readonly at: number;
    readonly kind: 'delete' | 'insert' | 'duplicate';
    readonly length: number;
    readonly text: string;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
    for (const e of edits) {
        const at = e.at % (text.length + 1);
        if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.length);
        else if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
        else text = text.slice(0, at) + text.slice(at, at + e.length) + text.slice(at);
    }
    return text;
}
