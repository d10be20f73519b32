/**
 * Names in the token stream (the rule is in names.ts). Three things happen between lexing and parsing:
 *
 * - A string written where a label goes (followed by `:`) becomes a QUOTED_NAME, or, when it has `{expression}`
 *   parts, is cut into TEMPLATE_START `"denselayer{`, the expression's own tokens, TEMPLATE_MIDDLE `}…{` and
 *   TEMPLATE_END `}"`, so that the expression is parsed, linked, hovered and renamed like any other.
 * - A keyword written where a name goes (`x -> block: conv(…)`, `block = …`, then `block -> relu`) becomes a name,
 *   so the parser reads the line as meant and the validator says once, at that word, to quote it. Without this one
 *   misplaced keyword gave a cascade of syntax errors, none of them where the mistake was.
 * - The values of those tokens: a quoted name without its quotes, escapes and doubled braces.
 *
 * The made-up token types are declared in the grammar (so the parser knows them) and turned off in the lexer.
 */
import { DefaultTokenBuilder, DefaultValueConverter, type CstNode, type GrammarAST, type LexerResult, type TokenBuilderOptions, type ValueType } from 'langium';
import { Lexer, type TokenType, type TokenVocabulary } from 'chevrotain';
import { isKeyword, labelLiteral } from './names.js';

type IToken = LexerResult['tokens'][number];
type ILexingError = LexerResult['errors'][number];

const MADE_BY_LEXER = new Set(['QUOTED_NAME', 'TEMPLATE_START', 'TEMPLATE_MIDDLE', 'TEMPLATE_END']);

/** The grammar's tokens, with the ones only the lexer makes never matched from text. */
export class ConvNetTokenBuilder extends DefaultTokenBuilder {
    override buildTokens(grammar: GrammarAST.Grammar, options?: TokenBuilderOptions): TokenVocabulary {
        const tokens = super.buildTokens(grammar, options) as TokenType[];
        for (const token of tokens) if (MADE_BY_LEXER.has(token.name)) token.PATTERN = Lexer.NA;
        return tokens;
    }
}

/** A quoted name's value is its text; a computed name's literal parts are theirs (see names.ts for the escapes). */
export class ConvNetValueConverter extends DefaultValueConverter {
    protected override runConverter(rule: GrammarAST.AbstractRule, input: string, cstNode: CstNode): ValueType {
        if (MADE_BY_LEXER.has(rule.name)) return labelLiteral(input.slice(1, -1));
        return super.runConverter(rule, input, cstNode);
    }
}

