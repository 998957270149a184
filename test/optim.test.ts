import { describe, it, expect } from 'vitest';
import { tensor, tidy, keep, backendInfo, Tensor, ShapeError, ValueError, DisposedError, losses, optim } from '../src/index.js';
import { RefSGD, RefAdam, RefRMSprop, RefAdagrad, RefAdadelta, refSchedules } from './reference/optim.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose } from './harness/close.js';

const rnd = (n: number, seed: number, lo = -1, hi = 1) => randomValues(n, seed, lo, hi).map(Math.fround);

/** Sets p.grad to the given values (a kept tensor, as backward() leaves it). */
function setGrad(p: Tensor, values: number[]): void {
  p.zeroGrad();
  p.grad = keep(tensor(values, p.shape as number[]));
}

// Sizes that exercise the SIMD body and the scalar tail: 13 = 3x4 + 1, 3 < 4, 8 = 2x4.
const SHAPES = [[13], [3], [2, 4]];

interface Case { name: string; make: () => optim.Optimizer; ref: () => { lr: number; step(p: number[][], g: (number[] | null)[]): void } }

/** Runs `steps` steps of the optimizer and its reference on the same grads, comparing after each. */
function runAgainstReference(c: Case, steps = 6, rtol = 2e-5, atol = 2e-6): void {
  const init = SHAPES.map((s, i) => rnd(s.reduce((a, b) => a * b, 1), 10 + i, -1, 1));
  const params = SHAPES.map((s, i) => tensor(init[i], s).requireGrad());
  params.forEach((p, i) => { p.name = `p${i}`; });
  const refParams = init.map((v) => v.slice());
  const opt = c.make();
  const r = c.ref();
  for (let t = 0; t < steps; t++) {
    // Parameter 2 gets no gradient on step 2 (skipped: state and step count unchanged).
    const grads = params.map((p, i) => (i === 2 && t === 2 ? null : rnd(p.size, 100 * t + i, -1, 1).map((v) => v * (1 + t))));
    params.forEach((p, i) => { if (grads[i]) setGrad(p, grads[i]!); else p.zeroGrad(); });
    opt.step(params);
    r.step(refParams, grads);
    params.forEach((p, i) => expectClose(p.dataSync(), refParams[i], { rtol, atol, what: `${c.name} step ${t + 1} param ${i}` }));
  }
  opt.zeroGrad(params);
  opt.dispose();
  params.forEach((p) => p.dispose());
}

