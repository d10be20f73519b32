/**
 * Copies of float arrays into and out of the fast engine's memory, which is a WebAssembly shared memory (a
 * SharedArrayBuffer) wherever the host allows one — in Node at any number of threads. V8 copies into and out of
 * shared memory word by word with relaxed atomic stores — `set`, `slice` and the typed-array constructor alike —
 * since another thread may touch it meanwhile: 1.6 MB in 0.057 ms against 0.035 for plain memory, each way — on a
 * depthwise layer of that size, about what a second thread saves. Node's `Buffer.prototype.fill` with a source as
 * long as the target is a single `memcpy` whatever the memory (node_buffer.cc); our copies run while no worker
 * touches either array, so the plain copy is safe. Where there is no Node Buffer (a browser) or no shared memory,
 * the plain `set`.
 */

interface NodeBufferView {
    fill(value: Uint8Array): unknown;
}

interface NodeBufferClass {
    from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBufferView & Uint8Array;
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;

function isShared(buffer: ArrayBufferLike): boolean {
    return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/** `target.set(source)` for arrays of one length, at memcpy's speed where one of them lies in shared memory. */
export function copyFloats(target: Float32Array, source: Float32Array): void {
    // Plain to shared or shared to plain only: two views of shared memory may be one memory under two buffer
    // objects (a grown memory's), whose regions could overlap, which memcpy does not allow.
    const fast = NodeBuffer !== undefined && source.length > 0 && source.length === target.length
        && isShared(source.buffer) !== isShared(target.buffer);
    if (!fast) {
        target.set(source);
        return;
    }
    const to = NodeBuffer.from(target.buffer, target.byteOffset, target.byteLength);
    to.fill(NodeBuffer.from(source.buffer, source.byteOffset, source.byteLength));
}

/** A copy of `source` in a fresh (plain) array: `source.slice()`, at memcpy's speed out of shared memory. */
export function copyOfFloats(source: Float32Array): Float32Array {
    if (!isShared(source.buffer)) return source.slice();
    const copy = new Float32Array(source.length);
    copyFloats(copy, source);
    return copy;
}
