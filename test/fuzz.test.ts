/**
 * Robustness: whatever the text — random characters, shuffled keywords and punctuation, binary bytes, a 2 MB
 * file, thousands of nested brackets, ResNet-18 with random edits — parsing, validation and elaboration return
 * diagnostics and never throw, hang or log an internal error. Every diagnostic is one line inside the document.
 * `npm run test:fuzz` runs a hundred times as many cases (see fuzz-scale.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, services, type Parsed } from './helpers.js';
import { isNetwork } from '../language/generated/ast.js';
import { summarizeNetwork } from '../language/analysis/summary.js';
import { ALL_OPS, allOpNames } from '../language/ops/registry.js';
import { BUILTIN_FUNCTIONS } from '../language/elaboration/functions.js';
import { LIMITS } from '../language/elaboration/limits.js';
import type { AttrSpec } from '../language/ops/types.js';
import { applyEdits, runs, type TextEdit } from './fuzz-scale.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESNET18 = fs.readFileSync(path.join(ROOT, 'examples', 'resnet18.convnet'), 'utf8');

let logged: unknown[][];
beforeEach(() => {
    logged = [];
    // Langium logs (rather than throws) an exception in a validation check; that is a bug here too.
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
});
afterEach(() => {
    vi.restoreAllMocks();
});

/** Parses, validates and elaborates `text`, summarises every network, and checks every diagnostic is sane. */
async function analyse(text: string): Promise<Parsed> {
    const parsed = await parse(text, { path: '/fuzz/case.convnet' });
    const lines = parsed.document.textDocument.lineCount;
    for (const d of parsed.diagnostics) {
        const message = String(d.message);
        expect(message.length).toBeGreaterThan(0);
        expect(message).not.toContain('\n');
        expect(message).not.toMatch(/internal error|An error occurred/);
        const { start, end } = d.range;
        expect(start.line).toBeGreaterThanOrEqual(0);
        expect(end.line).toBeLessThan(lines);
        expect(start.line < end.line || (start.line === end.line && start.character <= end.character)).toBe(true);
    }
    for (const network of parsed.document.parseResult.value.declarations.filter(isNetwork)) {
        const summary = summarizeNetwork(services.analysis.NetworkAnalyzer.analyze(network).graph);
        expect(Number.isFinite(summary.params) && Number.isFinite(summary.macs)).toBe(true);
    }
    expect(logged).toEqual([]);
    return parsed;
}

// ----- generators -------------------------------------------------------------------------------------------

