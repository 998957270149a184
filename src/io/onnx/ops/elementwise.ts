// Add, Sub, Mul, Div: numpy broadcasting on float inputs, in NHWC when either operand is.
import { ops, type Tensor } from '../../../index.js';
import type { OpHandler } from '../graph-context.js';
import { alignOperands, floatValue } from '../values.js';

/** An op of two float inputs (named `first` and `second` in the ONNX spec) without attributes. */
export const binary = (fn: (a: Tensor, b: Tensor) => Tensor, first = 'A', second = 'B'): OpHandler => (node) => {
  node.attributes([]);
  const a = node.requiredInput(0, first), b = node.requiredInput(1, second);
  node.requireFloatInputs(0, 1);
  node.rejectExtraOutputs();
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const { ts, nhwc } = alignOperands([node.readFloat(env, a), node.readFloat(env, b)]);
    env.set(out, floatValue(fn(ts[0], ts[1]), nhwc));
  };
};

export const add = binary((a, b) => ops.add(a, b));
export const sub = binary((a, b) => ops.sub(a, b));
export const mul = binary((a, b) => ops.mul(a, b));
export const div = binary((a, b) => ops.div(a, b));
