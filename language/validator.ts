/**
 * Every diagnostic of a `.convnet` file. Static checks look at the syntax tree; shape and cost checks come
 * from elaborating each network of the file (an error inside a block is shown where the block's body says it
 * when that body is in this file, and at the call in this file when it is not).
 */
import { AstUtils, GrammarUtils, type AstNode, type ValidationAcceptor, type ValidationChecks, type LangiumDocument, type DiagnosticInfo, type Properties } from 'langium';
import {
    isBlock, isCall, isNetwork, isOutput, isTensorDecl,
    type Argument, type Block, type ConvNetAstType, type Call, type IfExpr, type Import, type LabeledItem, type LoopVar, type Model, type Network, type Output,
    type Param, type ParamDecl, type Step, type TensorDecl,
} from './generated/ast.js';
import { isQuoted, keywordAsName, writtenLabelProblem } from './names.js';
import type { ConvNetServices } from './convnet-module.js';
import { isBuiltinDocument } from './builtin-library.js';
import { resolveImportUri } from './imports.js';
import { budgetCommentAbove, checkBudget, parseBudget } from './analysis/budgets.js';
import type { NetworkGraph } from './elaboration/graph.js';
import { displayText } from './util/quote.js';
import { isListItemCondition, type ElaborationDiagnostic } from './elaboration/elaborator.js';

const BLOCK_PARAM_TYPES = ['int', 'float', 'bool', 'string', 'tuple', 'any'];

export function registerValidationChecks(services: ConvNetServices): void {
    const validator = new ConvNetValidator(services);
    const checks: ValidationChecks<ConvNetAstType> = {
        Model: [validator.checkModel.bind(validator)],
        Import: [validator.checkImport.bind(validator)],
        IfExpr: [validator.checkIfHasElse.bind(validator)],
        Step: [validator.checkStepLabel.bind(validator), validator.checkLabel.bind(validator)],
        LabeledItem: [validator.checkLabel.bind(validator)],
        Output: [validator.checkLabel.bind(validator)],
        TensorDecl: [validator.checkPlainName.bind(validator)],
        ParamDecl: [validator.checkPlainName.bind(validator)],
        Param: [validator.checkPlainName.bind(validator)],
        LoopVar: [validator.checkPlainName.bind(validator)],
        Argument: [validator.checkPlainName.bind(validator)],
        Block: [validator.checkBlock.bind(validator), validator.checkPlainName.bind(validator)],
        Network: [validator.checkNetwork.bind(validator), validator.checkPlainName.bind(validator)],
    };
    services.validation.ValidationRegistry.register(checks, validator);
}

export class ConvNetValidator {
    constructor(private readonly services: ConvNetServices) {}

    checkModel(model: Model, accept: ValidationAcceptor): void {
        const document = AstUtils.getDocument(model);
        if (isBuiltinDocument(document.uri)) return;
        this.checkDeclarations(model, accept);
        this.checkUnused(model, document, accept);
        for (const network of model.declarations.filter(isNetwork)) {
            if (!network.name) continue;
            const analysis = this.services.analysis.NetworkAnalyzer.analyze(network);
            this.reportElaboration(analysis.allDiagnostics, document, accept);
            this.checkBudgetComment(network, analysis.graph, analysis.allDiagnostics.some(d => d.severity === 'error'), document, accept);
        }
    }

    /** A `# budget: …` comment above the network: each figure over its limit is an error on the network's name. */
    private checkBudgetComment(network: Network, graph: NetworkGraph | undefined, hasErrors: boolean, document: LangiumDocument, accept: ValidationAcceptor): void {
        const start = network.$cstNode?.offset;
        if (start === undefined) return;
        const comment = budgetCommentAbove(document.textDocument.getText(), start);
        if (!comment) return;
        const parsed = parseBudget(comment);
        if ('error' in parsed) {
            accept('error', `budget of ${network.name}: ${parsed.error}`, { node: network, property: 'name' });
            return;
        }
        if (!graph || hasErrors) return; // the figures are not known until the network elaborates
        for (const violation of checkBudget(graph, parsed.items, this.services.analysis.Devices.resolve)) {
            accept('error', `${network.name}: ${violation.message}`, { node: network, property: 'name', data: { code: 'over-budget' } });
        }
    }

    private checkDeclarations(model: Model, accept: ValidationAcceptor): void {
        const seen = new Map<string, AstNode>();
        for (const declaration of model.declarations) {
            if (declaration.$type === 'OpDecl' || declaration.$type === 'FunctionDecl') {
                accept('error', `'${declaration.$type === 'OpDecl' ? 'op' : 'function'}' declarations belong to the built-in library; define a block instead`, { node: declaration });
                continue;
            }
            if (!declaration.name) continue;
            const previous = seen.get(declaration.name);
            if (previous) {
                accept('error', `'${declaration.name}' is declared twice (first at line ${(previous.$cstNode?.range.start.line ?? 0) + 1})`, { node: declaration, property: 'name' });
            } else {
                seen.set(declaration.name, declaration);
            }
        }
    }

