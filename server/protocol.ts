/**
 * The custom requests between the extension and the language server, declared once and imported by both.
 * Each names a network by the URI of its file and its name.
 */
import { NotificationType, RequestType } from 'vscode-languageserver';
import type { NetworkGraph } from '../language/elaboration/graph.js';
import type { NetworkSummary, SummaryFigures } from '../language/analysis/summary.js';
import type { Optimizer, TrainingMemory } from '../language/analysis/training-memory.js';
import type { DeviceProfile } from '../language/analysis/devices.js';
import type { Roofline } from '../language/analysis/roofline.js';
import type { Insight } from '../language/analysis/insights.js';
import type { ConventionName } from '../language/analysis/conventions.js';
import type { InferencePrecision } from '../language/analysis/precision.js';
import type { SymbolicSizesText } from '../language/analysis/symbolic-sizes.js';

export interface NetworkParams {
    readonly uri: string;
    /** Omitted: the network at `position`, else the file's first network. */
    readonly network?: string;
    readonly position?: { line: number; character: number };
}

/** A summary request may ask for the memory of a training step too (the Summary view's Training section). */
export interface SummaryParams extends NetworkParams {
    readonly training?: { readonly batch: number; readonly optimizer: Optimizer };
    /** The device of the setting convnet.device, resolved by the client (it reads this machine's calibration file). */
    readonly device?: DeviceProfile;
    /**
     * The Summary view's figures (settings convnet.convention and convnet.precision): every layer counted as that
     * tool counts, and bytes at that number format (the roofline's too). With them come the size variables' formulas.
     */
    readonly figures?: { readonly convention: ConventionName; readonly precision: InferencePrecision };
}

export interface NetworkListResult {
    readonly networks: { name: string; line: number }[];
}

export interface GraphResult {
    /** Absent when the file has no such network or it has errors (then `errors` says why). */
    readonly graph?: NetworkGraph;
    readonly errors: string[];
}

export interface SummaryResult {
    readonly summary?: NetworkSummary;
    /** When the request asked for it: the step's memory (without its per-layer rows). */
    readonly training?: Omit<TrainingMemory, 'layers'>;
    /** When the request named a device: every layer's bytes, intensity and predicted time, and the guidelines' costs. */
    readonly roofline?: Roofline;
    readonly insights?: Insight[];
    /** When the request asked for figures: the convention's counts, the bytes at the precision and their lines of text. */
    readonly figures?: SummaryFigures;
    /** When the request asked for figures and the network declares size variables: `summary --sizes`' formulas and valid sizes. */
    readonly sizes?: SymbolicSizesText;
    readonly errors: string[];
}

export const NetworksRequest = new RequestType<{ uri: string }, NetworkListResult, void>('convnet/networks');
export const GraphRequest = new RequestType<NetworkParams, GraphResult, void>('convnet/graph');
export const SummaryRequest = new RequestType<SummaryParams, SummaryResult, void>('convnet/summary');
/** The client's device profile (setting convnet.device), for the hovers' predicted times; none: no prediction. */
export const DeviceNotification = new NotificationType<{ readonly device?: DeviceProfile }>('convnet/device');

/** Command ids the code lenses and quick fixes carry; the extension registers them. */
export const Commands = {
    runModel: 'convnet.runModel',
    showSummary: 'convnet.showSummary',
    showGraph: 'convnet.showGraph',
    /** Run after a quick fix's edit: it does nothing but mark the walkthrough's "fix a mistake" step done. */
    quickFixApplied: 'convnet.quickFixApplied',
} as const;
