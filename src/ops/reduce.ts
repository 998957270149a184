// Reductions: sum, mean, max (gradient to the argmax) over one or several axes with keepDims,
// and argMax (int32, no gradient). Reduced axes that form one run (ignoring size-1 dims) are
// read in place as [outer, n, inner]; scattered axes are first transposed to the end.
import { Tensor, record, type TensorLike } from '../tensor.js';
import { kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { asFloat, describe, normAxis } from './util.js';
import { binaryRaw, expandRaw, transposeRaw } from './internal.js';
import { BinaryOp } from '../backend/kernels.generated.js';

interface ReducePlan {
  /** Sorted, normalised reduced axes. */
  axes: number[];
  /** Output shape without the reduced axes, and with them as 1 (same memory layout). */
  outShape: number[];
  keepShape: number[];
  outer: number;
  n: number;
  inner: number;
  /** Set when the axes are scattered: x is transposed by perm so they come last (inner = 1). */
  perm: number[] | null;
}

function planReduce(x: Tensor, axis: unknown, op: string): ReducePlan {
  const rank = x.rank;
  let axes: number[];
  if (axis === undefined || axis === null) {
    axes = x.shape.map((_, i) => i);
  } else {
    const list = Array.isArray(axis) ? axis : [axis];
    if (!list.every((a) => typeof a === 'number')) throw new ValueError(`${op}: axis must be a number or an array of numbers, got ${describe(axis)}`);
    axes = list.map((a) => normAxis(a as number, rank, op));
    if (new Set(axes).size !== axes.length) throw new ValueError(`${op}: axis ${fmtValue(axis)} repeats an axis`);
    axes.sort((a, b) => a - b);
  }
  const isReduced = x.shape.map((_, i) => axes.includes(i));
  const outShape = x.shape.filter((_, i) => !isReduced[i]);
  const keepShape = x.shape.map((d, i) => (isReduced[i] ? 1 : d));
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  // A single run: no kept dim larger than 1 between the first and last reduced axis.
  const first = axes.length ? axes[0] : rank;
  const last = axes.length ? axes[axes.length - 1] : rank - 1;
  let scattered = false;
  for (let d = first; d <= last; d++) if (!isReduced[d] && x.shape[d] !== 1) scattered = true;
  if (!scattered) {
    let outer = 1, inner = 1;
    for (let d = 0; d < first; d++) outer *= x.shape[d];
    for (let d = last + 1; d < rank; d++) inner *= x.shape[d];
    return { axes, outShape, keepShape, outer, n, inner, perm: null };
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !isReduced[i]);
  let outer = 1;
  for (const d of kept) outer *= x.shape[d];
  return { axes, outShape, keepShape, outer, n, inner: 1, perm: [...kept, ...axes] };
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

function checkKeepDims(keepDims: unknown, op: string): boolean {
  if (keepDims !== undefined && typeof keepDims !== 'boolean') throw new ValueError(`${op}: keepDims must be a boolean, got ${describe(keepDims)}`);
  return keepDims === true;
}

function sumOrMean(op: 'sum' | 'mean', x: TensorLike, axis: number | number[] | undefined, keepDims: boolean | undefined): Tensor {
  const t = asFloat(x, op);
  const p = planReduce(t, axis, op);
  const keep = checkKeepDims(keepDims, op);
  const out = Tensor.empty(keep ? p.keepShape : p.outShape);
  const divisor = op === 'mean' ? p.n : 1;
  if (out.size) {
    const src = p.perm ? transposeRaw(t, p.perm) : t;
    kernels().reduceSum(src.ptr, out.ptr, p.outer, p.n, p.inner, divisor, p.inner > 1 ? workspace(8 * p.inner, WorkspaceSlot.Columns) : 0);
    if (src !== t) src.dispose();
  }
  return record(op, out, [t], (g) => {
    // Every reduced element gets g (sum) or g / n (mean).
    const gv = g._viewAs(p.keepShape);
    const scaled = op === 'mean' ? binaryRaw(BinaryOp.Div, gv, divisor, op) : gv;
    const gx = expandRaw(scaled, t.shape);
    if (scaled !== gv) scaled.dispose();
    gv.dispose();
    return [gx];
  });
}

/** Sum over `axis` (a number, an array, or all axes when omitted). */
export function sum(x: TensorLike, axis?: number | number[], keepDims?: boolean): Tensor {
  return sumOrMean('sum', x, axis, keepDims);
}

/** Mean over `axis` (a number, an array, or all axes when omitted). */
export function mean(x: TensorLike, axis?: number | number[], keepDims?: boolean): Tensor {
  return sumOrMean('mean', x, axis, keepDims);
}

/** Max over `axis` (a number, an array, or all axes); the gradient goes to the (first) argmax. */
export function max(x: TensorLike, axis?: number | number[], keepDims?: boolean): Tensor {
  const t = asFloat(x, 'max');
  const p = planReduce(t, axis, 'max');
  const keep = checkKeepDims(keepDims, 'max');
  if (p.n === 0 && p.outer * p.inner > 0) {
    throw new ValueError(`max: cannot reduce over an empty axis (shape ${fmtShape(t.shape)}, axis ${fmtValue(axis ?? null)})`);
  }
  const out = Tensor.empty(keep ? p.keepShape : p.outShape);
  const arg = Tensor.empty(p.outShape, 'int32');
  if (out.size) {
    const src = p.perm ? transposeRaw(t, p.perm) : t;
    kernels().reduceMax(src.ptr, out.ptr, arg.ptr, p.outer, p.n, p.inner);
    if (src !== t) src.dispose();
  }
  const res = record('max', out, [t], (g) => {
    const layout = p.perm ? p.perm.map((d) => t.shape[d]) : t.shape;
    const gl = Tensor.empty(layout);
    if (gl.size) kernels().reduceMaxBackward(g.ptr, arg.ptr, gl.ptr, p.outer, p.n, p.inner);
    if (!p.perm) return [gl];
    const gx = transposeRaw(gl, inversePerm(p.perm));
    gl.dispose();
    return [gx];
  }, [arg]);
  if (!res._node) arg.dispose();
  return res;
}

/** Index of the (first) max along `axis` (default 0, as TensorFlow.js), int32, no gradient. */
export function argMax(x: TensorLike, axis = 0): Tensor {
  const t = asFloat(x, 'argMax');
  if (typeof axis !== 'number') throw new ValueError(`argMax: axis must be a number, got ${describe(axis)}`);
  if (t.rank === 0) throw new ShapeError(`argMax: needs a tensor of rank >= 1, got a scalar`);
  const p = planReduce(t, axis, 'argMax');
  if (p.n === 0 && p.outer * p.inner > 0) {
    throw new ValueError(`argMax: cannot reduce over an empty axis (shape ${fmtShape(t.shape)}, axis ${axis})`);
  }
  const out = Tensor.empty(p.outShape, 'int32');
  if (out.size) kernels().reduceMax(t.ptr, 0, out.ptr, p.outer, p.n, p.inner);
  return out;
}
