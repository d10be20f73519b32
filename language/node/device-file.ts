/**
 * Where "this machine"'s calibrated device profile lives and how a front end (CLI, language server) reads it: a
 * small JSON that `convnet calibrate` writes to the user's cache ($XDG_CACHE_HOME/convnet, else ~/.cache/convnet,
 * or %LOCALAPPDATA%\convnet on Windows) or to a path given. Reads are bounded and refuse special files.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { readFileBounded } from '../../io/bounded-read.js';
import { displayText } from '../util/quote.js';
import { DEVICE_PROFILES, findDeviceProfile, parseDeviceProfile, THIS_MACHINE, type DeviceProfile } from '../analysis/devices.js';

export function userCacheFolder(): string {
    if (process.env.XDG_CACHE_HOME) return path.join(process.env.XDG_CACHE_HOME, 'convnet');
    if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'convnet');
    return path.join(os.homedir(), '.cache', 'convnet');
}

/** The default file of the calibrated profile. */
export function thisMachineProfilePath(): string {
    return path.join(userCacheFolder(), 'this-machine.json');
}

/**
 * The profile `device` names: a shipped id, `this-machine` (the calibrated file in the cache) or a path to a profile
 * JSON. A one-sentence reason when there is none.
 */
export function loadDeviceProfile(device: string): DeviceProfile | string {
    const shipped = findDeviceProfile(device);
    if (shipped) return shipped;
    const isPath = device !== THIS_MACHINE && (device.endsWith('.json') || device.includes('/') || device.includes(path.sep));
    if (device !== THIS_MACHINE && !isPath) {
        return `unknown device '${displayText(device)}' (known: ${[...DEVICE_PROFILES.map(d => d.id), THIS_MACHINE].join(', ')}, or a profile's .json path)`;
    }
    const file = isPath ? device : thisMachineProfilePath();
    let text: string;
    try {
        text = new TextDecoder().decode(readFileBounded(file, 'source', 'the device profile'));
    } catch (e) {
        // (No fs here: the web extension bundles this file with a web version of the bounded reader.)
        if (device === THIS_MACHINE) return `this machine is not calibrated yet (no readable ${displayText(file, 120)}); run: convnet calibrate`;
        return e instanceof Error ? e.message : String(e);
    }
    return parseDeviceProfile(text, displayText(file, 120));
}
