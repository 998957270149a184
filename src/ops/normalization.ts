// batchNorm with given statistics (differentiable in all five inputs, so a layer that computes
// the batch statistics with ops gets the full training gradient) and inverted dropout.
import { Tensor, record, type TensorLike } from '../tensor.js';
import { kernels, workspace } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { fillUniform } from '../random.js';
import { asFloat, describe } from './util.js';
import { BinaryOp } from '../backend/kernels.generated.js';

function channelParam(v: unknown, name: string, C: number, x: Tensor): Tensor {
  const t = asFloat(v, 'batchNorm', name);
  if (t.size !== C || (t.rank > 0 && t.shape[t.rank - 1] !== C)) {
    throw new ShapeError(`batchNorm: ${name} ${fmtShape(t.shape)} must hold one value per channel (x ${fmtShape(x.shape)} has ${C} channels on its last axis)`);
  }
  return t;
}

/**
 * (x - mean) / sqrt(variance + eps) * gamma + beta over the last (channel) axis. mean, variance,
 * gamma, beta hold one value per channel ([C] or [1, ..., C]); gamma / beta may be null (1 / 0).
 */
export function batchNorm(x: TensorLike, mean: TensorLike, variance: TensorLike,
                          gamma?: TensorLike | null, beta?: TensorLike | null, eps = 1e-3): Tensor {
  const t = asFloat(x, 'batchNorm');
  if (t.rank === 0) throw new ShapeError('batchNorm: x must have a channel axis, got a scalar');
  const C = t.shape[t.rank - 1];
  const m = channelParam(mean, 'mean', C, t);
  const v = channelParam(variance, 'variance', C, t);
  const gm = gamma === undefined || gamma === null ? null : channelParam(gamma, 'gamma', C, t);
  const bt = beta === undefined || beta === null ? null : channelParam(beta, 'beta', C, t);
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
    throw new ValueError(`batchNorm: eps must be a finite number >= 0, got ${describe(eps)}`);
  }
  const rows = C === 0 ? 0 : t.size / C;
  const out = Tensor.empty(t.shape);
  if (out.size) {
    const scratch = workspace(4 * C, 0);
    kernels().batchNormForward(t.ptr, m.ptr, v.ptr, gm ? gm.ptr : 0, bt ? bt.ptr : 0, out.ptr, rows, C, eps, scratch);
  }
  const inputs = [t, m, v, ...(gm ? [gm] : []), ...(bt ? [bt] : [])];
  return record('batchNorm', out, inputs, (g) => {
    const grad = (u: Tensor | null) => (u && u.requiresGrad ? Tensor.empty(u.shape) : null);
    const gx = grad(t), gMean = grad(m), gVar = grad(v), gGamma = grad(gm), gBeta = grad(bt);
    if (C > 0) {
      const scratch = workspace(12 * C, 0);
      kernels().batchNormBackward(t.ptr, m.ptr, v.ptr, gm ? gm.ptr : 0, g.ptr, rows, C, eps,
        gx?.ptr ?? 0, gMean?.ptr ?? 0, gVar?.ptr ?? 0, gGamma?.ptr ?? 0, gBeta?.ptr ?? 0, scratch);
    }
    return [gx, gMean, gVar, ...(gm ? [gGamma] : []), ...(bt ? [gBeta] : [])];
  });
}

/**
 * Inverted dropout: when training and rate > 0, zeroes each value with probability `rate`
 * (mask drawn from the seeded generator) and scales the rest by 1 / (1 - rate); otherwise the
 * identity (a view, no copy). `training` defaults to true, as tf.dropout.
 */
export function dropout(x: TensorLike, rate: number, training = true): Tensor {
  const t = asFloat(x, 'dropout');
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new ValueError(`dropout: rate must be a number in [0, 1), got ${describe(rate)}`);
  }
  if (typeof training !== 'boolean') throw new ValueError(`dropout: training must be a boolean, got ${describe(training)}`);
  if (!training || rate === 0) {
    return record('dropout', t._viewAs(t.shape), [t], (g) => [g]);
  }
  const mask = Tensor.empty(t.shape);
  const k = kernels();
  if (mask.size) {
    fillUniform(mask.ptr, mask.size, 0, 1);
    k.dropoutMask(mask.ptr, mask.size, rate, 1 / (1 - rate));
  }
  const out = Tensor.empty(t.shape);
  if (out.size) k.binarySame(BinaryOp.Mul, t.ptr, mask.ptr, out.ptr, out.size);
  const res = record('dropout', out, [t], (g) => {
    const gx = Tensor.empty(t.shape);
    if (gx.size) kernels().binarySame(BinaryOp.Mul, g.ptr, mask.ptr, gx.ptr, gx.size);
    return [gx];
  }, [mask]);
  if (!res._node) mask.dispose();
  return res;
}
