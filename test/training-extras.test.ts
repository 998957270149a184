// Gradient clipping, label smoothing, regularisers and the warm-up / one-cycle schedules against
// PyTorch (test/fixtures/training-extras.json, made by test/fixtures/fixtures_training_extras.py),
// and how they fit compile / fit / save.
import { describe, it, expect } from 'vitest';
import { tensor, losses, optim, nn, tidy, Sequential, Model, type Tensor } from '../src/index.js';
import { expectClose } from './harness/close.js';
import { fixtureCases, fixtureTensor as t, fixtureLeaf as leaf, expectFixture, PYTORCH_TOLERANCE, type FixtureTensor as TJ } from './harness/fixtures.js';

const FILE = 'training-extras.json';
type Kind = 'clip' | 'loss' | 'regularized' | 'schedule';
const cases = <C>(kind: Kind) => fixtureCases<{ name: string; kind: Kind }>(FILE).filter((c) => c.kind === kind) as unknown as (C & { name: string })[];

/** A leaf whose .grad becomes exactly `g` (backward of a leaf copies the given gradient). */
function setGrad(p: Tensor, g: TJ): void {
  p.zeroGrad();
  p.backward(t(g));
}

// ---------------------------------------------------------------------------------------------
interface ClipCase { optimizer: string; options: Record<string, unknown>; params: TJ[]; grads: TJ[][]; after: TJ[][] }

