/**
 * A layered drawing in linear time, for graphs too large for ELK (see MAX_ELK_BOXES in graph-layout.ts): ELK's
 * layered algorithm took 6.8 / 13.4 / 48.6 s and 1.4 GB for 1,000 / 2,000 / 4,000 parallel branches, and the editor's
 * graph view lays out on every edit.
 *
 * Each box goes one layer below the lowest box that feeds it (the boxes come in topological order, so one pass
 * does it); a layer is ordered by where its boxes' inputs stand (their mean position, ties in graph order, so the
 * layers of a module stay together) and centred; edges run down from their source, across above their target and
 * down into it, and an edge that skips layers runs down the right of the layers it skips. Frames are the bounding boxes of what they hold, padded as ELK pads them; the gaps between layers
 * and between neighbours in a layer leave room for the frames that start, end or separate there. Boxes and edges
 * cost O(n log n) for the sorting of each layer; a frame costs the depth of the nesting for each pair of neighbours.
 * Edges may cross and frames of interleaved branches may overlap: the price of not optimising crossings.
 */

export interface LayeredBox {
    readonly id: string;
    readonly width: number;
    readonly height: number;
    /** The frame that holds the box, if any. */
    readonly frame?: string;
}

export interface LayeredFrame {
    readonly id: string;
    readonly parent?: string;
}

export interface LayeredEdge {
    readonly id: string;
    readonly source: string;
    readonly target: string;
}

export interface LayeredInput {
    /** In topological order: every edge goes from a box to a later one. */
    readonly boxes: readonly LayeredBox[];
    /** Parents before their children. */
    readonly frames: readonly LayeredFrame[];
    readonly edges: readonly LayeredEdge[];
}

export interface Rect {
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
}

export interface LayeredOutput {
    readonly width: number;
    readonly height: number;
    readonly boxes: ReadonlyMap<string, Rect>;
    /** Frames that hold something (an empty frame is not drawn). */
    readonly frames: ReadonlyMap<string, Rect>;
    readonly edges: ReadonlyMap<string, readonly { x: number; y: number }[]>;
}

/** The same padding as the ELK frames (graph-layout.ts): the title sits in the top one. */
const FRAME_PADDING = { top: 24, side: 8, bottom: 8 };
const LAYER_GAP = 28;
const NEIGHBOUR_GAP = 20;

