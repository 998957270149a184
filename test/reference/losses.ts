// Naive float64 losses and their gradients w.r.t. yPred, written from the documented formulas
// (Keras conventions of API.md: probabilities clipped to [1e-7, 1 - 1e-7], mean reductions).
export interface LossRef { loss: number; grad: number[] }

const EPS = 1e-7;
// The clip bounds as float32 values, as the kernels see them.
const LO = Math.fround(EPS);
const HI = Math.fround(1 - EPS);
const clip = (p: number) => Math.min(Math.max(p, LO), HI);
const inside = (p: number) => p >= LO && p <= HI;

/** Cross-entropy over rows of `classes` values: dense targets t (one-hot or soft). */
export function categoricalCrossentropy(p: number[], t: number[], classes: number, fromLogits: boolean): LossRef {
  const rows = p.length / classes;
  let loss = 0;
  const grad = new Array<number>(p.length).fill(0);
  for (let r = 0; r < rows; r++) {
    const x = p.slice(r * classes, (r + 1) * classes);
    const y = t.slice(r * classes, (r + 1) * classes);
    if (fromLogits) {
      const m = Math.max(...x);
      const s = x.reduce((a, v) => a + Math.exp(v - m), 0);
      const lse = m + Math.log(s);
      const sumY = y.reduce((a, v) => a + v, 0);
      for (let c = 0; c < classes; c++) {
        loss += y[c] * (lse - x[c]);
        grad[r * classes + c] = (Math.exp(x[c] - m) / s * sumY - y[c]) / rows;
      }
    } else {
      for (let c = 0; c < classes; c++) {
        loss -= y[c] * Math.log(clip(x[c]));
        grad[r * classes + c] = inside(x[c]) ? -y[c] / x[c] / rows : 0;
      }
    }
  }
  return { loss: loss / rows, grad };
}

export function sparseCategoricalCrossentropy(p: number[], labels: number[], classes: number, fromLogits: boolean): LossRef {
  const t = new Array<number>(p.length).fill(0);
  labels.forEach((l, r) => { t[r * classes + l] = 1; });
  return categoricalCrossentropy(p, t, classes, fromLogits);
}

export function binaryCrossentropy(p: number[], y: number[], fromLogits: boolean): LossRef {
  const n = p.length;
  let loss = 0;
  const grad = p.map((x, i) => {
    if (fromLogits) {
      const sig = 1 / (1 + Math.exp(-x));
      loss += -(y[i] * Math.log(sig) + (1 - y[i]) * Math.log(1 - sig));
      return (sig - y[i]) / n;
    }
    const pc = clip(x);
    loss += -(y[i] * Math.log(pc) + (1 - y[i]) * Math.log(1 - pc));
    return inside(x) ? (-y[i] / x + (1 - y[i]) / (1 - x)) / n : 0;
  });
  return { loss: loss / n, grad };
}

/** binaryCrossentropy from logits written the stable way, for extreme logits. */
export function binaryCrossentropyLogitsStable(x: number[], y: number[]): number {
  let s = 0;
  x.forEach((v, i) => { s += Math.max(v, 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v))); });
  return s / x.length;
}

export function meanSquaredError(p: number[], y: number[]): LossRef {
  const n = p.length;
  return { loss: p.reduce((a, v, i) => a + (v - y[i]) ** 2, 0) / n, grad: p.map((v, i) => 2 * (v - y[i]) / n) };
}

export function meanAbsoluteError(p: number[], y: number[]): LossRef {
  const n = p.length;
  return { loss: p.reduce((a, v, i) => a + Math.abs(v - y[i]), 0) / n, grad: p.map((v, i) => Math.sign(v - y[i]) / n) };
}

export function hinge(p: number[], y: number[]): LossRef {
  const n = p.length;
  const binary = y.every((v) => v === 0 || v === 1);
  const ys = binary ? y.map((v) => 2 * v - 1) : y;
  let loss = 0;
  const grad = p.map((v, i) => {
    const m = 1 - ys[i] * v;
    loss += Math.max(m, 0);
    return m > 0 ? -ys[i] / n : 0;
  });
  return { loss: loss / n, grad };
}

export function huber(p: number[], y: number[], delta = 1): LossRef {
  const n = p.length;
  let loss = 0;
  const grad = p.map((v, i) => {
    const e = v - y[i];
    const a = Math.abs(e);
    loss += a <= delta ? 0.5 * e * e : delta * (a - 0.5 * delta);
    return (a <= delta ? e : delta * Math.sign(e)) / n;
  });
  return { loss: loss / n, grad };
}
