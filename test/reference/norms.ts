// Naive float64 references for layerNorm and groupNorm and their gradients: every value's
// normalised set and parameter index found by plain index arithmetic, two-pass mean and variance.
import { sizeOf, unravel, type Arr } from './elementwise.js';

/** Which set (for the statistics) and which gamma/beta entry each flat position of x uses. */
interface Layout { set: (i: number) => number; param: (i: number) => number; sets: number }

/** Layer norm over the trailing axes from `start`: one set per leading index. */
export function layerNormLayout(shape: readonly number[], start: number): Layout {
  const cols = sizeOf(shape.slice(start));
  return { set: (i) => Math.floor(i / cols), param: (i) => i % cols, sets: sizeOf(shape.slice(0, start)) };
}

/** Group norm on [N, ..., C]: one set per (sample, group of C / groups consecutive channels). */
export function groupNormLayout(shape: readonly number[], groups: number): Layout {
  const C = shape[shape.length - 1];
  const cg = C / groups;
  return {
    set: (i) => { const idx = unravel(i, shape); return idx[0] * groups + Math.floor(idx[idx.length - 1] / cg); },
    param: (i) => i % C,
    sets: shape[0] * groups,
  };
}

/** Mean and 1/sqrt(biased variance + eps) of every set, in float64 and two passes. */
function statistics(x: Arr, l: Layout, eps: number): { mean: number[]; rstd: number[]; count: number[] } {
  const sum = new Array<number>(l.sets).fill(0), count = new Array<number>(l.sets).fill(0), sq = new Array<number>(l.sets).fill(0);
  x.values.forEach((v, i) => { sum[l.set(i)] += v; count[l.set(i)]++; });
  const mean = sum.map((s, k) => s / count[k]);
  x.values.forEach((v, i) => { sq[l.set(i)] += (v - mean[l.set(i)]) ** 2; });
  return { mean, rstd: sq.map((s, k) => 1 / Math.sqrt(s / count[k] + eps)), count };
}

/** (x - mean) * rstd * gamma + beta; gamma / beta null for 1 / 0. */
export function normRef(x: Arr, l: Layout, gamma: Arr | null, beta: Arr | null, eps: number): Arr {
  const { mean, rstd } = statistics(x, l, eps);
  return {
    shape: x.shape.slice(),
    values: x.values.map((v, i) => (v - mean[l.set(i)]) * rstd[l.set(i)] * (gamma ? gamma.values[l.param(i)] : 1) + (beta ? beta.values[l.param(i)] : 0)),
  };
}

/** Gradients [dx, dgamma, dbeta] of normRef for the upstream gradient dy (dgamma / dbeta over gamma's size). */
export function normGradRef(x: Arr, l: Layout, gamma: Arr | null, eps: number, dy: Arr, params: number): number[][] {
  const { mean, rstd, count } = statistics(x, l, eps);
  const xhat = x.values.map((v, i) => (v - mean[l.set(i)]) * rstd[l.set(i)]);
  const dxhat = dy.values.map((d, i) => d * (gamma ? gamma.values[l.param(i)] : 1));
  const meanD = new Array<number>(l.sets).fill(0), meanDX = new Array<number>(l.sets).fill(0);
  dxhat.forEach((d, i) => { meanD[l.set(i)] += d / count[l.set(i)]; meanDX[l.set(i)] += d * xhat[i] / count[l.set(i)]; });
  const dx = dxhat.map((d, i) => rstd[l.set(i)] * (d - meanD[l.set(i)] - xhat[i] * meanDX[l.set(i)]));
  const dgamma = new Array<number>(params).fill(0), dbeta = new Array<number>(params).fill(0);
  dy.values.forEach((d, i) => { dgamma[l.param(i)] += d * xhat[i]; dbeta[l.param(i)] += d; });
  return [dx, dgamma, dbeta];
}
