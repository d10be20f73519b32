/**
 * Parser recovery: text being typed (a half-written call, a missing `}`, stray characters) gets its syntax
 * errors where the text breaks off, and the rest of the file keeps being analysed — a later network still
 * elaborates with the right shapes and still gets its own diagnostics.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-types';
import { analyzeNetwork, parse, textAt, type Parsed } from './helpers.js';
import { LIMITS } from '../language/elaboration/limits.js';

/**
 * Two networks to put after `lines` lines of broken text: one clean (3×32×32 → 10 classes) and one with a
 * known error (on the line returned).
 */
function later(lines: number): { text: string; faultyLine: number } {
    const text = [
        '',
        'network Later(input: [1, 3, 32, 32]) {',
        '  return input -> conv(16, kernel: 3, padding: 1) -> relu -> adaptiveavgpool(1) -> flatten -> fc: linear(10)',
        '}',
        '',
        'network Faulty(input: [1, 3, 32, 32]) {',
        '  return input -> conv(16, kernel: 3, groups: 2)',
        '}',
        '',
    ].join('\n');
    return { text, faultyLine: lines + 7 };
}

/** The broken text, then the two networks after a blank line. */
async function withLater(broken: string): Promise<{ parsed: Parsed; faultyLine: number; brokenLines: number }> {
    const brokenLines = broken.split('\n').length;
    const { text, faultyLine } = later(brokenLines);
    return { parsed: await parse(`${broken}\n${text}`), faultyLine, brokenLines };
}

const line = (d: Diagnostic) => d.range.start.line + 1;
const syntaxErrors = (parsed: Parsed) => parsed.errors.filter(e => /^(Expecting|unexpected|this string|this \/\*|nested|an expression with)/.test(String(e.message)));

/** The later networks are analysed as if nothing were broken before them. */
function expectLaterAnalysed(parsed: Parsed, faultyLine: number): void {
    const analysis = analyzeNetwork(parsed, 'Later');
    expect(analysis.graph.outputs.map(o => analysis.graph.tensors[o.tensor].shape)).toEqual([[1, 10]]);
    expect(analysis.graph.nodes.map(n => n.name)).toEqual(['conv', 'relu', 'adaptiveavgpool', 'flatten', 'fc']);
    const faulty = parsed.errors.filter(e => line(e) === faultyLine);
    expect(faulty.map(e => [e.message, textAt(parsed, e)])).toEqual([['conv: input channels (3) are not divisible by groups (2)', 'groups: 2']]);
}

describe('half-typed lines', () => {
    it('a call left open is reported where the next line starts', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  x = input -> conv(\n  return input -> relu\n}');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe("Expecting ')' but found `return`.");
        expect([line(first), textAt(parsed, first)]).toEqual([3, 'return']);
        // Everything else said about network A is about the unfinished call on line 2.
        expect(parsed.errors.filter(e => e !== first && line(e) < 5).map(e => [line(e), textAt(parsed, e)])).toEqual([[2, 'conv'], [2, 'conv']]);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('an argument without its value is reported on its line', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  x = input -> conv(8, kernel:\n  return x\n}');
        const errors = syntaxErrors(parsed);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.every(e => line(e) === 2 || line(e) === 3)).toBe(true);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a chain ending in -> is reported at the arrow', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  return input -> relu ->\n}');
        const [first] = syntaxErrors(parsed);
        expect([line(first), textAt(parsed, first)]).toEqual([2, '->']);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('an assignment without a value is a syntax error, not an unused tensor', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  x =\n  return input -> relu\n}');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe("Expecting one of 'if', '-', 'not', a number, a string, 'true', 'false', '(', '[' or a name but found `return`.");
        expect([line(first), textAt(parsed, first)]).toEqual([3, 'return']);
        expect(parsed.warnings).toEqual([]);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a condition broken off after == says what may follow, in one line', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  y = if input.channels ==\n  return input\n}');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe("Expecting one of '-', 'not', a number, a string, 'true', 'false', '(', '[' or a name but found `return`.");
        expect(line(first)).toBe(3);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a list left open is reported on its line, without tensors made up from its items', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  return input -> [relu, conv(8, kernel: 3),\n}');
        const errors = parsed.errors.filter(e => line(e) < 4);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.every(e => line(e) === 2)).toBe(true);
        expect(parsed.warnings.map(w => [w.message, line(w)])).toEqual([]);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a block header broken off is reported where the next declaration starts', async () => {
        const { parsed, faultyLine } = await withLater('block B(');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe("Expecting ')' but found `network`.");
        expect([line(first), textAt(parsed, first)]).toEqual([3, 'network']);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a network input shape broken off is reported where the next declaration starts', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3,');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe("Expecting ']' but found `network`.");
        expect(line(first)).toBe(3);
        expectLaterAnalysed(parsed, faultyLine);
    });
});

