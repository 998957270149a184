// Activations: values against float64 references (gelu to float32 accuracy, tails included),
// softmax / logSoftmax along every axis and their stability on huge inputs, finite-difference
// gradients, error messages, and no leaked tensors after tidy(forward + backward).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, tidy, ops, ValueError, type Tensor } from '../src/index.js';
import { unaryFns, unaryGrads, values, sizeOf, type Arr } from './reference/elementwise.js';
import { softmaxRef } from './reference/reduce.js';
import { expectClose } from './harness/close.js';
import { checkOp } from './harness/check-op.js';
import { expectNoLeakThroughBackward } from './harness/leaks.js';

const f32 = (v: number[]) => v.map(Math.fround);
const linspace = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * i) / (n - 1)));

describe('activations vs float64 reference', () => {
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, number, number, number][] = [
    // name, op, reference, lo, hi, rtol
    ['relu', (x) => ops.relu(x), unaryFns.relu, -5, 5, 0],
    ['leakyRelu', (x) => ops.leakyRelu(x), (v) => unaryFns.leakyRelu(v), -5, 5, 1e-7],
    ['leakyRelu alpha=0.2', (x) => ops.leakyRelu(x, 0.2), (v) => unaryFns.leakyRelu(v, 0.2), -5, 5, 1e-7],
    ['elu', (x) => ops.elu(x), (v) => unaryFns.elu(v), -20, 5, 2e-7],
    ['elu alpha=0.5', (x) => ops.elu(x, 0.5), (v) => unaryFns.elu(v, 0.5), -3, 3, 2e-7],
    ['gelu', (x) => ops.gelu(x), unaryFns.gelu, -15, 10, 1.2e-7],
    ['sigmoid', (x) => ops.sigmoid(x), unaryFns.sigmoid, -80, 80, 2e-7],
    ['tanh', (x) => ops.tanh(x), unaryFns.tanh, -12, 12, 2e-7],
  ];
  it.each(cases)('%s', (name, f, ref, lo, hi, rtol) => {
    const reference = (x: Arr): Arr => ({ shape: x.shape, values: x.values.map(ref) });
    checkOp({ name, op: f, inputs: [{ shape: [2001], values: linspace(lo, hi, 2001) }], reference, tolerance: { rtol, atol: 1e-40 } });
    // remainders of the SIMD loops
    for (const n of [1, 3, 5]) {
      checkOp({ name: `${name} n=${n}`, op: f, inputs: [{ shape: [n], values: f32(values(n, n, lo, hi)) }], reference, tolerance: { rtol, atol: 1e-40 } });
    }
  });

  it('gelu is the exact erf form, accurate to float32 in both tails and near 0', () => {
    // x * Phi(x) is tiny but representable for very negative x: relative accuracy holds there too.
    const x = f32([-14, -12, -10, -8, -6, -5.5, -4, -2.5, -1e-3, -1e-20, 0, 1e-20, 1e-3, 0.7, 2.5, 4, 5.9, 8, 30, 1e30]);
    const out = ops.gelu(tensor(x)).dataSync();
    expectClose(out, x.map(unaryFns.gelu), { rtol: 1.2e-7, atol: 1e-44, what: 'gelu' });
    // x * Phi(x) from Python's math.erfc in float64, rounded to float32
    expect(Array.from(ops.gelu(tensor([-3, -1, 0, 1, 3])).dataSync()))
      .toEqual(f32([-0.004049694094890287, -0.15865525393145707, 0, 0.8413447460685429, 2.99595030590511]));
    expect(Array.from(ops.gelu(tensor([-Infinity, Infinity, NaN])).dataSync())).toEqual([-0, Infinity, NaN]);
    const t = tensor([-Infinity, -25, 25, Infinity]).requireGrad();
    ops.gelu(t).sum().backward();
    expect(Array.from(t.grad!.dataSync())).toEqual([0, 0, 1, 1]);
  });

  it('a value gets the same bits in any SIMD lane mix or in the scalar tail', () => {
    // vectors of small |x| take a shorter path (no erfc tail); it must agree bit for bit
    const probe = f32([0.5, -0.7, 1.3, -1.1]);
    for (const op of [ops.gelu, ops.exp, ops.sigmoid, ops.tanh, ops.elu]) {
      const alone = op(tensor(probe)).dataSync();
      const mixed = op(tensor([...probe, 3, -9, 100, -100, ...probe.slice(0, 3)])).dataSync();
      const tail = op(tensor([7, 7, 7, 7, ...probe.slice(0, 3)])).dataSync();
      expect(Array.from(mixed.slice(0, 4)), op.name).toEqual(Array.from(alone));
      expect(Array.from(mixed.slice(8)), op.name).toEqual(Array.from(alone.slice(0, 3)));
      expect(Array.from(tail.slice(4)), op.name).toEqual(Array.from(alone.slice(0, 3)));
    }
    const g1 = tensor(probe).requireGrad();
    ops.gelu(g1).sum().backward();
    const g2 = tensor([...probe, 3, -9, 100, -100]).requireGrad();
    ops.gelu(g2).sum().backward();
    expect(Array.from(g2.grad!.dataSync().slice(0, 4))).toEqual(Array.from(g1.grad!.dataSync()));
  });

  it('gradients match the analytic derivatives at and away from the kinks', () => {
    const x = f32([-3, -1, -0.01, 0, 0.01, 1, 3]);
    const table: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
      ['relu', (t) => ops.relu(t), unaryGrads.relu],
      ['leakyRelu', (t) => ops.leakyRelu(t, 0.1), (v) => unaryGrads.leakyRelu(v, 0.1)],
      ['elu', (t) => ops.elu(t, 0.7), (v) => unaryGrads.elu(v, 0.7)],
      ['gelu', (t) => ops.gelu(t), unaryGrads.gelu],
      ['sigmoid', (t) => ops.sigmoid(t), unaryGrads.sigmoid],
      ['tanh', (t) => ops.tanh(t), unaryGrads.tanh],
    ];
    for (const [name, f, d] of table) {
      checkOp({
        name, op: f, inputs: [{ shape: [x.length], values: x }],
        gradient: ([t], dy) => [t.values.map((v, i) => dy.values[i] * d(v))], tolerance: { rtol: 1e-6, atol: 1e-7 },
      });
    }
  });

  it('Tensor methods match the ops', () => {
    const t = tensor(f32(values(10, 3, -2, 2)));
    expect(Array.from(t.relu().dataSync())).toEqual(Array.from(ops.relu(t).dataSync()));
    expect(Array.from(t.leakyRelu(0.3).dataSync())).toEqual(Array.from(ops.leakyRelu(t, 0.3).dataSync()));
    expect(Array.from(t.elu().dataSync())).toEqual(Array.from(ops.elu(t).dataSync()));
    expect(Array.from(t.gelu().dataSync())).toEqual(Array.from(ops.gelu(t).dataSync()));
    expect(Array.from(t.sigmoid().dataSync())).toEqual(Array.from(ops.sigmoid(t).dataSync()));
    expect(Array.from(t.tanh().dataSync())).toEqual(Array.from(ops.tanh(t).dataSync()));
    expect(Array.from(t.softmax().dataSync())).toEqual(Array.from(ops.softmax(t).dataSync()));
    expect(Array.from(t.logSoftmax(0).dataSync())).toEqual(Array.from(ops.logSoftmax(t, 0).dataSync()));
  });
});

