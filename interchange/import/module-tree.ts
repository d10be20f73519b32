/**
 * The module tree of the imported layers, from their hierarchical names (`layer1` → `layer1.0` → `conv1`), and
 * what the writer asks of it: which tensors a module reads and gives, an order in which each member comes after
 * what it reads (a module that is not one piece of the graph is dissolved into its parent), and whether members
 * run one after another, as a list can say them.
 */
import { allOpNames } from '../../language/ops/registry.js';
import { convnetText, isPosition } from './convnet-text.js';
import type { ImportedLayer } from './import-graph.js';
import type { RecognizedGraph } from './recognize.js';

const OP_NAMES = new Set(allOpNames());

/** A layer, or a module of members, in the module that holds it. */
export interface Member {
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

export class ModuleTree {
    private readonly readers = new Map<string, ImportedLayer[]>();
    private readonly graphOutputs = new Set<string>();
    private readonly index = new Map<ImportedLayer, number>();

    constructor(private readonly graph: RecognizedGraph) {
        graph.layers.forEach((layer, i) => {
            this.index.set(layer, i);
            for (const t of new Set(layer.inputs)) {
                if (!this.readers.has(t)) this.readers.set(t, []);
                this.readers.get(t)!.push(layer);
            }
        });
        for (const o of graph.outputs) this.graphOutputs.add(o.tensor);
    }

    /** The members of the network's top level, in graph order: its layers and the modules holding the others. */
    members(): Member[] {
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
    entries(member: Member): string[] {
        const inside = new Set(member.layers.flatMap(l => l.outputs));
        const out: string[] = [];
        for (const layer of member.layers) for (const t of layer.inputs) if (!inside.has(t) && !out.includes(t)) out.push(t);
        return out;
    }

    /** Tensors a member makes that something outside it reads (or that the network returns). */
    exits(member: Member): string[] {
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
    unreadResults(member: Member): string[] {
        const layer = member.layer;
        if (!layer || layer.outputs.length < 2) return [];
        return layer.outputs.filter(t => !this.graphOutputs.has(t) && (this.readers.get(t) ?? []).length === 0);
    }

    /**
     * Members in an order where each comes after what it reads. A module that is not one piece of the graph
     * (something outside it runs between its parts) cannot be a block or a list: its parts join the enclosing
     * module, labelled `<module>_<part>`.
     */
    ordered(members: Member[]): Member[] {
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

    /** What a member reads: a layer's inputs in order (the first is piped into it), a module's entries. */
    inputsOf(m: Member): string[] {
        return m.layer ? [...m.layer.inputs] : this.entries(m);
    }

    /**
     * Whether `members` run one after another, each reading the previous one's result (and perhaps tensors from
     * outside the module, `add(d)`): a list can say them.
     */
    isChain(members: Member[], moduleEntries: readonly string[]): boolean {
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
}
