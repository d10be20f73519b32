/**
 * The smallest input that reaches the head, for a network with size variables (symbolic-sizes.ts): for each size
 * variable of a spatial axis, the smallest value at which the network elaborates without an error, the other size
 * variables at their defaults, and the error one size below it.
 *
 * Validity is not monotonic in the size: a map pooled by 2 and upsampled by 2 back onto its own skip connection
 * works at even sizes only (6 works, 7 fails, 8 works), so a bisection between 1 and the default can land on any
 * even size. Nor is it the same for every axis (a 5×3 kernel needs H ≥ 5 but W ≥ 3). So each variable is scanned
 * upward from 1, one elaboration (linear in the network) per size, until a size works — at the latest its default,
 * which works — or MAX_PROBES sizes were tried. Sizes above the smallest may still fail; the classes of sizes that
 * work are the unread-rows scan's (symbolic-sizes.ts).
 */
import type { Elaboration, ElaborationDiagnostic } from '../elaboration/elaborator.js';

/** Sizes one variable's scan tries at most (U-Net's smallest tile is 188; ImageNet networks reach theirs below 100). */
export const MAX_PROBES = 256;

export interface SmallestSize {
    readonly variable: string;
    /** The smallest value that elaborates without an error, the other size variables at their defaults. */
    readonly size?: number;
    /** The error at `size − 1` (every size below `size` fails). */
    readonly below?: { readonly size: number; readonly message: string; readonly line: number };
    /** Why there is no `size` (the scan stopped at its cap). */
    readonly note?: string;
}

export interface SmallestInput {
    /** One entry per size variable of a spatial axis (a variable that sizes both axes is one entry). */
    readonly variables: readonly SmallestSize[];
    /** With several variables: whether their smallest values together elaborate (each was found with the others at their defaults). */
    readonly together?: { readonly ok: boolean; readonly message?: string; readonly line?: number };
    readonly note?: string;
}

export interface ScannedVariable {
    readonly name: string;
    readonly default: number;
}

/** 1-based line of a diagnostic: where the elaboration was when it raised it. */
export function diagnosticLine(d: ElaborationDiagnostic): number {
    const at = d.trace[0] ?? d.node;
    return (at.$cstNode?.range.start.line ?? 0) + 1;
}

/**
 * Scans each of `spatial` upward from 1 with the other size variables at `defaults`; `elaborate` elaborates the
 * network at some values of its size variables.
 */
export function smallestInput(spatial: readonly ScannedVariable[], defaults: ReadonlyMap<string, number>, elaborate: (values: ReadonlyMap<string, number>) => Elaboration): SmallestInput {
    if (spatial.length === 0) return { variables: [], note: 'no size variable sizes a spatial axis' };
    const errorAt = (values: ReadonlyMap<string, number>) => elaborate(values).diagnostics.find(d => d.severity === 'error');
    const variables = spatial.map((v): SmallestSize => {
        let below: ElaborationDiagnostic | undefined;
        const last = Math.min(v.default, MAX_PROBES);
        for (let size = 1; size <= last; size++) {
            // The default elaborated without an error before any of this was asked.
            const error = size === v.default ? undefined : errorAt(new Map(defaults).set(v.name, size));
            if (!error) return { variable: v.name, size, ...(below ? { below: { size: size - 1, message: below.message, line: diagnosticLine(below) } } : {}) };
            below = error;
        }
        return { variable: v.name, note: `no ${v.name} from 1 to ${last} elaborates (the scan stops at ${MAX_PROBES}; the default ${v.default} does)` };
    });
    if (spatial.length === 1 || variables.some(v => v.size === undefined)) return { variables };
    const error = errorAt(new Map([...defaults, ...variables.map(v => [v.variable, v.size!] as const)]));
    return { variables, together: error ? { ok: false, message: error.message, line: diagnosticLine(error) } : { ok: true } };
}

/** `Smallest input that reaches the head: H = 6, W = 4; at H = 5, line 3: …` — the line `summary --sizes` prints. */
export function smallestInputLines(s: SmallestInput): string[] {
    const found = s.variables.filter(v => v.size !== undefined);
    const lines: string[] = [];
    if (found.length) {
        const square = found.length === s.variables.length && found.every(v => v.size === found[0].size);
        const sizes = square ? `${found.map(v => v.variable).join(' = ')} = ${found[0].size}` : found.map(v => `${v.variable} = ${v.size}`).join(', ');
        // A square's variables fail below it alike (the height's message, then the width's): the first says why.
        const failures = (square ? found.slice(0, 1) : found).filter(v => v.below);
        const why = failures.length
            ? `; ${failures.map(v => `at ${v.variable} = ${v.below!.size}, line ${v.below!.line}: ${v.below!.message}`).join('; ')}`
            : ' (no size is smaller)';
        lines.push(`Smallest input that reaches the head: ${sizes}${why}`);
    }
    for (const v of s.variables) if (v.note) lines.push(`Smallest input: ${v.note}`);
    if (s.together && !s.together.ok) lines.push(`Smallest input: ${found.map(v => `${v.variable} = ${v.size}`).join(' and ')} together fail, line ${s.together.line}: ${s.together.message}`);
    if (s.note) lines.push(`Smallest input: ${s.note}`);
    return lines;
}
