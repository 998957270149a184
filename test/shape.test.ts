// Shape ops: reshape / flatten views, transpose (any perm, incl. the 2-D SIMD path), concat,
// slice, pad and broadcastTo against naive references; fast-check properties; int32 tensors;
// finite-difference gradients; errors; memory.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, tidy, ops, ShapeError, ValueError, type Tensor } from '../src/index.js';
import { values, sizeOf, type Arr } from './reference/elementwise.js';
import { transposeRef, concatRef, sliceRef, padRef } from './reference/shape.js';
import { gradCheck } from './reference/gradcheck.js';
import { checkOp } from './harness/check-op.js';
import { expectNoLeakThroughBackward } from './harness/leaks.js';

const f32 = (v: number[]) => v.map(Math.fround);
const arr = (shape: number[], seed: number): Arr => ({ shape, values: f32(values(sizeOf(shape), seed, -2, 2)) });
const T = (a: Arr): Tensor => tensor(a.values, a.shape);
const same = (t: Tensor, r: Arr) => {
  expect(t.shape).toEqual(r.shape);
  expect(Array.from(t.dataSync())).toEqual(r.values);
};

describe('reshape / flatten', () => {
  it('shares storage (no copy) and infers one -1', () => {
    const x = T(arr([2, 3, 4], 1));
    const y = ops.reshape(x, [4, -1]);
    expect(y.shape).toEqual([4, 6]);
    expect((y as any).ptr).toBe((x as any).ptr);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(x.reshape([-1]).shape).toEqual([24]);
    expect(x.reshape([24, 1, 1]).shape).toEqual([24, 1, 1]);
    expect(tensor([5]).reshape([]).shape).toEqual([]);
    // disposing the view leaves the original alive, and vice versa
    y.dispose();
    expect(x.dataSync().length).toBe(24);
    const z = x.reshape([6, 4]);
    x.dispose();
    expect(z.dataSync().length).toBe(24);
  });
  it('flatten keeps the batch axis', () => {
    expect(ops.flatten(T(arr([2, 3, 4, 5], 1))).shape).toEqual([2, 60]);
    expect(T(arr([7], 1)).flatten().shape).toEqual([7, 1]);
    expect(ops.flatten(tensor([], [0, 3, 2])).shape).toEqual([0, 6]);
  });
  it('records its own gradient', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]).requireGrad();
    ops.mul(ops.reshape(x, [3, 2]), tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
    expect(x.grad!.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(gradCheck((t) => ops.flatten(ops.reshape(t, [3, -1, 2])), [{ shape: [2, 3, 2] }])).toBeLessThan(1e-2);
  });
  it('errors', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => x.reshape([4, 2])).toThrow(new ShapeError('reshape: cannot reshape [2,3] (6 values) to [4,2] (8 values)'));
    expect(() => x.reshape([-1, 4])).toThrow(/reshape: cannot reshape \[2,3\] \(6 values\) to \[-1,4\]/);
    expect(() => x.reshape([-1, -1])).toThrow(ValueError);
    expect(() => x.reshape([2.5, 2] as any)).toThrow(ValueError);
    expect(() => ops.flatten(tensor(1))).toThrow(ShapeError);
  });
});

