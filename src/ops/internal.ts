// Helpers shared by the elementwise, reduce and shape op families: NumPy broadcasting, stride coalescing, and raw (graph-free) launches of the strided kernels.
// Not re-exported from the `ops` namespace.
import { Tensor, record, sameShape, sizeOf } from '../tensor.js';
import { int32Args, kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import type { BinaryOp, UnaryOp } from '../backend/kernels.generated.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { asFloat } from './util.js';
import { parallel } from '../backend/parallel.js';
import { elementRanges, rowRanges } from '../backend/elementwise.js';

const MAX_RANK = 64; // int32Args holds 256 ints: shape + two stride sets

/** Row-major element strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/**
 * Drops size-1 dims and merges neighbouring dims that every stride set walks contiguously,
 * so kernels see few, long rows. Returns rank >= 1 (a scalar becomes [1]).
 */
export function coalesce(shape: readonly number[], strideSets: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strideSets.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strideSets.forEach((s, k) => { outStrides[k][last] = s[d]; });
    } else {
      outShape.push(shape[d]);
      strideSets.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strideSets.map(() => [1]) };
  return { shape: outShape, strides: outStrides };
}

function checkRankLimit(rank: number, op: string): void {
  if (rank > MAX_RANK) throw new ShapeError(`${op}: rank ${rank} is above the supported maximum of ${MAX_RANK}`);
}

/**
 * dst[idx . dstStrides] = src[idx . srcStrides] for every index of `shape` (element strides;
 * srcPtr / dstPtr are byte pointers). Works for float32 and int32 alike.
 */
export function stridedCopy(shape: readonly number[], srcPtr: number, srcStrides: readonly number[],
                            dstPtr: number, dstStrides: readonly number[]): void {
  if (sizeOf(shape) === 0) return;
  const c = coalesce(shape, [srcStrides, dstStrides]);
  const r = c.shape.length;
  checkRankLimit(r, 'copy');
  const [ss, ds] = c.strides;
  const k = kernels();
  // A plain copy or a (batched) 2-D transpose gets its own kernel.
  if (r === 1 && ss[0] === 1 && ds[0] === 1) { k.copy(srcPtr, dstPtr, c.shape[0]); return; }
  if (r === 2 && ds[0] === c.shape[1] && ds[1] === 1 && ss[0] === 1 && ss[1] === c.shape[0]) {
    k.transpose2d(srcPtr, dstPtr, 1, c.shape[1], c.shape[0]);
    return;
  }
  if (r === 3 && ds[1] === c.shape[2] && ds[2] === 1 && ds[0] === c.shape[1] * c.shape[2] &&
      ss[0] === ds[0] && ss[1] === 1 && ss[2] === c.shape[1]) {
    k.transpose2d(srcPtr, dstPtr, c.shape[0], c.shape[2], c.shape[1]);
    return;
  }
  const args = int32Args([...c.shape, ...ss, ...ds]);
  k.stridedCopy(r, args, srcPtr, args + 4 * r, dstPtr, args + 8 * r);
}

/** Broadcast shape of a and b (NumPy rules), or a ShapeError naming the op. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = i < r - a.length ? 1 : a[i - (r - a.length)];
    const db = i < r - b.length ? 1 : b[i - (r - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides reading `shape` as if broadcast to `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : s[i - off]));
}

/** True when `v` without leading 1s equals the trailing dims of `outShape`. */
function isTrailing(v: readonly number[], outShape: readonly number[]): boolean {
  let i = 0;
  while (i < v.length && v[i] === 1) i++;
  const t = v.length - i;
  if (t > outShape.length) return false;
  for (let j = 0; j < t; j++) if (v[i + j] !== outShape[outShape.length - t + j]) return false;
  return true;
}

