// ops.matmul: values against the float64 reference for 2-D, batched, broadcast and transposed
// cases, finite-difference gradients for each, and the shape errors.
import { describe, it, expect } from 'vitest';
import { tensor, ops, tidy, backendInfo, ShapeError, ValueError, type Tensor } from '../src/index.js';
import { matmulRef } from './reference/gemm.js';
import { gradCheck, randomValues } from './reference/gradcheck.js';

interface MCase { a: number[]; b: number[]; tA?: boolean; tB?: boolean }

/** Reference for any supported case: per batch slice, with 2-D / batch-1 sides broadcast. */
function reference(a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[], tA: boolean, tB: boolean) {
  const aB = aShape.length === 3 ? aShape[0] : 1, bB = bShape.length === 3 ? bShape[0] : 1;
  const batch = Math.max(aShape.length === 3 ? aB : 0, bShape.length === 3 ? bB : 0);
  const a2 = aShape.slice(-2) as [number, number], b2 = bShape.slice(-2) as [number, number];
  const aSize = a2[0] * a2[1], bSize = b2[0] * b2[1];
  if (aShape.length === 2 && bShape.length === 2) {
    const r = matmulRef(a, a2, b, b2, tA, tB);
    return { values: Array.from(r.values), shape: r.shape as number[] };
  }
  const values: number[] = [];
  let shape: number[] = [];
  for (let i = 0; i < batch; i++) {
    const ai = aB === 1 ? 0 : i, bi = bB === 1 ? 0 : i;
    const r = matmulRef(Array.from(a).slice(ai * aSize, (ai + 1) * aSize), a2,
      Array.from(b).slice(bi * bSize, (bi + 1) * bSize), b2, tA, tB);
    values.push(...r.values);
    shape = [batch, ...r.shape];
  }
  if (batch === 0) {
    const M = tA ? a2[1] : a2[0], N = tB ? b2[0] : b2[1];
    shape = [0, M, N];
  }
  return { values, shape };
}

const label = (c: MCase) => `a=[${c.a}] b=[${c.b}]${c.tA ? ' transposeA' : ''}${c.tB ? ' transposeB' : ''}`;

const valueCases: MCase[] = [
  { a: [2, 3], b: [3, 4] },
  { a: [3, 2], b: [3, 4], tA: true },
  { a: [2, 3], b: [4, 3], tB: true },
  { a: [3, 2], b: [4, 3], tA: true, tB: true },
  { a: [1, 1], b: [1, 1] },
  { a: [1, 7], b: [7, 1] },
  { a: [9, 1], b: [1, 11] },
  { a: [33, 300], b: [300, 47] }, // K across the k-block, M and N with remainders
  { a: [37, 260], b: [45, 260], tB: true },
  { a: [5, 4, 6], b: [5, 6, 3] }, // batched
  { a: [5, 6, 4], b: [5, 3, 6], tA: true, tB: true },
  { a: [4, 6], b: [3, 6, 5] }, // a shared by the batch
  { a: [6, 4], b: [3, 5, 6], tA: true, tB: true },
  { a: [3, 5, 6], b: [6, 4] }, // b shared: one GEMM over all rows
  { a: [3, 5, 6], b: [4, 6], tB: true },
  { a: [3, 6, 5], b: [6, 4], tA: true },
  { a: [1, 5, 6], b: [4, 6, 2] }, // batch 1 broadcasts
  { a: [4, 5, 6], b: [1, 6, 2], tA: false },
  { a: [0, 3], b: [3, 4] }, // empty dims
  { a: [2, 0], b: [0, 4] },
  { a: [0, 2, 3], b: [3, 4] },
];

describe('matmul values', () => {
  it.each(valueCases.map((c) => [label(c), c] as const))('%s', (_l, c) => {
    const av = randomValues(c.a.reduce((x, y) => x * y, 1), 3);
    const bv = randomValues(c.b.reduce((x, y) => x * y, 1), 4);
    tidy(() => {
      const out = ops.matmul(tensor(av, c.a), tensor(bv, c.b), { transposeA: c.tA, transposeB: c.tB });
      const want = reference(av, c.a, bv, c.b, !!c.tA, !!c.tB);
      expect(out.shape).toEqual(want.shape);
      const got = out.dataSync();
      const K = c.tA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
      for (let i = 0; i < got.length; i++) {
        expect(Math.abs(got[i] - want.values[i])).toBeLessThanOrEqual((K + 2) * 1.2e-7 * K + 1e-30);
      }
    });
  });

  it('matches a hand computation', () => {
    tidy(() => {
      const a = tensor([[1, 2, 3], [4, 5, 6]]);
      const b = tensor([[7, 8], [9, 10], [11, 12]]);
      expect(ops.matmul(a, b).arraySync()).toEqual([[58, 64], [139, 154]]);
      expect(ops.matmul(b, a, { transposeA: true, transposeB: true }).arraySync()).toEqual([[58, 139], [64, 154]]);
    });
  });

  it('a stacked A under a shared B gives bit-identical rows to per-slice products', () => {
    tidy(() => {
      const a = tensor(randomValues(3 * 7 * 20, 5), [3, 7, 20]);
      const b = tensor(randomValues(20 * 9, 6), [20, 9]);
      const whole = ops.matmul(a, b).dataSync();
      for (let i = 0; i < 3; i++) {
        const ai = tensor(Array.from(a.dataSync()).slice(i * 140, (i + 1) * 140), [7, 20]);
        const slice = ops.matmul(ai, b).dataSync();
        expect(Array.from(whole.slice(i * 63, (i + 1) * 63))).toEqual(Array.from(slice));
      }
    });
  });
});

