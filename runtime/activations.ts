/**
 * The activations applied element by element, in TypeScript: computed in float64 and stored as float32. The
 * activation kernels (runtime/kernels/activation.ts) run them where the engine has no kernel of its own, and the
 * TypeScript GEMM's output loop applies one a conv absorbed (runtime/fusion.ts).
 */
import type { GraphNode } from '../language/elaboration/graph.js';
import type { ActivationOp } from './compute.js';

// erfc(x) by FreeBSD/Sun fdlibm's rational approximations (s_erf.c), accurate to about 1 ulp in float64. JavaScript
// has no Math.erf; GELU needs Φ(x) = erfc(−x/√2)/2 without cancellation for negative x.
const ERX = 8.45062911510467529297e-01;
const PP = [1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02, -5.77027029648944159157e-03, -2.37630166566501626084e-05];
const QQ = [3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03, 1.32494738004321644526e-04, -3.96022827877536812320e-06];
const PA = [-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01, 3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02, -2.16637559486879084300e-03];
const QA = [1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02, 1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02];
const RA = [-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01, -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02, -8.12874355063065934246e+01, -9.81432934416914548592e+00];
const SA = [1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02, 6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02, 6.57024977031928170135e+00, -6.04244152148580987438e-02];
const RB = [-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01, -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03, -4.83519191608651397019e+02];
const SB = [3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03, 3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02, -2.24409524465858183362e+01];

/** c[0] + z·c[1] + z²·c[2] + … (Horner). */
function poly(c: readonly number[], z: number): number {
    let r = 0;
    for (let i = c.length - 1; i >= 0; i--) r = r * z + c[i];
    return r;
}

/** 1 + z·c[0] + z²·c[1] + … */
function poly1(c: readonly number[], z: number): number {
    return 1 + z * poly(c, z);
}

export function erfc(x: number): number {
    if (x !== x) return x;
    const negative = x < 0;
    const a = Math.abs(x);
    if (a < 0.84375) {
        const z = a * a;
        const y = poly(PP, z) / poly1(QQ, z);
        const erf = a + a * y;
        return negative ? 1 + erf : 1 - erf;
    }
    if (a < 1.25) {
        const s = a - 1;
        const pq = poly(PA, s) / poly1(QA, s);
        return negative ? 1 + ERX + pq : 1 - ERX - pq;
    }
    if (a >= 28) return negative ? 2 : 0;
    const s = 1 / (a * a);
    const rs = a < 1 / 0.35 ? poly(RA, s) / poly1(SA, s) : poly(RB, s) / poly1(SB, s);
    const r = Math.exp(-a * a - 0.5625 + rs) / a;
    return negative ? 2 - r : r;
}

export function erf(x: number): number {
    return 1 - erfc(x);
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const relu6 = (v: number) => (v <= 0 ? (v !== v ? v : 0) : v >= 6 ? 6 : v);

type Pointwise = Exclude<ActivationOp, 'gelu-tanh'>;

/** The activation an activation node applies, as the engines name it, with its one parameter (or 0). */
export function activationOf(node: Pick<GraphNode, 'op' | 'attrs'>): { op: ActivationOp; parameter: number } {
    const op = node.op as Pointwise;
    const attrs = node.attrs;
    const parameter = op === 'leakyrelu' ? attrs.negative_slope as number : op === 'elu' ? attrs.alpha as number : 0;
    return { op: op === 'gelu' && attrs.approximate === 'tanh' ? 'gelu-tanh' : op, parameter };
}

/**
 * y[i] = op(x[i]) for i in [from, to), in float64 (x and y may be the same array). Each activation has its own
 * loop, a case of the switch: V8 keeps one set of type feedback for every closure made at one place, so a shared
 * loop `y[i] = f(x[i])` saw every activation's `f`, inlined none and called each through a megamorphic site — a
 * ReLU on 64×112² took 7 ms instead of 0.8 once another activation had run, SiLU 15 ms.
 */
export function activateRange(op: ActivationOp, parameter: number, x: Float32Array, y: Float32Array, from: number, to: number): void {
    switch (op) {
        case 'relu': {
            // On the float's bits: a set sign bit clears them (b & ~(b >> 31)), with no comparison to
            // mispredict; a NaN keeps its value whatever its sign (PyTorch's ReLU propagates it).
            const xBits = new Int32Array(x.buffer, x.byteOffset, x.length);
            const yBits = new Int32Array(y.buffer, y.byteOffset, y.length);
            for (let i = from; i < to; i++) {
                const v = x[i];
                const b = xBits[i];
                yBits[i] = b & ~(b >> 31);
                if (v !== v) y[i] = v;
            }
            break;
        }
        case 'relu6': for (let i = from; i < to; i++) y[i] = relu6(x[i]); break;
        case 'leakyrelu': for (let i = from; i < to; i++) { const v = x[i]; y[i] = v > 0 ? v : v * parameter; } break;
        case 'elu': for (let i = from; i < to; i++) { const v = x[i]; y[i] = v > 0 ? v : parameter * Math.expm1(v); } break;
        case 'sigmoid': for (let i = from; i < to; i++) y[i] = 1 / (1 + Math.exp(-x[i])); break;
        case 'tanh': for (let i = from; i < to; i++) y[i] = Math.tanh(x[i]); break;
        case 'hardswish': for (let i = from; i < to; i++) { const v = x[i]; y[i] = (v * relu6(v + 3)) / 6; } break;
        case 'hardsigmoid': for (let i = from; i < to; i++) y[i] = relu6(x[i] + 3) / 6; break;
        case 'silu': for (let i = from; i < to; i++) { const v = x[i]; y[i] = v / (1 + Math.exp(-v)); } break;
        // ½·v·(1 + tanh u) as v·sigmoid(2u): the same value with no 1 + (−1 + small) for negative v.
        case 'gelu-tanh': for (let i = from; i < to; i++) { const v = x[i]; y[i] = v / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))); } break;
        case 'gelu': for (let i = from; i < to; i++) { const v = x[i]; y[i] = 0.5 * v * erfc(-v * SQRT1_2); } break;
    }
}
