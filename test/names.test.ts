/**
 * The one rule for names (language/names.ts): a label or output name is any PyTorch module-name segment — plain,
 * a whole number, quoted (keywords, `-`, a digit first) or computed from `{expression}` parts — and a keyword
 * written where a name goes is one error, at that word, with the rest of the file read as meant.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-types';
import { analyzeNetwork, parse, textAt, type Parsed } from './helpers.js';
import { KEYWORDS } from '../language/names.js';
import { summarizeNetwork } from '../language/analysis/summary.js';
import { ROOT } from './export-cases.js';

const network = (body: string, blocks = '') => `${blocks}network N(input: [1, 3, 8, 8]) {\n${body}\n}\n`;
const at = (parsed: Parsed, d: Diagnostic) => [d.range.start.line + 1, textAt(parsed, d), d.message];
const names = (parsed: Parsed) => analyzeNetwork(parsed).graph.nodes.map(n => n.name);

describe('quoted labels', () => {
    it('a step label, a list item label and an output name may be quoted: keywords, -, a digit first', async () => {
        const parsed = await parse(network(`  y = input -> 'block': conv(4, kernel: 1) -> "block1-0": relu
    -> trunk_output: ['block': conv(4, kernel: 1), "3x3": relu, 'in': [relu]]
  return 'return': y, "out-1": y -> '0': relu`));
        expect(parsed.errors).toEqual([]);
        const graph = analyzeNetwork(parsed).graph;
        expect(graph.nodes.map(n => n.name)).toEqual(['block', 'block1-0', 'trunk_output.block', 'trunk_output.3x3', 'trunk_output.in.0', '0']);
        expect(graph.nodes[0].params.map(p => p.name)).toEqual(['weight', 'bias']);
        expect(graph.outputs.map(o => o.name)).toEqual(['return', 'out-1']);
    });

    it('a quoted plain name is the same name as written bare', async () => {
        const parsed = await parse(network(`  return input -> 'conv1': conv(4, kernel: 1) -> conv1: relu`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, 'conv1', "the layer name 'conv1' is used twice (also used at line 2); state_dict keys would collide"]]);
    });

    it('a quoted number may have any digits (the numbered-label rule is for bare numbers)', async () => {
        const parsed = await parse(network(`  return input -> '01': relu -> 02: relu`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, '02', 'a numbered label must be a whole number such as 0 or 4 (the position PyTorch gives a child module), not 02']]);
        expect(names(parsed)).toEqual(['01', '02']);
    });

    it('{{ and }} are literal braces; a backslash escapes as in any string', async () => {
        const parsed = await parse(network(`  return input -> "a{{b}}": relu -> 'it\\'s': relu`));
        expect(parsed.errors).toEqual([]);
        expect(names(parsed)).toEqual(['a{b}', "it's"]);
    });

    it('an empty name and a name with a dot are one error each, at the label', async () => {
        const parsed = await parse(network(`  return input -> "": relu -> [relu, 'a.b': relu] -> ok: relu`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([
            [2, '""', 'a layer name cannot be empty'],
            [2, "'a.b'", "a layer name cannot contain '.' (PyTorch joins the names of nested modules with it)"],
        ]);
    });

    it('a string that a loop walks is not a label', async () => {
        const parsed = await parse(network(`  return input -> [for c in "ab": relu]`));
        expect(parsed.errors.map(e => e.message)).toEqual(['for … in needs a list or tuple (e.g. range(4)), got the string "ab"']);
    });
});

describe('computed names', () => {
    const dense = `block DenseLayer(growth: int)(x) {
  return concat(x, x -> norm1: batchnorm -> relu -> conv1: conv(growth, kernel: 3, padding: 1, bias: false))
}
`;

    it('DenseNet: denselayer1 … from the loop variable, denseblock1 … and transition1 … from a table', async () => {
        const parsed = await parse(network(`  return input -> features: [
    for (b, n) in [(1, 2), (2, 3)]: {
      "denseblock{b}": [for i in range(n): "denselayer{i + 1}": DenseLayer(4)],
      "transition{b}": conv(8, kernel: 1)
    }
  ]`, dense));
        expect(parsed.errors).toEqual([]);
        const convs = analyzeNetwork(parsed).graph.nodes.filter(n => n.op === 'conv').map(n => n.name);
        expect(convs).toEqual([
            'features.denseblock1.denselayer1.conv1', 'features.denseblock1.denselayer2.conv1', 'features.transition1',
            'features.denseblock2.denselayer1.conv1', 'features.denseblock2.denselayer2.conv1', 'features.denseblock2.denselayer3.conv1', 'features.transition2',
        ]);
    });

    it('DenseNet\'s features as language/README.md writes them: a computed label on a conditional item', async () => {
        const parsed = await parse(network(`  return input -> features: [conv0: conv(4, kernel: 1),
    for (b, n) in [(1, 2), (2, 1), (3, 1)]: {
      "denseblock{b}": [for i in range(n): "denselayer{i + 1}": DenseLayer(2)],
      "transition{b}": if b < 3 then conv(4, kernel: 1)
    }]`, dense));
        expect(parsed.errors).toEqual([]);
        const modules = analyzeNetwork(parsed).graph.nodes.filter(n => n.op === 'conv').map(n => n.name);
        expect(modules).toEqual(['features.conv0', 'features.denseblock1.denselayer1.conv1', 'features.denseblock1.denselayer2.conv1', 'features.transition1',
            'features.denseblock2.denselayer1.conv1', 'features.transition2', 'features.denseblock3.denselayer1.conv1']);
    });

    it('parts may be strings, block parameters and several per name, around any text', async () => {
        const parsed = await parse(network(`  return input -> Stage(3, "s")`, `block Stage(n: int, kind: string)(x) {
  return x -> [for i in range(n): "{kind}{i}-{n - i}": relu]
}
`));
        expect(parsed.errors).toEqual([]);
        expect(names(parsed)).toEqual(['Stage.sequential.s0-3', 'Stage.sequential.s1-2', 'Stage.sequential.s2-1']);
    });

    it('a computed step label and output name', async () => {
        const parsed = await parse(`network N(input: [1, 3, 8, 8], k: int = 7) {\n  return "out{k}": input -> "conv{k}x{k}": conv(4, kernel: k, padding: k // 2)\n}\n`);
        expect(parsed.errors).toEqual([]);
        const graph = analyzeNetwork(parsed).graph;
        expect([graph.nodes[0].name, graph.outputs[0].name]).toEqual(['conv7x7', 'out7']);
    });

    it('a part that is not a whole number or a string is one error, on that part', async () => {
        const parsed = await parse(network(`  return input -> [for i in range(2): "w{i / 2}": relu, "t{true}": relu]`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, 'i / 2', 'a computed part of a name must be a whole number or a string, not the number 0.5']]);
        const other = await parse(network(`  return input -> "t{true}": relu -> "u{(1, 2)}": relu`));
        expect(other.errors.map(e => at(other, e))).toEqual([[2, 'true', 'a computed part of a name must be a whole number or a string, not the boolean true']]);
    });

    it('a computed name with a dot is one error, on the label', async () => {
        const parsed = await parse(network(`  return input -> [for s in ["a", "b.c"]: "{s}": relu]`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, '"{s}"', "a layer name cannot contain '.' (PyTorch joins the names of nested modules with it); this gives 'b.c'"]]);
    });

    it('two iterations giving one name are one error, on the label', async () => {
        const parsed = await parse(network(`  return input -> [for i in range(4): "d{i // 2}": relu]`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, '"d{i // 2}"', "this label gives the layer name 'sequential.d0' in two iterations of its loop; state_dict keys would collide"]]);
    });

    it('a plain label in a loop is a duplicate too, and the message says how to compute one', async () => {
        const parsed = await parse(network(`  return input -> [for i in range(3): c: conv(3, kernel: 1)]`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, 'c', 'this label gives the layer name \'sequential.c\' in two iterations of its loop; state_dict keys would collide (compute it from the loop variable: "name{i}")']]);
    });

    it('a computed name equal to a sibling\'s is one error naming the other\'s line', async () => {
        const parsed = await parse(network(`  return input -> [
    layer1: relu,
    for i in range(2): "layer{i + 1}": relu
  ]`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[4, '"layer{i + 1}"', "the layer name 'sequential.layer1' is used twice (also used at line 3); state_dict keys would collide"]]);
    });

    it('a brace not closed, an empty part and a lone } are one error each, at the brace', async () => {
        for (const [label, brace, message] of [
            ['"a{i"', '{', 'this { opens a computed part of the name that is never closed; write {{ for a literal {'],
            ['"a{}"', '{}', 'an empty {} in a name; put an expression inside, or write {{ and }} for literal braces'],
            ['"a{ }"', '{ }', 'an empty {} in a name; put an expression inside, or write {{ and }} for literal braces'],
            ['"a}b"', '}', 'a } without its {; write }} for a literal }'],
            ['"a{i}}"', '}', 'a } without its {; write }} for a literal }'],
        ]) {
            const parsed = await parse(network(`  return input -> [for i in range(2): ${label}: relu]`));
            expect(parsed.errors.map(e => at(parsed, e)), label).toEqual([[2, brace, message]]);
        }
    });

    it('an unknown name in a part is reported on it, with the closest name', async () => {
        const parsed = await parse(network(`  return input -> [for index in range(2): "x{indx}": relu]`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[2, 'indx', "unknown name 'indx'; did you mean 'index'?"]]);
    });
});

describe('a keyword where a name goes: one error, at the word, and the rest read as meant', () => {
    it.each(KEYWORDS)('`%s` as a step label', async keyword => {
        const parsed = await parse(network(`  return input -> ${keyword}: conv(4, kernel: 1) -> relu`));
        expect(parsed.diagnostics.map(e => at(parsed, e))).toEqual([[2, keyword, `\`${keyword}\` is a keyword; write '${keyword}' to use it as a name`]]);
        expect(names(parsed)).toEqual([keyword, 'relu']);
    });

    it.each(KEYWORDS)('`%s` as a list item label and an output name', async keyword => {
        const parsed = await parse(network(`  return ${keyword}: input -> [conv(4, kernel: 1), ${keyword}: relu]`));
        expect(parsed.diagnostics.map(e => at(parsed, e))).toEqual([
            [2, keyword, `\`${keyword}\` is a keyword; write '${keyword}' to use it as a name`],
            [2, keyword, `\`${keyword}\` is a keyword; write '${keyword}' to use it as a name`],
        ]);
        expect(parsed.diagnostics.map(e => e.range.start.character)).toEqual([9, 41 + keyword.length]);
        expect(names(parsed)).toEqual(['sequential.0', `sequential.${keyword}`]);
    });

    it('a keyword as a tensor name, also where the tensor is used', async () => {
        const parsed = await parse(network(`  block = input -> relu\n  network = concat(block, block -> relu)\n  return network`));
        expect(parsed.diagnostics.map(e => at(parsed, e))).toEqual([
            [2, 'block', '`block` is a keyword and cannot name a tensor; choose another name (only layer and output names can be quoted)'],
            [3, 'network', '`network` is a keyword and cannot name a tensor; choose another name (only layer and output names can be quoted)'],
        ]);
        expect(analyzeNetwork(parsed).graph.outputs.map(o => analyzeNetwork(parsed).graph.tensors[o.tensor].shape)).toEqual([[1, 6, 8, 8]]);
    });

    it('a keyword as a block parameter, also where it is used', async () => {
        const parsed = await parse(network(`  return input -> B(4)`, `block B(in: int)(x) {\n  return x -> conv(in, kernel: 1)\n}\n`));
        expect(parsed.diagnostics.map(e => at(parsed, e))).toEqual([[1, 'in', '`in` is a keyword and cannot name a parameter; choose another name (only layer and output names can be quoted)']]);
        expect(analyzeNetwork(parsed).graph.nodes.map(n => [n.name, n.params[0]?.shape])).toEqual([['B.conv', [4, 3, 1, 1]], ]);
    });

    it('a keyword as a loop variable', async () => {
        const parsed = await parse(network(`  return input -> [for (c, repeat) in [(4, 1)]: conv(c, kernel: 1), for if in range(2): relu]`));
        expect(parsed.diagnostics.map(e => at(parsed, e))).toEqual([
            [2, 'repeat', '`repeat` is a keyword and cannot name a loop variable; choose another name (only layer and output names can be quoted)'],
            [2, 'if', '`if` is a keyword and cannot name a loop variable; choose another name (only layer and output names can be quoted)'],
        ]);
        expect(names(parsed)).toEqual(['sequential.0', 'sequential.1', 'sequential.2']);
    });

    it('the keywords are the grammar\'s words, as language/README.md lists them', () => {
        const readme = fs.readFileSync(path.join(ROOT, 'language', 'README.md'), 'utf8');
        const listed = /- The keywords: ([^.]*)\./.exec(readme.replace(/\n\s*/g, ' '))![1];
        expect([...listed.matchAll(/`(\w+)`/g)].map(m => m[1])).toEqual([...KEYWORDS]);
        expect(KEYWORDS).toEqual(['and', 'block', 'else', 'false', 'for', 'function', 'if', 'import', 'in', 'network', 'not', 'op', 'or', 'param', 'repeat', 'return', 'then', 'true']);
    });

    it('keywords keep their meaning where they are keywords', async () => {
        const parsed = await parse(network(`  y = if true and not false then input else input
  return y -> [for i in range(2): relu, repeat 1: relu, if 1 == 1 then relu]`));
        expect(parsed.diagnostics).toEqual([]);
        expect(names(parsed)).toEqual(['sequential.0', 'sequential.1', 'sequential.2', 'sequential.3']);
    });
});

