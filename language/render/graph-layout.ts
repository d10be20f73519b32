/**
 * The drawing of a network: layers as boxes (name, op and output shape, MACs), coloured by their share of the
 * MACs, block instances and lists as frames that can be collapsed into one box, laid out top to bottom by ELK's
 * layered algorithm (elkjs). The editor's graph view and `convnet graph --svg` draw the same layout.
 *
 * ELK minimises crossings and routes edges around boxes, at a cost that grows faster than the graph: 1,000 parallel
 * branches took 1.6 s, 4,000 took 48.6 s and 1.4 GB. So a drawing of more than MAX_ELK_BOXES boxes and frames is laid
 * out by layered-layout.ts instead, in linear time and with plainer routing; the editor folds every block of a
 * network over 60 layers when it opens the view, so it meets that only when a person unfolds that much.
 */
import { displayText } from '../util/quote.js';
import { baseNameOfUri } from '../util/uri.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { NetworkGraph, SourceLocation } from '../elaboration/graph.js';
import { formatShape } from '../ops/shape-utils.js';
import { humanCount } from '../util/format.js';
import { appendAll, maxOf } from '../util/arrays.js';
import { layeredLayout } from './layered-layout.js';

export interface LaidOutBox {
    readonly id: string;
    readonly kind: 'layer' | 'module' | 'input' | 'output';
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly lines: readonly string[];
    /** Share of the network's MACs, 0…1 (colour). */
    readonly heat: number;
    readonly node?: number;
    readonly module?: number;
    readonly collapsed?: boolean;
    readonly source?: SourceLocation;
}

export interface LaidOutEdge {
    readonly id: string;
    readonly points: readonly { x: number; y: number }[];
    readonly label: string;
}

export interface GraphLayout {
    readonly width: number;
    readonly height: number;
    readonly boxes: readonly LaidOutBox[];
    readonly edges: readonly LaidOutEdge[];
}

/** Boxes and frames up to which ELK lays the drawing out (about a second at this size); above, layered-layout.ts. */
export const MAX_ELK_BOXES = 1000;

const CHAR_WIDTH = 7.6;
const LINE_HEIGHT = 15;
const PADDING = 8;

function boxSize(lines: readonly string[]): { width: number; height: number } {
    return { width: maxOf(lines.map(l => l.length)) * CHAR_WIDTH + 2 * PADDING, height: lines.length * LINE_HEIGHT + 2 * PADDING };
}

export interface LayoutOptions {
    /** Boxes and frames up to which ELK lays out (default MAX_ELK_BOXES; tests lower it to draw small graphs in layers). */
    readonly maxElkBoxes?: number;
}

/** Lays out `graph` with the modules in `collapsed` (indices into graph.modules) drawn as single boxes. */
export async function layoutGraph(graph: NetworkGraph, collapsed: ReadonlySet<number> = new Set(), options: LayoutOptions = {}): Promise<GraphLayout> {
    const drawing = drawingOf(graph, collapsed);
    return drawing.elkNodes.size <= (options.maxElkBoxes ?? MAX_ELK_BOXES) ? layoutWithElk(drawing) : layoutInLayers(drawing);
}

type BoxMeta = Omit<LaidOutBox, 'x' | 'y' | 'width' | 'height' | 'id'>;
type DrawnEdge = ElkExtendedEdge & { label: string };

/** What is drawn, before it is placed: boxes and frames (by id, with their frame), edges, and the boxes in graph order. */
interface Drawing {
    readonly elkNodes: ReadonlyMap<string, ElkNode & { meta: BoxMeta }>;
    readonly parentOf: ReadonlyMap<string, string>;
    readonly edges: DrawnEdge[];
    /** Box ids (not frames) in topological order: inputs, layers and folded modules as the graph runs them, outputs. */
    readonly order: readonly string[];
}

