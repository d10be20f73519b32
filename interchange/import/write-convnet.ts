/**
 * Recognised layers → `.convnet` text that a person would write. The layers' hierarchical names are a module
 * tree (`layer1` → `layer1.0` → `conv1`); every module becomes what the language has for it:
 *   - a module whose parts run one after another (each reads only the previous one's output) is a list —
 *     `features: [conv(64, kernel: 3), relu, …]` — whose children are named 0, 1, … or by label, as nn.Sequential;
 *   - any other module (a residual block, an Inception module) is a block with its own body, called by label;
 *     instances with the same body share one block, and blocks that differ only in numbers become one block with
 *     parameters: `layer2: [Layer2_0(128), Layer1_0(128)]`.
 * Inside a body, layers are chained with `->` while each reads only what the previous one made; a tensor used
 * twice (a branch, a shortcut) gets a name. Layer names the model gives are labels, so the state_dict keys the
 * model was exported with come back (`layer1.0.conv1.weight`, a numbered child of a block as `-> 0: conv(…)`); what
 * the language cannot say that way (a module that is not one piece of the graph) falls back to a label with
 * underscores.
 *
 * The text stays within what the language reads (language/lexer.ts): a chain longer than MAX_CHAIN_STEPS goes on
 * in a new statement from a named tensor, and a module nested too deep for a list is a block. Names, labels and
 * comments that come from the model go through convnet-text.ts; a tensor is always written by the name the text
 * gave it, never by the model's.
 *
 * The module tree and what it reads and gives are module-tree.ts; blocks that differ only in numbers are merged by
 * block-generalization.ts; values, calls, chains and lists are spelt and laid out by convnet-format.ts.
 */
import { findOp } from '../../language/ops/registry.js';
import { LIMITS } from '../../language/elaboration/limits.js';
import { blockSource, generalizeBlocks, type BlockText } from './block-generalization.js';
import { formatAttr, formatCall, formatChain, listText, type ListItem } from './convnet-format.js';
import { convnetText, isLabelName, isLegalName, isPosition, RESERVED_NAMES } from './convnet-text.js';
import type { ImportedLayer } from './import-graph.js';
import { ModuleTree, type Member } from './module-tree.js';
import type { RecognizedGraph } from './recognize.js';

/**
 * Steps of one `->` chain before the rest goes into another statement. The parser recurses once per operator of a
 * chain, and the language refuses an expression of more than LIMITS.expressionOperators (language/lexer.ts); half
 * of it leaves room for the operators inside the steps.
 */
const MAX_CHAIN_STEPS = LIMITS.expressionOperators / 2;

/**
 * Brackets a layer's call can open inside the list item that holds it: the call's `(`, a tuple of tuples
 * (`padding: ((0, 1), (0, 1))`) and a prefix minus. A list nests one level deeper than its statement, and the
 * language reads at most LIMITS.nesting levels (language/lexer.ts): a module deeper than that is a block, whose body
 * starts again at the top.
 */
const CALL_NESTING = 4;

/** Brackets open at a statement of a body: the body's `{`. */
const BODY_DEPTH = 1;

/** Positions skipped in a list before it becomes a block: each gap is an `identity` item in a list. */
const MAX_LIST_GAP = 64;

export interface WriteOptions {
    readonly networkName: string;
    /** Comment lines for the top of the file (without `#`). */
    readonly header: readonly string[];
}

export interface WrittenNetwork {
    readonly text: string;
    readonly blocks: number;
}

const INFIX: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/' };

export class ConvNetWriter {
    private readonly tree: ModuleTree;
    private readonly blockTexts: BlockText[] = [];
    private readonly blockByBody = new Map<string, string>();
    private readonly blockNames = new Set<string>();

    constructor(private readonly graph: RecognizedGraph, private readonly options: WriteOptions) {
        this.tree = new ModuleTree(graph);
    }

