// Elements of a data.dataset pipeline: which of their tensors the pipeline owns (and so frees once
// they are consumed), and stacking a list of elements into one batch (Dataset.batch).
//
// Ownership: a tensor the pipeline made (a row sliced from a source tensor, a map function's
// result, a stacked batch) is owned and is freed by whoever consumes it: the next stage, fit, or
// the dataset's iterator when it advances. Tensors the user's source yields are never freed.
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { describe } from '../ops/util.js';

const owned = new WeakSet<Tensor>();

/** Every tensor inside an element (a tensor, or arrays / plain objects of them). */
export function tensorsOf(el: unknown, into: Set<Tensor> = new Set(), depth = 0): Set<Tensor> {
  if (el instanceof Tensor) into.add(el);
  else if (depth < 8 && Array.isArray(el)) for (const v of el) tensorsOf(v, into, depth + 1);
  else if (depth < 8 && isPlainObject(el)) for (const v of Object.values(el)) tensorsOf(v, into, depth + 1);
  return into;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Marks the element's tensors as the pipeline's, except those in `except` (the source's own). */
export function markOwned(el: unknown, except?: ReadonlySet<Tensor>): void {
  for (const t of tensorsOf(el)) if (!except?.has(t) && !t._persistent) owned.add(t);
}

export const isOwned = (t: Tensor): boolean => owned.has(t);

/** Frees the element's owned tensors (those not in `keep`). */
export function release(el: unknown, keep?: ReadonlySet<Tensor>): void {
  for (const t of tensorsOf(el)) {
    if (owned.has(t) && !keep?.has(t)) { owned.delete(t); if (!t.isDisposed) t.dispose(); }
  }
}

/** Hands the element's tensors over to the caller: the pipeline no longer frees them. */
export function disown(el: unknown): void {
  for (const t of tensorsOf(el)) owned.delete(t);
}

type IntArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;
const isIntArray = (v: unknown): v is IntArray => v instanceof Int8Array || v instanceof Uint8Array || v instanceof Uint8ClampedArray ||
  v instanceof Int16Array || v instanceof Uint16Array || v instanceof Int32Array || v instanceof Uint32Array;
const isFloatArray = (v: unknown): v is Float32Array | Float64Array => v instanceof Float32Array || v instanceof Float64Array;

/**
 * Stacks `items` (elements of one structure) into one batch of the same structure: tensors
 * become a tensor with a new first axis, typed arrays a tensor [n, length] (float32 from
 * Float32Array / Float64Array, int32 from integer arrays), numbers a tensor [n] (int32 when all
 * are integers, else float32); arrays and plain objects are stacked position by position / key by key.
 */
export function stackElements(items: unknown[], where = 'batch'): unknown {
  const made: Tensor[] = [];
  try {
    return stackAt(items, where, 'element', made);
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

function stackAt(items: unknown[], where: string, path: string, made: Tensor[]): unknown {
  const first = items[0];
  const mismatch = (i: number, what: string): never => {
    throw new ShapeError(`${where}: elements of a batch must have the same structure and shapes; at ${path}, element ${i} ${what}`);
  };
  if (first instanceof Tensor) {
    items.forEach((t, i) => {
      if (!(t instanceof Tensor)) mismatch(i, `is ${describe(t)} but element 0 is a Tensor`);
      const u = t as Tensor;
      u._checkLive(where, path);
      if (u.dtype !== first.dtype || u.rank !== first.rank || u.shape.some((d, k) => d !== first.shape[k])) {
        mismatch(i, `is ${u.dtype} ${fmtShape(u.shape)} but element 0 is ${first.dtype} ${fmtShape(first.shape)}`);
      }
    });
    const out = Tensor.empty([items.length, ...first.shape], first.dtype);
    made.push(out);
    items.forEach((t, i) => kernels().copy((t as Tensor).ptr, out.ptr + i * first.size * 4, first.size));
    return out;
  }
  if (isIntArray(first) || isFloatArray(first)) {
    const float = isFloatArray(first);
    items.forEach((a, i) => {
      const same = float ? isFloatArray(a) : isIntArray(a);
      if (!same) mismatch(i, `is ${describe(a)} but element 0 is a ${first.constructor.name}`);
      if ((a as ArrayLike<number>).length !== first.length) mismatch(i, `has ${(a as ArrayLike<number>).length} values but element 0 has ${first.length}`);
    });
    const out = Tensor.empty([items.length, first.length], float ? 'float32' : 'int32');
    made.push(out);
    const view = out.view();
    items.forEach((a, i) => view.set(a as ArrayLike<number>, i * first.length));
    return out;
  }
  if (typeof first === 'number') {
    items.forEach((v, i) => { if (typeof v !== 'number') mismatch(i, `is ${describe(v)} but element 0 is a number`); });
    const ints = (items as number[]).every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647);
    const out = Tensor.empty([items.length], ints ? 'int32' : 'float32');
    made.push(out);
    out.view().set(items as number[]);
    return out;
  }
  if (Array.isArray(first)) {
    items.forEach((a, i) => {
      if (!Array.isArray(a) || a.length !== first.length) mismatch(i, `is ${describe(a)} but element 0 is an array of ${first.length}`);
    });
    return first.map((_, k) => stackAt(items.map((a) => (a as unknown[])[k]), where, `${path}[${k}]`, made));
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    items.forEach((o, i) => {
      if (!isPlainObject(o) || Object.keys(o).length !== keys.length || keys.some((k) => !(k in o))) {
        mismatch(i, `has keys ${isPlainObject(o) ? Object.keys(o).join(', ') : describe(o)} but element 0 has ${keys.join(', ')}`);
      }
    });
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = stackAt(items.map((o) => (o as Record<string, unknown>)[k]), where, `${path}.${k}`, made);
    return out;
  }
  throw new ValueError(`${where}: cannot stack ${describe(first)} at ${path}; elements hold Tensors, typed arrays, numbers, and arrays or plain objects of them`);
}

/**
 * One row of each tensor of `xs` as a new tensor without the first axis (data.dataset over
 * tensors). The rows are copies: the pipeline owns them.
 */
export function sliceRow(t: Tensor, i: number): Tensor {
  const rowSize = t.size / t.shape[0];
  const out = Tensor.empty(t.shape.slice(1), t.dtype);
  if (rowSize > 0) kernels().copy(t.ptr + i * rowSize * 4, out.ptr, rowSize);
  return out;
}
