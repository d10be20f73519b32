/**
 * Blocks that differ only in their numbers become one block with parameters: ResNet's blocks at 64, 128, 256 and
 * 512 channels are one `Layer1_0(channels: int, …)`, called with the numbers of each instance. The writer gives
 * every block call as `«Name»` (or `«Name»(tensors)`); once blocks are merged, each marker becomes the call with
 * its arguments, and the markers left are unmarked.
 */
import { findOp } from '../../language/ops/registry.js';
import { convnetText, RESERVED_NAMES } from './convnet-text.js';
import { formatAttr } from './convnet-format.js';

interface BlockParam {
    readonly name: string;
    readonly type: 'int' | 'float';
    readonly default?: number;
}

/** A block as the writer defined it: its parameters (none until merged), its input names and its body's text. */
export interface BlockText {
    readonly name: string;
    readonly params: readonly BlockParam[];
    readonly inputs: readonly string[];
    readonly body: string;
}

/** The block's definition in the file: `block Name(params)(inputs) { … }`. */
export function blockSource(b: BlockText): string {
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
export function generalizeBlocks(blocks: readonly BlockText[], network: string): { blocks: BlockText[]; network: string } {
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
    const taken = new Set<string>([...RESERVED_NAMES, ...identifiers, ...family[0].inputs]);
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
