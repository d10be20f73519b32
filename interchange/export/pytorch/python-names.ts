/** Python names for what the network calls its layers, inputs and blocks: never a keyword, a global of the file or a member of nn.Module. */
import type { GraphNode } from '../../../language/elaboration/graph.js';
import { findOp } from '../../../language/ops/registry.js';
import { pythonString } from '../python-text.js';

const PY_KEYWORDS = new Set(['False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
    'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield']);
/** Names a submodule may not take as an attribute (nn.Module's own members); such layers use add_module. */
const MODULE_MEMBERS = new Set(['training', 'forward', 'state_dict', 'load_state_dict', 'parameters', 'named_parameters', 'buffers', 'named_buffers', 'children',
    'named_children', 'modules', 'named_modules', 'train', 'eval', 'to', 'cpu', 'cuda', 'type', 'float', 'double', 'half', 'bfloat16', 'apply', 'zero_grad',
    'add_module', 'register_buffer', 'register_parameter', 'register_module', 'get_submodule', 'get_parameter', 'get_buffer', 'extra_repr', 'requires_grad_',
    'share_memory', 'dump_patches', 'call_super_init']);
const RESERVED_GLOBALS = new Set(['torch', 'nn', 'F', 'torchvision', 'OrderedDict', 'math', 'struct', 'json', 'sys', 'self', 'super', 'print', 'len', 'range',
    'float', 'int', 'tuple', 'list', 'dict', 'isinstance', 'open', 'channel_shuffle', 'spatial_pyramid_pool', 'load_safetensors', 'save_safetensors',
    'load_weights']);

export function identifier(text: string, fallback = 'x'): string {
    let name = text.replace(/[^A-Za-z0-9_]/g, '_');
    if (!name) name = fallback;
    if (/^[0-9]/.test(name)) name = `_${name}`;
    if (PY_KEYWORDS.has(name) || RESERVED_GLOBALS.has(name)) name = `${name}_`;
    return name;
}

export const isAttributeName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name) && !MODULE_MEMBERS.has(name);

/** `self.conv1`, or `self._modules["lambda"]` for a name that cannot be an attribute. */
export function memberAccess(owner: string, name: string): string {
    return isAttributeName(name) ? `${owner}.${name}` : `${owner}._modules[${pythonString(name)}]`;
}

/** `self.layer_scale`, or `self._parameters["…"]` for a learned tensor whose name cannot be an attribute. */
export function parameterAccess(owner: string, name: string): string {
    return isAttributeName(name) ? `${owner}.${name}` : `${owner}._parameters[${pythonString(name)}]`;
}

export function lastSegment(name: string): string {
    return name.slice(name.lastIndexOf('.') + 1);
}

/** Whether a layer name was made up by the elaborator (`relu_2`) rather than given as a label. */
export function isAutoName(node: GraphNode): boolean {
    const spec = findOp(node.op);
    const bases = [node.op, ...(spec?.aliases ?? [])];
    const last = lastSegment(node.name);
    return bases.some(b => last === b || new RegExp(`^${b}_\\d+$`).test(last)) || /^\d+$/.test(last);
}