    write(): WrittenNetwork {
        const members = this.tree.members();
        const inputNames = new Map<string, string>();
        const used = new Set<string>(RESERVED_NAMES);
        const params = this.graph.inputs.map((input, i) => {
            let name = isLegalName(input.name) && !RESERVED_NAMES.has(input.name) ? input.name : this.graph.inputs.length === 1 ? 'input' : `input${i}`;
            while (used.has(name)) name = `${name}_`;
            used.add(name);
            inputNames.set(input.name, name);
            return `${name}: [${input.shape.join(', ')}]`;
        });
        const outputs = this.outputPorts();
        const body = this.body(members, [...inputNames], outputs.map(o => o.tensor), '  ', used, outputs);
        // The header carries the model's own text (producer, file and input names): each line stays one comment line.
        const header = this.options.header.map(line => `# ${convnetText(line, 'comment')}`.trimEnd());
        const network = [`network ${this.options.networkName}(${params.join(', ')}) {`, ...body, '}'];
        const { blocks, network: rewritten } = generalizeBlocks(this.blockTexts, network.join('\n'));
        const text = [...header, ...(header.length ? [''] : []), ...blocks.flatMap(b => [blockSource(b), '']), rewritten, ''].join('\n');
        return { text, blocks: blocks.length };
    }

    private outputPorts(): { name?: string; tensor: string }[] {
        const ports = this.graph.outputs;
        if (ports.length === 1 && (ports[0].name === 'output' || !isLabelName(ports[0].name))) return [{ tensor: ports[0].tensor }];
        const used = new Set<string>();
        return ports.map((p, i) => {
            let name = isLabelName(p.name) ? p.name : `output${i}`;
            while (used.has(name)) name = `${name}_`;
            used.add(name);
            return { name, tensor: p.tensor };
        });
    }

    /** The labels list items need: a position stays a position while it fits; gaps are filled with identity. */
    private listItems(members: Member[], indent: string, names: ReadonlyMap<string, string>, depth: number): ListItem[] | undefined {
        const items: ListItem[] = [];
        let position = 0;
        const labels = new Set(members.map(m => m.name).filter((n): n is string => n !== undefined && !isPosition(n)));
        const autoCount = new Map<string, number>();
        // Positions matter for the state_dict only up to the last numbered item that has parameters.
        const lastWithParams = members.map(m => m.name !== undefined && isPosition(m.name) && m.layers.some(l => l.params.length > 0)).lastIndexOf(true);
        for (const [i, m] of members.entries()) {
            let label: string | undefined;
            if (m.name !== undefined && isPosition(m.name)) {
                const n = Number(m.name);
                if (n < position) return undefined;
                if (i <= lastWithParams) {
                    // A block says far-apart positions as labels (`-> 900: conv(…)`) instead of hundreds of identities.
                    if (n - position > MAX_LIST_GAP) return undefined;
                    for (; position < n; position++) items.push({ text: 'identity', light: true, comment: `${position}: not in the ONNX graph (a dropout or an identity at inference)` });
                }
                position++;
            } else if (m.name !== undefined) {
                label = m.name;
            } else if (i < lastWithParams) {
                // An unnamed layer before a numbered one would take its number: it gets a label of its own.
                const base = m.layer?.op ?? 'part';
                let k = autoCount.get(base) ?? 0;
                let candidate = k === 0 ? base : `${base}_${k}`;
                while (labels.has(candidate)) candidate = `${base}_${++k}`;
                autoCount.set(base, k + 1);
                labels.add(candidate);
                label = candidate;
            } else {
                position++;
            }
            items.push({ text: `${label !== undefined ? `${labelText(label)}: ` : ''}${this.memberExpression(m, indent, names, depth)}`, light: isLight(m) });
        }
        return items;
    }

    /**
     * A member applied to the tensor piped into it: `conv(64, kernel: 3)`, `add(d)`, a list `[…]` or a block
     * `«Name»(d)`; tensors it also reads (after the piped one) are arguments, by their names in `names`. `depth` is
     * the brackets open where it is written: a list opens one more, which must leave room for the calls inside.
     */
    private memberExpression(m: Member, indent: string, names: ReadonlyMap<string, string>, depth: number): string {
        const sides = this.tree.inputsOf(m).slice(1).map(t => nameIn(names, t));
        if (m.layer) return formatCall(m.layer.op, m.layer.attrs, sides);
        const members = this.tree.ordered(m.module!);
        if (depth + 1 + CALL_NESTING <= LIMITS.nesting && this.tree.isChain(members, this.tree.entries(m))) {
            const items = this.listItems(members, `${indent}  `, names, depth + 1);
            if (items) return listText(items, indent);
        }
        const block = this.block(m, members);
        return sides.length ? `${block}(${sides.join(', ')})` : block;
    }

