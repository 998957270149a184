// BatchNormalization in inference form (running statistics) and InstanceNormalization, over the
// channel axis of any rank.
import { ops, FormatError, ShapeError, type Tensor } from '../../../index.js';
import { fmtShape } from '../../../fmt.js';
import type { NodeContext, OpHandler } from '../graph-context.js';
import { floatValue, nhwcOf, permute, type Env, type FloatValue } from '../values.js';

/** `fn` applied to the channels-last form of the (N, C, D1, ...) value v (NHWC for 4-D), in v's layout. */
function onChannelsLast(v: FloatValue, label: string, fn: (t: Tensor) => Tensor): FloatValue {
  const rank = v.t.rank;
  if (rank === 4) return floatValue(fn(nhwcOf(v, label)), true);
  if (rank === 2) return floatValue(fn(v.t));
  const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  const inv = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
  return floatValue(permute(fn(permute(v.t, perm)), inv));
}

/** A BatchNormalization node, checked: its input, epsilon, and its four parameters at run time. */
export interface BatchNormNode {
  x: string;
  eps: number;
  /** [scale, B, input_mean, input_var], flattened: prepared once where they are constants. */
  params(env: Env): Tensor[];
}

/** Checks a BatchNormalization node and prepares its constant parameters (declares its output). */
export function batchNormNode(node: NodeContext): BatchNormNode {
  const { label } = node;
  const a = node.attributes(['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs']);
  const x = node.requiredInput(0, 'X');
  const names = [node.requiredInput(1, 'scale'), node.requiredInput(2, 'B'), node.requiredInput(3, 'input_mean'), node.requiredInput(4, 'input_var')];
  node.requireFloatInputs(0, 1, 2, 3, 4);
  node.rejectExtraOutputs();
  if (a.int('training_mode', 0) !== 0) throw new FormatError(`loadOnnx: ${label}: training_mode=1 is not supported (inference only)`);
  if (a.int('spatial', 1) !== 1) throw new FormatError(`loadOnnx: ${label}: spatial=0 is not supported`);
  const consts = names.map((n) => (node.hostFloat(n) ? node.preparedConst(n, (t) => ops.reshape(t, [-1])) : null));
  node.declareOutput();
  return {
    x,
    eps: a.float('epsilon', 1e-5),
    params: (env) => names.map((n, i) => consts[i] ?? ops.reshape(node.readFloat(env, n).t, [-1])),
  };
}

/** The batch norm of v over its channel axis, in v's layout; [scale, B, mean, var] as batchNormNode's params. */
export function batchNormOf(v: FloatValue, [scale, bias, mean, variance]: Tensor[], eps: number, label: string): FloatValue {
  if (v.t.rank < 2) throw new ShapeError(`${label}: input must have a channel axis (N, C, ...), got ${fmtShape(v.t.shape)}`);
  return onChannelsLast(v, label, (t) => ops.batchNorm(t, mean, variance, scale, bias, eps));
}

export const batchNormalization: OpHandler = (node) => {
  const b = batchNormNode(node);
  const out = node.output;
  return (env) => env.set(out, batchNormOf(node.readFloat(env, b.x), b.params(env), b.eps, node.label));
};

/** InstanceNormalization: each sample's channel normalised over its spatial axes, then scale and B per channel. */
export const instanceNormalization: OpHandler = (node) => {
  const { label } = node;
  const eps = node.attributes(['epsilon']).float('epsilon', 1e-5);
  const x = node.requiredInput(0, 'input');
  const names = [node.requiredInput(1, 'scale'), node.requiredInput(2, 'B')];
  node.requireFloatInputs(0, 1, 2);
  node.rejectExtraOutputs();
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const v = node.readFloat(env, x);
    const [scale, bias] = names.map((n) => ops.reshape(node.readFloat(env, n).t, [-1]));
    if (v.t.rank < 3) throw new ShapeError(`${label}: input must be (N, C, D1, ...), got ${fmtShape(v.t.shape)}`);
    // groups = channels: each channel of each sample is its own group.
    env.set(out, onChannelsLast(v, label, (t) => ops.groupNorm(t, t.shape[t.rank - 1], scale, bias, { epsilon: eps })));
  };
};