function drawingOf(graph: NetworkGraph, collapsed: ReadonlySet<number>): Drawing {
    const totalMacs = Math.max(1, graph.totals.macs);
    // The outermost collapsed module that contains each node stands in for it.
    const standIn = new Map<number, number>();
    // Per module, from its parent's (a parent comes first): whether a folded module hides it, and the innermost
    // expanded visible module holding it. Walking up the parents for every layer cost layers × depth².
    const hidden: boolean[] = [];
    const frames: (string | undefined)[] = [];
    for (const module of graph.modules) {
        const parent = module.parent;
        hidden[module.index] = parent >= 0 && (collapsed.has(parent) || hidden[parent]);
        frames[module.index] = !collapsed.has(module.index) && !hidden[module.index] ? `f${module.index}` : parent >= 0 ? frames[parent] : undefined;
    }
    const runs = repeatedRuns(graph, m => collapsed.has(m) && !hidden[m]);
    for (const module of graph.modules) {
        if (!collapsed.has(module.index) || hidden[module.index]) continue;
        const box = runs.firstOf.get(module.index) ?? module.index;
        for (let i = module.firstNode; i < module.endNode; i++) standIn.set(i, box);
    }
    const boxId = (node: number) => (standIn.has(node) ? `m${standIn.get(node)}` : `n${node}`);

    const elkNodes = new Map<string, ElkNode & { meta: BoxMeta }>();
    const parentOf = new Map<string, string>();
    const addBox = (id: string, meta: BoxMeta, parent?: string) => {
        elkNodes.set(id, { id, ...boxSize(meta.lines), meta, children: [] });
        if (parent) parentOf.set(id, parent);
    };
    // Running sums: a module's MACs in two reads (summing each module's layers again cost layers × nesting depth).
    const macsBefore = new Float64Array(graph.nodes.length + 1);
    graph.nodes.forEach((node, i) => (macsBefore[i + 1] = macsBefore[i] + node.macs));
    for (const module of graph.modules) {
        if (hidden[module.index] || runs.firstOf.has(module.index)) continue;
        const lastOfRun = graph.modules[runs.lastOf.get(module.index) ?? module.index];
        const count = lastOfRun.index - module.index + 1;
        const macs = macsBefore[lastOfRun.endNode] - macsBefore[module.firstNode];
        const title = count > 1
            ? `${module.name} … ${lastOfRun.name.slice(lastOfRun.name.lastIndexOf('.') + 1)} · ${module.block} ×${count}`
            : `${module.name}${module.block ? ` · ${module.block}` : ''}`;
        const parent = module.parent >= 0 ? frames[module.parent] : undefined;
        if (collapsed.has(module.index)) {
            const last = graph.nodes[lastOfRun.endNode - 1];
            addBox(`m${module.index}`, {
                kind: 'module', module: module.index, collapsed: true, heat: macs / totalMacs, source: module.source,
                lines: [title, last ? formatShape(graph.tensors[last.outputs[0]].shape) : '', `${humanCount(macs)} MACs`],
            }, parent);
        } else {
            elkNodes.set(`f${module.index}`, {
                id: `f${module.index}`, children: [],
                layoutOptions: { 'elk.padding': '[top=24,left=8,bottom=8,right=8]' },
                meta: { kind: 'module', module: module.index, collapsed: false, heat: macs / totalMacs, source: module.source, lines: [title] },
            });
            if (parent) parentOf.set(`f${module.index}`, parent);
        }
    }
    for (const port of graph.inputs) {
        addBox(`i${port.tensor}`, { kind: 'input', heat: 0, lines: [port.name, formatShape(graph.tensors[port.tensor].shape)] });
    }
    for (const node of graph.nodes) {
        if (standIn.has(node.index)) continue;
        addBox(`n${node.index}`, {
            kind: 'layer', node: node.index, heat: node.macs / totalMacs, source: node.source,
            lines: [node.name, `${node.op} → ${formatShape(graph.tensors[node.outputs[0]].shape)}`, ...(node.macs ? [`${humanCount(node.macs)} MACs`] : [])],
        }, node.module >= 0 ? frames[node.module] : undefined);
    }
    for (const port of graph.outputs) {
        addBox(`o${port.tensor}`, { kind: 'output', heat: 0, lines: [port.name, formatShape(graph.tensors[port.tensor].shape)] });
    }

    const order: string[] = [...graph.inputs.map(port => `i${port.tensor}`)];
    graph.nodes.forEach((node, i) => {
        const standing = standIn.get(node.index);
        if (standing === undefined) order.push(`n${node.index}`);
        else if (graph.modules[standing].firstNode === i) order.push(`m${standing}`);
    });
    // A folded module without layers (a list whose items were all left out) stands for none: it goes last.
    for (const module of graph.modules) if (collapsed.has(module.index) && !hidden[module.index] && module.endNode === module.firstNode) order.push(`m${module.index}`);
    appendAll(order, graph.outputs.map(port => `o${port.tensor}`));

    const edges: DrawnEdge[] = [];
    const seen = new Set<string>();
    const sourceOf = (tensor: number) => {
        const producer = graph.tensors[tensor].producer;
        return producer === undefined ? `i${tensor}` : boxId(producer);
    };
    const addEdge = (from: string, to: string, tensor: number) => {
        const id = `${from}>${to}`;
        if (from === to || seen.has(id)) return;
        seen.add(id);
        edges.push({ id, sources: [from], targets: [to], label: formatShape(graph.tensors[tensor].shape) });
    };
    for (const node of graph.nodes) for (const t of node.inputs) addEdge(sourceOf(t), boxId(node.index), t);
    for (const port of graph.outputs) addEdge(sourceOf(port.tensor), `o${port.tensor}`, port.tensor);
    return { elkNodes, parentOf, edges, order };
}

