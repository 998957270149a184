// relu6, hardSigmoid, hardSwish, silu / swish, softplus and erf: values and gradients against
// float64 references (kinks at -3, 0, 3, 6 and the large-|x| tails included), finite differences,
// PyTorch fixtures, NaN and infinities, bit-identity across SIMD lanes and the scalar tail,
// Tensor methods, and no leaked tensors after tidy(forward + backward).
import { describe, it, expect } from 'vitest';
import { tensor, ops, nn, randn, tidy, type Tensor } from '../src/index.js';
import { values, type Arr } from './reference/elementwise.js';
import { activationFns, activationGrads } from './reference/activations.js';
import { expectClose } from './harness/close.js';
import { checkOp, opTests } from './harness/check-op.js';
import { fixtureCases, PYTORCH_TOLERANCE } from './harness/fixtures.js';
import { expectNoLeakThroughBackward } from './harness/leaks.js';

const f32 = (v: number[]) => v.map(Math.fround);
const linspace = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * i) / (n - 1)));

type Op = (x: Tensor) => Tensor;
const OPS: Record<string, Op> = {
  relu6: (x) => ops.relu6(x),
  hardSigmoid: (x) => ops.hardSigmoid(x),
  hardSwish: (x) => ops.hardSwish(x),
  silu: (x) => ops.silu(x),
  softplus: (x) => ops.softplus(x),
  erf: (x) => ops.erf(x),
};

const reference = (name: string) => (x: Arr): Arr => ({ shape: x.shape, values: x.values.map(activationFns[name]) });
const gradReference = (name: string) => ([x]: Arr[], dy: Arr) => [x.values.map((v, i) => dy.values[i] * activationGrads[name](v))];

// Error bounds from the float32 arithmetic of each kernel, relative to the float64 value:
// relu6 is exact; hardSigmoid rounds x + 3 and the division (x + 3 is exact near the -3 kink);
// hardSwish also the product; silu, softplus and erf are computed in f64 and rounded once.
const RTOL: Record<string, number> = { relu6: 0, hardSigmoid: 1.2e-7, hardSwish: 1.8e-7, silu: 6e-8, softplus: 6e-8, erf: 6e-8 };
// hardSwish's gradient g * (x/3 + 1/2) cancels near x = -1.5: bounded absolutely there.
const GRAD_TOL: Record<string, { rtol: number; atol: number }> = {
  relu6: { rtol: 0, atol: 0 }, hardSigmoid: { rtol: 6e-8, atol: 0 }, hardSwish: { rtol: 1.2e-7, atol: 1.2e-7 },
  silu: { rtol: 6e-8, atol: 1e-45 }, softplus: { rtol: 6e-8, atol: 1e-45 }, erf: { rtol: 6e-8, atol: 1e-45 },
};
// Ranges that cover each function's kinks and tails.
const RANGE: Record<string, [number, number]> = {
  relu6: [-4, 9], hardSigmoid: [-5, 5], hardSwish: [-5, 5], silu: [-110, 90], softplus: [-110, 90], erf: [-6, 6],
};
const KINKS = f32([-1e30, -100, -20, -6, -3.5, -3.01, -3, -2.99, -1.5, -0.01, -0, 0, 0.01, 2.99, 3, 3.01, 5.99, 6, 6.01, 17, 20, 20.5, 100, 1e30]);

