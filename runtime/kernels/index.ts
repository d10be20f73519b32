/** The kernel of every op, by the op's canonical name (the name in the graph). An unknown op has none. */
import type { Kernel } from './types.js';
import { convKernel, convTransposeKernel, deformConvKernel } from './conv.js';
import { poolKernels } from './pool.js';
import { normKernels } from './norm.js';
import { activationKernels } from './activation.js';
import { tensorKernels } from './tensor.js';
import { mergeKernels } from './merge.js';

const KERNELS: Record<string, Kernel> = {
    conv: convKernel,
    conv1d: convKernel,
    conv3d: convKernel,
    dwconv: convKernel,
    dwconv1d: convKernel,
    dwconv3d: convKernel,
    convtranspose: convTransposeKernel,
    convtranspose1d: convTransposeKernel,
    convtranspose3d: convTransposeKernel,
    deformconv: deformConvKernel,
    ...poolKernels,
    ...normKernels,
    ...activationKernels,
    ...tensorKernels,
    ...mergeKernels,
};

export function findKernel(op: string): Kernel | undefined {
    return KERNELS[op];
}

export function registeredOps(): string[] {
    return Object.keys(KERNELS);
}
