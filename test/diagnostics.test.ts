/**
 * One small faulty design per diagnostic: the message says what is wrong with the figures involved, and the
 * range covers the piece of text at fault (the argument, the name, the operand), not the whole line.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-types';
import { analyzeNetwork, parse, singleOp, textAt, type Parsed } from './helpers.js';
import { LIMITS } from '../language/elaboration/limits.js';

/** The only error of a document (fails when there are none or several). */
function onlyError(parsed: Parsed): Diagnostic {
    expect(parsed.errors.map(e => e.message)).toHaveLength(1);
    return parsed.errors[0];
}

function onlyWarning(parsed: Parsed): Diagnostic {
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    expect(parsed.warnings.map(w => w.message)).toHaveLength(1);
    return parsed.warnings[0];
}

/** Line (1-based) and the covered text of a diagnostic. */
function where(parsed: Parsed, d: Diagnostic): [number, string] {
    return [d.range.start.line + 1, textAt(parsed, d)];
}

const net = (body: string, input = '[1, 3, 8, 8]') => `network N(input: ${input}) {\n${body}\n}\n`;

describe('names', () => {
    it('an unknown op suggests the closest op', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'maxpol(2)'));
        const error = onlyError(parsed);
        expect(error.message).toBe("unknown op or block 'maxpol'; did you mean 'maxpool'?");
        expect(textAt(parsed, error)).toBe('maxpol');
    });

    it('an unknown block suggests the closest block', async () => {
        const parsed = await parse('block Stem(c: int)(x) {\n  return x -> conv(c, kernel: 3)\n}\n' + net('  return input -> Stme(8)'));
        const error = onlyError(parsed);
        expect(error.message).toBe("unknown op or block 'Stme'; did you mean 'Stem'?");
        expect(where(parsed, error)).toEqual([5, 'Stme']);
    });

    it('an unknown tensor flowing into a chain is a name, with the closest tensor suggested', async () => {
        const parsed = await parse(net('  feats = input -> conv(8, kernel: 3)\n  return faets -> relu'));
        const error = onlyError(parsed);
        expect(error.message).toBe("unknown name 'faets'; did you mean 'feats'?");
        expect(where(parsed, error)).toEqual([3, 'faets']);
    });

    it('an unknown tensor given to an op is a name too', async () => {
        const parsed = await parse(net('  feats = input -> conv(8, kernel: 3)\n  return relu(faets)'));
        const error = onlyError(parsed);
        expect(error.message).toBe("unknown name 'faets'; did you mean 'feats'?");
        expect(where(parsed, error)).toEqual([3, 'faets']);
    });

    it('a misspelt argument name is one error on that argument, with the intended name', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'conv(8, kernal: 3)'));
        const error = onlyError(parsed);
        expect(error.message).toBe("conv has no argument 'kernal'; did you mean 'kernel'? (it takes channels, kernel, stride, padding, dilation, groups, bias, padding_mode)");
        expect(textAt(parsed, error)).toBe('kernal: 3');
    });

    it('an unknown block parameter is one error on its name, with the intended parameter', async () => {
        const parsed = await parse('block Stem(channels: int)(x) {\n  return x -> conv(channels, kernel: 3)\n}\n' + net('  return input -> Stem(chanels: 8)'));
        const error = onlyError(parsed);
        expect(error.message).toBe("block Stem has no parameter 'chanels'; did you mean 'channels'?");
        expect(where(parsed, error)).toEqual([5, 'chanels']);
    });

    it('an unknown block parameter without a close match says so and that the real one is missing', async () => {
        const parsed = await parse('block Stem(c: int)(x) {\n  return x -> conv(c, kernel: 3)\n}\n' + net('  return input -> Stem(width: 8)'));
        expect(parsed.errors.map(e => [e.message, textAt(parsed, e)])).toEqual([
            ["block Stem has no parameter 'width'", 'width'],
            ["block Stem needs 'c' (int)", 'Stem'],
        ]);
    });

    it('a layer label used twice is reported at the second use', async () => {
        const parsed = await parse(net('  x = input -> c1: conv(8, kernel: 3, padding: 1)\n  return x -> c1: conv(8, kernel: 3, padding: 1)'));
        const error = onlyError(parsed);
        expect(error.message).toBe("the layer name 'c1' is used twice (also used at line 2); state_dict keys would collide");
        expect(where(parsed, error)).toEqual([3, 'c1']);
    });

    it('a numbered label names a layer as PyTorch numbers children (`4.0.weight`); it must be a whole number', async () => {
        const parsed = await parse('block Branch()(x) {\n  return x -> 0: conv(8, kernel: 1) -> 1: batchnorm -> relu\n}\n' + net('  return input -> 4: Branch'));
        expect(parsed.errors.map(e => e.message)).toEqual([]);
        const keys = analyzeNetwork(parsed).graph.nodes.flatMap(n => n.params.map(p => `${n.name}.${p.name}`));
        expect(keys).toEqual(['4.0.weight', '4.0.bias', '4.1.weight', '4.1.bias', '4.1.running_mean', '4.1.running_var']);
        for (const label of ['1.5', '01', '2e3']) {
            const wrong = await parse(net(`  return input -> ${label}: conv(8, kernel: 1)`));
            const error = onlyError(wrong);
            expect(error.message).toBe(`a numbered label must be a whole number such as 0 or 4 (the position PyTorch gives a child module), not ${label}`);
            expect(where(wrong, error)).toEqual([2, label]);
        }
    });

    it('an import of a missing file is reported on its path', async () => {
        const parsed = await parse('import "./nowhere.convnet"\n' + net('  return input -> relu'), { path: '/test/imports-missing.convnet' });
        const error = onlyError(parsed);
        expect(error.message).toBe("cannot find './nowhere.convnet' (looked for /test/nowhere.convnet)");
        expect(where(parsed, error)).toEqual([1, '"./nowhere.convnet"']);
    });
});