export function layeredLayout(input: LayeredInput): LayeredOutput {
    const boxCount = input.boxes.length;
    const boxIndex = new Map(input.boxes.map((box, i) => [box.id, i]));
    const frameIndex = new Map(input.frames.map((frame, i) => [frame.id, i]));
    const frameOfBox = input.boxes.map(box => (box.frame === undefined ? -1 : frameIndex.get(box.frame) ?? -1));
    const parentFrame = input.frames.map(frame => (frame.parent === undefined ? -1 : frameIndex.get(frame.parent) ?? -1));
    const frameDepth: number[] = [];
    parentFrame.forEach((parent, f) => (frameDepth[f] = parent < 0 ? 1 : frameDepth[parent] + 1));

    // Layers: one below the lowest box that feeds each box.
    const sourcesOf: number[][] = Array.from({ length: boxCount }, () => []);
    for (const edge of input.edges) {
        const source = boxIndex.get(edge.source);
        const target = boxIndex.get(edge.target);
        if (source !== undefined && target !== undefined && source < target) sourcesOf[target].push(source);
    }
    const layerOf = new Int32Array(boxCount);
    let layerCount = 0;
    for (let b = 0; b < boxCount; b++) {
        for (const s of sourcesOf[b]) layerOf[b] = Math.max(layerOf[b], layerOf[s] + 1);
        layerCount = Math.max(layerCount, layerOf[b] + 1);
    }
    const layers: number[][] = Array.from({ length: layerCount }, () => []);
    for (let b = 0; b < boxCount; b++) layers[layerOf[b]].push(b);

    // Order within a layer by the mean position of the inputs (positions are fractions of the layer above's width).
    const position = new Float64Array(boxCount);
    const key = new Float64Array(boxCount);
    for (const layer of layers) {
        for (const b of layer) {
            const sources = sourcesOf[b];
            key[b] = sources.length ? sources.reduce((sum, s) => sum + position[s], 0) / sources.length : 0;
        }
        layer.sort((a, b) => key[a] - key[b] || a - b);
        layer.forEach((b, i) => (position[b] = (i + 0.5) / layer.length));
    }

    // Room for frames: the frames whose top (bottom) edge lies in the gap above (below) a layer, stacked.
    const frameCount = input.frames.length;
    const topLayer = new Int32Array(frameCount).fill(layerCount);
    const bottomLayer = new Int32Array(frameCount).fill(-1);
    for (let b = 0; b < boxCount; b++) {
        for (let f = frameOfBox[b]; f >= 0; f = parentFrame[f]) {
            topLayer[f] = Math.min(topLayer[f], layerOf[b]);
            bottomLayer[f] = Math.max(bottomLayer[f], layerOf[b]);
        }
    }
    const topStack = new Int32Array(frameCount);
    const bottomStack = new Int32Array(frameCount);
    const titlesAbove = new Int32Array(layerCount);
    const bottomsBelow = new Int32Array(layerCount);
    for (let f = frameCount - 1; f >= 0; f--) { // children first
        if (bottomLayer[f] < 0) continue; // empty
        topStack[f] += 1;
        bottomStack[f] += 1;
        titlesAbove[topLayer[f]] = Math.max(titlesAbove[topLayer[f]], topStack[f]);
        bottomsBelow[bottomLayer[f]] = Math.max(bottomsBelow[bottomLayer[f]], bottomStack[f]);
        const parent = parentFrame[f];
        if (parent < 0) continue;
        if (topLayer[parent] === topLayer[f]) topStack[parent] = Math.max(topStack[parent], topStack[f]);
        if (bottomLayer[parent] === bottomLayer[f]) bottomStack[parent] = Math.max(bottomStack[parent], bottomStack[f]);
    }

    // Coordinates: layers top to bottom, each centred on the widest.
    const gapBetween = (a: number, b: number) => NEIGHBOUR_GAP + FRAME_PADDING.side * framesBetween(frameOfBox[a], frameOfBox[b], parentFrame, frameDepth);
    const layerWidth = layers.map(layer => layer.reduce((sum, b, i) => sum + input.boxes[b].width + (i ? gapBetween(layer[i - 1], b) : 0), 0));
    const widest = layerWidth.reduce((max, w) => Math.max(max, w), 0);
    const x = new Float64Array(boxCount);
    const y = new Float64Array(boxCount);
    let top = 0;
    layers.forEach((layer, l) => {
        top += (l ? LAYER_GAP + FRAME_PADDING.bottom * bottomsBelow[l - 1] : 0) + FRAME_PADDING.top * titlesAbove[l];
        let left = (widest - layerWidth[l]) / 2;
        layer.forEach((b, i) => {
            if (i) left += gapBetween(layer[i - 1], b);
            x[b] = left;
            y[b] = top;
            left += input.boxes[b].width;
        });
        top += layer.reduce((max, b) => Math.max(max, input.boxes[b].height), 0);
    });

    // Frames: the bounding box of what they hold, padded (children first, so a parent holds its padded children).
    const frameRects: { left: number; top: number; right: number; bottom: number }[] = Array.from({ length: frameCount }, () => ({ left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity }));
    const grow = (f: number, left: number, top: number, right: number, bottom: number) => {
        const r = frameRects[f];
        r.left = Math.min(r.left, left - FRAME_PADDING.side);
        r.top = Math.min(r.top, top - FRAME_PADDING.top);
        r.right = Math.max(r.right, right + FRAME_PADDING.side);
        r.bottom = Math.max(r.bottom, bottom + FRAME_PADDING.bottom);
    };
    for (let b = 0; b < boxCount; b++) if (frameOfBox[b] >= 0) grow(frameOfBox[b], x[b], y[b], x[b] + input.boxes[b].width, y[b] + input.boxes[b].height);
    for (let f = frameCount - 1; f >= 0; f--) {
        const r = frameRects[f];
        if (parentFrame[f] >= 0 && r.left <= r.right) grow(parentFrame[f], r.left, r.top, r.right, r.bottom);
    }

    // Shift everything so the drawing starts at (0, 0).
    let minX = 0;
    let minY = 0;
    for (const r of frameRects) {
        if (r.left > r.right) continue;
        minX = Math.min(minX, r.left);
        minY = Math.min(minY, r.top);
    }
    let width = 0;
    let height = 0;
    const boxes = new Map<string, Rect>();
    input.boxes.forEach((box, b) => {
        boxes.set(box.id, { x: x[b] - minX, y: y[b] - minY, width: box.width, height: box.height });
        width = Math.max(width, x[b] - minX + box.width);
        height = Math.max(height, y[b] - minY + box.height);
    });
    const frames = new Map<string, Rect>();
    input.frames.forEach((frame, f) => {
        const r = frameRects[f];
        if (r.left > r.right) return;
        frames.set(frame.id, { x: r.left - minX, y: r.top - minY, width: r.right - r.left, height: r.bottom - r.top });
        width = Math.max(width, r.right - minX);
        height = Math.max(height, r.bottom - minY);
    });

    // Edges between neighbouring layers: down from the source, across halfway through the gap, down into the target.
    // A longer edge (a residual shortcut) goes down the right of the layers it passes rather than through their boxes.
    const rightOfLayer = new Float64Array(layerCount);
    layers.forEach((layer, l) => (rightOfLayer[l] = layer.length ? x[layer[layer.length - 1]] + input.boxes[layer[layer.length - 1]].width - minX : 0));
    const rightmost = rangeMaximum(rightOfLayer);
    const edges = new Map<string, { x: number; y: number }[]>();
    for (const edge of input.edges) {
        const source = boxIndex.get(edge.source);
        const target = boxIndex.get(edge.target);
        if (source === undefined || target === undefined) continue;
        const from = boxes.get(edge.source)!;
        const to = boxes.get(edge.target)!;
        const start = { x: from.x + from.width / 2, y: from.y + from.height };
        const end = { x: to.x + to.width / 2, y: to.y };
        const above = end.y - LAYER_GAP / 2;
        if (layerOf[target] - layerOf[source] <= 1) {
            edges.set(edge.id, start.x === end.x ? [start, end] : [start, { x: start.x, y: above }, { x: end.x, y: above }, end]);
            continue;
        }
        const below = start.y + LAYER_GAP / 2;
        const side = Math.max(rightmost(layerOf[source] + 1, layerOf[target] - 1), start.x, end.x) + NEIGHBOUR_GAP / 2;
        width = Math.max(width, side + NEIGHBOUR_GAP / 2);
        edges.set(edge.id, [start, { x: start.x, y: below }, { x: side, y: below }, { x: side, y: above }, { x: end.x, y: above }, end]);
    }
    return { width, height, boxes, frames, edges };
}

/** Largest of `values` over any range [from, to], in O(1) after O(n log n): a sparse table of power-of-two ranges. */
function rangeMaximum(values: Float64Array): (from: number, to: number) => number {
    const table: Float64Array[] = [values];
    for (let span = 1; 2 * span <= values.length; span *= 2) {
        const previous = table[table.length - 1];
        const next = new Float64Array(values.length - 2 * span + 1);
        for (let i = 0; i < next.length; i++) next[i] = Math.max(previous[i], previous[i + span]);
        table.push(next);
    }
    return (from, to) => {
        const level = Math.floor(Math.log2(to - from + 1));
        return Math.max(table[level][from], table[level][to - (1 << level) + 1]);
    };
}

/** Frames that hold one of two neighbouring boxes but not both (each adds its side padding between them). */
function framesBetween(a: number, b: number, parentFrame: readonly number[], depth: readonly number[]): number {
    let count = 0;
    while (a !== b) {
        const depthA = a < 0 ? 0 : depth[a];
        const depthB = b < 0 ? 0 : depth[b];
        if (depthA >= depthB) a = parentFrame[a];
        else b = parentFrame[b];
        count++;
    }
    return count;
}
