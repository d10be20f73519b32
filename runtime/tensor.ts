/** A float32 tensor in row-major (NCHW / NCDHW) order. The data may be a view into the executor's arena. */
export class Tensor {
    constructor(readonly shape: readonly number[], readonly data: Float32Array) {
        if (data.length !== elementCount(shape)) {
            throw new Error(`tensor data has ${data.length} elements but shape ${shape.join('×')} needs ${elementCount(shape)}`);
        }
    }

    static zeros(shape: readonly number[]): Tensor {
        return new Tensor(shape, new Float32Array(elementCount(shape)));
    }

    get size(): number {
        return this.data.length;
    }
}

export function elementCount(shape: readonly number[]): number {
    let n = 1;
    for (const d of shape) n *= d;
    return n;
}

/** Row-major strides: the distance in elements between neighbours along each dimension. */
export function stridesOf(shape: readonly number[]): number[] {
    const strides = new Array<number>(shape.length);
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i];
    }
    return strides;
}
