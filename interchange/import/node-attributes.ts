/**
 * A node's attributes as the importer reads them: a missing attribute, or one of another type than asked for, is
 * the fallback (ONNX's default for it). The constant folding and the recognisers both read attributes through these.
 */
import type { AttributeValue, OnnxNode } from './onnx-model.js';

export function attr(node: OnnxNode, name: string): AttributeValue {
    return node.attributes.get(name);
}

export function intAttr(node: OnnxNode, name: string, fallback: number): number {
    const value = attr(node, name);
    return typeof value === 'number' ? value : fallback;
}

export function floatAttr(node: OnnxNode, name: string, fallback: number): number {
    const value = attr(node, name);
    return typeof value === 'number' ? value : fallback;
}

export function intsAttr(node: OnnxNode, name: string): number[] | undefined {
    const value = attr(node, name);
    return Array.isArray(value) ? value : undefined;
}

export function stringAttr(node: OnnxNode, name: string, fallback: string): string {
    const value = attr(node, name);
    return typeof value === 'string' ? value : fallback;
}

/** An ONNX axis (negative counts from the end) as an index into a shape of `rank` dimensions. */
export function normalizeAxis(axis: number, rank: number): number {
    return axis < 0 ? axis + rank : axis;
}
