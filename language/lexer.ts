/**
 * The lexer, with a guard for the parser. The parser and Langium's tree linking recurse once per level of
 * nesting (brackets, `if`, `for`, `repeat`, prefix operators) and once per operator of a left-nested chain
 * (`a + b + …`, `x -> f -> …`); thousands of either overflow the stack, which would throw out of parsing and
 * leave the shared parser unusable. So the tokens are measured first: a bracket nested beyond LIMITS is left
 * out of what the parser sees up to the bracket that closes it, an operator beyond LIMITS up to the end of its
 * expression; each cut is reported as a lexing error, and the rest of the file is read as usual. A name longer
 * than LIMITS.nameLength is reported the same way (and kept, so that the rest of the file still makes sense).
 * Before all that, names get their tokens (name-tokens.ts): quoted and computed labels, keywords written as names.
 */
import { DefaultLexer, type LexerResult, type TokenizeOptions } from 'langium';
import { LIMITS } from './elaboration/limits.js';
import { withCommas } from './util/format.js';
import { keywordsAsNames, labelTokens } from './name-tokens.js';

type IToken = LexerResult['tokens'][number];
type ILexingError = LexerResult['errors'][number];

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
/** Each nests what follows it one level deeper until the expression ends. */
const NESTING = new Set(['if', 'for', 'repeat']);
const PREFIX = new Set(['not', '**']);
/** Binary operators: each wraps everything before it in the expression one level deeper. */
const BINARY = new Set(['+', '-', '*', '/', '//', '%', '==', '!=', '<', '<=', '>', '>=', 'and', 'or', '->', '.']);
/** Tokens that end the operand of the prefix operators before them. */
const CLAUSES = new Set(['then', 'else', 'in', ':']);
/** Tokens that end an expression at their level. */
const SEPARATORS = new Set([',', '=', 'return', 'block', 'network', 'import', 'op', 'function']);
/** Tokens after which an operand has ended (so `-` is binary and `[` indexes). */
const OPERAND_ENDS = new Set(['ID', 'NUMBER', 'STRING', 'true', 'false', ')', ']']);

interface Level {
    /** `if`, `for`, `repeat` open in this expression. */
    nesting: number;
    /** Prefix `-`/`not` and `**` not yet closed by a lower-precedence operator. */
    prefix: number;
    /** Operators of the chain being built at this level. */
    chain: number;
}

export class ConvNetLexer extends DefaultLexer {
    override tokenize(text: string, options?: TokenizeOptions): LexerResult {
        const lexed = super.tokenize(text, options);
        const named = labelTokens({ ...lexed, tokens: keywordsAsNames(lexed.tokens, this.tokenTypes.ID) }, text, this.tokenTypes, inner => super.tokenize(inner, options));
        const result = cutUnclosedComment(named);
        const guarded = guardNesting(result.tokens);
        const longNames = overlongNames(result.tokens);
        if (guarded.errors.length === 0 && longNames.length === 0) return result;
        return { ...result, tokens: guarded.tokens, errors: [...result.errors, ...guarded.errors, ...longNames] };
    }
}

/**
 * A `/*` that is never closed does not lex as a comment, so it would reach the parser as a division and a
 * multiplication ("Expecting … but found `/`"). A `/` directly followed by `*` can only be that: everything after
 * it is the unfinished comment, and the error says so.
 */
function cutUnclosedComment(result: LexerResult): LexerResult {
    const tokens = result.tokens;
    const at = tokens.findIndex((t, i) => t.image === '/' && tokens[i + 1]?.image === '*' && tokens[i + 1].startOffset === t.startOffset + 1);
    if (at < 0) return result;
    const start = tokens[at];
    const error: ILexingError = { offset: start.startOffset, line: start.startLine, column: start.startColumn, length: 2, message: 'this /* comment is never closed (no */ after it)' };
    return { ...result, tokens: tokens.slice(0, at), errors: [...result.errors, error] };
}

