// What the Fashion-MNIST examples share (unet-digits.mjs uses the flags parser too): command-line
// flags, loading, a plain training loop with per-batch augmentation and a per-step cosine learning
// rate, batched test accuracy and the closing report.
import { init, setSeed, backendInfo, tidy, noGrad, ops, losses, optim, data } from 'wasm-cnn';
import { loadIdxDataset } from 'wasm-cnn/node';

export const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** `--name value` flags over `defaults` (numbers stay numbers). */
export function parseFlags(defaults, argv = process.argv.slice(2)) {
  const flags = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in defaults) || argv[i + 1] === undefined) {
      throw new Error(`unknown flag ${argv[i]} (known: ${Object.keys(defaults).map((k) => '--' + k).join(', ')})`);
    }
    flags[key] = typeof defaults[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return flags;
}

/**
 * Starts the kernels with `flags.threads`, seeds, loads Fashion-MNIST from `flags.data` and keeps
 * the first `flags.train` training images (0 = all 60,000); prints what it loaded.
 */
export async function loadFashion(flags) {
  await init({ threads: flags.threads });
  setSeed(1);
  const dataset = loadIdxDataset(flags.data);
  const trainSplit = head(dataset.train, flags.train);
  console.log(`Fashion-MNIST: ${trainSplit.x.shape[0]} training / ${dataset.test.x.shape[0]} test images; ` +
    `${backendInfo().threads} thread(s), batch ${flags.batch}, ${flags.epochs} epoch(s)`);
  return { train: trainSplit, test: dataset.test };
}

/** The first `count` rows of a split (all of it when count is 0 or larger). */
function head({ x, y }, count) {
  const n = count > 0 ? Math.min(count, x.shape[0]) : x.shape[0];
  return { x: x.slice([0, 0, 0, 0], [n, -1, -1, -1]), y: y.slice([0], [n]) };
}

/** How many rows of `logits` have their largest value at the int32 label. */
function countCorrect(logits, labels) {
  const predicted = tidy(() => ops.argMax(logits, -1).dataSync());
  const truth = labels.dataSync();
  return predicted.reduce((n, p, i) => n + (p === truth[i] ? 1 : 0), 0);
}

/** Test accuracy in percent, predicting `batchSize` images at a time. */
export function accuracy(model, { x, y }, batchSize = 500) {
  let right = 0;
  noGrad(() => {
    for (const [xb, yb] of data.batches(x, y, batchSize)) right += tidy(() => countCorrect(model.forward(xb), yb));
  });
  return (100 * right) / x.shape[0];
}

/**
 * Trains `model` on `train` with SGD (momentum 0.9, Nesterov, weight decay) and a cosine learning
 * rate over every step of every epoch, augmenting each batch with `augment` options (random crop
 * with padding, horizontal flip). Prints one progress line every `logEvery` batches and one line
 * per epoch (loss, train accuracy, test accuracy, time, images/s). Returns the per-epoch records.
 */
export async function train(model, train, test, { epochs, batch, lr, weightDecay = 5e-4, augment, logEvery = 50 }) {
  const n = train.x.shape[0];
  const stepsPerEpoch = Math.ceil(n / batch);
  const schedule = optim.schedules.cosine({ initialLr: lr, totalSteps: epochs * stepsPerEpoch });
  const opt = optim.sgd({ lr: schedule, momentum: 0.9, nesterov: true, weightDecay });
  const params = model.parameters();
  const history = [];
  let step = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0;
    let right = 0;
    let seen = 0;
    for (const [xb, yb] of data.batches(train.x, train.y, batch, { shuffle: true })) {
      opt.setEpoch(step++);
      const [loss, hits] = tidy(() => {
        const logits = model.forward(augment ? data.augment(xb, augment) : xb, { training: true });
        const l = losses.sparseCategoricalCrossentropy(logits, yb, { fromLogits: true });
        l.backward();
        opt.step(params);
        opt.zeroGrad(params);
        return [l.dataSync()[0], countCorrect(logits, yb)];
      });
      lossSum += loss * xb.shape[0];
      right += hits;
      seen += xb.shape[0];
      if (logEvery > 0 && (seen / batch) % logEvery === 0) {
        const s = (performance.now() - t0) / 1000;
        console.log(`  epoch ${epoch} ${seen}/${n}: loss ${(lossSum / seen).toFixed(4)}, ${(seen / s).toFixed(0)} images/s, lr ${opt.lr.toFixed(4)}`);
      }
      await new Promise((r) => setImmediate(r)); // keeps the process responsive to Ctrl-C
    }
    const seconds = (performance.now() - t0) / 1000;
    const testAccuracy = accuracy(model, test);
    const record = { epoch, loss: lossSum / n, trainAccuracy: (100 * right) / n, testAccuracy, seconds, imagesPerSecond: n / seconds };
    history.push(record);
    console.log(`epoch ${epoch}/${epochs}: loss ${record.loss.toFixed(4)}, train accuracy ${record.trainAccuracy.toFixed(2)}%, ` +
      `test accuracy ${testAccuracy.toFixed(2)}%, ${seconds.toFixed(1)} s, ${record.imagesPerSecond.toFixed(0)} images/s`);
  }
  return history;
}

/** The closing line: last test accuracy, wall time, training seconds per epoch and images/s. */
export function report(history, trainCount, wallSeconds) {
  const trainSeconds = history.reduce((s, h) => s + h.seconds, 0);
  const epochs = history.length;
  console.log(`test accuracy ${history[epochs - 1].testAccuracy.toFixed(2)}% after ${epochs} epoch(s); wall time ${wallSeconds.toFixed(1)} s, ` +
    `training ${(trainSeconds / epochs).toFixed(1)} s per epoch, ${((trainCount * epochs) / trainSeconds).toFixed(0)} images/s`);
}
