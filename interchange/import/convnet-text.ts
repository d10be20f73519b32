/**
 * The one gate between text that comes from a model — producer name and version, graph, node, tensor and
 * parameter names, symbolic dimension names, the model's file name — and the `.convnet` file the importer writes.
 * Such text is never pasted into the file as it is: a newline in `producer_version` would end the header comment
 * and turn the rest into declarations, a `-` in a layer's name would make a subtraction.
 *
 * Every piece goes through `convnetText(text, target)`, which makes it what its place in the file can hold:
 *   - 'comment': one line of a `#` comment (the language's comments end at \n or \r): control characters, line and
 *     paragraph separators, bidi controls and lone surrogates are escaped as `displayText` escapes them in
 *     messages, and very long text is elided in the middle;
 *   - 'identifier': a legal name (`[_A-Za-z]\w*`, not a keyword, at most MAX_NAME characters) for a block, tensor or
 *     parameter, which the language writes only bare: other text is renamed, `block1-0` → `block1_0`, `0` → `_0`,
 *     `if` → `if_`, a very long name cut and ended with a hash of the whole;
 *   - 'label': a layer's label or an output's name, kept exactly (language/names.ts): bare when it is a plain name or a
 *     child's position (`0`, `12`) as PyTorch numbers them, quoted otherwise (`'block'`, `'block1-0'`, `'01'`), with
 *     `{` and `}` doubled so that nothing is computed; only a name the language cannot hold (empty, or with a `.`),
 *     one with control or invisible characters and a very long one are renamed as identifiers;
 *   - 'output': an output's name, as a label, but quoted when a number (only a layer's label may be a bare number);
 *   - 'string': a string literal, quoted, with the escapes the language reads (Langium's value converter).
 */
import { BUILTIN_FUNCTIONS } from '../../language/elaboration/functions.js';
import { KEYWORDS, isKeyword, isPlainName, labelProblem } from '../../language/names.js';
import { allOpNames } from '../../language/ops/registry.js';
import { displayText } from '../../language/util/quote.js';

export type ConvNetTextTarget = 'comment' | 'identifier' | 'label' | 'output' | 'string';

export { KEYWORDS };

/** Names the text never gives a network, block, tensor or block parameter: keywords, ops and built-in functions. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([...KEYWORDS, ...allOpNames(), ...Object.keys(BUILTIN_FUNCTIONS)]);

/** The longest comment line written; longer model text is elided in the middle. */
const MAX_COMMENT = 400;

/**
 * The longest name written. PyTorch's names are far shorter; a name of thousands of characters (which the language
 * may refuse, and which every message and hover would repeat) is cut, with a hash of the whole to keep it apart.
 */
export const MAX_NAME = 200;

/**
 * The largest child position kept as a number. A position is written as list items (the gap before it filled with
 * identity), so a name such as `layer.99999999999` must not become that many items.
 */
export const MAX_POSITION = 9_999;

const POSITION = /^(0|[1-9]\d*)$/;

/** `text` as its place in a `.convnet` file can hold it (see the targets above). */
export function convnetText(text: string, target: ConvNetTextTarget): string {
    switch (target) {
        case 'comment': return commentLine(text);
        case 'identifier': return identifier(text);
        case 'label': return label(text);
        case 'output': return isPosition(text) ? quotedLabel(text) : label(text);
        case 'string': return stringLiteral(text);
    }
}

/** Whether `text` is a name the language reads as it is (an identifier that is no keyword). */
export function isLegalName(text: string): boolean {
    return text.length <= MAX_NAME && isPlainName(text);
}

/**
 * Characters a quoted name does not hold: controls, line and paragraph separators, bidi controls and lone surrogates
 * would act on a terminal or hide text, and the language's strings have no escape for most of them.
 */
const UNQUOTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `text` can be a layer's label or an output's name as it is (quoted when it is not a plain name). */
export function isLabelName(text: string): boolean {
    return text.length <= MAX_NAME && labelProblem(text) === undefined && !UNQUOTABLE.test(text);
}

/** Whether `name` cannot name a network or block (a keyword, an op or a built-in function). */
export function isReservedName(name: string): boolean {
    return RESERVED_NAMES.has(name);
}

/** Whether `text` is a label that says a child's position (`0`, `3`). */
export function isPosition(text: string): boolean {
    return POSITION.test(text) && Number(text) <= MAX_POSITION;
}

function commentLine(text: string): string {
    return displayText(text, MAX_COMMENT);
}

function identifier(text: string): string {
    if (isLegalName(text)) return text;
    let name = text.replace(/[^\w]/g, '_').replace(/_+/g, '_');
    if (!name || /^\d/.test(name)) name = `_${name}`;
    if (name.length > MAX_NAME) name = `${name.slice(0, MAX_NAME - 10)}_${fnv1a(text)}`;
    return isKeyword(name) ? `${name}_` : name;
}

/** FNV-1a of `text` as 8 hex digits: a short, stable stand-in for the part of a long name that is cut. */
function fnv1a(text: string): string {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return hash.toString(16).padStart(8, '0');
}

function label(text: string): string {
    if (isPosition(text) || isLegalName(text)) return text;
    return isLabelName(text) ? quotedLabel(text) : identifier(text);
}

function quotedLabel(text: string): string {
    // The quote the text does not hold, if either; braces doubled, so the label is not computed.
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    const escaped = text.replace(/[\\'"]/g, c => (c === '\\' ? '\\\\' : c === quote ? `\\${c}` : c)).replace(/[{}]/g, c => c + c);
    return `${quote}${escaped}${quote}`;
}

const STRING_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\0': '\\0' };

function stringLiteral(text: string): string {
    return `"${text.replace(/[\\"\n\r\t\b\f\v\0]/g, c => STRING_ESCAPES[c])}"`;
}
