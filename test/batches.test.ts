// data.batches: every row exactly once (in order, or one seeded permutation), the last batch
// smaller, x/y rows kept together, each pair disposed when the iterator advances or closes.
import { describe, it, expect } from 'vitest';
import { data, tensor, setSeed, backendInfo, ShapeError, ValueError, Tensor } from '../src/index.js';

/** x [n, 2, 3] with row i holding i*10 + k; y [n] int32 = i; one-hot z [n, 4]. */
function rows(n: number) {
  const xs = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) for (let k = 0; k < 6; k++) xs[i * 6 + k] = i * 10 + k;
  const z = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) z[i * 4 + (i % 4)] = 1;
  return {
    x: tensor(xs, [n, 2, 3]),
    y: tensor(Int32Array.from({ length: n }, (_, i) => i), [n], 'int32'),
    z: tensor(z, [n, 4]),
  };
}

describe('data.batches', () => {
  it('in order: batch sizes, shapes, dtypes and values', () => {
    const { x, y } = rows(10);
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const [xb, yb] of data.batches(x, y, 4)) {
      expect(xb.shape.slice(1)).toEqual([2, 3]);
      expect(yb.dtype).toBe('int32');
      sizes.push(xb.shape[0]);
      const xv = xb.dataSync(), yv = yb.dataSync();
      for (let i = 0; i < yv.length; i++) {
        seen.push(yv[i]);
        expect(Array.from(xv.subarray(i * 6, i * 6 + 6))).toEqual([0, 1, 2, 3, 4, 5].map((k) => yv[i] * 10 + k));
      }
    }
    expect(sizes).toEqual([4, 4, 2]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('shuffled: a permutation, rows of x and y kept together, reproducible with the seed', () => {
    const { x, y, z } = rows(37);
    const order = (seed: number) => {
      setSeed(seed);
      const out: number[] = [];
      for (const [xb, yb] of data.batches(x, y, 8, { shuffle: true })) {
        const xv = xb.dataSync(), yv = yb.dataSync();
        for (let i = 0; i < yv.length; i++) {
          out.push(yv[i]);
          expect(xv[i * 6]).toBe(yv[i] * 10);
        }
      }
      return out;
    };
    const a = order(1), b = order(1), c = order(2);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 37 }, (_, i) => i));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(Array.from({ length: 37 }, (_, i) => i));
    // one-hot targets ([n, C]) are gathered by row too
    setSeed(3);
    for (const [xb, zb] of data.batches(x, z, 5, { shuffle: true })) {
      const xv = xb.dataSync(), zv = zb.dataSync();
      for (let i = 0; i < xb.shape[0]; i++) expect(zv[i * 4 + ((xv[i * 6] / 10) % 4)]).toBe(1);
    }
  });

  it('each pair is disposed when the iterator advances, and the last one when it ends or is left', () => {
    const { x, y } = rows(9);
    const before = backendInfo().liveTensors;
    const held: Tensor[][] = [];
    for (const pair of data.batches(x, y, 4)) {
      for (const prev of held) expect(prev.every((t) => t.isDisposed)).toBe(true);
      expect(pair.every((t) => !t.isDisposed)).toBe(true);
      held.push(pair);
    }
    expect(held.flat().every((t) => t.isDisposed)).toBe(true);
    let last: Tensor[] = [];
    for (const pair of data.batches(x, y, 2)) { last = pair; break; }
    expect(last.every((t) => t.isDisposed)).toBe(true);
    expect(backendInfo().liveTensors).toBe(before);
  });

  it('works without y (yBatch null) and with a batch larger than the data', () => {
    const { x } = rows(3);
    const got = [...data.batches(x, null, 100)].map(([xb, yb]) => [xb.isDisposed ? -1 : 0, yb]);
    expect(got).toEqual([[-1, null]]); // spread advances past it: already disposed
    const it = data.batches(x, null, 100);
    const first = it.next();
    expect(first.done).toBe(false);
    expect((first.value as [Tensor, null])[0].shape).toEqual([3, 2, 3]);
    expect(it.next().done).toBe(true);
  });

  it('rejects bad arguments', () => {
    const { x, y } = rows(4);
    expect(() => data.batches(x, y, 0)).toThrow(ValueError);
    expect(() => data.batches(x, y, 2.5)).toThrow(/batchSize must be a positive integer/);
    expect(() => data.batches(x, tensor([1, 2, 3]), 2)).toThrow(ShapeError);
    expect(() => data.batches(x, tensor([1, 2, 3]), 2)).toThrow(/x and y hold different numbers of samples \(x \[4,2,3\], y \[3\]\)/);
    expect(() => data.batches([1, 2] as unknown as Tensor, null, 2)).toThrow(/batches: x must be a Tensor/);
    expect(() => data.batches(x, y, 2, { shuffle: 'yes' as unknown as boolean })).toThrow(/shuffle/);
  });
});