/** Keywords that open a declaration or statement followed by its name (`block Name`, `param name`, `import "…"`). */
const DECLARING = new Set(['block', 'network', 'import', 'op', 'function', 'param']);
/** Tokens after which a name followed by `:` is a label, an output, a parameter or an argument name. */
const BEFORE_LABEL = new Set(['->', '[', ',', '{', '(', ':', 'return']);
/** Keywords that only ever follow an operand (`for i in`, `a and b`, `then`, `else`). */
const AFTER_OPERAND = new Set(['in', 'and', 'or', 'then', 'else']);
/** Tokens after which an operand starts: an infix keyword there is a name (`conv(in, kernel: 1)`). */
const BEFORE_OPERAND = new Set(['->', '[', ',', '(', ':', '=', 'return', '+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '<=', '>', '>=', 'not', 'if', 'then', 'else']);

/**
 * The tokens with every keyword written where a name goes made a name. Such a keyword is followed by `=` (a tensor
 * or parameter default), or by `:` after what may precede a label; a declaring keyword inside brackets is a name
 * wherever no name follows it (`return block -> relu`), and a keyword that only follows an operand is one where an
 * operand starts (`conv(in, kernel: 1)`), as is any keyword between `for` and `in`. Read from the end, so `block block(x)` keeps its first word.
 */
export function keywordsAsNames(tokens: readonly IToken[], nameType: TokenType): IToken[] {
    const depth: number[] = [];
    const loopHeader: boolean[] = []; // between `for` and its `in`, where only names go
    let open = 0;
    let header: number | undefined; // the depth of the `for` whose header is being read
    for (const token of tokens) {
        depth.push(open);
        const type = token.tokenType.name;
        if (header !== undefined && open === header && (type === 'in' || type === ':')) header = undefined;
        loopHeader.push(header !== undefined);
        if (type === 'for') header = open;
        if (type === '(' || type === '[' || type === '{') open++;
        else if ((type === ')' || type === ']' || type === '}') && open > 0) open--;
    }
    const out = [...tokens];
    for (let i = out.length - 1; i >= 0; i--) {
        const type = out[i].tokenType.name;
        if (!isKeyword(type)) continue;
        const next = out[i + 1]?.tokenType.name;
        const previous = loopHeader[i - 1] ? 'ID' : out[i - 1]?.tokenType.name; // a loop variable is a name, keyword or not
        const asName = next === '='
            || (next === ':' && (DECLARING.has(type) || previous === undefined || BEFORE_LABEL.has(previous)))
            || (DECLARING.has(type) && depth[i] > 0 && next !== undefined && next !== 'ID' && next !== 'STRING' && !isKeyword(next))
            || (AFTER_OPERAND.has(type) && previous !== undefined && BEFORE_OPERAND.has(previous))
            || loopHeader[i];
        if (asName) out[i] = { ...out[i], tokenType: nameType, tokenTypeIdx: nameType.tokenTypeIdx! };
    }
    return out;
}

/** A string followed by `:` is a label (or an output's name), unless it is what a `for … in` walks. */
function isLabelString(tokens: readonly IToken[], i: number): boolean {
    return tokens[i].tokenType.name === 'STRING' && tokens[i + 1]?.tokenType.name === ':' && tokens[i - 1]?.tokenType.name !== 'in';
}

interface Hole {
    /** Offsets in the text of the `{` and the `}` around the expression. */
    readonly open: number;
    readonly close: number;
}

/**
 * Every string written where a label goes as a QUOTED_NAME, or cut into a computed name's tokens. `lex` lexes the
 * expression inside `{…}` (offsets from 0).
 */
export function labelTokens(result: LexerResult, text: string, types: Readonly<Record<string, TokenType>>, lex: (text: string) => LexerResult): LexerResult {
    const { tokens } = result;
    if (!tokens.some((_, i) => isLabelString(tokens, i))) return result;
    const out: IToken[] = [];
    const errors: ILexingError[] = [...result.errors];
    let hidden: IToken[] = result.hidden;
    const lines = new LineIndex(text);
    const make = (type: TokenType, start: number, end: number): IToken => {
        const from = lines.position(start);
        const to = lines.position(end - 1);
        return {
            image: text.slice(start, end), startOffset: start, endOffset: end - 1, startLine: from.line, startColumn: from.column,
            endLine: to.line, endColumn: to.column, tokenType: type, tokenTypeIdx: type.tokenTypeIdx!,
        };
    };
    const error = (offset: number, length: number, message: string) => {
        const at = lines.position(offset);
        errors.push({ offset, length, line: at.line, column: at.column, message });
    };
    tokens.forEach((token, i) => {
        if (!isLabelString(tokens, i)) {
            out.push(token);
            return;
        }
        const holes = findHoles(token, error);
        if (!holes || holes.length === 0) {
            out.push(make(types.QUOTED_NAME, token.startOffset, token.startOffset + token.image.length));
            return;
        }
        const end = token.startOffset + token.image.length;
        holes.forEach((hole, h) => {
            const partStart = h === 0 ? token.startOffset : holes[h - 1].close;
            out.push(make(h === 0 ? types.TEMPLATE_START : types.TEMPLATE_MIDDLE, partStart, hole.open + 1));
            const inner = lex(text.slice(hole.open + 1, hole.close));
            const shift = (t: IToken) => make(t.tokenType, t.startOffset + hole.open + 1, t.startOffset + t.image.length + hole.open + 1);
            out.push(...inner.tokens.map(shift));
            if (inner.hidden.length) hidden = [...hidden, ...inner.hidden.map(shift)].sort((a, b) => a.startOffset - b.startOffset);
            for (const e of inner.errors) error(e.offset + hole.open + 1, e.length, e.message);
        });
        out.push(make(types.TEMPLATE_END, holes[holes.length - 1].close, end));
    });
    return { ...result, tokens: out, errors, hidden };
}

/**
 * The `{…}` parts of a label string, or undefined (each problem reported) when a brace is unmatched or a part
 * empty. `{{` and `}}` are literal braces; a backslash escapes the character after it.
 */
function findHoles(token: IToken, error: (offset: number, length: number, message: string) => void): Hole[] | undefined {
    const image = token.image;
    const base = token.startOffset;
    const holes: Hole[] = [];
    let ok = true;
    for (let i = 1; i < image.length - 1; i++) {
        const c = image[i];
        if (c === '\\') {
            i++;
        } else if ((c === '{' || c === '}') && image[i + 1] === c) {
            i++;
        } else if (c === '{') {
            const close = image.indexOf('}', i + 1);
            if (close < 0) {
                error(base + i, 1, 'this { opens a computed part of the name that is never closed; write {{ for a literal {');
                return undefined;
            }
            if (image.slice(i + 1, close).trim() === '') {
                error(base + i, close - i + 1, 'an empty {} in a name; put an expression inside, or write {{ and }} for literal braces');
                ok = false;
            }
            holes.push({ open: base + i, close: base + close });
            i = close;
        } else if (c === '}') {
            error(base + i, 1, 'a } without its {; write }} for a literal }');
            ok = false;
        }
    }
    return ok ? holes : undefined;
}

/** 1-based lines and columns of offsets, as Chevrotain gives them. */
class LineIndex {
    private readonly starts: number[] = [0];

    constructor(text: string) {
        for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
    }

    position(offset: number): { line: number; column: number } {
        let low = 0;
        let high = this.starts.length - 1;
        while (low < high) {
            const middle = (low + high + 1) >>> 1;
            if (this.starts[middle] <= offset) low = middle;
            else high = middle - 1;
        }
        return { line: low + 1, column: offset - this.starts[low] + 1 };
    }
}
