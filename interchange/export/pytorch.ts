/**
 * PyTorch export: an elaborated network as the source of a readable `nn.Module` whose `state_dict` keys are the
 * network's hierarchical names (`layer1.0.conv1.weight`), so weights move both ways through safetensors.
 *
 * - Each block becomes a class. Instances of a block with the same structure share one class, whose constructor
 *   takes what differs between them: the block's own arguments (`planes`, `stride`) where a layer's setting equals
 *   one (or a whole multiple of one), `in_channels` where it equals the input's channels, otherwise a parameter named
 *   after the layer and setting (`conv1_stride`). Instances that differ in structure (a block whose `if` added a
 *   downsample branch) get a class each: `BasicBlock`, `BasicBlock_2` …
 * - A list of layers is an `nn.Sequential` (children 0, 1, … or their labels); a list whose layers read tensors
 *   other than the previous layer's output is an `nn.ModuleDict` called layer by layer in the owner's forward.
 * - Layers with parameters (and labelled layers) are submodules under their names; other ops are written inline in
 *   `forward` (`F.relu(x)`, `a + b`, `torch.cat(…)`).
 * - What plain PyTorch modules cannot express (per-side padding, channel shuffle, spatial pyramid pooling …) uses a
 *   few small helpers written into the file, and only those the network needs.
 * - The file ends with `load_safetensors` / `save_safetensors` (a few lines of struct and json, no extra package),
 *   `load_weights(model, path)` and a `__main__` that builds the model, loads weights given on the command line and
 *   runs a random input.
 */
import { pythonDocText, pythonString } from './python-text.js';
import { baseNameOfUri } from '../../language/util/uri.js';
import * as path from 'node:path';
import type { GraphModule, GraphNode, NetworkGraph } from '../../language/elaboration/graph.js';
import { resolveWindowAttrs } from '../../language/ops/conv.js';
import { isIssue, resolvePadding } from '../../language/ops/padding.js';
import { findOp } from '../../language/ops/registry.js';
import { normalizeDim } from '../../language/ops/tensor.js';
import { perDimension } from '../../language/ops/shape-utils.js';

export class PytorchExportError extends Error {}

export interface PytorchExport {
    readonly source: string;
    /** The class of the network (`ResNet18`). */
    readonly className: string;
    /** The classes written for blocks, in the order they appear. */
    readonly blockClasses: readonly string[];
}

export interface PytorchExportOptions {
    /** The `.convnet` file, named in the header. */
    readonly sourceFile?: string;
}

// ----- a small model of Python expressions -----------------------------------------------------------------------

type PyLit = number | boolean | string | null | readonly PyLit[];

type Py =
    | { readonly k: 'lit'; readonly v: PyLit; hint: string; id?: number }
    | { readonly k: 'raw'; readonly s: string }
    | { readonly k: 'call'; readonly fn: string; readonly args: readonly PyArg[] }
    | { readonly k: 'infix'; readonly op: string; readonly a: Py; readonly b: Py }
    | { readonly k: 'list'; readonly items: readonly Py[] }
    | { readonly k: 'dict'; readonly items: readonly (readonly [string, Py])[] }
    | { readonly k: 'slice'; readonly target: Py; readonly before: number; readonly start: Py; readonly end: Py; readonly step: Py };

interface PyArg {
    readonly kw?: string;
    readonly v: Py;
    /** Left out when it resolves to this literal (PyTorch's default). */
    readonly dflt?: PyLit;
}

const lit = (v: PyLit, hint: string): Py => ({ k: 'lit', v, hint });
const raw = (s: string): Py => ({ k: 'raw', s });
const call = (fn: string, ...args: PyArg[]): Py => ({ k: 'call', fn, args });
const pos = (v: Py): PyArg => ({ v });
const kw = (name: string, v: Py, dflt?: PyLit): PyArg => ({ kw: name, v, dflt });

function pyLiteral(v: PyLit): string {
    if (v === null) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (typeof v === 'number') {
        if (Number.isNaN(v)) return "float('nan')";
        if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : "float('-inf')";
        return String(v);
    }
    if (typeof v === 'string') return pythonString(v);
    return v.length === 1 ? `(${pyLiteral(v[0])},)` : `(${v.map(pyLiteral).join(', ')})`;
}

const sameLit = (a: PyLit | undefined, b: PyLit | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** How a literal slot is written: its value, or an expression of the class's constructor parameters. */
type SlotResolver = (slot: Py & { k: 'lit' }) => { expr: string } | { literal: PyLit };

function render(py: Py, resolve: SlotResolver): string {
    switch (py.k) {
        case 'lit': {
            const r = resolve(py);
            return 'expr' in r ? r.expr : pyLiteral(r.literal);
        }
        case 'raw': return py.s;
        case 'call': return `${py.fn}(${visibleArgs(py, resolve).map(a => (a.kw ? `${a.kw}=${render(a.v, resolve)}` : render(a.v, resolve))).join(', ')})`;
        case 'infix': return `${render(py.a, resolve)} ${py.op} ${render(py.b, resolve)}`;
        case 'list': return `[${py.items.map(i => render(i, resolve)).join(', ')}]`;
        case 'dict': return `OrderedDict([${py.items.map(([k, v]) => `(${pythonString(k)}, ${render(v, resolve)})`).join(', ')}])`;
        case 'slice': {
            const colons = Array(py.before).fill(':');
            const step = render(py.step, resolve);
            const range = `${render(py.start, resolve)}:${render(py.end, resolve)}${step === '1' ? '' : `:${step}`}`;
            return `${render(py.target, resolve)}[${[...colons, range].join(', ')}]`;
        }
    }
}

/** A call's arguments without the keywords left at their default. */
function visibleArgs(py: Py & { k: 'call' }, resolve: SlotResolver): PyArg[] {
    return py.args.filter(a => {
        if (a.dflt === undefined || a.v.k !== 'lit') return true;
        const r = resolve(a.v);
        return 'expr' in r || !sameLit(r.literal, a.dflt);
    });
}

/** As `render`, but a call or OrderedDict longer than the line puts one argument per line. */
function renderPretty(py: Py, resolve: SlotResolver, indent: string, used: number, width = 120): string {
    const flat = render(py, resolve);
    if (used + flat.length <= width) return flat;
    const inner = `${indent}    `;
    if (py.k === 'call') {
        const args = visibleArgs(py, resolve);
        if (args.length === 0) return flat;
        const parts = args.map(a => `${inner}${a.kw ? `${a.kw}=` : ''}${renderPretty(a.v, resolve, inner, inner.length + (a.kw?.length ?? 0) + 1, width)}`);
        return `${py.fn}(\n${parts.join(',\n')},\n${indent})`;
    }
    if (py.k === 'dict') {
        const parts = py.items.map(([k, v]) => `${inner}(${pythonString(k)}, ${renderPretty(v, resolve, inner, inner.length + k.length + 5, width)})`);
        return `OrderedDict([\n${parts.join(',\n')},\n${indent}])`;
    }
    return flat;
}

/** Visits the literal slots of `py` in rendering order. */
function eachSlot(py: Py, visit: (slot: Py & { k: 'lit' }) => void): void {
    switch (py.k) {
        case 'lit': visit(py); break;
        case 'raw': break;
        case 'call': py.args.forEach(a => eachSlot(a.v, visit)); break;
        case 'infix': eachSlot(py.a, visit); eachSlot(py.b, visit); break;
        case 'list': py.items.forEach(i => eachSlot(i, visit)); break;
        case 'dict': py.items.forEach(([, v]) => eachSlot(v, visit)); break;
        case 'slice': eachSlot(py.target, visit); eachSlot(py.start, visit); eachSlot(py.end, visit); eachSlot(py.step, visit); break;
    }
}

// ----- names -----------------------------------------------------------------------------------------------------

const PY_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
    'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);
/** Names a submodule may not take as an attribute (nn.Module's own members); such layers use add_module. */
const MODULE_MEMBERS = new Set(['training', 'forward', 'state_dict', 'load_state_dict', 'parameters', 'named_parameters', 'buffers', 'named_buffers', 'children',
    'named_children', 'modules', 'named_modules', 'train', 'eval', 'to', 'cpu', 'cuda', 'type', 'float', 'double', 'half', 'bfloat16', 'apply', 'zero_grad',
    'add_module', 'register_buffer', 'register_parameter', 'register_module', 'get_submodule', 'get_parameter', 'get_buffer', 'extra_repr', 'requires_grad_',
    'share_memory', 'dump_patches', 'call_super_init']);
const RESERVED_GLOBALS = new Set(['torch', 'nn', 'F', 'torchvision', 'OrderedDict', 'math', 'struct', 'json', 'sys', 'self', 'super', 'print', 'len', 'range',
    'float', 'int', 'tuple', 'list', 'dict', 'isinstance', 'open', 'channel_shuffle', 'spatial_pyramid_pool', 'load_safetensors', 'save_safetensors',
    'load_weights']);

function identifier(text: string, fallback = 'x'): string {
    let name = text.replace(/[^A-Za-z0-9_]/g, '_');
    if (!name) name = fallback;
    if (/^[0-9]/.test(name)) name = `_${name}`;
    if (PY_KEYWORDS.has(name) || RESERVED_GLOBALS.has(name)) name = `${name}_`;
    return name;
}

const isAttributeName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name) && !MODULE_MEMBERS.has(name);

