/**
 * PyTorch export: an elaborated network as the source of a readable `nn.Module` whose `state_dict` keys are the
 * network's hierarchical names (`layer1.0.conv1.weight`), so weights move both ways through safetensors.
 *
 * - Each block becomes a class. Instances of a block with the same structure share one class, whose constructor
 *   takes what differs between them: the block's own arguments (`planes`, `stride`) where a layer's setting equals
 *   one (or a whole multiple of one), `in_channels` where it equals the input's channels, otherwise a parameter named
 *   after the layer and setting (`conv1_stride`). Instances that differ in structure (a block whose `if` added a
 *   downsample branch) get a class each: `BasicBlock`, `BasicBlock_2` …
 * - A list of layers is an `nn.Sequential` (children 0, 1, … or their labels); a list whose layers read tensors
 *   other than the previous layer's output is an `nn.ModuleDict` called layer by layer in the owner's forward.
 * - Layers with parameters (and labelled layers) are submodules under their names; other ops are written inline in
 *   `forward` (`F.relu(x)`, `a + b`, `torch.cat(…)`).
 * - What plain PyTorch modules cannot express (per-side padding, channel shuffle, spatial pyramid pooling …) uses a
 *   few small helpers written into the file, and only those the network needs.
 * - The file ends with `load_safetensors` / `save_safetensors` (a few lines of struct and json, no extra package),
 *   `load_weights(model, path)` and a `__main__` that builds the model, loads weights given on the command line and
 *   runs a random input.
 *
 * This file writes the file around the classes. The parts are in pytorch/: the classes (`block-classes.ts`, walking
 * the network's nesting from `graph-structure.ts`); each op family's module and inline form (`op-table.ts`, which
 * assembles the tables of the `ops-*.ts` files over what they share in `op-context.ts`); Python expressions and
 * names (`py-ast.ts`, `python-names.ts`); and the Python written as is (`helpers-code.ts`).
 */
import * as path from 'node:path';
import { pythonDocText, pythonString } from './python-text.js';
import { baseNameOfUri } from '../../language/util/uri.js';
import type { GraphModule, NetworkGraph } from '../../language/elaboration/graph.js';
import { ClassBuilder, type Template } from './pytorch/block-classes.js';
import { HELPERS, IO_CODE } from './pytorch/helpers-code.js';
import { identifier, isAttributeName } from './pytorch/python-names.js';
import { pyLiteral, render, renderPretty, type PyLit, type SlotResolver } from './pytorch/py-ast.js';

export { PytorchExportError } from './pytorch/op-context.js';

export interface PytorchExport {
    readonly source: string;
    /** The class of the network (`ResNet18`). */
    readonly className: string;
    /** The classes written for blocks, in the order they appear. */
    readonly blockClasses: readonly string[];
}

export interface PytorchExportOptions {
    /** The `.convnet` file, named in the header. */
    readonly sourceFile?: string;
}

function header(graph: NetworkGraph, className: string, options: PytorchExportOptions): string {
    const source = pythonDocText(options.sourceFile ? path.basename(options.sourceFile) : graph.uri ? baseNameOfUri(graph.uri) : 'a .convnet file');
    return `"""${pythonDocText(graph.name)}, written by \`convnet export --pytorch\` from ${source}.

Every layer keeps its .convnet name, so state_dict keys are the names ConvNet shows (\`conv1.weight\`):
    model = ${className}().eval()
    load_weights(model, 'weights.safetensors')        # weights from \`convnet export --seed/--weights\` or \`convnet run\`
    save_safetensors(model.state_dict(), 'out.safetensors')   # and back: \`convnet run FILE --weights out.safetensors\`
"""`;
}

function indent(lines: string[], by = '        '): string[] {
    return lines.map(l => (l ? `${by}${l}` : l));
}

