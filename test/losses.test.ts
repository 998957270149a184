import { describe, it, expect } from 'vitest';
import { tensor, tidy, noGrad, backendInfo, Tensor, ShapeError, ValueError, losses } from '../src/index.js';
import * as ref from './reference/losses.js';
import { gradCheck, randomValues } from './reference/gradcheck.js';
import { expectClose } from './harness/close.js';

const f32 = (t: Tensor) => Array.from(t.dataSync());

/** Loss value and gradient (via backward) of a loss on fresh tensors. */
function valueAndGrad(fn: (p: Tensor) => Tensor, values: number[], shape: number[]): { loss: number; grad: number[] } {
  return tidy(() => {
    const p = tensor(values, shape).requireGrad();
    const l = fn(p);
    expect(l.shape).toEqual([]);
    const loss = l.dataSync()[0];
    l.backward();
    const grad = f32(p.grad!);
    p.zeroGrad();
    return { loss, grad };
  });
}

function oneHot(labels: number[], classes: number): number[] {
  const t = new Array<number>(labels.length * classes).fill(0);
  labels.forEach((l, r) => { t[r * classes + l] = 1; });
  return t;
}

function softmaxRows(x: number[], classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / classes; r++) {
    const row = x.slice(r * classes, (r + 1) * classes);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, v) => a + v, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

// Float32-rounded inputs: the reference sees exactly the values the kernel sees.
const rnd = (n: number, seed: number, lo = -1, hi = 1) => randomValues(n, seed, lo, hi).map(Math.fround);
const labelsFor = (rows: number, classes: number, seed: number) => rnd(rows, seed, 0, 1).map((u) => Math.min(classes - 1, Math.floor(u * classes)));