/** The tokens without the parts nested or chained beyond the limits, and an error for each part left out. */
export function guardNesting(tokens: readonly IToken[]): { tokens: IToken[]; errors: ILexingError[] } {
    const kept: IToken[] = [];
    const errors: ILexingError[] = [];
    const levels: Level[] = [{ nesting: 0, prefix: 0, chain: 0 }];
    let depth = 0; // brackets open, plus every level's nesting and prefix operators
    let chain = 0; // every level's chain
    // Leaving out a bracket up to the one that closes it, or the rest of the innermost expression.
    let skipping: 'bracket' | 'expression' | undefined;
    let skippedBrackets = 0; // brackets opened while skipping, not yet closed
    let previous: string | undefined;
    const current = () => levels[levels.length - 1];
    const resetLevel = () => {
        const level = current();
        depth -= level.nesting + level.prefix;
        chain -= level.chain;
        level.nesting = level.prefix = level.chain = 0;
    };
    const closePrefix = () => {
        depth -= current().prefix;
        current().prefix = 0;
    };
    const skip = (token: IToken, how: 'bracket' | 'expression', message: string) => {
        skipping = how;
        skippedBrackets = OPENERS.has(token.tokenType.name) ? 1 : 0;
        errors.push({ offset: token.startOffset, line: token.startLine, column: token.startColumn, length: token.image.length, message });
    };
    for (const token of tokens) {
        const type = token.tokenType.name;
        if (skipping) {
            if (OPENERS.has(type)) {
                skippedBrackets++;
                continue;
            }
            if (CLOSERS.has(type) && skippedBrackets > 0) {
                if (--skippedBrackets === 0 && skipping === 'bracket') skipping = undefined;
                continue;
            }
            // The innermost expression ends at a separator or at the bracket that closes its level.
            if (skippedBrackets > 0 || !(SEPARATORS.has(type) || CLOSERS.has(type))) continue;
            skipping = undefined;
        }
        const operandEnded = previous !== undefined && OPERAND_ENDS.has(previous);
        previous = type;
        if (OPENERS.has(type)) {
            const index = type === '[' && operandEnded; // `x[0]` wraps `x` as `a + b` wraps `a`
            if (index && chain + 1 > LIMITS.expressionOperators) {
                skip(token, 'expression', tooLong());
                continue;
            }
            if (depth + 1 > LIMITS.nesting) {
                skip(token, 'bracket', tooDeep());
                continue;
            }
            if (index) {
                chain++;
                current().chain++;
            }
            depth++;
            levels.push({ nesting: 0, prefix: 0, chain: 0 });
        } else if (CLOSERS.has(type)) {
            if (levels.length > 1) {
                resetLevel();
                levels.pop();
                depth--;
            }
        } else if (SEPARATORS.has(type)) {
            resetLevel();
        } else if (NESTING.has(type) || PREFIX.has(type) || (type === '-' && !operandEnded)) {
            if (depth + 1 > LIMITS.nesting) {
                skip(token, 'expression', tooDeep());
                continue;
            }
            depth++;
            if (NESTING.has(type)) current().nesting++;
            else current().prefix++;
        } else if (BINARY.has(type)) {
            if (chain + 1 > LIMITS.expressionOperators) {
                skip(token, 'expression', tooLong());
                continue;
            }
            chain++;
            current().chain++;
            if (type !== '.') closePrefix();
        } else if (CLAUSES.has(type)) {
            closePrefix();
        }
        kept.push(token);
    }
    return { tokens: kept, errors };
}

/** An error for each name longer than LIMITS.nameLength. */
export function overlongNames(tokens: readonly IToken[]): ILexingError[] {
    const errors: ILexingError[] = [];
    for (const token of tokens) {
        if (token.tokenType.name !== 'ID' || token.image.length <= LIMITS.nameLength) continue;
        errors.push({
            offset: token.startOffset, line: token.startLine, column: token.startColumn, length: token.image.length,
            message: `a name of ${withCommas(token.image.length)} characters; names are limited to ${withCommas(LIMITS.nameLength)}`,
        });
    }
    return errors;
}

function tooDeep(): string {
    return `nested more than ${LIMITS.nesting} levels deep (brackets, if, for, repeat and prefix operators count); the part nested deeper is left out`;
}

function tooLong(): string {
    return `an expression with more than ${LIMITS.expressionOperators} operators; split it into several statements (the rest of this expression is left out)`;
}
