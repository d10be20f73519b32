/**
 * Device profiles for the roofline (roofline.ts): a device's peak compute (FLOP/s), memory bandwidth (bytes/s) and
 * the fixed cost of launching one layer. The shipped profiles carry their makers' published peak figures (the
 * derivation in each comment); "this machine" is measured by `convnet calibrate` (cli/calibrate.ts) with the
 * project's own engine and stored as JSON, which `parseDeviceProfile` reads back.
 *
 * A calibrated profile may also carry *ceilings* (Williams, Waterman & Patterson, "Roofline", CACM 2009): the rate a
 * class of kernels sustains below the roof on that machine — a depthwise conv never reaches the FMA peak. The
 * published profiles have none: their prediction is the pure roofline.
 */

/** How a layer is computed, for the ceilings: the roofline's FLOPs and bytes come from the op specs either way. */
export const KERNEL_CLASSES = ['dense', 'pointwise', 'winograd', 'winograd-small', 'depthwise', 'window', 'elementwise'] as const;
export type KernelClass = typeof KERNEL_CLASSES[number];

export const KERNEL_CLASS_DOC: Record<KernelClass, string> = {
    dense: 'conv, grouped conv, transposed conv, linear and matmul: a GEMM (im2col + GEMM, or a matrix-vector product)',
    pointwise: '1×1 stride-1 dense convs on planes of 28×28 and more: one GEMM straight on the input (no im2col), long rows that keep the GEMM busy',
    winograd: '3×3 stride-1 dense convs on planes of 28×28 and more, which fast libraries run by Winograd (this project\'s engine: F(4×4, 3×3) on weights transformed once; FLOPs stay the direct conv\'s: an effective rate)',
    'winograd-small': '3×3 stride-1 dense convs on planes of 7×7 to 27×27 (this project\'s engine: Winograd F(4×4, 3×3) on weights transformed as the conv runs; an effective rate, as winograd\'s)',
    depthwise: 'depthwise convs (groups = input channels): a direct kernel',
    window: 'max and average pooling: a window slid over each plane (a direct kernel, as depthwise convs are)',
    elementwise: 'everything else: activations, norms, sums, global pooling, layout — little arithmetic per byte',
};

export interface DeviceProfile {
    /** What `--device` and the `convnet.device` setting name it by. */
    readonly id: string;
    readonly name: string;
    /** For a sentence: `on a laptop GPU`, `on this machine`. */
    readonly shortName: string;
    /** The roof: peak float32 FLOP/s (a fused multiply-add is 2 FLOPs). */
    readonly peakFlops: number;
    /** Memory bandwidth, bytes per second. */
    readonly bandwidth: number;
    /** Fixed time per layer launched (kernel launch, dispatch), seconds. */
    readonly overheadSeconds: number;
    /** An inference engine on it folds a batch norm into the conv before it and applies a residual sum and a ReLU in the conv's output loop. */
    readonly fuses: boolean;
    /** Sustained FLOP/s of kernel classes below the roof (calibrated profiles); a class without one uses `peakFlops`. */
    readonly ceilings?: Partial<Record<KernelClass, number>>;
    /** Where the figures come from. */
    readonly source: string;
    /** A calibrated profile: when, where and how it was measured. */
    readonly calibration?: Readonly<Record<string, unknown>>;
}

const GIGA = 1e9;

/**
 * The shipped profiles. Peak compute is cores × FLOP per cycle × clock, from the makers' specifications; the launch
 * overhead is not published anywhere and is an order of magnitude (a few microseconds per kernel).
 */