describe('categoricalCrossentropy', () => {
  it.each([[4, 10], [3, 7], [1, 1], [5, 3], [2, 33]])('fromLogits B=%i C=%i matches the reference', (B, C) => {
    const x = rnd(B * C, B * 31 + C, -4, 4);
    const y = oneHot(labelsFor(B, C, C), C);
    const got = valueAndGrad((p) => losses.categoricalCrossentropy(p, tensor(y, [B, C]), { fromLogits: true }), x, [B, C]);
    const want = ref.categoricalCrossentropy(x, y, C, true);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-7, what: 'gradient' });
  });
  it.each([[4, 10], [3, 5]])('probabilities B=%i C=%i match the reference (not renormalised)', (B, C) => {
    const p = softmaxRows(rnd(B * C, 3 * B + C, -2, 2), C).map((v, i) => Math.fround(v * (i % 2 ? 0.9 : 1.1)));
    const y = oneHot(labelsFor(B, C, 9), C);
    const got = valueAndGrad((t) => losses.categoricalCrossentropy(t, tensor(y, [B, C])), p, [B, C]);
    const want = ref.categoricalCrossentropy(p, y, C, false);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-7, what: 'gradient' });
  });
  it('soft targets from logits: gradient softmax * sum(y) - y', () => {
    const x = rnd(12, 5, -3, 3);
    const y = rnd(12, 6, 0, 1);
    const got = valueAndGrad((p) => losses.categoricalCrossentropy(p, tensor(y, [3, 4]), { fromLogits: true }), x, [3, 4]);
    const want = ref.categoricalCrossentropy(x, y, 4, true);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-7, what: 'gradient' });
  });
  it('extreme logits stay finite and exact', () => {
    const x = [1000, -1000, 0, -1e30, 1e30, 50, 88.7, -88.7, 3.4e38];
    const y = [0, 1, 0, 1, 0, 0, 0, 0, 1];
    const got = valueAndGrad((p) => losses.categoricalCrossentropy(p, tensor(y, [3, 3]), { fromLogits: true }), x, [3, 3]);
    // row 0: lse = 1000, loss = 2000; row 1: loss = 2e30; row 2: lse = 3.4e38 -> loss 0
    expectClose(got.loss, (2000 + 2 * Math.fround(1e30)) / 3, { rtol: 1e-6, atol: 1e-6, what: 'loss' });
    expect(got.grad.every(Number.isFinite)).toBe(true);
    expectClose(got.grad, [1, -1, 0, -1, 1, 0, 0, 0, 0].map((v) => v / 3), { rtol: 1e-6, atol: 1e-7, what: 'gradient' });
  });
  it('clips probabilities 0 and 1 to [1e-7, 1 - 1e-7] with zero gradient outside', () => {
    const p = [0, 1, 0.5, 1, 0];
    const y = [1, 0, 1, 1, 0];
    const got = valueAndGrad((t) => losses.categoricalCrossentropy(t, tensor(y, [1, 5])), p, [1, 5]);
    const want = ref.categoricalCrossentropy(p, y, 5, false);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' }); // -log(1e-7) - log(0.5) - log(1 - 1e-7)
    expect(got.loss).toBeCloseTo(-Math.log(1e-7) - Math.log(0.5), 4);
    expectClose(got.grad, [0, 0, -2, 0, 0], { rtol: 1e-5, atol: 1e-6, what: 'gradient' });
  });
  it('accepts int32 one-hot targets and rank-3 scores (mean over all leading axes)', () => {
    const x = rnd(2 * 3 * 4, 77, -2, 2);
    const y = oneHot([0, 3, 2, 1, 1, 2], 4);
    const got = tidy(() => losses.categoricalCrossentropy(tensor(x, [2, 3, 4]), tensor(new Int32Array(y), [2, 3, 4]), { fromLogits: true }).dataSync()[0]);
    expectClose(got, ref.categoricalCrossentropy(x, y, 4, true).loss, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe('sparseCategoricalCrossentropy', () => {
  it.each([[4, 10], [3, 7], [6, 2], [2, 130]])('fromLogits B=%i C=%i matches the reference', (B, C) => {
    const x = rnd(B * C, B + 17 * C, -5, 5);
    const labels = labelsFor(B, C, B * C);
    const got = valueAndGrad((p) => losses.sparseCategoricalCrossentropy(p, tensor(new Int32Array(labels), [B])!, { fromLogits: true }), x, [B, C]);
    const want = ref.sparseCategoricalCrossentropy(x, labels, C, true);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-7, what: 'gradient' });
  });
  it('probabilities match the reference; float labels holding integers and [B,1] labels are accepted', () => {
    const B = 5, C = 4;
    const p = softmaxRows(rnd(B * C, 11, -2, 2), C).map(Math.fround);
    const labels = [3, 0, 1, 1, 2];
    const want = ref.sparseCategoricalCrossentropy(p, labels, C, false);
    const a = valueAndGrad((t) => losses.sparseCategoricalCrossentropy(t, tensor(new Int32Array(labels))), p, [B, C]);
    const b = valueAndGrad((t) => losses.sparseCategoricalCrossentropy(t, tensor(labels, [B, 1])), p, [B, C]);
    expectClose(a.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(a.grad, want.grad, { rtol: 1e-5, atol: 1e-7, what: 'gradient' });
    expect(b).toEqual(a);
  });
  it('equals categoricalCrossentropy with the one-hot targets, bit for bit in the loss', () => {
    const x = rnd(40, 3, -6, 6);
    const labels = labelsFor(4, 10, 2);
    const s = valueAndGrad((p) => losses.sparseCategoricalCrossentropy(p, tensor(new Int32Array(labels)), { fromLogits: true }), x, [4, 10]);
    const c = valueAndGrad((p) => losses.categoricalCrossentropy(p, tensor(oneHot(labels, 10), [4, 10]), { fromLogits: true }), x, [4, 10]);
    expect(s.loss).toBe(c.loss);
    expectClose(s.grad, c.grad, { rtol: 1e-6, atol: 1e-9, what: 'gradient' });
  });
  it('extreme logits: loss 2000 for the wrong class at +-1000, gradient exact', () => {
    const got = valueAndGrad((p) => losses.sparseCategoricalCrossentropy(p, tensor(new Int32Array([1, 0])), { fromLogits: true }), [1000, -1000, 1000, -1000], [2, 2]);
    expectClose(got.loss, (2000 + 0) / 2, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, [0.5, -0.5, 0, 0], { rtol: 1e-5, atol: 1e-6, what: 'gradient' });
  });
  it('throws ValueError naming the loss, the label and its index', () => {
    const x = tensor(rnd(12, 1), [3, 4]);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([0, 4, 1])))).toThrow(ValueError);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([0, 4, 1])))).toThrow(/sparseCategoricalCrossentropy: label 4 at index 1/);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([0, 1, -1])))).toThrow(/label -1 at index 2/);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor([0, 1.5, 1]))).toThrow(/label 1\.5 at index 1/);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor([0, NaN, 1]))).toThrow(ValueError);
    x.dispose();
  });
  it('throws ShapeError for labels that do not match the batch', () => {
    const x = tensor(rnd(12, 1), [3, 4]);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([0, 1])))).toThrow(ShapeError);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([0, 1])))).toThrow(/\[2\].*\[3,4\]/);
    x.dispose();
  });
});

