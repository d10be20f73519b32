/**
 * The classes of an exported file. Each block becomes a class; instances of a block with the same structure share
 * one, whose constructor takes what differs between them (see pytorch.ts). The network itself is the root class.
 * A class is first written as a `Template` (one instance's body with every setting a literal slot), then the slots
 * that differ between instances become constructor parameters.
 */
import type { GraphModule, GraphNode, NetworkGraph } from '../../../language/elaboration/graph.js';
import { pythonString } from '../python-text.js';
import { HELPERS } from './helpers-code.js';
import { structureOf, type Item, type Structure } from './graph-structure.js';
import { identifier, isAutoName, lastSegment, memberAccess, parameterAccess } from './python-names.js';
import { call, eachSlot, kw, lit, pos, raw, render, sameLit, type Py, type PyLit } from './py-ast.js';
import { fail, PytorchExportError, type OpContext } from './op-context.js';
import { inlineOf, moduleOf } from './op-table.js';

interface Statement {
    readonly targets: readonly string[];
    readonly py: Py;
}

/** A class body as one instance would write it, before constant settings are told from constructor parameters. */
export interface Template {
    /** Submodules, and learned tensors of the module itself (`parameter`: an nn.Parameter, registered as such). */
    readonly init: { readonly attr: string; readonly py: Py; readonly parameter?: boolean }[];
    readonly forward: Statement[];
    readonly inputs: readonly string[];
    readonly returns: readonly string[];
    /** Literal slots in order (init first, then forward). */
    readonly slots: (Py & { k: 'lit' })[];
    /** Of the slots, those in forward (written `self.<param>` when they vary). */
    readonly forwardSlots: ReadonlySet<number>;
    readonly key: string;
}

export interface ClassInfo {
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

/** Builds the class of every block (inner blocks first) and the root template of the network. */
export class ClassBuilder {
    private readonly s: Structure;
    readonly helpers = new Set<string>();
    readonly imports = new Set<string>();
    readonly classes: ClassInfo[] = [];
    private readonly instanceCalls = new Map<number, InstanceCall>();
    private readonly usedClassNames = new Set<string>(Object.keys(HELPERS));

    constructor(private readonly graph: NetworkGraph) {
        this.s = structureOf(graph);
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
        const init: { attr: string; py: Py; parameter?: boolean }[] = [];
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
                    // Reuse the input's variable when nothing reads it later: `x = self.conv1(x)` (not `self.layer_scale`).
                    const v = vars.get(ins[0])!;
                    if (/^\w+$/.test(v) && [...(holders.get(v) ?? [])].every(h => (lastUse.get(h) ?? -1) <= i && !isOutput(h))) name = v;
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
                if (node.op === 'parameter') {
                    // A learned tensor of the module itself: registered in __init__, read where it is used.
                    const attr = lastSegment(node.name);
                    init.push({ attr, py: moduleOf(c), parameter: true });
                    outs.forEach(t => bind(t, parameterAccess('self', attr)));
                    return;
                }
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