const cases: Case[] = [
  { name: 'sgd', make: () => optim.sgd({ lr: 0.1 }), ref: () => new RefSGD(0.1) },
  { name: 'sgd momentum', make: () => optim.sgd({ lr: 0.05, momentum: 0.9 }), ref: () => new RefSGD(0.05, { momentum: 0.9 }) },
  { name: 'sgd momentum dampening', make: () => optim.sgd({ lr: 0.05, momentum: 0.8, dampening: 0.3 }), ref: () => new RefSGD(0.05, { momentum: 0.8, dampening: 0.3 }) },
  { name: 'sgd nesterov', make: () => optim.sgd({ lr: 0.05, momentum: 0.9, nesterov: true }), ref: () => new RefSGD(0.05, { momentum: 0.9, nesterov: true }) },
  { name: 'sgd weightDecay', make: () => optim.sgd({ lr: 0.1, weightDecay: 0.05 }), ref: () => new RefSGD(0.1, { weightDecay: 0.05 }) },
  { name: 'sgd nesterov weightDecay', make: () => optim.sgd({ lr: 0.03, momentum: 0.7, nesterov: true, weightDecay: 0.1 }), ref: () => new RefSGD(0.03, { momentum: 0.7, nesterov: true, weightDecay: 0.1 }) },
  { name: 'adam defaults', make: () => optim.adam(), ref: () => new RefAdam(1e-3) },
  { name: 'adam custom', make: () => optim.adam({ lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }), ref: () => new RefAdam(0.01, { beta1: 0.8, beta2: 0.99, eps: 1e-6 }) },
  { name: 'adam weightDecay (L2)', make: () => optim.adam({ lr: 0.01, weightDecay: 0.1 }), ref: () => new RefAdam(0.01, { weightDecay: 0.1 }) },
  { name: 'adam amsgrad', make: () => optim.adam({ lr: 0.01, amsgrad: true }), ref: () => new RefAdam(0.01, { amsgrad: true }) },
  { name: 'adamw defaults (weightDecay 0.01)', make: () => optim.adamw({ lr: 0.01 }), ref: () => new RefAdam(0.01, { weightDecay: 0.01, decoupled: true }) },
  { name: 'adamw weightDecay 0.2', make: () => optim.adamw({ lr: 0.02, weightDecay: 0.2, beta1: 0.5 }), ref: () => new RefAdam(0.02, { weightDecay: 0.2, beta1: 0.5, decoupled: true }) },
  { name: 'rmsprop defaults', make: () => optim.rmsprop(), ref: () => new RefRMSprop(1e-2) },
  { name: 'rmsprop momentum', make: () => optim.rmsprop({ lr: 0.01, momentum: 0.9 }), ref: () => new RefRMSprop(0.01, { momentum: 0.9 }) },
  { name: 'rmsprop centered', make: () => optim.rmsprop({ lr: 0.01, centered: true, rho: 0.9 }), ref: () => new RefRMSprop(0.01, { centered: true, alpha: 0.9 }) },
  { name: 'rmsprop centered momentum weightDecay', make: () => optim.rmsprop({ lr: 0.005, centered: true, momentum: 0.5, weightDecay: 0.1, epsilon: 1e-6 }), ref: () => new RefRMSprop(0.005, { centered: true, momentum: 0.5, weightDecay: 0.1, eps: 1e-6 }) },
  { name: 'adagrad defaults', make: () => optim.adagrad(), ref: () => new RefAdagrad(1e-2) },
  { name: 'adagrad lrDecay initialAccumulatorValue weightDecay', make: () => optim.adagrad({ lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.5, weightDecay: 0.05 }), ref: () => new RefAdagrad(0.1, { lrDecay: 0.1, initialAccumulatorValue: 0.5, weightDecay: 0.05 }) },
  { name: 'adadelta defaults', make: () => optim.adadelta(), ref: () => new RefAdadelta(1.0) },
  { name: 'adadelta rho weightDecay', make: () => optim.adadelta({ lr: 0.5, rho: 0.95, epsilon: 1e-5, weightDecay: 0.1 }), ref: () => new RefAdadelta(0.5, { rho: 0.95, eps: 1e-5, weightDecay: 0.1 }) },
];

describe('updates match torch.optim (float64 reference)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => runAgainstReference(c));
});