describe('binaryCrossentropy', () => {
  it('fromLogits matches the reference', () => {
    const x = rnd(30, 4, -6, 6);
    const y = rnd(30, 5, 0, 1).map((v) => (v > 0.5 ? 1 : 0));
    const got = valueAndGrad((p) => losses.binaryCrossentropy(p, tensor(y, [10, 3]), { fromLogits: true }), x, [10, 3]);
    const want = ref.binaryCrossentropy(x, y, true);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-8, what: 'gradient' });
  });
  it('probabilities match the reference, with soft targets', () => {
    const p = rnd(21, 6, 0.02, 0.98);
    const y = rnd(21, 7, 0, 1);
    const got = valueAndGrad((t) => losses.binaryCrossentropy(t, tensor(y, [7, 3])), p, [7, 3]);
    const want = ref.binaryCrossentropy(p, y, false);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-8, what: 'gradient' });
  });
  it('extreme logits use the stable form (finite loss, gradient sigmoid - y)', () => {
    const x = [1000, -1000, 100, -100, 0, 30];
    const y = [0, 1, 1, 0, 1, 0];
    const got = valueAndGrad((p) => losses.binaryCrossentropy(p, tensor(y, [6])!, { fromLogits: true }), x, [6]);
    expectClose(got.loss, ref.binaryCrossentropyLogitsStable(x, y), { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, [1, -1, 0, 0, -0.5, 1].map((v) => v / 6), { rtol: 1e-6, atol: 1e-9, what: 'gradient' });
  });
  it('clips probabilities 0 and 1', () => {
    const got = valueAndGrad((p) => losses.binaryCrossentropy(p, tensor([1, 0, 0, 1])), [0, 1, 0, 1], [4]);
    expectClose(got.loss, ref.binaryCrossentropy([0, 1, 0, 1], [1, 0, 0, 1], false).loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expect(got.grad).toEqual([0, 0, 0, 0]);
  });
  it('accepts [B] targets for [B,1] outputs and int32 targets', () => {
    const x = rnd(5, 8, -2, 2);
    const y = [1, 0, 0, 1, 1];
    const a = tidy(() => losses.binaryCrossentropy(tensor(x, [5, 1]), tensor(y), { fromLogits: true }).dataSync()[0]);
    const b = tidy(() => losses.binaryCrossentropy(tensor(x, [5, 1]), tensor(new Int32Array(y), [5, 1]), { fromLogits: true }).dataSync()[0]);
    expect(a).toBe(b);
    expectClose(a, ref.binaryCrossentropy(x, y, true).loss, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe('regression losses', () => {
  const p = rnd(26, 21, -2, 2);
  const y = rnd(26, 22, -2, 2);
  it('meanSquaredError matches the reference', () => {
    const got = valueAndGrad((t) => losses.meanSquaredError(t, tensor(y, [2, 13])), p, [2, 13]);
    const want = ref.meanSquaredError(p, y);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-6, what: 'gradient' });
  });
  it('meanAbsoluteError matches the reference (gradient 0 at ties)', () => {
    const pp = [...p.slice(0, 25), y[25]];
    const got = valueAndGrad((t) => losses.meanAbsoluteError(t, tensor(y, [26])), pp, [26]);
    const want = ref.meanAbsoluteError(pp, y);
    expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-6, what: 'gradient' });
    expect(got.grad[25]).toBe(0);
  });
  it('huber matches the reference for delta 1 and 0.5', () => {
    for (const delta of [1, 0.5]) {
      const got = valueAndGrad((t) => losses.huber(t, tensor(y, [26]), delta === 1 ? undefined : { delta }), p, [26]);
      const want = ref.huber(p, y, delta);
      expectClose(got.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
      expectClose(got.grad, want.grad, { rtol: 1e-5, atol: 1e-6, what: 'gradient' });
    }
  });
  it('hinge with -1/+1 labels and with {0,1} labels mapped to -1/+1', () => {
    const x = rnd(9, 30, -2, 2);
    const ypm = rnd(9, 31, 0, 1).map((v) => (v > 0.5 ? 1 : -1));
    const y01 = ypm.map((v) => (v > 0 ? 1 : 0));
    const a = valueAndGrad((t) => losses.hinge(t, tensor(ypm, [9])), x, [9]);
    const b = valueAndGrad((t) => losses.hinge(t, tensor(y01, [9])), x, [9]);
    const want = ref.hinge(x, ypm);
    expectClose(a.loss, want.loss, { rtol: 1e-5, atol: 1e-6, what: 'loss' });
    expectClose(a.grad, want.grad, { rtol: 1e-5, atol: 1e-6, what: 'gradient' });
    expect(b).toEqual(a);
  });
  it('throws ShapeError naming both shapes on a mismatch', () => {
    const a = tensor(rnd(6, 1), [2, 3]);
    const b = tensor(rnd(6, 2), [3, 2]);
    for (const fn of [losses.meanSquaredError, losses.meanAbsoluteError, losses.hinge, losses.huber, losses.binaryCrossentropy, losses.categoricalCrossentropy]) {
      expect(() => fn(a, b)).toThrow(ShapeError);
      expect(() => fn(a, b)).toThrow(/\[2,3\].*\[3,2\]/);
    }
    expect(() => losses.meanSquaredError(a, b)).toThrow(/^meanSquaredError:/);
    a.dispose(); b.dispose();
  });
});

describe('finite-difference gradient checks', () => {
  const labels = new Int32Array([2, 0, 3]);
  const onehot = oneHot([2, 0, 3], 4);
  const probs = rnd(12, 41, 0.15, 0.9);
  const y01 = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1];
  const yReg = rnd(12, 42, -1, 1);
  // Predictions kept away from the kinks of mae / hinge / huber (|p - y| > eps).
  const away = yReg.map((v, i) => v + (i % 2 ? 0.3 : -0.45) * (1 + (i % 3)));
  const hingeX = rnd(12, 43, -1, 1).map((v) => (Math.abs(1 - Math.abs(v)) < 0.05 ? v * 0.5 : v));
  const cases: [string, (p: Tensor) => Tensor, number[] | undefined][] = [
    ['categoricalCrossentropy fromLogits', (p) => losses.categoricalCrossentropy(p, tensor(onehot, [3, 4]), { fromLogits: true }), undefined],
    ['categoricalCrossentropy probabilities', (p) => losses.categoricalCrossentropy(p, tensor(onehot, [3, 4])), probs],
    ['sparseCategoricalCrossentropy fromLogits', (p) => losses.sparseCategoricalCrossentropy(p, tensor(labels), { fromLogits: true }), undefined],
    ['sparseCategoricalCrossentropy probabilities', (p) => losses.sparseCategoricalCrossentropy(p, tensor(labels)), probs],
    ['binaryCrossentropy fromLogits', (p) => losses.binaryCrossentropy(p, tensor(y01, [3, 4]), { fromLogits: true }), undefined],
    ['binaryCrossentropy probabilities', (p) => losses.binaryCrossentropy(p, tensor(y01, [3, 4])), probs],
    ['meanSquaredError', (p) => losses.meanSquaredError(p, tensor(yReg, [3, 4])), undefined],
    ['meanAbsoluteError', (p) => losses.meanAbsoluteError(p, tensor(yReg, [3, 4])), away],
    ['hinge', (p) => losses.hinge(p, tensor(y01, [3, 4])), hingeX],
    ['huber', (p) => losses.huber(p, tensor(yReg, [3, 4])), away],
  ];
  it.each(cases)('%s', (_name, fn, values) => {
    const err = tidy(() => gradCheck(fn, [{ shape: [3, 4], values }], { eps: 1e-3 }));
    expect(err).toBeLessThan(2e-3);
  });
});

describe('autograd and memory', () => {
  it('without requireGrad (or under noGrad) no gradient is computed or kept', () => {
    const x = tensor(rnd(20, 1), [4, 5]);
    const y = tensor(new Int32Array([0, 1, 2, 3]));
    const before = backendInfo().liveTensors;
    const l = losses.sparseCategoricalCrossentropy(x, y, { fromLogits: true });
    expect(backendInfo().liveTensors).toBe(before + 1);
    expect(l.requiresGrad).toBe(false);
    l.dispose();
    x.requireGrad();
    const l2 = noGrad(() => losses.sparseCategoricalCrossentropy(x, y, { fromLogits: true }));
    expect(backendInfo().liveTensors).toBe(before + 1);
    expect(l2.requiresGrad).toBe(false);
    l2.dispose(); x.dispose(); y.dispose();
  });
  it('a training-style loop leaks no tensor (tidy, backward, zeroGrad)', () => {
    const w = tensor(rnd(30, 2), [3, 10]).requireGrad();
    const y = tensor(new Int32Array([1, 5, 9]));
    const t = tensor(rnd(30, 3), [3, 10]);
    const run = () => tidy(() => {
      for (const l of [
        losses.sparseCategoricalCrossentropy(w, y, { fromLogits: true }),
        losses.categoricalCrossentropy(w, t, { fromLogits: true }),
        losses.meanSquaredError(w, t),
        losses.binaryCrossentropy(w, t, { fromLogits: true }),
        losses.huber(w, t),
      ]) l.backward();
      w.zeroGrad();
    });
    run();
    const before = backendInfo().liveTensors;
    for (let i = 0; i < 3; i++) run();
    expect(backendInfo().liveTensors).toBe(before);
    // And outside tidy: the stored gradient is freed by backward, the loss by dispose.
    const l = losses.meanAbsoluteError(w, t);
    l.backward();
    l.dispose();
    w.zeroGrad();
    expect(backendInfo().liveTensors).toBe(before);
    w.dispose(); y.dispose(); t.dispose();
  });
  it('backward scales the stored gradient by the upstream gradient', () => {
    const x = tensor([0.3, -0.2, 0.5, 0.1], [1, 4]).requireGrad();
    const l = losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([2])), { fromLogits: true });
    l.backward(tensor(3, []));
    const want = ref.sparseCategoricalCrossentropy([0.3, -0.2, 0.5, 0.1].map(Math.fround), [2], 4, true).grad.map((v) => 3 * v);
    expectClose(f32(x.grad!), want, { rtol: 1e-5, atol: 1e-7 });
    x.zeroGrad(); x.dispose(); l.dispose();
  });
  it('results are deterministic bit for bit', () => {
    const x = rnd(64 * 10, 99, -8, 8);
    const labels = labelsFor(64, 10, 98);
    const a = valueAndGrad((p) => losses.sparseCategoricalCrossentropy(p, tensor(new Int32Array(labels)), { fromLogits: true }), x, [64, 10]);
    const b = valueAndGrad((p) => losses.sparseCategoricalCrossentropy(p, tensor(new Int32Array(labels)), { fromLogits: true }), x, [64, 10]);
    expect(b).toEqual(a);
  });
});

