/**
 * The roofline's arithmetic against figures computed by hand from PyTorch's tensor sizes (a conv's weight is
 * C_out × C_in/g × k × k, its input and output N × C × H × W, at 4 bytes per float32 element) and the device
 * profiles against their makers' published specifications. Timings of this machine are not tested here (a shared
 * machine's timings are not reliable in a test): `npm run bench:roofline` measures them.
 */
import { describe, expect, it } from 'vitest';
import { analyzeNetwork, parse } from './helpers.js';
import { roofline, formatSeconds, kernelClassOf, latencyLine } from '../language/analysis/roofline.js';
import { DEVICE_PROFILES, findDeviceProfile, KERNEL_CLASSES, parseDeviceProfile, serializeDeviceProfile, type DeviceProfile } from '../language/analysis/devices.js';
import { MICRO_BENCHMARKS, microGraphs } from '../cli/calibrate.js';
import { loadExample } from './zoo-helpers.js';

async function graphOf(text: string) {
    const parsed = await parse(text);
    expect(parsed.errors.map(e => e.message)).toEqual([]);
    return analyzeNetwork(parsed).graph;
}

const desktop = findDeviceProfile('desktop-cpu-core')!;
const gpu = findDeviceProfile('laptop-gpu')!;
const phone = findDeviceProfile('phone-arm-core')!;

describe('device profiles: the makers\' published peaks', () => {
    it('desktop CPU core: Intel i7-8700K, 4.7 GHz max turbo × 2 FMA ports × 4 lanes × 2 FLOP; ARK\'s 41.6 GB/s', () => {
        expect(desktop.peakFlops).toBeCloseTo(75.2e9, -6);
        expect(desktop.bandwidth).toBe(41.6e9);
    });
    it('laptop GPU: RTX 3060 Laptop, 3840 CUDA cores × 2 FLOP × 1.703 GHz = 13.08 TFLOP/s; 192-bit GDDR6 at 14 Gbps = 336 GB/s', () => {
        expect(gpu.peakFlops / 1e12).toBeCloseTo(13.079, 2);
        expect(gpu.bandwidth).toBeCloseTo(336e9, -6);
    });
    it('phone ARM core: Cortex-A76 at 2.84 GHz × 16 FLOP/cycle = 45.44 GFLOP/s; LPDDR4X 4266 MT/s × 8 B = 34.1 GB/s', () => {
        expect(phone.peakFlops).toBeCloseTo(45.44e9, -6);
        expect(phone.bandwidth / 1e9).toBeCloseTo(34.13, 1);
    });
    it('every shipped profile cites its source and reads back from its JSON', () => {
        for (const d of DEVICE_PROFILES) {
            expect(d.source.length).toBeGreaterThan(20);
            const back = parseDeviceProfile(serializeDeviceProfile(d), 'x.json') as DeviceProfile;
            expect(back.peakFlops).toBe(d.peakFlops);
            expect(back.bandwidth).toBe(d.bandwidth);
        }
    });
    it('a bad profile file is one sentence', () => {
        expect(parseDeviceProfile('{', 'p.json')).toBe('p.json is not JSON (regenerate it with: convnet calibrate)');
        expect(parseDeviceProfile('[]', 'p.json')).toMatch(/^p\.json is not a device profile/);
        expect(parseDeviceProfile('{"format":"other"}', 'p.json')).toMatch(/not a device profile of this version/);
        expect(parseDeviceProfile('{"format":"convnet-device-profile/1","peakFlops":1e9,"bandwidth":-1,"overheadSeconds":0}', 'p.json')).toBe("p.json: 'bandwidth' must be a positive number");
        expect(parseDeviceProfile('{"format":"convnet-device-profile/1","peakFlops":1e9,"bandwidth":1e9,"overheadSeconds":0,"ceilings":{"gpu":1}}', 'p.json')).toMatch(/unknown kernel class 'gpu'/);
    });
});

