// layerNorm and groupNorm: values and gradients (x, gamma, beta) against float64 references,
// finite differences, accuracy on values offset by a large constant, and the options.
import { describe, it, expect } from 'vitest';
import { ops, tensor, ValueError } from '../src/index.js';
import { opTests, type OpCase } from './harness/check-op.js';
import { fixtureCases, PYTORCH_TOLERANCE } from './harness/fixtures.js';
import { values, type Arr } from './reference/elementwise.js';
import { normRef, normGradRef, layerNormLayout, groupNormLayout } from './reference/norms.js';

// A few float32 roundings per value; values offset by 1e3 or 1e4 keep the same accuracy (the mean is kept as hi + lo).
const tolerance = { rtol: 1e-6, atol: 1e-6 };

/** A layerNorm case over the trailing axes from `start` of `shape`, with gamma and beta unless `plain`. */
function layerNormCase(shape: number[], start: number, opts: { axis?: number | number[]; range?: [number, number]; plain?: boolean; eps?: number } = {}): OpCase {
  const dims = shape.slice(start);
  const eps = opts.eps ?? 1e-5;
  const l = layerNormLayout(shape, start);
  const x = { shape, range: opts.range ?? [-2, 3] as [number, number], seed: 11 };
  const params = dims.reduce((a, b) => a * b, 1);
  const axisOpt = opts.axis === undefined ? {} : { axis: opts.axis };
  const epsOpt = opts.eps === undefined ? {} : { epsilon: eps };
  if (opts.plain) {
    return {
      name: `layerNorm x=[${shape}] axis ${JSON.stringify(opts.axis ?? -1)} without gamma / beta`,
      op: (a) => ops.layerNorm(a, null, null, { ...axisOpt, ...epsOpt }), inputs: [x],
      reference: (a) => normRef(a, l, null, null, eps),
      gradient: ([a]: Arr[], dy: Arr) => [normGradRef(a, l, null, eps, dy, params)[0]], tolerance,
    };
  }
  return {
    name: `layerNorm x=[${shape}] axis ${JSON.stringify(opts.axis ?? -1)}${opts.range ? ` values in [${opts.range}]` : ''}`,
    op: (a, g, b) => ops.layerNorm(a, g, b, { ...axisOpt, ...epsOpt }),
    inputs: [x, { shape: dims, range: [0.5, 1.5], seed: 12 }, { shape: dims, range: [-1, 1], seed: 13 }],
    reference: (a, g, b) => normRef(a, l, g, b, eps),
    gradient: ([a, g]: Arr[], dy: Arr) => normGradRef(a, l, g, eps, dy, params), tolerance,
  };
}

function groupNormCase(shape: number[], groups: number, opts: { range?: [number, number]; plain?: boolean; eps?: number } = {}): OpCase {
  const C = shape[shape.length - 1];
  const eps = opts.eps ?? 1e-5;
  const l = groupNormLayout(shape, groups);
  const x = { shape, range: opts.range ?? [-2, 3] as [number, number], seed: 21 };
  const epsOpt = opts.eps === undefined ? {} : { epsilon: eps };
  const name = `groupNorm x=[${shape}] groups ${groups}${opts.range ? ` values in [${opts.range}]` : ''}`;
  if (opts.plain) {
    return {
      name: `${name} without gamma / beta`, op: (a) => ops.groupNorm(a, groups, null, null, epsOpt), inputs: [x],
      reference: (a) => normRef(a, l, null, null, eps),
      gradient: ([a]: Arr[], dy: Arr) => [normGradRef(a, l, null, eps, dy, C)[0]], tolerance,
    };
  }
  return {
    name, op: (a, g, b) => ops.groupNorm(a, groups, g, b, epsOpt),
    inputs: [x, { shape: [C], range: [0.5, 1.5], seed: 22 }, { shape: [C], range: [-1, 1], seed: 23 }],
    reference: (a, g, b) => normRef(a, l, g, b, eps),
    gradient: ([a, g]: Arr[], dy: Arr) => normGradRef(a, l, g, eps, dy, C), tolerance,
  };
}

describe('layerNorm: values and gradients against the float64 reference', () => {
  opTests([
    layerNormCase([2, 3, 4, 8], 3),
    layerNormCase([5, 7], 1, { eps: 1e-3 }),
    layerNormCase([3, 67], 1, { axis: 1 }),
    layerNormCase([2, 3, 4, 5], 1, { axis: [-3, -2, -1] }),
    layerNormCase([2, 3, 4, 5], 2, { axis: [3, 2] }),
    layerNormCase([4, 6], 1, { plain: true }),
    layerNormCase([6], 0),
    layerNormCase([3, 1], 1),
    layerNormCase([3, 2, 24], 2, { range: [999, 1001] }),
    layerNormCase([2, 37], 1, { range: [-10003, -9997] }),
  ]);
});

