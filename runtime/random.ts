/**
 * Seeded, platform-independent random numbers (xoshiro128**, Blackman & Vigna): the same seed gives the same
 * weights and inputs on every machine, since only 32-bit integer arithmetic is involved.
 */
export class SeededRandom {
    private s0: number;
    private s1: number;
    private s2: number;
    private s3: number;

    constructor(seed: number) {
        // splitmix32 expands the seed into the four words of state (never all zero).
        let x = seed >>> 0;
        const next = () => {
            x = (x + 0x9e3779b9) >>> 0;
            let z = x;
            z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
            z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
            return (z ^ (z >>> 16)) >>> 0;
        };
        this.s0 = next();
        this.s1 = next();
        this.s2 = next();
        this.s3 = next();
    }

    /** A uniform 32-bit unsigned integer. */
    nextUint32(): number {
        const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
        const t = (this.s1 << 9) >>> 0;
        this.s2 ^= this.s0;
        this.s3 ^= this.s1;
        this.s1 ^= this.s2;
        this.s0 ^= this.s3;
        this.s2 ^= t;
        this.s3 = rotl(this.s3, 11);
        return result;
    }

    /** Uniform in [0, 1) with 24 bits of precision (exactly representable in float32). */
    nextFloat(): number {
        return (this.nextUint32() >>> 8) / 16777216;
    }

    /** Fills `out` with uniform numbers in [low, high). */
    fillUniform(out: Float32Array, low: number, high: number): void {
        const span = high - low;
        for (let i = 0; i < out.length; i++) out[i] = low + span * this.nextFloat();
    }

    /** Fills `out` with standard normal numbers (Box–Muller). */
    fillNormal(out: Float32Array, mean = 0, std = 1): void {
        for (let i = 0; i < out.length; i += 2) {
            const u1 = 1 - this.nextFloat();
            const u2 = this.nextFloat();
            const r = Math.sqrt(-2 * Math.log(u1));
            out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
            if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
        }
    }
}

function rotl(x: number, k: number): number {
    return ((x << k) | (x >>> (32 - k))) >>> 0;
}
