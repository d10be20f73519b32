/**
 * ONNX emitters of a learned tensor of its own (`param`) and of scaling by a number. The learned tensor is an
 * initializer under its state_dict key (`features.1.0.layer_scale`) that the layers using it read directly, as
 * torch.onnx writes an nn.Parameter; only a network that returns it passes it on by an Identity, to the output's
 * name.
 */
import type { EmitContext } from './onnx-emit.js';

export function emitParameter(c: EmitContext): void {
    const initializer = c.b.param(c.node, '');
    if (c.outputs[0] !== initializer) c.b.add('Identity', [initializer], c.outputs, [], c.node.name);
}

export function emitScale(c: EmitContext): void {
    const { b, node } = c;
    b.add('Mul', [c.inputs[0], b.floats(node, 'factor', [node.attrs.factor as number], [])], c.outputs, [], node.name);
}
