// Elementwise ops: every broadcasting pattern against the float64 reference, fast-check
// properties over random broadcastable shapes, finite-difference gradients of every op, error
// messages, and no leaked tensors after tidy(forward + backward).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, tidy, ops, backendInfo, ShapeError, ValueError, DisposedError, type Tensor } from '../src/index.js';
import { binaryRef, binaryFns, unaryFns, values, sizeOf, type Arr } from './reference/elementwise.js';
import { expectClose } from './harness/close.js';
import { checkOp } from './harness/check-op.js';

const f32 = (v: number[]) => v.map(Math.fround);
const arr = (shape: number[], seed: number, lo = -2, hi = 2): Arr => ({ shape, values: f32(values(sizeOf(shape), seed, lo, hi)) });
const T = (a: Arr): Tensor => tensor(a.values, a.shape);

const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
type BinaryName = (typeof BINARY)[number];
const opFn = (name: BinaryName) => ops[name] as (a: Tensor | number, b: Tensor | number) => Tensor;

/** Inputs in a range where the op is well conditioned (pow: positive base, div: |b| >= 0.5). */
function inputsFor(name: BinaryName, sa: number[], sb: number[], seed: number): [Arr, Arr] {
  const a = name === 'pow' ? arr(sa, seed, 0.5, 2) : arr(sa, seed);
  let b = name === 'pow' ? arr(sb, seed + 50, -2, 2) : arr(sb, seed + 50);
  if (name === 'div') b = { shape: b.shape, values: b.values.map((v) => Math.fround(v >= 0 ? v + 0.5 : v - 0.5)) };
  return [a, b];
}

function checkBinary(name: BinaryName, a: Arr, b: Arr): void {
  checkOp({
    name, op: (x, y) => opFn(name)(x, y), inputs: [a, b],
    reference: (x, y) => binaryRef(x, y, binaryFns[name]),
    tolerance: { rtol: name === 'pow' ? 2e-6 : 1e-6, atol: 1e-6 },
  });
}

// Every broadcasting pattern the kernels distinguish: same shape, scalar either side, trailing
// vector either side (the bias case), column, outer product, middle-axis and rank-expanding
// broadcasts, with lengths that leave SIMD remainders.
const PATTERNS: [string, number[], number[]][] = [
  ['same [2,3]', [2, 3], [2, 3]],
  ['same [7] (SIMD tail)', [7], [7]],
  ['same [37]', [37], [37]],
  ['scalar b []', [2, 5], []],
  ['scalar a []', [], [3, 3]],
  ['size-1 b [1]', [2, 3], [1]],
  ['size-1 a [1,1]', [1, 1], [4, 3]],
  ['bias b [5] over [2,3,3,5]', [2, 3, 3, 5], [5]],
  ['bias a [3] over [4,3]', [3], [4, 3]],
  ['trailing b [3,5] over [2,3,5]', [2, 3, 5], [3, 5]],
  ['trailing b [1,6] over [4,6]', [4, 6], [1, 6]],
  ['column b [4,1] over [4,6]', [4, 6], [4, 1]],
  ['column a [5,1] over [5,9]', [5, 1], [5, 9]],
  ['outer [4,1] x [1,3]', [4, 1], [1, 3]],
  ['outer [6,1] x [7]', [6, 1], [7]],
  ['middle [2,1,3] x [2,4,1]', [2, 1, 3], [2, 4, 1]],
  ['middle [3,1,5] x [3,4,5]', [3, 1, 5], [3, 4, 5]],
  ['rank-expanding [5,1,2] x [3,1]', [5, 1, 2], [3, 1]],
  ['channel [2,1,1,3] x [2,4,4,3]', [2, 1, 1, 3], [2, 4, 4, 3]],
  ['zero-size [0,3] x [3]', [0, 3], [3]],
];