describe('missing braces', () => {
    it("a network without its '}' is reported at the next network, which is still analysed", async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  return input -> relu');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe("Expecting '}' but found `network`.");
        expect([line(first), textAt(parsed, first)]).toEqual([4, 'network']);
        expect(syntaxErrors(parsed)).toHaveLength(1);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it("a block without its '}' still works for the network after it", async () => {
        const text = 'block Stem(c: int)(x) {\n  return x -> conv(c, kernel: 3, padding: 1) -> relu\n\nnetwork UsesStem(input: [1, 3, 16, 16]) {\n  return input -> Stem(8)\n}\n';
        const parsed = await parse(text);
        expect(parsed.errors.map(e => [e.message, line(e)])).toEqual([["Expecting '}' but found `network`.", 4]]);
        const analysis = analyzeNetwork(parsed, 'UsesStem');
        expect(analysis.graph.tensors[analysis.graph.outputs[0].tensor].shape).toEqual([1, 8, 16, 16]);
    });
});

describe('stray text', () => {
    it('stray brackets and characters in a body are reported where they are', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  ) ] @ $ return input -> relu\n}');
        const errors = syntaxErrors(parsed);
        expect(errors.map(e => [e.message, line(e), textAt(parsed, e)])).toEqual(expect.arrayContaining([
            ["unexpected character '@'", 2, '@'],
            ["unexpected character '$'", 2, '$'],
            ["Expecting '}' but found `)`.", 2, ')'],
        ]));
        expect(errors.every(e => line(e) === 2)).toBe(true);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('stray closing brackets before the first declaration', async () => {
        const { parsed, faultyLine } = await withLater(') ] }');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe('Expecting the end of the file but found `)`.');
        expect([line(first), first.range.start.character]).toEqual([1, 0]);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a string that is never closed is reported on its quote', async () => {
        const { parsed, faultyLine } = await withLater('network A(input: [1, 3, 8, 8]) {\n  return input -> pad(1, mode: "reflect)\n}');
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe('this string is never closed (no " after it)');
        expect([line(first), textAt(parsed, first)]).toEqual([2, '"']);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a comment that is never closed is reported where it starts, after the networks before it', async () => {
        const { text, faultyLine } = later(0);
        const parsed = await parse(`${text}/* never closed\nnetwork A(input: [1, 3, 8, 8]) {\n  return input\n}\n`);
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe('this /* comment is never closed (no */ after it)');
        expect(line(first)).toBe(faultyLine + 2);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('every syntax error is one line (the CLI prints one diagnostic per line)', async () => {
        const broken = [
            'network A(input: [1, 3, 8, 8]) {\n  y = if input.channels ==\n  return input\n}',
            'network A(input: [1, 3, 8, 8]) {\n  return input -> [for i in range(3):\n}',
            'network A(input: [1, 3, 8, 8]) {\n  return input -> -> relu\n}',
            'block B(c: int)(x) { return x -> conv(c, kernel: 3, stride: ) }',
            'network A(input: [1, 3, 8, 8]) { return }',
        ];
        for (const text of broken) {
            const { parsed, faultyLine } = await withLater(text);
            expect(syntaxErrors(parsed).length).toBeGreaterThan(0);
            for (const e of parsed.diagnostics) expect(e.message).not.toContain('\n');
            expectLaterAnalysed(parsed, faultyLine);
        }
    });
});

describe('nesting beyond the limit', () => {
    it('is cut at the first bracket too deep, and the rest of the file is analysed', async () => {
        const depth = LIMITS.nesting + 10;
        const { parsed, faultyLine } = await withLater(`network A(input: [1, 3, 8, 8]) {\n  x = ${'['.repeat(depth)}1${']'.repeat(depth)}\n  return input\n}`);
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe(`nested more than ${LIMITS.nesting} levels deep (brackets, if, for, repeat and prefix operators count); the part nested deeper is left out`);
        expect(line(first)).toBe(2);
        // The body's { is level 1, so the value list's brackets reach the limit after LIMITS.nesting − 1 of them.
        expect(first.range.start.character).toBe('  x = '.length + LIMITS.nesting - 1);
        expectLaterAnalysed(parsed, faultyLine);
    });

    it('a chain longer than the limit is cut with a message that says how to split it', async () => {
        const steps = LIMITS.expressionOperators + 5;
        const { parsed, faultyLine } = await withLater(`network A(input: [1, 3, 8, 8]) {\n  return input${' -> relu'.repeat(steps)}\n}`);
        const [first] = syntaxErrors(parsed);
        expect(first.message).toBe(`an expression with more than ${LIMITS.expressionOperators} operators; split it into several statements (the rest of this expression is left out)`);
        // The first arrow over the limit.
        expect(first.range.start.character).toBe('  return input'.length + LIMITS.expressionOperators * ' -> relu'.length + 1);
        expectLaterAnalysed(parsed, faultyLine);
    });
});
