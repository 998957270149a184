// Finite-difference gradient check: compares autograd's gradient of sum(f(x) * R) (R a fixed
// random weighting, so every output element matters differently) with central differences.
import { Tensor, tensor } from '../../src/index.js';

export interface GradCheckInput { shape: number[]; values?: number[]; requiresGrad?: boolean }

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** Random values in [lo, hi) from a small deterministic generator. */
export function randomValues(n: number, seed = 1, lo = -1, hi = 1): number[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/**
 * Returns the largest relative error |analytic - numeric| / max(1, |numeric|) over every input
 * element that requires grad. `fn` builds the op from tensors.
 */
export function gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: GradCheckInput[], { eps = 1e-3, seed = 7 } = {}): number {
  const vals = inputs.map((inp, i) => inp.values ?? randomValues(inp.shape.reduce((a, b) => a * b, 1), seed + i));
  const make = (vs: number[][]) => vs.map((v, i) => {
    const t = tensor(v, inputs[i].shape);
    if (inputs[i].requiresGrad !== false) t.requireGrad();
    return t;
  });
  const xs = make(vals);
  const out = fn(...xs);
  const R = randomValues(out.size, seed + 100, 0.5, 1.5);
  out.backward(tensor(R, out.shape as number[]));
  const analytic = xs.map((x) => (x.grad ? Array.from(x.grad.dataSync()) : null));
  const objective = (vs: number[][]): number => {
    const ts = vs.map((v, i) => tensor(v, inputs[i].shape));
    const o = fn(...ts).dataSync();
    let s = 0;
    for (let i = 0; i < o.length; i++) s += o[i] * R[i];
    return s;
  };
  let worst = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].requiresGrad === false) continue;
    const a = analytic[i];
    if (!a) throw new Error(`gradCheck: input ${i} got no gradient`);
    for (let j = 0; j < vals[i].length; j++) {
      const plus = vals.map((v) => v.slice());
      const minus = vals.map((v) => v.slice());
      plus[i][j] += eps;
      minus[i][j] -= eps;
      const numeric = (objective(plus) - objective(minus)) / (2 * eps);
      const err = Math.abs(a[j] - numeric) / Math.max(1, Math.abs(numeric));
      if (err > worst) worst = err;
    }
  }
  return worst;
}