describe('modern activations vs float64 reference', () => {
  it.each(Object.keys(OPS))('%s: values and gradient over its range, at the kinks, and in SIMD remainders', (name) => {
    const [lo, hi] = RANGE[name];
    const tolerance = { rtol: RTOL[name], atol: 1e-45, gradient: GRAD_TOL[name] };
    for (const x of [linspace(lo, hi, 2001), KINKS]) {
      checkOp({ name, op: OPS[name], inputs: [{ shape: [x.length], values: x }], reference: reference(name), gradient: gradReference(name), tolerance });
    }
    for (const n of [1, 3, 5]) {
      checkOp({ name: `${name} n=${n}`, op: OPS[name], inputs: [{ shape: [n], values: f32(values(n, n, lo, hi)) }], reference: reference(name), gradient: gradReference(name), tolerance });
    }
  });

  it('pins the values and gradients PyTorch gives at the kinks', () => {
    const x = [-3, 0, 3, 6];
    const grads = (f: Op) => {
      const t = tensor(x).requireGrad();
      f(t).sum().backward();
      return Array.from(t.grad!.dataSync());
    };
    expect(Array.from(ops.relu6(tensor(x)).dataSync())).toEqual([0, 0, 3, 6]);
    expect(grads(OPS.relu6)).toEqual([0, 0, 1, 0]);
    expect(Array.from(ops.hardSigmoid(tensor(x)).dataSync())).toEqual([0, 0.5, 1, 1]);
    expect(grads(OPS.hardSigmoid)).toEqual([0, Math.fround(1 / 6), 0, 0]);
    expect(Array.from(ops.hardSwish(tensor(x)).dataSync())).toEqual([-0, 0, 3, 6]);
    expect(grads(OPS.hardSwish)).toEqual([-0.5, 0.5, 1, 1]);
  });

  it('swish is silu, bit for bit, forward and backward', () => {
    const x = f32(values(37, 4, -12, 12));
    const run = (f: Op) => {
      const t = tensor(x).requireGrad();
      const y = f(t);
      y.sum().backward();
      return [Array.from(y.dataSync()), Array.from(t.grad!.dataSync())];
    };
    expect(run((t) => ops.swish(t))).toEqual(run((t) => ops.silu(t)));
  });
});

describe('NaN and infinities', () => {
  const SPECIALS = [NaN, Infinity, -Infinity, 3e38, -3e38, 1e-40, -1e-40, 0, -0];
  it.each(Object.keys(OPS))('%s', (name) => {
    const got = OPS[name](tensor(SPECIALS)).dataSync();
    // silu(-inf) is -inf * 0 = NaN, as PyTorch; hardSwish(-inf) is -0 (0 below -3), as PyTorch
    const want = SPECIALS.map((v) => (name === 'silu' && v === -Infinity ? NaN : activationFns[name](Math.fround(v))));
    expectClose(got, f32(want), { rtol: 1e-7, atol: 1e-45, what: name });
  });
});

describe('a value gets the same bits in any SIMD lane mix or in the scalar tail', () => {
  // erf's vectors of |x| < 1 skip the erfc tail; silu, softplus and erf's scalar tail runs the SIMD code on one lane
  it.each(['silu', 'softplus', 'erf', 'hardSwish', 'hardSigmoid'])('%s', (name) => {
    const probe = f32([0.5, -0.7, 0.3, -0.1]);
    const f = OPS[name];
    const alone = f(tensor(probe)).dataSync();
    const mixed = f(tensor([...probe, 3, -9, 100, -100, ...probe.slice(0, 3)])).dataSync();
    expect(Array.from(mixed.slice(0, 4))).toEqual(Array.from(alone));
    expect(Array.from(mixed.slice(8))).toEqual(Array.from(alone.slice(0, 3)));
    const grad = (v: number[]) => {
      const t = tensor(v).requireGrad();
      f(t).sum().backward();
      return Array.from(t.grad!.dataSync());
    };
    expect(grad([...probe, 3, -9, 100, ...probe.slice(0, 3)]).slice(7)).toEqual(grad(probe).slice(0, 3));
  });
});

// Finite differences (step 1e-3) on both sides of every kink, without crossing one, and in the tails.
const NEAR_KINKS = [-7, -3.3, -3.05, -2.95, -2.2, -1.5, -0.6, -0.05, 0.05, 0.8, 2.95, 3.05, 4.4, 5.95, 6.05, 7.5];
const TAILS = [-40, -25, -19.5, -12, -4.5, -2.1, -1.2, 0.3, 1.7, 2.6, 3.9, 9, 15, 19.5, 20.5, 30];
describe('gradients (finite differences)', () => {
  opTests(Object.keys(OPS).flatMap((name) => [
    { name: `${name} around the kinks`, op: OPS[name], inputs: [{ shape: [2, 8], values: NEAR_KINKS }], gradient: 'finite-difference' as const },
    { name: `${name} large |x|`, op: OPS[name], inputs: [{ shape: [4, 4], values: TAILS }], gradient: 'finite-difference' as const },
    { name: `${name} x=[2,3,4]`, op: OPS[name], inputs: [{ shape: [2, 3, 4], range: [-4, 4] as [number, number] }], gradient: 'finite-difference' as const },
  ]));
});

