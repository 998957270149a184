// Activations and their gradients: relu, leakyRelu, elu, exact (erf-based) gelu, sigmoid,
// tanh, softmax / logSoftmax along an axis (numerically stable: shifted by the max), and the
// activations of mobile CNNs: relu6, hardSigmoid, hardSwish, silu (swish), softplus, and erf.
import { Tensor, record, type TensorLike } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { asFloat, normAxis } from './util.js';
import { finiteNumber, unaryOp } from './internal.js';
import { UnaryOp } from '../backend/kernels.generated.js';

/** max(x, 0); gradient 0 at x <= 0. */
export function relu(x: TensorLike): Tensor { return unaryOp('relu', UnaryOp.Relu, x); }

/** x > 0 ? x : alpha * x */
export function leakyRelu(x: TensorLike, alpha = 0.01): Tensor {
  return unaryOp('leakyRelu', UnaryOp.LeakyRelu, x, finiteNumber(alpha, 'leakyRelu', 'alpha'));
}

/** x > 0 ? x : alpha * (e^x - 1) */
export function elu(x: TensorLike, alpha = 1): Tensor {
  return unaryOp('elu', UnaryOp.Elu, x, finiteNumber(alpha, 'elu', 'alpha'));
}

/** x * Phi(x) with Phi the standard normal CDF (the exact, erf-based GELU). */
export function gelu(x: TensorLike): Tensor { return unaryOp('gelu', UnaryOp.Gelu, x); }

/** 1 / (1 + e^-x) */
export function sigmoid(x: TensorLike): Tensor { return unaryOp('sigmoid', UnaryOp.Sigmoid, x); }

/** Hyperbolic tangent. */
export function tanh(x: TensorLike): Tensor { return unaryOp('tanh', UnaryOp.Tanh, x); }

function softmaxOp(op: string, logOut: 0 | 1, x: TensorLike, axis: number): Tensor {
  const t = asFloat(x, op);
  const ax = normAxis(axis, t.rank, op);
  let outer = 1, inner = 1;
  for (let d = 0; d < ax; d++) outer *= t.shape[d];
  for (let d = ax + 1; d < t.rank; d++) inner *= t.shape[d];
  const n = t.shape[ax];
  const out = Tensor.empty(t.shape);
  if (out.size) kernels().softmax(t.ptr, out.ptr, outer, n, inner, logOut);
  return record(op, out, [t], (g) => {
    const gx = Tensor.empty(t.shape);
    if (gx.size) kernels().softmaxBackward(out.ptr, g.ptr, gx.ptr, outer, n, inner, logOut);
    return [gx];
  });
}

/** e^x / sum(e^x) along `axis` (default the last). */
export function softmax(x: TensorLike, axis = -1): Tensor {
  return softmaxOp('softmax', 0, x, axis);
}

/** x - log(sum(e^x)) along `axis` (default the last). */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  return softmaxOp('logSoftmax', 1, x, axis);
}

// The kinks follow PyTorch: relu6 and hardSigmoid pass no gradient at their kinks; hardSwish's
// gradient is 0 below -3, x/3 + 1/2 on [-3, 3) and 1 from 3 on (PyTorch's vectorised loop; its
// scalar loop, used for short tensors, gives 1.5 at x = 3).

/** min(max(x, 0), 6); gradient 1 on (0, 6). */
export function relu6(x: TensorLike): Tensor { return unaryOp('relu6', UnaryOp.Relu6, x); }

/** relu6(x + 3) / 6 (PyTorch's hardsigmoid); gradient 1/6 on (-3, 3). */
export function hardSigmoid(x: TensorLike): Tensor { return unaryOp('hardSigmoid', UnaryOp.HardSigmoid, x); }

/** x * hardSigmoid(x) (MobileNetV3's h-swish); 0 below -3, x above 3. */
export function hardSwish(x: TensorLike): Tensor { return unaryOp('hardSwish', UnaryOp.HardSwish, x); }

/** x * sigmoid(x); gradient s * (1 + x * (1 - s)), s = sigmoid(x). */
export function silu(x: TensorLike): Tensor { return unaryOp('silu', UnaryOp.Silu, x); }

/** silu under its other name: x * sigmoid(x). */
export function swish(x: TensorLike): Tensor { return unaryOp('swish', UnaryOp.Silu, x); }

/** log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) (no overflow); gradient sigmoid(x). */
export function softplus(x: TensorLike): Tensor { return unaryOp('softplus', UnaryOp.Softplus, x); }

/** The error function; gradient 2/sqrt(pi) * e^(-x^2). */
export function erf(x: TensorLike): Tensor { return unaryOp('erf', UnaryOp.Erf, x); }