describe('softmax / logSoftmax', () => {
  const x: Arr = { shape: [2, 3, 5], values: f32(values(30, 8, -4, 4)) };
  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    const f = log ? ops.logSoftmax : ops.softmax;
    it.each([[-1], [0], [1], [2], [-2]])(`${name} x=[2,3,5] axis=%i`, (axis) => {
      const out = f(tensor(x.values, x.shape), axis);
      expect(out.shape).toEqual([2, 3, 5]);
      expectClose(out.dataSync(), softmaxRef(x, axis, log).values, { rtol: 1e-6, atol: 1e-7, what: name });
    });
    it(`${name} defaults to the last axis`, () => {
      expect(Array.from(f(tensor(x.values, x.shape)).dataSync())).toEqual(Array.from(f(tensor(x.values, x.shape), 2).dataSync()));
    });
  }

  it('is stable for huge inputs', () => {
    const big = tensor([[1000, 1001, 1002], [-1000, -1001, -1002], [3e38, -3e38, 0], [88, 89, 90]]);
    const s = ops.softmax(big).dataSync();
    const ref = softmaxRef({ shape: [4, 3], values: Array.from(big.dataSync()) }).values;
    expect(s.every(Number.isFinite)).toBe(true);
    expectClose(s, ref, { rtol: 1e-6, atol: 1e-7, what: 'softmax' });
    const ls = ops.logSoftmax(big).dataSync();
    expect(Array.from(ls.slice(0, 3))).toEqual(f32(softmaxRef({ shape: [1, 3], values: [1000, 1001, 1002] }, -1, true).values));
    // [3e38, -3e38, 0]: the shifted -6e38 is beyond float32, so its log-probability is -inf
    expect(Array.from(ls.slice(6, 9))).toEqual([0, -Infinity, Math.fround(-3e38)]);
    expect(ls.slice(9).every(Number.isFinite)).toBe(true);
    // -inf logits get probability 0
    expect(Array.from(ops.softmax(tensor([-Infinity, 0, -Infinity, 0])).dataSync())).toEqual([0, 0.5, 0, 0.5]);
  });

  it('property: rows are probability distributions, logSoftmax = log(softmax)', () => {
    const arb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
      fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.1, max: 300, noNaN: true })));
    fc.assert(fc.property(arb, ([shape, axis, seed, scale]) => {
      tidy(() => {
        const v = f32(values(sizeOf(shape), seed, -scale, scale));
        const x = tensor(v, shape);
        const s = ops.softmax(x, axis);
        const sums = ops.sum(s, axis).dataSync();
        for (const t of sums) expect(Math.abs(t - 1)).toBeLessThan(1e-5);
        expectClose(s.dataSync(), softmaxRef({ shape, values: v }, axis).values, { rtol: 1e-5, atol: 1e-7, what: 'softmax' });
        const ls = ops.logSoftmax(x, axis).dataSync();
        expectClose(ls, softmaxRef({ shape, values: v }, axis, true).values, { rtol: 1e-5, atol: 1e-5, what: 'logSoftmax' });
      });
    }), { numRuns: 100 });
  });
});

