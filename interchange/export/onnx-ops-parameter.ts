/**
 * ONNX emitters of a learned tensor of its own (`param`) and of scaling by a number. The learned tensor is an
 * initializer under its state_dict key (`features.1.0.layer_scale`), passed on by an Identity so that the layer's
 * output keeps the layer's name apart from the initializer's.
 */
import type { EmitContext } from './onnx-emit.js';

export function emitParameter(c: EmitContext): void {
    c.b.add('Identity', [c.b.param(c.node, '')], c.outputs, [], c.node.name);
}

export function emitScale(c: EmitContext): void {
    const { b, node } = c;
    b.add('Mul', [c.inputs[0], b.floats(node, 'factor', [node.attrs.factor as number], [])], c.outputs, [], node.name);
}