const KEYWORDS = ['import', 'block', 'network', 'return', 'if', 'then', 'else', 'and', 'or', 'not', 'true', 'false', 'for', 'in', 'repeat', 'op', 'function'];
const PUNCTUATION = ['(', ')', '[', ']', '{', '}', ',', ':', '=', '->', '+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '<=', '>', '>=', '.', '#', '/*', '*/', '"', "'", '\n'];
const NAMES = ['x', 'y', 'input', 'planes', 'stride', 'B', 'N', 'channels', 'height', 'shape', 'kernel', 'padding', 'groups', 'dilation', 'bias', 'dim', 'sections'];
const LITERALS = ['0', '1', '2', '3', '7', '64', '224', '-1', '0.5', '1e-5', '1e9', '99999999999999999999', '"same"', '"valid"', '"max"', '"./lib.convnet"'];
const VOCABULARY = [...KEYWORDS, ...PUNCTUATION, ...NAMES, ...LITERALS, ...allOpNames(), ...Object.keys(BUILTIN_FUNCTIONS)];

const token = fc.constantFrom(...VOCABULARY);
const soup = fc.array(token, { maxLength: 80 }).chain(tokens => fc.array(fc.constantFrom(' ', '', '\n'), { minLength: tokens.length, maxLength: tokens.length })
    .map(spaces => tokens.map((t, i) => t + spaces[i]).join('')));

/** A token soup inside a network body, so that elaboration runs on it rather than stopping at the parser. */
const soupInNetwork = soup.map(body => `network N(input: [1, 3, 16, 16]) {\n  return input -> ${body}\n}\n`);
const soupInBlock = fc.tuple(soup, soup).map(([a, b]) =>
    `block B(c: int = 8)(x) {\n  y = x -> ${a}\n  return y\n}\nnetwork N(input: [1, 3, 16, 16]) {\n  return input -> B(${b})\n}\n`);

/**
 * Well-formed calls of every op with arguments mostly of the right kind (sometimes not) on inputs of random
 * rank and size: the op specs' edge cases (zero, negative, huge, tuples of the wrong length).
 */
const smallInt = fc.integer({ min: -1, max: 9 });
const tuple = (items: readonly (string | number)[]) => `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
const anyValue = fc.constantFrom('0', '-1', '1e9', '2147483648', '0.5', 'true', '"same"', '""', '(1, 2, 3, 4, 5)', '((1, 1), (1, 1))');
function valueFor(attr: AttrSpec): fc.Arbitrary<string> {
    const ints = fc.oneof(smallInt.map(String), fc.array(smallInt, { minLength: 1, maxLength: 3 }).map(tuple));
    switch (attr.type) {
        case 'int': return fc.integer({ min: -1, max: 70 }).map(String);
        case 'float': return fc.constantFrom('0', '0.1', '0.5', '1', '2.5');
        case 'floats': return fc.constantFrom('0', '0.1', '1.1', '2.5', '(1.5, 0.7)', '(2, 3, 0.4)', '(0.3,)');
        case 'bool': return fc.constantFrom('true', 'false');
        case 'string': return fc.constantFrom(...(attr.choices ?? ['x']).map(c => `"${c}"`), '"other"');
        case 'ints': return ints;
        case 'intList': return fc.array(fc.integer({ min: -1, max: 16 }), { minLength: 1, maxLength: 4 }).map(tuple);
        case 'padding': return fc.oneof(ints, fc.constantFrom('"same"', '"valid"'), fc.array(fc.tuple(smallInt, smallInt).map(tuple), { minLength: 1, maxLength: 3 }).map(tuple));
    }
}
const opCall: fc.Arbitrary<string> = fc.constantFrom(...ALL_OPS).chain(spec => fc.tuple(
    fc.constantFrom(spec.name, ...(spec.aliases ?? [])),
    fc.tuple(...spec.attrs.map(attr => fc.option(fc.oneof({ weight: 9, arbitrary: valueFor(attr) }, { weight: 1, arbitrary: anyValue }), { nil: undefined, freq: 2 }))),
).map(([name, values]) => {
    const args = spec.attrs.flatMap((attr, i) => (values[i] === undefined ? [] : [`${attr.name}: ${values[i]}`]));
    return args.length ? `${name}(${args.join(', ')})` : name;
}));
const opsProgram = fc.tuple(
    fc.integer({ min: 2, max: 5 }).chain(rank => fc.array(fc.integer({ min: 1, max: 40 }), { minLength: rank, maxLength: rank })),
    fc.array(opCall, { minLength: 1, maxLength: 4 }),
    fc.constantFrom('y', 'y + input', 'concat(y, input)', 'input * y', 'split(y, 2)', 'matmul(y, input)', 'deformconv(input, y, 4, kernel: 3)'),
).map(([shape, layers, result]) => `network N(input: [${shape.join(', ')}]) {\n  y = input -> ${layers.join(' -> ')}\n  return ${result}\n}\n`);

const edit: fc.Arbitrary<TextEdit> = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom<TextEdit['kind']>('delete', 'insert', 'duplicate'),
    length: fc.integer({ min: 1, max: 40 }),
    text: fc.oneof(token, fc.string({ maxLength: 5 })),
});


// ----- properties -------------------------------------------------------------------------------------------

describe('random text never breaks the language', () => {
    it('random strings', async () => {
        await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200, unit: 'grapheme' }), async text => {
            await analyse(text);
        }), { numRuns: runs(150) });
    });

    it('random token soups of keywords, ops and punctuation', async () => {
        await fc.assert(fc.asyncProperty(soup, async text => {
            await analyse(text);
        }), { numRuns: runs(250) });
    });

    it('token soups inside a network and a block (elaborated)', async () => {
        await fc.assert(fc.asyncProperty(fc.oneof(soupInNetwork, soupInBlock), async text => {
            await analyse(text);
        }), { numRuns: runs(250) });
    });

    it('random ops with random arguments on random shapes', async () => {
        await fc.assert(fc.asyncProperty(opsProgram, async text => {
            await analyse(text);
        }), { numRuns: runs(300) });
    });

    it('binary bytes', async () => {
        await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async bytes => {
            await analyse(Buffer.from(bytes).toString('latin1'));
            await analyse(new TextDecoder().decode(bytes));
        }), { numRuns: runs(60) });
    });

    it('ResNet-18 with random deletions, insertions and duplications', async () => {
        await fc.assert(fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 6 }), async edits => {
            await analyse(applyEdits(RESNET18, edits));
        }), { numRuns: runs(200) });
    });

    it('ResNet-18 unedited has no diagnostics (the edits above start from a clean design)', async () => {
        expect((await analyse(RESNET18)).diagnostics).toEqual([]);
    });
});

describe('deep nesting is cut with a diagnostic, not a stack overflow', () => {
    const N = 5000;
    const nested: Record<string, string> = {
        'value lists': `network N(input: [1, 3, 8, 8], v: any = ${'['.repeat(N)}1${']'.repeat(N)}) {\n  return input\n}\n`,
        'layer lists': `network N(input: [1, 3, 8, 8]) {\n  return input -> ${'['.repeat(N)}relu${']'.repeat(N)}\n}\n`,
        parentheses: `network N(input: [1, 3, 8, 8]) {\n  x = ${'('.repeat(N)}1${')'.repeat(N)}\n  return input\n}\n`,
        calls: `network N(input: [1, 3, 8, 8]) {\n  return ${'relu('.repeat(N)}input${')'.repeat(N)}\n}\n`,
        braces: `network N(input: [1, 3, 8, 8]) {\n  return input -> [${'repeat 1: {'.repeat(N)}relu${'}'.repeat(N)}]\n}\n`,
        'unclosed brackets': `network N(input: [1, 3, 8, 8], v: any = ${'['.repeat(N)}1) {\n  return input\n}\n`,
        'unclosed calls': `network N(input: [1, 3, 8, 8]) {\n  x = ${'max('.repeat(N)}1,\n}\n`,
        'prefix minus': `network N(input: [1, 3, 8, 8], v: any = ${'-'.repeat(N)}1) {\n  return input\n}\n`,
        'not': `network N(input: [1, 3, 8, 8], v: any = ${'not '.repeat(N)}true) {\n  return input\n}\n`,
        powers: `network N(input: [1, 3, 8, 8], v: any = ${'2 ** '.repeat(N)}1) {\n  return input\n}\n`,
        'if chains': `network N(input: [1, 3, 8, 8], v: any = ${'if true then 1 else '.repeat(N)}2) {\n  return input\n}\n`,
        'nested loops': `network N(input: [1, 3, 8, 8]) {\n  return input -> [${'for i in range(1): '.repeat(N)}relu]\n}\n`,
        'long sum': `network N(input: [1, 3, 8, 8], v: any = ${'1 + '.repeat(N)}1) {\n  return input\n}\n`,
        'long chain': `network N(input: [1, 3, 8, 8]) {\n  return input${' -> relu'.repeat(N)}\n}\n`,
        'long member chain': `network N(input: [1, 3, 8, 8], v: any = input${'.shape'.repeat(N)}) {\n  return input\n}\n`,
        'long index chain': `network N(input: [1, 3, 8, 8], v: any = input.shape${'[0]'.repeat(N)}) {\n  return input\n}\n`,
    };
    for (const [name, text] of Object.entries(nested)) {
        it(name, async () => {
            const parsed = await analyse(text);
            const cut = parsed.errors.filter(e => /^(nested more than|an expression with more than)/.test(String(e.message)));
            expect(cut.length).toBeGreaterThan(0);
        });
    }

    it('thousands of closing brackets are syntax errors (nothing nests)', async () => {
        const parsed = await analyse(`network N(input: [1, 3, 8, 8]) {\n  x = ${')]}'.repeat(N)}\n}\n`);
        expect(parsed.errors.length).toBeGreaterThan(0);
    });

    it('random bracket and operator sequences', async () => {
        const deep = fc.array(fc.constantFrom('(', '[', '{', ')', ']', '}', '-', 'not ', 'if ', '->', '+', ',', 'x', '1', 'repeat 2: '), { minLength: 200, maxLength: 3000 })
            .map(parts => `network N(input: [1, 3, 8, 8]) {\n  y = ${parts.join('')}\n  return input\n}\n`);
        await fc.assert(fc.asyncProperty(deep, async text => {
            await analyse(text);
        }), { numRuns: runs(40) });
    });

    it('nesting within the limits is not cut', async () => {
        // The body's { is one level; then LIMITS.nesting − 1 more.
        const depth = LIMITS.nesting - 1;
        const parsed = await analyse(`network N(input: [1, 3, 8, 8], v: any = 0) {\n  x = ${'['.repeat(depth)}1${']'.repeat(depth)}\n  return input -> [relu] -> [[relu]]\n}\n`);
        expect(parsed.errors).toEqual([]);
    });
});

describe('huge inputs finish', () => {
    it('a 2 MB file', async () => {
        // ResNet-18 several times (renamed), a long list of values and a long comment: 2 MB in all.
        const copies = Array.from({ length: 40 }, (_, i) => RESNET18.replace(/BasicBlock/g, `BasicBlock${i}`).replace('ResNet18', `ResNet18_${i}`)).join('\n');
        const values = Array.from({ length: 100_000 }, (_, i) => String(i % 1000)).join(', ');
        let text = `${copies}\nnetwork Values(input: [1, 3, 8, 8], table: any = [${values}]) {\n  return input -> relu\n}\n`;
        text += `# ${'padding '.repeat(Math.ceil((2_000_000 - text.length) / 8))}\n`;
        expect(text.length).toBeGreaterThanOrEqual(2_000_000);
        const parsed = await analyse(text);
        expect(parsed.errors).toEqual([]);
        const networks = parsed.document.parseResult.value.declarations.filter(isNetwork);
        expect(networks).toHaveLength(41);
    }, 30_000);

    it('thousands of blocks calling one another', async () => {
        const n = 2000;
        let text = '';
        for (let i = 0; i < n; i++) text += `block B${i}(c: int)(x) {\n  return x -> ${i + 1 < n ? `B${i + 1}(c)` : 'relu'}\n}\n`;
        const parsed = await analyse(`${text}network N(input: [1, 3, 8, 8]) {\n  return input -> B0(3)\n}\n`);
        expect(parsed.errors.map(e => String(e.message))).toEqual([`blocks are nested more than ${LIMITS.callDepth} deep`]);
    }, 20_000);

    it('loops that multiply past the limit stop with a diagnostic', async () => {
        const parsed = await analyse('network N(input: [1, 3, 8, 8]) {\n  return input -> [for i in range(10000): for j in range(10000): if false then relu]\n}\n');
        expect(parsed.errors.map(e => String(e.message))).toEqual([
            `network N runs loops more than ${LIMITS.totalIterations} times in all (nested loops multiply); elaboration stopped`,
        ]);
    });

    it('a tuple doubled past the limit stops with a diagnostic', async () => {
        const parsed = await analyse(`network N(input: [1, 3, 8, 8]) {\n  a = range(100000)\n${'  a = a + a\n'.repeat(30)}  return input -> [for i in a: relu]\n}\n`);
        expect(parsed.errors.map(e => String(e.message))).toEqual([`'+' would make a tuple of 200000 items, above the limit of ${LIMITS.tupleItems}`]);
    });

    it('an adaptive pool to a huge output size is costed at once, and right', async () => {
        // Windows over 7 rows for 3 outputs: [0, 3), [2, 5), [4, 7) read 9 rows; 8 columns for 4 outputs read 8.
        // Every output reads its row window × its column window: 9 · 8 per channel, 2 channels.
        const small = await analyse('network N(input: [1, 2, 7, 8]) {\n  return input -> adaptiveavgpool((3, 4))\n}\n');
        expect(services.analysis.NetworkAnalyzer.analyze(small.document.parseResult.value.declarations.filter(isNetwork)[0]).graph.nodes[0].flops).toBe(144);
        const started = Date.now();
        await analyse('network N(input: [1, 1, 2, 1]) {\n  return input -> adaptiveavgpool((2000000000, 1))\n}\n');
        expect(Date.now() - started).toBeLessThan(2000);
    });
});
