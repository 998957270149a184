// Naive references for the shape ops, element by element through multi-indices.
import { type Arr, sizeOf, unravel } from './elementwise.js';

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d] + idx[d];
  return o;
}

export function transposeRef(x: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => x.shape[p]);
  const values = new Array<number>(x.values.length);
  for (let i = 0; i < values.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => { src[p] = idx[k]; });
    values[i] = x.values[ravel(src, x.shape)];
  }
  return { shape, values };
}

export function concatRef(xs: Arr[], axis: number): Arr {
  const rank = xs[0].shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const shape = xs[0].shape.slice();
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  const values = new Array<number>(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    const idx = unravel(i, shape);
    let k = 0, j = idx[a];
    while (j >= xs[k].shape[a]) { j -= xs[k].shape[a]; k++; }
    const src = idx.slice();
    src[a] = j;
    values[i] = xs[k].values[ravel(src, xs[k].shape)];
  }
  return { shape, values };
}

export function sliceRef(x: Arr, begin: number[], size: number[]): Arr {
  const shape = size.map((s, d) => (s === -1 ? x.shape[d] - begin[d] : s));
  const values = new Array<number>(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v + begin[d]);
    values[i] = x.values[ravel(idx, x.shape)];
  }
  return { shape, values };
}

export function padRef(x: Arr, paddings: [number, number][], value = 0): Arr {
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const values = new Array<number>(sizeOf(shape));
  for (let i = 0; i < values.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v - paddings[d][0]);
    values[i] = idx.every((v, d) => v >= 0 && v < x.shape[d]) ? x.values[ravel(idx, x.shape)] : value;
  }
  return { shape, values };
}

/** (x - mean) / sqrt(var + eps) * gamma + beta over the last axis. */
export function batchNormRef(x: Arr, mean: number[], variance: number[], gamma: number[] | null, beta: number[] | null, eps: number): Arr {
  const C = x.shape[x.shape.length - 1];
  return {
    shape: x.shape.slice(),
    values: x.values.map((v, i) => {
      const c = i % C;
      return ((v - mean[c]) / Math.sqrt(variance[c] + eps)) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
    }),
  };
}
