// The ResNet of examples/node/architectures.mjs (bench/pytorch-resnet.py's network) trained on
// Fashion-MNIST with random crops (padding 2), horizontal flips and a cosine learning rate.
//
// Run:  node examples/node/resnet-fashion.mjs                      (1 epoch on 12,000 images, a few minutes)
//       node examples/node/resnet-fashion.mjs --epochs 30 --train 0 --threads 2   (the full run: all
//       60,000 images, about an hour on two idle cores; reaches about 94.5% test accuracy)
// Flags: --epochs E, --threads N, --batch B, --train N (training images, 0 = all), --blocks K, --lr LR,
//        --data DIR (default /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
// Prints the model summary, a progress line every 50 batches, one line per epoch (loss, train and
// test accuracy, seconds, images/s), then the final test accuracy, wall time and images/s.
// PyTorch's time for the same network: /usr/bin/python3 bench/pytorch-resnet.py --threads 2 --epochs 1
import { shutdown } from 'wasm-cnn';
import { resnet } from './architectures.mjs';
import { parseFlags, loadFashion, train, report, FASHION_MNIST } from './train-loop.mjs';

const flags = parseFlags({ epochs: 1, threads: 1, batch: 64, train: 12000, blocks: 2, lr: 0.05, data: FASHION_MNIST });
const { train: trainSplit, test } = await loadFashion(flags);

const model = resnet({ inputShape: [28, 28, 1], classes: 10, blocks: flags.blocks });
console.log(model.summary());

const t0 = performance.now();
const history = await train(model, trainSplit, test, {
  epochs: flags.epochs, batch: flags.batch, lr: flags.lr,
  augment: { randomCrop: { padding: 2 }, flipHorizontal: true },
});
report(history, trainSplit.x.shape[0], (performance.now() - t0) / 1000);
shutdown();