describe('clipNorm / clipValue vs clip_grad_norm_ / clip_grad_value_ before torch.optim steps', () => {
  const all = cases<ClipCase>('clip');
  it('covers every optimizer', () => {
    expect(new Set(all.map((c) => c.optimizer))).toEqual(new Set(['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta']));
  });
  for (const c of all) {
    it(c.name, () => {
      const make = (optim as unknown as Record<string, (o: unknown) => optim.Optimizer>)[c.optimizer];
      const opt = make({ ...c.options });
      const ps = c.params.map(leaf);
      for (let s = 0; s < c.grads.length; s++) {
        ps.forEach((p, i) => setGrad(p, c.grads[s][i]));
        opt.step(ps);
        ps.forEach((p, i) => {
          expectFixture(p, c.after[s][i], `step ${s + 1} param ${i}`, { rtol: 1e-4, atol: 1e-5 });
          // The update used a clipped copy: .grad still holds the gradient as given.
          expectClose(p.grad!.dataSync(), Float32Array.from(c.grads[s][i].data), { what: `step ${s + 1} param ${i} .grad unchanged` });
        });
      }
      opt.dispose();
      for (const p of ps) p.dispose();
    });
  }

  it('without clipping the update is bit-identical to an optimizer without the options', () => {
    const c = all.find((k) => k.optimizer === 'adam')!;
    const run = (options: Record<string, unknown>) => {
      const ps = c.params.map(leaf);
      const opt = optim.adam(options);
      for (const gs of c.grads) { ps.forEach((p, i) => setGrad(p, gs[i])); opt.step(ps); }
      const out = ps.map((p) => Array.from(p.dataSync()));
      for (const p of ps) p.dispose();
      return out;
    };
    // Norm limit and value limit larger than any gradient: the clipped copies equal the gradients.
    expect(run({ lr: 0.01, clipNorm: 1e6, clipValue: 1e6 })).toEqual(run({ lr: 0.01 }));
  });

  it('is kept by getConfig and rebuilt by fromConfig and compile', () => {
    const opt = optim.sgd({ lr: 0.1, momentum: 0.9, clipNorm: 2, clipValue: 0.5 });
    expect(opt.getConfig()).toMatchObject({ name: 'sgd', clipNorm: 2, clipValue: 0.5 });
    const again = optim.fromConfig(opt.getConfig() as { name: string });
    expect(again.clipNorm).toBe(2);
    expect(again.clipValue).toBe(0.5);
    expect(optim.adam().getConfig()).not.toHaveProperty('clipNorm');
    const m = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
    m.compile({ optimizer: { name: 'rmsprop', clipNorm: 1 }, loss: 'mse' });
    expect(m.optimizer!.clipNorm).toBe(1);
    expect(m.toJSON().training).toMatchObject({ optimizer: { name: 'rmsprop', clipNorm: 1 } });
    m.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
interface LossCase {
  loss: string; yPred: TJ; yTrue: TJ; yTrueDtype: 'float32' | 'int32'; options: Record<string, unknown>; value: number; grad: TJ;
}

describe('labelSmoothing vs CrossEntropyLoss(label_smoothing) and Keras (probabilities)', () => {
  const all = cases<LossCase>('loss');
  const yTrueOf = (c: LossCase) => (c.yTrueDtype === 'int32' ? tensor(Int32Array.from(c.yTrue.data), c.yTrue.shape, 'int32') : t(c.yTrue));
  for (const c of all) {
    it(c.name, () => {
      const fn = (losses as unknown as Record<string, (p: Tensor, y: Tensor, o?: unknown) => Tensor>)[c.loss];
      const yPred = leaf(c.yPred);
      const v = fn(yPred, yTrueOf(c), c.options);
      expectClose(v.dataSync(), c.value, { ...PYTORCH_TOLERANCE, what: 'value' });
      v.backward();
      expectFixture(yPred.grad, c.grad, 'd loss / d yPred');
    });
  }

  it('compile takes { name, labelSmoothing }: the same loss as the direct call', () => {
    for (const c of all.slice(0, 4)) {
      const resolved = losses.getLoss({ name: c.loss, ...c.options });
      expect(resolved.config).toMatchObject({ labelSmoothing: c.options.labelSmoothing });
      const direct = tidy(() => losses.getLoss(c.loss)(t(c.yPred), yTrueOf(c)).dataSync()[0]);
      const smoothed = tidy(() => resolved(t(c.yPred), yTrueOf(c)).dataSync()[0]);
      expectClose([smoothed], [c.value], { ...PYTORCH_TOLERANCE, what: c.name });
      expect(smoothed).not.toBe(direct);
    }
  });

  it('labelSmoothing 0 gives the same bits as no option', () => {
    const c = all[0];
    const a = tidy(() => losses.sparseCategoricalCrossentropy(t(c.yPred), yTrueOf(c), { fromLogits: true }).dataSync()[0]);
    const b = tidy(() => losses.sparseCategoricalCrossentropy(t(c.yPred), yTrueOf(c), { fromLogits: true, labelSmoothing: 0 }).dataSync()[0]);
    expect(b).toBe(a);
  });
});

// ---------------------------------------------------------------------------------------------
interface RegCase {
  conv: Record<string, unknown>; dense: Record<string, unknown>; x: TJ; labels: TJ; weights: TJ[];
  dataLoss: number; penalty: number; loss: number; grads: TJ[]; lr: number; after: TJ[];
}

/** The case's conv2d(relu) + flatten + dense model, as a Sequential or a graph, with its weights. */
function regularizedModel(c: RegCase, graph: boolean): Model {
  const layers = [
    nn.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', ...c.conv } as nn.Conv2DOptions),
    nn.flatten(),
    nn.dense({ units: 4, ...c.dense } as nn.DenseOptions),
  ];
  let m: Model;
  if (graph) {
    const input = nn.input({ shape: [5, 5, 2] });
    m = new Model({ inputs: input, outputs: layers.reduce((h, l) => l.apply(h), input) });
  } else {
    m = new Sequential(layers, { inputShape: [5, 5, 2] });
  }
  m.weights().forEach((w, i) => w.assign(t(c.weights[i])));
  m.compile({ optimizer: optim.sgd({ lr: c.lr }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
  return m;
}

describe('kernelRegularizer / biasRegularizer: the loss and gradients of a regularised model vs PyTorch', () => {
  for (const c of cases<RegCase>('regularized')) {
    const labels = () => tensor(Int32Array.from(c.labels.data), c.labels.shape, 'int32');
    for (const graph of [false, true]) {
      it(`${c.name} (${graph ? 'graph' : 'Sequential'})`, () => {
        const m = regularizedModel(c, graph);
        const x = t(c.x);
        const y = labels();
        expectClose([tidy(() => m.regularizationLoss()!.dataSync()[0])], [c.penalty], { ...PYTORCH_TOLERANCE, what: 'regularizationLoss()' });
        expectClose([m.evaluate(x, y).loss], [c.loss], { ...PYTORCH_TOLERANCE, what: 'evaluate loss (with the penalties, as Keras)' });
        // The gradient of the total loss, through the public pieces.
        tidy(() => {
          const total = losses.sparseCategoricalCrossentropy(m.forward(x, { training: true }) as Tensor, y, { fromLogits: true }).add(m.regularizationLoss()!);
          total.backward();
          m.parameters().forEach((p, i) => expectFixture(p.grad, c.grads[i], `d total / d ${p.name}`));
          m.zeroGrad();
        });
        const r = m.trainOnBatch(x, y);
        expectClose([r.loss], [c.loss], { ...PYTORCH_TOLERANCE, what: 'trainOnBatch loss' });
        m.weights().forEach((w, i) => expectFixture(w, c.after[i], `${w.name} after one SGD step`));
        m.dispose();
      });
    }
  }

  it('fit reports the loss with the penalties; model.json keeps the regularisers and a loaded model has them', async () => {
    const c = cases<RegCase>('regularized')[0];
    const m = regularizedModel(c, false);
    const x = t(c.x);
    const y = tensor(Int32Array.from(c.labels.data), c.labels.shape, 'int32');
    const h = await m.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
    expectClose(h.loss, [c.loss], { ...PYTORCH_TOLERANCE, what: 'fit loss of the first (only) batch' });
    const json = m.toJSON();
    const layers = json.model.layers as unknown as { config: Record<string, unknown> }[];
    expect(layers[0].config.kernelRegularizer).toEqual({ className: 'L2', config: { l2: 0.01 } });
    expect(layers[2].config.biasRegularizer).toEqual({ className: 'L2', config: { l2: 0.5 } });
    expect(layers[1].config).not.toHaveProperty('kernelRegularizer');
    const loaded = Model.fromJSON(json, m.weightsBytes());
    expect(tidy(() => loaded.regularizationLoss()!.dataSync()[0])).toBe(tidy(() => m.regularizationLoss()!.dataSync()[0]));
    m.dispose();
    loaded.dispose();
  });

  it('a frozen layer adds no penalty (Keras counts trainable weights); a model without regularisers has none', () => {
    const c = cases<RegCase>('regularized')[0];
    const m = regularizedModel(c, false);
    const full = tidy(() => m.regularizationLoss()!.dataSync()[0]);
    m.layers[0].trainable = false;
    const dense = tidy(() => m.regularizationLoss()!.dataSync()[0]);
    expect(dense).toBeLessThan(full);
    m.layers[2].trainable = false;
    expect(m.regularizationLoss()).toBeNull();
    m.dispose();
    const plain = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
    expect(plain.regularizationLoss()).toBeNull();
    expect(JSON.stringify(plain.toJSON())).not.toContain('Regularizer');
    plain.dispose();
  });

  it('the factories, names and saved forms give the same penalties as their formulas', () => {
    const w = tensor([[0.5, -2], [1.5, 0.25]]);
    const sumAbs = 4.25;
    const sumSq = 0.25 + 4 + 2.25 + 0.0625;
    const pen = (r: nn.Regularizer) => tidy(() => r.penalty(w).dataSync()[0]);
    expectClose([pen(nn.regularizers.l1(0.1))], [0.1 * sumAbs], { rtol: 1e-6 });
    expectClose([pen(nn.regularizers.l2())], [0.01 * sumSq], { rtol: 1e-6 });
    expectClose([pen(nn.regularizers.l1l2({ l1: 0.2, l2: 0.3 }))], [0.2 * sumAbs + 0.3 * sumSq], { rtol: 1e-6 });
    expect(pen(nn.regularizers.l1l2())).toBe(0);
    expect(nn.regularizers.l1l2({ l2: 0.5 }).toJSON()).toEqual({ className: 'L1L2', config: { l1: 0, l2: 0.5 } });
    for (const spec of ['l2', { className: 'L2', config: { l2: 0.01 } }] as const) {
      const layer = nn.dense({ units: 2, kernelRegularizer: spec });
      expect(layer.kernelRegularizer!.toJSON()).toEqual({ className: 'L2', config: { l2: 0.01 } });
    }
    // Every kernel of a separable conv (depthwise and pointwise) is regularised.
    const sep = nn.separableConv2d({ filters: 2, kernelSize: 3, kernelRegularizer: nn.regularizers.l2(1), useBias: false });
    tidy(() => { sep.apply(tensor(new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3])); });
    const expected = [sep.depthwiseKernel!, sep.pointwiseKernel!].reduce((s, k) => s + Array.from(k.dataSync()).reduce((a, v) => a + v * v, 0), 0);
    expectClose([tidy(() => sep.regularizationLoss()!.dataSync()[0])], [expected], { rtol: 1e-6 });
    sep.dispose();
    w.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
interface ScheduleCase { schedule: { name: string; [k: string]: unknown }; lrs: number[] }

function scheduleOf(s: ScheduleCase['schedule'] | number): optim.LrSchedule | number {
  if (typeof s === 'number') return s;
  const { name, ...o } = s;
  if (name !== 'warmup') return (optim.schedules as unknown as Record<string, (x: unknown) => optim.LrSchedule>)[name](o);
  const inner = scheduleOf(o.schedule as ScheduleCase['schedule'] | number);
  return optim.schedules.warmup(inner, o.steps as number, o.startFactor === undefined ? undefined : { startFactor: o.startFactor as number });
}

describe('warmup / oneCycle vs PyTorch LinearLR + SequentialLR and OneCycleLR', () => {
  for (const c of cases<ScheduleCase>('schedule')) {
    it(c.name, () => {
      const sched = scheduleOf(c.schedule) as optim.LrSchedule;
      expectClose(c.lrs.map((_, e) => sched(e)), c.lrs, { rtol: 1e-6, what: 'lr per step' });
      // Through an optimizer stepped with setEpoch, and after a getConfig / fromConfig round trip.
      const opt = optim.fromConfig(optim.sgd({ lr: sched }).getConfig() as { name: string });
      c.lrs.forEach((lr, e) => { opt.setEpoch(e); expectClose([opt.lr], [lr], { rtol: 1e-6, what: `rebuilt, step ${e}` }); });
    });
  }

  it('oneCycle holds its final rate after the last step; warmup reaches schedule(0) when the schedule takes over', () => {
    const s = optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10 });
    expect(s(9)).toBe(0.1 / 25 / 1e4);
    expect(s(25)).toBe(s(9));
    expect(s(2)).toBe(0.1);
    const w = optim.schedules.warmup(optim.schedules.exponential({ initialLr: 0.2, gamma: 0.5 }), 3);
    expectClose([0, 1, 2, 3, 4].map(w), [0.2 / 4, 0.2 * 2 / 4, 0.2 * 3 / 4, 0.2, 0.1], { rtol: 1e-15 });
  });
});

describe('the extras together in compile / fit / save', () => {
  it('a model with labelSmoothing, clipNorm, a warm-up schedule and a regulariser saves and loads compiled the same, and trains to the same bits', async () => {
    const build = (clipNorm?: number) => {
      const m = new Sequential([nn.dense({ units: 6, activation: 'relu', kernelRegularizer: nn.regularizers.l2(0.1) }), nn.dense({ units: 3, biasRegularizer: 'l1' })], { inputShape: [4] });
      const lr = optim.schedules.warmup(optim.schedules.oneCycle({ maxLr: 0.5, totalSteps: 10 }), 2);
      m.compile({ optimizer: optim.sgd({ lr, momentum: 0.9, ...(clipNorm ? { clipNorm } : {}) }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true, labelSmoothing: 0.1 } });
      return m;
    };
    const x = tensor(Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.7) * 3), [10, 4]);
    const y = tensor(Int32Array.from({ length: 10 }, (_, i) => i % 3), [10], 'int32');
    const m = build(0.05);
    const initial = m.weights().map((w) => tensor(w.dataSync() as Float32Array, w.shape));
    const loaded = await Model.load(await m.save());
    expect(loaded.optimizer!.getConfig()).toEqual(m.optimizer!.getConfig());
    expect(loaded.toJSON().training).toEqual(m.toJSON().training);
    const fitBits = async (model: Model) => {
      await model.fit(x, y, { epochs: 4, batchSize: 5, seed: 3, verbose: 0 });
      return model.weights().map((w) => Array.from(w.dataSync()));
    };
    const trained = await fitBits(m);
    expect(await fitBits(loaded)).toEqual(trained);
    // The clipping is in effect: from the same start, the same run without it ends elsewhere.
    const unclipped = build();
    unclipped.weights().forEach((w, i) => w.assign(initial[i]));
    expect(await fitBits(unclipped)).not.toEqual(trained);
    for (const model of [m, loaded, unclipped]) model.dispose();
    for (const w of initial) w.dispose();
    x.dispose();
    y.dispose();
  });

  it('a per-batch oneCycle through an onBatchBegin callback gives each batch the rate of its step', async () => {
    const totalSteps = 12;
    const sched = optim.schedules.oneCycle({ maxLr: 0.2, totalSteps });
    const m = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
    m.compile({ optimizer: optim.sgd({ lr: sched }), loss: 'mse' });
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => i / 24), [8, 3]);
    const y = tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 3) / 3), [8, 2]);
    let step = 0;
    const seen: number[] = [];
    await m.fit(x, y, {
      epochs: 3, batchSize: 2, verbose: 0,
      callbacks: { onBatchBegin: () => { m.optimizer!.setEpoch(step++); }, onBatchEnd: () => { seen.push(m.optimizer!.lr); } },
    });
    expect(seen).toEqual(Array.from({ length: totalSteps }, (_, e) => sched(e)));
    m.dispose();
    x.dispose();
    y.dispose();
  });
});