describe('groupNorm: values and gradients against the float64 reference', () => {
  opTests([
    groupNormCase([2, 3, 3, 8], 1),
    groupNormCase([2, 3, 3, 8], 2),
    groupNormCase([2, 3, 3, 8], 8),
    groupNormCase([2, 3, 2, 6], 3),
    groupNormCase([2, 2, 3, 12], 3, { eps: 1e-3 }),
    groupNormCase([2, 9, 9, 16], 4),
    groupNormCase([3, 1, 1, 8], 2),
    groupNormCase([3, 1, 1, 8], 8),
    groupNormCase([2, 1, 2, 4], 2),
    groupNormCase([2, 5, 6], 3),
    groupNormCase([4, 6], 2),
    groupNormCase([2, 2, 2, 6], 3, { plain: true }),
    groupNormCase([2, 4, 4, 8], 2, { range: [999, 1001] }),
    groupNormCase([2, 3, 3, 5], 1, { range: [-10003, -9997] }),
  ]);
});

describe('finite-difference gradients in x, gamma and beta', () => {
  const fd = { finiteDifference: 2e-2 };
  opTests([
    { name: 'layerNorm [3,6]', op: (a, g, b) => ops.layerNorm(a, g, b), inputs: [[3, 6], [6], [6]], gradient: 'finite-difference', tolerance: fd },
    { name: 'layerNorm [2,2,3] over [-2,-1]', op: (a, g, b) => ops.layerNorm(a, g, b, { axis: [-2, -1] }), inputs: [[2, 2, 3], [2, 3], [2, 3]], gradient: 'finite-difference', tolerance: fd },
    { name: 'groupNorm groups 1', op: (a, g, b) => ops.groupNorm(a, 1, g, b), inputs: [[2, 2, 2, 4], [4], [4]], gradient: 'finite-difference', tolerance: fd },
    { name: 'groupNorm groups 2', op: (a, g, b) => ops.groupNorm(a, 2, g, b), inputs: [[2, 2, 2, 6], [6], [6]], gradient: 'finite-difference', tolerance: fd },
    { name: 'groupNorm groups = C', op: (a, g, b) => ops.groupNorm(a, 5, g, b), inputs: [[2, 2, 2, 5], [5], [5]], gradient: 'finite-difference', tolerance: fd },
    { name: 'groupNorm H*W = 1', op: (a, g, b) => ops.groupNorm(a, 2, g, b), inputs: [[3, 1, 1, 8], [8], [8]], gradient: 'finite-difference', tolerance: fd },
  ]);
});

// PyTorch's F.layer_norm and F.group_norm (NCHW, converted by test/fixtures/fixtures_norms.py).
describe('layerNorm and groupNorm vs PyTorch', () => {
  type NormCase = { name: string; op: 'layerNorm' | 'groupNorm'; groups: number | null; options: Record<string, unknown> };
  opTests(fixtureCases<NormCase>('norms.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x', 'gamma', 'beta'], tolerance: PYTORCH_TOLERANCE,
    op: (x, g, b) => (c.op === 'layerNorm' ? ops.layerNorm(x, g, b, c.options) : ops.groupNorm(x, c.groups!, g, b, c.options)),
  })));
});

describe('options and shapes', () => {
  it('gamma and beta may carry leading 1s; the output keeps the input shape', () => {
    const x = tensor(values(24, 3, -1, 1), [2, 3, 4]);
    const a = ops.layerNorm(x, tensor(values(4, 4, 0.5, 1), [1, 4]), tensor(values(4, 5), [1, 1, 4]));
    const b = ops.layerNorm(x, tensor(values(4, 4, 0.5, 1), [4]), tensor(values(4, 5), [4]));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  });

  it('groupNorm with groups 1 equals layerNorm over H, W and C without parameters', () => {
    const x = tensor(values(2 * 3 * 3 * 4, 6, -2, 2), [2, 3, 3, 4]);
    const a = ops.groupNorm(x, 1).dataSync();
    const b = ops.layerNorm(x, null, null, { axis: [1, 2, 3] }).dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(2e-6);
  });

  it('an empty batch gives an empty output and zero parameter gradients', () => {
    const x = tensor(new Float32Array(0), [0, 2, 2, 4]);
    const g = tensor([1, 1, 1, 1]).requireGrad();
    const y = ops.groupNorm(x, 2, g);
    expect(y.shape).toEqual([0, 2, 2, 4]);
    ops.sum(ops.layerNorm(x, g)).backward();
    expect(Array.from(g.grad!.dataSync())).toEqual([0, 0, 0, 0]);
  });

  it('rejects axes that are not trailing and unknown options', () => {
    const x = tensor(values(24, 1), [2, 3, 4]);
    expect(() => ops.layerNorm(x, null, null, { axis: 1 })).toThrow(ValueError);
    expect(() => ops.layerNorm(x, null, null, { axis: [0, 2] })).toThrow(/trailing axes/);
    expect(() => ops.groupNorm(x, 2, null, null, { eps: 1 } as never)).toThrow(/unknown option 'eps'/);
  });
});
