// The demo's model, data decoding and training settings, shared by the page's training worker
// (train-worker.js, with dist/wasm-cnn.browser.js) and the Node benchmark (bench.mjs, with
// dist/index.js), so both runtimes run exactly the same code. Plain JS, no Node built-ins.
// `W` is the wasm-cnn module namespace, already init()ed.

/** The CLI's default preset (`wasm-cnn train --model lenet`, src/cli/presets.ts): same layers and settings. */
export const SETTINGS = {
  epochs: 3,
  batchSize: 64,
  lr: 0.002,
  seed: 1,
  /** Random shifts of up to 2 pixels (the CLI's `--augment crop:2`). */
  augment: { randomCrop: { padding: 2 } },
};

export const MODEL_DESCRIPTION =
  'conv 5x5 (16, relu) - maxpool 2 - conv 5x5 (32, relu) - maxpool 2 - dense 128 (relu) - dropout 0.25 - dense 10';

export function buildModel(W, { epochs = SETTINGS.epochs, lr = SETTINGS.lr } = {}) {
  const { nn, optim } = W;
  const model = new W.Sequential([
    nn.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 32, kernelSize: 5, activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dense({ units: 128, activation: 'relu' }),
    nn.dropout({ rate: 0.25 }),
    nn.dense({ units: 10 }),
  ], { inputShape: [28, 28, 1] });
  model.compile({
    // Cosine annealing per epoch, as the CLI's default `--schedule cosine`.
    optimizer: optim.adam({ lr: optim.schedules.cosine({ initialLr: lr, totalSteps: epochs, minLr: 0 }) }),
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy'],
  });
  return model;
}

const MAGIC = 'WCNNDIG1';

/**
 * Decodes examples/browser/data/mnist-digits.bin (see build-data.mjs) into tensors: images
 * float32 [N, 28, 28, 1] with exactly the values loadMnistDigits reads in Node, labels int32 [N].
 * Also returns the raw test pixels/labels (bytes) for thumbnails.
 */
export function decodeDigits(W, bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const magic = String.fromCharCode(...u8.subarray(0, 8));
  if (magic !== MAGIC) throw new Error(`digits file: bad magic ${JSON.stringify(magic)} (expected ${MAGIC})`);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const nTrain = dv.getUint32(8, true), nTest = dv.getUint32(12, true);
  const pixels = dv.getUint32(16, true) * dv.getUint32(20, true);
  if (u8.byteLength !== 24 + (nTrain + nTest) * (pixels + 1)) throw new Error(`digits file: ${u8.byteLength} bytes, expected ${24 + (nTrain + nTest) * (pixels + 1)}`);
  // byte k -> k/255 rounded to 3 decimals, as the mnist package's JSON holds it (integer
  // arithmetic and one correctly rounded division: the same bits in every engine).
  const lut = new Float32Array(256);
  for (let k = 0; k < 256; k++) lut[k] = Math.round((k * 1000) / 255) / 1000;
  const split = (offset, n) => {
    const values = new Float32Array(n * pixels);
    const src = u8.subarray(offset, offset + n * pixels);
    for (let i = 0; i < values.length; i++) values[i] = lut[src[i]];
    const labelBytes = u8.subarray(offset + n * pixels, offset + n * (pixels + 1));
    return {
      x: W.tensor(values, [n, 28, 28, 1]),
      y: W.tensor(Int32Array.from(labelBytes), [n], 'int32'),
      pixelBytes: src,
      labelBytes,
    };
  };
  return { train: split(24, nTrain), test: split(24 + nTrain * (pixels + 1), nTest) };
}

/**
 * Training speed of the demo's model and settings: `batches` timed steps of model.fit after
 * `warmup` untimed ones, each step timed from onBatchBegin to onBatchEnd (forward, backward,
 * optimizer update, augmentation). Used by bench.mjs in Node and in Chromium alike.
 */
export async function benchmark(W, ds, { batches = 40, warmup = 5, batchSize = SETTINGS.batchSize } = {}) {
  W.setSeed(SETTINGS.seed);
  const model = buildModel(W);
  let t0 = 0, ms = 0, images = 0;
  await model.fit(ds.train.x, ds.train.y, {
    epochs: 1, batchSize, verbose: 0,
    augment: (xb) => W.data.augment(xb, SETTINGS.augment),
    onBatchBegin: () => { t0 = performance.now(); },
    onBatchEnd: (b, logs) => {
      const dt = performance.now() - t0;
      if (b >= warmup) { ms += dt; images += logs.size; }
      if (b + 1 >= warmup + batches) model.stopTraining = true;
    },
  });
  model.dispose();
  return { imagesPerSec: (1000 * images) / ms, images, ms, batchSize, info: W.backendInfo() };
}
