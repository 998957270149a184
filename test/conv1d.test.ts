// ops.conv1d: values and gradients against the float64 reference (test/reference/conv1d.ts) and
// finite differences, for strides, dilation, groups and every padding form; its shape resolution.
import { describe, it, expect } from 'vitest';
import { ops, tensor, tidy, type Tensor } from '../src/index.js';
import { conv1dGeometry, resolvePadding1d } from '../src/ops/conv/conv1d.js';
import { opTests, type OpCase } from './harness/check-op.js';
import { reductionTolerance } from './harness/close.js';
import { refConv1d, refConv1dGrads, type RefConv1dOptions } from './reference/conv1d.js';

interface Case { x: number[]; w: number[]; bias?: boolean; o?: RefConv1dOptions; act?: 'relu' }

const CASES: Case[] = [
  { x: [2, 7, 3], w: [3, 3, 4] },
  { x: [2, 7, 3], w: [3, 3, 4], bias: false },
  { x: [1, 9, 2], w: [3, 2, 5], o: { strides: 2, padding: 'same' } },
  { x: [2, 8, 3], w: [4, 3, 2], o: { padding: 'same' } },                         // even kernel: 1 left, 2 right
  { x: [1, 10, 2], w: [3, 2, 3], o: { strides: 3, padding: 'same' } },
  { x: [1, 11, 2], w: [3, 2, 3], o: { dilation: 2 } },
  { x: [1, 11, 2], w: [3, 2, 3], o: { dilation: 3, padding: 'same' } },
  { x: [2, 9, 2], w: [3, 2, 3], o: { strides: 2, dilation: 2, padding: 'same' } },
  { x: [1, 6, 3], w: [3, 3, 4], o: { padding: 2 } },
  { x: [1, 6, 3], w: [3, 3, 4], o: { padding: [2, 0] } },                           // causal
  { x: [1, 6, 3], w: [2, 3, 2], o: { strides: 2, padding: [0, 3] } },
  { x: [2, 7, 4], w: [3, 2, 6], o: { groups: 2, padding: 'same' } },
  { x: [1, 8, 6], w: [3, 2, 3], o: { groups: 3, strides: 2 } },
  { x: [2, 7, 4], w: [3, 1, 8], o: { groups: 4, padding: 'same' } },               // depthwise, multiplier 2
  { x: [1, 5, 3], w: [1, 3, 4] },                                                   // pointwise
  { x: [1, 3, 2], w: [5, 2, 2], o: { padding: 'same' } },                           // kernel longer than the input
  { x: [1, 7, 3], w: [3, 3, 4], o: { padding: 'same' }, act: 'relu' },
];

const name = (c: Case) =>
  `conv1d x=[${c.x}] w=[${c.w}]${c.bias === false ? ' nobias' : ''} ${JSON.stringify(c.o ?? {})}${c.act ? ` act=${c.act}` : ''}`;

function referenceEntry(c: Case): OpCase {
  const withBias = c.bias !== false;
  const op = (x: Tensor, w: Tensor, b?: Tensor) => ops.conv1d(x, w, b ?? null, { ...c.o, activation: c.act });
  const [k, Cg, O] = c.w;
  const outLength = conv1dGeometry(c.x, c.w, c.o as any).outLength;
  return {
    name: `${name(c)} vs reference`,
    op,
    inputs: withBias ? [c.x, c.w, [O]] : [c.x, c.w],
    reference: (x, w, b) => {
      const y = refConv1d(x, w, b ?? null, c.o);
      return c.act ? { ...y, values: y.values.map((v) => Math.max(v, 0)) } : y;
    },
    gradient: ([x, w, b], dy) => {
      // The fused relu passes the gradient where the output is positive.
      const y = refConv1d(x, w, b ?? null, c.o).values;
      const gz = c.act ? { ...dy, values: dy.values.map((g, i) => (y[i] > 0 ? g : 0)) } : dy;
      return refConv1dGrads(x, w, b ?? null, gz, c.o).slice(0, withBias ? 3 : 2);
    },
    tolerance: { ...reductionTolerance(k * Cg), gradient: reductionTolerance(Math.max(c.x[0] * outLength, k * O)) },
  };
}

function finiteDifferenceEntry(c: Case): OpCase {
  return {
    name: `${name(c)} finite differences`,
    op: (x, w, b) => ops.conv1d(x, w, b, c.o),
    inputs: [c.x, c.w, [c.w[2]]],
    gradient: 'finite-difference',
  };
}

describe('conv1d against the reference', () => {
  opTests(CASES.map(referenceEntry));
});

describe('conv1d gradients by finite differences', () => {
  opTests(CASES.filter((c) => !c.act).map(finiteDifferenceEntry));
});

describe('conv1d shape resolution', () => {
  it('resolves every padding form', () => {
    expect(resolvePadding1d('valid', 7, 3, 1)).toEqual([0, 0]);
    expect(resolvePadding1d('same', 7, 3, 1)).toEqual([1, 1]);
    expect(resolvePadding1d('same', 8, 4, 1)).toEqual([1, 2]);
    expect(resolvePadding1d('same', 8, 3, 2)).toEqual([0, 1]);
    expect(resolvePadding1d(2, 8, 3, 2)).toEqual([2, 2]);
    expect(resolvePadding1d([2, 0], 8, 3, 2)).toEqual([2, 0]);
  });
  it('computes output lengths as TensorFlow', () => {
    const g = conv1dGeometry([4, 100, 16], [5, 16, 32], { strides: 2, padding: 'same' });
    expect([g.outLength, g.padLeft, g.padRight, g.outC]).toEqual([50, 1, 2, 32]);
    expect(conv1dGeometry([1, 10, 2], [3, 2, 4], { dilation: 2 }).outLength).toBe(6);
    expect(conv1dGeometry([1, 10, 4], [3, 2, 4], { groups: 2, strides: [3] }).outLength).toBe(3);
  });
  it('takes the options where the bias goes, and keeps the batch and channel axes', () => {
    tidy(() => {
      const x = tensor(Array.from({ length: 12 }, (_, i) => i), [1, 6, 2]);
      const w = tensor([1, 0, 0, 1], [1, 2, 2]);
      const y = ops.conv1d(x, w, { strides: 2 } as any);
      expect(y.shape).toEqual([1, 3, 2]);
      expect(Array.from(y.dataSync())).toEqual([0, 1, 4, 5, 8, 9]);
    });
  });
});