    /** Defines (or reuses) the block for a module and returns its name. */
    private block(m: Member, members: Member[]): string {
        const entries = this.tree.entries(m);
        const exits = this.tree.exits(m);
        const used = new Set<string>([...RESERVED_NAMES, ...this.blockNames]);
        const inputs = entries.map((t, i) => [t, entries.length === 1 ? 'x' : `x${i}`] as [string, string]);
        for (const [, name] of inputs) used.add(name);
        const body = this.body(members, inputs, exits, '  ', used, exits.map(t => ({ tensor: t })));
        const signature = `(${inputs.map(([, n]) => n).join(', ')}) {\n${body.join('\n')}\n}`;
        const known = this.blockByBody.get(signature);
        if (known) return known;
        let name = blockName(m.path ?? [m.name ?? 'Block']);
        while (RESERVED_NAMES.has(name) || this.blockNames.has(name)) name = `${name}_`;
        this.blockNames.add(name);
        // Marked («Name») until blocks that differ only in numbers are merged and calls get their arguments.
        const marked = `«${name}»`;
        this.blockByBody.set(signature, marked);
        this.blockTexts.push({ name, params: [], inputs: inputs.map(([, n]) => n), body: body.join('\n') });
        return marked;
    }

    /**
     * Statements of a network or block body: chains with `->`, names for tensors read more than once, and the
     * return. `entries` are the tensors already named (inputs), `outputs` what the body returns.
     */
    private body(members: Member[], entries: [string, string][], exits: readonly string[], indent: string, used: Set<string>, outputs: readonly { name?: string; tensor: string }[]): string[] {
        const names = new Map<string, string>(entries);
        const ordered = this.tree.ordered(members);
        const inScope = new Set(ordered.flatMap(m => m.layers));
        const readersInScope = (t: string) => ordered.filter(m => m.layers.some(l => l.inputs.includes(t) && inScope.has(l)));
        const lines: string[] = [];
        let counter = 0;
        const fresh = (base?: string): string => {
            // Tensor names start in lower case, block names in upper case: they never meet.
            if (base !== undefined) base = base.charAt(0).toLowerCase() + base.slice(1);
            if (base !== undefined && RESERVED_NAMES.has(base)) base = `${base}_out`;
            let name = base !== undefined && isLegalName(base) && !used.has(base) ? base : undefined;
            while (name === undefined || used.has(name)) name = `x${++counter}`;
            used.add(name);
            return name;
        };
        const freshUnused = (): string => {
            let name = '_unused';
            for (let k = 1; used.has(name); k++) name = `_unused${k}`;
            used.add(name);
            return name;
        };
        let pending: { head: string; steps: { text: string; light: boolean }[]; last: string; member: Member } | undefined;
        const chainText = (p: NonNullable<typeof pending>, prefix: string) => formatChain(`${prefix}${p.head}`, p.steps, indent);
        const flush = () => {
            if (!pending) return;
            const name = fresh(pending.member.name !== undefined && !isPosition(pending.member.name) ? pending.member.name : undefined);
            lines.push(chainText(pending, `${indent}${name} = `));
            names.set(pending.last, name);
            pending = undefined;
        };
        // A module's learned tensors come first, as the language declares them: `param layer_scale: [96, 1, 1] = 1e-6`.
        const declarations: string[] = [];
        for (const m of ordered) {
            if (m.layer?.op === 'parameter') {
                const name = fresh(m.name !== undefined && !isPosition(m.name) ? m.name : 'param');
                declarations.push(`${indent}param ${name}: [${(m.layer.attrs.shape as number[]).join(', ')}]${m.layer.attrs.init !== undefined ? ` = ${formatAttr(m.layer.attrs.init)}` : ''}`);
                names.set(m.layer.outputs[0], name);
                continue;
            }
            const ins = this.tree.inputsOf(m);
            const [piped, ...sides] = ins;
            const outs = this.tree.exits(m);
            // An unnamed layer of several inputs (`a + b`, `concat(a, b)`) starts a chain of its own: the merge shows.
            const merge = m.layer !== undefined && m.name === undefined && ins.length > 1;
            const continues = pending !== undefined && !merge && piped === pending.last && !sides.includes(piped)
                && readersInScope(piped).length === 1 && !exits.includes(piped);
            if (!continues) flush();
            if (continues) {
                pending!.steps.push({ text: `${this.stepLabel(m)}${this.memberExpression(m, `${indent}  `, names, BODY_DEPTH)}`, light: isLight(m) });
            } else if (merge) {
                pending = { head: this.multiInputCall(m.layer!, names), steps: [], last: '', member: m };
            } else {
                pending = { head: nameIn(names, piped), steps: [{ text: `${this.stepLabel(m)}${this.memberExpression(m, `${indent}  `, names, BODY_DEPTH)}`, light: isLight(m) }], last: '', member: m };
            }
            pending!.member = m;
            const unread = this.tree.unreadResults(m);
            if (outs.length === 1 && unread.length === 0) {
                pending!.last = outs[0];
                // A long chain goes on in a new statement from a named tensor: one expression has an operator limit.
                if (pending!.steps.length >= MAX_CHAIN_STEPS) flush();
                continue;
            }
            // Several results (split, a block returning two tensors), or none that is read: name them all, in the
            // order the layer gives them; `_`-names for those nothing reads (the language does not warn about them).
            const results = unread.length ? m.layer!.outputs : outs.length ? outs : m.layers[m.layers.length - 1].outputs;
            const targets = results.map(t => (unread.includes(t) ? freshUnused() : fresh()));
            lines.push(chainText(pending!, `${indent}${targets.join(', ')} = `));
            results.forEach((t, i) => names.set(t, targets[i]));
            pending = undefined;
        }
        const label = (o: { name?: string }) => (o.name !== undefined ? `${convnetText(o.name, 'output')}: ` : '');
        if (pending && outputs.length === 1 && outputs[0].tensor === pending.last && readersInScope(pending.last).length === 0) {
            lines.push(chainText(pending, `${indent}return ${label(outputs[0])}`));
            return [...declarations, ...lines];
        }
        flush();
        lines.push(`${indent}return ${outputs.map(o => `${label(o)}${nameIn(names, o.tensor)}`).join(', ')}`);
        return [...declarations, ...lines];
    }