function renderClass(name: string, doc: string, params: readonly { name: string; forward: boolean }[], template: Template, resolve: (slot: number) => { expr: string } | { literal: PyLit }): string {
    const resolver: SlotResolver = slot => resolve(slot.id!);
    const init: string[] = ['super().__init__()'];
    for (const p of params) if (p.forward) init.push(`self.${p.name} = ${p.name}`);
    for (const line of template.init) {
        // A name that cannot be an attribute (`block1-0`, `lambda`) is registered by name, so the state_dict keeps it.
        const register = line.parameter ? 'register_parameter' : 'add_module';
        const target = isAttributeName(line.attr) ? `self.${line.attr} = ` : `self.${register}(${pythonString(line.attr)}, `;
        const value = renderPretty(line.py, resolver, '        ', 8 + target.length);
        init.push(isAttributeName(line.attr) ? `${target}${value}` : `${target}${value})`);
    }
    const forward: string[] = template.forward.map(st => {
        const value = render(st.py, resolver);
        return st.targets.length ? `${st.targets.join(', ')} = ${value}` : value;
    });
    forward.push(`return ${template.returns.length === 1 ? template.returns[0] : template.returns.join(', ')}`);
    return [
        `class ${name}(nn.Module):`,
        `    """${pythonDocText(doc)}"""`,
        '',
        `    def __init__(${['self', ...params.map(p => p.name)].join(', ')}):`,
        ...indent(init),
        '',
        `    def forward(${['self', ...template.inputs].join(', ')}):`,
        ...indent(forward),
    ].join('\n');
}

/** The Python source of `graph` as an nn.Module. Throws `PytorchExportError` naming the layer it cannot express. */
export function exportPytorch(graph: NetworkGraph, options: PytorchExportOptions = {}): PytorchExport {
    const exporter = new ClassBuilder(graph);
    const { rootTemplate, rootName } = exporter.run();
    const where = (source: GraphModule['source']) => `${source.uri ? baseNameOfUri(source.uri) : ''}:${source.start.line + 1}`;
    const classes = exporter.classes.map(c => {
        const args = Object.keys(c.instances[0].args ?? {});
        const doc = [`block ${c.block}${args.length ? `(${args.join(', ')})` : ''}, first used at ${where(c.source)}`, c.variantNote ? `; ${c.variantNote}` : ''].join('');
        return renderClass(c.name, `${doc}.`, c.params, c.template, c.resolve);
    });
    const inputs = graph.inputs.map(p => `${p.name}: ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const outputs = graph.outputs.map(p => `${p.name}: ${graph.tensors[p.tensor].shape.join('×')}`).join(', ');
    const root = renderClass(rootName, `network ${graph.name} (inputs ${inputs}; outputs ${outputs}).`, [], rootTemplate, slot => ({ literal: rootTemplate.slots[slot].v }));
    // Helpers in dependency order.
    const helperNames: string[] = [];
    const addHelper = (h: string) => {
        if (helperNames.includes(h)) return;
        for (const dep of HELPERS[h].needs ?? []) addHelper(dep);
        helperNames.push(h);
    };
    for (const h of [...exporter.helpers].sort()) addHelper(h);
    const usesDict = [...exporter.classes.map(c => c.template), rootTemplate].some(t => t.init.some(l => JSON.stringify(l.py).includes('"k":"dict"')));
    const imports = [
        'import json',
        'import struct',
        'import sys',
        ...(usesDict ? ['from collections import OrderedDict'] : []),
        '',
        'import torch',
        'import torch.nn.functional as F',
        ...(exporter.imports.has('torchvision') ? ['import torchvision'] : []),
        'from torch import nn',
    ];
    const inputShapes = graph.inputs.map(p => `torch.randn(${graph.tensors[p.tensor].shape.join(', ')})`);
    const main = `if __name__ == '__main__':
    # python ${identifier(graph.name || 'network').toLowerCase()}.py [WEIGHTS.safetensors]: builds the model, loads the weights if given and runs a random input.
    torch.manual_seed(0)
    model = ${rootName}().eval()
    if len(sys.argv) > 1:
        load_weights(model, sys.argv[1])
    with torch.no_grad():
        result = model(${inputShapes.join(', ')})
    for name, value in zip(${pyLiteral(graph.outputs.map(p => p.name))}, result if isinstance(result, tuple) else (result,)):
        print(name, tuple(value.shape), float(value.mean()), float(value.std()) if value.numel() > 1 else 0.0)`;
    const source = [
        header(graph, rootName, options),
        imports.join('\n'),
        ...helperNames.map(h => HELPERS[h].code),
        ...classes,
        root,
        IO_CODE,
        main,
    ].join('\n\n\n') + '\n';
    return { source, className: rootName, blockClasses: exporter.classes.map(c => c.name) };
}