describe('binary ops vs float64 reference', () => {
  for (const name of BINARY) {
    it.each(PATTERNS)(`${name} %s`, (_label, sa, sb) => {
      const [a, b] = inputsFor(name, sa, sb, 3);
      checkBinary(name, a, b);
    });
  }

  it('accepts numbers on either side', () => {
    const x = arr([2, 3], 9, 0.5, 2);
    for (const name of BINARY) {
      const r1 = opFn(name)(T(x), 1.5).dataSync();
      const r2 = opFn(name)(0.75, T(x)).dataSync();
      expectClose(r1, x.values.map((v) => binaryFns[name](v, 1.5)), { rtol: 2e-6, atol: 1e-6, what: `${name}(x, 1.5)` });
      expectClose(r2, x.values.map((v) => binaryFns[name](0.75, v)), { rtol: 2e-6, atol: 1e-6, what: `${name}(0.75, x)` });
    }
    expect(Array.from(ops.add(2, 3).dataSync())).toEqual([5]);
    expect(ops.add(2, 3).shape).toEqual([]);
  });

  it('Tensor methods match the ops', () => {
    const a = T(arr([3, 4], 1, 0.5, 2)), b = T(arr([4], 2, 0.5, 2));
    for (const name of BINARY) {
      expect(Array.from((a as any)[name](b).dataSync())).toEqual(Array.from(opFn(name)(a, b).dataSync()));
    }
    expect(Array.from(a.add(1).mul(2).sub(b).dataSync())).toEqual(Array.from(ops.sub(ops.mul(ops.add(a, 1), 2), b).dataSync()));
  });

  it('maximum / minimum propagate NaN; pow and div follow IEEE', () => {
    const a = tensor([NaN, 1, 2, -1, 0]), b = tensor([0, NaN, 1, 0.5, 0]);
    expect(Array.from(ops.maximum(a, b).dataSync())).toEqual([NaN, NaN, 2, 0.5, 0]);
    expect(Array.from(ops.minimum(a, b).dataSync())).toEqual([NaN, NaN, 1, -1, 0]);
    expect(Array.from(ops.div(tensor([1, -1, 0]), 0).dataSync())).toEqual([Infinity, -Infinity, NaN]);
    expect(Array.from(ops.pow(tensor([-8, 0, 2]), tensor([1 / 3, 0, -1])).dataSync())).toEqual([NaN, 1, 0.5]);
  });

  it('pow(x, 2) is exactly x * x (and its gradient 2x)', () => {
    const v = f32(values(37, 4, -30, 30));
    const x = tensor([...v, NaN, Infinity, -Infinity, -0]).requireGrad();
    const y = ops.pow(x, 2);
    expect(Array.from(y.dataSync())).toEqual(Array.from(ops.mul(x, x).dataSync()));
    y.sum().backward();
    expect(Array.from(x.grad!.dataSync()).slice(0, 37)).toEqual(v.map((t) => Math.fround(2 * t)));
  });

  it('property: any broadcastable pair of shapes matches the reference', () => {
    // An output shape, then each operand drops leading dims and sets some dims to 1.
    const pair = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }).chain((out) =>
      fc.tuple(fc.constant(out), operandShape(out), operandShape(out), fc.constantFrom(...BINARY), fc.integer({ min: 1, max: 1000 })));
    fc.assert(fc.property(pair, ([, sa, sb, name, seed]) => {
      tidy(() => {
        const [a, b] = inputsFor(name, sa, sb, seed);
        checkBinary(name, a, b);
      });
    }), { numRuns: 150 });
  });
});

function operandShape(out: number[]) {
  return fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

describe('unary elementwise ops vs float64 reference', () => {
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, number, number][] = [
    ['neg', (x) => ops.neg(x), unaryFns.neg, -5, 5],
    ['exp', (x) => ops.exp(x), unaryFns.exp, -20, 20],
    ['log', (x) => ops.log(x), unaryFns.log, 1e-3, 100],
    ['sqrt', (x) => ops.sqrt(x), unaryFns.sqrt, 0, 100],
    ['abs', (x) => ops.abs(x), unaryFns.abs, -5, 5],
    ['clip [-0.5, 1]', (x) => ops.clip(x, -0.5, 1), (v) => unaryFns.clip(v, -0.5, 1), -3, 3],
  ];
  it.each(cases)('%s', (name, f, ref, lo, hi) => {
    for (const n of [1, 3, 4, 17, 1000]) {
      checkOp({
        name: `${name} n=${n}`, op: f, inputs: [arr([n], n, lo, hi)],
        reference: (x) => ({ shape: x.shape, values: x.values.map(ref) }), tolerance: { rtol: 2e-7, atol: 1e-30 },
      });
    }
  });
  it('special values', () => {
    const x = tensor([0, -0, Infinity, -Infinity, NaN, -1]);
    expect(Array.from(ops.exp(x).dataSync())).toEqual([1, 1, Infinity, 0, NaN, Math.fround(Math.exp(-1))]);
    expect(Array.from(ops.log(x).dataSync())).toEqual([-Infinity, -Infinity, Infinity, NaN, NaN, NaN]);
    expect(Array.from(ops.sqrt(x).dataSync())).toEqual([0, -0, Infinity, NaN, NaN, NaN]);
    expect(Array.from(ops.abs(x).dataSync())).toEqual([0, 0, Infinity, Infinity, NaN, 1]);
    expect(Array.from(ops.clip(x, -2, 2).dataSync())).toEqual([0, -0, 2, -2, NaN, -1]);
    expect(Array.from(ops.clip(x, -Infinity, Infinity).dataSync().slice(0, 4))).toEqual([0, -0, Infinity, -Infinity]);
  });
});