    /** Tensors assigned and never read, and blocks nobody calls (in this file or any file of the workspace). */
    private checkUnused(model: Model, document: LangiumDocument, accept: ValidationAcceptor): void {
        const referenced = new Set<AstNode>();
        const tensors: TensorDecl[] = [];
        for (const node of AstUtils.streamAllContents(model)) {
            if (isCall(node)) {
                const target = node.target?.ref;
                if (target) referenced.add(target);
            } else if (isTensorDecl(node)) {
                tensors.push(node);
            }
        }
        for (const node of tensors) {
            // An assignment without a value or `=` is one the parser made up while recovering (a syntax error says so).
            const written = node.$container.value && GrammarUtils.findNodeForKeyword(node.$container.$cstNode, '=');
            if (node.name && !node.name.startsWith('_') && !referenced.has(node) && written) {
                accept('warning', `'${node.name}' is assigned but never used`, { node, property: 'name', data: { code: 'unused-tensor' } });
            }
        }
        const networks = model.declarations.some(isNetwork);
        for (const block of model.declarations.filter(isBlock)) {
            if (!block.name || referenced.has(block)) continue;
            const elsewhere = this.services.references.References.findReferences(block, { includeDeclaration: false })
                .some(ref => ref.sourceUri.toString() !== document.uri.toString());
            // A file without networks is a library: its blocks are there for importers.
            if (!elsewhere && networks) accept('warning', `block ${block.name} is never used`, { node: block, property: 'name', data: { code: 'unused-block' } });
        }
    }

    private reportElaboration(diagnostics: readonly ElaborationDiagnostic[], document: LangiumDocument, accept: ValidationAcceptor): void {
        const seen = new Set<string>();
        const here = document.uri.toString();
        for (const d of diagnostics) {
            const inThisFile = AstUtils.getDocument(d.node).uri.toString() === here;
            // The linker has reported this file's unknown names, and checkBlock every cycle among its blocks.
            if (inThisFile && (d.code === 'unresolved-reference' || d.code === 'recursive-block')) continue;
            let info: DiagnosticInfo<AstNode>;
            let message = d.message;
            if (inThisFile) {
                info = { node: d.node, property: d.property as Properties<AstNode>, index: d.index };
            } else {
                // The body is in another file: show it on the outermost call that lives in this file.
                const call = [...d.trace].reverse().find(c => AstUtils.getDocument(c).uri.toString() === here);
                if (!call) continue;
                const block = AstUtils.getContainerOfType(d.node, isBlock);
                const line = (d.node.$cstNode?.range.start.line ?? 0) + 1;
                message = `in block ${block?.name ?? '?'} (${AstUtils.getDocument(d.node).uri.path.split('/').pop()}:${line}): ${d.message}`;
                info = { node: call, property: 'target' };
            }
            const key = `${message}@${info.node.$cstNode?.offset}:${info.property ?? ''}`;
            if (seen.has(key)) continue;
            seen.add(key);
            if (d.code) info.data = { code: d.code, ...d.data };
            if (d.related?.length) {
                info.relatedInformation = d.related.map(r => ({ location: { uri: r.location.uri, range: { start: r.location.start, end: r.location.end } }, message: r.message }));
            }
            if (inThisFile && d.trace.length) {
                const call = d.trace[d.trace.length - 1];
                const range = call.$cstNode?.range;
                if (range) (info.relatedInformation ??= []).push({ location: { uri: AstUtils.getDocument(call).uri.toString(), range }, message: `in the instance called here` });
            }
            accept(d.severity, message, info);
        }
    }

    checkBlock(block: Block, accept: ValidationAcceptor): void {
        if (!block.$cstNode || !block.name) return;
        if (block.inputs.length === 0) {
            accept('error', `block ${block.name} needs its input tensors in a second pair of parentheses: block ${block.name}(…)(x) { … }`, { node: block, property: 'name' });
        }
        for (const param of block.params) this.checkParamType(param, BLOCK_PARAM_TYPES, accept);
        for (const input of block.inputs) {
            if (input.shape || input.default) accept('error', `a block's input '${input.name}' takes its shape from the caller; remove the shape or default`, { node: input, property: 'name' });
            else if (input.type && input.type !== 'tensor') accept('error', `a block's inputs are tensors; '${input.name}' cannot be ${input.type}`, { node: input, property: 'type' });
        }
        this.checkSelfCalls(block, accept);
    }

    /** A block that reaches itself through calls in its body would expand forever. */
    private checkSelfCalls(block: Block, accept: ValidationAcceptor): void {
        const path = this.findCycle(block);
        if (path) {
            const [first] = path;
            accept('error', `block ${block.name} calls itself (${[block.name, ...path.map(c => c.target.$refText)].join(' → ')}); a network must be finite`, { node: first, property: 'target' });
        }
    }

