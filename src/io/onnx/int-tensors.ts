// Integer tensors on the host: the shape arithmetic PyTorch exports compute pads and shapes with
// (Shape -> Gather -> Concat -> Reshape ...), evaluated without the kernels.
import { sizeOf } from '../../fmt.js';
import type { IntValue } from './values.js';

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let n = 1;
  for (let d = dims.length - 1; d >= 0; d--) { s[d] = n; n *= dims[d]; }
  return s;
}

/** Gathers `outDims` elements: out[idx] = data[sum(start[d] + idx[d] * step[d]) * stride[d]]. */
export function gatherStrided(v: IntValue, outDims: number[], start: number[], step: number[], axisPerm?: number[]): IntValue {
  const st = stridesOf(v.dims);
  const src = axisPerm ? axisPerm.map((p) => st[p]) : st;
  const n = sizeOf(outDims);
  const data = new Array<number>(n);
  const idx = new Array<number>(outDims.length).fill(0);
  for (let o = 0; o < n; o++) {
    let k = 0;
    for (let d = 0; d < outDims.length; d++) k += (start[d] + idx[d] * step[d]) * src[d];
    data[o] = v.data[k];
    for (let d = outDims.length - 1; d >= 0; d--) { if (++idx[d] < outDims[d]) break; idx[d] = 0; }
  }
  return { kind: 'i', dims: outDims, data };
}

export function transposeInts(v: IntValue, perm: number[]): IntValue {
  return gatherStrided(v, perm.map((p) => v.dims[p]), perm.map(() => 0), perm.map(() => 1), perm);
}

/** ONNX Slice bounds for one axis of length `dim`: [start, count]. */
export function sliceRange(dim: number, start: number, end: number, step: number): [number, number] {
  if (step > 0) {
    const s = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
    const e = Math.min(Math.max(end < 0 ? end + dim : end, 0), dim);
    return [s, Math.max(0, Math.ceil((e - s) / step))];
  }
  const s = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim - 1);
  const e = Math.min(Math.max(end < 0 ? end + dim : end, -1), dim - 1);
  return [s, Math.max(0, Math.ceil((e - s) / step))];
}

/**
 * The dims a tensor of `count` elements takes under a Reshape target whose 0s are already
 * resolved: at most one -1 (inferred), the rest non-negative integers whose product is `count`.
 * Null when no such dims exist.
 */
export function reshapeDims(target: readonly number[], count: number): number[] | null {
  if (target.some((d) => !Number.isSafeInteger(d) || d < -1)) return null;
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1) return null;
  const known = sizeOf(target.filter((d) => d !== -1));
  if (unknown === 1) {
    if (known === 0 || count % known !== 0) return null;
    return target.map((d) => (d === -1 ? count / known : d));
  }
  return known === count ? target.slice() : null;
}

/** numpy broadcasting of two shapes; null when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `dims` read as `outDims` under broadcasting (0 along broadcast axes). */
function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const st = stridesOf(dims);
  const lead = outDims.length - dims.length;
  return outDims.map((_, d) => (d < lead || dims[d - lead] === 1 ? 0 : st[d - lead]));
}

/** out = fn(a, b) elementwise over the broadcast shape `outDims`. */
export function broadcastInts(a: IntValue, b: IntValue, outDims: number[], fn: (x: number, y: number) => number): IntValue {
  const sa = broadcastStrides(a.dims, outDims), sb = broadcastStrides(b.dims, outDims);
  const n = sizeOf(outDims);
  const data = new Array<number>(n);
  const idx = new Array<number>(outDims.length).fill(0);
  let ka = 0, kb = 0;
  for (let o = 0; o < n; o++) {
    data[o] = fn(a.data[ka], b.data[kb]);
    for (let d = outDims.length - 1; d >= 0; d--) {
      ka += sa[d]; kb += sb[d];
      if (++idx[d] < outDims[d]) break;
      ka -= sa[d] * outDims[d]; kb -= sb[d] * outDims[d];
      idx[d] = 0;
    }
  }
  return { kind: 'i', dims: outDims, data };
}
