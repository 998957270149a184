// LayerNormalization, and Sqrt and Pow, which its decomposition uses (with ReduceMean, in reduce.ts):
// what toOnnx and PyTorch write for layer and group normalization, so their models load.
import { ops, tensor, FormatError, type Tensor } from '../../../index.js';
import type { OpHandler } from '../graph-context.js';
import { alignOperands, floatValue, logical } from '../values.js';

export const sqrt: OpHandler = (node) => {
  node.attributes([]);
  const x = node.floatInOut('X');
  const out = node.output;
  return (env) => { const v = node.readFloat(env, x); env.set(out, floatValue(ops.sqrt(v.t), v.nhwc)); };
};

/** x ** e for a constant scalar exponent: squares and square roots (LayerNorm's variance) exactly. */
function powScalar(e: number): (t: Tensor) => Tensor {
  if (e === 2) return (t) => ops.mul(t, t);
  if (e === 0.5) return (t) => ops.sqrt(t);
  if (e === 1) return (t) => ops.mul(t, 1);
  return (t) => ops.pow(t, e);
}

/** Pow(X, Y) with numpy broadcasting; Y a float or an integer tensor. */
export const pow: OpHandler = (node) => {
  node.attributes([]);
  const x = node.requiredInput(0, 'X'), y = node.requiredInput(1, 'Y');
  node.requireFloatInputs(0);
  node.rejectExtraOutputs();
  node.declareOutput();
  const out = node.output;
  const c = node.hostConst(y);
  const exponents = c ? (c.float ? Array.from(c.float) : c.ints!) : null;
  if (exponents && exponents.length === 1) {
    const fn = powScalar(exponents[0]);
    return (env) => { const v = node.readFloat(env, x); env.set(out, floatValue(fn(v.t), v.nhwc)); };
  }
  const integerExponent = node.dtypeOf(y) === 'i';
  return (env) => {
    const base = node.readFloat(env, x);
    const ints = integerExponent ? node.readInt(env, y) : null;
    const exponent = ints ? floatValue(tensor(Float32Array.from(ints.data), ints.dims)) : node.readFloat(env, y);
    const { ts, nhwc } = alignOperands([base, exponent]);
    env.set(out, floatValue(ops.pow(ts[0], ts[1]), nhwc));
  };
};

/** ONNX LayerNormalization (opset 17): over the axes from `axis` to the last, Scale and optional B of their shape. */
export const layerNormalization: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['axis', 'epsilon', 'stash_type']);
  const x = node.requiredInput(0, 'X');
  const scale = node.requiredInput(1, 'Scale');
  const bias = node.input(2);
  node.requireFloatInputs(...[0, 1, ...(bias ? [2] : [])]);
  node.rejectExtraOutputs();
  const axis = a.int('axis', -1);
  const epsilon = a.float('epsilon', 1e-5);
  if (a.int('stash_type', 1) !== 1) throw new FormatError(`loadOnnx: ${label}: stash_type other than 1 (float32 statistics) is not supported`);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const t = logical(node.readFloat(env, x));
    const start = node.axis(axis, t.rank);
    const axes = Array.from({ length: t.rank - start }, (_, i) => start + i);
    const b = bias ? logical(node.readFloat(env, bias)) : null;
    env.set(out, floatValue(ops.layerNorm(t, logical(node.readFloat(env, scale)), b, { axis: axes, epsilon })));
  };
};
