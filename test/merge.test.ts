// Merge layers: values against the float64 references and gradients by finite differences (on
// Tensors, through the harness), shape inference on symbolic inputs, and the typed errors that
// name the layer and the shapes.
import { describe, it, expect } from 'vitest';
import { nn, tensor, tidy, backendInfo, ShapeError, ValueError, type Tensor } from '../src/index.js';
import { opTests } from './harness/check-op.js';
import { mergeRef, type MergeKind } from './reference/merge.js';
import { concatRef } from './reference/shape.js';
import type { Arr } from './reference/elementwise.js';

const TOL = { rtol: 1e-6, atol: 1e-7, finiteDifference: 1e-2 };
const layers: Record<MergeKind, () => nn.Layer> = {
  add: () => nn.add(), subtract: () => nn.subtract(), multiply: () => nn.multiply(), average: () => nn.average(), maximum: () => nn.maximum(),
};

describe('merge layers: values and gradients', () => {
  const cases = (Object.keys(layers) as MergeKind[]).flatMap((kind) => {
    const shapes = kind === 'subtract' ? [[2, 3, 4], [2, 3, 4]] : [[2, 3, 4], [2, 3, 4], [2, 3, 4]];
    return [{
      name: `${kind} of ${shapes.length} inputs [2,3,4]`,
      op: (...xs: Tensor[]) => layers[kind]().apply(xs),
      inputs: shapes.map((shape, i) => ({ shape, range: [-2, 2] as [number, number], seed: 11 + i })),
      reference: (...xs: Arr[]) => mergeRef(kind, xs),
      gradient: 'finite-difference' as const,
      tolerance: TOL,
    }];
  });
  opTests([
    ...cases,
    {
      name: 'multiply broadcasts a [B,1,1,C] gate over [B,H,W,C]',
      op: (x, g) => nn.multiply().apply([x, g]),
      inputs: [{ shape: [2, 3, 3, 4], range: [-1, 1], seed: 3 }, { shape: [2, 1, 1, 4], range: [0, 1], seed: 4 }],
      reference: (x, g) => mergeRef('multiply', [x, g]),
      gradient: 'finite-difference',
      tolerance: TOL,
    },
    {
      name: 'concatenate on the channel axis (default -1)',
      op: (a, b) => nn.concatenate().apply([a, b]),
      inputs: [[2, 3, 3, 2], [2, 3, 3, 5]],
      reference: (a, b) => concatRef([a, b], -1),
      gradient: 'finite-difference',
    },
    {
      name: 'concatenate on axis 1 of three inputs',
      op: (a, b, c) => nn.concatenate({ axis: 1 }).apply([a, b, c]),
      inputs: [[2, 1, 3], [2, 2, 3], [2, 4, 3]],
      reference: (a, b, c) => concatRef([a, b, c], 1),
      gradient: 'finite-difference',
    },
  ]);

  it('frees the partial results of a merge of several inputs (inference)', () => {
    const xs = [1, 2, 3, 4].map((v) => tensor([v, v], [1, 2]));
    const before = backendInfo().liveTensors;
    for (const make of [nn.add, nn.average, nn.maximum, nn.multiply]) {
      const y = make().apply(xs);
      y.dispose();
    }
    expect(backendInfo().liveTensors).toBe(before);
    xs.forEach((x) => x.dispose());
  });
});

describe('merge layers: shape inference', () => {
  it('infers output shapes from symbolic inputs', () => {
    const a = nn.input({ shape: [8, 8, 4] });
    const b = nn.input({ shape: [8, 8, 4] });
    const gate = nn.input({ shape: [1, 1, 4] });
    expect(nn.add().apply([a, b]).shape).toEqual([null, 8, 8, 4]);
    expect(nn.multiply().apply([a, gate]).shape).toEqual([null, 8, 8, 4]);
    expect(nn.multiply().apply([gate, a]).shape).toEqual([null, 8, 8, 4]);
    expect(nn.concatenate().apply([a, b, a]).shape).toEqual([null, 8, 8, 12]);
    expect(nn.concatenate({ axis: 2 }).apply([a, b]).shape).toEqual([null, 8, 16, 4]);
    expect(nn.concatenate({ axis: -3 }).apply([a, b]).shape).toEqual([null, 16, 8, 4]);
  });
});

describe('merge layers: errors name the layer and the shapes', () => {
  const a = nn.input({ shape: [8, 8, 4] });
  const b = nn.input({ shape: [8, 8, 3] });
  const flat = nn.input({ shape: [10] });
  const rows: [string, () => unknown, typeof ShapeError | typeof ValueError, RegExp][] = [
    ['add of different shapes', () => nn.add().apply([a, b]), ShapeError, /^add: inputs must all have one shape, got \(None, 8, 8, 4\), \(None, 8, 8, 3\)$/],
    ['named layer in the message', () => nn.add({ name: 'skip' }).apply([a, b]), ShapeError, /^skip: inputs must all have one shape/],
    ['multiply that cannot broadcast', () => nn.multiply().apply([a, b]), ShapeError, /^multiply: inputs cannot be broadcast together \(axis 3 is 4 and 3\), got \(None, 8, 8, 4\), \(None, 8, 8, 3\)$/],
    ['multiply of different ranks', () => nn.multiply().apply([a, flat]), ShapeError, /^multiply: inputs must have one rank, got \(None, 8, 8, 4\), \(None, 10\)$/],
    ['subtract of three', () => nn.subtract().apply([a, a, a]), ValueError, /^subtract: expects exactly 2 inputs, got 3$/],
    ['merge of one input', () => nn.average().apply([a]), ValueError, /^average: expects an array of at least 2 inputs, got 1$/],
    ['merge of a single tensor', () => nn.maximum().apply(a), ValueError, /^maximum: expects an array of at least 2 inputs, got 1$/],
    ['concatenate off-axis mismatch', () => nn.concatenate({ axis: 1 }).apply([a, b]), ShapeError, /^concatenate: inputs must match on every axis but axis 1, got \(None, 8, 8, 4\), \(None, 8, 8, 3\)$/],
    ['concatenate axis out of range', () => nn.concatenate({ axis: 4 }).apply([a, a]), ShapeError, /^concatenate: axis 4 is out of range/],
    ['concatenate on the batch axis', () => nn.concatenate({ axis: 0 }), ValueError, /^concatenate: option 'axis' must be a non-zero integer/],
    ['unknown option', () => nn.add({ axis: 1 } as never), ValueError, /^add: unknown option 'axis'/],
    ['mixed symbolic and real inputs', () => nn.add().apply([a, tensor([1], [1, 1])] as never), ValueError, /^add: inputs mix symbolic tensors and Tensors/],
    ['different batch sizes', () => tidy(() => nn.add().apply([tensor([1, 2], [2, 1]), tensor([1], [1, 1])])), ShapeError, /^add: inputs hold different batch sizes \(\[2,1\], \[1,1\]\)$/],
  ];
  for (const [name, fn, type, message] of rows) {
    it(name, () => {
      const before = backendInfo().liveTensors;
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
      expect(backendInfo().liveTensors).toBeLessThanOrEqual(before + 1);
    });
  }
});
