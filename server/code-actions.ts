/**
 * Quick fixes, chosen by the diagnostic's code (never its text): a misspelt name, groups or channels that do
 * not divide, a transposed conv kernel that is not a multiple of its stride, a kernel larger than its padded
 * input, a residual `+` whose shapes differ (add a 1×1 projection) — and, on any conv, "keep the spatial size".
 */
import { AstUtils, CstUtils, DocumentValidator, type AstNode, type LangiumDocument, type MaybePromise, type ScopeProvider } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Command, type Range, type TextEdit } from 'vscode-languageserver';
import { isArgument, isBinaryExpr, isCall, isOpDecl, type Argument, type Call } from '../language/generated/ast.js';
import { closestName } from '../language/util/suggest.js';
import { suggestionCandidates } from '../language/scope-provider.js';
import { findOp, samplesThroughDilatedWindow } from '../language/ops/registry.js';
import { Commands } from './protocol.js';
import { formatShape } from '../language/ops/shape-utils.js';
import type { DiagnosticCode } from '../language/ops/types.js';
import { perDimension } from '../language/ops/shape-utils.js';
import { findAttr } from '../language/ops/attributes.js';
import type { LayerLookup } from '../language/analysis/layer-lookup.js';
import type { ConvNetLspServices } from './services.js';

// Langium's own codes (a linking error) beside the language's.
type Data = Record<string, unknown> & { code?: DiagnosticCode | typeof DocumentValidator.LinkingError };


export class ConvNetCodeActionProvider implements CodeActionProvider {
    private readonly scopes: ScopeProvider;
    private readonly lookup: LayerLookup;

    constructor(services: ConvNetLspServices) {
        this.scopes = services.references.ScopeProvider;
        this.lookup = services.analysis.LayerLookup;
    }

    getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction>> {
        const actions: CodeAction[] = [];
        for (const diagnostic of params.context.diagnostics) {
            const data = (diagnostic.data ?? {}) as Data;
            const node = this.nodeAt(document, diagnostic.range);
            if (!node) continue;
            const fixes = this.fixesFor(document, node, data);
            for (const fix of fixes) actions.push({ ...fix, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic] });
        }
        const keep = this.keepSpatialSize(document, params.range);
        if (keep && !actions.some(a => a.title === keep.title)) actions.push(keep);
        return actions.map(action => ({ ...action, command: { title: 'Quick fix applied', command: Commands.quickFixApplied } }));
    }

    private fixesFor(document: LangiumDocument, node: AstNode, data: Data): Omit<CodeAction, 'kind'>[] {
        const uri = document.uri.toString();
        const edit = (title: string, range: Range, newText: string) => ({ title, edit: { changes: { [uri]: [{ range, newText }] } }, isPreferred: true });
        switch (data.code) {
            case DocumentValidator.LinkingError: {
                const call = isCall(node) ? node : AstUtils.getContainerOfType(node, isCall);
                if (!call?.target?.$refNode) return [];
                const context = { reference: call.target, container: call, property: 'target' };
                const suggestion = closestName(call.target.$refText, suggestionCandidates(this.scopes, context));
                return suggestion ? [edit(`Change to '${suggestion}'`, call.target.$refNode.range, suggestion)] : [];
            }
            case 'channels-not-divisible': {
                const cin = data.inputChannels as number;
                const cout = data.outputChannels as number;
                const groups = data.groups as number;
                if (!cin || !cout || !groups) return [];
                const argument = this.argumentAt(node);
                const call = argument?.$container ?? (isCall(node) ? node : undefined);
                if (!call) return [];
                const fixes: Omit<CodeAction, 'kind'>[] = [];
                const divisor = largestCommonDivisorAtMost(cin, cout, groups);
                const groupsArg = this.namedOrPositional(call, 'groups');
                if (groupsArg) fixes.push(edit(`Set groups to ${divisor} (divides ${cin} and ${cout})`, groupsArg.value.$cstNode!.range, String(divisor)));
                const channelsArg = this.namedOrPositional(call, 'channels');
                if (channelsArg && cin % groups === 0 && cout % groups !== 0) {
                    const rounded = Math.ceil(cout / groups) * groups;
                    fixes.push({ ...edit(`Set channels to ${rounded} (a multiple of ${groups} groups)`, channelsArg.value.$cstNode!.range, String(rounded)), isPreferred: false });
                }
                return fixes;
            }
            case 'checkerboard':
                return this.checkerboardFix(document, node, data);
            case 'kernel-too-large': {
                const argument = this.argumentAt(node);
                const call = argument?.$container ?? (isCall(node) ? node : undefined);
                return call ? this.paddingEdits(document, call, '"same"', 'Pad to keep the spatial size (padding: "same")') : [];
            }
            case 'shape-mismatch': {
                const fix = this.projection(document, node, data);
                return fix ? [fix] : [];
            }
        }
        return [];
    }

    /** `y + s` with s of other channels or resolution: `y + (s -> conv(C, kernel: 1, stride: S, bias: false) -> batchnorm)`. */
    private projection(document: LangiumDocument, node: AstNode, data: Data): Omit<CodeAction, 'kind'> | undefined {
        const left = data.left as number[] | undefined;
        const right = data.right as number[] | undefined;
        const expr = isBinaryExpr(node.$container) ? node.$container : undefined;
        if (!expr || expr.operator !== '+' || !left || !right || left.length !== right.length || left.length < 3 || !expr.right.$cstNode) return undefined;
        const strides = right.slice(2).map((d, i) => d / left[2 + i]);
        if (strides.some(s => !Number.isInteger(s) || s < 1)) return undefined;
        const stride = strides.every(s => s === strides[0]) ? String(strides[0]) : `(${strides.join(', ')})`;
        const op = { 3: 'conv1d', 4: 'conv', 5: 'conv3d' }[left.length];
        const text = expr.right.$cstNode.text;
        const replacement = `(${text} -> ${op}(${left[1]}, kernel: 1${stride === '1' ? '' : `, stride: ${stride}`}, bias: false) -> batchnorm)`;
        return {
            title: `Add a 1×1 projection to ${left[1]} channels${stride === '1' ? '' : `, stride ${stride}`}`,
            edit: { changes: { [document.uri.toString()]: [{ range: expr.right.$cstNode.range, newText: replacement }] } },
            isPreferred: true,
        };
    }

    /** On a conv under the cursor whose output is smaller than ⌈input/stride⌉: set padding d·(k−1)/2. */
    private keepSpatialSize(document: LangiumDocument, range: Range): CodeAction | undefined {
        const node = this.nodeAt(document, range);
        const call = node ? (isCall(node) ? node : AstUtils.getContainerOfType(node, isCall)) : undefined;
        const target = call?.target?.ref;
        if (!call || !isOpDecl(target) || !samplesThroughDilatedWindow(target.name)) return undefined;
        const layer = this.lookup.layers(call)[0];
        if (!layer) return undefined;
        const { node: graphNode, analysis } = layer;
        const input = analysis.graph.tensors[graphNode.inputs[0]].shape.slice(2);
        const output = analysis.graph.tensors[graphNode.outputs[0]].shape.slice(2);
        const dims = input.length;
        const kernel = perDimension(graphNode.attrs.kernel, dims) ?? [];
        const dilation = perDimension(graphNode.attrs.dilation ?? 1, dims) ?? [];
        const stride = perDimension(graphNode.attrs.stride ?? 1, dims) ?? [];
        if (output.every((o, i) => o === Math.ceil(input[i] / stride[i]))) return undefined;
        const pads = kernel.map((k, i) => (dilation[i] * (k - 1)) / 2);
        if (pads.some(p => !Number.isInteger(p))) return undefined;
        const value = pads.every(p => p === pads[0]) ? String(pads[0]) : `(${pads.join(', ')})`;
        // Padding d·(k−1)/2 on both sides gives ⌈input/stride⌉ positions: the title says the shape it makes.
        const kept = analysis.graph.tensors[graphNode.outputs[0]].shape.slice(0, 2).concat(input.map((i, d) => Math.ceil(i / stride[d])));
        const [fix] = this.paddingEdits(document, call, value, `Keep the spatial size (padding: ${value}): ${formatShape(kept)}`);
        return fix ? { ...fix, kind: CodeActionKind.QuickFix } : undefined;
    }

    /** Replaces the padding argument's value, or adds `padding: value` at the end of the call. */
    private paddingEdits(document: LangiumDocument, call: Call, value: string, title: string): Omit<CodeAction, 'kind'>[] {
        const existing = this.namedOrPositional(call, 'padding');
        let edit: TextEdit;
        if (existing?.value.$cstNode) {
            edit = { range: existing.value.$cstNode.range, newText: value };
        } else {
            const last = call.arguments[call.arguments.length - 1]?.$cstNode;
            if (!last) return [];
            edit = { range: { start: last.range.end, end: last.range.end }, newText: `, padding: ${value}` };
        }
        return [{ title, edit: { changes: { [document.uri.toString()]: [edit] } }, isPreferred: true }];
    }

    private namedOrPositional(call: Call, attrName: string): Argument | undefined {
        const target = call.target?.ref;
        const spec = isOpDecl(target) ? findOp(target.name) : undefined;
        if (!spec) return undefined;
        const named = call.arguments.find(a => a.name && findAttr(spec, a.name)?.name === attrName);
        if (named) return named;
        const position = spec.attrs.findIndex(a => a.name === attrName);
        const positional = call.arguments.filter(a => !a.name);
        // Tensor arguments come first in a direct application; attribute positions count from the first non-tensor.
        return position >= 0 && position < spec.positional ? positional[position] : undefined;
    }

    /**
     * The kernel that is a multiple of the stride, with the padding and output_padding that keep the output shape
     * when the spec found some (the title says the shape either way): arguments given are replaced, missing ones
     * added before the call's closing bracket.
     */
    private checkerboardFix(document: LangiumDocument, node: AstNode, data: Data): Omit<CodeAction, 'kind'>[] {
        const argument = this.argumentAt(node);
        const call = argument && isCall(argument.$container) ? argument.$container : undefined;
        const kernel = data.kernel as number[] | undefined;
        const stride = data.stride as number[] | undefined;
        if (!argument?.value.$cstNode || !call?.$cstNode || !kernel || !stride) return [];
        const spec = call.target.ref && isOpDecl(call.target.ref) ? findOp(call.target.ref.name) : undefined;
        const text = document.textDocument.getText();
        const end = call.$cstNode.end;
        if (!spec || text[end - 1] !== ')') return [];
        const written = (values: readonly number[]) => (values.every(v => v === values[0]) ? String(values[0]) : `(${values.join(', ')})`);
        const edits: TextEdit[] = [{ range: argument.value.$cstNode.range, newText: written(kernel) }];
        const padding = data.padding as number[] | undefined;
        const outputPadding = data.outputPadding as number[] | undefined;
        for (const [name, values] of [['padding', padding], ['output_padding', outputPadding]] as const) {
            if (!values) continue;
            const given = call.arguments.find(a => a.name !== undefined && findAttr(spec, a.name)?.name === name);
            if (given?.value.$cstNode) edits.push({ range: given.value.$cstNode.range, newText: written(values) });
            else if (values.some(v => v !== 0)) {
                const at = document.textDocument.positionAt(end - 1);
                edits.push({ range: { start: at, end: at }, newText: `, ${name}: ${written(values)}` });
            }
        }
        const multiple = `a multiple of stride ${written(stride)}`;
        const title = padding && outputPadding
            ? `Use kernel ${written(kernel)}, padding ${written(padding)}, output_padding ${written(outputPadding)} (${multiple}; the output stays ${(data.output as number[]).join('×')})`
            : `Use kernel ${written(kernel)} (${multiple}; this changes the output size)`;
        return [{ title, edit: { changes: { [document.uri.toString()]: edits } }, isPreferred: true }];
    }

    private argumentAt(node: AstNode): Argument | undefined {
        return isArgument(node) ? node : AstUtils.getContainerOfType(node, isArgument);
    }

    private nodeAt(document: LangiumDocument, range: Range): AstNode | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const leaf = CstUtils.findLeafNodeAtOffset(root, document.textDocument.offsetAt(range.start));
        return leaf?.astNode;
    }
}

/** The largest g ≤ limit dividing both a and b (at least 1). */
function largestCommonDivisorAtMost(a: number, b: number, limit: number): number {
    for (let g = Math.min(limit, a, b); g > 1; g--) if (a % g === 0 && b % g === 0) return g;
    return 1;
}