describe('modern activations vs PyTorch', () => {
  opTests(fixtureCases<{ name: string; op: string }>('activations-modern.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x'], tolerance: PYTORCH_TOLERANCE,
    op: (x: Tensor) => {
      const fn = (ops as unknown as Record<string, Op>)[c.op];
      expect(typeof fn, `ops.${c.op}`).toBe('function');
      return fn(x);
    },
  })));
});

describe('Tensor methods and memory', () => {
  it('Tensor methods match the ops', () => {
    const t = tensor(f32(values(10, 3, -5, 7)));
    const methods: [string, (t: Tensor) => Tensor, Op][] = [
      ['relu6', (v) => v.relu6(), OPS.relu6], ['hardSigmoid', (v) => v.hardSigmoid(), OPS.hardSigmoid],
      ['hardSwish', (v) => v.hardSwish(), OPS.hardSwish], ['silu', (v) => v.silu(), OPS.silu],
      ['swish', (v) => v.swish(), OPS.silu], ['softplus', (v) => v.softplus(), OPS.softplus], ['erf', (v) => v.erf(), OPS.erf],
    ];
    for (const [name, method, op] of methods) expect(Array.from(method(t).dataSync()), name).toEqual(Array.from(op(t).dataSync()));
  });

  it.each(Object.keys(OPS))('%s: no live tensor after tidy(forward + backward)', (name) => {
    const x = tensor(values(12, 1, -5, 5), [3, 4]).requireGrad();
    expectNoLeakThroughBackward(x, OPS[name]);
    x.dispose();
  });
});

describe('as layer activations', () => {
  const x = () => tensor(f32(values(24, 9, -8, 8)), [2, 3, 4]);
  it.each([
    ['relu6', 'relu6', OPS.relu6], ['hardSigmoid', 'hardSigmoid', OPS.hardSigmoid], ['hard_sigmoid', 'hardSigmoid', OPS.hardSigmoid],
    ['hardSwish', 'hardSwish', OPS.hardSwish], ['hard_swish', 'hardSwish', OPS.hardSwish], ['silu', 'swish', OPS.silu],
    ['swish', 'swish', OPS.silu], ['softplus', 'softplus', OPS.softplus],
  ] as [string, string, Op][])("nn.activation('%s') is '%s' and applies the op", (spec, canonical, op) => {
    tidy(() => {
      const layer = nn.activation(spec as any);
      expect(layer.activation).toBe(canonical);
      expect(Array.from(layer.apply(x()).dataSync())).toEqual(Array.from(op(x()).dataSync()));
    });
  });

  it('conv2d and dense apply them after the bias', () => {
    tidy(() => {
      const inp = randn([2, 5, 5, 3]);
      for (const [act, op] of [['relu6', OPS.relu6], ['hardSigmoid', OPS.hardSigmoid], ['hardSwish', OPS.hardSwish], ['silu', OPS.silu], ['softplus', OPS.softplus]] as const) {
        const conv = nn.conv2d({ filters: 4, kernelSize: 3, activation: act, biasInitializer: { name: 'constant', value: 0.5 } });
        const y = conv.apply(inp);
        expect(Array.from(y.dataSync()), act).toEqual(Array.from(op(ops.conv2d(inp, conv.kernel!, conv.bias!)).dataSync()));
        const dense = nn.dense({ units: 3, activation: act });
        const flat = ops.flatten(y);
        expect(Array.from(dense.apply(flat).dataSync()), act).toEqual(Array.from(op(ops.add(ops.matmul(flat, dense.kernel!), dense.bias!)).dataSync()));
        conv.dispose();
        dense.dispose();
      }
    });
  });
});
