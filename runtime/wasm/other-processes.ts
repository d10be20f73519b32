/**
 * How many cores other processes keep busy: the machine's busy CPU time (every core's: machine-busy.ts) less this
 * process's own (`process.cpuUsage()`, every thread of it), over the wall time between two looks. It tells a shared
 * machine from a quiet one whatever the scheduler does with our own threads — on a virtual machine that wakes a
 * thread on its waker's core, two threads of ours may share one core while the other idles, which the split jobs
 * alone cannot tell from another process taking a core. Node only: where CPU times are missing (a browser),
 * `cores()` is undefined.
 */
import { machineBusyTimes, type BusyTimes } from './machine-busy.js';

export type { BusyTimes };

/**
 * The shortest span, in ms, a figure is taken over: the machine's CPU times count in ticks of 10 ms per core, so
 * over 100 ms a figure is good to about 0.2 cores.
 */
export const OTHER_PROCESSES_SPAN_MS = 100;

export class OtherProcesses {
    private last: (BusyTimes & { at: number }) | undefined;
    private lastCores = NaN;

    /** `now`: the clock, in ms (a test's own); `sample`: the busy times (a test's own). */
    constructor(private readonly now: () => number = () => performance.now(),
        private readonly sample: () => BusyTimes | undefined = machineBusyTimes) {
        const first = this.sample();
        if (first) this.last = { ...first, at: this.now() };
    }

    /**
     * Cores other processes kept busy over the last span of OTHER_PROCESSES_SPAN_MS or more (looked at again once
     * one has passed): NaN until the first span has passed, undefined where CPU times
     * are unknown.
     */
    cores(): number | undefined {
        if (!this.last) return undefined;
        const at = this.now();
        if (at - this.last.at < OTHER_PROCESSES_SPAN_MS) return this.lastCores;
        const next = this.sample();
        if (!next) return undefined;
        const others = (next.machine - this.last.machine) - (next.ours - this.last.ours);
        this.lastCores = Math.max(0, others / (at - this.last.at));
        this.last = { ...next, at };
        return this.lastCores;
    }

    /** The cores other processes leave idle (the machine's less `cores()`): NaN and undefined as there. */
    idleCores(): number | undefined {
        const others = this.cores();
        return others === undefined || !this.last ? undefined : Math.max(0, this.last.cores - others);
    }
}

let processWide: OtherProcesses | undefined;

/**
 * The one OtherProcesses of this process, started by the first caller (threads.ts, as it loads): a team made later
 * (each layer of the bench, each network a user runs) has a figure from its first job, where one of its own would
 * have none for its first 100 ms — a single layer's whole run.
 */
export function otherProcesses(): OtherProcesses {
    return processWide ??= new OtherProcesses();
}
