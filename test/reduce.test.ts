// Reductions: sum / mean / max over single, adjacent and scattered axes with keepDims against
// the float64 reference, fast-check properties over random shapes and axis sets, argMax, the
// max gradient routed to the argmax, finite-difference gradients, errors and memory.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, tidy, ops, ones, full, backendInfo, ShapeError, ValueError, type Tensor } from '../src/index.js';
import { values, sizeOf, type Arr } from './reference/elementwise.js';
import { sumRef, meanRef, maxRef, argMaxRef } from './reference/reduce.js';
import { expectClose } from './harness/close.js';
import { checkOp } from './harness/check-op.js';
import { expectNoLeakThroughBackward } from './harness/leaks.js';

const f32 = (v: number[]) => v.map(Math.fround);
const arr = (shape: number[], seed: number, lo = -2, hi = 2): Arr => ({ shape, values: f32(values(sizeOf(shape), seed, lo, hi)) });
const T = (a: Arr): Tensor => tensor(a.values, a.shape);

const REDUCERS = {
  sum: [ops.sum, sumRef],
  mean: [ops.mean, meanRef],
  max: [ops.max, maxRef],
} as const;
type ReducerName = keyof typeof REDUCERS;

function check(name: ReducerName, x: Arr, axis: number | number[] | undefined, keepDims: boolean): void {
  const [op, ref] = REDUCERS[name];
  const axes = axis === undefined ? undefined : Array.isArray(axis) ? axis : [axis];
  checkOp({
    name: `${name} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, op: (t) => op(t, axis, keepDims), inputs: [x],
    reference: (t) => ref(t, axes, keepDims), tolerance: { rtol: 1e-5, atol: 1e-5 },
  });
}

const AXES: [string, number[], number | number[] | undefined][] = [
  ['[2,3,4] all', [2, 3, 4], undefined],
  ['[2,3,4] axis 0', [2, 3, 4], 0],
  ['[2,3,4] axis 1', [2, 3, 4], 1],
  ['[2,3,4] axis 2', [2, 3, 4], 2],
  ['[2,3,4] axis -1', [2, 3, 4], -1],
  ['[2,3,4] axes [0,1]', [2, 3, 4], [0, 1]],
  ['[2,3,4] axes [1,2]', [2, 3, 4], [1, 2]],
  ['[2,3,4] axes [2,0] (scattered, unsorted)', [2, 3, 4], [2, 0]],
  ['[2,3,4] axes [0,1,2]', [2, 3, 4], [0, 1, 2]],
  ['[2,3,4] axes [] (identity)', [2, 3, 4], []],
  ['[5,1,3] axes [0,2] (run across a size-1 dim)', [5, 1, 3], [0, 2]],
  ['[2,3,4,5] axes [0,1,2] (NHW of NHWC)', [2, 3, 4, 5], [0, 1, 2]],
  ['[2,3,4,5] axes [1,3] (scattered)', [2, 3, 4, 5], [1, 3]],
  ['[3,37] axis 1 (SIMD rows)', [3, 37], 1],
  ['[37,6] axis 0 (SIMD columns)', [37, 6], 0],
  ['[] scalar', [], undefined],
  ['[0,3] axis 0 (empty)', [0, 3], 1],
];

describe('sum / mean / max vs float64 reference', () => {
  for (const name of Object.keys(REDUCERS) as ReducerName[]) {
    for (const keepDims of [false, true]) {
      it.each(AXES)(`${name} %s keepDims=${keepDims}`, (_label, shape, axis) => {
        check(name, arr(shape, 4), axis, keepDims);
      });
    }
  }

  it('property: random shapes, axis sets and keepDims match the reference', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }).chain((shape) => fc.tuple(
      fc.constant(shape),
      fc.oneof(fc.constant(undefined), fc.subarray(shape.map((_, i) => i)).chain((a) => fc.shuffledSubarray(a, { minLength: a.length, maxLength: a.length }))),
      fc.boolean(), fc.constantFrom<ReducerName>('sum', 'mean', 'max'), fc.integer({ min: 1, max: 1000 })));
    fc.assert(fc.property(arb, ([shape, axes, keepDims, name, seed]) => {
      tidy(() => check(name, arr(shape, seed), axes, keepDims));
    }), { numRuns: 200 });
  });

  it('methods match the ops', () => {
    const x = T(arr([3, 4], 2));
    expect(Array.from(x.sum(1).dataSync())).toEqual(Array.from(ops.sum(x, 1).dataSync()));
    expect(Array.from(x.mean([0, 1], true).dataSync())).toEqual(Array.from(ops.mean(x, [0, 1], true).dataSync()));
    expect(Array.from(x.max().dataSync())).toEqual(Array.from(ops.max(x).dataSync()));
    expect(Array.from(x.argMax(1).dataSync())).toEqual(Array.from(ops.argMax(x, 1).dataSync()));
  });

  it('sums long rows accurately', () => {
    expect(ones([1_000_000]).sum().dataSync()[0]).toBe(1_000_000);
    const m = ops.mean(ones([1000, 1000]), 0).dataSync();
    expect(m.every((v) => v === 1)).toBe(true);
  });

  it('accumulates in f64: long sums are exact to float32 rounding', () => {
    const v = Math.fround(0.1), n = 1_000_000;
    const expected = Math.fround(v * n); // float64 of a sum of n equal float32 values, rounded once
    expect(ops.sum(full([n], v)).dataSync()[0]).toBe(expected);
    expect(Array.from(ops.sum(full([n / 4, 4], v), 0).dataSync())).toEqual([1, 2, 3, 4].map(() => Math.fround(v * n / 4)));
    expect(ops.mean(full([1000, 1000], v)).dataSync()[0]).toBe(v);
    // the gradient of a broadcast bias sums N rows (sumToShape)
    const b = tensor([0, 0, 0]).requireGrad();
    ops.add(ones([200_000, 3]), b).backward(full([200_000, 3], v));
    expect(Array.from(b.grad!.dataSync())).toEqual([0, 0, 0].map(() => Math.fround(v * 200_000)));
  });

  it('max propagates NaN and handles -inf', () => {
    expect(Array.from(ops.max(tensor([[1, NaN, 3], [-Infinity, -Infinity, -Infinity]]), 1).dataSync())).toEqual([NaN, -Infinity]);
  });
});

describe('argMax', () => {
  it.each([[0], [1], [2], [-1]])('x=[3,4,5] axis=%i', (axis) => {
    const x = arr([3, 4, 5], 6);
    const out = ops.argMax(T(x), axis);
    const r = argMaxRef(x, axis);
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual(r.shape);
    expect(Array.from(out.dataSync())).toEqual(r.values);
  });
  it('defaults to axis 0 (as TensorFlow.js) and picks the first of ties', () => {
    expect(Array.from(ops.argMax(tensor([[1, 5], [3, 5], [3, 0]])).dataSync())).toEqual([1, 0]);
    expect(Array.from(ops.argMax(tensor([2, 7, 7, 1]), 0).dataSync())).toEqual([1]);
  });
  it('records no gradient', () => {
    const x = tensor([1, 2, 3]).requireGrad();
    const a = ops.argMax(x, 0);
    expect(a.requiresGrad).toBe(false);
  });
});

describe('gradients', () => {
  const TOL = 2e-2;
  const cases: [string, (t: Tensor) => Tensor][] = [
    ['sum all', (t) => ops.sum(t)],
    ['sum axis 1', (t) => ops.sum(t, 1)],
    ['sum axes [0,2] keepDims', (t) => ops.sum(t, [0, 2], true)],
    ['mean all', (t) => ops.mean(t)],
    ['mean axis -1', (t) => ops.mean(t, -1)],
    ['mean axes [0,1]', (t) => ops.mean(t, [0, 1])],
    ['max all', (t) => ops.max(t)],
    ['max axis 0', (t) => ops.max(t, 0)],
    ['max axis 1 keepDims', (t) => ops.max(t, 1, true)],
    ['max axes [2,0] (scattered)', (t) => ops.max(t, [2, 0])],
  ];
  // distinct values at least 0.05 apart: the finite differences never move the argmax
  const spaced = Array.from({ length: 24 }, (_, i) => ((i * 7) % 24) * 0.1 - 1.2);
  it.each(cases)('%s x=[2,3,4]', (name, f) => {
    checkOp({ name, op: f, inputs: [{ shape: [2, 3, 4], values: spaced }], gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
  });
  it('max sends the gradient to the first argmax only', () => {
    const x = tensor([[1, 3, 3], [2, 0, 2]]).requireGrad();
    ops.max(x, 1).backward(tensor([10, 20]));
    expect(x.grad!.arraySync()).toEqual([[0, 10, 0], [20, 0, 0]]);
    const y = tensor([[1, 9], [9, 2]]).requireGrad();
    ops.max(y).backward();
    expect(y.grad!.arraySync()).toEqual([[0, 1], [0, 0]]);
  });
  it('broadcast gradients are summed back (sumToShape) through sum and mean', () => {
    const b = tensor([1, 2, 3]).requireGrad();
    ops.mean(ops.mul(ones([4, 2, 3]), b)).backward();
    expectClose(b.grad!.dataSync(), [1 / 3, 1 / 3, 1 / 3], { rtol: 1e-6, atol: 1e-6, what: 'd b' });
  });
});

describe('errors', () => {
  it('axis checks', () => {
    expect(() => ops.sum(tensor([[1, 2]]), 2)).toThrow(new ValueError('sum: axis 2 is out of range for rank 2'));
    expect(() => ops.mean(tensor([[1, 2]]), [0, -2])).toThrow(/mean: axis \[0,-2\] repeats an axis/);
    expect(() => ops.max(tensor([[1, 2]]), 'x' as any)).toThrow(/max: axis must be a number or an array of numbers/);
    expect(() => ops.sum(tensor([1]), 0, 'yes' as any)).toThrow(/sum: keepDims must be a boolean/);
    expect(() => ops.argMax(tensor([1, 2]), 1)).toThrow(/argMax: axis 1 is out of range for rank 1/);
  });
  it('max / argMax over an empty axis and argMax of a scalar', () => {
    expect(() => ops.max(tensor([], [2, 0]), 1)).toThrow(new ValueError('max: cannot reduce over an empty axis (shape [2,0], axis 1)'));
    expect(() => ops.argMax(tensor([], [0, 2]), 0)).toThrow(ValueError);
    expect(() => ops.argMax(tensor(3))).toThrow(ShapeError);
    expect(Array.from(ops.sum(tensor([], [2, 0]), 1).dataSync())).toEqual([0, 0]);
  });
  it('a failed call leaves nothing behind and the next call works', () => {
    const x = tensor([[1, 2]]);
    const before = backendInfo().liveTensors;
    expect(() => ops.sum(x, 5)).toThrow(ValueError);
    expect(backendInfo().liveTensors).toBe(before);
    expect(Array.from(ops.sum(x).dataSync())).toEqual([3]);
  });
});

describe('memory', () => {
  const fns: [string, (x: Tensor) => Tensor][] = [
    ['sum', (x) => ops.sum(x, [0, 2])],
    ['mean', (x) => ops.mean(x, 1, true)],
    ['max (contiguous)', (x) => ops.max(x, 2)],
    ['max (scattered: transposes)', (x) => ops.max(x, [0, 2])],
  ];
  it.each(fns)('%s: no live tensor after tidy(forward + backward)', (_name, f) => {
    const x = tensor(values(24, 3), [2, 3, 4]).requireGrad();
    expectNoLeakThroughBackward(x, f);
  });
  it('max without grad does not keep its argmax indices', () => {
    const x = tensor(values(24, 3), [2, 3, 4]);
    const before = backendInfo().liveTensors;
    const m = ops.max(x, 1);
    expect(backendInfo().liveTensors).toBe(before + 1);
    m.dispose();
  });
});
