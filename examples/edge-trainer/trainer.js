// Training in slices, runtime-neutral: each call trains one epoch (or a few) of a small CNN from
// the last checkpoint in a store and writes the next one, so training that no single invocation
// could finish (an edge function's CPU limit, a browser tab that closes) ends with exactly the
// weights of an uninterrupted run. A store is anything with async get(key) -> bytes | null and
// put(key, bytes): a Cloudflare KV namespace (kvStore), R2, a file, or a Map (mapStore).
import { setSeed, randn, tensor, tidy, nn, optim, data, Sequential, Model } from 'wasm-cnn';

/** The run's length: the cosine schedule reaches its floor here, and training stops. */
export const TOTAL_EPOCHS = 8;
const SIDE = 8;
const CLASSES = ['horizontal', 'vertical', 'diagonal'];
const SAMPLES = 240;
const DATA_SEED = 1;
const MODEL_SEED = 2;

/** A store over a Map (kept in the isolate's memory: lost when it is recycled). */
export function mapStore(map = new Map()) {
  return { get: async (key) => map.get(key) ?? null, put: async (key, bytes) => { map.set(key, bytes); } };
}

/** A store over a Cloudflare KV namespace binding. */
export function kvStore(kv) {
  return { get: (key) => kv.get(key, 'arrayBuffer'), put: (key, bytes) => kv.put(key, bytes) };
}

/**
 * Noisy 8x8 stripes, one class each: horizontal, vertical, diagonal. Drawn from the seeded
 * generator before the model, so a loaded checkpoint's generator state takes over after them.
 */
function stripes() {
  setSeed(DATA_SEED);
  const pattern = new Float32Array(SAMPLES * SIDE * SIDE);
  const labels = new Int32Array(SAMPLES);
  for (let n = 0; n < SAMPLES; n++) {
    const c = n % CLASSES.length;
    const phase = Math.floor(n / CLASSES.length) % 2;
    labels[n] = c;
    for (let i = 0; i < SIDE; i++) {
      for (let j = 0; j < SIDE; j++) {
        const k = c === 0 ? i : c === 1 ? j : i + j;
        pattern[(n * SIDE + i) * SIDE + j] = (k + phase) % 2;
      }
    }
  }
  const x = tidy(() => tensor(pattern, [SAMPLES, SIDE, SIDE, 1]).add(randn([SAMPLES, SIDE, SIDE, 1], { std: 0.5 })));
  return { x, y: tensor(labels, [SAMPLES], 'int32') };
}

function freshModel() {
  setSeed(MODEL_SEED);
  const model = new Sequential([
    nn.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.batchNorm(),
    nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dropout({ rate: 0.25 }),
    nn.dense({ units: CLASSES.length }),
  ], { inputShape: [SIDE, SIDE, 1] });
  model.compile({
    optimizer: optim.sgd({ lr: optim.schedules.cosine({ initialLr: 0.02, epochs: TOTAL_EPOCHS }), momentum: 0.9 }),
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy'],
  });
  return model;
}

/** FNV-1a over every weight's float32 bytes, in saving order: equal hashes, equal weights. */
export function weightsHash(model) {
  let h = 0x811c9dc5;
  for (const w of model.weights()) {
    const v = w.dataSync();
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * Trains run `run` for `epochs` more epochs from its checkpoint in `store` (a new model when it
 * has none), then stores the next checkpoint. Resolves to where the run stands.
 */
export async function trainSlice(store, run, epochs = 1) {
  const { x, y } = stripes();
  const saved = await store.get(`checkpoint/${run}`);
  const model = saved ? await Model.load(new Uint8Array(saved)) : freshModel();
  try {
    const from = model.trainingProgress.epoch;
    const until = Math.min(from + epochs, TOTAL_EPOCHS);
    const history = await model.fit(x, y, {
      initialEpoch: from, epochs: until, batchSize: 16, verbose: 0,
      // Shuffling, dropout and augmentation draw from the seeded generator the checkpoint carries.
      augment: (xb) => data.augment(xb, { flipHorizontal: true, randomCrop: { padding: 1 } }),
    });
    const bytes = await model.save(undefined, { includeOptimizer: true });
    if (until > from) await store.put(`checkpoint/${run}`, bytes);
    return {
      run, epoch: until, step: model.trainingProgress.step, done: until >= TOTAL_EPOCHS,
      loss: history.loss.at(-1) ?? null, accuracy: history.accuracy?.at(-1) ?? null,
      weights: weightsHash(model), checkpointBytes: bytes.length,
    };
  } finally {
    model.dispose();
    x.dispose();
    y.dispose();
  }
}

const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

/**
 * A fetch handler over a store: `POST /train?run=<name>&epochs=<n>` trains n epochs (default 1)
 * of that run from its last checkpoint; `GET /` describes the endpoint.
 */
export function createHandler(getStore) {
  return async function handle(request, env) {
    const url = new URL(request.url);
    if (request.method === 'GET') {
      return json({ usage: `POST /train?run=<name>&epochs=<n> trains n epochs (default 1) of run <name> from its last checkpoint, up to ${TOTAL_EPOCHS}` });
    }
    if (request.method !== 'POST' || url.pathname !== '/train') return json({ error: 'POST /train, or GET / for usage' }, 405);
    const run = url.searchParams.get('run') ?? 'default';
    const epochs = Number(url.searchParams.get('epochs') ?? 1);
    if (!/^[\w-]{1,64}$/.test(run)) return json({ error: `run must be 1-64 letters, digits, '-' or '_', got ${JSON.stringify(run)}` }, 400);
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > TOTAL_EPOCHS) return json({ error: `epochs must be an integer in [1, ${TOTAL_EPOCHS}]` }, 400);
    const t0 = performance.now();
    const result = await trainSlice(await getStore(env), run, epochs);
    return json({ ...result, ms: Math.round(performance.now() - t0) });
  };
}
