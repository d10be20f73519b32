/**
 * Pooling as PyTorch modules and inline functions. A pool with per-side padding has no functional form: it is a
 * constant pad followed by an unpadded pool, which only a module (an nn.Sequential of the two) can be.
 */
import type { GraphNode } from '../../../language/elaboration/graph.js';
import type { OpTable } from '../../../language/ops/registry.js';
import { call, kw, lit, pos, raw, type PyArg, type PyLit } from './py-ast.js';
import { compact, dimsOf, fail, useHelper, windowOf, type FunctionForm, type ModuleForm, type OpContext } from './op-context.js';

type PoolKind = 'max' | 'avg';

/** The window's arguments, as nn.MaxPoolNd / nn.AvgPoolNd and F.max_poolNd / F.avg_poolNd take them (after the input). */
function windowArgs(node: GraphNode, w: ReturnType<typeof windowOf>, kind: PoolKind): PyArg[] {
    const a = node.attrs;
    const args: PyArg[] = [pos(lit(compact(w.kernel), 'kernel_size')), kw('stride', lit(compact(w.stride), 'stride'))];
    if (w.symmetric) args.push(kw('padding', lit(compact(w.pads.begin), 'padding'), 0));
    if (kind === 'max') args.push(kw('dilation', lit(compact(w.dilation), 'dilation'), 1));
    args.push(kw('ceil_mode', lit(a.ceil_mode as boolean, 'ceil_mode'), false));
    if (kind === 'avg') args.push(kw('count_include_pad', lit(a.count_include_pad as boolean, 'count_include_pad'), true));
    if (kind === 'avg' && a.divisor_override !== undefined) args.push(kw('divisor_override', lit(a.divisor_override as number, 'divisor_override')));
    return args;
}

function slidingPoolModule(kind: PoolKind): ModuleForm {
    return c => {
        const { node } = c;
        const x = c.inShapes[0];
        const d = dimsOf(c);
        const max = kind === 'max';
        const w = windowOf(node, x, max);
        const pool = call(`nn.${max ? 'Max' : 'Avg'}Pool${d}d`, ...windowArgs(node, w, kind));
        if (w.symmetric) return pool;
        checkPerSidePool(node, x, w, max);
        return call('nn.Sequential', pos(call(`nn.ConstantPad${d}d`, pos(lit(w.fpad, 'pad')), pos(max ? raw("float('-inf')") : lit(0, 'value')))), pos(pool));
    };
}

function slidingPoolFunction(kind: PoolKind): FunctionForm {
    return (c, [x]) => {
        const w = windowOf(c.node, c.inShapes[0], kind === 'max');
        if (!w.symmetric) return undefined;
        return call(`F.${kind}_pool${dimsOf(c)}d`, pos(x), ...windowArgs(c.node, w, kind));
    };
}

/** Per-side pooling pads: a constant pad then an unpadded pool, which must give the same windows. */
function checkPerSidePool(node: GraphNode, x: readonly number[], w: ReturnType<typeof windowOf>, max: boolean): void {
    if (!max && node.attrs.count_include_pad === false && node.attrs.divisor_override === undefined) {
        fail(node, 'PyTorch pools pad symmetrically; per-side padding that is left out of the average (count_include_pad: false) has no PyTorch equivalent');
    }
    if (node.attrs.ceil_mode) {
        // PyTorch keeps a ceil-mode window of the padded input that ConvNet drops when it starts in the end padding.
        x.slice(2).forEach((size, i) => {
            const span = size + w.pads.begin[i] + w.pads.end[i] - (w.dilation[i] * (w.kernel[i] - 1) + 1);
            const torchOut = Math.ceil(span / w.stride[i]) + 1;
            const ours = Math.ceil(span / w.stride[i]) + 1 - ((Math.ceil(span / w.stride[i])) * w.stride[i] >= size + w.pads.begin[i] ? 1 : 0);
            if (torchOut !== ours) fail(node, 'with per-side padding and ceil_mode the last window starts in the padding, which PyTorch cannot express');
        });
    }
}

/** Adaptive pools to the layer's output size; global pools are adaptive pools to 1. */
const adaptiveSize = (c: OpContext): PyLit => compact(c.outShapes[0].slice(2));
const globalSize = (): PyLit => 1;

function adaptivePoolModule(kind: PoolKind, outputSize: (c: OpContext) => PyLit): ModuleForm {
    return c => call(`nn.Adaptive${kind === 'max' ? 'Max' : 'Avg'}Pool${dimsOf(c)}d`, pos(lit(outputSize(c), 'output_size')));
}

function adaptivePoolFunction(kind: PoolKind, outputSize: (c: OpContext) => PyLit): FunctionForm {
    return (c, [x]) => call(`F.adaptive_${kind}_pool${dimsOf(c)}d`, pos(x), pos(lit(outputSize(c), 'output_size')));
}

const sppArgs = (c: OpContext): PyArg[] => [pos(lit(c.node.attrs.levels as number[], 'levels')), kw('mode', lit(c.node.attrs.mode as string, 'mode'), 'max')];

export const poolingModules: OpTable<ModuleForm> = {
    maxpool: slidingPoolModule('max'),
    avgpool: slidingPoolModule('avg'),
    adaptiveavgpool: adaptivePoolModule('avg', adaptiveSize),
    adaptivemaxpool: adaptivePoolModule('max', adaptiveSize),
    globalavgpool: adaptivePoolModule('avg', globalSize),
    globalmaxpool: adaptivePoolModule('max', globalSize),
    spp: c => call(useHelper(c, 'SpatialPyramidPool'), ...sppArgs(c)),
};

export const poolingFunctions: OpTable<FunctionForm> = {
    maxpool: slidingPoolFunction('max'),
    avgpool: slidingPoolFunction('avg'),
    adaptiveavgpool: adaptivePoolFunction('avg', adaptiveSize),
    adaptivemaxpool: adaptivePoolFunction('max', adaptiveSize),
    globalavgpool: adaptivePoolFunction('avg', globalSize),
    globalmaxpool: adaptivePoolFunction('max', globalSize),
    spp: (c, [x]) => call(useHelper(c, 'spatial_pyramid_pool'), pos(x), ...sppArgs(c)),
};
