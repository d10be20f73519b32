/**
 * What the zoo tests share: reading an example from examples/ with the files it imports (as the CLI would),
 * optionally at another input size, and the figures they compare (port shapes, state_dict keys with shapes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { URI } from 'langium';
import { expect } from 'vitest';
import { analyzeNetwork, parse, services, type Parsed } from './helpers.js';
import type { NetworkGraph } from '../language/elaboration/graph.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const EXAMPLES = path.join(ROOT, 'examples');

/** The files `text` imports (transitively), by absolute path, read from disk as the CLI would. */
export function importedFiles(text: string, file: string, into: Record<string, string> = {}): Record<string, string> {
    for (const match of text.matchAll(/^\s*import\s+"([^"]+)"/gm)) {
        const target = path.resolve(path.dirname(file), match[1].endsWith('.convnet') ? match[1] : `${match[1]}.convnet`);
        if (target in into) continue;
        into[target] = fs.readFileSync(target, 'utf8');
        importedFiles(into[target], target, into);
    }
    return into;
}

export interface LoadedExample { parsed: Parsed; files: Record<string, string>; graph: NetworkGraph }

/**
 * Parses examples/`file` (with the files it imports) and analyses `network`. With `resize`, the network's input
 * declaration `input: [from]` is replaced by `input: [to]` first (the declaration must be in the file).
 */
export async function loadExample(file: string, network: string, resize?: { from: readonly number[]; to: readonly number[] }): Promise<LoadedExample> {
    const filePath = path.join(EXAMPLES, file);
    let text = fs.readFileSync(filePath, 'utf8');
    if (resize) text = resized(text, network, resize.from, resize.to);
    const files = importedFiles(text, filePath);
    const parsed = await parse(text, { path: filePath, files });
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    return { parsed, files, graph: analyzeNetwork(parsed, network).graph };
}

/**
 * The example's text with its input at `to` instead of `from`: the shape written out in the header, or the defaults
 * of the size variables that name its axes (`input: [1, 1, H, W], H: int = 572` → `H: int = 188`).
 */
function resized(text: string, network: string, from: readonly number[], to: readonly number[]): string {
    const declared = `input: [${from.join(', ')}]`;
    if (text.includes(declared)) return text.replace(declared, `input: [${to.join(', ')}]`);
    const header = new RegExp(`^network ${network}\\(input: \\[([^\\]]*)\\](.*)$`, 'm').exec(text);
    expect(header, `${network}'s header declares its input`).not.toBeNull();
    const items = header![1].split(',').map(item => item.trim());
    expect(items.length).toBe(from.length);
    let parameters = header![2];
    items.forEach((item, axis) => {
        if (/^\d+$/.test(item)) {
            expect(Number(item), `axis ${axis}`).toBe(from[axis]);
            expect(Number(item), `axis ${axis} is not a size variable: it cannot change`).toBe(to[axis]);
            return;
        }
        const size = `${item}: int = ${from[axis]}`;
        expect(parameters, `the size variable ${item} defaults to ${from[axis]}`).toContain(size);
        parameters = parameters.replace(size, `${item}: int = ${to[axis]}`);
    });
    return text.replace(header![0], `network ${network}(input: [${header![1]}]${parameters}`);
}

/** The diagnostics of every file an example imports, by absolute path (each built with the example). */
export function importedDiagnostics(files: Record<string, string>): Record<string, string[]> {
    const byFile: Record<string, string[]> = {};
    for (const imported of Object.keys(files)) {
        const document = services.shared.workspace.LangiumDocuments.getDocument(URI.file(imported));
        expect(document, imported).toBeDefined();
        byFile[imported] = (document!.diagnostics ?? []).map(d => String(d.message));
    }
    return byFile;
}

export function shapesOf(graph: NetworkGraph, ports: NetworkGraph['inputs']): number[][] {
    return ports.map(p => [...graph.tensors[p.tensor].shape]);
}

/** Every parameter and buffer of the graph under its state_dict key, with its shape. */
export function stateDictShapes(graph: NetworkGraph): Record<string, number[]> {
    const keys: Record<string, number[]> = {};
    for (const node of graph.nodes) for (const p of node.params) keys[`${node.name}.${p.name}`] = [...p.shape];
    return keys;
}
