/**
 * Runs the validation checks over a document's syntax tree. Langium's default awaits a possible interruption
 * before every node and builds a stream of checks per node; with tens of thousands of nodes (a network written
 * out layer by layer) that costs more than the checks. Our checks are synchronous, so this walks the tree once,
 * looks up each node type's checks once, and yields to newer edits every few thousand nodes.
 */
import {
    AstUtils, Cancellation, DefaultDocumentValidator, interruptAndCheck,
    type AstNode, type ValidationAcceptor, type ValidationCheck, type ValidationOptions,
} from 'langium';

const NODES_BETWEEN_INTERRUPTION_CHECKS = 2000;

export class ConvNetDocumentValidator extends DefaultDocumentValidator {
    protected override async validateAstNodes(rootNode: AstNode, options: ValidationOptions, acceptor: ValidationAcceptor, cancelToken: Cancellation.CancellationToken = Cancellation.CancellationToken.None): Promise<void> {
        const checksByType = new Map<string, ValidationCheck[]>();
        let visited = 0;
        const nodes = AstUtils.streamAst(rootNode).iterator();
        for (const node of nodes) {
            if (++visited % NODES_BETWEEN_INTERRUPTION_CHECKS === 0) await interruptAndCheck(cancelToken);
            const nodeOptions = this.validateSingleNodeOptions(node, options);
            if (nodeOptions.validateNode) {
                let checks = checksByType.get(node.$type);
                if (!checks) {
                    checks = this.validationRegistry.getChecks(node.$type, options.categories).toArray();
                    checksByType.set(node.$type, checks);
                }
                for (const check of checks) {
                    const result = check(node, acceptor, cancelToken);
                    if (result) await result;
                }
            }
            if (!nodeOptions.validateChildren) nodes.prune();
        }
    }
}
