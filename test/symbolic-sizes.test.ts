/**
 * Input size as a variable: `network N(input: [1, 3, H, W], H: int = 224, W: int = 224)`. The formulas' values and
 * the smallest inputs are compared with PyTorch's (test/fixtures/symbolic-sizes/make_symbolic_sizes.py: torchvision's
 * models run at each size, conv and linear MACs counted by forward hooks; every square size tried from a start down
 * to the first that fails), never with the code's own output.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './zoo-helpers.js';
import { analyzeNetwork, parse, textAt } from './helpers.js';
import { evaluateFormula, renderSymbolicSizes, symbolicSizes, type SymbolicSizes } from '../language/analysis/symbolic-sizes.js';

interface Figures {
    macs: Record<string, { height: number; width: number; macs: number; params: number }[]>;
    smallest: Record<string, { start: number; smallest: number; errorBelow: string | null }>;
}
const FIGURES = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/symbolic-sizes/figures.json'), 'utf8')) as Figures;
interface AxisReference { smallest: number; errorBelow: string | null }
/** PyTorch's smallest size per axis, the other at the default (test/fixtures/symbolic-sizes/make_smallest_per_axis.py). */
const PER_AXIS = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/symbolic-sizes/smallest-per-axis.json'), 'utf8')) as {
    models: Record<string, { default: [number, number]; H: AxisReference; W: AxisReference; togetherRuns: boolean; sizesThatRun: { H: number[]; W: number[] } }>;
    /** U-Net's conv and transposed-conv MACs, by PyTorch's forward hooks, at sizes of its class 16·k + 12. */
    unetMacs: { height: number; width: number; macs: number }[];
};

/** The smallest-input search's finding for one variable. */
function smallestOf(sizes: SymbolicSizes, variable: string) {
    const found = sizes.smallest.variables.find(v => v.variable === variable);
    expect(found).toBeDefined();
    return found!;
}

/** The search's finding equals PyTorch's: the smallest size that runs and, when there is one, a failure just below. */
function expectSmallest(sizes: SymbolicSizes, variable: string, reference: AxisReference): void {
    const found = smallestOf(sizes, variable);
    expect([variable, found.size]).toEqual([variable, reference.smallest]);
    if (reference.errorBelow === null) expect(found.below).toBeUndefined();
    else expect(found.below?.size).toBe(reference.smallest - 1);
}
const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');

const NET_TEXT = (header: string, body = 'return input -> conv(8, kernel: 3, stride: 2, padding: 1) -> globalavgpool -> flatten -> fc: linear(10)') => `network N(${header}) {\n  ${body}\n}\n`;

