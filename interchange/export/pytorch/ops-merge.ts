/**
 * Ops on several tensors (add, sub, mul, div, concat) or parts of one (split, slice, shuffle) as PyTorch modules
 * and inline functions. The modules are small helper classes (`Add`, `Concat` …): nn.Sequential passes their
 * inputs on as one tuple.
 */
import { normalizeDim } from '../../../language/ops/tensor.js';
import type { OpTable } from '../../../language/ops/registry.js';
import { call, kw, lit, pos, type Py } from './py-ast.js';
import { useHelper, type FunctionForm, type ModuleForm, type OpContext } from './op-context.js';

function splitSizes(c: OpContext): number[] {
    const dim = normalizeDim(c.node.attrs.dim as number, c.inShapes[0].length)!;
    return c.outShapes.map(s => s[dim]);
}

function sliceBounds(c: OpContext): { dim: number; start: number; end: number; step: number } {
    const x = c.inShapes[0];
    const dim = normalizeDim(c.node.attrs.dim as number, x.length)!;
    const raw_ = c.node.attrs.start as number;
    const start = Math.min(Math.max(raw_ < 0 ? raw_ + x[dim] : raw_, 0), x[dim]);
    const step = c.node.attrs.step as number;
    const end = start + (c.outShapes[0][dim] - 1) * step + 1;
    return { dim, start, end, step };
}

const infix = (op: string): FunctionForm => (_, [a, b]): Py => ({ k: 'infix', op, a, b });

export const mergeModules: OpTable<ModuleForm> = {
    add: c => call(useHelper(c, 'Add')),
    sub: c => call(useHelper(c, 'Sub')),
    mul: c => call(useHelper(c, 'Mul')),
    div: c => call(useHelper(c, 'Div')),
    concat: c => call(useHelper(c, 'Concat'), kw('dim', lit(c.node.attrs.dim as number, 'dim'), 1)),
    split: c => call(useHelper(c, 'Split'), pos(lit(splitSizes(c), 'sizes')), kw('dim', lit(c.node.attrs.dim as number, 'dim'), 1)),
    slice: c => {
        const s = sliceBounds(c);
        return call(useHelper(c, 'Slice'), pos(lit(s.dim, 'dim')), pos(lit(s.start, 'start')), pos(lit(s.end, 'end')), kw('step', lit(s.step, 'step'), 1));
    },
    shuffle: c => call(useHelper(c, 'ChannelShuffle'), pos(lit(c.node.attrs.groups as number, 'groups'))),
};

export const mergeFunctions: OpTable<FunctionForm> = {
    add: infix('+'),
    sub: infix('-'),
    mul: infix('*'),
    div: infix('/'),
    concat: (c, inputs) => call('torch.cat', pos({ k: 'list', items: inputs }), kw('dim', lit(c.node.attrs.dim as number, 'dim'))),
    split: (c, [x]) => {
        const a = c.node.attrs;
        const sections = a.sections as number[];
        // Equal parts: torch.chunk takes their number (torch.split would take their size).
        if (sections.length === 1) return call('torch.chunk', pos(x), pos(lit(sections[0], 'chunks')), kw('dim', lit(a.dim as number, 'dim')));
        return call('torch.split', pos(x), pos(lit(splitSizes(c), 'sizes')), kw('dim', lit(a.dim as number, 'dim')));
    },
    slice: (c, [x]) => {
        const s = sliceBounds(c);
        return { k: 'slice', target: x, before: s.dim, start: lit(s.start, 'start'), end: lit(s.end, 'end'), step: lit(s.step, 'step') };
    },
    shuffle: (c, [x]) => call(useHelper(c, 'channel_shuffle'), pos(x), pos(lit(c.node.attrs.groups as number, 'groups'))),
};
