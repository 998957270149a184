/// <reference types="node" />
// `wasm-cnn train`: builds the preset's model, fits it on the chosen images with the requested
// optimizer and learning-rate schedule, then reports the test images' confusion matrix, their
// macro precision / recall / F1, the timings and the test accuracy (always the last line).
import { init, backendInfo, setSeed, Sequential, optim, data, ValueError, type Tensor } from '../index.js';
import { UsageError, type TrainOptions } from './args.js';
import { PRESETS } from './presets.js';
import { loadData } from './data.js';
import { formatConfusion, formatScores, fmtSeconds } from './report.js';
import { defaultIo, type Io } from './io.js';

/** Above this many classes the confusion matrix is too wide to read and is left out. */
const MAX_CONFUSION_CLASSES = 30;

/** The learning rate per epoch for --schedule. */
function makeSchedule(name: string, lr: number, epochs: number): optim.LearningRate {
  switch (name) {
    case 'cosine': return optim.schedules.cosine({ initialLr: lr, totalSteps: epochs, minLr: 0 });
    case 'step': {
      // x0.1 at half and at three quarters of the run (in whole epochs).
      const a = Math.max(1, Math.floor(epochs / 2)), b = Math.max(a + 1, Math.floor((3 * epochs) / 4));
      return (e: number) => (e < a ? lr : e < b ? lr / 10 : lr / 100);
    }
    default: return lr;
  }
}

/** The optimizer --optimizer names (parseTrainArgs has checked the name). */
function makeOptimizer(name: string, lr: optim.LearningRate): optim.Optimizer {
  switch (name) {
    case 'sgd': return optim.sgd({ lr });
    case 'momentum': return optim.sgd({ lr, momentum: 0.9, nesterov: true });
    case 'adam': return optim.adam({ lr });
    case 'adamw': return optim.adamw({ lr });
    case 'rmsprop': return optim.rmsprop({ lr });
    case 'adagrad': return optim.adagrad({ lr });
    case 'adadelta': return optim.adadelta({ lr });
    default: throw new UsageError(`unknown optimizer '${name}'`);
  }
}

/** Runs one training; returns the exit code (0). */
export async function train(o: TrainOptions, io: Io = defaultIo): Promise<number> {
  const t0 = performance.now();
  await init({ threads: o.threads, simd: o.simd });
  setSeed(o.seed);
  const { ds, label, names } = loadData(o);
  const tLoaded = performance.now();
  const [nTrain, h, w, c] = ds.train.x.shape;
  const nTest = ds.test.x.shape[0];
  const k = ds.numClasses;
  if (nTrain === 0 || nTest === 0) throw new ValueError(`${label}: needs at least one training and one test image (has ${nTrain} and ${nTest})`);
  if (k < 2) throw new ValueError(`${label}: needs at least 2 classes, the labels hold ${k}`);
  const info = backendInfo();
  io.out(`data: ${label}: ${nTrain} training / ${nTest} test images, ${h}x${w}x${c}, ${k} classes (loaded in ${fmtSeconds((tLoaded - t0) / 1000)})`);

  const preset = PRESETS[o.model];
  const model = new Sequential(preset.layers(k), { inputShape: [h, w, c] });
  model.compile({
    optimizer: makeOptimizer(o.optimizer, makeSchedule(o.schedule, o.lr, o.epochs)),
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy', 'precision', 'recall', 'f1'],
  });
  io.out(`model: ${o.model} (${model.countParams()} parameters); optimizer ${o.optimizer}, lr ${o.lr} (${o.schedule}); ` +
    `${o.epochs} epoch${o.epochs === 1 ? "" : "s"}, batch size ${o.batchSize}; augment ${o.augment ? o.augmentText : 'none'}; seed ${o.seed}`);
  io.out(`backend: ${info.variant} SIMD, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.threadsNote ? ` (${info.threadsNote})` : ''}`);
  if (o.verbose) for (const line of model.summary().split('\n')) io.out(line);

  const aug = o.augment;
  const tTrain = performance.now();
  await model.fit(ds.train.x, ds.train.y, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    shuffle: true,
    verbose: o.quiet ? 0 : 1,
    // Fresh random flips/crops for every batch, drawn from the seeded generator.
    ...(aug ? { augment: (xb: Tensor) => data.augment(xb, aug) } : {}),
    ...(o.verbose ? { validationData: [ds.test.x, ds.test.y] as [Tensor, Tensor] } : {}),
  });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  // Saved first: nothing that follows (evaluation, the report) can lose the trained model.
  if (o.save !== undefined) {
    await model.save(o.save);
    io.out(`saved the model to ${o.save} (model.json + weights.bin)`);
  }

  const tEval = performance.now();
  const cm = model.confusionMatrix(ds.test.x, ds.test.y, { batchSize: 256 });
  const evalSeconds = (performance.now() - tEval) / 1000;
  const counts = cm.dataSync();
  cm.dispose();
  let correct = 0;
  for (let i = 0; i < k; i++) correct += counts[i * k + i];
  const acc = correct / nTest;

  const matrix = Array.from({ length: k }, (_, i) => Array.from(counts.subarray(i * k, (i + 1) * k)));
  if (k <= MAX_CONFUSION_CLASSES) for (const line of formatConfusion(matrix, names)) io.out(line);
  else io.out(`confusion matrix: not shown for ${k} classes (shown up to ${MAX_CONFUSION_CLASSES})`);
  io.out(formatScores(model.evaluate(ds.test.x, ds.test.y, { batchSize: 256 }), k));
  const trained = o.epochs * nTrain;
  const wall = process.uptime();
  io.out(`training: ${trained} images in ${fmtSeconds(trainSeconds)} (${Math.round(trained / trainSeconds)} images/s); ` +
    `test: ${nTest} images in ${fmtSeconds(evalSeconds)} (${Math.round(nTest / evalSeconds)} images/s); ` +
    `wall time ${fmtSeconds(wall)} (including startup and data loading)`);
  io.out(`test accuracy: ${(100 * acc).toFixed(2)}%`);
  for (const t of [ds.train.x, ds.train.y, ds.test.x, ds.test.y]) t.dispose();
  return 0;
}

