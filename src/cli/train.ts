/// <reference types="node" />
// `wasm-cnn train`: builds the preset's model, fits it on the chosen images (tensors in memory, or
// image folders streamed per batch) with the requested optimizer and learning-rate schedule, then
// reports the test images' confusion matrix, their macro precision / recall / F1, the timings and
// the test accuracy (always the last line).
import { init, backendInfo, setSeed, optim, data, ValueError, type Tensor, type Model } from '../index.js';
import { UsageError, type TrainOptions } from './args.js';
import { PRESETS, buildPreset } from './presets.js';
import { loadData } from './data.js';
import { dataLayout, loadFolderData, streamingConfusion, type DataLayout } from './data-folder.js';
import { prepareSavePath, saveWithClassNames } from './model-file.js';
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

/** The fit options train() sets; the source adds its data, batching and validation. */
interface FitOptions { epochs: number; verbose: 0 | 1; augment?: (xb: Tensor) => Tensor }

/** What train() needs of its data, whether tensors in memory or image folders streamed per batch. */
interface TrainingSource {
  label: string;
  names: string[];
  nTrain: number;
  nTest: number;
  shape: number[];
  classes: number;
  fit(model: Model, options: FitOptions, validate: boolean): Promise<unknown>;
  confusion(model: Model): Promise<Int32Array>;
  evaluate(model: Model): Promise<Record<string, number | undefined>>;
  dispose(): void;
}

function tensorSource(o: TrainOptions): TrainingSource {
  const { ds, label, names } = loadData(o);
  const [nTrain, h, w, c] = ds.train.x.shape;
  return {
    label, names, nTrain, nTest: ds.test.x.shape[0], shape: [h, w, c], classes: ds.numClasses,
    fit: (model, options, validate) => model.fit(ds.train.x, ds.train.y, {
      ...options, batchSize: o.batchSize, shuffle: true,
      ...(validate ? { validationData: [ds.test.x, ds.test.y] as [Tensor, Tensor] } : {}),
    }),
    confusion: async (model) => {
      const cm = model.confusionMatrix(ds.test.x, ds.test.y, { batchSize: 256 });
      const counts = cm.dataSync() as Int32Array;
      cm.dispose();
      return counts;
    },
    evaluate: async (model) => model.evaluate(ds.test.x, ds.test.y, { batchSize: 256 }),
    dispose: () => { for (const t of [ds.train.x, ds.train.y, ds.test.x, ds.test.y]) t.dispose(); },
  };
}

function folderSource(o: TrainOptions, layout: Exclude<DataLayout, 'idx'>): TrainingSource {
  const f = loadFolderData(o.data!, layout, o);
  return {
    label: f.label, names: f.classNames, nTrain: f.nTrain, nTest: f.nTest, shape: f.shape, classes: f.classNames.length,
    // Files are read and decoded a batch ahead while the current batch trains.
    fit: (model, options, validate) => model.fit(f.train.prefetch(2), { ...options, ...(validate ? { validationData: f.test } : {}) }),
    confusion: (model) => streamingConfusion(model, f.test, f.classNames.length),
    evaluate: (model) => model.evaluate(f.test),
    dispose: () => {},
  };
}

/** Runs one training; returns the exit code (0). */
export async function train(o: TrainOptions, io: Io = defaultIo): Promise<number> {
  const t0 = performance.now();
  await init({ threads: o.threads, simd: o.simd });
  setSeed(o.seed);
  const layout = o.data === undefined ? 'idx' : dataLayout(o.data);
  const src = layout === 'idx' ? tensorSource(o) : folderSource(o, layout);
  try {
    return await trainOn(src, o, io, t0);
  } finally {
    src.dispose();
  }
}

async function trainOn(src: TrainingSource, o: TrainOptions, io: Io, t0: number): Promise<number> {
  const tLoaded = performance.now();
  const { nTrain, nTest, classes: k, label, names } = src;
  const [h, w, c] = src.shape;
  if (nTrain === 0 || nTest === 0) throw new ValueError(`${label}: needs at least one training and one test image (has ${nTrain} and ${nTest})`);
  if (k < 2) throw new ValueError(`${label}: needs at least 2 classes, the labels hold ${k}`);
  const info = backendInfo();
  io.out(`data: ${label}: ${nTrain} training / ${nTest} test images, ${h}x${w}x${c}, ${k} classes (loaded in ${fmtSeconds((tLoaded - t0) / 1000)})`);

  if (o.save !== undefined) prepareSavePath(o.save);
  const model = buildPreset(PRESETS[o.model], [h, w, c], k);
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
  await src.fit(model, {
    epochs: o.epochs,
    verbose: o.quiet ? 0 : 1,
    // Fresh random flips/crops for every batch, drawn from the seeded generator.
    ...(aug ? { augment: (xb: Tensor) => data.augment(xb, aug) } : {}),
  }, o.verbose);
  const trainSeconds = (performance.now() - tTrain) / 1000;
  // Saved first: nothing that follows (evaluation, the report) can lose the trained model.
  if (o.save !== undefined) {
    await saveWithClassNames(model, o.save, { classNames: names, imageSize: [h, w], channels: c });
    io.out(`saved the model to ${o.save} (${/\.wcnn$/i.test(o.save) ? 'one packed file' : 'model.json + weights.bin'}, with the class names)`);
  }

  const tEval = performance.now();
  const counts = await src.confusion(model);
  const evalSeconds = (performance.now() - tEval) / 1000;
  let correct = 0;
  for (let i = 0; i < k; i++) correct += counts[i * k + i];
  const acc = correct / nTest;

  const matrix = Array.from({ length: k }, (_, i) => Array.from(counts.subarray(i * k, (i + 1) * k)));
  if (k <= MAX_CONFUSION_CLASSES) for (const line of formatConfusion(matrix, names)) io.out(line);
  else io.out(`confusion matrix: not shown for ${k} classes (shown up to ${MAX_CONFUSION_CLASSES})`);
  io.out(formatScores(await src.evaluate(model), k));
  const trained = o.epochs * nTrain;
  const wall = process.uptime();
  io.out(`training: ${trained} images in ${fmtSeconds(trainSeconds)} (${Math.round(trained / trainSeconds)} images/s); ` +
    `test: ${nTest} images in ${fmtSeconds(evalSeconds)} (${Math.round(nTest / evalSeconds)} images/s); ` +
    `wall time ${fmtSeconds(wall)} (including startup and data loading)`);
  io.out(`test accuracy: ${(100 * acc).toFixed(2)}%`);
  model.dispose();
  return 0;
}