/** An example with its input written `[1, C, H, W]` and `H`, `W` defaulting to the example's size. */
function withSizeVariables(example: string): string {
    const text = fs.readFileSync(path.join(ROOT, 'examples', `${example}.convnet`), 'utf8');
    const written = text.replace(/^network (\w+)\(input: \[1, (\d+), (\d+), (\d+)\]/m, 'network $1(input: [1, $2, H, W], H: int = $3, W: int = $4');
    expect(written).not.toBe(text);
    return written;
}

async function sizesOf(example: string): Promise<SymbolicSizes> {
    const text = withSizeVariables(example);
    // The blocks it imports, given to the in-memory workspace by path.
    const files = Object.fromEntries([...text.matchAll(/^import "(.+)"/gm)].map(m => {
        const file = path.join(ROOT, 'examples', m[1]);
        return [file, fs.readFileSync(file, 'utf8')];
    }));
    const parsed = await parse(text, { path: path.join(ROOT, 'examples', `${example}-sizes.convnet`), files });
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    const result = symbolicSizes(analyzeNetwork(parsed));
    expect(result).toBeDefined();
    return result!;
}

describe('formulas of the input size against PyTorch', () => {
    it.each(['resnet18', 'mobilenet_v2'])('%s: the MACs formula equals PyTorch\'s count at every size of its class (H, W multiples of 32)', async model => {
        const sizes = await sizesOf(model);
        expect(sizes.totalStride).toBe(32);
        expect(sizes.condition).toBe('H and W multiples of 32');
        const macs = sizes.formulas.find(f => f.figure === 'macs')!;
        expect(macs.error).toBeUndefined();
        const valid = FIGURES.macs[model].filter(r => r.height % 32 === 0 && r.width % 32 === 0);
        expect(valid.length).toBeGreaterThanOrEqual(12);
        for (const row of valid) expect([row.height, row.width, evaluateFormula(macs.terms!, { H: row.height, W: row.width })]).toEqual([row.height, row.width, row.macs]);
        // The parameters PyTorch counts do not change with the size; neither does the formula.
        const params = sizes.formulas.find(f => f.figure === 'params')!;
        expect(params.constant).toBe(true);
        expect(new Set(FIGURES.macs[model].map(r => r.params)).size).toBe(1);
        expect(evaluateFormula(params.terms!, { H: 1, W: 1 })).toBe(FIGURES.macs[model][0].params);
    });

    it('resnet18: 36,144·H·W + 512,000 (the fc layer\'s 512·1000 does not grow), shown as 1.81 G·(H·W)/224²', async () => {
        // From PyTorch's counts alone: (MACs(64²) − MACs(32²)) / (64² − 32²) is the H·W coefficient.
        const at = (h: number) => FIGURES.macs.resnet18.find(r => r.height === h && r.width === h)!.macs;
        const slope = (at(64) - at(32)) / (64 * 64 - 32 * 32);
        const macs = (await sizesOf('resnet18')).formulas.find(f => f.figure === 'macs')!;
        expect(macs.exact).toBe(`${slope.toLocaleString('en-US')}·H·W + ${(at(32) - slope * 32 * 32).toLocaleString('en-US')}`);
        expect(macs.approximate).toBe('1.81 G·(H·W)/224² + 512 k');
    });

    it('outside the class the network still elaborates as PyTorch runs it (the formula is not claimed there)', async () => {
        for (const row of FIGURES.macs.resnet18.filter(r => r.height % 32 !== 0 || r.width % 32 !== 0)) {
            const text = fs.readFileSync(path.join(ROOT, 'examples/resnet18.convnet'), 'utf8').replace('[1, 3, 224, 224]', `[1, 3, ${row.height}, ${row.width}]`);
            const parsed = await parse(text);
            expect(analyzeNetwork(parsed).graph.totals.macs).toBe(row.macs);
        }
    });
});

describe('the smallest input that reaches the head, against PyTorch', () => {
    it.each([['resnet18'], ['mobilenet_v2'], ['alexnet'], ['vgg16'], ['inception_v3']])('%s: per axis, and square', async model => {
        const reference = PER_AXIS.models[model];
        const sizes = await sizesOf(model);
        expectSmallest(sizes, 'H', reference.H);
        expectSmallest(sizes, 'W', reference.W);
        expect(sizes.smallest.together?.ok).toBe(reference.togetherRuns);
        // These networks treat both axes alike: the square search of figures.json (from the start downward) agrees.
        expect(reference.H.smallest).toBe(FIGURES.smallest[model].smallest);
    });

    describe('where validity is not monotonic and the axes differ', () => {
        // A 5×3 conv, then its map pooled by 2, upsampled by 2 and concatenated with itself: by hand, the conv's
        // output (H − 4) × (W − 2) must be even (else the upsampled map is one row short of the concat) and ≥ 2 (else
        // the pool has nothing to read). So H ∈ {6, 8, 10, …} and W ∈ {4, 6, 8, …}: H = 7 fails between two that work.
        // Defaults 66 × 50: a bisection between 1 and 50 tried 25 first, failed, and never looked below it.
        const PARITY = NET_TEXT('input: [1, 3, H, W], H: int = 66, W: int = 50', [
            'x = input -> conv(8, kernel: (5, 3))',
            'y = x -> maxpool(2) -> upsample(scale_factor: 2)',
            'return concat(x, y)',
        ].join('\n  '));
        const reference = PER_AXIS.models.parity;

        it('PyTorch agrees with the hand count', () => {
            expect(reference.sizesThatRun).toEqual({ H: [6, 8, 10, 12], W: [4, 6, 8, 10, 12] });
            expect([reference.H.smallest, reference.W.smallest, reference.togetherRuns]).toEqual([6, 4, true]);
        });

        it('H = 6 and W = 4, each with the error one size below; together they work', async () => {
            const sizes = symbolicSizes(analyzeNetwork(await parse(PARITY)))!;
            expectSmallest(sizes, 'H', reference.H);
            expectSmallest(sizes, 'W', reference.W);
            expect(smallestOf(sizes, 'H').below?.message).toMatch(/^maxpool: the kernel \(2\) is larger than the padded input height \(1 /);
            expect(sizes.smallest.together).toEqual({ ok: true });
            const line = renderSymbolicSizes(sizes).find(l => l.startsWith('Smallest input'));
            expect(line).toMatch(/^Smallest input that reaches the head: H = 6, W = 4; at H = 5, line 3: maxpool: .*; at W = 3, line 3: maxpool: /);
        });

        it('a size above the smallest that fails is in the classes of valid sizes, not the smallest', async () => {
            const sizes = symbolicSizes(analyzeNetwork(await parse(PARITY)))!;
            expect(sizes.totalStride).toBe(2);
            expect(sizes.unreadRows.map(u => [u.variable, u.clean])).toEqual([['H', [0]], ['W', [0]]]);
        });
    });

    it('a strided window that leaves rows unread is named with the size (VGG-16 at 225: its first 2×2 pool)', async () => {
        // 225 is odd: a 2×2, stride-2 pool reads rows 0 … 223 and never row 224.
        const vgg = await sizesOf('vgg16');
        const h = vgg.unreadRows.find(u => u.variable === 'H')!;
        expect(h.clean).toEqual([0]);
        expect(h.example?.size).toBe(225);
        expect(h.example?.message).toMatch(/^features\.4: maxpool: with stride 2 the last 1 input row is never read/);
    });
});

describe('examples/unet.convnet declares its tile size as H and W', () => {
    it('the MACs formula equals PyTorch\'s count at square and non-square tiles, and the smallest tile is 188 (16·4 + 124)', async () => {
        const file = path.join(ROOT, 'examples', 'unet.convnet');
        const parsed = await parse(fs.readFileSync(file, 'utf8'), { path: file });
        expect(parsed.errors.map(e => e.message)).toEqual([]);
        const sizes = symbolicSizes(analyzeNetwork(parsed))!;
        expect(sizes.variables.map(v => [v.name, v.default, v.step])).toEqual([['H', 572, 16], ['W', 572, 16]]);
        expect(sizes.condition).toBe('H = 12 + 16k, W = 12 + 16k');
        const macs = sizes.formulas.find(f => f.figure === 'macs')!;
        for (const row of PER_AXIS.unetMacs) expect([row.height, row.width, evaluateFormula(macs.terms!, { H: row.height, W: row.width })]).toEqual([row.height, row.width, row.macs]);
        expectSmallest(sizes, 'H', PER_AXIS.models.unet.H);
        expectSmallest(sizes, 'W', PER_AXIS.models.unet.W);
        expect(sizes.smallest.together?.ok).toBe(PER_AXIS.models.unet.togetherRuns);
    });
});

describe('size variables in the language', () => {
    const NET = NET_TEXT;

    it('a size variable declared after the input links and elaborates at its default, as the input written out does', async () => {
        const parsed = await parse(NET('input: [1, 3, H, W], H: int = 64, W: int = 48'));
        expect(parsed.errors).toEqual([]);
        const { graph } = analyzeNetwork(parsed);
        expect(graph.tensors[graph.inputs[0].tensor].shape).toEqual([1, 3, 64, 48]);
        // conv 3→8, 3×3, stride 2: 8 · 32 · 24 outputs × 27 = 165,888 MACs; fc 8·10 = 80.
        expect(graph.totals.macs).toBe(165_888 + 80);
    });

    it('one variable for both sides: MACs = 27·8·⌈S/2⌉² + 80 for even S, a polynomial in S²', async () => {
        const parsed = await parse(NET('input: [1, 3, S, S], S: int = 64'));
        const sizes = symbolicSizes(analyzeNetwork(parsed))!;
        const macs = sizes.formulas.find(f => f.figure === 'macs')!;
        // 27·8·(S/2)² = 54·S²
        expect(macs.exact).toBe('54·S² + 80');
        // A 3×3 conv with padding 1 and stride 2 maps 1 to 1: nothing is too small, one variable for both axes.
        expect(sizes.smallest.variables).toEqual([{ variable: 'S', size: 1 }]);
        expect(sizes.smallest.together).toBeUndefined();
    });

    it('a linear layer after a flatten: params depend on H·W, and the layer is named', async () => {
        const parsed = await parse(NET('input: [1, 3, H, W], H: int = 8, W: int = 8', 'return input -> flatten -> fc: linear(10)'));
        const sizes = symbolicSizes(analyzeNetwork(parsed))!;
        const params = sizes.formulas.find(f => f.figure === 'params')!;
        // 10 · 3·H·W weights + 10 biases
        expect(params.exact).toBe('30·H·W + 10');
        expect(sizes.sizeDependentParams).toEqual(['fc']);
    });

    it('a size variable without a default: one sentence on its name', async () => {
        const parsed = await parse(NET('input: [1, 3, H, W], H: int, W: int = 32'));
        expect(parsed.errors.map(e => [e.message, textAt(parsed, e)])).toContainEqual(["size variable 'H' of input 'input' needs a default value: H: int = …", 'H']);
    });

    it('a size variable that is not a whole number: one sentence on its default', async () => {
        const parsed = await parse(NET('input: [1, 3, H, W], H: float = 31.5, W: int = 32'));
        expect(parsed.errors.map(e => [e.message, textAt(parsed, e)])).toContainEqual(["size variable 'H' of input 'input' must be a whole number ≥ 1, not the number 31.5", '31.5']);
        const int = await parse(NET('input: [1, 3, H, W], H: int = 31.5, W: int = 32'));
        expect(int.errors.map(e => e.message)).toContainEqual("'H' is declared int but got the number 31.5");
        const zero = await parse(NET('input: [1, 3, H, W], H: int = 0, W: int = 32'));
        expect(zero.errors.map(e => e.message)).toContainEqual("size variable 'H' of input 'input' must be a whole number ≥ 1, not the number 0");
    });

    it('a size variable whose default uses the input it sizes: one sentence on the default', async () => {
        const parsed = await parse(NET('input: [1, 3, H, H], H: int = input.height'));
        expect(parsed.errors.map(e => [e.message, textAt(parsed, e)])).toContainEqual(["size variable 'H' of input 'input' needs a default that does not use the input it sizes: H: int = 224", 'input.height']);
    });

    it('an unknown size name in the input shape is an unresolved name, as before', async () => {
        const parsed = await parse(NET('input: [1, 3, Q, 32]'));
        expect(parsed.errors.map(e => textAt(parsed, e))).toContain('Q');
    });

    it('a network without size variables has no formulas', async () => {
        const parsed = await parse(NET('input: [1, 3, 32, 32]'));
        expect(symbolicSizes(analyzeNetwork(parsed))).toBeUndefined();
    });
});

describe('convnet summary --sizes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-sizes-'));
    const file = path.join(dir, 'resnet18.convnet');
    fs.writeFileSync(file, withSizeVariables('resnet18'));
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'summary', ...args], { encoding: 'utf8', timeout: 60_000 });

    it('prints the formulas and the valid sizes after the summary', () => {
        const r = run(file, '--sizes');
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('Size variables: H = 224, W = 224 (the network elaborates at these; figures below hold for H and W multiples of 32)');
        expect(r.stdout).toContain('  Params = 11,689,512 (does not depend on H and W)');
        expect(r.stdout).toContain('  MACs = 36,144·H·W + 512,000  ≈ 1.81 G·(H·W)/224² + 512 k');
        expect(r.stdout).toContain('Total stride: 32');
        expect(r.stdout).toContain('Smallest input that reaches the head: H = W = 1 (no size is smaller)');
    });

    it('--json carries them as sizes', () => {
        const r = run(file, '--sizes', '--json');
        const sizes = JSON.parse(r.stdout).networks[0].sizes;
        expect(sizes.variables.map((v: { name: string; default: number }) => [v.name, v.default])).toEqual([['H', 224], ['W', 224]]);
        expect(evaluateFormula(sizes.formulas.find((f: { figure: string }) => f.figure === 'macs').terms, { H: 224, W: 224 })).toBe(1_814_073_344);
    });

    it('the default summary is unchanged', () => {
        const plain = run(path.join(ROOT, 'examples/resnet18.convnet'));
        const sized = run(file);
        expect(sized.stdout.replace(/inputs: input \[1, 3, 224, 224\]/, '')).toBe(plain.stdout.replace(/inputs: input \[1, 3, 224, 224\]/, ''));
    });

    it('--sizes with --train is refused in one sentence', () => {
        const r = run(file, '--sizes', '--train');
        expect(r.status).toBe(2);
        expect(r.stderr.split('\n')[0]).toBe('convnet: --sizes goes with the summary itself or --json, not with --train, --format, --convention, --precision, --device or --insights');
    });
});