/** `self.conv1`, or `self._modules["lambda"]` for a name that cannot be an attribute. */
function memberAccess(owner: string, name: string): string {
    return isAttributeName(name) ? `${owner}.${name}` : `${owner}._modules[${pythonString(name)}]`;
}

function lastSegment(name: string): string {
    return name.slice(name.lastIndexOf('.') + 1);
}

/** Whether a layer name was made up by the elaborator (`relu_2`) rather than given as a label. */
function isAutoName(node: GraphNode): boolean {
    const spec = findOp(node.op);
    const bases = [node.op, ...(spec?.aliases ?? [])];
    const last = lastSegment(node.name);
    return bases.some(b => last === b || new RegExp(`^${b}_\\d+$`).test(last)) || /^\d+$/.test(last);
}

// ----- helpers written into the file when used -----------------------------------------------------------------

const HELPERS: Record<string, { code: string; needs?: string[] }> = {
    _tensors: {
        code: `def _tensors(inputs):
    """The tensors a module was called with: (a, b) or one tuple (a, b), as nn.Sequential passes them on."""
    if len(inputs) == 1 and isinstance(inputs[0], (tuple, list)):
        return tuple(inputs[0])
    return tuple(inputs)`,
    },
    Add: { needs: ['_tensors'], code: `class Add(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a + b` },
    Sub: { needs: ['_tensors'], code: `class Sub(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a - b` },
    Mul: { needs: ['_tensors'], code: `class Mul(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a * b` },
    Div: { needs: ['_tensors'], code: `class Div(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return a / b` },
    MatMul: { needs: ['_tensors'], code: `class MatMul(nn.Module):
    def forward(self, *inputs):
        a, b = _tensors(inputs)
        return torch.matmul(a, b)` },
    Concat: { needs: ['_tensors'], code: `class Concat(nn.Module):
    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, *inputs):
        return torch.cat(_tensors(inputs), dim=self.dim)` },
    Split: { code: `class Split(nn.Module):
    def __init__(self, sizes, dim=1):
        super().__init__()
        self.sizes = list(sizes)
        self.dim = dim

    def forward(self, x):
        return torch.split(x, self.sizes, dim=self.dim)` },
    Slice: { code: `class Slice(nn.Module):
    """Elements start, start+step, … before end along dim."""

    def __init__(self, dim, start, end, step=1):
        super().__init__()
        self.dim, self.start, self.end, self.step = dim, start, end, step

    def forward(self, x):
        index = [slice(None)] * x.dim()
        index[self.dim] = slice(self.start, self.end, self.step)
        return x[tuple(index)]` },
    Reshape: { code: `class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(self.shape)` },
    channel_shuffle: { code: `def channel_shuffle(x, groups):
    """ShuffleNet's channel shuffle: channels viewed as groups × C/groups, transposed, flattened."""
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)` },
    ChannelShuffle: { needs: ['channel_shuffle'], code: `class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        return channel_shuffle(x, self.groups)` },
    spatial_pyramid_pool: { code: `def spatial_pyramid_pool(x, levels, mode='max'):
    """SPP-net: pools an l×l grid for every level l and concatenates the flattened grids."""
    pool = F.adaptive_max_pool2d if mode == 'max' else F.adaptive_avg_pool2d
    return torch.cat([pool(x, level).flatten(1) for level in levels], dim=1)` },
    SpatialPyramidPool: { needs: ['spatial_pyramid_pool'], code: `class SpatialPyramidPool(nn.Module):
    def __init__(self, levels, mode='max'):
        super().__init__()
        self.levels, self.mode = tuple(levels), mode

    def forward(self, x):
        return spatial_pyramid_pool(x, self.levels, self.mode)` },
    DeformConv2d: { needs: ['_tensors'], code: `class DeformConv2d(torchvision.ops.DeformConv2d):
    """torchvision's deformable conv, called with (x, offsets[, mask]); \`pad\` is per-side zero padding (F.pad order)."""

    def __init__(self, *args, pad=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, *inputs):
        x, offset, *mask = _tensors(inputs)
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return super().forward(x, offset, mask[0] if mask else None)` },
};

for (const d of [1, 2, 3]) {
    HELPERS[`PaddedConv${d}d`] = { code: `class PaddedConv${d}d(nn.Conv${d}d):
    """nn.Conv${d}d with per-side zero padding \`pad\` (F.pad order: last dimension first)."""

    def __init__(self, *args, pad, **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = tuple(pad)

    def forward(self, x):
        return super().forward(F.pad(x, self.pad))` };
    HELPERS[`CroppedConvTranspose${d}d`] = { code: `class CroppedConvTranspose${d}d(nn.ConvTranspose${d}d):
    """nn.ConvTranspose${d}d (padding 0) whose output loses \`crop\` = (begin, end, …) per spatial dimension, first dimension first."""

    def __init__(self, *args, crop, **kwargs):
        super().__init__(*args, **kwargs)
        self.crop = tuple(crop)

    def forward(self, x):
        y = super().forward(x)
        index = [slice(None), slice(None)]
        for i in range(y.dim() - 2):
            begin, end = self.crop[2 * i], self.crop[2 * i + 1]
            index.append(slice(begin, y.shape[2 + i] - end))
        return y[tuple(index)]` };
}

// ----- the graph's structure ----------------------------------------------------------------------------------

type Item = { readonly kind: 'node'; readonly node: GraphNode } | { readonly kind: 'module'; readonly module: GraphModule };

interface Structure {
    readonly graph: NetworkGraph;
    readonly consumers: readonly number[][];
    readonly outputTensors: ReadonlySet<number>;
    /** Items directly inside a container (-1: the network). */
    items(container: number): Item[];
    inputsOf(item: Item): number[];
    outputsOf(item: Item): number[];
}