describe('transpose', () => {
  const cases: [string, number[], number[] | undefined][] = [
    ['2-D [3,5] default perm', [3, 5], undefined],
    ['2-D [37,19] (SIMD blocks + edges)', [37, 19], [1, 0]],
    ['2-D [64,40] (several tiles)', [64, 40], [1, 0]],
    ['batched [3,9,6] perm [0,2,1]', [3, 9, 6], [0, 2, 1]],
    ['NHWC->NCHW [2,3,4,5]', [2, 3, 4, 5], [0, 3, 1, 2]],
    ['NCHW->NHWC [2,5,3,4]', [2, 5, 3, 4], [0, 2, 3, 1]],
    ['rank 5 [2,3,1,4,2] perm [4,2,0,3,1]', [2, 3, 1, 4, 2], [4, 2, 0, 3, 1]],
    ['identity [2,3,4]', [2, 3, 4], [0, 1, 2]],
    ['scalar', [], []],
  ];
  it.each(cases)('%s', (_label, shape, perm) => {
    const x = arr(shape, 2);
    const p = perm ?? shape.map((_, i) => shape.length - 1 - i);
    same(ops.transpose(T(x), perm), transposeRef(x, p));
  });
  it('property: random shapes and perms', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }), fc.integer({ min: 1, max: 999 })));
    fc.assert(fc.property(arb, ([shape, perm, seed]) => {
      tidy(() => {
        const x = arr(shape, seed);
        same(ops.transpose(T(x), perm), transposeRef(x, perm));
      });
    }), { numRuns: 200 });
  });
  it('int32 tensors', () => {
    const x = tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const y = x.transpose();
    expect(y.dtype).toBe('int32');
    expect(y.arraySync()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
  it('errors', () => {
    expect(() => ops.transpose(tensor([[1, 2]]), [0, 0])).toThrow(/transpose: perm \[0,0\] is not a permutation of the 2 axes of \[1,2\]/);
    expect(() => ops.transpose(tensor([[1, 2]]), [1, 0, 2])).toThrow(ValueError);
  });
});

describe('concat', () => {
  const cases: [string, number[][], number][] = [
    ['axis 0 [2,3]+[1,3]+[4,3]', [[2, 3], [1, 3], [4, 3]], 0],
    ['axis 1 [2,3]+[2,5]', [[2, 3], [2, 5]], 1],
    ['axis -1 NHWC channels [2,2,2,3]+[2,2,2,1]', [[2, 2, 2, 3], [2, 2, 2, 1]], -1],
    ['axis 1 of 3-D [2,1,3]+[2,4,3]', [[2, 1, 3], [2, 4, 3]], 1],
    ['single input', [[3, 2]], 0],
    ['with an empty input', [[2, 0], [2, 3]], 1],
  ];
  it.each(cases)('%s', (_label, shapes, axis) => {
    const xs = shapes.map((s, i) => arr(s, i + 3));
    same(ops.concat(xs.map(T), axis), concatRef(xs, axis));
  });
  it('property: random pieces along a random axis', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 })));
    fc.assert(fc.property(arb, ([shape, axis, lens]) => {
      tidy(() => {
        const xs = lens.map((l, i) => arr(shape.map((d, k) => (k === axis ? l : d)), i + 1));
        same(ops.concat(xs.map(T), axis), concatRef(xs, axis));
      });
    }), { numRuns: 100 });
  });
  it('method form and int32', () => {
    const a = tensor([[1, 2]]), b = tensor([[3, 4]]);
    expect(a.concat(b).arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(a.concat([b, a], 1).arraySync()).toEqual([[1, 2, 3, 4, 1, 2]]);
    expect(ops.concat([tensor(Int32Array.from([1])), tensor(Int32Array.from([2, 3]))]).dataSync()).toEqual(Int32Array.from([1, 2, 3]));
  });
  it('errors', () => {
    expect(() => ops.concat([tensor([[1, 2]]), tensor([[1, 2, 3]])], 0)).toThrow(new ShapeError('concat: shapes [1,2], [1,3] differ outside axis 0'));
    expect(() => ops.concat([], 0)).toThrow(ValueError);
    expect(() => ops.concat([tensor([1]), tensor(Int32Array.from([1]))])).toThrow(/concat: dtypes differ/);
    expect(() => ops.concat([tensor([1])], 1)).toThrow(/concat: axis 1 is out of range for rank 1/);
  });
});

describe('slice', () => {
  const x = arr([4, 5, 6], 9);
  const cases: [string, number[], number[]][] = [
    ['whole', [0, 0, 0], [-1, -1, -1]],
    ['inner block', [1, 2, 3], [2, 2, 2]],
    ['rows', [1, 0, 0], [2, -1, -1]],
    ['last axis', [0, 0, 5], [-1, -1, 1]],
    ['empty', [2, 0, 0], [0, 5, 6]],
  ];
  it.each(cases)('x=[4,5,6] %s', (_label, begin, size) => {
    same(ops.slice(T(x), begin, size), sliceRef(x, begin, size));
  });
  it('short begin / size take the remaining axes whole; numbers for rank 1', () => {
    same(ops.slice(T(x), [1]), sliceRef(x, [1, 0, 0], [-1, -1, -1]));
    same(ops.slice(T(x), [1, 1], [2]), sliceRef(x, [1, 1, 0], [2, -1, -1]));
    expect(Array.from(ops.slice(tensor([1, 2, 3, 4]), 1, 2).dataSync())).toEqual([2, 3]);
    expect(Array.from(tensor([1, 2, 3, 4]).slice([2]).dataSync())).toEqual([3, 4]);
  });
  it('property: random boxes', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d }).chain((b) =>
        fc.tuple(fc.constant(b), fc.integer({ min: -1, max: d - b })))))));
    fc.assert(fc.property(arb, ([shape, box]) => {
      tidy(() => {
        const a = arr(shape, 5);
        const begin = box.map((b) => b[0]), size = box.map((b) => b[1]);
        same(ops.slice(T(a), begin, size), sliceRef(a, begin, size));
      });
    }), { numRuns: 150 });
  });
  it('errors', () => {
    expect(() => ops.slice(tensor([[1, 2, 3]]), [0, 2], [1, 2])).toThrow(new ShapeError('slice: begin [0,2] and size [1,2] are out of bounds for shape [1,3] on axis 1'));
    expect(() => ops.slice(tensor([[1, 2, 3]]), [0, -1])).toThrow(ShapeError);
    expect(() => ops.slice(tensor([1]), [0, 0])).toThrow(/more entries than the rank/);
    expect(() => ops.slice(tensor([1]), [0.5] as any)).toThrow(ValueError);
  });
});