/** out = a op b with broadcasting, no graph. At most one of a, b may be a number. */
export function binaryRaw(code: BinaryOp, a: Tensor | number, b: Tensor | number, op: string): Tensor {
  const k = kernels();
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a === 'number' && typeof b === 'number') {
      const t = Tensor.empty([]);
      k.fill(t.ptr, 1, a);
      k.binaryScalar(code, t.ptr, b, t.ptr, 1, 0);
      return t;
    }
    const t = (typeof a === 'number' ? b : a) as Tensor;
    const s = (typeof a === 'number' ? a : b) as number;
    const out = Tensor.empty(t.shape);
    const first = typeof a === 'number' ? 1 : 0;
    if (out.size) parallel(k.binaryScalar, elementRanges(out.size).map(([i0, i1]) => [code, t.ptr + 4 * i0, s, out.ptr + 4 * i0, i1 - i0, first]));
    return out;
  }
  const outShape = broadcastShapes(a.shape, b.shape, op);
  checkRankLimit(outShape.length, op);
  const out = Tensor.empty(outShape);
  const n = out.size;
  if (n === 0) return out;
  if (sameShape(a.shape, b.shape)) {
    parallel(k.binarySame, elementRanges(n).map(([i0, i1]) => [code, a.ptr + 4 * i0, b.ptr + 4 * i0, out.ptr + 4 * i0, i1 - i0]));
  } else if (b.size === 1 && a.size === n) {
    k.binaryScalar(code, a.ptr, b.view()[0], out.ptr, n, 0);
  } else if (a.size === 1 && b.size === n) {
    k.binaryScalar(code, b.ptr, a.view()[0], out.ptr, n, 1);
  } else if (a.size === n && isTrailing(b.shape, outShape)) {
    parallel(k.binaryRows, rowRanges(n / b.size, b.size).map(([r0, r1]) => [code, a.ptr + 4 * r0 * b.size, b.ptr, out.ptr + 4 * r0 * b.size, r1 - r0, b.size, 0]));
  } else if (b.size === n && isTrailing(a.shape, outShape)) {
    parallel(k.binaryRows, rowRanges(n / a.size, a.size).map(([r0, r1]) => [code, b.ptr + 4 * r0 * a.size, a.ptr, out.ptr + 4 * r0 * a.size, r1 - r0, a.size, 1]));
  } else {
    const c = coalesce(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
    const r = c.shape.length;
    const args = int32Args([...c.shape, ...c.strides[0], ...c.strides[1]]);
    k.binaryStrided(code, a.ptr, b.ptr, out.ptr, r, args, args + 4 * r, args + 8 * r);
  }
  return out;
}

/** `t` broadcast to `shape` in a new tensor (no graph). */
export function expandRaw(t: Tensor, shape: readonly number[]): Tensor {
  const out = Tensor.empty(shape, t.dtype);
  stridedCopy(shape, t.ptr, broadcastStrides(t.shape, shape), out.ptr, contiguousStrides(shape));
  return out;
}

/**
 * Sums `g` (broadcast shape) back to `shape`, the shape of an input that was broadcast to it
 * (no graph). Returns g itself when the shapes already match.
 */
export function sumToShapeRaw(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const out = Tensor.empty(shape);
  const outStrides = broadcastStrides(shape, g.shape);
  const c = coalesce(g.shape, [contiguousStrides(g.shape), outStrides]);
  const r = c.shape.length;
  checkRankLimit(r, 'sumToShape');
  const scratch = workspace(8 * Math.max(out.size, 1), WorkspaceSlot.Columns);
  const args = int32Args([...c.shape, ...c.strides[1]]);
  kernels().sumToShape(g.ptr, out.ptr, out.size, r, args, args + 4 * r, scratch);
  return out;
}

/** `x` with its axes permuted (out.shape[k] = x.shape[perm[k]]), no graph. */
export function transposeRaw(x: Tensor, perm: readonly number[]): Tensor {
  const outShape = perm.map((p) => x.shape[p]);
  const out = Tensor.empty(outShape, x.dtype);
  const xs = contiguousStrides(x.shape);
  stridedCopy(outShape, x.ptr, perm.map((p) => xs[p]), out.ptr, contiguousStrides(outShape));
  return out;
}

/** x[begin : begin + size] along every axis, no graph. */
export function sliceRaw(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const out = Tensor.empty(size, x.dtype);
  const xs = contiguousStrides(x.shape);
  let off = 0;
  for (let d = 0; d < begin.length; d++) off += begin[d] * xs[d];
  stridedCopy(size, x.ptr + 4 * off, xs, out.ptr, contiguousStrides(size));
  return out;
}

/** A unary kernel op with its gradient kernel (p1, p2: alpha or clip bounds). */
export function unaryOp(op: string, code: UnaryOp, x: unknown, p1 = 0, p2 = 0): Tensor {
  const t = asFloat(x, op);
  const out = Tensor.empty(t.shape);
  parallel(kernels().unary, elementRanges(t.size).map(([i0, i1]) => [code, t.ptr + 4 * i0, out.ptr + 4 * i0, i1 - i0, p1, p2]));
  return record(op, out, [t], (g) => {
    const gx = Tensor.empty(t.shape);
    kernels().unaryBackward(code, t.ptr, out.ptr, g.ptr, gx.ptr, t.size, p1, p2);
    return [gx];
  });
}

/** A finite number argument, or a ValueError naming the op. */
export function finiteNumber(v: unknown, op: string, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ValueError(`${op}: ${name} must be a finite number, got ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}
