/** The kernel of every op family (a table checked against the op registry), found by an op's name. */
import { entryFor, type OpTable } from '../../language/ops/registry.js';
import type { Kernel } from './types.js';
import { convKernel, convTransposeKernel, deformConvKernel } from './conv.js';
import { poolKernels } from './pool.js';
import { normKernels } from './norm.js';
import { activationKernels } from './activation.js';
import { tensorKernels } from './tensor.js';
import { mergeKernels } from './merge.js';
import { parameterKernels } from './parameter.js';

export const KERNELS: OpTable<Kernel> = {
    conv: convKernel,
    dwconv: convKernel,
    convtranspose: convTransposeKernel,
    deformconv: deformConvKernel,
    ...poolKernels,
    ...normKernels,
    ...activationKernels,
    ...tensorKernels,
    ...mergeKernels,
    ...parameterKernels,
};

/** The kernel that runs `op` (a canonical name or alias), or undefined when the runtime has none. */
export function findKernel(op: string): Kernel | undefined {
    return entryFor(KERNELS, op);
}
