/** Unknown names get a message that says what was expected and the closest name in scope. */
import { DefaultLinker, type AstNodeDescription, type LinkingError, type ReferenceInfo } from 'langium';
import { isCall, isStep, isLabeledItem, isListExpr } from './generated/ast.js';
import { closestName } from './util/suggest.js';
import { quoted } from './util/quote.js';
import { suggestionCandidates } from './scope-provider.js';

export class ConvNetLinker extends DefaultLinker {
    protected override createLinkingError(refInfo: ReferenceInfo, targetDescription?: AstNodeDescription): LinkingError {
        const name = refInfo.reference.$refText;
        const call = refInfo.container;
        // What flows into a chain (`x -> …`) is a tensor name; a chain step, a list item or a call is a layer.
        const layerPosition = isCall(call) && (call.hasArguments || isStep(call.$container) || (isLabeledItem(call.$container) && isListExpr(call.$container.$container)));
        const suggestion = closestName(name, suggestionCandidates(this.scopeProvider, refInfo));
        const what = layerPosition ? 'op or block' : 'name';
        return {
            info: refInfo,
            message: `unknown ${what} ${quoted(name)}${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
            targetDescription,
        };
    }
}