function analyse(graph: NetworkGraph): Structure {
    const consumers: number[][] = graph.tensors.map(() => []);
    for (const node of graph.nodes) for (const t of node.inputs) consumers[t].push(node.index);
    const outputTensors = new Set(graph.outputs.map(p => p.tensor));
    const childOf = (moduleIndex: number, container: number): number | undefined => {
        let m = moduleIndex;
        while (m !== -1 && graph.modules[m].parent !== container) m = graph.modules[m].parent;
        return m === -1 ? undefined : m;
    };
    const boundary = (first: number, end: number) => {
        const inputs: number[] = [];
        const outputs: number[] = [];
        for (let i = first; i < end; i++) {
            for (const t of graph.nodes[i].inputs) {
                const p = graph.tensors[t].producer;
                if ((p === undefined || p < first || p >= end) && !inputs.includes(t)) inputs.push(t);
            }
            for (const t of graph.nodes[i].outputs) {
                if (outputTensors.has(t) || consumers[t].some(c => c < first || c >= end)) outputs.push(t);
            }
        }
        return { inputs, outputs };
    };
    return {
        graph, consumers, outputTensors,
        items(container) {
            const [first, end] = container === -1 ? [0, graph.nodes.length] : [graph.modules[container].firstNode, graph.modules[container].endNode];
            const items: Item[] = [];
            for (let i = first; i < end; i++) {
                const node = graph.nodes[i];
                if (node.module === container) {
                    items.push({ kind: 'node', node });
                    continue;
                }
                const m = childOf(node.module, container)!;
                const last = items[items.length - 1];
                if (!(last?.kind === 'module' && last.module.index === m)) items.push({ kind: 'module', module: graph.modules[m] });
            }
            return items;
        },
        inputsOf(item) {
            return item.kind === 'node' ? [...item.node.inputs] : boundary(item.module.firstNode, item.module.endNode).inputs;
        },
        outputsOf(item) {
            return item.kind === 'node' ? [...item.node.outputs] : boundary(item.module.firstNode, item.module.endNode).outputs;
        },
    };
}

// ----- ops ---------------------------------------------------------------------------------------------------

function fail(node: GraphNode, reason: string): never {
    throw new PytorchExportError(`cannot export layer '${node.name}' (${node.op}) to PyTorch: ${reason}`);
}

/** `3` for (3, 3), the tuple otherwise. */
function compact(values: readonly number[]): PyLit {
    return values.every(v => v === values[0]) ? values[0] : values;
}

function windowOf(node: GraphNode, inShape: readonly number[], dilation = true) {
    const dims = inShape.length - 2;
    const w = resolveWindowAttrs({ inputs: [inShape], attrs: node.attrs }, dims, { dilation });
    if (w.issues.length) fail(node, w.issues[0].message);
    const symmetric = w.pads.begin.every((b, i) => b === w.pads.end[i]);
    // F.pad lists the last dimension first.
    const fpad: number[] = [];
    for (let i = dims - 1; i >= 0; i--) fpad.push(w.pads.begin[i], w.pads.end[i]);
    return { ...w, symmetric, fpad };
}

interface OpContext {
    readonly node: GraphNode;
    readonly inShapes: readonly (readonly number[])[];
    readonly outShapes: readonly (readonly number[])[];
    readonly helpers: Set<string>;
    readonly imports: Set<string>;
}

const dimsOf = (c: OpContext) => c.inShapes[0].length - 2;