describe('learning-rate schedules', () => {
  it('stepDecay, exponential and cosine match their closed forms', () => {
    const sd = optim.schedules.stepDecay({ initialLr: 0.1, stepSize: 3, gamma: 0.5 });
    const ex = optim.schedules.exponential({ initialLr: 0.2, gamma: 0.9 });
    const co = optim.schedules.cosine({ initialLr: 0.1, totalSteps: 10, minLr: 0.001 });
    const co2 = optim.schedules.cosine({ initialLr: 0.1, epochs: 10, minLr: 0.001 });
    const rsd = refSchedules.stepDecay(0.1, 3, 0.5), rex = refSchedules.exponential(0.2, 0.9), rco = refSchedules.cosine(0.1, 10, 0.001);
    for (let e = 0; e <= 14; e++) {
      expect(sd(e)).toBeCloseTo(rsd(e), 14);
      expect(ex(e)).toBeCloseTo(rex(e), 14);
      expect(co(e)).toBeCloseTo(rco(e), 14);
      expect(co2(e)).toBe(co(e));
    }
    expect(sd(0)).toBe(0.1);
    expect(sd(2)).toBe(0.1);
    expect(sd(3)).toBe(0.05);
    expect(co(0)).toBe(0.1);
    expect(co(10)).toBeCloseTo(0.001, 15);
    expect(co(25)).toBe(co(10)); // stays at minLr after the period
    expect(optim.schedules.stepDecay({ initialLr: 1, stepSize: 2 })(2)).toBeCloseTo(0.1, 15); // default gamma 0.1
    expect(sd.config).toEqual({ name: 'stepDecay', initialLr: 0.1, stepSize: 3, gamma: 0.5 });
  });
  it('an optimizer follows its schedule through setEpoch', () => {
    const sched = optim.schedules.stepDecay({ initialLr: 0.1, stepSize: 2, gamma: 0.5 });
    const opt = optim.sgd({ lr: sched });
    const ref = new RefSGD(0.1);
    const p = tensor([1, 2, 3, 4, 5]).requireGrad();
    const pr = [1, 2, 3, 4, 5];
    expect(opt.lr).toBe(0.1);
    expect(opt.epoch).toBe(0);
    for (let e = 0; e < 5; e++) {
      opt.setEpoch(e);
      expect(opt.lr).toBe(sched(e));
      ref.lr = sched(e);
      const g = rnd(5, e);
      setGrad(p, g);
      opt.step([p]);
      ref.step([pr], [g]);
      expectClose(p.dataSync(), pr, { rtol: 1e-6, atol: 1e-7, what: `epoch ${e}` });
    }
    expect(opt.epoch).toBe(4);
    expect(opt.lr).toBe(0.025);
    opt.lr = 0.5; // a constant replaces the schedule
    expect(opt.lr).toBe(0.5);
    opt.setEpoch(9);
    expect(opt.lr).toBe(0.5);
    opt.lr = optim.schedules.exponential({ initialLr: 1, gamma: 0.5 }); // evaluated at the current epoch
    expect(opt.lr).toBeCloseTo(0.5 ** 9, 15);
    expect(opt.getConfig()).toMatchObject({ name: 'sgd', lr: { name: 'exponential', initialLr: 1, gamma: 0.5 } });
    p.zeroGrad(); p.dispose(); opt.dispose();
  });
  it('rejects bad schedule options, epochs and schedule values', () => {
    expect(() => optim.schedules.stepDecay({ initialLr: 0.1, stepSize: 0 })).toThrow(/stepDecay: stepSize/);
    expect(() => optim.schedules.stepDecay({ initialLr: -1, stepSize: 2 })).toThrow(ValueError);
    expect(() => optim.schedules.exponential({ initialLr: 0.1, gamma: NaN })).toThrow(/exponential: gamma/);
    expect(() => optim.schedules.cosine({ initialLr: 0.1 })).toThrow(/cosine: totalSteps/);
    expect(() => optim.schedules.cosine({ initialLr: 0.1, totalSteps: 5, epochs: 5 })).toThrow(ValueError);
    expect(() => optim.schedules.cosine({ initialLr: 0.1, totalSteps: 5, minLr: -1 })).toThrow(/minLr/);
    expect(() => optim.schedules.exponential({ initialLr: 0.1, gama: 0.5 } as any)).toThrow(/unknown option 'gama'/);
    const s = optim.schedules.exponential({ initialLr: 0.1, gamma: 0.5 });
    expect(() => s(-1)).toThrow(ValueError);
    const opt = optim.adam({ lr: s });
    expect(() => opt.setEpoch(-2)).toThrow(/adam.setEpoch/);
    expect(() => opt.setEpoch(NaN)).toThrow(ValueError);
    expect(() => optim.adam({ lr: () => NaN })).toThrow(/adam: the learning-rate schedule returned/);
  });
});

