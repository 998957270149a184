// The compiled metrics ('topK:k', 'precision', 'recall', 'f1', with 'accuracy') and
// model.confusionMatrix against naive references on random predictions (ties included), their
// keys in History / logs / the progress lines, and their errors.
import { describe, it, expect } from 'vitest';
import { Sequential, Model, nn, tensor, ShapeError, ValueError } from '../src/index.js';
import { confusionRef, topKRef, scoresRef, argmaxRef } from './reference/metrics.js';
import { expectClose } from './harness/close.js';

/** Deterministic scores in steps of 0.25 (so rows have ties) and labels, for n rows of c classes. */
function randomPredictions(n: number, c: number, seed: number): { scores: Float32Array; labels: Int32Array } {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const scores = Float32Array.from({ length: n * c }, () => Math.floor(rnd() * 12) / 4 - 1.5);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rnd() * c));
  return { scores, labels };
}

/** A model that outputs its input, so evaluate's metrics are those of the given scores. */
function passThrough(c: number, metrics: string[], loss: unknown = { name: 'sparseCategoricalCrossentropy', fromLogits: true }): Sequential {
  const m = new Sequential([nn.activation('linear')], { inputShape: [c] });
  m.compile({ optimizer: 'sgd', loss: loss as any, metrics });
  return m;
}

const METRICS = ['accuracy', 'topK:1', 'topK:3', 'precision', 'recall', 'f1'];

describe('metrics against naive references', () => {
  for (const [n, c, seed, batch] of [[200, 7, 1, 32], [97, 10, 2, 13], [64, 3, 3, 64], [50, 2, 7, 9]] as const) {
    it(`${n} random rows of ${c} classes, batches of ${batch}`, () => {
      const { scores, labels } = randomPredictions(n, c, seed);
      const x = tensor(scores, [n, c]);
      const y = tensor(labels, [n], 'int32');
      const m = passThrough(c, METRICS);
      const r = m.evaluate(x, y, { batchSize: batch });
      const cm = confusionRef(scores, labels, c);
      const want = scoresRef(cm);
      const right = labels.reduce((a, l, i) => a + (argmaxRef(scores.subarray(i * c, (i + 1) * c)) === l ? 1 : 0), 0);
      expect(r.accuracy).toBe(right / n);
      expect(r.topK1).toBe(topKRef(scores, labels, c, 1) / n);
      expect(r.topK3).toBe(topKRef(scores, labels, c, 3) / n);
      expectClose([r.precision!, r.recall!, r.f1!], [want.precision, want.recall, want.f1], { rtol: 1e-12, what: 'precision, recall, f1' });
      // Ties make top-1 differ from argmax accuracy: top-1 counts a tied maximum as a hit.
      expect(r.topK1).toBeGreaterThan(r.accuracy!);

      const got = m.confusionMatrix(x, y, { batchSize: batch });
      expect(got.dtype).toBe('int32');
      expect(got.shape).toEqual([c, c]);
      expect(Array.from(got.dataSync())).toEqual(cm.flat());
      for (const t of [x, y, got]) t.dispose();
      m.dispose();
    });
  }

  it('one-hot targets give the same values as int32 labels', () => {
    const n = 60, c = 5;
    const { scores, labels } = randomPredictions(n, c, 9);
    const oneHot = new Float32Array(n * c);
    labels.forEach((l, i) => { oneHot[i * c + l] = 1; });
    const x = tensor(scores, [n, c]);
    const yi = tensor(labels, [n], 'int32');
    const yh = tensor(oneHot, [n, c]);
    const a = passThrough(c, METRICS).evaluate(x, yi, { batchSize: 16 });
    const b = passThrough(c, METRICS, { name: 'categoricalCrossentropy', fromLogits: true }).evaluate(x, yh, { batchSize: 16 });
    for (const k of ['accuracy', 'topK1', 'topK3', 'precision', 'recall', 'f1']) expect(b[k]).toBe(a[k]);
  });

  it('one output unit: precision, recall and f1 of the positive class (threshold 0 with logits)', () => {
    const n = 80;
    const { scores } = randomPredictions(n, 1, 5);
    const { labels } = randomPredictions(n, 2, 6);
    const x = tensor(scores, [n, 1]);
    const y = tensor(Float32Array.from(labels), [n, 1]);
    const m = passThrough(1, ['accuracy', 'precision', 'recall', 'f1'], { name: 'binaryCrossentropy', fromLogits: true });
    const r = m.evaluate(x, y, { batchSize: 11 });
    const cm = [[0, 0], [0, 0]];
    labels.forEach((l, i) => { cm[l][scores[i] > 0 ? 1 : 0]++; });
    const want = scoresRef(cm, true);
    expectClose([r.precision!, r.recall!, r.f1!], [want.precision, want.recall, want.f1], { rtol: 1e-12 });
    expect(r.accuracy).toBe((cm[0][0] + cm[1][1]) / n);
    expect(Array.from(m.confusionMatrix(x, y).dataSync())).toEqual(cm.flat());
  });

  it('a class never predicted nor present scores 0 in the macro mean', () => {
    // 3 classes, class 2 absent from labels and predictions: precision = (1 + 1 + 0) / 3.
    const x = tensor([[2, 0, -1], [0, 2, -1], [2, 0, -1]]);
    const y = tensor(new Int32Array([0, 1, 0]), [3], 'int32');
    const r = passThrough(3, ['precision', 'recall', 'f1']).evaluate(x, y);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
  });
});

