// fit's classWeight and sampleWeight against PyTorch-computed fixtures (Keras' normalisation: the
// weighted sum of per-sample losses over the batch size), and their properties: all-ones weights
// change nothing, zero weights remove a sample's gradient, the epoch loss is the weighted one.
import { describe, it, expect } from 'vitest';
import { Sequential, nn, optim, tensor, backendInfo, type Tensor as T } from '../src/index.js';
import { fixtureCases, fixtureTensor, PYTORCH_TOLERANCE, type FixtureTensor } from './harness/fixtures.js';
import { expectClose } from './harness/close.js';

interface WeightCase {
  name: string; loss: string; x: FixtureTensor; y: FixtureTensor; W: FixtureTensor; b: FixtureTensor;
  value: number; dW: FixtureTensor; db: FixtureTensor; classWeight?: Record<string, number>; sampleWeight?: FixtureTensor;
}

const LR = 0.5;

/** One dense layer holding the fixture's W and b, compiled with its loss and plain SGD. */
function denseModel(c: WeightCase): Sequential {
  const m = new Sequential([nn.dense({ units: c.W.shape[1] })], { inputShape: [c.W.shape[0]] });
  const layer = m.layers[0] as nn.Dense;
  layer.kernel!.view().set(c.W.data);
  layer.bias!.view().set(c.b.data);
  m.compile({ optimizer: optim.sgd({ lr: LR }), loss: { name: c.loss, ...(c.loss === 'meanSquaredError' ? {} : { fromLogits: true }) } });
  return m;
}

const targets = (c: WeightCase): T => (c.loss === 'sparseCategoricalCrossentropy' ? tensor(Int32Array.from(c.y.data), c.y.shape, 'int32') : fixtureTensor(c.y));

describe('classWeight / sampleWeight against PyTorch (Keras normalisation)', () => {
  for (const c of fixtureCases<WeightCase>('sample-weights.json')) {
    it(c.name, async () => {
      const m = denseModel(c);
      const x = fixtureTensor(c.x);
      const y = targets(c);
      const sw = c.sampleWeight ? fixtureTensor(c.sampleWeight) : undefined;
      const h = await m.fit(x, y, { epochs: 1, batchSize: c.x.shape[0], shuffle: false, verbose: 0, classWeight: c.classWeight, sampleWeight: sw });
      expectClose([h.loss[0]], [c.value], { ...PYTORCH_TOLERANCE, what: 'weighted loss' });
      const layer = m.layers[0] as nn.Dense;
      expectClose(layer.kernel!.dataSync(), c.W.data.map((w, i) => w - LR * c.dW.data[i]), { ...PYTORCH_TOLERANCE, what: 'W after one step' });
      expectClose(layer.bias!.dataSync(), c.b.data.map((b, i) => b - LR * c.db.data[i]), { ...PYTORCH_TOLERANCE, what: 'b after one step' });
      m.dispose();
    });
  }
});

describe('sample weight properties', () => {
  const c = fixtureCases<WeightCase>('sample-weights.json')[0];
  const n = c.x.shape[0];

  async function run(options: Record<string, unknown>, batchSize = 4): Promise<{ loss: number; w: Float32Array }> {
    const m = denseModel(c);
    const h = await m.fit(fixtureTensor(c.x), targets(c), { epochs: 1, batchSize, shuffle: false, verbose: 0, ...options });
    const w = (m.layers[0] as nn.Dense).kernel!.dataSync() as Float32Array;
    m.dispose();
    return { loss: h.loss[0], w };
  }

  it('weights of one give the unweighted run bit for bit; classWeight equals its sampleWeight', async () => {
    const plain = await run({});
    const ones = await run({ sampleWeight: tensor(new Float32Array(n).fill(1)) });
    expect(ones.loss).toBe(plain.loss);
    expect(Array.from(ones.w)).toEqual(Array.from(plain.w));
    const cw = c.classWeight!;
    const labels = c.y.data;
    const byClass = await run({ classWeight: cw });
    const bySample = await run({ sampleWeight: tensor(Float32Array.from(labels, (l) => cw[String(l)] ?? 1)) });
    expect(byClass.loss).toBe(bySample.loss);
    expect(Array.from(byClass.w)).toEqual(Array.from(bySample.w));
  });

  it('the loss is sum w_i loss_i over the batch size; zero weights leave the model unchanged', async () => {
    // Doubling every weight doubles the loss (Keras does not divide by the sum of the weights);
    // one batch, so the loss is measured before any update.
    const base = await run({ sampleWeight: tensor(new Float32Array(n).fill(1)) }, n);
    const twice = await run({ sampleWeight: tensor(new Float32Array(n).fill(2)) }, n);
    expect(twice.loss).toBe(2 * base.loss);
    // Weight 0 for every sample: loss 0 and no change to the weights.
    const zero = await run({ sampleWeight: tensor(new Float32Array(n)) }, 3);
    expect(zero.loss).toBe(0);
    expect(Array.from(zero.w)).toEqual(c.W.data.map((v) => Math.fround(v)));
  });

  it('a weighted fit (with metrics and validation) leaves no tensor behind', async () => {
    const m = denseModel(c);
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy', 'topK:2', 'f1'] });
    const x = fixtureTensor(c.x), y = targets(c), w = tensor(new Float32Array(n).fill(0.5));
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, sampleWeight: w, validationData: [x, y] });
    const before = backendInfo().liveTensors;
    await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, sampleWeight: w, validationData: [x, y] });
    expect(backendInfo().liveTensors).toBe(before);
    m.dispose();
  });
});