describe('matmul gradients (finite differences)', () => {
  const gradCases: MCase[] = [
    { a: [2, 3], b: [3, 4] },
    { a: [3, 2], b: [3, 4], tA: true },
    { a: [2, 3], b: [4, 3], tB: true },
    { a: [3, 2], b: [4, 3], tA: true, tB: true },
    { a: [5, 9], b: [9, 10] }, // edge tiles in every gradient GEMM
    { a: [2, 3, 4], b: [2, 4, 5] },
    { a: [2, 4, 3], b: [2, 5, 4], tA: true, tB: true },
    { a: [2, 3, 4], b: [2, 5, 4], tB: true },
    { a: [2, 4, 3], b: [2, 4, 5], tA: true },
    { a: [3, 4], b: [2, 4, 5] }, // a shared: its gradient sums over the batch
    { a: [4, 3], b: [2, 5, 4], tA: true, tB: true },
    { a: [2, 3, 4], b: [4, 5] }, // b shared: folded into one GEMM
    { a: [2, 3, 4], b: [5, 4], tB: true },
    { a: [2, 4, 3], b: [4, 5], tA: true },
    { a: [2, 4, 3], b: [5, 4], tA: true, tB: true },
    { a: [1, 3, 4], b: [3, 4, 2] }, // batch 1 broadcasts
    { a: [3, 3, 4], b: [1, 4, 2], tA: false },
  ];
  it.each(gradCases.map((c) => [label(c), c] as const))('%s', (_l, c) => {
    const err = tidy(() => gradCheck((a, b) => ops.matmul(a, b, { transposeA: c.tA, transposeB: c.tB }),
      [{ shape: c.a }, { shape: c.b }], { eps: 1e-2 }));
    expect(err).toBeLessThan(5e-3);
  });

  it('the same tensor on both sides (a · aᵀ) gets both contributions', () => {
    const err = tidy(() => gradCheck((a) => ops.matmul(a, a, { transposeB: true }), [{ shape: [3, 5] }], { eps: 1e-2 }));
    expect(err).toBeLessThan(5e-3);
  });

  it('only the inputs that require grad get one, and nothing leaks', () => {
    const before = backendInfo().liveTensors;
    tidy(() => {
      const a = tensor(randomValues(6, 1), [2, 3]).requireGrad();
      const b = tensor(randomValues(12, 2), [3, 4]);
      ops.matmul(a, b).backward(tensor(randomValues(8, 3), [2, 4]));
      expect(a.grad?.shape).toEqual([2, 3]);
      expect(b.grad).toBeNull();
      a.zeroGrad();
    });
    expect(backendInfo().liveTensors).toBe(before);
  });
});

describe('matmul errors', () => {
  const t = (shape: number[]): Tensor => tensor(new Array(shape.reduce((x, y) => x * y, 1)).fill(1), shape);
  it('names both shapes and transposes when the inner dimensions differ', () => {
    expect(() => ops.matmul(t([2, 3]), t([4, 5]))).toThrow(ShapeError);
    expect(() => ops.matmul(t([2, 3]), t([4, 5]))).toThrow(
      'matmul: inner dimensions differ: a [2,3] (transposeA false) vs b [4,5] (transposeB false)');
    expect(() => ops.matmul(t([2, 3]), t([2, 3]), { transposeB: false })).toThrow(
      'matmul: inner dimensions differ: a [2,3] (transposeA false) vs b [2,3] (transposeB false)');
    expect(() => ops.matmul(t([3, 2]), t([3, 4]), { transposeA: false })).toThrow(ShapeError);
  });
  it('rejects ranks other than 2 and 3', () => {
    expect(() => ops.matmul(t([3]), t([3, 4]))).toThrow('matmul: a must be rank 2 or 3 (a matrix or a batch of matrices), got shape [3]');
    expect(() => ops.matmul(t([2, 3]), t([1, 1, 3, 4]))).toThrow(ShapeError);
    expect(() => ops.matmul(5 as unknown as Tensor, t([3, 4]))).toThrow(ShapeError);
  });
  it('rejects batch dimensions that differ', () => {
    expect(() => ops.matmul(t([2, 2, 3]), t([3, 3, 4]))).toThrow(
      'matmul: batch dimensions differ: a [2,2,3] vs b [3,3,4] (they must be equal, or one of them 1 or absent)');
  });
  it('rejects non-tensors, int32 tensors and bad options', () => {
    expect(() => ops.matmul('x' as unknown as Tensor, t([3, 4]))).toThrow(ValueError);
    expect(() => ops.matmul(tensor([[1, 2]], [1, 2], 'int32' as never), t([2, 2]))).toThrow(ValueError);
    expect(() => ops.matmul(t([2, 3]), t([3, 4]), { transposeA: 'yes' as unknown as boolean })).toThrow(
      'matmul: transposeA must be a boolean, got string yes');
  });
});
