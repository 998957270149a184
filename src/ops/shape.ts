// Shape ops: reshape and flatten (views sharing storage, no copy), transpose, concat, slice,
// pad, broadcastTo. Each records its gradient right below the forward. The copying ones work
// for int32 tensors too (no gradient there).
import { Tensor, record, sizeOf, type TensorLike } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { asTensor, describe, normAxis } from './util.js';
import { broadcastShapes, contiguousStrides, expandRaw, sliceRaw, stridedCopy, sumToShapeRaw, transposeRaw } from './internal.js';

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isInteger(d));
}

/** The same values with another shape (one dim may be -1: inferred). Shares storage: no copy. */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, 'reshape');
  if (!isIntArray(shape)) throw new ValueError(`reshape: shape must be an array of integers, got ${fmtValue(shape)}`);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => d < -1)) {
    throw new ValueError(`reshape: shape ${fmtShape(shape)} may hold non-negative integers and at most one -1`);
  }
  let newShape = shape.slice();
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || t.size % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} values) to ${fmtShape(shape)}`);
    }
    newShape = shape.map((d) => (d === -1 ? t.size / known : d));
  }
  if (sizeOf(newShape) !== t.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} values) to ${fmtShape(shape)} (${sizeOf(newShape)} values)`);
  }
  const out = t._viewAs(newShape);
  return record('reshape', out, [t], (g) => [g._viewAs(t.shape)]);
}

/** [N, d1, d2, ...] -> [N, d1 * d2 * ...] (keeps the batch axis; a rank-1 [N] becomes [N, 1]). */
export function flatten(x: TensorLike): Tensor {
  const t = asTensor(x, 'flatten');
  if (t.rank === 0) throw new ShapeError(`flatten: needs a tensor of rank >= 1 (batch first), got a scalar`);
  return reshape(t, [t.shape[0], sizeOf(t.shape.slice(1))]);
}

/** Permutes the axes: out.shape[k] = x.shape[perm[k]] (default: reversed axes). */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = asTensor(x, 'transpose');
  const p = perm === undefined ? t.shape.map((_, i) => t.rank - 1 - i) : perm;
  if (!isIntArray(p) || p.length !== t.rank || new Set(p).size !== t.rank || p.some((v) => v < 0 || v >= t.rank)) {
    throw new ValueError(`transpose: perm ${fmtValue(perm)} is not a permutation of the ${t.rank} axes of ${fmtShape(t.shape)}`);
  }
  const out = transposeRaw(t, p);
  return record('transpose', out, [t], (g) => {
    const inv = new Array<number>(p.length);
    p.forEach((v, i) => { inv[v] = i; });
    return [transposeRaw(g, inv)];
  });
}

/** Joins tensors along `axis` (every other dim must match). */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError(`concat: expects a non-empty array of tensors, got ${describe(xs)}`);
  const ts = xs.map((x, i) => asTensor(x, 'concat', `xs[${i}]`));
  const first = ts[0];
  const ax = normAxis(axis, first.rank, 'concat');
  for (const t of ts) {
    if (t.dtype !== first.dtype) throw new ValueError(`concat: dtypes differ (${first.dtype} and ${t.dtype})`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${ts.map((u) => fmtShape(u.shape)).join(', ')} differ outside axis ${ax}`);
    }
  }
  const outShape = first.shape.slice();
  outShape[ax] = ts.reduce((s, t) => s + t.shape[ax], 0);
  const out = Tensor.empty(outShape, first.dtype);
  const outStrides = contiguousStrides(outShape);
  const offsets: number[] = [];
  let off = 0;
  for (const t of ts) {
    offsets.push(off);
    stridedCopy(t.shape, t.ptr, contiguousStrides(t.shape), out.ptr + 4 * off * outStrides[ax], outStrides);
    off += t.shape[ax];
  }
  return record('concat', out, ts, (g) => ts.map((t, i) => {
    if (!t.requiresGrad) return null;
    const begin = outShape.map((_, d) => (d === ax ? offsets[i] : 0));
    return sliceRaw(g, begin, t.shape);
  }));
}

/** The block starting at `begin` of extent `size` (-1 = to the end); missing trailing axes are taken whole. */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = asTensor(x, 'slice');
  const b = typeof begin === 'number' ? [begin] : begin;
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : size;
  if (!isIntArray(b) || !isIntArray(s)) {
    throw new ValueError(`slice: begin and size must be integers or arrays of integers, got ${fmtValue(begin)} and ${fmtValue(size)}`);
  }
  if (b.length > t.rank || s.length > t.rank) {
    throw new ShapeError(`slice: begin ${fmtShape(b)} / size ${fmtShape(s)} have more entries than the rank of ${fmtShape(t.shape)}`);
  }
  const bb = t.shape.map((_, d) => (d < b.length ? b[d] : 0));
  const ss = t.shape.map((dim, d) => (d < s.length && s[d] !== -1 ? s[d] : dim - bb[d]));
  for (let d = 0; d < t.rank; d++) {
    if (bb[d] < 0 || bb[d] > t.shape[d] || ss[d] < 0 || bb[d] + ss[d] > t.shape[d]) {
      throw new ShapeError(`slice: begin ${fmtShape(b)} and size ${fmtShape(s)} are out of bounds for shape ${fmtShape(t.shape)} on axis ${d}`);
    }
  }
  const out = sliceRaw(t, bb, ss);
  return record('slice', out, [t], (g) => {
    const gx = Tensor.empty(t.shape);
    kernels().fill(gx.ptr, gx.size, 0);
    const xs = contiguousStrides(t.shape);
    let off = 0;
    for (let d = 0; d < t.rank; d++) off += bb[d] * xs[d];
    stridedCopy(ss, g.ptr, contiguousStrides(ss), gx.ptr + 4 * off, xs);
    return [gx];
  });
}

/** Pads every axis d with paddings[d] = [before, after] entries of `value`. */
export function pad(x: TensorLike, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  const t = asTensor(x, 'pad');
  if (!Array.isArray(paddings) || paddings.length !== t.rank ||
      !paddings.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0))) {
    throw new ValueError(`pad: paddings must hold one [before, after] pair of non-negative integers per axis of ${fmtShape(t.shape)}, got ${fmtValue(paddings)}`);
  }
  if (typeof value !== 'number') throw new ValueError(`pad: value must be a number, got ${describe(value)}`);
  const outShape = t.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = Tensor.empty(outShape, t.dtype);
  if (t.dtype === 'int32') out.view().fill(value);
  else kernels().fill(out.ptr, out.size, value);
  const os = contiguousStrides(outShape);
  let off = 0;
  for (let d = 0; d < t.rank; d++) off += paddings[d][0] * os[d];
  stridedCopy(t.shape, t.ptr, contiguousStrides(t.shape), out.ptr + 4 * off, os);
  return record('pad', out, [t], (g) => [sliceRaw(g, paddings.map((p) => p[0]), t.shape)]);
}

/** x broadcast to `shape` (NumPy rules); the gradient is summed back to x's shape. */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, 'broadcastTo');
  if (!isIntArray(shape) || shape.some((d) => d < 0)) throw new ValueError(`broadcastTo: shape must be an array of non-negative integers, got ${fmtValue(shape)}`);
  const b = broadcastShapes(t.shape, shape, 'broadcastTo');
  if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(t.shape)} to ${fmtShape(shape)}`);
  }
  const out = expandRaw(t, shape);
  return record('broadcastTo', out, [t], (g) => [sumToShapeRaw(g, t.shape)]);
}
