/**
 * The figures other tools print, reproduced from the op specs' cost components (ops/types.ts `CostComponents`):
 * a convention says how much each component weighs in that tool's total, never a second table of costs per op.
 * `convnet summary --convention NAME` prints the total; test/conventions.test.ts checks each preset against the
 * tool's published figures and against its rule applied to the torchvision models (test/fixtures/conventions/).
 */
import type { NetworkGraph, GraphNode } from '../elaboration/graph.js';
import { findOp } from '../ops/registry.js';
import type { CostComponents, OpSpec } from '../ops/types.js';
import { numel } from '../ops/shape-utils.js';
import { humanCount, withCommas } from '../util/format.js';

export const CONVENTIONS = ['torchvision', 'fvcore', 'thop', 'ptflops', 'paper'] as const;
export type ConventionName = typeof CONVENTIONS[number];

/** What one node contributes under a convention, from its spec's cost. */
interface NodeCost {
    readonly op: string;
    readonly spec: OpSpec;
    readonly macs: number;
    readonly components: CostComponents;
    /** Elements of the bias vector (ptflops adds it once per Linear call). */
    readonly biasLength: number;
    /** Elements of every output. */
    readonly outputElements: number;
    /** The interpolation mode of an upsampling (`nearest`, `bilinear` …), '' otherwise. */
    readonly mode: string;
}

export interface Convention {
    readonly name: ConventionName;
    /** What the tool calls its figure. */
    readonly unit: string;
    /** A column heading for each layer's figure (the Summary view's). */
    readonly label: string;
    /** The rule in one sentence, with where the tool states it. */
    readonly rule: string;
    readonly count: (node: NodeCost) => number;
}

const isNorm = (n: NodeCost, ...ops: string[]) => ops.includes(n.op) && n.components.normalized !== undefined;
const isPool = (n: NodeCost, ...families: string[]) => families.includes(n.spec.family ?? n.op) && n.components.pooled !== undefined;

/** Activations ptflops hooks (ptflops/pytorch_ops.py MODULES_MAPPING: ReLU, PReLU, ELU, LeakyReLU, ReLU6, GELU). */
const PTFLOPS_ACTIVATIONS = ['relu', 'relu6', 'leakyrelu', 'elu', 'gelu'];

