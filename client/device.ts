/**
 * The setting convnet.device, resolved to a device profile for the roofline: a shipped profile's id, `this-machine`
 * (the file `convnet calibrate` writes; when this machine is not calibrated yet, the desktop CPU core's profile with a
 * note saying so) or a profile's .json path. The client resolves it (it can read the file) and sends it to the
 * server for the hovers; the Summary view sends it with its request.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { findDeviceProfile, THIS_MACHINE, type DeviceProfile } from '../language/analysis/devices.js';
import { loadDeviceProfile } from '../language/node/device-file.js';
import { DeviceNotification } from '../server/protocol.js';

export interface ResolvedDevice {
    readonly device?: DeviceProfile;
    /** Why the setting's device is not the one used (not calibrated, unreadable file …). */
    readonly note?: string;
}

export function resolveDeviceSetting(): ResolvedDevice {
    const setting = vscode.workspace.getConfiguration('convnet').get<string>('device', THIS_MACHINE).trim();
    if (setting === '' || setting === 'off') return {};
    const device = loadDeviceProfile(setting);
    if (typeof device !== 'string') return { device };
    const fallback = findDeviceProfile('desktop-cpu-core')!;
    return { device: fallback, note: `${device} — showing ${fallback.name} instead.` };
}

/** Sends the device now and whenever the setting changes. */
export function followDeviceSetting(client: LanguageClient, disposables: vscode.Disposable[]): void {
    const send = () => void client.sendNotification(DeviceNotification.method, { device: resolveDeviceSetting().device });
    send();
    disposables.push(vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('convnet.device')) send(); }));
}