describe('pad', () => {
  const cases: [string, number[], [number, number][], number][] = [
    ['2-D', [2, 3], [[1, 2], [0, 1]], 0],
    ['NHWC spatial', [1, 3, 3, 2], [[0, 0], [1, 1], [2, 0], [0, 0]], 0],
    ['value -1.5', [4], [[2, 3]], -1.5],
    ['no padding', [2, 2], [[0, 0], [0, 0]], 7],
    ['empty input', [0, 2], [[1, 1], [0, 0]], 3],
  ];
  it.each(cases)('%s', (_label, shape, paddings, value) => {
    const x = arr(shape, 4);
    same(ops.pad(T(x), paddings, value), padRef(x, paddings, value));
  });
  it('int32 and method form', () => {
    expect(tensor(Int32Array.from([1, 2]), [2]).pad([[1, 1]], 9).dataSync()).toEqual(Int32Array.from([9, 1, 2, 9]));
    expect(tensor([1]).pad([[1, 0]]).arraySync()).toEqual([0, 1]);
  });
  it('errors', () => {
    expect(() => ops.pad(tensor([[1]]), [[1, 1]])).toThrow(/pad: paddings must hold one \[before, after\] pair of non-negative integers per axis of \[1,1\]/);
    expect(() => ops.pad(tensor([1]), [[-1, 0]])).toThrow(ValueError);
  });
});

describe('broadcastTo', () => {
  it('values and gradient', () => {
    expect(ops.broadcastTo(tensor([1, 2]), [3, 2]).arraySync()).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(ops.broadcastTo(tensor([[1], [2]]), [2, 3]).arraySync()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(() => ops.broadcastTo(tensor([1, 2]), [3])).toThrow(ShapeError);
    expect(gradCheck((t) => ops.broadcastTo(t, [2, 3, 4]), [{ shape: [3, 1] }])).toBeLessThan(1e-2);
  });
});

describe('gradients (finite differences)', () => {
  const TOL = 1e-2;
  const cases: [string, (...t: Tensor[]) => Tensor, number[][]][] = [
    ['reshape', (t) => ops.reshape(t, [4, -1]), [[2, 3, 4]]],
    ['flatten', (t) => ops.flatten(t), [[2, 3, 2]]],
    ['transpose [2,0,1]', (t) => ops.transpose(t, [2, 0, 1]), [[2, 3, 4]]],
    ['transpose 2-D', (t) => ops.transpose(t), [[5, 6]]],
    ['concat axis 1', (a, b) => ops.concat([a, b], 1), [[2, 3], [2, 2]]],
    ['concat axis 0 (3 inputs)', (a, b, c) => ops.concat([a, b, c], 0), [[1, 3], [2, 3], [1, 3]]],
    ['slice', (t) => ops.slice(t, [1, 0, 1], [1, 2, -1]), [[2, 3, 4]]],
    ['pad', (t) => ops.pad(t, [[1, 0], [2, 1]], 3), [[2, 3]]],
  ];
  it.each(cases)('%s', (name, f, shapes) => {
    checkOp({ name, op: f, inputs: shapes, gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
  });
  it('concat gives gradients only to inputs that require them', () => {
    const a = tensor([1, 2]).requireGrad(), b = tensor([3]);
    ops.mul(ops.concat([a, b]), tensor([4, 5, 6])).sum().backward();
    expect(Array.from(a.grad!.dataSync())).toEqual([4, 5]);
    expect(b.grad).toBeNull();
  });
});

describe('memory', () => {
  const fns: [string, (x: Tensor) => Tensor][] = [
    ['reshape+flatten', (x) => ops.flatten(ops.reshape(x, [2, 12]))],
    ['transpose', (x) => ops.transpose(x, [1, 2, 0])],
    ['concat', (x) => ops.concat([x, x, ops.mul(x, 2)], 1)],
    ['slice+pad', (x) => ops.pad(ops.slice(x, [0, 1, 1], [2, 2, 2]), [[0, 1], [1, 1], [0, 0]])],
    ['broadcastTo', (x) => ops.broadcastTo(x, [3, 2, 3, 4])],
  ];
  it.each(fns)('%s: no live tensor after tidy(forward + backward)', (_name, f) => {
    const x = tensor(values(24, 3), [2, 3, 4]).requireGrad();
    expectNoLeakThroughBackward(x, f);
  });
  it('a reshape view returned from tidy survives with its own storage reference', () => {
    const y = tidy(() => ops.reshape(tensor([1, 2, 3, 4]), [2, 2]));
    expect(y.arraySync()).toEqual([[1, 2], [3, 4]]);
    y.dispose();
  });
});
