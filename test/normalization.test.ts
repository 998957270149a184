// batchNorm (given statistics, channel-last) and inverted dropout: values against references,
// finite-difference gradients in all five batchNorm inputs (and through batch statistics
// computed with ops), the seeded dropout mask, errors and memory.
import { describe, it, expect } from 'vitest';
import { tensor, tidy, ops, ones, setSeed, backendInfo, ShapeError, ValueError, type Tensor } from '../src/index.js';
import { values } from './reference/elementwise.js';
import { batchNormRef } from './reference/shape.js';
import { gradCheck } from './reference/gradcheck.js';
import { checkOp } from './harness/check-op.js';

const f32 = (v: number[]) => v.map(Math.fround);

describe('batchNorm', () => {
  const C = 5;
  const xv = f32(values(2 * 3 * 3 * C, 1, -2, 3));
  const mean = f32(values(C, 2, -1, 1));
  const variance = f32(values(C, 3, 0.2, 2));
  const gamma = f32(values(C, 4, 0.5, 1.5));
  const beta = f32(values(C, 5, -1, 1));
  const x = () => tensor(xv, [2, 3, 3, C]);

  const stats = [{ shape: [C], values: mean }, { shape: [C], values: variance }];
  const affine = [{ shape: [C], values: gamma }, { shape: [C], values: beta }];
  const tolerance = { rtol: 1e-5, atol: 1e-6 };
  it('matches the reference with and without gamma / beta', () => {
    checkOp({
      name: 'batchNorm', op: (a, m, v, g, b) => ops.batchNorm(a, m, v, g, b, 1e-3), inputs: [{ shape: [2, 3, 3, C], values: xv }, ...stats, ...affine],
      reference: (a, m, v, g, b) => batchNormRef(a, m.values, v.values, g.values, b.values, 1e-3), tolerance,
    });
    checkOp({
      name: 'batchNorm without gamma / beta', op: (a, m, v) => ops.batchNorm(a, m, v, null, null, 0.1), inputs: [{ shape: [2, 3, 3, C], values: xv }, ...stats],
      reference: (a, m, v) => batchNormRef(a, m.values, v.values, null, null, 0.1), tolerance,
    });
  });
  it('default eps is 1e-3; statistics may be [1,1,1,C]; C not a multiple of 4', () => {
    checkOp({
      name: 'batchNorm [1,1,1,C] statistics', op: (a, m, v, g, b) => ops.batchNorm(a, m, v, g, b),
      inputs: [{ shape: [2, 3, 3, C], values: xv }, { shape: [1, 1, 1, C], values: mean }, { shape: [1, 1, 1, C], values: variance }, ...affine],
      reference: (a, m, v, g, b) => batchNormRef(a, m.values, v.values, g.values, b.values, 1e-3), tolerance,
    });
  });
  it('gradients in all five inputs', () => {
    checkOp({
      name: 'batchNorm', op: (a, m, v, g, b) => ops.batchNorm(a, m, v, g, b, 1e-3), gradient: 'finite-difference',
      inputs: [[2, 2, 2, 3], [3], { shape: [3], values: [0.5, 1, 1.5] }, [3], [3]], tolerance: { finiteDifference: 2e-2 },
    });
    checkOp({
      name: 'batchNorm C=9', op: (a, m, v) => ops.batchNorm(a, m, v), gradient: 'finite-difference',
      inputs: [[3, 9], [9], { shape: [9], values: values(9, 3, 0.5, 1.5) }], tolerance: { finiteDifference: 2e-2 },
    });
  });
  it('gradient through batch statistics computed with ops (training-mode batch norm)', () => {
    const train = (a: Tensor, g: Tensor, b: Tensor) => {
      const m = ops.mean(a, [0, 1, 2]);
      const v = ops.mean(ops.pow(ops.sub(a, m), 2), [0, 1, 2]);
      return ops.batchNorm(a, m, v, g, b, 1e-3);
    };
    expect(gradCheck(train, [{ shape: [2, 2, 2, 3] }, { shape: [3] }, { shape: [3] }])).toBeLessThan(2e-2);
  });
  it('errors', () => {
    expect(() => ops.batchNorm(x(), tensor([1, 2]), tensor(variance))).toThrow(
      new ShapeError('batchNorm: mean [2] must hold one value per channel (x [2,3,3,5] has 5 channels on its last axis)'));
    expect(() => ops.batchNorm(x(), tensor(mean), tensor(variance), tensor(gamma, [5, 1]))).toThrow(ShapeError);
    expect(() => ops.batchNorm(x(), tensor(mean), tensor(variance), null, null, -1)).toThrow(/batchNorm: eps must be a finite number >= 0/);
    expect(() => ops.batchNorm(tensor(1), tensor(1), tensor(1))).toThrow(ShapeError);
  });
});

