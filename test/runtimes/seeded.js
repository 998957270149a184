// The seeded computation every runtime must reproduce bit for bit: a few training steps of a
// small CNN (conv, pooling, dense, batch norm, gelu, Adam) and inference, reported as FNV-1a
// hashes of the float32 bytes. Plain JS (no TypeScript, no Node built-ins) so Node, Chromium,
// workerd, Deno and Bun can all import it. `W` is the wasm-cnn module namespace, already init()ed.

/** FNV-1a 32-bit over the bytes of a typed array (integer ops only: same everywhere). */
export function fnv1a(typed) {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function seededComputation(W, { steps = 4 } = {}) {
  W.setSeed(20261122);
  const { nn, optim, ops } = W;
  const model = new W.Sequential([
    nn.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 12, kernelSize: 3, strides: 1, padding: 'valid' }),
    nn.batchNorm(),
    nn.activation('gelu'),
    nn.avgPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dense({ units: 24, activation: 'tanh' }),
    nn.dense({ units: 10 }),
  ], { inputShape: [16, 16, 1] });
  model.compile({
    optimizer: optim.adam({ lr: 0.003 }),
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
    metrics: ['accuracy'],
  });
  const x = W.randn([16, 16, 16, 1]);
  const labels = new Int32Array(16);
  for (let i = 0; i < 16; i++) labels[i] = (i * 7 + 3) % 10;
  const y = W.tensor(labels, [16], 'int32');
  const losses = [];
  for (let s = 0; s < steps; s++) losses.push(model.trainOnBatch(x, y).loss);
  const logits = model.predict(x);
  const probs = ops.softmax(logits);
  const weights = model.parameters().map((p) => fnv1a(p.dataSync()));
  const result = {
    losses: losses.map((l) => fnv1a(new Float32Array([l]))),
    weights: fnv1a(new Uint32Array(weights.map((h) => parseInt(h, 16)))),
    logits: fnv1a(logits.dataSync()),
    probs: fnv1a(probs.dataSync()),
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
  };
  for (const t of [x, y, logits, probs]) t.dispose();
  return result;
}
