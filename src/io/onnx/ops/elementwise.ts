// Add, Sub, Mul, Div, and the variadic Max / Min: numpy broadcasting on float inputs, in NHWC when
// any operand is.
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

/** An op of one or more float inputs folded left to right (Max, Min: `data_0`, `data_1`, ...). */
const variadic = (fn: (a: Tensor, b: Tensor) => Tensor): OpHandler => (node) => {
  node.attributes([]);
  const names = node.presentInputs();
  if (names.length === 0) node.requiredInput(0, 'data_0');
  node.requireFloatInputs(...names.map((_, i) => i));
  node.rejectExtraOutputs();
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const { ts, nhwc } = alignOperands(names.map((n) => node.readFloat(env, n)));
    env.set(out, floatValue(ts.slice(1).reduce((acc, t) => fn(acc, t), ts[0]), nhwc));
  };
};

export const max = variadic((a, b) => ops.maximum(a, b));
export const min = variadic((a, b) => ops.minimum(a, b));
