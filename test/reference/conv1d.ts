// Naive conv1d reference in float64: a 1-D convolution is the 2-D one of test/reference/conv.ts
// over a height of one (x [N, L, C] as [N, 1, L, C], w [k, C/g, O] as [1, k, C/g, O]), with its
// own 1-D padding resolution from the definitions.
import { refConv2d, refConv2dBackpropFilter, refConv2dBackpropInput, type Pad4 } from './conv.js';
import type { Arr } from './elementwise.js';

export interface RefConv1dOptions {
  strides?: number;
  dilation?: number;
  padding?: 'valid' | 'same' | number | [number, number];
  groups?: number;
}

/** [left, right] padding: TensorFlow 'same' (out = ceil(L / s), the odd pad on the right) or explicit. */
export function refPads1d(padding: RefConv1dOptions['padding'], L: number, k: number, s: number, d: number): [number, number] {
  if (padding === undefined || padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const total = Math.max(0, (Math.ceil(L / s) - 1) * s + (k - 1) * d + 1 - L);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return typeof padding === 'number' ? [padding, padding] : padding;
}

/** The 2-D forms of conv1d's operands and options. */
function as2d(x: Arr, w: Arr, o: RefConv1dOptions) {
  const [N, L, C] = x.shape;
  const [k, Cg, O] = w.shape;
  const s = o.strides ?? 1, d = o.dilation ?? 1;
  const [l, r] = refPads1d(o.padding, L, k, s, d);
  const pads: Pad4 = [0, 0, l, r];
  return {
    xShape: [N, 1, L, C], wShape: [1, k, Cg, O],
    opts: { strides: [1, s] as [number, number], dilation: [1, d] as [number, number], pads, groups: o.groups ?? 1 },
  };
}

/** y[n, t, o] = b[o] + sum_{j, c in group} x[n, t*s - left + j*d, c] * w[j, c, o]. */
export function refConv1d(x: Arr, w: Arr, b: Arr | null, o: RefConv1dOptions = {}): Arr {
  const { xShape, wShape, opts } = as2d(x, w, o);
  const { y, shape } = refConv2d(x.values, xShape, w.values, wShape, b ? b.values : null, opts);
  return { shape: [shape[0], shape[2], shape[3]], values: Array.from(y) };
}

/** [dx, dw, db] of sum(refConv1d(x, w, b) * dy) (db null without a bias). */
export function refConv1dGrads(x: Arr, w: Arr, b: Arr | null, dy: Arr, o: RefConv1dOptions = {}): (number[] | null)[] {
  const { xShape, wShape, opts } = as2d(x, w, o);
  const dx = refConv2dBackpropInput(xShape, dy.values, w.values, wShape, opts);
  const dw = refConv2dBackpropFilter(x.values, xShape, dy.values, wShape, opts);
  const O = w.shape[2];
  const db = b ? new Array<number>(O).fill(0) : null;
  if (db) dy.values.forEach((g, i) => { db[i % O] += g; });
  return [Array.from(dx), Array.from(dw), db];
}
