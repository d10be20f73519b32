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
 */
import { allOpNames, findOp } from '../../language/ops/registry.js';
import { BUILTIN_FUNCTIONS } from '../../language/elaboration/functions.js';
import { LIMITS } from '../../language/elaboration/limits.js';
import type { AttrValue } from '../../language/ops/types.js';
import { convnetText, isLegalName, isPosition, KEYWORDS } from './convnet-text.js';
import type { ImportedLayer } from './import-graph.js';
import type { RecognizedGraph } from './recognize.js';

const OP_NAMES = new Set(allOpNames());
const RESERVED = new Set([...KEYWORDS, ...allOpNames(), ...Object.keys(BUILTIN_FUNCTIONS)]);
const MAX_LINE = 110;

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

interface Member {
    /** Its name in the enclosing module: a label, a list position (`3`), or none (an auto-named layer). */
    name?: string;
    layer?: ImportedLayer;
    module?: Member[];
    /** The module's hierarchical name, for its block's name. */
    path?: string[];
    /** Every layer inside, in graph order. */
    layers: ImportedLayer[];
    order: number;
}

export interface WriteOptions {
    readonly networkName: string;
    /** Comment lines for the top of the file (without `#`). */
    readonly header: readonly string[];
}

export interface WrittenNetwork {
    readonly text: string;
    readonly blocks: number;
}