    private stepLabel(m: Member): string {
        if (m.name === undefined) return '';
        return `${labelText(m.name)}: `;
    }

    /** `a + b`, `concat(a, b, c)`, `deformconv(x, offsets, 64, kernel: 3)` for an unnamed layer of several inputs. */
    private multiInputCall(layer: ImportedLayer, names: Map<string, string>): string {
        const args = layer.inputs.map(t => nameIn(names, t));
        if (INFIX[layer.op] && args.length === 2) return `${args[0]} ${INFIX[layer.op]} ${args[1]}`;
        return formatCall(layer.op, layer.attrs, args);
    }
}

/**
 * The name a tensor has in the text being written. Every tensor read is named before it is read (an input, or a
 * statement's target); the model's own tensor name is never pasted in its place, since it may be any text.
 */
function nameIn(names: ReadonlyMap<string, string>, tensor: string): string {
    const name = names.get(tensor);
    if (name === undefined) throw new Error(`importer: tensor ${JSON.stringify(tensor)} is read before the text names it`);
    return name;
}

function labelText(label: string): string {
    return convnetText(label, 'label');
}

/** Layers without parameters stay on the line before them: `-> bn1: batchnorm -> relu`. */
function isLight(m: Member): boolean {
    if (!m.layer) return false;
    const category = findOp(m.layer.op)?.category;
    return category !== 'convolution' && category !== 'linear';
}

/** A block's name from its first instance's: the last segment, with its parent's when a number (`layer1.0` → `Layer1_0`). */
function blockName(fullPath: readonly string[]): string {
    const path = isPosition(fullPath[fullPath.length - 1] ?? '') ? fullPath.slice(-2) : fullPath.slice(-1);
    const name = path.map(s => s.charAt(0).toUpperCase() + s.slice(1)).join('_');
    return convnetText(/^\d/.test(name) ? `Block${name}` : name, 'identifier');
}

export function writeConvNet(graph: RecognizedGraph, options: WriteOptions): WrittenNetwork {
    return new ConvNetWriter(graph, options).write();
}

