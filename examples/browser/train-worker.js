// The demo's training worker: loads wasm-cnn (dist/wasm-cnn.browser.js, which fetches the kernels
// next to it), the MNIST digits, and trains the CLI's default CNN with model.fit, posting
// progress, learned filters, feature maps, test evaluations and predictions to the page.
// Training here keeps the page responsive; in a cross-origin isolated page the kernels also
// run on worker threads (init({ threads: 'auto' }) spawns them from this worker).
import * as W from '../../dist/wasm-cnn.browser.js';
import { SETTINGS, MODEL_DESCRIPTION, buildModel, decodeDigits } from './trainer.js';

const post = (msg, transfer = []) => self.postMessage(msg, transfer);
const now = () => performance.now();

/** Test images evaluated every few seconds (the first 500: 50 of each digit); all 2,000 after each epoch. */
const QUICK_EVAL = 500;
const SNAPSHOT_EVERY_MS = 700;
const QUICK_EVAL_EVERY_MS = 2500;

let model = null;
let ds = null;
let digitIndex = 0;
let paused = false;
let resumeWaiters = [];
const pendingPredictions = [];

self.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'start') start(m).catch(fail);
  else if (m.type === 'predict') { pendingPredictions.push(m); if (model) answerPredictions(); }
  else if (m.type === 'digit') { digitIndex = m.index; if (model) snapshot(); }
  else if (m.type === 'pause') paused = true;
  else if (m.type === 'resume') { paused = false; for (const r of resumeWaiters.splice(0)) r(); }
};

function fail(e) {
  post({ type: 'error', message: e?.message ?? String(e), stack: e?.stack });
}

async function start({ threads = 'auto', simd = 'auto', epochs = SETTINGS.epochs, batchSize = SETTINGS.batchSize }) {
  const t0 = now();
  post({ type: 'status', text: 'loading the wasm kernels and 10,000 MNIST digits...' });
  // The digits download while the kernels compile.
  const download = fetch(new URL('./data/mnist-digits.bin', import.meta.url)).then(async (res) => {
    if (!res.ok) throw new Error(`data/mnist-digits.bin: HTTP ${res.status} (run the demo with \`npm run demo:web\`)`);
    return res.arrayBuffer();
  });
  download.catch(() => {}); // reported below, after init
  await W.init({ threads, simd });
  const tInit = now();
  post({ type: 'backend', info: W.backendInfo(), crossOriginIsolated: self.crossOriginIsolated === true, initMs: tInit - t0 });
  ds = decodeDigits(W, await download);
  const tData = now();
  const nTrain = ds.train.x.shape[0], nTest = ds.test.x.shape[0];
  const thumbs = 20;
  post({
    type: 'data', nTrain, nTest, loadMs: tData - t0,
    thumbs: { pixels: ds.test.pixelBytes.slice(0, thumbs * 784), labels: Array.from(ds.test.labelBytes.subarray(0, thumbs)) },
  });

  W.setSeed(SETTINGS.seed);
  model = buildModel(W, { epochs });
  post({ type: 'model', description: MODEL_DESCRIPTION, params: model.countParams(), summary: model.summary(), epochs, batchSize });
  // The untrained model's first answers (the page times its first prediction from here).
  snapshot();
  answerPredictions();
  quickEval(0);
  post({ type: 'status', text: 'training' });

  const batchesPerEpoch = Math.ceil(nTrain / batchSize);
  let seen = 0, trainMs = 0, batchStart = 0, lastSnapshot = now(), lastEval = now();
  const recent = []; // [images, ms] of the last batches, for the current images/s
  const tTrain = now();
  let epochNow = 0;
  await model.fit(ds.train.x, ds.train.y, {
    epochs, batchSize, shuffle: true, verbose: 0,
    augment: (xb) => W.data.augment(xb, SETTINGS.augment),
    onEpochBegin: (epoch) => { epochNow = epoch; },
    onBatchBegin: () => { batchStart = now(); },
    onBatchEnd: async (batch, logs) => {
      const ms = now() - batchStart;
      trainMs += ms;
      seen += logs.size;
      recent.push([logs.size, ms]);
      if (recent.length > 20) recent.shift();
      const [ri, rms] = recent.reduce((a, [i, t]) => [a[0] + i, a[1] + t], [0, 0]);
      post({
        type: 'progress', epoch: epochNow, epochs, batch, batchesPerEpoch, seen,
        loss: logs.loss, accuracy: logs.accuracy,
        imagesPerSec: (1000 * seen) / trainMs, recentImagesPerSec: (1000 * ri) / rms,
        trainMs, elapsedMs: now() - tTrain,
      });
      answerPredictions();
      if (now() - lastSnapshot >= SNAPSHOT_EVERY_MS) { snapshot(); lastSnapshot = now(); }
      if (now() - lastEval >= QUICK_EVAL_EVERY_MS) { quickEval(seen); lastEval = now(); }
      while (paused) {
        await new Promise((r) => resumeWaiters.push(r));
        answerPredictions();
      }
    },
    onEpochEnd: (epoch) => {
      snapshot();
      evaluate(seen, nTest, epoch);
      lastEval = now();
    },
  });
  post({ type: 'done', seen, trainMs, elapsedMs: now() - tTrain, info: W.backendInfo() });
}