describe('bytes, intensity and time of a layer', () => {
    it('conv 3×3 64→128 @56², no bias: weight 128·64·3·3, input 64·56², output 128·56² elements; compute-bound on the desktop core', async () => {
        const graph = await graphOf('network N(input: [1, 64, 56, 56]) {\n  return input -> c: conv(128, kernel: 3, padding: 1, bias: false)\n}\n');
        const layer = roofline(graph, desktop).layers[0];
        expect(layer.weightBytes).toBe(128 * 64 * 9 * 4);          // 294,912
        expect(layer.inputBytes).toBe(64 * 56 * 56 * 4);           // 802,816
        expect(layer.outputBytes).toBe(128 * 56 * 56 * 4);         // 1,605,632
        expect(layer.bytes).toBe(2_703_360);
        expect(layer.flops).toBe(2 * 128 * 56 * 56 * 64 * 9);      // 462,422,016
        expect(layer.intensity).toBeCloseTo(462_422_016 / 2_703_360, 6);
        expect(layer.bound).toBe('compute');
        expect(layer.seconds).toBeCloseTo(462_422_016 / 75.2e9 + 2e-6, 9);
        // fp16: half the bytes, the same FLOPs.
        const half = roofline(graph, desktop, { precision: 'fp16' }).layers[0];
        expect(half.bytes).toBe(2_703_360 / 2);
        expect(roofline(graph, desktop, { precision: 'int8' }).layers[0].bytes).toBe(2_703_360 / 4);
    });

    it('a 1×1 conv moves the ShuffleNet V2 paper\'s MAC = hw(c1 + c2) + c1·c2 elements', async () => {
        const graph = await graphOf('network N(input: [1, 64, 56, 56]) {\n  return input -> conv(256, kernel: 1, bias: false)\n}\n');
        expect(roofline(graph, desktop).layers[0].bytes).toBe((56 * 56 * (64 + 256) + 64 * 256) * 4); // 4,079,616
    });

    it('depthwise 3×3 on 32×112²: 2.25 FLOP/B — compute-bound on the desktop core (ridge 1.81), memory-bound on the laptop GPU (ridge 38.9)', async () => {
        const graph = await graphOf('network N(input: [1, 32, 112, 112]) {\n  return input -> dwconv(kernel: 3, padding: 1, bias: false)\n}\n');
        const flops = 2 * 32 * 112 * 112 * 9;
        const bytes = (32 * 9 + 2 * 32 * 112 * 112) * 4;
        const onDesktop = roofline(graph, desktop);
        expect(onDesktop.layers[0].flops).toBe(flops);
        expect(onDesktop.layers[0].bytes).toBe(bytes);
        expect(onDesktop.ridge).toBeCloseTo(75.2 / 41.6, 6);
        expect(onDesktop.layers[0].bound).toBe('compute');
        const onGpu = roofline(graph, gpu).layers[0];
        expect(onGpu.bound).toBe('memory');
        expect(onGpu.seconds).toBeCloseTo(bytes / 336e9 + 5e-6, 12);
        expect(onGpu.kernel).toBe('depthwise');
    });

    it('a small ReLU on the laptop GPU: 1 KiB in 3 ns is overhead-bound (5 µs per launch)', async () => {
        const graph = await graphOf('network N(input: [1, 8, 4, 4]) {\n  return input -> relu\n}\n');
        const layer = roofline(graph, gpu).layers[0];
        expect(layer.bytes).toBe(2 * 8 * 4 * 4 * 4);
        expect(layer.bound).toBe('overhead');
        expect(layer.seconds).toBeCloseTo(5e-6 + 1024 / 336e9, 12);
    });

    it('flatten is a view: it moves nothing', async () => {
        const graph = await graphOf('network N(input: [1, 8, 4, 4]) {\n  return input -> flatten\n}\n');
        expect(roofline(graph, desktop).layers[0].bytes).toBe(0);
    });

    it('conv → batchnorm → (+ shortcut) → relu run as one layer on a fusing device: the norm moves nothing, the sum reads its shortcut', async () => {
        const graph = await graphOf([
            'network N(input: [1, 16, 8, 8]) {',
            '  y = input -> c: conv(16, kernel: 3, padding: 1, bias: false) -> bn: batchnorm',
            '  return relu(y + input)',
            '}', ''].join('\n'));
        const model = roofline(graph, desktop);
        const byOp = Object.fromEntries(model.layers.map(l => [l.op, l]));
        expect(byOp.batchnorm.fusedInto).toBe('c');
        expect(byOp.batchnorm.bytes).toBe(0);
        expect(byOp.add.fusedInto).toBe('c');
        expect(byOp.add.bytes).toBe(16 * 8 * 8 * 4); // the shortcut read in the conv's output loop
        expect(byOp.relu.fusedInto).toBe('c');
        expect(byOp.relu.overheadSeconds).toBe(0);
        // Without fusion each reads its input and writes its output (a batch norm also its 4 vectors of 16).
        const unfused = Object.fromEntries(roofline(graph, { ...desktop, fuses: false }).layers.map(l => [l.op, l]));
        expect(unfused.batchnorm.bytes).toBe((2 * 16 * 8 * 8 + 4 * 16) * 4);
        expect(unfused.add.bytes).toBe(3 * 16 * 8 * 8 * 4);
    });

    it('the hover\'s line names the time, the bound and the intensity', async () => {
        const graph = await graphOf('network N(input: [1, 32, 112, 112]) {\n  return input -> dwconv(kernel: 3, padding: 1, bias: false)\n}\n');
        const layer = roofline(graph, gpu).layers[0];
        // 3,212,416 B / 336 GB/s + 5 µs = 14.56 µs; 7,225,344 FLOPs / 3,212,416 B = 2.249.
        expect(latencyLine(layer, 'a laptop GPU')).toBe('≈ 14.6 µs on a laptop GPU, memory-bound (intensity 2.2 FLOP/B)');
        expect(formatSeconds(0.00042)).toBe('0.42 ms');
        expect(formatSeconds(0.1)).toBe('100 ms');
        expect(formatSeconds(100e-6)).toBe('0.1 ms');
        expect(formatSeconds(52.5e-6)).toBe('52.5 µs');
        // At a unit's edge the unit follows the rounded value: never '1.00e+3 ms' or '1e+3 µs'.
        expect(formatSeconds(0.99996)).toBe('1.00 s');
        expect(formatSeconds(0.9994)).toBe('999 ms');
        expect(formatSeconds(99.996e-6)).toBe('0.1 ms');
        expect(formatSeconds(1.5)).toBe('1.50 s');
    });
});

