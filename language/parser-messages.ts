/**
 * Lexing and syntax errors in one line each (the CLI prints one diagnostic per line) and in a reader's words: what could
 * come next, then what was found — `Expecting '}' but found `->`.`, `… but found the end of the file.`.
 */
import { DefaultLexerErrorMessageProvider, LangiumParserErrorMessageProvider } from 'langium';
import { displayText } from './util/quote.js';

type Options<K extends keyof LangiumParserErrorMessageProvider> = Parameters<LangiumParserErrorMessageProvider[K]>[0];
type TokenType = Options<'buildMismatchTokenMessage'>['expected'];
type Token = Options<'buildMismatchTokenMessage'>['actual'];

const TERMINALS: Readonly<Record<string, string>> = { ID: 'a name', NUMBER: 'a number', STRING: 'a string', EOF: 'the end of the file' };

function expected(type: TokenType): string {
    return TERMINALS[type.name] ?? `'${type.name}'`;
}

function found(token: Token | undefined): string {
    return !token || token.tokenType.name === 'EOF' ? 'the end of the file' : `\`${displayText(token.image)}\``;
}

function oneOf(types: readonly (TokenType | undefined)[]): string {
    const words = [...new Set(types.filter(t => t !== undefined).map(expected))];
    return words.length <= 1 ? (words[0] ?? 'something else') : `one of ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

export class ConvNetLexerErrorMessageProvider extends DefaultLexerErrorMessageProvider {
    override buildUnexpectedCharactersMessage(fullText: string, startOffset: number, length: number): string {
        const text = fullText.substring(startOffset, startOffset + length);
        if (text === '"' || text === "'") return `this string is never closed (no ${text} after it)`;
        return `unexpected character${length > 1 ? 's' : ''} '${displayText(text)}'`;
    }
}

export class ConvNetParserErrorMessageProvider extends LangiumParserErrorMessageProvider {
    override buildMismatchTokenMessage({ expected: type, actual }: Options<'buildMismatchTokenMessage'>): string {
        return `Expecting ${expected(type)} but found ${found(actual)}.`;
    }

    override buildNoViableAltMessage({ expectedPathsPerAlt, actual }: Options<'buildNoViableAltMessage'>): string {
        return `Expecting ${oneOf(expectedPathsPerAlt.flat().map(path => path[0]))} but found ${found(actual[0])}.`;
    }

    override buildEarlyExitMessage({ expectedIterationPaths, actual }: Options<'buildEarlyExitMessage'>): string {
        return `Expecting ${oneOf(expectedIterationPaths.map(path => path[0]))} but found ${found(actual[0])}.`;
    }

    override buildNotAllInputParsedMessage({ firstRedundant }: Options<'buildNotAllInputParsedMessage'>): string {
        return `Expecting the end of the file but found ${found(firstRedundant)}.`;
    }
}