describe('gradients (finite differences)', () => {
  const TOL = 2e-2;
  const shapes: [string, number[], number[]][] = [
    ['same', [2, 3], [2, 3]],
    ['bias', [3, 4], [4]],
    ['column', [3, 1], [3, 4]],
    ['outer', [3, 1], [1, 4]],
    ['scalar', [2, 3], []],
    ['middle', [2, 1, 3], [2, 4, 1]],
  ];
  for (const name of BINARY) {
    it.each(shapes)(`${name} %s`, (_label, sa, sb) => {
      let [a, b] = inputsFor(name, sa, sb, 11);
      if (name === 'maximum' || name === 'minimum') {
        // keep every pair at least 0.2 apart so the finite difference never crosses a tie
        const ref = binaryRef(a, b, (x, y) => x - y);
        if (ref.values.some((d) => Math.abs(d) < 0.2)) {
          a = { shape: a.shape, values: a.values.map((_, i) => Math.fround(i * 0.37 - 1)) };
          b = { shape: b.shape, values: b.values.map((_, i) => Math.fround(-i * 0.29 + 0.51)) };
        }
        const d = binaryRef(a, b, (x, y) => x - y);
        expect(d.values.every((v) => Math.abs(v) > 0.01)).toBe(true);
      }
      checkOp({ name, op: (x, y) => opFn(name)(x, y), inputs: [a, b], gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
    });
  }
  it.each(BINARY.map((n) => [n]))('%s with a number operand', (name) => {
    const x = arr([2, 3], 5, 0.5, 1.5);
    checkOp({ name: `${name}(x, 0.3)`, op: (t) => opFn(name)(t, 0.3), inputs: [x], gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
    checkOp({ name: `${name}(1.7, x)`, op: (t) => opFn(name)(1.7, t), inputs: [x], gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
  });
  it('only inputs that require grad get one', () => {
    const a = tensor([1, 2, 3]).requireGrad();
    const b = tensor([4, 5, 6]);
    ops.mul(a, b).sum().backward();
    expect(Array.from(a.grad!.dataSync())).toEqual([4, 5, 6]);
    expect(b.grad).toBeNull();
  });
  const unary: [string, (x: Tensor) => Tensor, number, number][] = [
    ['neg', (x) => ops.neg(x), -2, 2],
    ['exp', (x) => ops.exp(x), -2, 2],
    ['log', (x) => ops.log(x), 0.5, 3],
    ['sqrt', (x) => ops.sqrt(x), 0.5, 3],
    ['abs', (x) => ops.abs(x), 0.1, 2],
    ['abs (negative side)', (x) => ops.abs(x), -2, -0.1],
    ['clip', (x) => ops.clip(x, -0.5, 0.5), -1, 1],
  ];
  it.each(unary)('%s', (name, f, lo, hi) => {
    let v = values(12, 21, lo, hi);
    if (name === 'clip') v = v.map((x) => (Math.abs(Math.abs(x) - 0.5) < 0.05 ? x * 0.5 : x));
    checkOp({ name, op: f, inputs: [{ shape: [3, 4], values: v }], gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
  });
  it('abs / clip gradients at their kinks', () => {
    const x = tensor([0, -0.5, 0.5, 2, -2]).requireGrad();
    ops.abs(x).sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([0, -1, 1, 1, -1]);
    const y = tensor([0, -0.5, 0.5, 2, -2]).requireGrad();
    ops.clip(y, -0.5, 0.5).sum().backward();
    expect(Array.from(y.grad!.dataSync())).toEqual([1, 1, 1, 0, 0]);
    const z = tensor([1, 2, 3]).requireGrad();
    ops.maximum(z, tensor([1, 0, 5])).sum().backward();
    expect(Array.from(z.grad!.dataSync())).toEqual([1, 1, 0]);
  });
  it('a tensor used twice accumulates both gradients', () => {
    const x = tensor([1, 2, 3]).requireGrad();
    ops.add(ops.mul(x, x), x).sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([3, 5, 7]);
  });
});

describe('Tensor methods', () => {
  it('every op of API.md that reads naturally as a method is attached to Tensor', () => {
    const names = ['add', 'sub', 'mul', 'div', 'neg', 'exp', 'log', 'sqrt', 'pow', 'abs', 'clip', 'maximum', 'minimum',
      'relu', 'leakyRelu', 'elu', 'gelu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'sum', 'mean', 'max', 'argMax',
      'reshape', 'flatten', 'transpose', 'concat', 'slice', 'pad', 'broadcastTo', 'dropout',
      'matmul', 'conv2d', 'conv2dTranspose', 'maxPool2d', 'avgPool2d', 'globalAvgPool2d', 'globalMaxPool2d'];
    const t = tensor([1]);
    for (const n of names) expect(typeof (t as any)[n], n).toBe('function');
    // not enumerable: they do not show up when a tensor is inspected or spread
    expect(Object.keys(Object.getPrototypeOf(t))).not.toContain('add');
  });
  it('chains with numbers', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(x.mul(2).add(1).sub(x).div(2).pow(2).neg().abs().sqrt().arraySync()).toEqual([[1, 1.5], [2, 2.5]]);
    expect(x.matmul(x).arraySync()).toEqual([[7, 10], [15, 22]]);
  });
});

describe('errors', () => {
  it('names the op and both shapes when shapes cannot broadcast', () => {
    expect(() => ops.add(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2, 3, 4]))).toThrow(new ShapeError('add: shapes [2,3] and [4] cannot broadcast'));
    expect(() => ops.maximum(tensor([[1, 2]]), tensor([[1], [2], [3]]).reshape([1, 3]))).toThrow(/maximum: shapes \[1,2\] and \[1,3\] cannot broadcast/);
    for (const name of BINARY) {
      expect(() => opFn(name)(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
      expect(() => opFn(name)(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(`${name}: shapes [2] and [3] cannot broadcast`);
    }
  });
  it('rejects non-tensors, int32 tensors and bad clip bounds with ValueError', () => {
    expect(() => ops.add(tensor([1]), 'a' as any)).toThrow(ValueError);
    expect(() => ops.mul([1, 2] as any, tensor([1]))).toThrow(/mul: a must be a Tensor or a number/);
    expect(() => ops.add(tensor([1, 2], [2], 'int32'), tensor([1, 2]))).toThrow(/add: a must be float32, got int32/);
    expect(() => ops.exp(tensor([1], [1], 'int32'))).toThrow(ValueError);
    expect(() => ops.clip(tensor([1]), 2, 1)).toThrow(new ValueError('clip: min 2 is greater than max 1'));
    expect(() => ops.clip(tensor([1]), NaN, 1)).toThrow(ValueError);
  });
  it('throws DisposedError for a disposed input, and the next call works', () => {
    const a = tensor([1, 2]);
    a.dispose();
    expect(() => ops.add(a, 1)).toThrow(DisposedError);
    expect(Array.from(ops.add(tensor([1, 2]), 1).dataSync())).toEqual([2, 3]);
  });
  it('validates before allocating (no tensor left behind by a failed call)', () => {
    const a = tensor([1, 2, 3]), b = tensor([1, 2]);
    const before = backendInfo().liveTensors;
    expect(() => ops.sub(a, b)).toThrow(ShapeError);
    expect(backendInfo().liveTensors).toBe(before);
  });
});

describe('memory', () => {
  const fns: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ...BINARY.map((n) => [n, (a: Tensor, b: Tensor) => opFn(n)(a, b)] as [string, (a: Tensor, b: Tensor) => Tensor]),
    ['unary chain', (a) => ops.clip(ops.sqrt(ops.exp(ops.neg(ops.abs(ops.log(a))))), 0, 1)],
    ['number operands', (a, b) => ops.add(ops.mul(2, a), ops.div(b, 3))],
  ];
  it.each(fns)('%s: no live tensor after tidy(forward + backward)', (_name, f) => {
    const a = tensor(values(12, 1, 0.5, 2), [3, 4]).requireGrad();
    const b = tensor(values(4, 2, 0.5, 2), [4]).requireGrad();
    const before = backendInfo().liveTensors;
    tidy(() => { f(a, b).sum().backward(); });
    // only the two accumulated .grad tensors remain
    const grads = [a.grad, b.grad].filter((g) => g !== null).length;
    expect(backendInfo().liveTensors).toBe(before + grads);
    a.zeroGrad(); b.zeroGrad();
    expect(backendInfo().liveTensors).toBe(before);
    a.dispose(); b.dispose();
  });
});