describe('kernel classes: each layer is predicted from a ceiling measured on layers like it', () => {
    const classOf = async (text: string) => {
        const graph = await graphOf(text);
        return kernelClassOf(graph, graph.nodes[0]);
    };
    const net = (shape: string, layer: string) => `network N(input: [${shape}]) {\n  return input -> ${layer}\n}\n`;

    it('a 1×1 stride-1 conv on a 28² or larger plane is pointwise (one GEMM on the input); smaller, strided or padded, dense', async () => {
        expect(await classOf(net('1, 16, 112, 112', 'conv(96, kernel: 1, bias: false)'))).toBe('pointwise');
        expect(await classOf(net('1, 32, 28, 28', 'conv(192, kernel: 1)'))).toBe('pointwise');
        expect(await classOf(net('1, 64, 14, 14', 'conv(384, kernel: 1)'))).toBe('dense');
        expect(await classOf(net('1, 64, 56, 56', 'conv(128, kernel: 1, stride: 2)'))).toBe('dense');
        expect(await classOf(net('1, 64, 56, 56', 'conv(128, kernel: 1, padding: 1)'))).toBe('dense');
        expect(await classOf(net('1, 64, 56, 56', 'conv(128, kernel: 1, groups: 4)'))).toBe('dense');
    });

    it('a 3×3 stride-1 conv (8+ input channels, a grouped conv\'s in each group) is winograd from 28² up (U made ahead), winograd-small on 7² to 27² (U made as it runs), else dense', async () => {
        expect(await classOf(net('1, 64, 56, 56', 'conv(64, kernel: 3, padding: 1)'))).toBe('winograd');
        expect(await classOf(net('1, 128, 28, 28', 'conv(128, kernel: 3, padding: 1)'))).toBe('winograd');
        expect(await classOf(net('1, 128, 29, 29', 'conv(128, kernel: 3)'))).toBe('winograd-small'); // 27²
        expect(await classOf(net('1, 256, 14, 14', 'conv(256, kernel: 3, padding: 1)'))).toBe('winograd-small');
        expect(await classOf(net('1, 256, 14, 14', 'conv(256, kernel: 3)'))).toBe('winograd-small'); // 12²
        expect(await classOf(net('1, 512, 7, 7', 'conv(512, kernel: 3, padding: 1)'))).toBe('winograd-small');
        expect(await classOf(net('1, 512, 6, 6', 'conv(512, kernel: 3, padding: 1)'))).toBe('dense');
        expect(await classOf(net('1, 128, 28, 28', 'conv(256, kernel: 3, stride: 2, padding: 1)'))).toBe('dense');
        expect(await classOf(net('1, 64, 56, 56', 'conv(64, kernel: 3, padding: 1, groups: 4)'))).toBe('winograd'); // 16 channels a group
        expect(await classOf(net('1, 128, 56, 56', 'conv(128, kernel: 3, padding: 1, groups: 32)'))).toBe('dense'); // ResNeXt's 4
        expect(await classOf(net('1, 64, 28, 28', 'conv(64, kernel: 3, padding: 1, groups: 8)'))).toBe('winograd'); // RegNet's 8
        expect(await classOf(net('1, 8, 28, 28', 'conv(8, kernel: 3, padding: 1)'))).toBe('winograd'); // dense: from 8
    });

    it('max and average pooling windows are window; global pooling, ReLU and sums element-wise', async () => {
        expect(await classOf(net('1, 64, 112, 112', 'maxpool(3, stride: 2, padding: 1)'))).toBe('window');
        expect(await classOf(net('1, 64, 56, 56', 'avgpool(2)'))).toBe('window');
        expect(await classOf(net('1, 64, 7, 7', 'globalavgpool'))).toBe('elementwise');
        expect(await classOf(net('1, 64, 7, 7', 'adaptiveavgpool(1)'))).toBe('elementwise');
        expect(await classOf(net('1, 64, 56, 56', 'relu'))).toBe('elementwise');
    });

    it('MobileNetV2: the 12 1×1 convs on 112², 56² and 28² maps are pointwise (counted from Sandler et al., Table 2)', async () => {
        // Table 2's rows at those maps: the t = 1 block's projection at 112²; the c = 24 stage (2 blocks) expands at
        // 112² and 56² and projects at 56² (4); the c = 32 stage (3 blocks) expands at 56², 28², 28² and projects at
        // 28² (6); the first c = 64 block expands at 28² (1). Every other 1×1 conv is on 14² or 7².
        const { graph } = await loadExample('mobilenet_v2.convnet', 'MobileNetV2');
        const pointwise = graph.nodes.filter(n => kernelClassOf(graph, n) === 'pointwise');
        expect(pointwise.length).toBe(1 + 4 + 6 + 1);
        expect(pointwise.every(n => graph.tensors[n.outputs[0]].shape[2] >= 28)).toBe(true);
    });

    it('a profile without the pointwise and window ceilings (calibrated before they were measured apart) predicts them from dense and element-wise', async () => {
        // 1×1 16→96 at 112²: 2·96·112²·16 = 38,535,168 FLOPs; then max pooling 3×3/2 of its 96×112²: 96·56²·9 = 2,709,504
        // window reads. A bandwidth so high and no overhead: the time is FLOPs over the ceiling.
        const graph = await graphOf('network N(input: [1, 16, 112, 112]) {\n  return input -> conv(96, kernel: 1, bias: false) -> maxpool(3, stride: 2, padding: 1)\n}\n');
        const base = { id: 'x', name: 'x', shortName: 'x', peakFlops: 100e9, bandwidth: 1e18, overheadSeconds: 0, fuses: false, source: '' };
        const old = roofline(graph, { ...base, ceilings: { dense: 10e9, elementwise: 1e9 } });
        expect(old.layers.map(l => l.kernel)).toEqual(['pointwise', 'window']);
        expect(old.layers[0].seconds).toBeCloseTo(38_535_168 / 10e9, 12);
        expect(old.layers[1].seconds).toBeCloseTo(2_709_504 / 1e9, 12);
        const measured = roofline(graph, { ...base, ceilings: { dense: 10e9, pointwise: 20e9, elementwise: 1e9, window: 4e9 } });
        expect(measured.layers[0].seconds).toBeCloseTo(38_535_168 / 20e9, 12);
        expect(measured.layers[1].seconds).toBeCloseTo(2_709_504 / 4e9, 12);
        // The published profiles have no ceilings: the pure roofline, at the peak.
        expect(roofline(graph, { ...base }).layers[0].seconds).toBeCloseTo(38_535_168 / 100e9, 12);
    });

    it('a ReLU fused into a conv computes at the conv\'s ceiling, in its output loop; a stand-alone one at the element-wise ceiling', async () => {
        // conv 1×1 16→96 at 112² then ReLU6: the ReLU6 is 1 FLOP per output element, 96·112² = 1,204,224.
        const graph = await graphOf('network N(input: [1, 16, 112, 112]) {\n  return input -> conv(96, kernel: 1, bias: false) -> relu6\n}\n');
        const base = { id: 'x', name: 'x', shortName: 'x', peakFlops: 100e9, bandwidth: 1e18, overheadSeconds: 0, source: '', ceilings: { pointwise: 20e9, elementwise: 1e9 } };
        const fused = roofline(graph, { ...base, fuses: true }).layers[1];
        expect(fused.fusedInto).toBeDefined();
        expect(fused.seconds).toBeCloseTo(1_204_224 / 20e9, 12);
        const alone = roofline(graph, { ...base, fuses: false }).layers[1];
        expect(alone.seconds).toBeCloseTo(1_204_224 / 1e9, 12);
    });

    it('calibrate measures every kernel class on layers of that class', async () => {
        const graphs = await microGraphs();
        const measured = new Set<string>();
        MICRO_BENCHMARKS.forEach((b, i) => {
            if (!(KERNEL_CLASSES as readonly string[]).includes(b.measures)) return;
            const graph = graphs[i];
            expect([b.id, ...graph.nodes.map(n => kernelClassOf(graph, n))]).toEqual([b.id, ...graph.nodes.map(() => b.measures)]);
            measured.add(b.measures);
        });
        expect([...measured].sort()).toEqual([...KERNEL_CLASSES].sort());
    });
});
