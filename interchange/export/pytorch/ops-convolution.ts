/**
 * Convolutions as PyTorch modules (they have weights, so they are always modules). Symmetric padding is the
 * module's `padding` (and `padding_mode`); per-side padding is a helper: `PaddedConvNd` pads first (in the mode), `CroppedConvTransposeNd` crops
 * after, `DeformConv2d` takes the pad.
 */
import type { OpTable } from '../../../language/ops/registry.js';
import { perDimension } from '../../../language/ops/shape-utils.js';
import { call, kw, lit, pos, type Py, type PyArg } from './py-ast.js';
import { compact, dimsOf, fail, useHelper, windowOf, type ModuleForm, type OpContext } from './op-context.js';

/** The arguments every convolution module starts with: channels in and out, kernel size, stride. */
function leadingArgs(c: OpContext, w: ReturnType<typeof windowOf>): PyArg[] {
    return [
        pos(lit(c.inShapes[0][1], 'in_channels')), pos(lit(c.outShapes[0][1], 'out_channels')), pos(lit(compact(w.kernel), 'kernel_size')),
        kw('stride', lit(compact(w.stride), 'stride'), 1),
    ];
}

/** conv and dwconv (a depthwise conv has one group per input channel). */
function convModule(depthwise: boolean): ModuleForm {
    return (c: OpContext) => {
        const { node } = c;
        const a = node.attrs;
        const x = c.inShapes[0];
        const d = dimsOf(c);
        const w = windowOf(node, x);
        const groups = depthwise ? x[1] : a.groups as number;
        const args = leadingArgs(c, w);
        if (w.symmetric) args.push(kw('padding', lit(compact(w.pads.begin), 'padding'), 0));
        args.push(kw('dilation', lit(compact(w.dilation), 'dilation'), 1), kw('groups', lit(groups, 'groups'), 1), kw('bias', lit(a.bias as boolean, 'bias'), true));
        const mode = (a.padding_mode as string | undefined) ?? 'zeros';
        if (w.symmetric) args.push(kw('padding_mode', lit(mode, 'padding_mode'), 'zeros'));
        else args.push(kw('pad', lit(w.fpad, 'pad')), kw('pad_mode', lit(mode === 'zeros' ? 'constant' : mode, 'pad_mode'), 'constant'));
        return call(w.symmetric ? `nn.Conv${d}d` : useHelper(c, `PaddedConv${d}d`), ...args);
    };
}

function convTransposeModule(c: OpContext): Py {
    const { node } = c;
    const a = node.attrs;
    const x = c.inShapes[0];
    const d = dimsOf(c);
    const w = windowOf(node, x);
    const outputPadding = perDimension(a.output_padding, d) ?? fail(node, 'output_padding has the wrong length');
    const args = leadingArgs(c, w);
    if (w.symmetric) args.push(kw('padding', lit(compact(w.pads.begin), 'padding'), 0));
    args.push(kw('output_padding', lit(compact(outputPadding), 'output_padding'), 0), kw('groups', lit(a.groups as number, 'groups'), 1),
        kw('bias', lit(a.bias as boolean, 'bias'), true), kw('dilation', lit(compact(w.dilation), 'dilation'), 1));
    if (!w.symmetric) args.push(kw('crop', lit(w.pads.begin.flatMap((b, i) => [b, w.pads.end[i]]), 'crop')));
    return call(w.symmetric ? `nn.ConvTranspose${d}d` : useHelper(c, `CroppedConvTranspose${d}d`), ...args);
}

function deformConvModule(c: OpContext): Py {
    const { node } = c;
    const a = node.attrs;
    const x = c.inShapes[0];
    const w = windowOf(node, x);
    c.imports.add('torchvision');
    const args: PyArg[] = [
        ...leadingArgs(c, w),
        kw('padding', lit(w.symmetric ? compact(w.pads.begin) : 0, 'padding'), 0),
        kw('dilation', lit(compact(w.dilation), 'dilation'), 1), kw('groups', lit(a.groups as number, 'groups'), 1), kw('bias', lit(a.bias as boolean, 'bias'), true),
    ];
    if (!w.symmetric) args.push(kw('pad', lit(w.fpad, 'pad')));
    return call(useHelper(c, 'DeformConv2d'), ...args);
}

export const convolutionModules: OpTable<ModuleForm> = {
    conv: convModule(false),
    dwconv: convModule(true),
    convtranspose: convTransposeModule,
    deformconv: deformConvModule,
};
