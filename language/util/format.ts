/** How numbers read everywhere a person sees them: the CLI, hovers, lenses, the status bar and drawings. */

/** 11,689,512 */
export function withCommas(n: number): string {
    return Math.round(n).toLocaleString('en-US');
}

/** 1.81 G, 118.01 M, 9.41 k, 512 */
export function humanCount(n: number): string {
    const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (const [scale, unit] of units) if (Math.abs(n) >= scale) return `${(n / scale).toFixed(2)} ${unit}`;
    return String(Math.round(n));
}

/** 6.13 MiB, 44.6 MiB, 512 B */
export function formatBytes(bytes: number): string {
    if (bytes < 1024) return `${bytes} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${units[unit]}`;
}