/** An attribute value as the language writes it: `3`, `(3, 1)`, `((0, 1), (0, 1))`, `"same"`, `true`. */
export function formatAttr(value: AttrValue): string {
    if (typeof value === 'number') {
        // The recognizer refuses a NaN or infinite attribute naming its node; one here is the importer's own mistake.
        if (!Number.isFinite(value)) throw new Error(`importer: the attribute value ${value} is not a number the language can say`);
        // JavaScript's shortest form fits the language's numbers (`0.001`, `1e-7`, `1e+21`).
        return String(value);
    }
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'string') return convnetText(value, 'string');
    const items = value.map(formatAttr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** Convolutions name their kernel (`conv(64, kernel: 3)`), as the examples do; other ops use every position. */
const POSITIONAL_OVERRIDE: Record<string, number> = Object.fromEntries(
    ['conv', 'conv1d', 'conv3d', 'convtranspose', 'convtranspose1d', 'convtranspose3d', 'deformconv'].map(op => [op, 1]));

/** `conv(64, kernel: 3, stride: 2)`: the spec's positional attributes by position while they are given in order. */
export function formatCall(op: string, attrs: Record<string, AttrValue>, tensors: readonly string[] = []): string {
    const spec = findOp(op)!;
    const positionalCount = POSITIONAL_OVERRIDE[op] ?? spec.positional;
    const args = [...tensors];
    let positional = true;
    spec.attrs.forEach((a, i) => {
        if (!(a.name in attrs)) {
            positional = false;
            return;
        }
        let value = attrs[a.name];
        if (a.type === 'intList' && Array.isArray(value) && value.length === 1) value = value[0] as number;
        // Numbers go by position; a string or a flag reads better named (`gelu(approximate: "tanh")`).
        if (positional && i < positionalCount && typeof value !== 'string' && typeof value !== 'boolean') args.push(formatAttr(value));
        else {
            positional = false;
            args.push(`${a.name}: ${formatAttr(value)}`);
        }
    });
    return args.length ? `${op}(${args.join(', ')})` : op;
}

const INFIX: Record<string, string> = { add: '+', sub: '-', mul: '*', div: '/' };

export class ConvNetWriter {
    private readonly readers = new Map<string, ImportedLayer[]>();
    private readonly graphOutputs = new Set<string>();
    private readonly index = new Map<ImportedLayer, number>();
    private readonly blockTexts: BlockText[] = [];
    private readonly blockByBody = new Map<string, string>();
    private readonly blockNames = new Set<string>();

    constructor(private readonly graph: RecognizedGraph, private readonly options: WriteOptions) {
        graph.layers.forEach((layer, i) => {
            this.index.set(layer, i);
            for (const t of new Set(layer.inputs)) {
                if (!this.readers.has(t)) this.readers.set(t, []);
                this.readers.get(t)!.push(layer);
            }
        });
        for (const o of graph.outputs) this.graphOutputs.add(o.tensor);
    }

    write(): WrittenNetwork {
        const members = this.tree();
        const inputNames = new Map<string, string>();
        const used = new Set<string>(RESERVED);
        const params = this.graph.inputs.map((input, i) => {
            let name = isLegalName(input.name) && !RESERVED.has(input.name) ? input.name : this.graph.inputs.length === 1 ? 'input' : `input${i}`;
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
        if (ports.length === 1 && (ports[0].name === 'output' || !isLegalName(ports[0].name))) return [{ tensor: ports[0].tensor }];
        const used = new Set<string>();
        return ports.map((p, i) => {
            let name = isLegalName(p.name) ? p.name : `output${i}`;
            while (used.has(name)) name = `${name}_`;
            used.add(name);
            return { name, tensor: p.tensor };
        });
    }

    // ----- the module tree -------------------------------------------------------------------------------------

    private tree(): Member[] {
        interface TreeNode { children: Map<string, TreeNode>; claims: ImportedLayer[]; path: string[] }
        const root: TreeNode = { children: new Map(), claims: [], path: [] };
        for (const layer of this.graph.layers) {
            let node = root;
            for (const segment of layer.path ?? []) {
                if (!node.children.has(segment)) node.children.set(segment, { children: new Map(), claims: [], path: [...node.path, segment] });
                node = node.children.get(segment)!;
            }
            node.claims.push(layer);
        }
        const toMembers = (node: TreeNode): Member[] => {
            const members: Member[] = node.claims.map(layer => this.layerMember(layer, undefined));
            for (const [segment, child] of node.children) {
                if (child.children.size === 0 && child.claims.length === 1) members.push(this.layerMember(child.claims[0], segment));
                else members.push(this.moduleMember(segment, toMembers(child), child.path));
            }
            return members.sort((a, b) => a.order - b.order);
        };
        return toMembers(root);
    }

    private layerMember(layer: ImportedLayer, name: string | undefined): Member {
        // A parameterless layer named like an op (`relu_1`, `add`, `avgpool`) needs no label: the name is only for display.
        const auto = name !== undefined && !isPosition(name) && layer.params.length === 0 && OP_NAMES.has(name.replace(/_\d+$/, ''));
        return { name: auto ? undefined : name, layer, layers: [layer], order: this.index.get(layer)! };
    }

    private moduleMember(name: string | undefined, members: Member[], path: string[] | undefined): Member {
        const layers = members.flatMap(m => m.layers).sort((a, b) => this.index.get(a)! - this.index.get(b)!);
        return { name, module: members, path, layers, order: Math.min(...members.map(m => m.order)) };
    }

    /** Tensors a member reads from outside it, in the order its layers first read them. */
    private entries(member: Member): string[] {
        const inside = new Set(member.layers.flatMap(l => l.outputs));
        const out: string[] = [];
        for (const layer of member.layers) for (const t of layer.inputs) if (!inside.has(t) && !out.includes(t)) out.push(t);
        return out;
    }

    /** Tensors a member makes that something outside it reads (or that the network returns). */
    private exits(member: Member): string[] {
        const inside = new Set(member.layers);
        const out: string[] = [];
        for (const layer of member.layers) {
            for (const t of layer.outputs) {
                if (this.graphOutputs.has(t) || (this.readers.get(t) ?? []).some(r => !inside.has(r))) out.push(t);
            }
        }
        return out;
    }

    /**
     * Results of a layer of several results (split) that nothing reads: the language's op gives them anyway, so the
     * statement names them (`_unused`) rather than piping several tensors into the next step.
     */
    private unreadResults(member: Member): string[] {
        const layer = member.layer;
        if (!layer || layer.outputs.length < 2) return [];
        return layer.outputs.filter(t => !this.graphOutputs.has(t) && (this.readers.get(t) ?? []).length === 0);
    }

    /**
     * Members in an order where each comes after what it reads. A module that is not one piece of the graph
     * (something outside it runs between its parts) cannot be a block or a list: its parts join the enclosing
     * module, labelled `<module>_<part>`.
     */
    private ordered(members: Member[]): Member[] {
        for (;;) {
            const producedBy = new Map<string, Member>();
            for (const m of members) for (const l of m.layers) for (const t of l.outputs) producedBy.set(t, m);
            const remaining = new Set(members);
            const result: Member[] = [];
            let progress = true;
            while (remaining.size && progress) {
                progress = false;
                for (const m of [...remaining].sort((a, b) => a.order - b.order)) {
                    if (this.entries(m).every(t => !producedBy.has(t) || !remaining.has(producedBy.get(t)!))) {
                        remaining.delete(m);
                        result.push(m);
                        progress = true;
                        break;
                    }
                }
            }
            if (!remaining.size) return result;
            const culprit = [...remaining].filter(m => m.module).sort((a, b) => a.order - b.order)[0];
            if (!culprit) throw new Error('importer: the layers form a cycle');
            members = this.dissolve(members, culprit);
        }
    }

    private dissolve(members: Member[], module: Member): Member[] {
        const parts = module.module!.map(child => ({
            ...child,
            name: module.name !== undefined && child.name !== undefined ? convnetText(`${module.name}_${child.name}`, 'identifier') : child.name,
        }));
        return [...members.filter(m => m !== module), ...parts].sort((a, b) => a.order - b.order);
    }

    // ----- text ------------------------------------------------------------------------------------------------

    /** What a member reads: a layer's inputs in order (the first is piped into it), a module's entries. */
    private inputsOf(m: Member): string[] {
        return m.layer ? [...m.layer.inputs] : this.entries(m);
    }

    /**
     * Whether `members` run one after another, each reading the previous one's result (and perhaps tensors from
     * outside the module, `add(d)`): a list can say them.
     */
    private isChain(members: Member[], moduleEntries: readonly string[]): boolean {
        if (members.length === 0) return false;
        let piped = moduleEntries[0];
        for (let i = 0; i < members.length; i++) {
            const m = members[i];
            const ins = this.inputsOf(m);
            // Other tensors an item reads must come from outside the list (the piped-in one has no name there).
            if (ins[0] !== piped || ins.slice(1).some(t => !moduleEntries.slice(1).includes(t))) return false;
            const exits = this.exits(m);
            // Only the last item may give several results (a list ending in split).
            if (exits.length !== 1 && (i < members.length - 1 || exits.length === 0)) return false;
            // A split whose pieces are not all read gives them all the same: only a statement can name them.
            if (this.unreadResults(m).length > 0) return false;
            if (i > 0) {
                const readers = this.readers.get(piped) ?? [];
                if (this.graphOutputs.has(piped) || readers.some(r => !m.layers.includes(r))) return false;
            }
            piped = exits[0];
        }
        return true;
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
        const sides = this.inputsOf(m).slice(1).map(t => nameIn(names, t));
        if (m.layer) return formatCall(m.layer.op, m.layer.attrs, sides);
        const members = this.ordered(m.module!);
        if (depth + 1 + CALL_NESTING <= LIMITS.nesting && this.isChain(members, this.entries(m))) {
            const items = this.listItems(members, `${indent}  `, names, depth + 1);
            if (items) return listText(items, indent);
        }
        const block = this.block(m, members);
        return sides.length ? `${block}(${sides.join(', ')})` : block;
    }

    /** Defines (or reuses) the block for a module and returns its name. */
    private block(m: Member, members: Member[]): string {
        const entries = this.entries(m);
        const exits = this.exits(m);
        const used = new Set<string>([...RESERVED, ...this.blockNames]);
        const inputs = entries.map((t, i) => [t, entries.length === 1 ? 'x' : `x${i}`] as [string, string]);
        for (const [, name] of inputs) used.add(name);
        const body = this.body(members, inputs, exits, '  ', used, exits.map(t => ({ tensor: t })));
        const signature = `(${inputs.map(([, n]) => n).join(', ')}) {\n${body.join('\n')}\n}`;
        const known = this.blockByBody.get(signature);
        if (known) return known;
        let name = blockName(m.path ?? [m.name ?? 'Block']);
        while (RESERVED.has(name) || this.blockNames.has(name)) name = `${name}_`;
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
        const ordered = this.ordered(members);
        const inScope = new Set(ordered.flatMap(m => m.layers));
        const readersInScope = (t: string) => ordered.filter(m => m.layers.some(l => l.inputs.includes(t) && inScope.has(l)));
        const lines: string[] = [];
        let counter = 0;
        const fresh = (base?: string): string => {
            // Tensor names start in lower case, block names in upper case: they never meet.
            if (base !== undefined) base = base.charAt(0).toLowerCase() + base.slice(1);
            if (base !== undefined && RESERVED.has(base)) base = `${base}_out`;
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
        for (const m of ordered) {
            const ins = this.inputsOf(m);
            const [piped, ...sides] = ins;
            const outs = this.exits(m);
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
            const unread = this.unreadResults(m);
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
        const label = (o: { name?: string }) => (o.name !== undefined ? `${o.name}: ` : '');
        if (pending && outputs.length === 1 && outputs[0].tensor === pending.last && readersInScope(pending.last).length === 0) {
            lines.push(chainText(pending, `${indent}return ${label(outputs[0])}`));
            return lines;
        }
        flush();
        lines.push(`${indent}return ${outputs.map(o => `${label(o)}${nameIn(names, o.tensor)}`).join(', ')}`);
        return lines;
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

/** Whether `name` cannot name a network or block (a keyword, an op or a built-in function). */
export function isReservedName(name: string): boolean {
    return RESERVED.has(name);
}

/** `head -> a -> b` on one line when it fits with one heavy step at most; else a heavy step (conv, linear, a list, a block) starts a line. */
function formatChain(head: string, steps: readonly { text: string; light: boolean }[], indent: string): string {
    const oneLine = [head, ...steps.map(s => s.text)].join(' -> ');
    if (!oneLine.includes('\n') && oneLine.length - oneLine.lastIndexOf('\n') <= MAX_LINE && steps.filter(s => !s.light).length <= 1) return oneLine;
    let text = head;
    let line = head.length - head.lastIndexOf('\n') - 1;
    for (const [i, step] of steps.entries()) {
        const multiline = step.text.includes('\n');
        const fits = line + 4 + step.text.length <= MAX_LINE;
        if (!multiline && fits && (step.light || (i === 0 && steps.length === 1))) {
            text += ` -> ${step.text}`;
            line += 4 + step.text.length;
        } else {
            text += `\n${indent}  -> ${step.text}`;
            line = multiline ? step.text.length - step.text.lastIndexOf('\n') - 1 : indent.length + 5 + step.text.length;
        }
    }
    return text;
}

interface ListItem {
    readonly text: string;
    readonly light: boolean;
    readonly comment?: string;
}

/** A list on one line when short, else one heavy item per line with the light ones after it. */
function listText(items: readonly ListItem[], indent: string): string {
    const oneLine = `[${items.map(i => i.text).join(', ')}]`;
    if (!oneLine.includes('\n') && !items.some(i => i.comment) && indent.length + oneLine.length <= MAX_LINE - 10) return oneLine;
    const inner = `${indent}  `;
    const lines: string[] = [];
    let open = false; // the last line can take more light items
    for (const item of items) {
        const last = lines.length - 1;
        if (item.light && open && !item.comment && !item.text.includes('\n') && lines[last].length + item.text.length + 2 <= MAX_LINE) {
            lines[last] += ` ${item.text},`;
            continue;
        }
        lines.push(`${inner}${item.text},${item.comment ? `  # ${convnetText(item.comment, 'comment')}` : ''}`);
        open = !item.comment && !item.text.includes('\n');
    }
    return `[\n${lines.join('\n')}\n${indent}]`;
}

/** A block's name from its first instance's: the last segment, with its parent's when a number (`layer1.0` → `Layer1_0`). */
function blockName(fullPath: readonly string[]): string {
    const path = isPosition(fullPath[fullPath.length - 1] ?? '') ? fullPath.slice(-2) : fullPath.slice(-1);
    const name = path.map(s => s.charAt(0).toUpperCase() + s.slice(1)).join('_');
    return convnetText(/^\d/.test(name) ? `Block${name}` : name, 'identifier');
}

// ----- blocks that differ only in their numbers ---------------------------------------------------------------

interface BlockParam {
    readonly name: string;
    readonly type: 'int' | 'float';
    readonly default?: number;
}

interface BlockText {
    readonly name: string;
    readonly params: readonly BlockParam[];
    readonly inputs: readonly string[];
    readonly body: string;
}

function blockSource(b: BlockText): string {
    const params = b.params.map(p => `${p.name}: ${p.type}${p.default !== undefined ? ` = ${formatAttr(p.default)}` : ''}`);
    return `block ${b.name}(${params.join(', ')})(${b.inputs.join(', ')}) {\n${b.body}\n}`;
}

/** Marks where a number was in a block body's skeleton. */
const HOLE = '\u0000';

interface NumberSite {
    readonly value: number;
    /** What the number is: the attribute it gives (`channels`, `stride`) or the argument of a call. */
    readonly role: string;
    /** The label of the layer it belongs to, when the line has one. */
    readonly label?: string;
}

/**
 * The text with every number outside comments replaced by a hole, and the numbers in order with their roles: the
 * attribute each gives (`name: 3`, or the position in the op call around it) and the outermost label around it
 * (`branch2: [conv(96, …), …]` → branch2).
 */
function numbersOf(text: string, positionalParams: ReadonlyMap<string, readonly string[]> = new Map()): { skeleton: string; sites: NumberSite[] } {
    const sites: NumberSite[] = [];
    let skeleton = '';
    const stack: { char: string; label?: string; callee?: string; commas: number; named?: string }[] = [];
    let i = 0;
    while (i < text.length) {
        const c = text[i];
        if (c === '#') {
            const end = text.indexOf('\n', i);
            const stop = end < 0 ? text.length : end;
            skeleton += text.slice(i, stop);
            i = stop;
            continue;
        }
        if (c === '"' || c === "'") {
            const end = text.indexOf(c, i + 1);
            const stop = end < 0 ? text.length : end + 1;
            skeleton += text.slice(i, stop);
            i = stop;
            continue;
        }
        const word = /^[_A-Za-z]\w*/.exec(text.slice(i, i + 200));
        if (word) {
            skeleton += word[0];
            i += word[0].length;
            continue;
        }
        const number = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 50));
        // A numbered label (`-> 0: conv(…)`) names a layer: it is part of the skeleton, not a value.
        if (number && /^\s*:/.test(text.slice(i + number[0].length, i + number[0].length + 20))) {
            skeleton += number[0];
            i += number[0].length;
            continue;
        }
        if (number) {
            const top = stack[stack.length - 1];
            const spec = top?.callee ? findOp(top.callee) : undefined;
            const role = top?.named ?? (top?.callee ? (spec ? spec.attrs[top.commas]?.name : positionalParams.get(top.callee)?.[top.commas]) ?? 'n' : 'n');
            sites.push({ value: Number(number[0]), role, label: stack.find(f => f.label)?.label });
            skeleton += HOLE;
            i += number[0].length;
            continue;
        }
        const before = skeleton.slice(Math.max(0, skeleton.length - 200));
        if (c === '(' || c === '[') {
            const callee = c === '(' ? /(\w+)»?\s*$/.exec(before)?.[1] : undefined;
            const label = /(\w+):\s*(?:\w+\s*)?$/.exec(before)?.[1];
            const outer = stack[stack.length - 1];
            // A tuple inside a call stands for the call's argument: it keeps the argument's role.
            const named = !callee && outer ? outer.named ?? (outer.callee ? (findOp(outer.callee)?.attrs[outer.commas]?.name ?? positionalParams.get(outer.callee)?.[outer.commas]) : undefined) : undefined;
            stack.push({ char: c, label, callee, commas: 0, named });
        } else if (c === ')' || c === ']') {
            stack.pop();
        } else if (c === ',' && stack.length) {
            const top = stack[stack.length - 1];
            top.commas++;
            if (top.callee) top.named = undefined;
        } else if (c === ':' && stack.length) {
            const name = /(\w+)\s*$/.exec(before)?.[1];
            const top = stack[stack.length - 1];
            if (name && top.callee) top.named = name;
        }
        skeleton += c;
        i++;
    }
    return { skeleton, sites };
}

/**
 * Blocks with the same body but for numbers (ResNet's blocks at 64, 128, 256 and 512 channels) become one block
 * whose numbers that differ are parameters — `Layer1_0(128, stride: 2)` — with the most common value as default.
 * Repeats until nothing more merges (a block that calls merged blocks may then match its siblings).
 */
function generalizeBlocks(blocks: readonly BlockText[], network: string): { blocks: BlockText[]; network: string } {
    let current = [...blocks];
    for (;;) {
        const families = new Map<string, BlockText[]>();
        const positional = new Map(current.map(b => [b.name, b.params.filter(p => p.default === undefined).map(p => p.name)]));
        for (const b of current) {
            const key = `${b.params.map(p => p.name).join(',')}|${b.inputs.join(',')}|${numbersOf(b.body, positional).skeleton}`;
            if (!families.has(key)) families.set(key, []);
            families.get(key)!.push(b);
        }
        const merging = [...families.values()].filter(f => f.length > 1 && f.every(b => b.params.length === 0));
        if (merging.length === 0) {
            const unmark = (text: string) => text.replace(/«(\w+)»/g, '$1');
            return { blocks: current.map(b => ({ ...b, body: unmark(b.body) })), network: unmark(network) };
        }
        const calls = new Map<string, string>();
        const replaced = new Map<string, BlockText>();
        for (const family of merging) {
            const merged = mergeFamily(family, positional);
            family.forEach((b, i) => calls.set(b.name, merged.calls[i]));
            for (const b of family) replaced.set(b.name, merged.block);
        }
        const rename = (text: string) => text.replace(/«(\w+)»(?:\(([^()]*)\))?/g, (whole, name: string, tensors?: string) => {
            const call = calls.get(name);
            if (!call) return whole;
            if (!tensors) return call;
            const open = call.indexOf('(');
            return open < 0 ? `${call}(${tensors})` : `${call.slice(0, open)}(${tensors}, ${call.slice(open + 1)}`;
        });
        const next: BlockText[] = [];
        for (const b of current) {
            const target = replaced.get(b.name) ?? b;
            if (next.includes(target)) continue;
            next.push(target);
        }
        current = next.map(b => ({ ...b, body: rename(b.body) }));
        network = rename(network);
    }
}

function mergeFamily(family: readonly BlockText[], positional: ReadonlyMap<string, readonly string[]>): { block: BlockText; calls: string[] } {
    const numbers = family.map(b => numbersOf(b.body, positional));
    const sites = numbers[0].sites;
    const varying = sites.map((_, i) => numbers.some(n => n.sites[i].value !== sites[i].value));
    // Positions that always hold the same values are one parameter.
    const groups = new Map<string, number[]>();
    sites.forEach((_, i) => {
        if (!varying[i]) return;
        const key = numbers.map(n => n.sites[i].value).join(',');
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key)!.push(i);
    });
    // A parameter is a name in the block's scope: it must differ from the tensors the body names.
    const identifiers = new Set([...family[0].body.matchAll(/^\s*([\w, ]+?)\s*=(?!=)/gm)].flatMap(m => m[1].split(',').map(n => n.trim())));
    const byRole = new Map<string, number>();
    for (const positions of groups.values()) byRole.set(sites[positions[0]].role, (byRole.get(sites[positions[0]].role) ?? 0) + 1);
    const taken = new Set<string>([...RESERVED, ...identifiers, ...family[0].inputs]);
    const params: (BlockParam & { positions: number[]; values: number[] })[] = [];
    for (const positions of groups.values()) {
        const site = sites[positions[0]];
        const base = byRole.get(site.role)! > 1 && site.label ? `${site.label}_${site.role}` : site.role;
        let name = convnetText(base, 'identifier');
        for (let k = 1; taken.has(name); k++) name = `${convnetText(base, 'identifier')}_${k}`;
        taken.add(name);
        const values = numbers.map(n => n.sites[positions[0]].value);
        const counts = new Map<number, number>();
        for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
        const [top, second] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
        const fallback = top[1] >= Math.max(2, Math.ceil(values.length / 2)) && (!second || top[1] > second[1]) ? top[0] : undefined;
        params.push({ name, type: values.every(Number.isInteger) ? 'int' : 'float', default: fallback, positions, values });
    }
    params.sort((a, b) => Number(a.default !== undefined) - Number(b.default !== undefined));
    const parameterAt = new Map<number, string>();
    for (const p of params) for (const i of p.positions) parameterAt.set(i, p.name);
    let index = 0;
    const body = numbers[0].skeleton.replace(/\u0000/g, () => {
        const text = parameterAt.get(index) ?? formatAttr(sites[index].value);
        index++;
        return text;
    });
    const block: BlockText = { name: family[0].name, params: params.map(({ name, type, default: d }) => ({ name, type, default: d })), inputs: family[0].inputs, body };
    const calls = family.map((_, k) => {
        const args: string[] = [];
        let positional = true;
        for (const p of params) {
            const value = p.values[k];
            if (p.default !== undefined && value === p.default) {
                positional = false;
                continue;
            }
            args.push(positional && p.default === undefined ? formatAttr(value) : `${p.name}: ${formatAttr(value)}`);
        }
        return args.length ? `«${block.name}»(${args.join(', ')})` : `«${block.name}»`;
    });
    return { block, calls };
}

export function writeConvNet(graph: RecognizedGraph, options: WriteOptions): WrittenNetwork {
    return new ConvNetWriter(graph, options).write();
}

