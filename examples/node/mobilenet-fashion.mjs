// The MobileNetV2-style network of examples/node/architectures.mjs (inverted residuals, depthwise
// convolutions, squeeze-and-excitation, hard-swish) trained briefly on Fashion-MNIST.
//
// Run:  node examples/node/mobilenet-fashion.mjs                    (1 epoch on 12,000 images, a few minutes)
//       node examples/node/mobilenet-fashion.mjs --epochs 20 --train 0 --threads 2   (all 60,000 images)
// Flags: --epochs E, --threads N, --batch B, --train N (training images, 0 = all), --lr LR,
//        --data DIR (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
// Prints the model summary, a progress line every 50 batches, one line per epoch (loss, train and
// test accuracy, seconds, images/s), then the final test accuracy, wall time and images/s.
import { init, setSeed, shutdown, backendInfo } from 'wasm-cnn';
import { loadIdxDataset } from 'wasm-cnn/node';
import { mobilenetV2 } from './architectures.mjs';
import { parseFlags, head, train } from './train-loop.mjs';

const flags = parseFlags({ epochs: 1, threads: 1, batch: 64, train: 12000, lr: 0.05, data: '/usr/share/datasets/fashion-mnist' });
await init({ threads: flags.threads });
setSeed(1);
const dataset = loadIdxDataset(flags.data);
const trainSplit = head(dataset.train, flags.train);
console.log(`Fashion-MNIST: ${trainSplit.x.shape[0]} training / ${dataset.test.x.shape[0]} test images; ` +
  `${backendInfo().threads} thread(s), batch ${flags.batch}, ${flags.epochs} epoch(s)`);

// Stride 2 in the stem: 28x28 -> 14x14, then 7x7 and 4x4 in the blocks.
const model = mobilenetV2({ inputShape: [28, 28, 1], classes: 10 });
console.log(model.summary());

const t0 = performance.now();
const history = await train(model, trainSplit, dataset.test, {
  epochs: flags.epochs, batch: flags.batch, lr: flags.lr, weightDecay: 4e-5,
  augment: { randomCrop: { padding: 2 }, flipHorizontal: true },
});
const wall = (performance.now() - t0) / 1000;
const trainSeconds = history.reduce((s, h) => s + h.seconds, 0);
console.log(`test accuracy ${history[history.length - 1].testAccuracy.toFixed(2)}% after ${flags.epochs} epoch(s); ` +
  `wall time ${wall.toFixed(1)} s, ${((trainSplit.x.shape[0] * flags.epochs) / trainSeconds).toFixed(0)} images/s`);
shutdown();
