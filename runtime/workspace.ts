/** Scratch memory shared by every kernel of a run (im2col columns, transposed weights): grown, never shrunk. */
export class Workspace {
    private buffers = new Map<string, Float32Array>();

    /** Scratch comes from `allocate`: the compute engine's memory, where its kernels can reach it. */
    constructor(private readonly allocate: (elements: number) => Float32Array = elements => new Float32Array(elements)) {}

    /** A scratch array of at least `size` elements for `purpose`; its contents are undefined. */
    get(purpose: string, size: number): Float32Array {
        let buffer = this.buffers.get(purpose);
        if (!buffer || buffer.length < size) {
            buffer = this.allocate(Math.max(size, Math.ceil((buffer?.length ?? 0) * 1.5)));
            this.buffers.set(purpose, buffer);
        }
        return buffer;
    }

    /** Takes every buffer again through `current` (the engine's memory moved: see Compute.moves). */
    retake(current: (array: Float32Array) => Float32Array): void {
        for (const [purpose, buffer] of this.buffers) this.buffers.set(purpose, current(buffer));
    }

    get bytes(): number {
        let total = 0;
        for (const b of this.buffers.values()) total += b.byteLength;
        return total;
    }
}