describe('learned tensors and scaling by a number', () => {
    const layerScale = `block CNBlock(dim: int)(x) {
  param layer_scale: [dim, 1, 1] = 1e-6
  y = x -> 'block': [dwconv(kernel: 7, padding: 3), 'in': relu]
  return x + y * layer_scale
}
`;

    it('`param` is a learned tensor named by the block instance and its name, counted in params', async () => {
        const parsed = await parse(network(`  y = input -> features: [CNBlock(3), CNBlock(3)] -> half: scale(0.5)\n  return 2 * y * 0.25`, layerScale));
        expect(parsed.errors).toEqual([]);
        const graph = analyzeNetwork(parsed).graph;
        const params = graph.nodes.flatMap(n => n.params.map(p => [n.name, p.name, p.shape]));
        expect(params).toEqual([
            ['features.0.layer_scale', '', [3, 1, 1]], ['features.0.block.0', 'weight', [3, 1, 7, 7]], ['features.0.block.0', 'bias', [3]],
            ['features.1.layer_scale', '', [3, 1, 1]], ['features.1.block.0', 'weight', [3, 1, 7, 7]], ['features.1.block.0', 'bias', [3]],
        ]);
        expect(graph.nodes.find(n => n.op === 'parameter')!.attrs).toEqual({ shape: [3, 1, 1], init: 1e-6 });
        expect(graph.nodes.filter(n => n.op === 'scale').map(n => [n.name, n.attrs.factor])).toEqual([['half', 0.5], ['scale', 2], ['scale_1', 0.25]]);
        const summary = summarizeNetwork(graph);
        expect(summary.params).toBe(2 * (3 + 3 * 49 + 3));
        expect(summary.layers.filter(l => l.op === 'parameter').map(l => [l.name, l.params])).toEqual([['features.0.layer_scale', 3], ['features.1.layer_scale', 3]]);
    });

    it('a param\'s shape and starting value are checked where they are written', async () => {
        const parsed = await parse(network(`  return input -> B(3)`, `block B(dim: int)(x) {
  param a: [dim, 0] = 1
  param b: [dim] = "x"
  param c: [dim, 1, 1]
  return x * c
}
`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([
            [2, '[dim, 0]', "a param's shape is a list of whole numbers ≥ 1, like [dim, 1, 1]; got [the number 3, the number 0]"],
            [3, '"x"', 'a param starts as a number (every element), not the string "x"'],
        ]);
        const c = analyzeNetwork(parsed).graph.nodes.find(n => n.name === 'B.c')!;
        expect(c.attrs.init).toBe(0);
    });

    it('a param and a label of one block cannot share a name', async () => {
        const parsed = await parse(network(`  return input -> B(3)`, `block B(dim: int)(x) {\n  param s: [dim, 1, 1]\n  return x -> s: relu\n}\n`));
        expect(parsed.errors.map(e => at(parsed, e))).toEqual([[3, 's', "the layer name 'B.s' is used twice (also used at line 2); state_dict keys would collide"]]);
    });

    it('parameter is made by `param`, not called', async () => {
        const parsed = await parse(network(`  return input -> parameter((3, 1, 1))`));
        expect(parsed.errors.map(e => String(e.message).split(';')[0])).toEqual(["unknown op or block 'parameter'"]);
    });
});
