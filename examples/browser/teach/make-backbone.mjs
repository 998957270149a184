#!/usr/bin/env node
// Trains the small backbone that the "teach it your own classes" panel fine-tunes, and writes it
// to examples/browser/teach/backbone/ (model.json + weights.bin). A digit classifier whose last
// layer the page replaces: three 3x3 conv layers (8, 16, 32 filters) with max pooling, global
// average pooling to 32 features, dense 10. Trained on the 8,000 training digits of the `mnist`
// package with random shifts, rotation and zoom (data.augment), so its features tolerate the
// sloppy drawings and photos a user gives; the held-out 2,000 measure it. Seeded: the same weights every run.
//   node examples/browser/teach/make-backbone.mjs [--epochs 6]
import { mkdirSync } from 'node:fs';
import * as W from '../../../dist/index.js';
import { loadMnistDigits } from '../../../dist/node.js';

const epochsArg = process.argv.indexOf('--epochs');
const EPOCHS = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 6;
const OUT = new URL('./backbone/', import.meta.url);

export function buildBackbone() {
  const { nn } = W;
  return new W.Sequential([
    nn.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv3' }),
    nn.globalAvgPool2d({ name: 'features' }),
    nn.dense({ units: 10, name: 'digits' }),
  ], { inputShape: [28, 28, 1] });
}

await W.init({ threads: 1 });
W.setSeed(7);
const ds = loadMnistDigits();
const model = buildBackbone();
model.compile({
  optimizer: W.optim.adam({ lr: W.optim.schedules.cosine({ initialLr: 0.01, totalSteps: EPOCHS, minLr: 0 }) }),
  loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
  metrics: ['accuracy'],
});
const t0 = performance.now();
await model.fit(ds.train.x, ds.train.y, {
  epochs: EPOCHS, batchSize: 64, verbose: 0, seed: 7,
  augment: (xb) => W.data.augment(xb, { randomCrop: { padding: 2 }, rotation: 12, zoom: 0.12 }),
  onEpochEnd: (e, logs) => console.log(`epoch ${e + 1}/${EPOCHS}: loss ${logs.loss.toFixed(4)}, accuracy ${(100 * logs.accuracy).toFixed(2)}%`),
});
const { accuracy } = model.evaluate(ds.test.x, ds.test.y, { batchSize: 500 });
mkdirSync(OUT, { recursive: true });
await model.save(OUT.pathname);
console.log(`held-out accuracy ${(100 * accuracy).toFixed(2)}% on ${ds.test.y.shape[0]} digits; ${model.countParams()} parameters; ` +
  `${((performance.now() - t0) / 1000).toFixed(0)} s; saved to ${OUT.pathname}`);
await W.shutdown();