describe('argument errors', () => {
  it('rejects int32 predictions, empty predictions and bad options', () => {
    const i = tensor(new Int32Array([1, 2]));
    const f = tensor([0.5, 0.5]);
    expect(() => losses.meanSquaredError(i, f)).toThrow(ValueError);
    expect(() => losses.meanSquaredError(tensor([], [0, 3]), tensor([], [0, 3]))).toThrow(ShapeError);
    expect(() => losses.binaryCrossentropy(f, f, { fromLogits: 'yes' as any })).toThrow(/binaryCrossentropy: fromLogits must be a boolean/);
    expect(() => losses.huber(f, f, { delta: -1 })).toThrow(/huber: delta/);
    expect(() => losses.huber(f, f, { delta: NaN })).toThrow(ValueError);
    expect(() => losses.meanSquaredError(f, 'x' as any)).toThrow(ValueError);
    i.dispose(); f.dispose();
  });
  it('accepts plain arrays and typed arrays as targets', () => {
    const x = tensor([0.2, -0.3, 0.4, 1.5], [2, 2]);
    const a = losses.meanSquaredError(x, [[0, 0], [1, 1]]).dataSync()[0];
    const b = losses.meanSquaredError(x, tensor([0, 0, 1, 1], [2, 2])).dataSync()[0];
    expect(a).toBe(b);
    const c = losses.sparseCategoricalCrossentropy(x, new Int32Array([1, 0]), { fromLogits: true }).dataSync()[0];
    expectClose(c, ref.sparseCategoricalCrossentropy([0.2, -0.3, 0.4, 1.5].map(Math.fround), [1, 0], 2, true).loss, { rtol: 1e-5, atol: 1e-6 });
    x.dispose();
  });
  it('the library keeps working after an error', () => {
    const x = tensor(rnd(8, 5), [2, 4]);
    expect(() => losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([7, 0])))).toThrow(ValueError);
    const l = losses.sparseCategoricalCrossentropy(x, tensor(new Int32Array([3, 0])), { fromLogits: true });
    expect(Number.isFinite(l.dataSync()[0])).toBe(true);
    x.dispose(); l.dispose();
  });
});

