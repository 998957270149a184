// Activation names accepted by layers (Keras spellings included), resolved to ops.
import type { Tensor } from '../tensor.js';
import { ValueError, fmtValue } from '../errors.js';
import { ops } from './ops.js';

/** Activation names a layer accepts ('linear' / null = none). */
export type ActivationName = 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'sigmoid' | 'tanh' | 'softmax' | 'swish' | 'linear'
  | 'relu6' | 'hardSigmoid' | 'hardSwish' | 'silu' | 'softplus';

const FNS: Record<ActivationName, ((x: Tensor) => Tensor) | null> = {
  relu: (x) => ops.relu(x),
  leakyRelu: (x) => ops.leakyRelu(x, 0.01),
  elu: (x) => ops.elu(x, 1),
  gelu: (x) => ops.gelu(x),
  sigmoid: (x) => ops.sigmoid(x),
  tanh: (x) => ops.tanh(x),
  softmax: (x) => ops.softmax(x, -1),
  swish: (x) => ops.swish(x),
  linear: null,
  relu6: (x) => ops.relu6(x),
  hardSigmoid: (x) => ops.hardSigmoid(x),
  hardSwish: (x) => ops.hardSwish(x),
  silu: (x) => ops.silu(x), // named 'swish' once resolved (ALIASES), as Keras 2 did
  softplus: (x) => ops.softplus(x),
};

const ALIASES: Record<string, ActivationName> = { leaky_relu: 'leakyRelu', leakyrelu: 'leakyRelu', silu: 'swish',
  hard_sigmoid: 'hardSigmoid', hardsigmoid: 'hardSigmoid', hard_swish: 'hardSwish', hardswish: 'hardSwish' };

/** Canonical activation name for a spec (undefined / null -> 'linear'); ValueError naming `where`. */
export function activationName(spec: unknown, where: string): ActivationName {
  if (spec === undefined || spec === null) return 'linear';
  if (typeof spec === 'string') {
    const name = (ALIASES[spec] ?? ALIASES[spec.toLowerCase()] ?? spec) as ActivationName;
    if (Object.prototype.hasOwnProperty.call(FNS, name)) return name;
  }
  throw new ValueError(`${where} must be one of ${Object.keys(FNS).map((n) => `'${n}'`).join(', ')}, got ${fmtValue(spec)}`);
}

/** Applies a named activation (identity for 'linear'). */
export function applyActivation(name: ActivationName, x: Tensor): Tensor {
  const f = FNS[name];
  return f ? f(x) : x;
}
