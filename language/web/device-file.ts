/**
 * language/node/device-file.ts in the browser (the web bundles use this file in its place, esbuild.mjs): there is
 * no user cache to hold a calibrated profile, so a device is a shipped profile; `this-machine` or a profile's path
 * says in one sentence that it needs the desktop editor.
 */
import { DEVICE_PROFILES, findDeviceProfile, THIS_MACHINE, type DeviceProfile } from '../analysis/devices.js';
import { displayText } from '../util/quote.js';

export function userCacheFolder(): string {
    return '';
}

export function thisMachineProfilePath(): string {
    return '';
}

export function loadDeviceProfile(device: string): DeviceProfile | string {
    const shipped = findDeviceProfile(device);
    if (shipped) return shipped;
    if (device === THIS_MACHINE) return 'in the browser this machine cannot be calibrated (convnet calibrate runs on the desktop)';
    if (device.endsWith('.json') || device.includes('/')) return `a device profile file (${displayText(device, 120)}) is read in the desktop editor only`;
    return `unknown device '${displayText(device)}' (known: ${[...DEVICE_PROFILES.map(d => d.id), THIS_MACHINE].join(', ')})`;
}