export const DEVICE_PROFILES: readonly DeviceProfile[] = [
    {
        // Intel Core i7-8700K (Coffee Lake), one core: two FMA ports, each a 128-bit vector of 4 float32 lanes per
        // cycle, 2 FLOPs per FMA → 16 FLOP/cycle; max turbo 4.7 GHz (Intel ARK) → 75.2 GFLOP/s.
        // Memory: dual-channel DDR4-2666, "Max Memory Bandwidth 41.6 GB/s" (Intel ARK).
        id: 'desktop-cpu-core',
        name: 'desktop CPU core, 128-bit SIMD (Intel Core i7-8700K, 1 core)',
        shortName: 'a desktop CPU core',
        peakFlops: 2 * 4 * 2 * 4.7 * GIGA,
        bandwidth: 41.6 * GIGA,
        overheadSeconds: 2e-6,
        fuses: true,
        source: 'Intel ARK, Core i7-8700K: max turbo 4.7 GHz, max memory bandwidth 41.6 GB/s; 2 FMA ports × 4 lanes (128-bit) × 2 FLOP',
    },
    {
        // NVIDIA GeForce RTX 3060 Laptop GPU: 3840 CUDA cores, boost clock up to 1703 MHz (NVIDIA's specifications),
        // 2 FLOPs per core per cycle (FMA) → 3840 × 2 × 1.703 GHz = 13.08 TFLOP/s float32.
        // Memory: 6 GB GDDR6 on a 192-bit bus at 14 Gbps → 192 / 8 × 14 = 336 GB/s.
        id: 'laptop-gpu',
        name: 'laptop GPU (NVIDIA GeForce RTX 3060 Laptop)',
        shortName: 'a laptop GPU',
        peakFlops: 3840 * 2 * 1.703 * GIGA,
        bandwidth: (192 / 8) * 14 * GIGA,
        overheadSeconds: 5e-6,
        fuses: true,
        source: 'NVIDIA GeForce RTX 3060 Laptop GPU specifications: 3840 CUDA cores, boost up to 1703 MHz, 192-bit GDDR6 at 14 Gbps',
    },
    {
        // Arm Cortex-A76 as the prime core of a Snapdragon 855 at 2.84 GHz (Qualcomm): two 128-bit NEON FMA pipes,
        // 4 float32 lanes each, 2 FLOPs per FMA → 16 FLOP/cycle → 45.44 GFLOP/s.
        // Memory: LPDDR4X at 2133 MHz (4266 MT/s), 4 × 16-bit channels → 8 B × 4266 MT/s = 34.1 GB/s (Qualcomm).
        id: 'phone-arm-core',
        name: 'phone-class ARM core (Cortex-A76, Snapdragon 855 prime core)',
        shortName: 'a phone ARM core',
        peakFlops: 2 * 4 * 2 * 2.84 * GIGA,
        bandwidth: 8 * 4.266 * GIGA,
        overheadSeconds: 3e-6,
        fuses: true,
        source: 'Qualcomm Snapdragon 855: Cortex-A76 prime core at 2.84 GHz, LPDDR4X 2133 MHz (4 × 16-bit); Arm: 2 × 128-bit FMA pipes',
    },
];

/**
 * The class whose ceiling stands in for one a profile lacks: profiles calibrated before pointwise convs, pooling
 * windows and small planes' Winograd convs were measured apart counted them as dense, element-wise and dense.
 */
const CEILING_FALLBACK: Partial<Record<KernelClass, KernelClass>> = { 'pointwise': 'dense', 'window': 'elementwise', 'winograd-small': 'dense' };

/** The rate a layer of `kernel` class is predicted at on `device`: its ceiling, else the class it was part of, else the peak. */
export function ceilingOf(device: DeviceProfile, kernel: KernelClass): number {
    const fallback = CEILING_FALLBACK[kernel];
    return device.ceilings?.[kernel] ?? (fallback && device.ceilings?.[fallback]) ?? device.peakFlops;
}

/** The id `--device` and the setting use for the calibrated profile. */
export const THIS_MACHINE = 'this-machine';

export function findDeviceProfile(id: string): DeviceProfile | undefined {
    return DEVICE_PROFILES.find(d => d.id === id);
}

/** The format tag of a calibrated profile's JSON. */
export const DEVICE_FILE_FORMAT = 'convnet-device-profile/1';

