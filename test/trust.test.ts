/**
 * The guarantees of io/ and of every writer and reader (README "Safety"), checked on real files in a temporary
 * folder: no silent overwrite, never over an input, never through a link, all or nothing, temporary file then
 * rename; special files refused by type and big ones by size before anything is read; names from inputs escaped in
 * messages; generated Python inert whatever the file is called (parsed by Python itself); no absolute path of the
 * author's machine in what is written.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileBounded, ReadRefused } from '../io/bounded-read.js';
import { checkWrites, writeFilesSafely, WriteRefused } from '../io/safe-write.js';
import { displayText, quoted } from '../language/util/quote.js';
import { decodeImage, ImageError } from '../io/image.js';
import { pythonDocText, pythonString } from '../interchange/export/python-text.js';
import { parse } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'cli', 'bin', 'convnet.cjs');
const top = fs.mkdtempSync(path.join(os.tmpdir(), 'convnet-trust-'));
let dir: string;
let count = 0;

beforeEach(() => {
    dir = path.join(top, String(count++));
    fs.mkdirSync(dir);
});
afterAll(() => fs.rmSync(top, { recursive: true, force: true }));

const at = (name: string) => path.join(dir, name);
const read = (name: string) => fs.readFileSync(at(name), 'utf8');
/** Every entry of the folder: what a failed write must leave as it was. */
const listing = () => fs.readdirSync(dir).sort();

