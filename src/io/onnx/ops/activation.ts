// Activations: functions of one float input that keep its layout (Relu, Sigmoid, Tanh,
// LeakyRelu, Elu, Gelu, Clip, HardSigmoid, HardSwish, Softplus, Erf), PRelu with its slope input,
// and Softmax / LogSoftmax along an axis.
import { ops, FormatError, ShapeError, _profileStepKind, type Tensor } from '../../../index.js';
import { sizeOf } from '../../../fmt.js';
import type { NodeContext, OpHandler, Step } from '../graph-context.js';
import { floatValue, logical, TO_NHWC, type Env } from '../values.js';
import { binary } from './elementwise.js';

/** The step applying `fn` to input 0 in whatever layout it has; the caller checks the attributes. */
function unaryStep(node: NodeContext, fn: (t: Tensor) => Tensor): Step {
  const x = node.floatInOut('X');
  const out = node.output;
  return (env) => { const v = node.readFloat(env, x); env.set(out, floatValue(fn(v.t), v.nhwc)); };
}

/** An activation without attributes. */
const plain = (fn: (t: Tensor) => Tensor): OpHandler => (node) => {
  node.attributes([]);
  return unaryStep(node, fn);
};

export const relu = plain((t) => ops.relu(t));
export const sigmoid = plain((t) => ops.sigmoid(t));
export const tanh = plain((t) => ops.tanh(t));

export const leakyRelu: OpHandler = (node) => {
  const alpha = node.attributes(['alpha']).float('alpha', 0.01);
  return unaryStep(node, (t) => ops.leakyRelu(t, alpha));
};

export const elu: OpHandler = (node) => {
  const alpha = node.attributes(['alpha']).float('alpha', 1);
  return unaryStep(node, (t) => ops.elu(t, alpha));
};

export const gelu: OpHandler = (node) => {
  const approx = node.attributes(['approximate']).string('approximate', 'none');
  if (approx !== 'none') throw new FormatError(`loadOnnx: ${node.label}: approximate='${approx}' is not supported (only the exact gelu)`);
  return unaryStep(node, (t) => ops.gelu(t));
};

/**
 * The step of an exact gelu written out with Erf (found by fuseGelu), on the pattern's `input`;
 * profiled as a Gelu rather than as the Mul whose node it runs at.
 */
export function fusedGeluStep(node: NodeContext, input: string): Step {
  node.declareOutput();
  const out = node.output;
  return (env) => {
    _profileStepKind('elementwise (Gelu)');
    const v = node.readFloat(env, input);
    env.set(out, floatValue(ops.gelu(v.t), v.nhwc));
  };
}

export const clip: OpHandler = (node) => {
  const { label } = node;
  const boundsAreAttributes = node.opset < 11; // min and max are inputs since opset 11
  const a = node.attributes(boundsAreAttributes ? ['min', 'max'] : []);
  const x = node.floatInOut('input');
  let lo = -Infinity, hi = Infinity;
  let loName: string | null = null, hiName: string | null = null;
  if (boundsAreAttributes) {
    lo = a.float('min', -3.4028234663852886e38);
    hi = a.float('max', 3.4028234663852886e38);
  } else {
    loName = node.input(1); hiName = node.input(2);
  }
  const bound = (env: Env, name: string | null, dflt: number): number => {
    if (name === null) return dflt;
    const v = env.get(name)!;
    const vals = v.kind === 'f' ? v.t.dataSync() : v.data;
    if (vals.length !== 1) throw new ShapeError(`${label}: min/max must be scalars, got ${vals.length} values`);
    return vals[0];
  };
  const out = node.output;
  return (env) => {
    const v = node.readFloat(env, x);
    env.set(out, floatValue(ops.clip(v.t, bound(env, loName, lo), bound(env, hiName, hi)), v.nhwc));
  };
};

export const prelu = binary((x, slope) => ops.sub(ops.relu(x), ops.mul(slope, ops.relu(ops.neg(x)))), 'X', 'slope');

/** Softmax or LogSoftmax (`fn`) along the `axis` attribute. */
const softmaxFamily = (fn: (t: Tensor, axis: number) => Tensor): OpHandler => (node) => {
  const attrAxis = node.attributes(['axis']).int('axis', node.opset >= 13 ? -1 : 1);
  const x = node.floatInOut('input');
  const out = node.output;
  return (env) => {
    const v = node.readFloat(env, x);
    const rank = v.t.rank;
    const axis = node.axis(attrAxis, rank);
    if (node.opset >= 13 || axis === rank - 1) {
      const phys = v.nhwc ? TO_NHWC.indexOf(axis) : axis;
      env.set(out, floatValue(fn(v.t, phys), v.nhwc));
      return;
    }
    // Before opset 13: softmax over the flattened axes [axis, rank).
    const t = logical(v);
    const inner = sizeOf(t.shape.slice(axis));
    env.set(out, floatValue(ops.reshape(fn(ops.reshape(t, [t.size / Math.max(inner, 1), inner]), -1), t.shape)));
  };
};

export const softmax = softmaxFamily((t, axis) => ops.softmax(t, axis));
export const logSoftmax = softmaxFamily((t, axis) => ops.logSoftmax(t, axis));

export const hardSwish = plain((t) => ops.hardSwish(t));
export const softplus = plain((t) => ops.softplus(t));
export const erf = plain((t) => ops.erf(t));

/** max(0, min(1, alpha * x + beta)): ops.hardSigmoid for PyTorch's (and toOnnx's) alpha 1/6, beta 1/2. */
export const hardSigmoid: OpHandler = (node) => {
  const a = node.attributes(['alpha', 'beta']);
  const alpha = a.float('alpha', 0.2);
  const beta = a.float('beta', 0.5);
  if (Math.fround(alpha) === Math.fround(1 / 6) && beta === 0.5) return unaryStep(node, (t) => ops.hardSigmoid(t));
  return unaryStep(node, (t) => ops.clip(ops.add(ops.mul(t, alpha), beta), 0, 1));
};
