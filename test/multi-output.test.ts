// Training a graph model with several outputs: a shared trunk with a classification head and a
// regression head. The total loss is the weighted sum of the per-output losses (checked against
// the losses module by hand), one trainOnBatch step is bit-identical to summing the losses with
// raw autograd and the same optimizer, fit lowers both losses, logs them under Keras' names and
// leaves no tensor behind; save / Model.load keep the losses and their weights.
import { describe, it, expect } from 'vitest';
import { Model, nn, optim, losses, tensor, tidy, setSeed, backendInfo, Tensor } from '../src/index.js';
import { randomValues } from './reference/gradcheck.js';

const N = 24, FEATURES = 6, CLASSES = 3;

/** Seeded features, a class label (argmax of the first 3 features) and a linear regression target. */
function data(seed: number, n = N): { x: Tensor; label: Tensor; target: Tensor } {
  const xs = Float32Array.from(randomValues(n * FEATURES, seed));
  const labels = new Int32Array(n);
  const targets = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const r = xs.subarray(i * FEATURES, (i + 1) * FEATURES);
    labels[i] = r[0] >= r[1] && r[0] >= r[2] ? 0 : r[1] >= r[2] ? 1 : 2;
    targets[2 * i] = r[3] - r[4];
    targets[2 * i + 1] = 0.5 * r[5] + r[0];
  }
  return { x: tensor(xs, [n, FEATURES]), label: tensor(labels, [n], 'int32'), target: tensor(targets, [n, 2]) };
}

/** Trunk dense(8, relu) feeding 'cls' (3 logits) and 'reg' (2 values); seeded weights. */
function twoHeads(seed = 7): Model {
  setSeed(seed);
  const input = nn.input({ shape: [FEATURES] });
  const trunk = nn.dense({ units: 8, activation: 'relu', name: 'trunk' }).apply(input);
  const cls = nn.dense({ units: CLASSES, name: 'cls' }).apply(trunk);
  const reg = nn.dense({ units: 2, name: 'reg' }).apply(trunk);
  return new Model({ inputs: input, outputs: [cls, reg], name: 'two_heads' });
}

const clsLoss = { name: 'sparseCategoricalCrossentropy', fromLogits: true };
const byHand = (l: Tensor) => tidy(() => l.dataSync()[0]);