function convnet(...args: string[]): { code: number | null; out: string; err: string } {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('safe writes', () => {
    it('write a new file through a temporary file, leaving nothing else behind', () => {
        writeFilesSafely([{ file: at('a.txt'), bytes: 'hello' }]);
        expect(read('a.txt')).toBe('hello');
        expect(listing()).toEqual(['a.txt']);
    });

    it('refuse to replace an existing file unless told to, then replace it', () => {
        fs.writeFileSync(at('a.txt'), 'precious');
        expect(() => writeFilesSafely([{ file: at('a.txt'), bytes: 'x' }], { replaceHint: 'give --force to replace it' }))
            .toThrow(/a\.txt: already exists; give --force to replace it$/);
        expect(read('a.txt')).toBe('precious');
        writeFilesSafely([{ file: at('a.txt'), bytes: 'new' }], { replace: true });
        expect(read('a.txt')).toBe('new');
        expect(listing()).toEqual(['a.txt']);
    });

    it('refuse an output that is an input, under any name, whatever the flags', () => {
        fs.writeFileSync(at('w.safetensors'), 'weights');
        fs.linkSync(at('w.safetensors'), at('hard.safetensors'));
        fs.mkdirSync(at('sub'));
        for (const output of [at('w.safetensors'), at('hard.safetensors'), path.join(dir, 'sub', '..', 'w.safetensors')]) {
            expect(() => writeFilesSafely([{ file: output, bytes: 'x' }], { replace: true, inputs: [{ file: at('w.safetensors'), label: 'the weights' }] }))
                .toThrow(/this command reads it \(the weights\); refusing to write over it/);
        }
        expect(read('w.safetensors')).toBe('weights');
    });

    it('never write through a symbolic link, even when told to replace', () => {
        fs.writeFileSync(at('target.txt'), 'important');
        fs.symlinkSync(at('target.txt'), at('link.txt'));
        expect(() => writeFilesSafely([{ file: at('link.txt'), bytes: 'x' }], { replace: true })).toThrow(/is a symbolic link/);
        expect(read('target.txt')).toBe('important');
    });

    it('refuse the same file twice, a missing folder, a directory', () => {
        expect(() => checkWrites([at('a.onnx'), path.join(dir, '.', 'a.onnx')])).toThrow(/given twice as an output/);
        expect(() => checkWrites([path.join(dir, 'missing', 'x.py')])).toThrow(/cannot write: the folder .*missing does not exist/);
        fs.mkdirSync(at('d'));
        expect(() => checkWrites([at('d')], { replace: true })).toThrow(/cannot write: it is a directory/);
    });

    it('write all files or none: a failure on the second leaves the first unwritten and the folder as it was', () => {
        fs.writeFileSync(at('keep.txt'), 'old');
        const before = listing();
        const tooLong = at(`${'n'.repeat(300)}.txt`); // ENAMETOOLONG when its temporary file is made
        expect(() => writeFilesSafely([{ file: at('first.txt'), bytes: 'a' }, { file: tooLong, bytes: 'b' }])).toThrow(WriteRefused);
        expect(listing()).toEqual(before);
        expect(() => writeFilesSafely([{ file: at('keep.txt'), bytes: 'new' }, { file: tooLong, bytes: 'b' }], { replace: true })).toThrow(WriteRefused);
        expect(read('keep.txt')).toBe('old');
        expect(listing()).toEqual(before);
    });
});

describe('bounded reads', () => {
    it('refuse a FIFO, a device and a directory by type, at once', () => {
        spawnSync('mkfifo', [at('pipe')]);
        const started = performance.now();
        expect(() => readFileBounded(at('pipe'), 'weights', 'the weights')).toThrow(/the weights: it is a named pipe \(FIFO\), not a file/);
        expect(() => readFileBounded('/dev/zero', 'input', 'the input')).toThrow(/it is a device, not a file/);
        expect(() => readFileBounded(dir, 'model', 'the ONNX model')).toThrow(/it is a directory, not a file/);
        expect(performance.now() - started).toBeLessThan(1000);
    });

    it('refuse a file over the limit for its kind before reading it (a sparse 5 GiB file)', () => {
        const fd = fs.openSync(at('huge.safetensors'), 'w');
        fs.ftruncateSync(fd, 5 * 1024 ** 3);
        fs.closeSync(fd);
        expect(() => readFileBounded(at('huge.safetensors'), 'weights', 'the weights')).toThrow(/the weights is 5\.00 GiB, more than the 4\.00 GiB ConvNet reads/);
    });

    it('refuse a PNG whose header claims more pixels than the limit, before decoding', () => {
        const header = Buffer.alloc(33);
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
        header.writeUInt32BE(13, 8);
        header.write('IHDR', 12, 'latin1');
        header.writeUInt32BE(100_000, 16);
        header.writeUInt32BE(100_000, 20);
        expect(() => decodeImage(header, 'big.png')).toThrow(ImageError);
        expect(() => decodeImage(header, 'big.png')).toThrow(/claims 100000×100000 pixels; ConvNet reads images of at most 64 megapixels/);
    });

    it('ReadRefused names the file, escaped', () => {
        expect(() => readFileBounded(at('no\x1b[2Jsuch'), 'input', 'the input')).toThrow(ReadRefused);
        expect(() => readFileBounded(at('no\x1b[2Jsuch'), 'input', 'the input')).toThrow(/no\\e\[2Jsuch: cannot read the input: no such file$/);
    });
});

describe('text from inputs in messages', () => {
    it('escapes ESC, BEL, CR, LF, NUL, DEL, bidi controls and lone surrogates, and keeps one line', () => {
        expect(displayText('a\x1b[2Jb\x07c\rd\ne\0f\x7fg\u202eh\ud800i')).toBe('a\\e[2Jb\\x07c\\rd\\ne\\x00f\\x7fg\\u202eh\\ud800i');
        expect(displayText('résumé 😀')).toBe('résumé 😀');
    });

    it('elides long text in the middle', () => {
        const shown = quoted('x'.repeat(200_000));
        expect(shown.length).toBeLessThan(100);
        expect(shown).toMatch(/^'x+…x+'$/);
    });
});

describe('control characters in a .convnet file reach no diagnostic raw', () => {
    it('strings, import paths and stray characters holding ESC, BEL, NUL, CR and lone surrogates', async () => {
        const nasty = '\x1b[2J\x07\x00\r\ud800';
        const text = [
            `import "./${nasty}"`,
            'network N(input: [1, 3, 8, 8]) {',
            `  y = input -> pad(1, mode: "${nasty}") -> upsample(2, mode: "x${nasty}")`,
            `  return y ${nasty}`,
            '}',
        ].join('\n');
        const parsed = await parse(text, { path: '/trust/nasty.convnet' });
        expect(parsed.diagnostics.length).toBeGreaterThan(2);
        for (const d of parsed.diagnostics) {
            expect(String(d.message), String(d.message)).not.toMatch(/[\u0000-\u001f\u007f\ud800-\udfff]/);
        }
    });
});

describe('generated Python', () => {
    it('a string or docstring holds any text and cannot end early', () => {
        expect(pythonString('a"b\\c\nd\u2028é\ud800')).toBe('"a\\"b\\\\c\\nd\\u2028\\xe9\\ud800"');
        expect(pythonDocText('x"""; import os #')).toBe('x\\"\\"\\"; import os #');
    });

    it('an export from a file named with Python in it parses and imports without running it', () => {
        const hostile = `x"""; import os; os.system("touch PWNED") #\n'''.convnet`;
        fs.copyFileSync(path.join(ROOT, 'examples', 'lenet5.convnet'), at(hostile));
        const r = convnet('export', hostile, '--pytorch', 'out.py');
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const check = spawnSync('/usr/bin/python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', at('out.py')], { encoding: 'utf8' });
        expect(check.stderr).toBe('');
        const load = spawnSync('/usr/bin/python3', ['-c', 'import importlib.util as u, sys; s = u.spec_from_file_location("m", sys.argv[1]); m = u.module_from_spec(s); s.loader.exec_module(m); print(m.LeNet5.__name__)', at('out.py')], { encoding: 'utf8', cwd: dir });
        expect(load.stderr).toBe('');
        expect(load.stdout.trim()).toBe('LeNet5');
        expect(fs.existsSync(at('PWNED'))).toBe(false);
    });
});

describe('outputs carry no path of the author\'s machine', () => {
    it('ONNX, PyTorch, SVG and safetensors written from a temporary folder do not contain it', () => {
        fs.copyFileSync(path.join(ROOT, 'examples', 'resnet18.convnet'), at('resnet18.convnet'));
        expect(convnet('export', 'resnet18.convnet', '--onnx', 'm.onnx', '--pytorch', 'm.py', '--seed', '1').code).toBe(0);
        expect(convnet('graph', 'resnet18.convnet', '--svg', 'g.svg').code).toBe(0);
        expect(convnet('run', 'resnet18.convnet', '--output', 'o.safetensors').code).toBe(0);
        const real = fs.realpathSync(dir);
        for (const file of ['m.onnx', 'm.py', 'm.safetensors', 'g.svg', 'o.safetensors']) {
            const bytes = fs.readFileSync(at(file)).toString('latin1');
            expect(bytes.includes(dir) || bytes.includes(real) || bytes.includes(os.tmpdir()), file).toBe(false);
        }
        expect(fs.readFileSync(at('g.svg'), 'utf8')).toContain('data-file="resnet18.convnet"');
    });
});

describe('the command line', () => {
    it('--help works on every command and exits 0', () => {
        for (const command of ['check', 'summary', 'graph', 'run', 'export', 'import']) {
            const r = convnet(command, '--help');
            expect(r.code, command).toBe(0);
            expect(r.out, command).toContain(`convnet ${command} `);
        }
        expect(convnet('--help').code).toBe(0);
    });

    it('a file that is not a .convnet file is one sentence, not an internal name', () => {
        fs.writeFileSync(at('notes.log'), 'hello');
        fs.writeFileSync(at('model.onnx'), 'x');
        expect(convnet('check', 'notes.log').err.trim()).toBe('convnet: notes.log: not a .convnet file (networks are written in .convnet files)');
        expect(convnet('run', 'model.onnx').err.trim()).toBe('convnet: model.onnx: not a .convnet file (to turn an ONNX model into one: convnet import model.onnx)');
    });

    it('writers refuse to overwrite without --force and refuse their inputs with it', () => {
        fs.copyFileSync(path.join(ROOT, 'examples', 'lenet5.convnet'), at('net.convnet'));
        expect(convnet('run', 'net.convnet', '--output', 'o.safetensors').code).toBe(0);
        const first = fs.readFileSync(at('o.safetensors'));
        const again = convnet('run', 'net.convnet', '--output', 'o.safetensors', '--seed', '3');
        expect(again.code).toBe(1);
        expect(again.err.trim()).toBe('convnet: o.safetensors: already exists; give --force to replace it');
        expect(fs.readFileSync(at('o.safetensors')).equals(first)).toBe(true);
        const over = convnet('run', 'net.convnet', '--weights', 'o.safetensors', '--output', 'o.safetensors', '--force');
        expect(over.err).toMatch(/o\.safetensors: this command reads it \(the weights\)/);
        for (const args of [['graph', 'net.convnet', '--svg', 'net.convnet', '--force'], ['export', 'net.convnet', '--onnx', 'net.convnet', '--force'], ['export', 'net.convnet', '--pytorch', 'w.py', '--weights', 'w.safetensors']]) {
            if (args.includes('w.safetensors')) fs.writeFileSync(at('w.safetensors'), fs.readFileSync(at('o.safetensors')));
            const r = convnet(...args);
            expect(r.code, args.join(' ')).not.toBe(0);
            expect(r.err, args.join(' ')).toMatch(/this command reads it/);
        }
        expect(fs.readFileSync(at('net.convnet'), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'examples', 'lenet5.convnet'), 'utf8'));
        const multi = convnet('export', 'net.convnet', '--onnx', 'a.onnx', '--pytorch', 'missing/x.py');
        expect(multi.code).toBe(1);
        expect(fs.existsSync(at('a.onnx'))).toBe(false);
    });

    it('the threads\' workspace counts in the memory budget', () => {
        fs.copyFileSync(path.join(ROOT, 'examples', 'lenet5.convnet'), at('net.convnet'));
        // LeNet-5 plans about 354 KiB; each thread of the fast engine adds its GEMM scratch (about 2 MiB).
        const tight = convnet('run', 'net.convnet', '--memory-budget', '1MiB', '--threads', '1');
        expect(tight.code).toBe(1);
        expect(tight.err.trim()).toMatch(/^convnet: LeNet5 needs 354 KiB plus [\d.]+ MiB of workspace for the engine's 1 thread, over the memory budget of 1\.00 MiB\. Raise the budget or run on fewer threads\.$/);
        expect(convnet('run', 'net.convnet', '--memory-budget', '1MiB', '--engine', 'reference').code).toBe(0);
    });

    it('threads above the cores are capped with a notice', () => {
        fs.copyFileSync(path.join(ROOT, 'examples', 'lenet5.convnet'), at('net.convnet'));
        const r = convnet('run', 'net.convnet', '--threads', '256');
        expect(r.code).toBe(0);
        expect(r.err).toMatch(new RegExp(`note: --threads 256 is more than the ${os.availableParallelism()} cores here; running on ${os.availableParallelism()}`));
    });
});