describe('arguments', () => {
    it('an argument of the wrong type is reported on that argument', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'conv(8, kernel: 3, stride: "2")'));
        const error = onlyError(parsed);
        expect(error.message).toBe('conv: stride must be a whole number or a tuple of whole numbers, got "2"');
        expect(textAt(parsed, error)).toBe('stride: "2"');
    });

    it('a missing argument is reported on the op', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'conv(kernel: 3)'));
        const error = onlyError(parsed);
        expect(error.message).toMatch(/^conv needs 'channels' \(/);
        expect(textAt(parsed, error)).toBe('conv');
    });
});

describe('shapes', () => {
    it('+ on different shapes shows both shapes, on the operand that does not fit', async () => {
        const parsed = await parse(net('  y = input -> conv(16, kernel: 1)\n  return y + input', '[1, 8, 16, 16]'));
        const error = onlyError(parsed);
        expect(error.message).toBe('cannot add tensors of shapes 1×16×16×16 and 1×8×16×16: they differ in dimension 1 (16 vs 8) and neither is 1 there');
        expect(where(parsed, error)).toEqual([3, 'input']);
    });

    it('* on different shapes shows both shapes', async () => {
        const parsed = await parse(net('  gate = input -> conv(16, kernel: 1) -> sigmoid\n  return input * gate', '[1, 8, 16, 16]'));
        const error = onlyError(parsed);
        expect(error.message).toBe('cannot apply * to tensors of shapes 1×8×16×16 and 1×16×16×16: they differ in dimension 1 (8 vs 16) and neither is 1 there');
        expect(where(parsed, error)).toEqual([3, 'gate']);
    });

    it('concat of different spatial sizes names the input that differs', async () => {
        const parsed = await parse(net('  small = input -> maxpool(2)\n  return concat(input, small)', '[1, 8, 16, 16]'));
        const error = onlyError(parsed);
        expect(error.message).toBe('concat along channels: input 2 is 1×8×8×8 but input 1 is 1×8×16×16 — the spatial size must match everywhere except dimension 1');
        expect(where(parsed, error)).toEqual([3, 'small']);
    });

    it('input channels not divisible by groups names both figures, on groups', async () => {
        const parsed = await parse(singleOp([1, 6, 8, 8], 'conv(8, kernel: 3, groups: 4)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('conv: input channels (6) are not divisible by groups (4)');
        expect(textAt(parsed, error)).toBe('groups: 4');
    });

    it('output channels not divisible by groups names both figures, on the channel count', async () => {
        const parsed = await parse(singleOp([1, 8, 8, 8], 'conv(6, kernel: 3, groups: 4)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('conv: output channels (6) are not divisible by groups (4)');
        expect(textAt(parsed, error)).toBe('6');
    });

    it('an output size ≤ 0 shows the formula with the numbers', async () => {
        // Transposed conv: o = (i−1)·s − p_begin − p_end + d·(k−1) + output_padding + 1 = 0 − 1 − 1 + 0 + 0 + 1 = −1.
        const parsed = await parse(singleOp([1, 8, 1, 4], 'convtranspose(4, kernel: 1, padding: (1, 0))'));
        const error = onlyError(parsed);
        expect(error.message).toBe('convtranspose: output height (1−1)·1 − 1 − 1 + 1·(1−1) + 0 + 1 = -1 ≤ 0');
        expect(textAt(parsed, error)).toBe('padding: (1, 0)');
    });

    it('a kernel larger than the padded input shows the padded size and the formula', async () => {
        // Height 4 + 0 + 0 < 7; the width (16) fits.
        const parsed = await parse(singleOp([1, 3, 4, 16], 'conv(8, kernel: 7)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('conv: the kernel (7) is larger than the padded input height (4 + 0 + 0 = 4); output height ⌊(4 + 0 + 0 − 1·(7−1) − 1)/1⌋ + 1 = -2 ≤ 0');
        expect(textAt(parsed, error)).toBe('kernel: 7');
    });

    it('a dilated kernel reports its effective size', async () => {
        // d·(k−1)+1 = 3·2+1 = 7 > 5 + 1 + 0.
        const parsed = await parse(singleOp([1, 3, 5, 16], 'conv(8, kernel: 3, dilation: 3, padding: ((1, 0), (3, 3)))'));
        const error = onlyError(parsed);
        expect(error.message).toBe('conv: the effective kernel d·(k−1)+1 = 3·(3−1)+1 = 7 is larger than the padded input height (5 + 1 + 0 = 6); output height ⌊(5 + 1 + 0 − 3·(3−1) − 1)/1⌋ + 1 = 0 ≤ 0');
        expect(textAt(parsed, error)).toBe('kernel: 3');
    });

    it('a 3-D conv on a 4-D tensor says which layout it expects', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'conv3d(8, kernel: 3)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('conv3d expects a 5-D [N, C, D, H, W] input, got 1×3×8×8 (4-D)');
        expect(textAt(parsed, error)).toBe('conv3d');
    });

    it('a block called with the wrong number of input tensors lists its inputs', async () => {
        const parsed = await parse('block Merge(c: int)(a, b) {\n  return a + b\n}\n' + net('  return input -> Merge(3)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('block Merge takes 2 input tensors (a, b), got 1');
        expect(where(parsed, error)).toEqual([5, 'Merge']);
    });
});

describe('blocks that call themselves', () => {
    it('directly: one error, on the call', async () => {
        const parsed = await parse('block A(c: int)(x) {\n  return x -> A(c)\n}\n' + net('  return input -> A(4)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('block A calls itself (A → A); a network must be finite');
        expect(where(parsed, error)).toEqual([2, 'A']);
    });

    it('through another block: one error per block of the cycle, on the call that starts it', async () => {
        const parsed = await parse('block A(c: int)(x) {\n  return x -> B(c)\n}\nblock B(c: int)(x) {\n  return x -> A(c)\n}\n' + net('  return input -> A(4)'));
        expect(parsed.errors.map(e => [e.message, ...where(parsed, e)])).toEqual([
            ['block A calls itself (A → B → A); a network must be finite', 2, 'B'],
            ['block B calls itself (B → A → B); a network must be finite', 5, 'A'],
        ]);
    });
});

describe('limits', () => {
    const over = LIMITS.loopIterations + 1;

    it('a loop above the limit is reported on what it iterates', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], `[for i in range(${over}): relu]`));
        const error = onlyError(parsed);
        expect(error.message).toBe(`this loop runs ${over} times, above the limit of ${LIMITS.loopIterations}`);
        expect(textAt(parsed, error)).toBe(`range(${over})`);
    });

    it('a repeat above the limit is reported on its count', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], `[repeat ${over}: relu]`));
        const error = onlyError(parsed);
        expect(error.message).toBe(`repeat ${over} is above the limit of ${LIMITS.loopIterations} repetitions`);
        expect(textAt(parsed, error)).toBe(String(over));
    });

    it('nested loops that multiply past the total limit are reported on the loop that crosses it', async () => {
        // The outer loop counts 1000, each run of the inner one 1001: its 999th run crosses 1,000,000 (1000 + 999·1001).
        const parsed = await parse('network N(input: [1, 3, 8, 8], table: any = [for i in range(1000): for j in range(1001): i]) {\n  return input\n}\n');
        const error = onlyError(parsed);
        expect(error.message).toBe(`network N runs loops more than ${LIMITS.totalIterations} times in all (nested loops multiply); elaboration stopped`);
        expect(textAt(parsed, error)).toBe('range(1001)');
    });

    it('a tuple made too long by + is reported on the expression', async () => {
        const parsed = await parse('network N(input: [1, 3, 8, 8]) {\n  a = range(60000)\n  b = a + a\n  return input -> [for i in b: relu]\n}\n');
        const error = onlyError(parsed);
        expect(error.message).toBe(`'+' would make a tuple of 120000 items, above the limit of ${LIMITS.tupleItems}`);
        expect(where(parsed, error)).toEqual([3, 'a + a']);
    });

    it('a number too large to represent exactly is reported on the expression', async () => {
        const parsed = await parse('network N(input: [1, 3, 8, 8], n: int = 100000000 * 100000000) {\n  return input\n}\n');
        const error = onlyError(parsed);
        expect(error.message).toBe('10000000000000000 is too large to represent exactly (limit 2^53)');
        expect(textAt(parsed, error)).toBe('100000000 * 100000000');
    });

    it('a dimension too large is reported on the shape', async () => {
        const parsed = await parse(net('  return input', '[1, 3, 3000000000, 1]'));
        const error = onlyError(parsed);
        expect(error.message).toBe('the input shape has a dimension (3000000000) too large to represent exactly (limit 2^31−1)');
        expect(textAt(parsed, error)).toBe('[1, 3, 3000000000, 1]');
    });

    it('a tensor with too many elements to count is reported on the layer that makes it', async () => {
        // 2^23 rows × (2^31 − 1) features > 2^53.
        const parsed = await parse(singleOp([8388608, 8], 'linear(2147483647)'));
        const error = onlyError(parsed);
        expect(error.message).toBe('the output of linear 8388608×2147483647 has more elements than can be counted exactly (limit 2^53)');
        expect(textAt(parsed, error)).toBe('linear(2147483647)');
    });
});

describe('conditions', () => {
    it('an if without else outside a list is one error, on its condition', async () => {
        const parsed = await parse(net('  return if input.channels == 3 then input -> relu'));
        const error = onlyError(parsed);
        expect(error.message).toBe('this if needs an else branch: if … then … else …');
        expect(where(parsed, error)).toEqual([2, 'input.channels == 3']);
    });

    it('a layer in a list (also in a loop body) may leave out else', async () => {
        const parsed = await parse(singleOp([1, 8, 8, 8], '[if true then relu, for i in range(3): if i > 0 then relu, repeat 2: { if false then relu, relu }]'));
        expect(parsed.diagnostics).toEqual([]);
    });

    it('an if without else in a list of values is reported once', async () => {
        const parsed = await parse('network N(input: [1, 3, 8, 8], sizes: any = [if true then 1, 2]) {\n  return input\n}\n');
        const error = onlyError(parsed);
        expect(error.message).toBe('an if in a list of values needs an else branch (only a layer may be left out): if … then … else …');
        expect(textAt(parsed, error)).toBe('true');
    });
});

describe('imported blocks', () => {
    it('an error inside a block of an imported file is shown at the call, with the file and line', async () => {
        const lib = 'block Head(classes: int)(x) {\n  return x -> conv(classes, kernel: 1, groups: 4)\n}\n';
        const parsed = await parse('import "./lib.convnet"\n\nnetwork N(input: [1, 8, 8, 8]) {\n  return input -> Head(10)\n}\n', {
            files: { '/test/lib.convnet': lib }, path: '/test/main.convnet',
        });
        const error = onlyError(parsed);
        // 8 input channels divide into 4 groups; 10 output channels do not.
        expect(error.message).toBe('in block Head (lib.convnet:2): conv: output channels (10) are not divisible by groups (4)');
        expect(where(parsed, error)).toEqual([4, 'Head']);
    });

    it('an unknown op inside a block of an imported file is shown at the call too', async () => {
        const lib = 'block Head(classes: int)(x) {\n  return x -> flaten -> linear(classes)\n}\n';
        const parsed = await parse('import "./lib2.convnet"\n\nnetwork N(input: [1, 8, 1, 1]) {\n  return input -> Head(10)\n}\n', {
            files: { '/test/lib2.convnet': lib }, path: '/test/main2.convnet',
        });
        const error = onlyError(parsed);
        expect(error.message).toBe("in block Head (lib2.convnet:2): unknown op or block 'flaten'; did you mean 'flatten'?");
        expect(where(parsed, error)).toEqual([4, 'Head']);
    });
});

describe('warnings', () => {
    it('a transposed conv whose kernel is not a multiple of its stride warns of checkerboard artifacts', async () => {
        // Height: 3 is not a multiple of 2; width: 4 is.
        const parsed = await parse(singleOp([1, 8, 8, 8], 'convtranspose(4, kernel: (3, 4), stride: 2, padding: 1)'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe('convtranspose: kernel 3 is not divisible by stride 2, so output height positions receive uneven overlap — expect checkerboard artifacts; use a kernel that is a multiple of the stride (e.g. 4) or upsample then conv');
        expect(textAt(parsed, warning)).toBe('kernel: (3, 4)');
    });

    it('uneven overlap along both axes is one warning for the layer, not one per axis', async () => {
        const parsed = await parse(singleOp([1, 8, 8, 8], 'convtranspose(4, kernel: 3, stride: 2, padding: 1)'));
        expect(onlyWarning(parsed).message).toBe('convtranspose: kernel 3 is not divisible by stride 2, so output height and width positions receive uneven overlap — expect checkerboard artifacts; use a kernel that is a multiple of the stride (e.g. 4) or upsample then conv');
    });

    it('stacked dilated convs sharing a rate warn of gridding, on the second one\'s dilation', async () => {
        const parsed = await parse(singleOp([1, 8, 32, 32], 'a: conv(8, kernel: 3, padding: 2, dilation: 2) -> relu -> b: conv(8, kernel: 3, padding: 2, dilation: 2)'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe('gridding: b and a are stacked dilated convs with the same rate 2, so together they only ever read every 2nd input position; use rates without a common factor (e.g. 1, 2, 5)');
        expect(textAt(parsed, warning)).toBe('dilation: 2');
        expect(warning.range.start.character).toBeGreaterThan(parsed.document.textDocument.getText().split('\n')[1].indexOf('b: conv'));
    });

    it('dilated convs with different rates do not warn', async () => {
        const parsed = await parse(singleOp([1, 8, 32, 32], 'conv(8, kernel: 3, padding: 2, dilation: 2) -> relu -> conv(8, kernel: 3, padding: 3, dilation: 3)'));
        expect(parsed.diagnostics).toEqual([]);
    });

    it('a strided window that leaves the last rows unread says how many and why, on the stride', async () => {
        // Height: (224 − 3) mod 2 = 1 row left over; width: (225 − 3) mod 2 = 0.
        const parsed = await parse(singleOp([1, 3, 224, 225], 'conv(8, kernel: 3, stride: 2)'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe('conv: with stride 2 the last 1 input row is never read (224 + 0 + 0 − 3 = 221 is not a multiple of 2); adjust padding or the input size');
        expect(textAt(parsed, warning)).toBe('stride: 2');
    });

    it('a tensor assigned and never read warns on its name (unless it starts with _)', async () => {
        const parsed = await parse(net('  unused = input -> relu\n  _kept = input -> relu\n  return input -> relu'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe("'unused' is assigned but never used");
        expect(where(parsed, warning)).toEqual([2, 'unused']);
    });

    it('a block nobody calls warns on its name, except in a library file', async () => {
        const block = 'block Spare(c: int)(x) {\n  return x -> conv(c, kernel: 1)\n}\n';
        const parsed = await parse(block + net('  return input -> relu'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe('block Spare is never used');
        expect(where(parsed, warning)).toEqual([1, 'Spare']);
        expect((await parse(block)).diagnostics).toEqual([]);
    });

    it('activations above the memory threshold warn with the size and the shape', async () => {
        // 1·64·2048·2048 floats · 4 bytes = 1 GiB > 256 MiB.
        const parsed = await parse(singleOp([1, 64, 2048, 2048], 'conv(64, kernel: 3, padding: 1)'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe('conv produces 1.00 GiB of activations (1×64×2048×2048), above 256 MiB');
        expect(textAt(parsed, warning)).toBe('conv');
    });

    it('linear on a 4-D tensor warns that it acts on the last dimension only', async () => {
        const parsed = await parse(singleOp([1, 3, 8, 8], 'linear(10)'));
        const warning = onlyWarning(parsed);
        expect(warning.message).toBe('linear on a 4-D tensor 1×3×8×8 acts on its last dimension (8) at every position; add flatten before it if you meant all 192 features');
        expect(textAt(parsed, warning)).toBe('linear');
    });

    it('linear on channels the permutes put last does not warn (ConvNeXt\'s block); on an axis of the map it still does', async () => {
        // torchvision's CNBlock: dwconv → Permute([0, 2, 3, 1]) → LayerNorm(C) → Linear(4C) → GELU → Linear(C) → Permute([0, 3, 1, 2]).
        const block = (toLast: string, toFirst: string) => net(`  return input -> dwconv(7, padding: 3) -> ${toLast} -> layernorm(3) -> linear(12) -> gelu -> linear(3) -> ${toFirst}`);
        for (const [toLast, toFirst] of [['channelslast', 'channelsfirst'], ['permute((0, 2, 3, 1))', 'permute((0, 3, 1, 2))'], ['permute((0, -2, -1, 1))', 'channelsfirst']]) {
            expect((await parse(block(toLast, toFirst))).diagnostics.map(d => d.message), toLast).toEqual([]);
        }
        // Permuted and back, the last axis is the width again; swapped, it is the height: both warn as a map does.
        for (const [chain, last] of [['channelslast -> channelsfirst', 8], ['permute((0, 1, 3, 2))', 8], ['channelslast -> relu -> channelsfirst -> dropout', 8]] as const) {
            const warning = onlyWarning(await parse(net(`  return input -> ${chain} -> fc: linear(10)`)));
            expect(warning.message, chain).toMatch(new RegExp(`^linear on a 4-D tensor 1×3×8×8 acts on its last dimension \\(${last}\\)`));
        }
        // A linear layer inside a list is named by its position, as the elaborator names layers in its messages.
        const listed = onlyWarning(await parse(net('  return input -> head: [relu, linear(10)]')));
        expect(listed.message).toMatch(/^head\.1: linear on a 4-D tensor/);
    });
});