describe('hyper-parameter validation at construction', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['sgd without lr', () => optim.sgd({} as any), /sgd: lr is required/],
    ['sgd NaN lr', () => optim.sgd({ lr: NaN }), /sgd: lr .*NaN/],
    ['sgd negative lr', () => optim.sgd({ lr: -0.1 }), /sgd: lr .*-0\.1/],
    ['sgd negative momentum', () => optim.sgd({ lr: 0.1, momentum: -0.5 }), /sgd: momentum .*-0\.5/],
    ['sgd nesterov without momentum', () => optim.sgd({ lr: 0.1, nesterov: true }), /sgd: nesterov/],
    ['sgd nesterov with dampening', () => optim.sgd({ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /sgd: nesterov/],
    ['sgd negative weightDecay', () => optim.sgd({ lr: 0.1, weightDecay: -1 }), /sgd: weightDecay/],
    ['sgd string lr', () => optim.sgd({ lr: '0.1' as any }), /sgd: lr/],
    ['sgd unknown option', () => optim.sgd({ lr: 0.1, learningRate: 0.1 } as any), /sgd: unknown option 'learningRate'/],
    ['adam beta1 = 1', () => optim.adam({ beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/],
    ['adam beta2 < 0', () => optim.adam({ beta2: -0.1 }), /adam: beta2 .*-0\.1/],
    ['adam negative epsilon', () => optim.adam({ epsilon: -1e-8 }), /adam: epsilon/],
    ['adam infinite lr', () => optim.adam({ lr: Infinity }), /adam: lr/],
    ['adamw beta1 NaN', () => optim.adamw({ beta1: NaN }), /adamw: beta1/],
    ['adamw negative weightDecay', () => optim.adamw({ weightDecay: -0.01 }), /adamw: weightDecay/],
    ['rmsprop rho > 1', () => optim.rmsprop({ rho: 1.5 }), /rmsprop: rho .*1\.5/],
    ['rmsprop negative momentum', () => optim.rmsprop({ momentum: -1 }), /rmsprop: momentum/],
    ['rmsprop centered not boolean', () => optim.rmsprop({ centered: 1 as any }), /rmsprop: centered must be a boolean/],
    ['adagrad negative lr', () => optim.adagrad({ lr: -1 }), /adagrad: lr/],
    ['adagrad negative lrDecay', () => optim.adagrad({ lrDecay: -1 }), /adagrad: lrDecay/],
    ['adadelta rho > 1', () => optim.adadelta({ rho: 2 }), /adadelta: rho/],
    ['adadelta negative epsilon', () => optim.adadelta({ epsilon: -1 }), /adadelta: epsilon/],
    ['options not an object', () => optim.adam(5 as any), /adam: options must be an object/],
  ];
  it.each(bad)('%s', (_name, make, message) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(message);
  });
  it('PyTorch defaults for omitted hyper-parameters', () => {
    expect(optim.adam().getConfig()).toEqual({ name: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, amsgrad: false });
    expect(optim.adamw().getConfig()).toEqual({ name: 'adamw', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, amsgrad: false });
    expect(optim.sgd({ lr: 0.1 }).getConfig()).toEqual({ name: 'sgd', lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
    expect(optim.rmsprop().getConfig()).toEqual({ name: 'rmsprop', lr: 1e-2, rho: 0.99, momentum: 0, epsilon: 1e-8, centered: false, weightDecay: 0 });
    expect(optim.adagrad().getConfig()).toEqual({ name: 'adagrad', lr: 1e-2, epsilon: 1e-10, lrDecay: 0, initialAccumulatorValue: 0, weightDecay: 0 });
    expect(optim.adadelta().getConfig()).toEqual({ name: 'adadelta', lr: 1.0, rho: 0.9, epsilon: 1e-6, weightDecay: 0 });
  });
  it('fromConfig rebuilds an optimizer and its schedule', () => {
    const a = optim.adamw({ lr: optim.schedules.cosine({ initialLr: 0.01, epochs: 5 }), beta1: 0.8 });
    const b = optim.fromConfig(a.getConfig() as any);
    expect(b.getConfig()).toEqual(a.getConfig());
    expect(() => optim.fromConfig({ name: 'lion' })).toThrow(/unknown optimizer 'lion'/);
  });
});

describe('step and zeroGrad semantics', () => {
  it('skips parameters without a gradient; zeroGrad disposes and nulls .grad', () => {
    const a = tensor([1, 2, 3]).requireGrad();
    const b = tensor([4, 5]).requireGrad();
    const opt = optim.sgd({ lr: 0.5 });
    setGrad(a, [1, 1, 1]);
    opt.step([a, b]);
    expect(Array.from(a.dataSync())).toEqual([0.5, 1.5, 2.5]);
    expect(Array.from(b.dataSync())).toEqual([4, 5]);
    expect(opt.getState(b)).toBeUndefined();
    const g = a.grad!;
    opt.zeroGrad([a, b]);
    expect(a.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    expect(() => g.dataSync()).toThrow(DisposedError);
    a.dispose(); b.dispose();
  });
  it('uses bound parameters (constructor or bind) when step/zeroGrad get none', () => {
    const a = tensor([1, 2, 3]).requireGrad();
    const opt = optim.sgd({ lr: 1 }, [a]);
    setGrad(a, [1, 2, 3]);
    opt.step();
    expect(Array.from(a.dataSync())).toEqual([0, 0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    const b = tensor([1]).requireGrad();
    const opt2 = optim.adam({ lr: 0.1 });
    expect(() => opt2.step()).toThrow(/adam.step: no parameters/);
    opt2.bind({ kernel: b });
    expect(opt2.params).toEqual([b]);
    setGrad(b, [3]);
    opt2.step();
    expect(b.dataSync()[0]).toBeCloseTo(0.9, 6); // first Adam step moves by lr * sign(g)
    expect(opt2.iterations).toBe(1);
    opt2.zeroGrad();
    expect(b.grad).toBeNull();
    a.dispose(); b.dispose(); opt2.dispose();
  });
  it('a gradient of the wrong shape throws ShapeError and updates nothing', () => {
    const a = tensor([1, 2]).requireGrad();
    const b = tensor([1, 2, 3]).requireGrad();
    const opt = optim.sgd({ lr: 1 });
    setGrad(a, [1, 1]);
    b.grad = keep(tensor([1, 1]));
    expect(() => opt.step([a, b])).toThrow(ShapeError);
    expect(() => opt.step([a, b])).toThrow(/sgd.step: gradient \[2\] does not match parameter \[3\]/);
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    expect(() => opt.step([a, 'w' as any])).toThrow(ValueError);
    opt.zeroGrad([a, b]);
    a.dispose(); b.dispose();
  });
  it('a parameter listed twice is updated once', () => {
    const a = tensor([1]).requireGrad();
    const opt = optim.sgd({ lr: 1 });
    setGrad(a, [1]);
    opt.step([a, a]);
    expect(a.dataSync()[0]).toBe(0);
    opt.zeroGrad([a]); a.dispose();
  });
  it('state survives tidy, leaks nothing per step, and dispose frees it', () => {
    const w = tensor(rnd(40, 1), [4, 10]).requireGrad();
    const bias = tensor(rnd(10, 2), [10]).requireGrad();
    const y = tensor(new Int32Array([1, 3, 5, 7]));
    for (const make of [() => optim.adam({ lr: 0.01, amsgrad: true }), () => optim.sgd({ lr: 0.1, momentum: 0.9 }),
      () => optim.rmsprop({ centered: true, momentum: 0.9 }), () => optim.adagrad(), () => optim.adadelta(), () => optim.adamw()]) {
      const opt = make();
      const train = () => tidy(() => {
        const l = losses.sparseCategoricalCrossentropy(w, y, { fromLogits: true });
        const l2 = losses.meanSquaredError(bias, tensor(new Float32Array(10)));
        l.backward();
        l2.backward();
        opt.step([w, bias]);
        opt.zeroGrad([w, bias]);
        return l.dataSync()[0];
      });
      const before = backendInfo().liveTensors;
      const first = train(); // creates the state buffers inside tidy
      const withState = backendInfo().liveTensors;
      expect(withState).toBeGreaterThan(before);
      for (const t of Object.values(opt.getState(w)!.buffers)) expect(t.isDisposed).toBe(false);
      let last = first;
      for (let i = 0; i < 20; i++) last = train();
      expect(backendInfo().liveTensors).toBe(withState);
      expect(last).toBeLessThan(first);
      opt.dispose();
      expect(backendInfo().liveTensors).toBe(before);
    }
    w.dispose(); bias.dispose(); y.dispose();
  });
  it('drops the state of a disposed parameter at the next step', () => {
    const a = tensor([1, 2]).requireGrad();
    const b = tensor([3]).requireGrad();
    const opt = optim.adam();
    setGrad(a, [1, 1]); setGrad(b, [1]);
    opt.step([a, b]);
    const before = backendInfo().liveTensors;
    b.zeroGrad(); b.dispose(); // -2 (grad, param)
    opt.step([a]); // -2 (b's expAvg, expAvgSq)
    expect(backendInfo().liveTensors).toBe(before - 4);
    a.zeroGrad(); a.dispose(); opt.dispose();
  });
  it('is deterministic: two runs give identical bits', () => {
    const run = () => {
      const p = tensor(rnd(37, 5)).requireGrad();
      const opt = optim.adam({ lr: 0.01, weightDecay: 0.01 });
      for (let t = 0; t < 5; t++) { setGrad(p, rnd(37, 50 + t)); opt.step([p]); }
      const out = p.dataSync();
      p.zeroGrad(); p.dispose(); opt.dispose();
      return out;
    };
    expect(run()).toEqual(run());
  });
});
