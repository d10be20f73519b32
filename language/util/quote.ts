/**
 * The one way text that came from an input (a file name, an ONNX node or tensor name, an identifier from a
 * `.convnet` file) is shown inside a message: on one line, with control characters, lone surrogates and other
 * invisible characters escaped (so a name cannot clear the terminal or print a fake line), and elided in the
 * middle when long (so a 200 KB identifier does not become a 200 KB message).
 */

const DEFAULT_LIMIT = 80;

/** Characters that would act on a terminal or break the line: C0/C1 controls, DEL, line/paragraph separators, bidi controls. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function escapeCharacter(ch: string): string {
    const code = ch.charCodeAt(0);
    switch (ch) {
        case '\n': return '\\n';
        case '\r': return '\\r';
        case '\t': return '\\t';
        case '\x1b': return '\\e';
        default: return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
}

/** `text` made safe for one line of a message, at most about `limit` characters (without quotes). */
export function displayText(text: string, limit = DEFAULT_LIMIT): string {
    let shown = text;
    if (shown.length > limit) {
        const keep = Math.max(4, Math.floor((limit - 1) / 2));
        shown = `${shown.slice(0, keep)}…${shown.slice(shown.length - keep)}`;
    }
    let out = '';
    for (let i = 0; i < shown.length; i++) {
        const ch = shown[i];
        const code = shown.charCodeAt(i);
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < shown.length && /[\udc00-\udfff]/.test(shown[i + 1])) {
            out += ch + shown[++i]; // a well-formed pair: one visible character
        } else if (code >= 0xd800 && code <= 0xdfff) {
            out += `\\u${code.toString(16)}`; // a lone surrogate
        } else if (INVISIBLE.test(ch)) {
            out += escapeCharacter(ch);
        } else {
            out += ch;
        }
    }
    return out;
}

/** `'name'`: quoted for a message, escaped and elided as `displayText`. */
export function quoted(text: string, limit = DEFAULT_LIMIT): string {
    return `'${displayText(text, limit)}'`;
}
