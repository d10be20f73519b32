/**
 * `convnet summary FILE --device NAME|this-machine|PROFILE.json [--insights] [--json]`: the summary with every layer's
 * bytes moved, arithmetic intensity, predicted time and bound on a device (language/analysis/roofline.ts), and with
 * `--insights` ShuffleNet V2's guidelines with their cost on it (language/analysis/insights.ts).
 */
import type { NetworkGraph } from '../language/elaboration/graph.js';
import type { NetworkSummary } from '../language/analysis/summary.js';
import { roofline, formatSeconds, type Precision, type Roofline } from '../language/analysis/roofline.js';
import { designInsights, type Insight } from '../language/analysis/insights.js';
import { loadDeviceProfile } from '../language/node/device-file.js';
import { THIS_MACHINE, findDeviceProfile } from '../language/analysis/devices.js';
import { formatShape } from '../language/ops/shape-utils.js';
import { formatBytes, humanCount } from '../language/util/format.js';
import { table } from './format.js';
import type { Output } from './commands.js';

export interface DeviceSummaryOptions {
    /** A shipped profile's id, `this-machine` or a profile's .json path; absent with --insights: this machine when calibrated, else the desktop CPU core. */
    readonly device?: string;
    readonly insights?: boolean;
    readonly json?: boolean;
    readonly precision?: Precision;
}

/** JSON has no Infinity: a layer that moves no bytes has no intensity. */
const finite = (x: number) => (Number.isFinite(x) ? x : null);

export function deviceSummary(summaries: readonly NetworkSummary[], graphs: readonly NetworkGraph[], options: DeviceSummaryOptions, io: Output): number {
    let deviceName = options.device;
    if (deviceName === undefined) {
        const machine = loadDeviceProfile(THIS_MACHINE);
        deviceName = typeof machine === 'string' ? 'desktop-cpu-core' : THIS_MACHINE;
        if (typeof machine === 'string') io.err(`convnet: ${machine}; the insights use the desktop CPU core's profile (give --device to choose)`);
    }
    const device = findDeviceProfile(deviceName) ?? loadDeviceProfile(deviceName);
    if (typeof device === 'string') {
        io.err(`convnet: ${device}`);
        return 2;
    }
    const models = graphs.map(g => roofline(g, device, { precision: options.precision }));
    const insights = options.insights ? graphs.map((g, i) => designInsights(g, device, { precision: options.precision, roofline: models[i] })) : undefined;
    if (options.json) {
        io.out(JSON.stringify({
            networks: summaries.map((s, i) => ({
                ...s,
                roofline: { ...models[i], layers: models[i].layers.map(l => ({ ...l, intensity: finite(l.intensity) })) },
                ...(insights ? { insights: insights[i] } : {}),
            })),
        }, null, 2));
        return 0;
    }
    io.out(summaries.map((s, i) => renderDeviceSummary(s, models[i], insights?.[i])).join('\n\n'));
    return 0;
}

function renderDeviceSummary(s: NetworkSummary, model: Roofline, insights: readonly Insight[] | undefined): string {
    const rows = model.layers.map((l, i) => [
        l.name, l.op, formatShape(s.layers[i].output), l.flops ? humanCount(l.flops) : '—', l.bytes ? formatBytes(l.bytes) : '—',
        Number.isFinite(l.intensity) ? l.intensity.toFixed(l.intensity < 10 ? 2 : 1) : '—',
        formatSeconds(l.seconds), l.fusedInto ? `fused into ${l.fusedInto}` : l.bound,
    ]);
    const count = (bound: string) => model.layers.filter(l => !l.fusedInto && l.bound === bound).length;
    const d = model.device;
    const ceilings = d.ceilings ? `; ceilings ${Object.entries(d.ceilings).map(([k, v]) => `${k} ${(v! / 1e9).toFixed(1)}`).join(', ')} GFLOP/s` : '';
    const lines = [
        `${s.name} on ${d.name} (${model.precision})`,
        table(['Layer', 'Op', 'Output shape', 'FLOPs', 'Bytes', 'FLOP/B', 'Predicted', 'Bound'], rows, [false, false, false, true, true, true, true, false]),
        `Predicted: ${formatSeconds(model.seconds)} — ${count('compute')} layers compute-bound, ${count('memory')} memory-bound, ${count('overhead')} overhead-bound, ${model.layers.filter(l => l.fusedInto).length} fused into a conv`,
        `Moved: ${formatBytes(model.bytes)} for ${humanCount(model.flops)} FLOPs (${(model.flops / Math.max(model.bytes, 1)).toFixed(1)} FLOP/B overall)`,
        `Device: peak ${(d.peakFlops / 1e9).toFixed(1)} GFLOP/s, ${(d.bandwidth / 1e9).toFixed(1)} GB/s, ${(d.overheadSeconds * 1e6).toFixed(1)} µs per layer; ridge at ${model.ridge.toFixed(1)} FLOP/B${ceilings}`,
        model.convention,
    ];
    if (insights) {
        lines.push('', insights.length ? 'Insights (ShuffleNet V2\'s guidelines, arXiv 1807.11164):' : 'Insights: none of ShuffleNet V2\'s guidelines (arXiv 1807.11164) costs this network anything worth naming.');
        const g12 = insights.filter(x => x.guideline === 'G1' || x.guideline === 'G2');
        for (const g of ['G1', 'G2'] as const) {
            const of = g12.filter(x => x.guideline === g);
            for (const x of of.slice(0, 5)) lines.push(`  ${x.subject} (line ${x.line}): ${x.message}`);
            if (of.length > 5) lines.push(`  … and ${of.length - 5} more ${g} layers; ${g} in all: +${formatSeconds(of.reduce((t, x) => t + x.seconds, 0))}`);
        }
        for (const x of insights.filter(x => x.guideline === 'G3' || x.guideline === 'G4')) lines.push(`  ${x.subject ? `${x.subject} (line ${x.line}): ` : ''}${x.message}`);
    }
    return lines.join('\n');
}
