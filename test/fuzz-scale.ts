/**
 * How many cases the fuzz tests run: a slice in `npm test`, multiplied by CONVNET_FUZZ_SCALE for a nightly-size
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
