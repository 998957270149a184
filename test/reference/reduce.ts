// Naive float64 references for reductions and softmax: loop over every output element and
// every element it covers, by multi-index.
import { type Arr, sizeOf, unravel } from './elementwise.js';

function reduceRef(x: Arr, axes: number[] | undefined, keepDims: boolean, init: number,
                   combine: (acc: number, v: number, k: number) => number, finish: (acc: number, n: number) => number = (a) => a): Arr {
  const rank = x.shape.length;
  const ax = axes === undefined ? x.shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
  const keepShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const outShape = keepDims ? keepShape : x.shape.filter((_, i) => !ax.includes(i));
  const n = sizeOf(ax.map((a) => x.shape[a]));
  const acc = new Array<number>(sizeOf(keepShape)).fill(init);
  const count = new Array<number>(sizeOf(keepShape)).fill(0);
  for (let i = 0; i < x.values.length; i++) {
    const idx = unravel(i, x.shape);
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * keepShape[d] + (ax.includes(d) ? 0 : idx[d]);
    acc[o] = combine(acc[o], x.values[i], count[o]++);
  }
  return { shape: outShape, values: acc.map((a) => finish(a, n)) };
}

export const sumRef = (x: Arr, axes?: number[], keepDims = false) => reduceRef(x, axes, keepDims, 0, (a, v) => a + v);
export const meanRef = (x: Arr, axes?: number[], keepDims = false) => reduceRef(x, axes, keepDims, 0, (a, v) => a + v, (a, n) => a / n);
export const maxRef = (x: Arr, axes?: number[], keepDims = false) => reduceRef(x, axes, keepDims, -Infinity, (a, v) => (Number.isNaN(a) ? a : Number.isNaN(v) || v > a ? v : a));

/** Index along `axis` of the first maximum. */
export function argMaxRef(x: Arr, axis: number): Arr {
  const rank = x.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const outShape = x.shape.filter((_, i) => i !== a);
  const best = new Array<number>(sizeOf(outShape)).fill(-Infinity);
  const arg = new Array<number>(sizeOf(outShape)).fill(0);
  for (let i = 0; i < x.values.length; i++) {
    const idx = unravel(i, x.shape);
    let o = 0;
    for (let d = 0; d < rank; d++) if (d !== a) o = o * x.shape[d] + idx[d];
    if (x.values[i] > best[o]) { best[o] = x.values[i]; arg[o] = idx[a]; }
  }
  return { shape: outShape, values: arg };
}

/** softmax (or log-softmax) along `axis`, in float64 with the usual max shift. */
export function softmaxRef(x: Arr, axis = -1, log = false): Arr {
  const rank = x.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const stride = sizeOf(x.shape.slice(a + 1));
  const n = x.shape[a];
  const out = new Array<number>(x.values.length);
  for (let i = 0; i < x.values.length; i++) {
    const idx = unravel(i, x.shape);
    if (idx[a] !== 0) continue;
    let m = -Infinity;
    for (let k = 0; k < n; k++) m = Math.max(m, x.values[i + k * stride]);
    let s = 0;
    for (let k = 0; k < n; k++) s += Math.exp(x.values[i + k * stride] - m);
    for (let k = 0; k < n; k++) {
      const v = x.values[i + k * stride] - m;
      out[i + k * stride] = log ? v - Math.log(s) : Math.exp(v) / s;
    }
  }
  return { shape: x.shape.slice(), values: out };
}