describe('hover on a size variable and on the network (the shipped server)', () => {
    it('shows the formulas and the smallest input', async () => {
        const { LspSession, uriOf } = await import('./lsp-client.js');
        const { HoverRequest } = await import('vscode-languageserver-protocol/node');
        const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-sizes-lsp-'));
        const file = path.join(workspace, 'resnet18.convnet');
        const text = withSizeVariables('resnet18');
        fs.writeFileSync(file, text);
        const session = await LspSession.start(workspace, {});
        try {
            expect(await session.open(file, text)).toEqual([]);
            const at = (needle: string) => {
                const before = text.slice(0, text.indexOf(needle));
                return { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
            };
            const hoverText = async (needle: string) => ((await session.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position: at(needle) })) as { contents: { value: string } }).contents.value;
            const onH = await hoverText('H, W]');
            expect(onH).toContain('**H** · size variable of network ResNet18');
            expect(onH).toContain('- MACs = 36,144·H·W + 512,000  ≈ 1.81 G·(H·W)/224² + 512 k');
            expect(onH).toContain('Smallest input that reaches the head: H = W = 1');
            const onNetwork = await hoverText('ResNet18(');
            expect(onNetwork).toContain('| MACs | 1,814,073,344');
            expect(onNetwork).toContain('- MACs = 36,144·H·W + 512,000');
        } finally {
            await session.stop();
            fs.rmSync(workspace, { recursive: true, force: true });
        }
    });
});
