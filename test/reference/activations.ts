// Naive float64 references of relu6, hardSigmoid, hardSwish, silu, softplus and erf, with their
// derivatives; at the kinks the derivatives follow PyTorch's choices.
import { erf } from './elementwise.js';

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const relu6 = (x: number) => Math.min(Math.max(x, 0), 6);

/** The activations, x -> f(x), in float64. */
export const activationFns: Record<string, (x: number) => number> = {
  relu6,
  hardSigmoid: (x) => relu6(x + 3) / 6,
  // -0 below -3 also at -inf, where x * 0 would be NaN (PyTorch gives -0 too)
  hardSwish: (x) => (x < -3 ? -0 : (x * relu6(x + 3)) / 6),
  silu: (x) => x * sigmoid(x),
  softplus: (x) => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0),
  erf: (x) => (Number.isNaN(x) ? NaN : x === Infinity ? 1 : x === -Infinity ? -1 : erf(x)),
};

/** Their derivatives, x -> f'(x). */
export const activationGrads: Record<string, (x: number) => number> = {
  relu6: (x) => (x > 0 && x < 6 ? 1 : 0),
  hardSigmoid: (x) => (x > -3 && x < 3 ? 1 / 6 : 0),
  hardSwish: (x) => (x < -3 ? 0 : x < 3 ? x / 3 + 0.5 : 1),
  silu: (x) => { const s = sigmoid(x); return s * (1 + x * sigmoid(-x)); },
  softplus: sigmoid,
  erf: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x),
};
