/**
 * The machine's busy CPU time so far, its cores and this process's own busy time: what OtherProcesses compares over
 * time. On Linux the machine's time comes from the first line of /proc/stat — one read of 256 bytes — where
 * `os.cpus()` also reads /proc/cpuinfo and every core's frequency file (~50 µs on 2 cores, growing with every core,
 * and looked at every 100 ms while a team splits jobs); elsewhere from `os.cpus()`. Both count the same time: user,
 * nice, system and interrupts. The web bundles map this module to client/web/shims/machine-busy.ts: a browser has
 * no CPU times.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** The machine's cores, and the busy ms of all of them and of this process so far. */
export interface BusyTimes {
    cores: number;
    machine: number;
    ours: number;
}

/** /proc/stat counts in USER_HZ, which Linux fixes at 100 a second for user space. */
const PROC_STAT_TICK_MS = 10;

/** The bytes of /proc/stat read: its first line ("cpu  user nice system idle iowait irq …") fits with room to spare. */
const procStatHead = Buffer.alloc(256);

/** False once /proc/stat is missing or unreadable (not Linux, a sandbox): then os.cpus() for good. */
let procStatReadable = typeof process !== 'undefined' && process.platform === 'linux';

let machineCores: number | undefined;

/** The whole machine's busy ms from /proc/stat, or undefined where it cannot be read. */
function procStatBusyMs(): number | undefined {
    if (!procStatReadable) return undefined;
    let fd: number | undefined;
    try {
        fd = fs.openSync('/proc/stat', 'r');
        const length = fs.readSync(fd, procStatHead, 0, procStatHead.length, 0);
        const fields = procStatHead.toString('latin1', 0, length).split('\n', 1)[0].split(/ +/);
        const [user, nice, system, , , irq] = fields.slice(1, 7).map(Number);
        const ticks = user + nice + system + irq;
        if (fields[0] !== 'cpu' || !Number.isFinite(ticks)) throw new Error('unexpected /proc/stat');
        return ticks * PROC_STAT_TICK_MS;
    } catch {
        procStatReadable = false;
        return undefined;
    } finally {
        if (fd !== undefined) fs.closeSync(fd);
    }
}

/** The whole machine's busy ms from os.cpus(), or undefined where the times are missing. */
function cpusBusyMs(): number | undefined {
    let machine = 0;
    for (const cpu of os.cpus() as { times?: { user: number; nice: number; sys: number; irq: number } }[]) {
        if (!cpu.times) return undefined;
        machine += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
    }
    return machine;
}

/** The machine's busy times now, or undefined where they are unknown. */
export function machineBusyTimes(): BusyTimes | undefined {
    if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return undefined;
    machineCores ??= os.cpus().length;
    if (machineCores === 0) return undefined;
    const machine = procStatBusyMs() ?? cpusBusyMs();
    if (machine === undefined) return undefined;
    const ours = process.cpuUsage();
    return { cores: machineCores, machine, ours: (ours.user + ours.system) / 1000 };
}