describe('multi-output training', () => {
  it('evaluate: the total is the weighted sum of the per-output losses computed by hand', () => {
    const m = twoHeads();
    m.compile({ optimizer: 'sgd', loss: [clsLoss, 'mse'], lossWeights: [1, 0.5], metrics: ['accuracy'] });
    const { x, label, target } = data(1);
    const r = m.evaluate(x, [label, target], { batchSize: N });
    const [logits, values] = m.predict(x) as unknown as Tensor[];
    const l0 = byHand(losses.sparseCategoricalCrossentropy(logits, label, { fromLogits: true }));
    const l1 = byHand(losses.meanSquaredError(values, target));
    expect(r.cls_loss).toBe(l0);
    expect(r.reg_loss).toBe(l1);
    expect(r.loss).toBeCloseTo(l0 + 0.5 * l1, 6);
    expect(r.accuracy).toBeUndefined();
    const p = logits.dataSync(), y = label.dataSync();
    let right = 0;
    for (let i = 0; i < N; i++) {
      const row = Array.from(p.subarray(i * CLASSES, (i + 1) * CLASSES));
      if (row.indexOf(Math.max(...row)) === y[i]) right++;
    }
    expect(r.cls_accuracy).toBe(right / N);
    expect(typeof r.reg_accuracy).toBe('number');
    // In batches the per-output losses are sample-weighted means of the batches.
    const batched = m.evaluate(x, [label, target], { batchSize: 5 });
    expect(batched.cls_loss).toBeCloseTo(l0, 5);
    expect(batched.reg_loss).toBeCloseTo(l1, 5);
    for (const t of [x, label, target, logits, values]) t.dispose();
    m.dispose();
  });

  it('one loss applies to every output, with unit weights', () => {
    const m = twoHeads();
    const { x, target } = data(2);
    const other = tensor(randomValues(N * CLASSES, 3), [N, CLASSES]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const r = m.evaluate(x, [other, target], { batchSize: N });
    const [a, b] = m.predict(x) as unknown as Tensor[];
    const l0 = byHand(losses.meanSquaredError(a, other)), l1 = byHand(losses.meanSquaredError(b, target));
    expect([r.cls_loss, r.reg_loss]).toEqual([l0, l1]);
    expect(r.loss).toBeCloseTo(l0 + l1, 6);
    for (const t of [x, target, other, a, b]) t.dispose();
    m.dispose();
  });

  it('trainOnBatch is bit-identical to summing the weighted losses with raw autograd', () => {
    const viaModel = twoHeads(11), manual = twoHeads(11);
    const { x, label, target } = data(4);
    viaModel.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: [clsLoss, (p: Tensor, t: Tensor) => losses.meanSquaredError(p, t)], lossWeights: [1, 0.25] });
    const opt = optim.adam({ lr: 0.01 }, manual.parameters());
    for (let step = 0; step < 3; step++) {
      const r = viaModel.trainOnBatch(x, [label, target]);
      const total = tidy(() => {
        const [logits, values] = manual.forward(x, { training: true }) as Tensor[];
        const loss = losses.sparseCategoricalCrossentropy(logits, label, { fromLogits: true })
          .add(losses.meanSquaredError(values, target).mul(0.25));
        loss.backward();
        opt.step();
        return loss.dataSync()[0];
      });
      manual.zeroGrad();
      expect(r.loss).toBe(total);
      expect(Object.keys(r).sort()).toEqual(['cls_loss', 'loss', 'reg_loss']);
    }
    const a = viaModel.weights(), b = manual.weights();
    expect(a.length).toBe(b.length);
    a.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b[i].dataSync())));
    for (const t of [x, label, target]) t.dispose();
    viaModel.dispose(); manual.dispose(); opt.dispose();
  });

  it('fit lowers both losses and logs them per output, with validation', async () => {
    const m = twoHeads();
    m.compile({ optimizer: optim.adam({ lr: 0.02 }), loss: [clsLoss, 'mse'], lossWeights: [1, 2], metrics: ['accuracy'] });
    const train = data(5, 64), val = data(6, 16);
    const epochKeys: string[][] = [];
    await m.fit(train.x, [train.label, train.target], { epochs: 1, batchSize: 16, verbose: 0, seed: 2 }); // optimizer state exists from here
    const live = backendInfo().liveTensors;
    const h = await m.fit(train.x, [train.label, train.target], {
      epochs: 25, batchSize: 16, verbose: 0, seed: 3, validationData: [val.x, [val.label, val.target]],
      onEpochEnd: (_e, logs) => { epochKeys.push(Object.keys(logs)); },
    });
    expect(Object.keys(h).sort()).toEqual([
      'cls_accuracy', 'cls_loss', 'loss', 'reg_accuracy', 'reg_loss',
      'valLoss', 'val_cls_accuracy', 'val_cls_loss', 'val_reg_accuracy', 'val_reg_loss',
    ]);
    expect(epochKeys[0].sort()).toEqual(Object.keys(h).sort());
    const last = (k: string) => h[k]![h[k]!.length - 1];
    expect(h.loss).toHaveLength(25);
    expect(last('cls_loss')).toBeLessThan(0.7 * h.cls_loss![0]);
    expect(last('reg_loss')).toBeLessThan(0.5 * h.reg_loss![0]);
    expect(last('valLoss')).toBeLessThan(h.valLoss![0]);
    for (let e = 0; e < 25; e++) expect(h.loss[e]).toBeCloseTo(h.cls_loss![e] + 2 * h.reg_loss![e], 4);
    expect(backendInfo().liveTensors).toBe(live);
    for (const t of [train.x, train.label, train.target, val.x, val.label, val.target]) t.dispose();
    m.dispose();
  });

  it('validationSplit takes the same rows of every target', async () => {
    const m = twoHeads();
    m.compile({ optimizer: 'sgd', loss: [clsLoss, 'mse'] });
    const { x, label, target } = data(8);
    const h = await m.fit(x, [label, target], { epochs: 1, verbose: 0, validationSplit: 0.25, shuffle: false });
    const tail = (t: Tensor) => tensor(t.dataSync().slice(18 * (t.size / N)), [6, ...t.shape.slice(1)], t.dtype);
    const [xv, lv, tv] = [tail(x), tail(label), tail(target)];
    const r = m.evaluate(xv, [lv, tv]);
    expect([h.valLoss![0], h.val_cls_loss![0], h.val_reg_loss![0]]).toEqual([r.loss, r.cls_loss, r.reg_loss]);
    for (const t of [x, label, target, xv, lv, tv]) t.dispose();
    m.dispose();
  });

  it('save and Model.load keep the losses and lossWeights: the loaded model evaluates to the same numbers', async () => {
    const m = twoHeads();
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: [clsLoss, 'mse'], lossWeights: [0.25, 2], metrics: ['accuracy'] });
    const { x, label, target } = data(9);
    expect(m.toJSON().training?.lossWeights).toEqual([0.25, 2]);
    const loaded = await Model.load(await m.save());
    expect(loaded.evaluate(x, [label, target])).toEqual(m.evaluate(x, [label, target]));
    for (const t of [x, label, target]) t.dispose();
    m.dispose(); loaded.dispose();
  });
});