export const CONVENTION_RULES: Readonly<Record<ConventionName, Convention>> = {
    // torchvision's model documentation, column "GFLOPS" (docs/source/models.rst; computed from conv and linear
    // layers' multiply-accumulates): ../shared/reference/torchvision-totals.json.
    torchvision: {
        name: 'torchvision', label: 'MACs', unit: 'GFLOPS (multiply-accumulates)',
        rule: 'multiply-accumulates of conv, linear and matmul, bias excluded (the "GFLOPS" column of torchvision\'s model documentation)',
        count: n => n.macs,
    },
    // Papers since AlexNet and ResNet ("FLOPs (multiply-adds)"), MobileNet ("Mult-Adds"), ShuffleNet ("MFLOPs"):
    // multiply-adds of the conv and fully connected layers; normalisation, activations and pooling are not counted.
    paper: {
        name: 'paper', label: 'Mult-adds (paper)', unit: 'multiply-adds',
        rule: 'multiply-adds of conv and fully connected layers, what papers call FLOPs or Mult-Adds (ResNet, MobileNet, ShuffleNet)',
        count: n => n.macs,
    },
    // fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS with fvcore/nn/jit_handles.py: "We count one fused multiply-add
    // as one flop"; conv/linear/matmul MACs (conv_flop_count: "Computation for addition and bias is ignored");
    // batch_norm in eval n·(2 if affine else 1); group_norm, layer_norm n·(5 if affine else 4) (norm_flop_counter);
    // adaptive_avg_pool2d 1 per input element; upsample_nearest2d 1, upsample_bilinear2d 4 per output element;
    // everything else (ReLU, max pooling, additions) 0.
    fvcore: {
        name: 'fvcore', label: 'Flops (fvcore)', unit: 'flops (one per multiply-add)',
        rule: 'fvcore\'s FlopCountAnalysis: MACs of conv/linear/matmul; batch norm 2 per element (1 without affine), layer and group norm 5 (4); adaptive average pooling 1 per input element; upsampling 1 (nearest) or 4 (bilinear) per output element; the rest 0',
        count: n => {
            const c = n.components;
            let total = n.macs;
            if (isNorm(n, 'batchnorm')) total += c.normalized!.elements * (c.normalized!.affine ? 2 : 1);
            if (isNorm(n, 'layernorm', 'layernorm2d', 'groupnorm')) total += c.normalized!.elements * (c.normalized!.affine ? 5 : 4);
            // nn.AdaptiveAvgPool2d(1), what `globalavgpool` stands for in torchvision (x.mean is not counted by fvcore).
            if (isPool(n, 'adaptiveavgpool') && n.spec.name === 'adaptiveavgpool') total += c.pooled!.input;
            if (n.op === 'globalavgpool' && c.pooled) total += c.pooled.input;
            if (n.op === 'upsample' && c.interpolated !== undefined) total += c.interpolated * (n.mode === 'nearest' ? 1 : n.mode === 'bilinear' ? 4 : 0);
            return total;
        },
    },
    // thop (Lyken17/pytorch-OpCounter) of the README table "Results of Recent Models": thop/count_hooks.py and the
    // register_hooks of thop/profile.py — forward hooks on modules: conv out·(C_in/g·∏k + 1 if bias) (count_convNd);
    // BatchNorm 4 per element, "subtract, divide, gamma, beta" (count_bn); Linear (in + in − 1) per output
    // (count_linear); AvgPool (∏k + 1) per output, AdaptiveAvgPool (∏⌊in/out⌋ + 1) per output; LeakyReLU 1 per
    // element; ReLU, ReLU6, MaxPool, Dropout zero_ops; modules without a rule (Sigmoid, Hardswish, SiLU, LayerNorm,
    // GroupNorm, Upsample of that release) and functional calls (x + y, torch.cat) 0.
    thop: {
        name: 'thop', label: 'MACs (thop)', unit: 'MACs (thop)',
        rule: 'thop\'s profile: conv MACs plus 1 per biased output; batch norm 4 per element; linear 2·in − 1 per output; average pooling ∏k + 1 per output; leaky ReLU 1 per element; ReLU, max pooling and additions 0',
        count: n => {
            const c = n.components;
            if (n.spec.category === 'convolution' && n.spec.family !== 'convtranspose') return n.macs + (c.bias ?? 0);
            if (n.op === 'linear') return 2 * n.macs - n.outputElements;
            if (isNorm(n, 'batchnorm')) return 4 * c.normalized!.elements;
            if (n.op === 'leakyrelu') return c.activated ?? 0;
            if (isPool(n, 'avgpool', 'adaptiveavgpool') || (n.op === 'globalavgpool' && c.pooled)) return (c.pooled!.window + 1) * c.pooled!.output;
            return 0;
        },
    },
    // ptflops (sovrasov/flops-counter.pytorch), ptflops/pytorch_ops.py MODULES_MAPPING (the pytorch backend):
    // conv out_positions·C_in·C_out/g·∏k + C_out·out_positions for the bias (conv_flops_counter_hook); Linear
    // ∏input·out + out_features (linear_flops_counter_hook); BatchNorm, GroupNorm n·(2 if affine), LayerNorm n
    // (it has no `affine`) (bn_flops_counter_hook); ReLU, PReLU, ELU, LeakyReLU, ReLU6, GELU 1 per element; every
    // max/avg/adaptive pooling 1 per input element; Upsample 1 per output element; functional calls 0.
    ptflops: {
        name: 'ptflops', label: 'MACs (ptflops)', unit: 'MACs (ptflops)',
        rule: 'ptflops\' get_model_complexity_info: conv and linear MACs plus their bias additions; batch and group norm 2 per element, layer norm 1; ReLU-family and GELU 1 per element; pooling 1 per input element; upsampling 1 per output element; additions 0',
        count: n => {
            const c = n.components;
            if (n.spec.category === 'convolution') return n.macs + (c.bias ?? 0);
            if (n.op === 'linear') return n.macs + n.biasLength;
            if (n.op === 'matmul') return n.macs;
            if (isNorm(n, 'batchnorm', 'groupnorm')) return c.normalized!.elements * (c.normalized!.affine ? 2 : 1);
            if (isNorm(n, 'layernorm')) return c.normalized!.elements;
            if (PTFLOPS_ACTIVATIONS.includes(n.op)) return c.activated ?? 0;
            if (c.pooled && n.spec.category === 'pooling' && n.op !== 'spp') return c.pooled.input;
            if (n.op === 'upsample') return c.interpolated ?? 0;
            return 0;
        },
    },
};

export interface ConventionLayer {
    readonly name: string;
    readonly op: string;
    readonly count: number;
}

export interface ConventionTotal {
    readonly convention: ConventionName;
    readonly unit: string;
    readonly label: string;
    readonly rule: string;
    readonly total: number;
    readonly layers: readonly ConventionLayer[];
}

/** Every layer's figure and the total under `name`, from the specs' cost of each node of `graph`. */
export function countWithConvention(graph: NetworkGraph, name: ConventionName): ConventionTotal {
    const convention = CONVENTION_RULES[name];
    const layers = graph.nodes.map(node => ({ name: node.name, op: node.op, count: convention.count(nodeCost(graph, node)) }));
    return { convention: name, unit: convention.unit, label: convention.label, rule: convention.rule, total: layers.reduce((sum, l) => sum + l.count, 0), layers };
}

/** The node's cost as its spec computes it, with the facts the conventions read. */
function nodeCost(graph: NetworkGraph, node: GraphNode): NodeCost {
    const spec = findOp(node.op)!;
    const inputs = node.inputs.map(t => graph.tensors[t].shape);
    const outputs = node.outputs.map(t => graph.tensors[t].shape);
    const cost = spec.cost({ inputs, attrs: node.attrs }, outputs);
    const bias = cost.params.find(p => p.kind === 'bias' && p.name === 'bias');
    return {
        op: node.op, spec, macs: cost.macs, components: cost.components ?? {},
        biasLength: bias && (spec.category === 'convolution' || spec.category === 'linear') ? numel(bias.shape) : 0,
        outputElements: outputs.reduce((sum, o) => sum + numel(o), 0),
        mode: typeof node.attrs.mode === 'string' ? node.attrs.mode : '',
    };
}

/** `thop convention: 1,824,544,792 (1.82 G) MACs (thop) — rule`: what `summary --convention` prints and the Summary view shows. */
export function conventionLine(c: ConventionTotal): string {
    return `${c.convention} convention: ${withCommas(c.total)} (${humanCount(c.total)}) ${c.unit} — ${c.rule}`;
}
