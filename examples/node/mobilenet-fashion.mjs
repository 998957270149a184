// The MobileNetV2-style network of examples/node/architectures.mjs (inverted residuals, depthwise
// convolutions, squeeze-and-excitation, hard-swish) trained briefly on Fashion-MNIST.
//
// Run:  node examples/node/mobilenet-fashion.mjs                    (3 epochs on all 60,000 images, a few minutes)
//       node examples/node/mobilenet-fashion.mjs --epochs 20 --threads 2   (a longer run)
// Flags: --epochs E, --threads N, --batch B, --train N (training images, 0 = all), --lr LR,
//        --data DIR (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
// Prints the model summary, a progress line every 50 batches, one line per epoch (loss, train and
// test accuracy, seconds, images/s), then the final test accuracy, wall time and images/s.
import { shutdown } from 'wasm-cnn';
import { mobilenetV2 } from './architectures.mjs';
import { parseFlags, loadFashion, train, report, FASHION_MNIST } from './train-loop.mjs';

const flags = parseFlags({ epochs: 3, threads: 1, batch: 64, train: 0, lr: 0.05, data: FASHION_MNIST });
const { train: trainSplit, test } = await loadFashion(flags);

// Stride 2 in the stem: 28x28 -> 14x14, then 7x7 and 4x4 in the blocks. Batch-norm momentum 0.9
// (PyTorch's 0.1): a short run's moving statistics must catch up with the data quickly.
const model = mobilenetV2({ inputShape: [28, 28, 1], classes: 10, momentum: 0.9 });
console.log(model.summary());

const t0 = performance.now();
const history = await train(model, trainSplit, test, {
  epochs: flags.epochs, batch: flags.batch, lr: flags.lr, weightDecay: 4e-5,
  augment: { randomCrop: { padding: 2 }, flipHorizontal: true },
});
report(history, trainSplit.x.shape[0], (performance.now() - t0) / 1000);
shutdown();
