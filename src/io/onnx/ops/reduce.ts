// ReduceMean, ReduceSum, ReduceMax, ReduceMin over any axes, with or without kept dims. The axes are
// an attribute before ReduceSum-13 / the others' opset 18, then an optional int64 input.
import { ops, FormatError, type Tensor } from '../../../index.js';
import type { OpHandler } from '../graph-context.js';
import { floatValue, logical } from '../values.js';

/** Where each axis of a 4-D (N, C, H, W) value lives in its NHWC form. */
const NHWC_POSITION = [0, 3, 1, 2];

type Reducer = (t: Tensor, axes: number[], keepDims: boolean) => Tensor;

/** The handler of a reduction `fn`; `axesInputSince` is the opset where its axes became an input. */
const reduction = (fn: Reducer, axesInputSince: number): OpHandler => (node) => {
  const { label } = node;
  const axesAreAttribute = node.opset < axesInputSince;
  const a = node.attributes(axesAreAttribute ? ['axes', 'keepdims'] : ['keepdims', 'noop_with_empty_axes']);
  const x = node.requiredInput(0, 'data');
  node.requireFloatInputs(0);
  node.rejectExtraOutputs();
  const keepDims = a.int('keepdims', 1) !== 0;
  const noopWhenEmpty = !axesAreAttribute && a.int('noop_with_empty_axes', 0) !== 0;
  const axesAttr = axesAreAttribute ? a.ints('axes') : null;
  const axesName = axesAreAttribute ? null : node.input(1);
  if (axesName && node.dtypeOf(axesName) !== 'i') throw new FormatError(`loadOnnx: ${label}: axes must be an int64 tensor`);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const v = node.readFloat(env, x);
    const given = axesAttr ?? (axesName ? node.readInt(env, axesName).data : []);
    if (given.length === 0 && noopWhenEmpty) { env.set(out, v); return; }
    const rank = v.nhwc ? 4 : v.t.rank;
    const axes = given.length ? [...new Set(given.map((ax) => node.axis(ax, rank)))] : Array.from({ length: rank }, (_, i) => i);
    // An NHWC value reduced with kept dims stays NHWC: the axes are mapped to their NHWC positions.
    if (v.nhwc && keepDims) { env.set(out, floatValue(fn(v.t, axes.map((ax) => NHWC_POSITION[ax]), true), true)); return; }
    env.set(out, floatValue(fn(logical(v), axes, keepDims)));
  };
};

/** min over axes as -max(-x) (the step runs inside the model's tidy, which frees the temporaries). */
const minOver: Reducer = (t, axes, keep) => ops.neg(ops.max(ops.neg(t), axes, keep));

export const reduceMean = reduction((t, axes, keep) => ops.mean(t, axes, keep), 18);
export const reduceSum = reduction((t, axes, keep) => ops.sum(t, axes, keep), 13);
export const reduceMax = reduction((t, axes, keep) => ops.max(t, axes, keep), 18);
export const reduceMin = reduction(minOver, 18);