/** The nn.Module that computes a layer (its parameters under the layer's name). */
function moduleOf(c: OpContext): Py {
    const { node } = c;
    const a = node.attrs;
    const x = c.inShapes[0];
    const d = dimsOf(c);
    const use = (helper: string) => {
        c.helpers.add(helper);
        return helper;
    };
    switch (node.op) {
        case 'conv': case 'conv1d': case 'conv3d': case 'dwconv': case 'dwconv1d': case 'dwconv3d': {
            const w = windowOf(node, x);
            const depthwise = node.op.startsWith('dwconv');
            const cout = c.outShapes[0][1];
            const groups = depthwise ? x[1] : a.groups as number;
            const args: PyArg[] = [
                pos(lit(x[1], 'in_channels')), pos(lit(cout, 'out_channels')), pos(lit(compact(w.kernel), 'kernel_size')),
                kw('stride', lit(compact(w.stride), 'stride'), 1),
            ];
            if (w.symmetric) args.push(kw('padding', lit(compact(w.pads.begin), 'padding'), 0));
            args.push(kw('dilation', lit(compact(w.dilation), 'dilation'), 1), kw('groups', lit(groups, 'groups'), 1), kw('bias', lit(a.bias as boolean, 'bias'), true));
            if (!w.symmetric) args.push(kw('pad', lit(w.fpad, 'pad')));
            return call(w.symmetric ? `nn.Conv${d}d` : use(`PaddedConv${d}d`), ...args);
        }
        case 'convtranspose': case 'convtranspose1d': case 'convtranspose3d': {
            const w = windowOf(node, x);
            const outputPadding = perDimension(a.output_padding, d) ?? fail(node, 'output_padding has the wrong length');
            const args: PyArg[] = [
                pos(lit(x[1], 'in_channels')), pos(lit(c.outShapes[0][1], 'out_channels')), pos(lit(compact(w.kernel), 'kernel_size')),
                kw('stride', lit(compact(w.stride), 'stride'), 1),
            ];
            if (w.symmetric) args.push(kw('padding', lit(compact(w.pads.begin), 'padding'), 0));
            args.push(kw('output_padding', lit(compact(outputPadding), 'output_padding'), 0), kw('groups', lit(a.groups as number, 'groups'), 1),
                kw('bias', lit(a.bias as boolean, 'bias'), true), kw('dilation', lit(compact(w.dilation), 'dilation'), 1));
            if (!w.symmetric) args.push(kw('crop', lit(w.pads.begin.flatMap((b, i) => [b, w.pads.end[i]]), 'crop')));
            return call(w.symmetric ? `nn.ConvTranspose${d}d` : use(`CroppedConvTranspose${d}d`), ...args);
        }
        case 'deformconv': {
            const w = windowOf(node, x);
            c.imports.add('torchvision');
            const args: PyArg[] = [
                pos(lit(x[1], 'in_channels')), pos(lit(c.outShapes[0][1], 'out_channels')), pos(lit(compact(w.kernel), 'kernel_size')),
                kw('stride', lit(compact(w.stride), 'stride'), 1),
                kw('padding', lit(w.symmetric ? compact(w.pads.begin) : 0, 'padding'), 0),
                kw('dilation', lit(compact(w.dilation), 'dilation'), 1), kw('groups', lit(a.groups as number, 'groups'), 1), kw('bias', lit(a.bias as boolean, 'bias'), true),
            ];
            if (!w.symmetric) args.push(kw('pad', lit(w.fpad, 'pad')));
            return call(use('DeformConv2d'), ...args);
        }
        case 'maxpool': case 'maxpool1d': case 'maxpool3d': case 'avgpool': case 'avgpool1d': case 'avgpool3d': {
            const max = node.op.startsWith('max');
            const w = windowOf(node, x, max);
            const args: PyArg[] = [pos(lit(compact(w.kernel), 'kernel_size')), kw('stride', lit(compact(w.stride), 'stride'))];
            if (w.symmetric) args.push(kw('padding', lit(compact(w.pads.begin), 'padding'), 0));
            if (max) args.push(kw('dilation', lit(compact(w.dilation), 'dilation'), 1));
            args.push(kw('ceil_mode', lit(a.ceil_mode as boolean, 'ceil_mode'), false));
            if (!max) args.push(kw('count_include_pad', lit(a.count_include_pad as boolean, 'count_include_pad'), true));
            const pool = call(`nn.${max ? 'Max' : 'Avg'}Pool${d}d`, ...args);
            if (w.symmetric) return pool;
            checkPerSidePool(node, x, w, max);
            return call('nn.Sequential', pos(call(`nn.ConstantPad${d}d`, pos(lit(w.fpad, 'pad')), pos(max ? raw("float('-inf')") : lit(0, 'value')))), pos(pool));
        }
        case 'adaptiveavgpool': case 'adaptiveavgpool1d': case 'adaptiveavgpool3d':
            return call(`nn.AdaptiveAvgPool${d}d`, pos(lit(compact(c.outShapes[0].slice(2)), 'output_size')));
        case 'adaptivemaxpool': case 'adaptivemaxpool1d': case 'adaptivemaxpool3d':
            return call(`nn.AdaptiveMaxPool${d}d`, pos(lit(compact(c.outShapes[0].slice(2)), 'output_size')));
        case 'globalavgpool': return call(`nn.AdaptiveAvgPool${d}d`, pos(lit(1, 'output_size')));
        case 'globalmaxpool': return call(`nn.AdaptiveMaxPool${d}d`, pos(lit(1, 'output_size')));
        case 'spp': return call(use('SpatialPyramidPool'), pos(lit(a.levels as number[], 'levels')), kw('mode', lit(a.mode as string, 'mode'), 'max'));
        case 'batchnorm': {
            const k = x.length <= 3 ? 1 : x.length - 2;
            return call(`nn.BatchNorm${k}d`, pos(lit(x[1], 'num_features')), kw('eps', lit(a.eps as number, 'eps'), 1e-5), kw('momentum', lit(a.momentum as number, 'momentum'), 0.1));
        }
        case 'layernorm': {
            const shape = (a.normalized_shape as number[] | undefined) ?? x.slice(1);
            return call('nn.LayerNorm', pos(lit(shape, 'normalized_shape')), kw('eps', lit(a.eps as number, 'eps'), 1e-5));
        }
        case 'groupnorm': return call('nn.GroupNorm', pos(lit(a.groups as number, 'num_groups')), pos(lit(x[1], 'num_channels')), kw('eps', lit(a.eps as number, 'eps'), 1e-5));
        case 'lrn': return call('nn.LocalResponseNorm', pos(lit(a.size as number, 'size')), kw('alpha', lit(a.alpha as number, 'alpha'), 1e-4),
            kw('beta', lit(a.beta as number, 'beta'), 0.75), kw('k', lit(a.k as number, 'k'), 1));
        case 'relu': return call('nn.ReLU');
        case 'relu6': return call('nn.ReLU6');
        case 'leakyrelu': return call('nn.LeakyReLU', pos(lit(a.negative_slope as number, 'negative_slope')));
        case 'elu': return call('nn.ELU', kw('alpha', lit(a.alpha as number, 'alpha'), 1));
        case 'sigmoid': return call('nn.Sigmoid');
        case 'tanh': return call('nn.Tanh');
        case 'hardswish': return call('nn.Hardswish');
        case 'hardsigmoid': return call('nn.Hardsigmoid');
        case 'silu': return call('nn.SiLU');
        case 'gelu': return call('nn.GELU', kw('approximate', lit(a.approximate as string, 'approximate'), 'none'));
        case 'softmax': return call('nn.Softmax', kw('dim', lit(a.dim as number, 'dim')));
        case 'logsoftmax': return call('nn.LogSoftmax', kw('dim', lit(a.dim as number, 'dim')));
        case 'dropout': return call('nn.Dropout', kw('p', lit(a.p as number, 'p'), 0.5));
        case 'identity': return call('nn.Identity');
        case 'linear': return call('nn.Linear', pos(lit(x[x.length - 1], 'in_features')), pos(lit(c.outShapes[0][c.outShapes[0].length - 1], 'out_features')), kw('bias', lit(a.bias as boolean, 'bias'), true));
        case 'matmul': return call(use('MatMul'));
        case 'flatten': return call('nn.Flatten', kw('start_dim', lit(a.start_dim as number, 'start_dim'), 1), kw('end_dim', lit(a.end_dim as number, 'end_dim'), -1));
        case 'reshape': return call(use('Reshape'), pos(lit(a.shape as number[], 'shape')));
        case 'pad': {
            const fpad = padTuple(node, x);
            const mode = a.mode as string;
            if (mode === 'constant') return call(`nn.ConstantPad${d}d`, pos(lit(fpad, 'padding')), pos(lit(a.value as number, 'value')));
            return call(`nn.${mode === 'reflect' ? 'Reflection' : 'Replication'}Pad${d}d`, pos(lit(fpad, 'padding')));
        }
        case 'upsample': return call('nn.Upsample', ...upsampleArgs(c));
        case 'add': return call(use('Add'));
        case 'sub': return call(use('Sub'));
        case 'mul': return call(use('Mul'));
        case 'div': return call(use('Div'));
        case 'concat': return call(use('Concat'), kw('dim', lit(a.dim as number, 'dim'), 1));
        case 'split': return call(use('Split'), pos(lit(splitSizes(c), 'sizes')), kw('dim', lit(a.dim as number, 'dim'), 1));
        case 'slice': {
            const s = sliceBounds(c);
            return call(use('Slice'), pos(lit(s.dim, 'dim')), pos(lit(s.start, 'start')), pos(lit(s.end, 'end')), kw('step', lit(s.step, 'step'), 1));
        }
        case 'shuffle': return call(use('ChannelShuffle'), pos(lit(a.groups as number, 'groups')));
    }
    return fail(node, `the PyTorch exporter has no mapping for op '${node.op}'`);
}

