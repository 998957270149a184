// Add, Sub, Mul, Div, and the variadic Max / Min: numpy broadcasting on float inputs, in NHWC when
// any operand is. Add / Sub / Mul / Div of two integer tensors is shape arithmetic (torch.chunk's
// split sizes, channel-shuffle groups) and runs on the host.
import { ops, ShapeError, ValueError, type Tensor } from '../../../index.js';
import { fmtShape } from '../../../fmt.js';
import type { NodeContext, OpHandler, Step } from '../graph-context.js';
import { broadcastDims, broadcastInts } from '../int-tensors.js';
import { alignOperands, floatValue } from '../values.js';

type IntArith = (x: number, y: number, label: string) => number;

/** The integer form of a binary op: both inputs integer tensors, computed on the host. */
function integerStep(node: NodeContext, a: string, b: string, fn: IntArith): Step {
  node.rejectExtraOutputs();
  node.declareOutput('i');
  const { label, output } = node;
  return (env) => {
    const av = node.readInt(env, a), bv = node.readInt(env, b);
    const dims = broadcastDims(av.dims, bv.dims);
    if (!dims) throw new ShapeError(`${label}: shapes ${fmtShape(av.dims)} and ${fmtShape(bv.dims)} do not broadcast`);
    node.reserveInts(env, dims);
    env.set(output, broadcastInts(av, bv, dims, (x, y) => fn(x, y, label)));
  };
}

/** ONNX integer Div truncates toward zero; a zero divisor is an error rather than a NaN in a shape. */
const intDiv: IntArith = (x, y, label) => {
  if (y === 0) throw new ValueError(`${label}: integer division by zero (${x} / 0)`);
  return Math.trunc(x / y);
};

/** An op of two float inputs (named `first` and `second` in the ONNX spec) without attributes. */
export const binary = (fn: (a: Tensor, b: Tensor) => Tensor, first = 'A', second = 'B', intFn?: IntArith): OpHandler => (node) => {
  node.attributes([]);
  const a = node.requiredInput(0, first), b = node.requiredInput(1, second);
  if (intFn && node.dtypeOf(a) === 'i' && node.dtypeOf(b) === 'i') return integerStep(node, a, b, intFn);
  node.requireFloatInputs(0, 1);
  node.rejectExtraOutputs();
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const { ts, nhwc } = alignOperands([node.readFloat(env, a), node.readFloat(env, b)]);
    env.set(out, floatValue(fn(ts[0], ts[1]), nhwc));
  };
};

export const add = binary((a, b) => ops.add(a, b), 'A', 'B', (x, y) => x + y);
export const sub = binary((a, b) => ops.sub(a, b), 'A', 'B', (x, y) => x - y);
export const mul = binary((a, b) => ops.mul(a, b), 'A', 'B', (x, y) => x * y);
export const div = binary((a, b) => ops.div(a, b), 'A', 'B', intDiv);

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
