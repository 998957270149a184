// Activation names accepted by layers (Keras spellings included), resolved to ops.
import type { Tensor } from '../tensor.js';
import { ValueError, fmtValue } from '../errors.js';
import { ops } from './ops.js';

/** An activation's canonical name, as a layer holds and saves it ('linear' = none). */
export type ActivationName = 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'sigmoid' | 'tanh' | 'softmax' | 'swish' | 'linear'
  | 'relu6' | 'hardSigmoid' | 'hardSwish' | 'softplus';

/** What a layer's `activation` option accepts: a canonical name or an alias ('silu' is 'swish'). */
export type ActivationSpec = ActivationName | 'silu' | 'leaky_relu' | 'hard_sigmoid' | 'hard_swish';

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
  softplus: (x) => ops.softplus(x),
};

// 'silu' resolves to 'swish', the name Keras 2 saves.
const ALIASES: Record<string, ActivationName> = { leaky_relu: 'leakyRelu', leakyrelu: 'leakyRelu', silu: 'swish',
  hard_sigmoid: 'hardSigmoid', hardsigmoid: 'hardSigmoid', hard_swish: 'hardSwish', hardswish: 'hardSwish' };

/** Canonical activation name for a spec (undefined / null -> 'linear'); ValueError naming `where`. */
export function activationName(spec: unknown, where: string): ActivationName {
  if (spec === undefined || spec === null) return 'linear';
  if (typeof spec === 'string') {
    const alias = [spec, spec.toLowerCase()].find((k) => Object.hasOwn(ALIASES, k));
    const name = (alias === undefined ? spec : ALIASES[alias]) as ActivationName;
    if (Object.prototype.hasOwnProperty.call(FNS, name)) return name;
  }
  const quoted = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
  throw new ValueError(`${where} must be one of ${quoted(Object.keys(FNS))} (or an alias: ${quoted(Object.keys(ALIASES))}), got ${fmtValue(spec)}`);
}

/** Applies a named activation (identity for 'linear'). */
export function applyActivation(name: ActivationName, x: Tensor): Tensor {
  const f = FNS[name];
  return f ? f(x) : x;
}
