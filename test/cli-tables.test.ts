/** `convnet summary --format markdown|csv|latex` and `convnet graph --svg`: tables and figures for papers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
const RESNET18 = path.join(ROOT, 'examples', 'resnet18.convnet');
let dir: string;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-tables-'));
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

function convnet(...args: string[]) {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, out: result.stdout, err: result.stderr };
}

// torchvision's published ResNet-18 figures (../shared/reference/torchvision-totals.json).
const PARAMS = 11689512;
const MACS = 1814073344;

describe('summary tables', () => {
    it('markdown: a header, one row per layer and the published totals', () => {
        const { code, out } = convnet('summary', RESNET18, '--format', 'markdown');
        expect(code).toBe(0);
        const lines = out.split('\n');
        expect(lines[0]).toBe('| Layer | Op | Output shape | Params | MACs | Memory (bytes) |');
        expect(lines[1]).toBe('|---|---|---|---:|---:|---:|');
        // torchvision's conv1: 64·3·7·7 weights, 112·112·64·147 MACs.
        expect(lines).toContain('| conv1 | conv | 1×64×112×112 | 9,408 | 118,013,952 | 3,211,264 |');
        expect(out).toContain(`| **Total** | | 1×1000 | **${PARAMS.toLocaleString('en-US')}** | **${MACS.toLocaleString('en-US')}** |`);
    });

    it('csv: plain numbers that add up to the published totals', () => {
        const { code, out } = convnet('summary', RESNET18, '--format', 'csv');
        expect(code).toBe(0);
        const rows = out.trim().split('\n').map(l => l.split(','));
        expect(rows[0]).toEqual(['Layer', 'Op', 'Output shape', 'Params', 'MACs', 'Memory (bytes)']);
        const layers = rows.slice(1, -1);
        expect(layers.reduce((s, r) => s + Number(r[3]), 0)).toBe(PARAMS);
        expect(layers.reduce((s, r) => s + Number(r[4]), 0)).toBe(MACS);
        expect(rows[rows.length - 1].slice(0, 5)).toEqual(['Total', '', '1×1000', String(PARAMS), String(MACS)]);
    });

    it('latex: a booktabs tabular with escaped names and shapes', () => {
        const { code, out } = convnet('summary', RESNET18, '--format', 'latex');
        expect(code).toBe(0);
        expect(out.startsWith('\\begin{tabular}{lllrrr}\n\\toprule\n')).toBe(true);
        expect(out).toContain('layer1.0.conv1 & conv & 1$\\times$64$\\times$56$\\times$56 & 36,864 & 115,605,504');
        expect(out).toContain('\\bottomrule\n\\end{tabular}');
    });

    it('rejects an unknown format and --json together with --format', () => {
        expect(convnet('summary', RESNET18, '--format', 'html').code).toBe(2);
        expect(convnet('summary', RESNET18, '--format', 'csv', '--json').code).toBe(2);
    });
});

describe('graph --svg', () => {
    it('writes an SVG with a box per layer, an input and an output', () => {
        const file = path.join(dir, 'resnet18.svg');
        const { code } = convnet('graph', RESNET18, '--svg', file);
        expect(code).toBe(0);
        const svg = fs.readFileSync(file, 'utf8');
        expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
        expect(svg.trim().endsWith('</svg>')).toBe(true);
        expect(svg).toContain('<title>ResNet18</title>');
        for (const name of ['conv1', 'layer1.0.conv1', 'layer4.1.conv2', 'layer2.0.downsample.0', 'fc']) expect(svg).toContain(`>${name}</text>`);
        expect(svg.match(/class="box input/g)).toHaveLength(1);
        expect(svg.match(/class="box output/g)).toHaveLength(1);
    });

    it('needs --svg', () => {
        expect(convnet('graph', RESNET18).code).toBe(2);
    });
});
