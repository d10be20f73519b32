/**
 * The messages the extension shows (error, warning, information notifications), kept so that the extension's
 * API can tell tests what a person saw — e.g. that a refused run said why in one readable sentence.
 */
import * as vscode from 'vscode';
import { extensionLog } from './log.js';

export interface Notice {
    readonly severity: 'error' | 'warning' | 'info';
    readonly message: string;
    readonly actions: readonly string[];
}

const KEPT = 50;
const notices: Notice[] = [];

/** What the extension has shown so far (the last 50), oldest first. */
export function shownNotices(): readonly Notice[] {
    return notices;
}

function record(severity: Notice['severity'], message: string, actions: string[]): void {
    // What a person was told is in the log too, where a bug report can quote it.
    const log = extensionLog();
    if (severity === 'error') log.error(message);
    else if (severity === 'warning') log.warn(message);
    else log.info(message);
    notices.push({ severity, message, actions });
    if (notices.length > KEPT) notices.splice(0, notices.length - KEPT);
}

/** Resolves with the action chosen, or undefined when the notification is dismissed (it may never resolve). */
export function showError(message: string, ...actions: string[]): Thenable<string | undefined> {
    record('error', message, actions);
    return vscode.window.showErrorMessage(message, ...actions);
}

export function showWarning(message: string, ...actions: string[]): Thenable<string | undefined> {
    record('warning', message, actions);
    return vscode.window.showWarningMessage(message, ...actions);
}

export function showInfo(message: string, ...actions: string[]): Thenable<string | undefined> {
    record('info', message, actions);
    return vscode.window.showInformationMessage(message, ...actions);
}
