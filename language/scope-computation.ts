/**
 * Exports a file's blocks and networks (and the library's ops) to other files. Local names are resolved by
 * the scope provider's ordered, by-name lookup, so no local symbol table is precomputed.
 */
import { DefaultScopeComputation, MultiMap, type AstNode, type AstNodeDescription, type LangiumDocument, type LocalSymbols } from 'langium';

export class ConvNetScopeComputation extends DefaultScopeComputation {
    override async collectLocalSymbols(_document: LangiumDocument): Promise<LocalSymbols> {
        return new MultiMap<AstNode, AstNodeDescription>();
    }
}