describe('metric keys in fit', () => {
  it('History, logs and progress lines name the metrics as valid identifiers (topK3, valTopK3, valF1)', async () => {
    const n = 40, c = 4;
    const { scores, labels } = randomPredictions(n, c, 11);
    const x = tensor(scores, [n, c]);
    const y = tensor(labels, [n], 'int32');
    const m = new Sequential([nn.dense({ units: c })], { inputShape: [c] });
    m.compile({ optimizer: 'sgd', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy', 'topK:3', 'precision', 'recall', 'f1'] });
    const lines: string[] = [];
    const h = await m.fit(x, y, { epochs: 2, batchSize: 16, validationData: [x, y], log: (l) => lines.push(l) });
    expect(Object.keys(h)).toEqual(['loss', 'accuracy', 'topK3', 'precision', 'recall', 'f1', 'valLoss', 'valAccuracy', 'valTopK3', 'valPrecision', 'valRecall', 'valF1']);
    for (const v of Object.values(h)) expect(v).toHaveLength(2);
    // Validation on the training data after the last epoch equals evaluate.
    const e = m.evaluate(x, y);
    expect(h.valF1![1]).toBe(e.f1);
    expect(h.valTopK3![1]).toBe(e.topK3);
    expect(lines[1]).toMatch(/ - topK3: [\d.]+ - precision: [\d.]+ - recall: [\d.]+ - f1: [\d.]+ - val_loss: [\d.]+ .* - val_topK3: [\d.]+ .* - val_f1: [\d.]+$/);
  });

  it('several outputs: <output>_<metric> and val_<output>_<metric>', async () => {
    const input = nn.input({ shape: [3] });
    const a = nn.dense({ units: 3, name: 'a' }).apply(input);
    const b = nn.dense({ units: 1, name: 'b' }).apply(input);
    const m = new Model({ inputs: input, outputs: [a, b] });
    m.compile({ optimizer: 'sgd', loss: [{ name: 'sparseCategoricalCrossentropy', fromLogits: true }, { name: 'binaryCrossentropy', fromLogits: true }], metrics: ['f1', 'accuracy'] });
    const x = tensor(new Float32Array(24).map((_, i) => Math.sin(i)), [8, 3]);
    const ya = tensor(new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]), [8], 'int32');
    const yb = tensor(new Float32Array([0, 1, 0, 1, 1, 0, 0, 1]), [8, 1]);
    const h = await m.fit(x, [ya, yb], { epochs: 1, verbose: 0, validationData: [x, [ya, yb]] });
    expect(Object.keys(h)).toEqual(['loss', 'a_loss', 'b_loss', 'a_f1', 'a_accuracy', 'b_f1', 'b_accuracy',
      'valLoss', 'val_a_loss', 'val_b_loss', 'val_a_f1', 'val_a_accuracy', 'val_b_f1', 'val_b_accuracy']);
    const cm = m.confusionMatrix(x, yb, { output: 'b' });
    expect(cm.shape).toEqual([2, 2]);
    expect(cm.dataSync().reduce((s, v) => s + v, 0)).toBe(8);
  });

  it('model.json keeps the metric names; a loaded model compiles with them', async () => {
    const m = passThrough(4, ['accuracy', 'topK:2', 'f1']);
    expect(m.toJSON().training!.metrics).toEqual(['accuracy', 'topK:2', 'f1']);
    const back = Model.fromJSON(m.toJSON(), m.weightsBytes());
    const x = tensor([[1, 2, 3, 4]]);
    const y = tensor(new Int32Array([2]), [1], 'int32');
    expect(Object.keys(back.evaluate(x, y))).toEqual(['loss', 'accuracy', 'topK2', 'f1']);
  });
});

describe('metric errors', () => {
  it('compile rejects unknown metrics and a bad k; topK on one unit is a ShapeError at the first batch', async () => {
    const m = new Sequential([nn.dense({ units: 1 })], { inputShape: [2] });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['topK:0'] })).toThrow(ValueError);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['topK:x'] })).toThrow(/'topK:k'/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['auc'] })).toThrow(/unknown metric "auc"/);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['topK:2'] });
    const x = tensor([[1, 2]]);
    const y = tensor([[1]]);
    expect(() => m.evaluate(x, y)).toThrow(ShapeError);
    expect(() => m.evaluate(x, y)).toThrow(/topK:2: cannot compare predictions \[1,1\]/);
  });

  it('confusionMatrix checks its options and labels', () => {
    const m = passThrough(3, []);
    const x = tensor([[1, 2, 3]]);
    expect(() => m.confusionMatrix(x, tensor(new Int32Array([3]), [1], 'int32'))).toThrow(/label 3 at index 0 is out of range for 3 classes/);
    expect(() => m.confusionMatrix(x, tensor(new Int32Array([1]), [1], 'int32'), { output: 1 })).toThrow(/option 'output'/);
    expect(() => m.confusionMatrix(x, tensor(new Int32Array([1]), [1], 'int32'), { batchSize: 0 })).toThrow(/batchSize/);
  });
});