/**
 * A profile from its JSON (what `convnet calibrate` writes); a one-sentence reason when it is not one. `label` names
 * the file in the message.
 */
export function parseDeviceProfile(text: string, label: string): DeviceProfile | string {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return `${label} is not JSON (regenerate it with: convnet calibrate)`;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${label} is not a device profile (regenerate it with: convnet calibrate)`;
    const v = value as Record<string, unknown>;
    if (v.format !== DEVICE_FILE_FORMAT) return `${label} is not a device profile of this version (format '${DEVICE_FILE_FORMAT}'; regenerate it with: convnet calibrate)`;
    const positive = (key: string) => typeof v[key] === 'number' && Number.isFinite(v[key]) && (v[key] as number) > 0;
    for (const key of ['peakFlops', 'bandwidth']) if (!positive(key)) return `${label}: '${key}' must be a positive number`;
    if (typeof v.overheadSeconds !== 'number' || !(v.overheadSeconds >= 0) || !Number.isFinite(v.overheadSeconds)) return `${label}: 'overheadSeconds' must be a number ≥ 0`;
    const ceilings: Partial<Record<KernelClass, number>> = {};
    if (v.ceilings !== undefined) {
        if (typeof v.ceilings !== 'object' || v.ceilings === null) return `${label}: 'ceilings' must be an object of FLOP/s by kernel class`;
        for (const [key, rate] of Object.entries(v.ceilings as Record<string, unknown>)) {
            if (!(KERNEL_CLASSES as readonly string[]).includes(key)) return `${label}: unknown kernel class '${key}' in 'ceilings' (known: ${KERNEL_CLASSES.join(', ')})`;
            if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) return `${label}: the ceiling of '${key}' must be a positive number`;
            ceilings[key as KernelClass] = rate;
        }
    }
    return {
        id: typeof v.id === 'string' ? v.id : THIS_MACHINE,
        name: typeof v.name === 'string' ? v.name : 'this machine',
        shortName: typeof v.shortName === 'string' ? v.shortName : 'this machine',
        peakFlops: v.peakFlops as number,
        bandwidth: v.bandwidth as number,
        overheadSeconds: v.overheadSeconds,
        fuses: v.fuses !== false,
        ceilings,
        source: typeof v.source === 'string' ? v.source : `calibrated (${label})`,
        ...(typeof v.calibration === 'object' && v.calibration !== null ? { calibration: v.calibration as Record<string, unknown> } : {}),
    };
}

/** The JSON of a calibrated profile. */
export function serializeDeviceProfile(profile: DeviceProfile): string {
    return `${JSON.stringify({ format: DEVICE_FILE_FORMAT, ...profile }, null, 2)}\n`;
}

/**
 * The profile a budget or a front end names — a shipped id, or this machine's calibrated one where the front end
 * has it — or why there is none, in one sentence.
 */
export type DeviceResolver = (id: string) => DeviceProfile | string;

/**
 * The device profiles a front end has: the shipped ones, and this machine's — read from its file by the CLI and
 * the desktop language server when first asked for, or sent by the editor's client (the web extension has no
 * file system of its own). Until then a latency budget on this machine says it cannot be checked.
 */
export class DeviceRegistry {
    private thisMachine: DeviceProfile | string | (() => DeviceProfile | string) = 'this machine is not calibrated here (run: convnet calibrate)';

    /** This machine's profile, or a function that reads it (called once, when a budget first needs it). */
    setThisMachine(profile: DeviceProfile | string | (() => DeviceProfile | string)): void {
        this.thisMachine = profile;
    }

    readonly resolve: DeviceResolver = id => {
        const shipped = findDeviceProfile(id);
        if (shipped) return shipped;
        if (id !== THIS_MACHINE) return `unknown device '${id}' (known: ${[...DEVICE_PROFILES.map(d => d.id), THIS_MACHINE].join(', ')})`;
        if (typeof this.thisMachine === 'function') this.thisMachine = this.thisMachine();
        return this.thisMachine;
    };
}