describe('getLoss', () => {
  it('resolves names, Keras aliases, configs and functions', () => {
    const x = tensor(rnd(8, 5), [2, 4]);
    const y = tensor(new Int32Array([3, 0]));
    const direct = losses.sparseCategoricalCrossentropy(x, y, { fromLogits: true }).dataSync()[0];
    const cfg = losses.getLoss({ name: 'sparseCategoricalCrossentropy', fromLogits: true });
    expect(cfg(x, y).dataSync()[0]).toBe(direct);
    expect(cfg.config).toEqual({ name: 'sparseCategoricalCrossentropy', fromLogits: true });
    const snake = losses.getLoss({ name: 'sparse_categorical_crossentropy', fromLogits: true });
    expect(snake(x, y).dataSync()[0]).toBe(direct);
    expect(snake.config!.name).toBe('sparseCategoricalCrossentropy');
    expect(losses.getLoss('mse').config).toEqual({ name: 'meanSquaredError' });
    expect(losses.getLoss('huber').config).toEqual({ name: 'huber' });
    const probs = losses.getLoss('sparseCategoricalCrossentropy');
    expect(probs.config).toEqual({ name: 'sparseCategoricalCrossentropy' });
    const user = losses.getLoss((p, t) => losses.meanSquaredError(p, t));
    expect(user.config).toBeNull();
    expect(user(x, x).dataSync()[0]).toBe(0);
    x.dispose(); y.dispose();
  });
  it('rejects unknown names and options at resolution time', () => {
    expect(() => losses.getLoss('crossEntropy')).toThrow(/unknown loss 'crossEntropy'/);
    expect(() => losses.getLoss({ name: 'meanSquaredError', fromLogits: true })).toThrow(ValueError);
    expect(() => losses.getLoss({ name: 'huber', delta: 0 })).toThrow(ValueError);
    expect(() => losses.getLoss({ name: 'binaryCrossentropy', fromLogits: 1 as any })).toThrow(ValueError);
    expect(() => losses.getLoss(42 as any)).toThrow(ValueError);
  });
});
