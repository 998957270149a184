// Mini-batches over (x, y) along the first axis: `data.batches` (API.md "Data") and the row
// gather that `Sequential.fit` / `evaluate` / `predict` share. Shuffling draws one permutation from
// the seeded generator; rows are copied by one wasm kernel (assembly/batches.ts: gatherRows).
import { Tensor } from '../tensor.js';
import { heapI32, kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { shuffle as shuffleInPlace } from '../random.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';

/**
 * Rows `order[start .. start+count)` of `t` (all rows in order when `order` is null) as a new
 * tensor [count, ...t.shape.slice(1)].
 */
export function takeRows(t: Tensor, order: Int32Array | null, start: number, count: number): Tensor {
  const rowSize = t.shape.length === 0 ? 1 : t.size / Math.max(1, t.shape[0]);
  const out = Tensor.empty([count, ...t.shape.slice(1)], t.dtype);
  if (count === 0 || rowSize === 0) return out;
  if (order === null) {
    kernels().copy(t.ptr + start * rowSize * 4, out.ptr, count * rowSize);
    return out;
  }
  const idx = workspace(count * 4, WorkspaceSlot.BatchIndices);
  heapI32().set(order.subarray(start, start + count), idx >>> 2);
  kernels().gatherRows(t.ptr, idx, count, rowSize, out.ptr);
  return out;
}

/** A permutation of 0..n-1 drawn from the seeded generator. */
export function permutation(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p);
  return p;
}

export interface BatchesOptions {
  /** Visit the rows in a random order (one seeded permutation per iterator). Default false. */
  shuffle?: boolean;
}

/** Checks the arguments shared by data.batches and model.fit / evaluate / predict. */
export function checkXY(where: string, x: unknown, y: unknown, yOptional: boolean): void {
  if (!(x instanceof Tensor)) throw new ValueError(`${where}: x must be a Tensor, got ${describe(x)}`);
  x._checkLive(where, 'x');
  if (x.rank < 1) throw new ShapeError(`${where}: x must have a batch axis, got a scalar`);
  if (y === undefined || y === null) {
    if (!yOptional) throw new ValueError(`${where}: y (targets) is required`);
    return;
  }
  if (!(y instanceof Tensor)) throw new ValueError(`${where}: y must be a Tensor, got ${describe(y)}`);
  y._checkLive(where, 'y');
  if (y.rank < 1) throw new ShapeError(`${where}: y must have a batch axis, got a scalar`);
  if (y.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${where}: x and y hold different numbers of samples (x ${fmtShape(x.shape)}, y ${fmtShape(y.shape)})`);
  }
}

export function checkBatchSize(where: string, batchSize: unknown): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValueError(`${where}: batchSize must be a positive integer, got ${fmtValue(batchSize)}`);
  }
  return batchSize;
}

/**
 * Iterates `[xBatch, yBatch]` pairs of `batchSize` rows (the last batch possibly smaller). Each
 * yielded pair is disposed when the iterator advances (or is closed by `break` / `return`), so
 * keep a copy (`clone`/`detach`) of anything needed longer. `y` may be null: yBatch is then null.
 */
export function batches(x: Tensor, y: Tensor | null, batchSize: number, options: BatchesOptions = {}): IterableIterator<[Tensor, Tensor]> {
  checkXY('batches', x, y, true);
  checkBatchSize('batches', batchSize);
  const shuffle = options?.shuffle ?? false;
  if (typeof shuffle !== 'boolean') throw new ValueError(`batches: option 'shuffle' must be a boolean, got ${fmtValue(shuffle)}`);
  const n = x.shape[0];
  const order = shuffle ? permutation(n) : null; // drawn now, not at the first next()
  return (function* () {
    let current: [Tensor, Tensor | null] | null = null;
    try {
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        current = [takeRows(x, order, start, count), y ? takeRows(y, order, start, count) : null];
        yield current as [Tensor, Tensor];
        current[0].dispose();
        current[1]?.dispose();
        current = null;
      }
    } finally {
      if (current) { current[0].dispose(); current[1]?.dispose(); }
    }
  })();
}