/**
 * Runs of folded instances of one block that follow each other in one list, do the same work on the same shapes
 * and feed only each other (ResNet-50's layer1.1 → layer1.2): drawn as one box, "layer1.1 … 2 · Bottleneck ×2", so
 * that a deep stage reads as a few steps.
 * `firstOf` maps every later module of a run to the run's first, `lastOf` the first to the last.
 */
function repeatedRuns(graph: NetworkGraph, folded: (module: number) => boolean): { firstOf: Map<number, number>; lastOf: Map<number, number> } {
    const firstOf = new Map<number, number>();
    const lastOf = new Map<number, number>();
    const readers = new Map<number, number[]>();
    for (const node of graph.nodes) for (const t of node.inputs) (readers.get(t) ?? readers.set(t, []).get(t)!).push(node.index);
    const returned = new Set(graph.outputs.map(port => port.tensor));
    const macsOf = (m: (typeof graph.modules)[number]) => graph.nodes.slice(m.firstNode, m.endNode).reduce((s, n) => s + n.macs, 0);
    const shapeOf = (t: number) => formatShape(graph.tensors[t].shape);
    /** The same work on the same shapes: the same input and output shapes and MACs (a strided first block differs). */
    const sameWork = (a: (typeof graph.modules)[number], b: (typeof graph.modules)[number]) =>
        shapeOf(graph.nodes[a.firstNode].inputs[0]) === shapeOf(graph.nodes[b.firstNode].inputs[0])
        && shapeOf(graph.nodes[a.endNode - 1].outputs[0]) === shapeOf(graph.nodes[b.endNode - 1].outputs[0])
        && macsOf(a) === macsOf(b);
    /** Every tensor `a` makes that anything outside `a` reads is read inside `b` only (and is no network output). */
    const feedsOnly = (a: (typeof graph.modules)[number], b: (typeof graph.modules)[number]) => {
        for (let i = a.firstNode; i < a.endNode; i++) {
            for (const t of graph.nodes[i].outputs) {
                if (returned.has(t)) return false;
                if ((readers.get(t) ?? []).some(r => (r < a.firstNode || r >= a.endNode) && (r < b.firstNode || r >= b.endNode))) return false;
            }
        }
        return true;
    };
    // The sibling that ends where a module starts (its own children have another parent).
    const endingAt = new Map<string, (typeof graph.modules)[number]>();
    for (const b of graph.modules) {
        const a = endingAt.get(`${b.parent}#${b.firstNode}`);
        if (b.endNode > b.firstNode) endingAt.set(`${b.parent}#${b.endNode}`, b);
        if (!a || !a.block || a.block !== b.block || !folded(a.index) || !folded(b.index) || !sameWork(a, b) || !feedsOnly(a, b)) continue;
        const first = firstOf.get(a.index) ?? a.index;
        firstOf.set(b.index, first);
        lastOf.set(first, b.index);
    }
    return { firstOf, lastOf };
}