    /**
     * The shortest chain of calls from `root`'s body back to `root`, breadth first without recursion: every block
     * is visited once per root, and each block's calls are collected once (a file of thousands of blocks that
     * call one another stays fast).
     */
    private findCycle(root: Block): Call[] | undefined {
        const reachedBy = new Map<Block, { call: Call; from: Block }>();
        const queue: Block[] = [root];
        for (let next = 0; next < queue.length; next++) {
            const current = queue[next];
            for (const call of this.callsIn(current)) {
                const target = call.target?.ref;
                if (!isBlock(target)) continue;
                if (target === root) {
                    const path = [call];
                    for (let b = current; b !== root;) {
                        const step = reachedBy.get(b)!;
                        path.unshift(step.call);
                        b = step.from;
                    }
                    return path;
                }
                if (reachedBy.has(target)) continue;
                reachedBy.set(target, { call, from: current });
                queue.push(target);
            }
        }
        return undefined;
    }

    private readonly calls = new WeakMap<Block, Call[]>();

    private callsIn(block: Block): Call[] {
        let calls = this.calls.get(block);
        if (!calls) {
            calls = AstUtils.streamAllContents(block).filter(isCall).toArray();
            this.calls.set(block, calls);
        }
        return calls;
    }

    checkNetwork(network: Network, accept: ValidationAcceptor): void {
        for (const param of network.params) {
            if (!param.shape) this.checkParamType(param, [...BLOCK_PARAM_TYPES, 'tensor'], accept);
        }
    }

    private checkParamType(param: Param, allowed: string[], accept: ValidationAcceptor): void {
        if (param.type && !allowed.includes(param.type)) {
            accept('error', `unknown type '${param.type}' (use ${allowed.join(', ')})`, { node: param, property: 'type' });
        }
        if (param.shape && isBlock(param.$container)) {
            accept('error', `a block parameter cannot have a shape; shapes are given to network inputs`, { node: param, property: 'shape' });
        }
    }

    checkImport(imp: Import, accept: ValidationAcceptor): void {
        if (!imp.path) return;
        const document = AstUtils.getDocument(imp);
        const uri = resolveImportUri(document.uri, imp.path);
        if (!uri) {
            accept('error', `'${displayText(imp.path)}' cannot name a file: it holds a NUL or a lone UTF-16 surrogate (half of a character)`, { node: imp, property: 'path' });
        } else if (uri.toString() === document.uri.toString()) {
            accept('error', 'a file cannot import itself', { node: imp, property: 'path' });
        } else {
            // A file the language server listed but could not read is in the workspace, empty.
            const unreadable = this.services.files.UnreadableFiles.reason(uri.toString());
            if (unreadable) accept('error', `cannot read '${displayText(imp.path)}': ${unreadable}`, { node: imp, property: 'path' });
            else if (!this.services.shared.workspace.LangiumDocuments.hasDocument(uri)) {
                accept('error', `cannot find '${displayText(imp.path)}' (looked for ${displayText(uri.fsPath)})`, { node: imp, property: 'path' });
            }
        }
    }

    /**
     * A label (or an output's name) is any module name (names.ts): a keyword written bare is one error, at the word,
     * saying to quote it; a quoted name is refused only when empty or holding a `.`.
     */
    checkLabel(node: Step | LabeledItem | Output, accept: ValidationAcceptor): void {
        const property = isOutput(node) ? 'name' : 'label';
        const name = isOutput(node) ? node.name : node.label;
        if (name === undefined) return;
        if (keywordAsName(node, property)) {
            accept('error', `\`${name}\` is a keyword; write '${name}' to use it as a name`, { node, property: property as never });
            return;
        }
        const problem = writtenLabelProblem(node, property, name);
        if (problem) accept('error', problem, { node, property: property as never });
    }

    /** Names of tensors, parameters, loop variables, arguments, blocks and networks are plain names: a keyword is one error, at the word. */
    checkPlainName(node: TensorDecl | ParamDecl | Param | LoopVar | Argument | Block | Network, accept: ValidationAcceptor): void {
        if (!node.name || !keywordAsName(node, 'name')) return;
        const what = { TensorDecl: 'a tensor', ParamDecl: 'a param', Param: 'a parameter', LoopVar: 'a loop variable', Argument: 'an argument', Block: 'a block', Network: 'a network' }[node.$type];
        accept('error', `\`${node.name}\` is a keyword and cannot name ${what}; choose another name (only layer and output names can be quoted)`, { node, property: 'name' });
    }

    /** A numbered label names a child as PyTorch numbers them (`0`, `4`): a whole number, written without leading zeros. */
    checkStepLabel(step: Step, accept: ValidationAcceptor): void {
        if (step.label === undefined || isQuoted(step, 'label') || !/^\d/.test(step.label) || /^(0|[1-9]\d*)$/.test(step.label)) return;
        accept('error', `a numbered label must be a whole number such as 0 or 4 (the position PyTorch gives a child module), not ${step.label}`, { node: step, property: 'label' });
    }

    /** `else` may be left out only for a layer in a list, where leaving it out means "no layer". */
    checkIfHasElse(expr: IfExpr, accept: ValidationAcceptor): void {
        if (expr.else || !expr.$cstNode || isListItemCondition(expr)) return;
        accept('error', 'this if needs an else branch: if … then … else …', { node: expr, property: 'condition' });
    }
}

export function isNetworkNode(node: unknown): node is Network {
    return isNetwork(node);
}