/** Filters of the first conv layer, feature maps of both conv layers for the chosen test digit, and its probabilities. */
function snapshot() {
  const [conv1, , conv2] = model.layers;
  const kernel = conv1.parameters().find((p) => p.name === 'kernel');
  const out = W.tidy(() => W.noGrad(() => {
    const x = sliceImages(ds.test.x, digitIndex, 1);
    const a1 = conv1.apply(x, { training: false });
    const a2 = conv2.apply(model.layers[1].apply(a1, { training: false }), { training: false });
    const probs = W.ops.softmax(model.forward(x, { training: false }));
    return { maps1: a1.dataSync(), maps1Shape: a1.shape.slice(1), maps2: a2.dataSync(), maps2Shape: a2.shape.slice(1), probs: probs.dataSync() };
  }));
  const filters = kernel.dataSync();
  post({
    type: 'snapshot', digitIndex, label: ds.test.labelBytes[digitIndex],
    filters, filterShape: kernel.shape.slice(), ...out,
  }, [filters.buffer, out.maps1.buffer, out.maps2.buffer]);
}

/** Accuracy and confusion matrix on the first `n` test digits. */
function evaluate(seen, n, epoch) {
  const t0 = now();
  const x = sliceImages(ds.test.x, 0, n);
  const y = sliceLabels(ds.test.y, 0, n);
  const { loss, accuracy } = model.evaluate(x, y, { batchSize: 250 });
  const pred = W.tidy(() => model.predict(x, { batchSize: 250 }).argMax(-1).dataSync());
  x.dispose(); y.dispose();
  const truth = ds.test.labelBytes;
  const confusion = new Array(100).fill(0);
  for (let i = 0; i < n; i++) confusion[truth[i] * 10 + pred[i]]++;
  post({ type: 'eval', seen, n, loss, accuracy, confusion, epoch, ms: now() - t0 });
}
const quickEval = (seen) => evaluate(seen, QUICK_EVAL, null);

function answerPredictions() {
  for (const m of pendingPredictions.splice(0)) {
    const t0 = now();
    const probs = W.tidy(() => W.noGrad(() => {
      const x = W.tensor(m.pixels, [1, 28, 28, 1]);
      return W.ops.softmax(model.forward(x, { training: false })).dataSync();
    }));
    post({ type: 'prediction', id: m.id, probs, ms: now() - t0, sentAt: m.sentAt });
  }
}

function sliceImages(x, start, count) {
  return W.ops.slice(x, [start, 0, 0, 0], [count, 28, 28, 1]);
}
function sliceLabels(y, start, count) {
  return W.ops.slice(y, [start], [count]);
}