async function layoutWithElk({ elkNodes, parentOf, edges }: Drawing): Promise<GraphLayout> {
    const root: ElkNode = {
        id: 'root',
        layoutOptions: {
            'elk.algorithm': 'layered', 'elk.direction': 'DOWN', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
            'elk.layered.spacing.nodeNodeBetweenLayers': '28', 'elk.spacing.nodeNode': '20', 'elk.edgeRouting': 'ORTHOGONAL',
            // Edges cross frame boundaries, so give every edge's points in the root's coordinates.
            'elk.json.edgeCoords': 'ROOT',
        },
        children: [],
        edges,
    };
    for (const [id, node] of elkNodes) {
        const parent = parentOf.get(id);
        (parent ? elkNodes.get(parent)!.children! : root.children!).push(node);
    }
    // Loaded on the first layout: elkjs takes ~60 ms to load, which the editor paid when the extension activated.
    const { default: ElkConstructor } = await import('elkjs/lib/elk.bundled.js');
    const laidOut = await new (ElkConstructor as unknown as new () => { layout(graph: ElkNode): Promise<ElkNode> })().layout(root);

    const boxes: LaidOutBox[] = [];
    const collect = (node: ElkNode, dx: number, dy: number) => {
        for (const child of node.children ?? []) {
            const x = dx + (child.x ?? 0);
            const y = dy + (child.y ?? 0);
            const meta = elkNodes.get(child.id)!.meta;
            boxes.push({ id: child.id, x, y, width: child.width ?? 0, height: child.height ?? 0, ...meta });
            collect(child, x, y);
        }
    };
    collect(laidOut, 0, 0);
    const laidEdges: LaidOutEdge[] = [];
    const gatherEdges = (node: ElkNode) => {
        for (const edge of (node.edges ?? []) as DrawnEdge[]) {
            const points: { x: number; y: number }[] = [];
            for (const section of edge.sections ?? []) {
                points.push(section.startPoint);
                appendAll(points, section.bendPoints ?? []);
                points.push(section.endPoint);
            }
            laidEdges.push({ id: edge.id, points, label: edge.label });
        }
        for (const child of node.children ?? []) gatherEdges(child);
    };
    gatherEdges(laidOut);
    return { width: laidOut.width ?? 0, height: laidOut.height ?? 0, boxes, edges: laidEdges };
}

/** The drawing placed by layered-layout.ts (linear time, for drawings too large for ELK). */
function layoutInLayers({ elkNodes, parentOf, edges, order }: Drawing): GraphLayout {
    const frameIds = [...elkNodes.keys()].filter(id => id.startsWith('f')); // module order: parents first
    const placed = layeredLayout({
        boxes: order.map(id => ({ id, width: elkNodes.get(id)!.width ?? 0, height: elkNodes.get(id)!.height ?? 0, frame: parentOf.get(id) })),
        frames: frameIds.map(id => ({ id, parent: parentOf.get(id) })),
        edges: edges.map(edge => ({ id: edge.id, source: edge.sources[0], target: edge.targets[0] })),
    });
    const boxes: LaidOutBox[] = [];
    for (const [id, rect] of placed.frames) boxes.push({ id, ...rect, ...elkNodes.get(id)!.meta });
    for (const [id, rect] of placed.boxes) boxes.push({ id, ...rect, ...elkNodes.get(id)!.meta });
    const laidEdges = edges.map(edge => ({ id: edge.id, points: placed.edges.get(edge.id) ?? [], label: edge.label }));
    return { width: placed.width, height: placed.height, boxes, edges: laidEdges };
}

