/**
 * The one way text reaches generated Python. Names of layers and blocks are checked by the language, but file
 * names, and anything a future caller passes, are not: a file called `x"""; import os; os.system(…) #.convnet`
 * must stay inert text in the module. Only printable ASCII is written as is; everything else is an escape, so no
 * character can end a string or docstring, start a new line, or be read differently by another encoding.
 */

function escapeCodePoint(code: number): string {
    if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
    if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
    return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** The characters of `text` escaped for the inside of a double-quoted (or triple-double-quoted) Python string. */
function escapeForPython(text: string): string {
    let out = '';
    for (const ch of text) { // by code point: a well-formed surrogate pair is one character
        const code = ch.codePointAt(0)!;
        if (ch === '\\') out += '\\\\';
        else if (ch === '"') out += '\\"';
        else if (ch === '\n') out += '\\n';
        else if (ch === '\t') out += '\\t';
        else if (code >= 0x20 && code < 0x7f) out += ch;
        else out += escapeCodePoint(code);
    }
    return out;
}

/** A Python string literal holding exactly `text`: `"conv1"`, `"a\"b"`. */
export function pythonString(text: string): string {
    return `"${escapeForPython(text)}"`;
}

/** `text` as part of a docstring's content (inside `"""…"""`): it cannot close the docstring or break the line. */
export function pythonDocText(text: string): string {
    return escapeForPython(text);
}
