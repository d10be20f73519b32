/**
 * How every op family is written in PyTorch: its nn.Module form (every family has one) and, where PyTorch has one,
 * its functional form for forward. Both are tables keyed by family, checked against the op registry.
 */
import { entryFor, type OpTable } from '../../../language/ops/registry.js';
import { raw, type Py } from './py-ast.js';
import { fail, type FunctionForm, type ModuleForm, type OpContext } from './op-context.js';
import { convolutionModules } from './ops-convolution.js';
import { poolingFunctions, poolingModules } from './ops-pooling.js';
import { normalizationModules } from './ops-normalization.js';
import { activationFunctions, activationModules } from './ops-activation.js';
import { tensorFunctions, tensorModules } from './ops-tensor.js';
import { mergeFunctions, mergeModules } from './ops-merge.js';
import { parameterFunctions, parameterModules } from './ops-parameter.js';

/** The nn.Module of every op family: what a layer with parameters or a label becomes. */
export const PYTORCH_MODULES: OpTable<ModuleForm> = {
    ...convolutionModules,
    ...poolingModules,
    ...normalizationModules,
    ...activationModules,
    ...tensorModules,
    ...mergeModules,
    ...parameterModules,
};

/** The inline form in forward of the families that have one (layers with weights, and identity, have none). */
export const PYTORCH_FUNCTIONS: OpTable<FunctionForm> = {
    ...poolingFunctions,
    ...activationFunctions,
    ...tensorFunctions,
    ...mergeFunctions,
    ...parameterFunctions,
};

/** The nn.Module that computes a layer (its parameters under the layer's name). */
export function moduleOf(c: OpContext): Py {
    const moduleForm = entryFor(PYTORCH_MODULES, c.node.op) ?? fail(c.node, `the PyTorch exporter has no mapping for op '${c.node.op}'`);
    return moduleForm(c);
}

/** The layer written inline in forward on the variables `inputs`; undefined when it needs a module. */
export function inlineOf(c: OpContext, inputs: readonly string[]): Py | undefined {
    return entryFor(PYTORCH_FUNCTIONS, c.node.op)?.(c, inputs.map(raw));
}