/** Light yellow (no MACs) to deep orange (the most expensive layers), on a square-root scale. */
export function heatColour(heat: number): string {
    const t = Math.sqrt(Math.min(1, Math.max(0, heat * 4)));
    const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
    return `rgb(${mix(255, 230)}, ${mix(248, 110)}, ${mix(220, 40)})`;
}

/** Text as XML character data or an attribute value: markup escaped, and characters XML cannot hold (controls, lone surrogates) shown as escapes. */
function escapeXml(text: string): string {
    return displayText(text, Infinity).replace(/[<>&"']/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SvgOptions {
    /**
     * Boxes carry their source's full URI and position, which the editor's view uses to reveal a layer on click.
     * A file that leaves the machine carries only the source's base name (`data-file`), not the author's folders.
     */
    readonly sourceLinks?: boolean;
}

/** A standalone SVG of the layout; boxes carry data attributes the editor's view uses for clicks. */
export function renderSvg(layout: GraphLayout, title: string, options: SvgOptions = { sourceLinks: true }): string {
    const margin = 12;
    const parts: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(layout.width + 2 * margin)}" height="${Math.ceil(layout.height + 2 * margin)}" font-family="sans-serif" font-size="12">`,
        `<title>${escapeXml(title)}</title>`,
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker></defs>',
        `<g transform="translate(${margin},${margin})">`,
    ];
    for (const box of layout.boxes.filter(b => b.kind === 'module' && !b.collapsed)) {
        parts.push(`<g class="frame" data-module="${box.module}"><rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="6" fill="rgba(120,120,160,0.06)" stroke="#99a" stroke-dasharray="4 3"/>`
            + `<text x="${box.x + 8}" y="${box.y + 16}" fill="#557" class="toggle" data-module="${box.module}">▾ ${escapeXml(box.lines[0])}</text></g>`);
    }
    for (const edge of layout.edges) {
        if (edge.points.length < 2) continue;
        const d = edge.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
        parts.push(`<path d="${d}" fill="none" stroke="#666" stroke-width="1.2" marker-end="url(#arrow)"><title>${escapeXml(edge.label)}</title></path>`);
    }
    for (const box of layout.boxes.filter(b => b.kind !== 'module' || b.collapsed)) {
        const fill = box.kind === 'input' || box.kind === 'output' ? '#e3eefc' : heatColour(box.heat);
        const data = [box.node !== undefined ? `data-node="${box.node}"` : '', box.module !== undefined ? `data-module="${box.module}"` : '',
            box.source ? `${sourceAttribute(box.source.uri, options)} data-line="${box.source.start.line}" data-character="${box.source.start.character}"` : ''].join(' ');
        parts.push(`<g class="box ${box.kind}${box.collapsed ? ' collapsed' : ''}" ${data}><rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="4" fill="${fill}" stroke="#555"/>`);
        box.lines.forEach((line, i) => {
            const prefix = i === 0 && box.collapsed ? '▸ ' : '';
            parts.push(`<text x="${box.x + PADDING}" y="${box.y + PADDING + (i + 1) * LINE_HEIGHT - 4}"${i === 0 ? ' font-weight="bold"' : ' fill="#333"'}>${escapeXml(prefix + line)}</text>`);
        });
        parts.push('</g>');
    }
    parts.push('</g></svg>');
    return parts.join('\n');
}

function sourceAttribute(uri: string, options: SvgOptions): string {
    if (options.sourceLinks) return `data-uri="${escapeXml(uri)}"`;
    return `data-file="${escapeXml(baseNameOfUri(uri))}"`;
}