describe('dropout', () => {
  it('is the identity when not training or with rate 0 (gradient passes through)', () => {
    const x = tensor([1, 2, 3]).requireGrad();
    const y = ops.dropout(x, 0.5, false);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(ops.dropout(x, 0).dataSync())).toEqual([1, 2, 3]);
    ops.mul(y, tensor([4, 5, 6])).sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([4, 5, 6]);
  });
  it('zeroes about `rate` of the values and scales the rest by 1 / (1 - rate)', () => {
    setSeed(3);
    const n = 100_000;
    const out = ops.dropout(ones([n]), 0.3, true).dataSync();
    const kept = out.filter((v) => v !== 0);
    expect(Math.abs(kept.length / n - 0.7)).toBeLessThan(0.01);
    expect(kept.every((v) => v === Math.fround(1 / 0.7))).toBe(true);
  });
  it('the seeded generator makes masks reproducible', () => {
    setSeed(42);
    const a = ops.dropout(ones([1000]), 0.5).dataSync();
    setSeed(42);
    const b = ops.dropout(ones([1000]), 0.5).dataSync();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });
  it('gradient is the mask', () => {
    setSeed(7);
    const x = tensor(f32(values(64, 2, 0.5, 1))).requireGrad();
    const y = ops.dropout(x, 0.25);
    y.sum().backward();
    const yv = y.dataSync(), xv = x.dataSync(), gv = x.grad!.dataSync();
    for (let i = 0; i < 64; i++) expect(gv[i]).toBe(yv[i] === 0 ? 0 : Math.fround(1 / 0.75));
    expect(yv.some((v) => v === 0) && yv.some((v) => v !== 0)).toBe(true);
    void xv;
    expect(gradCheck((t) => { setSeed(9); return ops.dropout(t, 0.4); }, [{ shape: [4, 5] }])).toBeLessThan(1e-2);
  });
  it('errors', () => {
    expect(() => ops.dropout(tensor([1]), 1)).toThrow(new ValueError('dropout: rate must be a number in [0, 1), got number 1'));
    expect(() => ops.dropout(tensor([1]), -0.1)).toThrow(ValueError);
    expect(() => ops.dropout(tensor([1]), 0.5, 'yes' as any)).toThrow(/dropout: training must be a boolean/);
  });
});

describe('memory', () => {
  it('batchNorm: no live tensor after tidy(forward + backward)', () => {
    const ts = [tensor(values(24), [2, 3, 4]), tensor(values(4, 2)), tensor(values(4, 3, 0.5, 1)), tensor(values(4, 4)), tensor(values(4, 5))].map((t) => t.requireGrad());
    const before = backendInfo().liveTensors;
    tidy(() => { ops.sum(ops.batchNorm(ts[0], ts[1], ts[2], ts[3], ts[4])).backward(); });
    expect(backendInfo().liveTensors).toBe(before + 5);
    ts.forEach((t) => t.zeroGrad());
    expect(backendInfo().liveTensors).toBe(before);
  });
  it('dropout: the mask is freed with the graph, and not kept without grad', () => {
    const x = tensor(values(24), [2, 3, 4]).requireGrad();
    const before = backendInfo().liveTensors;
    tidy(() => { ops.sum(ops.dropout(x, 0.5)).backward(); });
    expect(backendInfo().liveTensors).toBe(before + 1);
    x.zeroGrad();
    const y = ops.dropout(tensor(values(24)), 0.5);
    expect(backendInfo().liveTensors).toBe(before + 2);
    y.dispose();
  });
});
