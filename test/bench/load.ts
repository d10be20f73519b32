/**
 * The load a benchmark runs under: how many cores other processes kept busy while it measured, and a way to
 * measure while another process burns a core, as a user's machine rarely is idle (Linux's /proc).
 */
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';

/** Busy CPU time of the whole machine, and of this process with its finished children, in seconds (Linux). */
function cpuSeconds(): { machine: number; ours: number } | undefined {
    try {
        const ticks = 100; // USER_HZ on Linux
        const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
        const [user, nice, system, , , irq, softirq, steal] = cpu;
        const self = fs.readFileSync('/proc/self/stat', 'utf8');
        const fields = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
        // utime, stime, cutime, cstime are fields 14–17 of the file; 12–15 after the name.
        const [utime, stime, cutime, cstime] = fields.slice(11, 15);
        return { machine: (user + nice + system + irq + softirq + steal) / ticks, ours: (utime + stime + cutime + cstime) / ticks };
    } catch {
        return undefined;
    }
}

/** Measures `work` and how many cores other processes kept busy meanwhile (the load the figures were taken under). */
export function withLoad<T>(work: () => T): { result: T; otherCores?: number } {
    const [before, t0] = [cpuSeconds(), performance.now()];
    const result = work();
    const [after, seconds] = [cpuSeconds(), (performance.now() - t0) / 1000];
    if (!before || !after) return { result };
    return { result, otherCores: Math.max(0, (after.machine - before.machine - (after.ours - before.ours)) / seconds) };
}

/** Runs `work` while another process keeps one core busy, as a user's machine rarely is idle. */
export function whileBusy<T>(work: () => T): T {
    const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
        return work();
    } finally {
        burner.kill('SIGKILL');
    }
}
