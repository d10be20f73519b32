/**
 * The one rule for names. A layer label or output name is any PyTorch module-name segment: a plain name
 * (`conv1`), a whole number (`0`, for the children PyTorch numbers), or anything else in quotes — a keyword
 * (`'block'`), a `-` (`"block1-0"`), a digit first (`'3x3'`) — with `{expression}` parts computed while elaborating
 * (`"denselayer{i + 1}"`). Only `.` (PyTorch joins nested names with it) and the empty name are refused.
 * Names of tensors, parameters, loop variables, blocks and networks are plain names, never keywords.
 */
import { AstUtils, GrammarAST, GrammarUtils, type AstNode, type CstNode } from 'langium';
import { ConvNetGrammar } from './generated/grammar.js';

/** The language's keywords, read from the grammar: the words a plain name cannot be. */
export const KEYWORDS: readonly string[] = AstUtils.streamAllContents(ConvNetGrammar())
    .filter(GrammarAST.isKeyword)
    .map(k => k.value)
    .filter(v => /^[a-z]+$/.test(v))
    .distinct()
    .toArray()
    .sort();

const keywordSet = new Set(KEYWORDS);

export function isKeyword(text: string): boolean {
    return keywordSet.has(text);
}

/** A name that can be written without quotes: an identifier that is not a keyword. */
export function isPlainName(text: string): boolean {
    return /^[_a-zA-Z]\w*$/.test(text) && !keywordSet.has(text);
}

/** Why `name` cannot name a layer (or an output), or undefined when it can. */
export function labelProblem(name: string): string | undefined {
    if (name === '') return 'a layer name cannot be empty';
    if (name.includes('.')) return `a layer name cannot contain '.' (PyTorch joins the names of nested modules with it)`;
    return undefined;
}

/**
 * The text a quoted label's literal part stands for: backslash escapes as in any string (`\'`, `\\`, `\n`), and
 * `{{` and `}}` for a literal brace, since a single `{` opens a computed part.
 */
export function labelLiteral(inside: string): string {
    let out = '';
    for (let i = 0; i < inside.length; i++) {
        const c = inside[i];
        if (c === '\\' && i + 1 < inside.length) {
            const e = inside[++i];
            out += ESCAPES[e] ?? e;
        } else if ((c === '{' || c === '}') && inside[i + 1] === c) {
            out += c;
            i++;
        } else {
            out += c;
        }
    }
    return out;
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', 0: '\0' };

/** The text of `node`'s name `property` when it is a keyword written bare: the lexer let it stand where a name goes (lexer.ts). */
export function keywordAsName(node: AstNode, property: string): CstNode | undefined {
    const cst = GrammarUtils.findNodeForProperty(node.$cstNode, property);
    return cst && isKeyword(cst.text) ? cst : undefined;
}

/** Whether `node`'s name `property` is written in quotes (`'block'`), as opposed to a plain name or a number. */
export function isQuoted(node: AstNode, property: string): boolean {
    const text = GrammarUtils.findNodeForProperty(node.$cstNode, property)?.text;
    return text !== undefined && (text.startsWith("'") || text.startsWith('"'));
}

/**
 * Why the name `name` written as `node`'s `property` cannot name a module: undefined when it can, '' when the lexer
 * has said why (a quoted name left with a single brace, whose `{…}` could not be read as a computed part).
 */
export function writtenLabelProblem(node: AstNode, property: string, name: string): string | undefined {
    const text = GrammarUtils.findNodeForProperty(node.$cstNode, property)?.text;
    if (!text || !(text.startsWith("'") || text.startsWith('"'))) return undefined;
    if (hasSingleBrace(text)) return '';
    return labelProblem(name);
}

/** Whether a quoted name holds a `{` or `}` that is not doubled (nor escaped). */
function hasSingleBrace(quoted: string): boolean {
    for (let i = 1; i < quoted.length - 1; i++) {
        const c = quoted[i];
        if (c === '\\') i++;
        else if ((c === '{' || c === '}') && quoted[i + 1] === c) i++;
        else if (c === '{' || c === '}') return true;
    }
    return false;
}
