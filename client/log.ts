/** The extension's log (Output ▸ ConvNet): the language client's and server's messages and the extension's own. */
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

/** The log channel, made on first use (the extension host gives each channel a panel in Output). */
export function extensionLog(): vscode.LogOutputChannel {
    channel ??= vscode.window.createOutputChannel('ConvNet', { log: true });
    return channel;
}
