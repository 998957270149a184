// Resumable training, the computation every runtime must continue bit for bit: small models
// (a Sequential CNN with batch norm and dropout, a graph model with a residual add) trained on
// seeded data with shuffling and augmentation, by SGD + momentum (warm-up then cosine, clipNorm)
// or by Adam (one-cycle, clipValue). `trainSlice` continues a case from a checkpoint (the bytes `save(..., { includeOptimizer
// })` returned) up to an epoch and returns the next checkpoint, so a test can stop a run after any
// epoch and resume it in another process or runtime. Plain JS, no Node built-ins: Node, Deno, Bun,
// workerd and Chromium import it. `W` is the wasm-cnn module namespace, already init()ed.
import { fnv1a } from './seeded.js';

/** The cases: model kind x optimizer. */
export const RESUME_CASES = ['sequential-sgd', 'sequential-adam', 'graph-sgd', 'graph-adam'];
/** The uninterrupted run's length; the stops the tests resume after. */
export const RESUME_EPOCHS = 6;
const SAMPLES = 160;
const BATCH = 16;
const DATA_SEED = 20261207;
const MODEL_SEED = 7;

function buildModel(W, kind) {
  const { nn } = W;
  if (kind === 'sequential') {
    return new W.Sequential([
      nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      nn.batchNorm(),
      nn.maxPool2d({ poolSize: 2 }),
      nn.flatten(),
      nn.dropout({ rate: 0.2 }),
      nn.dense({ units: 5 }),
    ], { inputShape: [8, 8, 1] });
  }
  const input = nn.input({ shape: [8, 8, 1], name: 'image' });
  const stem = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(input);
  let branch = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'branch' }).apply(stem);
  branch = nn.batchNorm({ name: 'branch_bn' }).apply(branch);
  const joined = nn.add({ name: 'join' }).apply([branch, stem]);
  const pooled = nn.globalAvgPool2d({ name: 'pool' }).apply(joined);
  const logits = nn.dense({ units: 5, name: 'logits' }).apply(nn.dropout({ rate: 0.2, name: 'drop' }).apply(pooled));
  return new W.Model({ inputs: input, outputs: logits, name: 'resume-graph' });
}

function optimizerFor(W, opt) {
  const { schedules } = W.optim;
  return opt === 'sgd'
    ? W.optim.sgd({ lr: schedules.warmup(schedules.cosine({ initialLr: 0.05, epochs: RESUME_EPOCHS }), 2), momentum: 0.9, clipNorm: 1 })
    : W.optim.adam({ lr: schedules.oneCycle({ maxLr: 0.02, totalSteps: RESUME_EPOCHS }), clipValue: 0.5 });
}

/** The training data: seeded, drawn before the model (a loaded checkpoint then sets the generator). */
function makeData(W) {
  W.setSeed(DATA_SEED);
  const x = W.randn([SAMPLES, 8, 8, 1]);
  const labels = new Int32Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) labels[i] = (i * 7 + 2) % 5;
  return { x, y: W.tensor(labels, [SAMPLES], 'int32') };
}

/** One hash over every weight (parameters and batch-norm statistics), in saving order. */
export function weightsHash(model) {
  return fnv1a(new Uint32Array(model.weights().map((w) => parseInt(fnv1a(w.dataSync()), 16))));
}

/**
 * Trains `name` from `checkpoint` (packed bytes; null starts afresh) until epoch `until`; returns
 * the checkpoint saved there, the weights' hash and the epoch reached.
 */
export async function trainSlice(W, name, checkpoint, until) {
  const [kind, opt] = name.split('-');
  const { x, y } = makeData(W);
  let model;
  if (checkpoint) {
    model = await W.Model.load(checkpoint);
  } else {
    W.setSeed(MODEL_SEED);
    model = buildModel(W, kind);
    model.compile({ optimizer: optimizerFor(W, opt), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
  }
  await model.fit(x, y, {
    initialEpoch: model.trainingProgress.epoch, epochs: until, batchSize: BATCH, shuffle: true, verbose: 0,
    augment: (xb) => W.data.augment(xb, { flipHorizontal: true, randomCrop: { padding: 1 } }),
  });
  const bytes = await model.save(undefined, { includeOptimizer: true });
  const result = { checkpoint: bytes, weights: weightsHash(model), epoch: model.trainingProgress.epoch };
  model.dispose();
  x.dispose();
  y.dispose();
  return result;
}

/**
 * Runs every case one slice on: `input[case]` is a base64 checkpoint (or null) and the result
 * maps each case to `{ checkpoint (base64), weights, epoch }`; what the runtime drivers call.
 */
export async function trainSlices(W, input, until) {
  const out = {};
  for (const name of RESUME_CASES) {
    const from = input[name] ? fromBase64(input[name]) : null;
    const r = await trainSlice(W, name, from, until);
    out[name] = { checkpoint: toBase64(r.checkpoint), weights: r.weights, epoch: r.epoch };
  }
  return out;
}

export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}