/** Per-side pooling pads: a constant pad then an unpadded pool, which must give the same windows. */
function checkPerSidePool(node: GraphNode, x: readonly number[], w: ReturnType<typeof windowOf>, max: boolean): void {
    if (!max && node.attrs.count_include_pad === false) {
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

function padTuple(node: GraphNode, x: readonly number[]): number[] {
    const spatial = x.slice(2);
    const pads = resolvePadding(node.attrs.padding, { input: spatial, kernelEff: spatial.map(() => 1), stride: spatial.map(() => 1) });
    if (isIssue(pads)) fail(node, pads.message);
    const fpad: number[] = [];
    for (let i = spatial.length - 1; i >= 0; i--) fpad.push(pads.begin[i], pads.end[i]);
    return fpad;
}

function upsampleArgs(c: OpContext): PyArg[] {
    const a = c.node.attrs;
    const d = dimsOf(c);
    const args: PyArg[] = [];
    if (a.size !== undefined) args.push(kw('size', lit(compact(c.outShapes[0].slice(2)), 'size')));
    else args.push(kw('scale_factor', lit(compact(perDimension(a.scale_factor, d) ?? fail(c.node, 'bad scale_factor')), 'scale_factor')));
    args.push(kw('mode', lit(a.mode as string, 'mode')));
    if (a.mode !== 'nearest') args.push(kw('align_corners', lit(a.align_corners === true, 'align_corners')));
    return args;
}

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

/** The op written inline in forward; undefined when it needs a module. */
function inlineOf(c: OpContext, inputs: readonly string[]): Py | undefined {
    const { node } = c;
    const a = node.attrs;
    const x = raw(inputs[0]);
    const d = dimsOf(c);
    switch (node.op) {
        case 'relu': return call('F.relu', pos(x));
        case 'relu6': return call('F.relu6', pos(x));
        case 'leakyrelu': return call('F.leaky_relu', pos(x), pos(lit(a.negative_slope as number, 'negative_slope')));
        case 'elu': return call('F.elu', pos(x), kw('alpha', lit(a.alpha as number, 'alpha'), 1));
        case 'sigmoid': return call('torch.sigmoid', pos(x));
        case 'tanh': return call('torch.tanh', pos(x));
        case 'hardswish': return call('F.hardswish', pos(x));
        case 'hardsigmoid': return call('F.hardsigmoid', pos(x));
        case 'silu': return call('F.silu', pos(x));
        case 'gelu': return call('F.gelu', pos(x), kw('approximate', lit(a.approximate as string, 'approximate'), 'none'));
        case 'softmax': return call('F.softmax', pos(x), kw('dim', lit(a.dim as number, 'dim')));
        case 'logsoftmax': return call('F.log_softmax', pos(x), kw('dim', lit(a.dim as number, 'dim')));
        case 'dropout': return call('F.dropout', pos(x), kw('p', lit(a.p as number, 'p')), kw('training', raw('self.training')));
        case 'maxpool': case 'maxpool1d': case 'maxpool3d': case 'avgpool': case 'avgpool1d': case 'avgpool3d': {
            const max = node.op.startsWith('max');
            const w = windowOf(node, c.inShapes[0], max);
            if (!w.symmetric) return undefined;
            const args: PyArg[] = [pos(x), pos(lit(compact(w.kernel), 'kernel_size')), kw('stride', lit(compact(w.stride), 'stride')), kw('padding', lit(compact(w.pads.begin), 'padding'), 0)];
            if (max) args.push(kw('dilation', lit(compact(w.dilation), 'dilation'), 1));
            args.push(kw('ceil_mode', lit(a.ceil_mode as boolean, 'ceil_mode'), false));
            if (!max) args.push(kw('count_include_pad', lit(a.count_include_pad as boolean, 'count_include_pad'), true));
            return call(`F.${max ? 'max' : 'avg'}_pool${d}d`, ...args);
        }
        case 'adaptiveavgpool': case 'adaptiveavgpool1d': case 'adaptiveavgpool3d':
            return call(`F.adaptive_avg_pool${d}d`, pos(x), pos(lit(compact(c.outShapes[0].slice(2)), 'output_size')));
        case 'adaptivemaxpool': case 'adaptivemaxpool1d': case 'adaptivemaxpool3d':
            return call(`F.adaptive_max_pool${d}d`, pos(x), pos(lit(compact(c.outShapes[0].slice(2)), 'output_size')));
        case 'globalavgpool': return call(`F.adaptive_avg_pool${d}d`, pos(x), pos(lit(1, 'output_size')));
        case 'globalmaxpool': return call(`F.adaptive_max_pool${d}d`, pos(x), pos(lit(1, 'output_size')));
        case 'spp':
            c.helpers.add('spatial_pyramid_pool');
            return call('spatial_pyramid_pool', pos(x), pos(lit(a.levels as number[], 'levels')), kw('mode', lit(a.mode as string, 'mode'), 'max'));
        case 'matmul': return call('torch.matmul', pos(x), pos(raw(inputs[1])));
        case 'flatten': return call('torch.flatten', pos(x), pos(lit(a.start_dim as number, 'start_dim')), pos(lit(a.end_dim as number, 'end_dim')));
        case 'reshape': return call('torch.reshape', pos(x), pos(lit(a.shape as number[], 'shape')));
        case 'pad': {
            const args: PyArg[] = [pos(x), pos(lit(padTuple(node, c.inShapes[0]), 'pad')), kw('mode', lit(a.mode as string, 'mode'), 'constant')];
            if (a.mode === 'constant') args.push(kw('value', lit(a.value as number, 'value'), 0));
            return call('F.pad', ...args);
        }
        case 'upsample': return call('F.interpolate', pos(x), ...upsampleArgs(c));
        case 'add': return { k: 'infix', op: '+', a: x, b: raw(inputs[1]) };
        case 'sub': return { k: 'infix', op: '-', a: x, b: raw(inputs[1]) };
        case 'mul': return { k: 'infix', op: '*', a: x, b: raw(inputs[1]) };
        case 'div': return { k: 'infix', op: '/', a: x, b: raw(inputs[1]) };
        case 'concat': return call('torch.cat', pos({ k: 'list', items: inputs.map(raw) }), kw('dim', lit(a.dim as number, 'dim')));
        case 'split': {
            const sections = a.sections as number[];
            // Equal parts: torch.chunk takes their number (torch.split would take their size).
            if (sections.length === 1) return call('torch.chunk', pos(x), pos(lit(sections[0], 'chunks')), kw('dim', lit(a.dim as number, 'dim')));
            return call('torch.split', pos(x), pos(lit(splitSizes(c), 'sizes')), kw('dim', lit(a.dim as number, 'dim')));
        }
        case 'slice': {
            const s = sliceBounds(c);
            return { k: 'slice', target: x, before: s.dim, start: lit(s.start, 'start'), end: lit(s.end, 'end'), step: lit(s.step, 'step') };
        }
        case 'shuffle':
            c.helpers.add('channel_shuffle');
            return call('channel_shuffle', pos(x), pos(lit(a.groups as number, 'groups')));
    }
    return undefined;
}

// ----- classes -----------------------------------------------------------------------------------------------

interface Statement {
    readonly targets: readonly string[];
    readonly py: Py;
}

/** A class body as one instance would write it, before constant settings are told from constructor parameters. */
interface Template {
    readonly init: { readonly attr: string; readonly py: Py }[];
    readonly forward: Statement[];
    readonly inputs: readonly string[];
    readonly returns: readonly string[];
    /** Literal slots in order (init first, then forward). */
    readonly slots: (Py & { k: 'lit' })[];
    /** Of the slots, those in forward (written `self.<param>` when they vary). */
    readonly forwardSlots: ReadonlySet<number>;
    readonly key: string;
}

interface ClassInfo {
    readonly name: string;
    readonly block: string;
    readonly params: { readonly name: string; readonly forward: boolean }[];
    readonly resolve: (slot: number) => { expr: string } | { literal: PyLit };
    readonly template: Template;
    readonly instances: readonly GraphModule[];
    readonly source: GraphModule['source'];
    readonly variantNote?: string;
}

interface InstanceCall {
    readonly className: string;
    readonly args: readonly { readonly name: string; readonly value: PyLit }[];
}

class Exporter {
    private readonly s: Structure;
    readonly helpers = new Set<string>();
    readonly imports = new Set<string>();
    readonly classes: ClassInfo[] = [];
    private readonly instanceCalls = new Map<number, InstanceCall>();
    private readonly usedClassNames = new Set<string>(Object.keys(HELPERS));

    constructor(private readonly graph: NetworkGraph) {
        this.s = analyse(graph);
    }

    run(): { rootTemplate: Template; rootName: string } {
        for (const block of this.blockOrder()) this.buildBlockClasses(block);
        const rootName = this.className(this.graph.name || 'Network');
        const inputs = this.graph.inputs.map(p => p.tensor);
        const inputNames = this.graph.inputs.map(p => identifier(p.name, 'input'));
        const rootTemplate = this.template(-1, inputs, inputNames, this.graph.outputs.map(p => p.tensor));
        return { rootTemplate, rootName };
    }

    private className(wanted: string): string {
        let name = identifier(wanted, 'Block');
        if (HELPERS[name]) name = `${name}Block`;
        let candidate = name;
        for (let i = 2; this.usedClassNames.has(candidate); i++) candidate = `${name}_${i}`;
        this.usedClassNames.add(candidate);
        return candidate;
    }

    /** The block instance (or -1, the network) whose source text a node was written in: lists are not scopes. */
    private scopeOf(node: GraphNode): number {
        let m = node.module;
        while (m !== -1 && this.graph.modules[m].kind === 'list') m = this.graph.modules[m].parent;
        return m;
    }

    /** Block names, inner blocks before the blocks that contain them. */
    private blockOrder(): string[] {
        const order: string[] = [];
        const depthOf = (m: GraphModule): number => (m.parent === -1 ? 0 : 1 + depthOf(this.graph.modules[m.parent]));
        // Deeper instances first; a block seen at several depths is placed by its deepest instance.
        const deepest = new Map<string, number>();
        for (const m of this.graph.modules) if (m.kind === 'block') deepest.set(m.block!, Math.max(deepest.get(m.block!) ?? 0, depthOf(m)));
        order.push(...[...deepest.keys()].sort((a, b) => deepest.get(b)! - deepest.get(a)!));
        // A block containing another must come after it, whatever the depths say.
        const contains = (outer: string, inner: string) => this.graph.modules.some(m => m.kind === 'block' && m.block === inner && this.ancestors(m).some(p => p.block === outer));
        for (let changed = true; changed;) {
            changed = false;
            for (let i = 0; i < order.length; i++) {
                for (let j = i + 1; j < order.length; j++) {
                    if (contains(order[i], order[j])) {
                        const [moved] = order.splice(j, 1);
                        order.splice(i, 0, moved);
                        changed = true;
                    }
                }
            }
        }
        return order;
    }

    private ancestors(m: GraphModule): GraphModule[] {
        const out: GraphModule[] = [];
        for (let p = m.parent; p !== -1; p = this.graph.modules[p].parent) out.push(this.graph.modules[p]);
        return out;
    }

    private buildBlockClasses(block: string): void {
        const instances = this.graph.modules.filter(m => m.kind === 'block' && m.block === block && m.endNode > m.firstNode);
        const groups = new Map<string, { template: Template; modules: GraphModule[]; templates: Template[] }>();
        for (const m of instances) {
            const inputs = this.s.inputsOf({ kind: 'module', module: m });
            const inputNames = inputs.length === 1 ? ['x'] : inputs.map((_, i) => `x${i}`);
            const t = this.template(m.index, inputs, inputNames, this.s.outputsOf({ kind: 'module', module: m }));
            const group = groups.get(t.key);
            if (group) {
                group.modules.push(m);
                group.templates.push(t);
            } else {
                groups.set(t.key, { template: t, modules: [m], templates: [t] });
            }
        }
        const variants = [...groups.values()];
        const firstAttrs = new Set(variants[0]?.template.init.map(i => i.attr));
        variants.forEach((group, v) => {
            const name = this.className(block);
            let variantNote: string | undefined;
            if (variants.length > 1) {
                const attrs = new Set(group.template.init.map(i => i.attr));
                const extra = [...attrs].filter(a => !firstAttrs.has(a));
                const missing = [...firstAttrs].filter(a => !attrs.has(a));
                const parts = [extra.length ? `with ${extra.join(', ')}` : '', missing.length ? `without ${missing.join(', ')}` : ''].filter(Boolean);
                variantNote = v === 0
                    ? `${variants.length} structures of block ${block} were elaborated; this is the first (${group.modules.length} instance${group.modules.length === 1 ? '' : 's'})`
                    : `block ${block} ${parts.length ? parts.join(' and ') : 'with other connections'} (${group.modules.length} instance${group.modules.length === 1 ? '' : 's'})`;
            }
            this.addClass(name, block, group.template, group.templates, group.modules, variantNote);
        });
    }

    /** Tells constant settings from constructor parameters across a class's instances. */
    private addClass(name: string, block: string, template: Template, templates: Template[], modules: GraphModule[], variantNote?: string): void {
        const n = modules.length;
        const values = template.slots.map((_, k) => templates.map(t => t.slots[k].v));
        const params: { name: string; forward: boolean; values: PyLit[] }[] = [];
        const byVector = new Map<string, string>();
        const argNames = Object.keys(modules[0].args ?? {});
        const argVector = (a: string) => modules.map(m => m.args?.[a] ?? null);
        const inChannels = modules.map(m => {
            const inputs = this.s.inputsOf({ kind: 'module', module: m });
            return inputs.length ? this.graph.tensors[inputs[0]].shape[1] ?? null : null;
        });
        const addParam = (wanted: string, vector: PyLit[], forward: boolean): string => {
            const key = JSON.stringify(vector);
            const existing = byVector.get(key);
            if (existing) {
                const p = params.find(q => q.name === existing)!;
                p.forward ||= forward;
                return existing;
            }
            let pname = identifier(wanted, 'value');
            for (let i = 2; params.some(p => p.name === pname) || pname === 'self'; i++) pname = `${identifier(wanted, 'value')}_${i}`;
            params.push({ name: pname, forward, values: vector });
            byVector.set(key, pname);
            return pname;
        };
        type Resolved = { param: string; op: '' | '*' | '//'; factor: number } | { literal: PyLit };
        const resolved = values.map((vector, k): Resolved => {
            if (vector.every(v => sameLit(v, vector[0])) || n === 1) return { literal: vector[0] };
            const forward = template.forwardSlots.has(k);
            const key = JSON.stringify(vector);
            const known = byVector.get(key);
            if (known) {
                addParam(known, vector, forward);
                return { param: known, op: '', factor: 1 };
            }
            // The block's own arguments, then the input's channels, as they are or times / over a whole number.
            const bases: [string, PyLit[]][] = [...argNames.map((a): [string, PyLit[]] => [a, argVector(a)]), ['in_channels', inChannels]];
            for (const [name, base] of bases) if (JSON.stringify(base) === key) return { param: addParam(name, vector, forward), op: '', factor: 1 };
            if (vector.every(v => typeof v === 'number')) {
                for (const [name, base] of bases) {
                    if (!base.every(b => typeof b === 'number' && b > 0)) continue;
                    const nums = base as number[];
                    const times = (vector[0] as number) / nums[0];
                    if (Number.isInteger(times) && times > 1 && nums.every((b, i) => b * times === vector[i])) {
                        return { param: addParam(name, base, forward), op: '*', factor: times };
                    }
                    const over = nums[0] / (vector[0] as number);
                    if (Number.isInteger(over) && over > 1 && nums.every((b, i) => b % over === 0 && b / over === vector[i])) {
                        return { param: addParam(name, base, forward), op: '//', factor: over };
                    }
                }
            }
            return { param: addParam(template.slots[k].hint, vector, forward), op: '', factor: 1 };
        });
        const resolve = (slot: number): { expr: string } | { literal: PyLit } => {
            const r = resolved[slot];
            if ('literal' in r) return r;
            const name = template.forwardSlots.has(slot) ? `self.${r.param}` : r.param;
            return { expr: r.op ? `${name} ${r.op} ${r.factor}` : name };
        };
        // Constructor order: in_channels, the block's arguments in their order, then the rest.
        const rank = (p: string) => (p === 'in_channels' ? 0 : argNames.includes(p) ? 1 + argNames.indexOf(p) : 1000);
        params.sort((a, b) => rank(a.name) - rank(b.name));
        modules.forEach((m, i) => this.instanceCalls.set(m.index, { className: name, args: params.map(p => ({ name: p.name, value: p.values[i] })) }));
        this.classes.push({ name, block, params: params.map(p => ({ name: p.name, forward: p.forward })), resolve, template, instances: modules, source: modules[0].source, variantNote });
    }

    /**
     * The body of a container (the network, or a block instance) with `inputs` bound to `inputNames`, returning
     * `outputs`: submodules in __init__, statements in forward.
     */
    private template(container: number, inputs: readonly number[], inputNames: readonly string[], outputs: readonly number[]): Template {
        const init: { attr: string; py: Py }[] = [];
        const forward: Statement[] = [];
        const vars = new Map<number, string>();
        const holders = new Map<string, Set<number>>();
        const taken = new Set<string>(['self']);
        inputs.forEach((t, i) => {
            vars.set(t, inputNames[i]);
            holders.set(inputNames[i], new Set([t]));
            taken.add(inputNames[i]);
        });
        // Flatten the container's items, descending into lists that cannot be nn.Sequential: those are an
        // nn.ModuleDict whose layers are called one by one here.
        type Sink = (name: string, py: Py) => void;
        type Flat = { item: Item; accessOf: (name: string) => string; sink: Sink; prefix: string };
        const flat: Flat[] = [];
        const visit = (owner: number, accessOf: (name: string) => string, sink: Sink, prefix: string) => {
            for (const item of this.s.items(owner)) {
                if (item.kind === 'module' && item.module.kind === 'list' && !this.isSequential(item.module)) {
                    const name = lastSegment(item.module.name);
                    const entries: [string, Py][] = [];
                    sink(name, call('nn.ModuleDict', pos({ k: 'dict', items: entries })));
                    const dict = accessOf(name);
                    visit(item.module.index, child => `${dict}[${pythonString(child)}]`, (child, py) => entries.push([child, py]), `${prefix}${name}_`);
                    continue;
                }
                flat.push({ item, accessOf, sink, prefix });
            }
        };
        visit(container, name => memberAccess('self', name), (name, py) => init.push({ attr: name, py }), '');
        // Last use of every tensor among the flattened items, for reusing variable names.
        const lastUse = new Map<number, number>();
        flat.forEach((f, i) => {
            for (const t of this.s.inputsOf(f.item)) lastUse.set(t, i);
        });
        const isOutput = (t: number) => outputs.includes(t);
        const fresh = (base: string): string => {
            let name = identifier(base);
            for (let i = 2; taken.has(name); i++) name = `${identifier(base)}_${i}`;
            taken.add(name);
            return name;
        };
        const bind = (t: number, name: string) => {
            const previous = vars.get(t);
            if (previous) holders.get(previous)?.delete(t);
            vars.set(t, name);
            if (!holders.has(name)) holders.set(name, new Set());
            holders.get(name)!.add(t);
        };
        const nameOutputs = (i: number, outs: readonly number[], ins: readonly number[], base: string): string[] => {
            const names: string[] = [];
            outs.forEach((t, k) => {
                // A tensor's source name, when it was named where it was made (a name given by a caller to what a
                // block returns would differ between instances).
                const producer = this.graph.tensors[t].producer;
                const given = producer !== undefined && this.scopeOf(this.graph.nodes[producer]) === container && (container === -1 || !isOutput(t))
                    ? this.graph.tensors[t].name : undefined;
                let name: string | undefined;
                if (given) {
                    name = identifier(given);
                    if (taken.has(name) && [...(holders.get(name) ?? [])].some(h => (lastUse.get(h) ?? -1) > i || isOutput(h))) name = undefined;
                    else taken.add(name);
                }
                if (!name && outs.length === 1 && ins.length) {
                    // Reuse the input's variable when nothing reads it later: `x = self.conv1(x)`.
                    const v = vars.get(ins[0])!;
                    if ([...(holders.get(v) ?? [])].every(h => (lastUse.get(h) ?? -1) <= i && !isOutput(h))) name = v;
                }
                name ??= fresh(outs.length > 1 ? `${base}_${k}` : base);
                names.push(name);
            });
            outs.forEach((t, k) => bind(t, names[k]));
            return names;
        };
        flat.forEach((f, i) => {
            const ins = this.s.inputsOf(f.item);
            const outs = this.s.outputsOf(f.item);
            const inVars = ins.map(t => vars.get(t) ?? fail(f.item.kind === 'node' ? f.item.node : this.graph.nodes[f.item.module.firstNode], 'an input is not computed before it is used'));
            if (f.item.kind === 'node') {
                const node = f.item.node;
                const c = this.opContext(node);
                const useModule = node.params.length > 0 || !isAutoName(node);
                const inline = useModule ? undefined : inlineOf(c, inVars);
                if (!useModule && inline === undefined && node.op === 'identity') {
                    outs.forEach(t => bind(t, inVars[0]));
                    return;
                }
                const attr = lastSegment(node.name);
                let py: Py;
                if (inline) {
                    py = inline;
                } else {
                    f.sink(attr, moduleOf(c));
                    py = call(f.accessOf(attr), ...inVars.map(v => pos(raw(v))));
                }
                forward.push({ targets: nameOutputs(i, outs, ins, `${f.prefix}${attr}`), py });
                return;
            }
            const m = f.item.module;
            const attr = lastSegment(m.name);
            f.sink(attr, this.constructorOf(m));
            // nn.Sequential takes one argument: several tensors go in as a tuple (its first layer unpacks them).
            const args = m.kind === 'list' && inVars.length > 1 ? [pos(raw(`(${inVars.join(', ')})`))] : inVars.map(v => pos(raw(v)));
            forward.push({ targets: nameOutputs(i, outs, ins, `${f.prefix}${attr}`), py: call(f.accessOf(attr), ...args) });
        });
        const finalInit = init;
        const returns = outputs.map(t => vars.get(t) ?? fail(this.graph.nodes[this.graph.tensors[t].producer ?? 0], 'an output is not computed'));
        const slots: (Py & { k: 'lit' })[] = [];
        const forwardSlots = new Set<number>();
        for (const line of finalInit) eachSlot(line.py, s => {
            s.hint = `${line.attr}_${s.hint}`;
            slots.push(s);
        });
        for (const st of forward) eachSlot(st.py, s => {
            forwardSlots.add(slots.length);
            slots.push(s);
        });
        slots.forEach((s, i) => { s.id = i; });
        const shape = (py: Py): string => render(py, slot => ({ expr: `§${slot.id}` }));
        const key = JSON.stringify({
            init: finalInit.map(l => [l.attr, shape(l.py)]),
            forward: forward.map(st => [st.targets, shape(st.py)]),
            inputs: inputNames, returns,
            // Keyword arguments left out at their default are decided per class, so they do not split classes.
        });
        return { init: finalInit, forward, inputs: inputNames, returns, slots, forwardSlots, key };
    }

    private opContext(node: GraphNode): OpContext {
        return {
            node,
            inShapes: node.inputs.map(t => this.graph.tensors[t].shape),
            outShapes: node.outputs.map(t => this.graph.tensors[t].shape),
            helpers: this.helpers,
            imports: this.imports,
        };
    }

    /** The constructor expression of a block instance or a list. */
    private constructorOf(m: GraphModule): Py {
        if (m.kind === 'block') {
            const instance = this.instanceCalls.get(m.index);
            if (!instance) throw new PytorchExportError(`internal: no class for block instance '${m.name}'`);
            return call(instance.className, ...instance.args.map(a => kw(a.name, lit(a.value, a.name))));
        }
        const children = this.s.items(m.index).map((item): [string, Py] => {
            if (item.kind === 'node') return [lastSegment(item.node.name), moduleOf(this.opContext(item.node))];
            return [lastSegment(item.module.name), this.constructorOf(item.module)];
        });
        const indexed = children.every(([name], i) => name === String(i));
        return indexed ? call('nn.Sequential', ...children.map(([, py]) => pos(py))) : call('nn.Sequential', pos({ k: 'dict', items: children }));
    }

    /** Whether a list is a plain chain: each layer reads exactly what the previous one made. */
    private isSequential(m: GraphModule): boolean {
        const items = this.s.items(m.index);
        if (items.length === 0) return false;
        let flowing = this.s.inputsOf({ kind: 'module', module: m });
        for (const item of items) {
            const ins = this.s.inputsOf(item);
            if (item.kind === 'node' && item.node.inputs.length !== new Set(item.node.inputs).size) return false;
            if (JSON.stringify(ins) !== JSON.stringify(flowing)) return false;
            if (item.kind === 'module' && item.module.kind === 'block' && ins.length !== 1) return false;
            if (item.kind === 'module' && item.module.kind === 'list' && !this.isSequential(item.module)) return false;
            flowing = this.s.outputsOf(item);
        }
        return JSON.stringify(flowing) === JSON.stringify(this.s.outputsOf({ kind: 'module', module: m }));
    }
}

// ----- the file --------------------------------------------------------------------------------------------------

const IO_CODE = `_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
           'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def load_safetensors(path):
    """The tensors of a .safetensors file by name (read with struct and json; no extra package)."""
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    start = 8 + length
    tensors = {}
    for key, info in header.items():
        if key == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = _DTYPES[info['dtype']]
        if end > begin:
            tensor = torch.frombuffer(bytearray(data[start + begin:start + end]), dtype=dtype)
        else:
            tensor = torch.empty(0, dtype=dtype)
        tensors[key] = tensor.reshape(info['shape'])
    return tensors


def save_safetensors(tensors, path, metadata=None):
    """Writes tensors (a state_dict) as .safetensors: float tensors as F32, integer ones as I64."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for key, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        tensor, dtype = (tensor.to(torch.float32), 'F32') if tensor.is_floating_point() else (tensor.to(torch.int64), 'I64')
        raw = tensor.numpy().tobytes()
        header[key] = {'dtype': dtype, 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def load_weights(model, path):
    """Loads a state_dict saved as .safetensors (by \`convnet\` or save_safetensors) into the model, by name.

    Batch norm's num_batches_tracked counters may be absent; any other missing or unexpected key is an error.
    """
    state = load_safetensors(path)
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith('num_batches_tracked')]
    if missing or result.unexpected_keys:
        raise KeyError(f'{path}: missing keys {missing}, unexpected keys {result.unexpected_keys}')
    return model`;


function header(graph: NetworkGraph, className: string, options: PytorchExportOptions): string {
    const source = pythonDocText(options.sourceFile ? path.basename(options.sourceFile) : graph.uri ? baseNameOfUri(graph.uri) : 'a .convnet file');
    return `"""${pythonDocText(graph.name)}, written by \`convnet export --pytorch\` from ${source}.

Every layer keeps its .convnet name, so state_dict keys are the names ConvNet shows (\`conv1.weight\`):
    model = ${className}().eval()
    load_weights(model, 'weights.safetensors')        # weights from \`convnet export --seed/--weights\` or \`convnet run\`
    save_safetensors(model.state_dict(), 'out.safetensors')   # and back: \`convnet run FILE --weights out.safetensors\`
"""`;
}

function indent(lines: string[], by = '        '): string[] {
    return lines.map(l => (l ? `${by}${l}` : l));
}

function renderClass(name: string, doc: string, params: readonly { name: string; forward: boolean }[], template: Template, resolve: (slot: number) => { expr: string } | { literal: PyLit }): string {
    const resolver: SlotResolver = slot => resolve(slot.id!);
    const init: string[] = ['super().__init__()'];
    for (const p of params) if (p.forward) init.push(`self.${p.name} = ${p.name}`);
    for (const line of template.init) {
        const target = isAttributeName(line.attr) ? `self.${line.attr} = ` : `self.add_module(${pythonString(line.attr)}, `;
        const value = renderPretty(line.py, resolver, '        ', 8 + target.length);
        init.push(isAttributeName(line.attr) ? `${target}${value}` : `${target}${value})`);
    }
    const forward: string[] = template.forward.map(st => {
        const value = render(st.py, resolver);
        return st.targets.length ? `${st.targets.join(', ')} = ${value}` : value;
    });
    forward.push(`return ${template.returns.length === 1 ? template.returns[0] : template.returns.join(', ')}`);
    return [
        `class ${name}(nn.Module):`,
        `    """${pythonDocText(doc)}"""`,
        '',
        `    def __init__(${['self', ...params.map(p => p.name)].join(', ')}):`,
        ...indent(init),
        '',
        `    def forward(${['self', ...template.inputs].join(', ')}):`,
        ...indent(forward),
    ].join('\n');
}

/** The Python source of `graph` as an nn.Module. Throws `PytorchExportError` naming the layer it cannot express. */
export function exportPytorch(graph: NetworkGraph, options: PytorchExportOptions = {}): PytorchExport {
    const exporter = new Exporter(graph);
    const { rootTemplate, rootName } = exporter.run();
    const where = (source: GraphModule['source']) => `${source.uri ? baseNameOfUri(source.uri) : ''}:${source.start.line + 1}`;
    const classes = exporter.classes.map(c => {
        const args = Object.keys(c.instances[0].args ?? {});
        const doc = [`block ${c.block}${args.length ? `(${args.join(', ')})` : ''}, first used at ${where(c.source)}`, c.variantNote ? `; ${c.variantNote}` : ''].join('');
        return renderClass(c.name, `${doc}.`, c.params, c.template, c.resolve);
    });
    const inputs = graph.inputs.map(p => `${p.name}: ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const outputs = graph.outputs.map(p => `${p.name}: ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const root = renderClass(rootName, `network ${graph.name} (inputs ${inputs}; outputs ${outputs}).`, [], rootTemplate, slot => ({ literal: rootTemplate.slots[slot].v }));
    // Helpers in dependency order.
    const helperNames: string[] = [];
    const addHelper = (h: string) => {
        if (helperNames.includes(h)) return;
        for (const dep of HELPERS[h].needs ?? []) addHelper(dep);
        helperNames.push(h);
    };
    for (const h of [...exporter.helpers].sort()) addHelper(h);
    const usesDict = [...exporter.classes.map(c => c.template), rootTemplate].some(t => t.init.some(l => JSON.stringify(l.py).includes('"k":"dict"')));
    const imports = [
        'import json',
        'import struct',
        'import sys',
        ...(usesDict ? ['from collections import OrderedDict'] : []),
        '',
        'import torch',
        'import torch.nn.functional as F',
        ...(exporter.imports.has('torchvision') ? ['import torchvision'] : []),
        'from torch import nn',
    ];
    const inputShapes = graph.inputs.map(p => `torch.randn(${graph.tensors[p.tensor].shape.join(', ')})`);
    const main = `if __name__ == '__main__':
    # python ${identifier(graph.name || 'network').toLowerCase()}.py [WEIGHTS.safetensors]: builds the model, loads the weights if given and runs a random input.
    torch.manual_seed(0)
    model = ${rootName}().eval()
    if len(sys.argv) > 1:
        load_weights(model, sys.argv[1])
    with torch.no_grad():
        result = model(${inputShapes.join(', ')})
    for name, value in zip(${pyLiteral(graph.outputs.map(p => p.name))}, result if isinstance(result, tuple) else (result,)):
        print(name, tuple(value.shape), float(value.mean()), float(value.std()) if value.numel() > 1 else 0.0)`;
    const source = [
        header(graph, rootName, options),
        imports.join('\n'),
        ...helperNames.map(h => HELPERS[h].code),
        ...classes,
        root,
        IO_CODE,
        main,
    ].join('\n\n\n') + '\n';
    return { source, className: rootName, blockClasses: exporter.classes.map(c => c.name) };
}