describe('gradients (finite differences)', () => {
  const TOL = 2e-2;
  // keep |x| >= 0.05 so finite differences never cross the kink of relu / leakyRelu / elu
  const away = values(24, 5, -2, 2).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
  const table: [string, (t: Tensor) => Tensor][] = [
    ['relu', (t) => ops.relu(t)],
    ['leakyRelu', (t) => ops.leakyRelu(t)],
    ['leakyRelu alpha=0.3', (t) => ops.leakyRelu(t, 0.3)],
    ['elu', (t) => ops.elu(t)],
    ['elu alpha=2', (t) => ops.elu(t, 2)],
    ['gelu', (t) => ops.gelu(t)],
    ['sigmoid', (t) => ops.sigmoid(t)],
    ['tanh', (t) => ops.tanh(t)],
    ['softmax axis=-1', (t) => ops.softmax(t)],
    ['softmax axis=1', (t) => ops.softmax(t, 1)],
    ['softmax axis=0', (t) => ops.softmax(t, 0)],
    ['logSoftmax axis=-1', (t) => ops.logSoftmax(t)],
    ['logSoftmax axis=1', (t) => ops.logSoftmax(t, 1)],
  ];
  it.each(table)('%s x=[2,3,4]', (name, f) => {
    checkOp({ name, op: f, inputs: [{ shape: [2, 3, 4], values: away }], gradient: 'finite-difference', tolerance: { finiteDifference: TOL } });
  });
});

describe('errors', () => {
  it('axis out of range', () => {
    expect(() => ops.softmax(tensor([[1, 2]]), 2)).toThrow(new ValueError('softmax: axis 2 is out of range for rank 2'));
    expect(() => ops.logSoftmax(tensor([[1, 2]]), -3)).toThrow(/logSoftmax: axis -3 is out of range for rank 2/);
    expect(() => ops.softmax(tensor(1))).toThrow(ValueError);
  });
  it('bad alpha, int32 and non-tensor inputs', () => {
    expect(() => ops.leakyRelu(tensor([1]), NaN)).toThrow(new ValueError('leakyRelu: alpha must be a finite number, got NaN'));
    expect(() => ops.elu(tensor([1]), '1' as any)).toThrow(/elu: alpha must be a finite number/);
    expect(() => ops.relu(tensor([1], [1], 'int32'))).toThrow(/relu: x must be float32, got int32/);
    expect(() => ops.sigmoid({} as any)).toThrow(/sigmoid: x must be a Tensor or a number/);
  });
});

describe('memory', () => {
  const fns: [string, (x: Tensor) => Tensor][] = [
    ['relu+leakyRelu+elu', (x) => ops.elu(ops.leakyRelu(ops.relu(x)))],
    ['gelu+sigmoid+tanh', (x) => ops.tanh(ops.sigmoid(ops.gelu(x)))],
    ['softmax+logSoftmax', (x) => ops.logSoftmax(ops.softmax(x, 0), 1)],
  ];
  it.each(fns)('%s: no live tensor after tidy(forward + backward)', (_name, f) => {
    const x = tensor(values(12, 1), [3, 4]).requireGrad();
    expectNoLeakThroughBackward(x, f);
    x.dispose();
  });
});
