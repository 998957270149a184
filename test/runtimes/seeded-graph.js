// The seeded graph-model computation every runtime must reproduce bit for bit, next to the
// Sequential one of seeded.js: a small functional model with a residual add, a squeeze-and-
// excitation gate (globalAvgPool2d keepDims + dense + hardSigmoid + multiply), an upSampling2d
// branch joined by concatenate, batch norm and group norm, trained a few steps over a seeded
// shuffle with Adam, then run in inference. Plain JS, no Node built-ins (same runtimes as seeded.js).
import { fnv1a } from './seeded.js';

/** The graph: input [8, 8, 2] -> logits [5]. Every layer named, so weight names are stable. */
function buildGraphModel(W) {
  const { nn } = W;
  const input = nn.input({ shape: [8, 8, 2], name: 'image' });
  const stem = nn.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(input);
  // Residual block: conv + batch norm, added back to the stem.
  let branch = nn.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'res_conv' }).apply(stem);
  branch = nn.batchNorm({ name: 'res_bn' }).apply(branch);
  let x = nn.add({ name: 'res_add' }).apply([branch, stem]);
  x = nn.activation({ activation: 'hardSwish', name: 'res_act' }).apply(x);
  // Squeeze-and-excitation: a per-channel gate [B, 1, 1, 8] broadcast over the feature map.
  let gate = nn.globalAvgPool2d({ keepDims: true, name: 'se_pool' }).apply(x);
  gate = nn.dense({ units: 4, activation: 'relu', name: 'se_reduce' }).apply(gate);
  gate = nn.dense({ units: 8, name: 'se_expand' }).apply(gate);
  gate = nn.activation({ activation: 'hardSigmoid', name: 'se_gate' }).apply(gate);
  x = nn.multiply({ name: 'se_scale' }).apply([x, gate]);
  // A coarse branch: downsample, conv, upsample back, joined along the channels.
  let coarse = nn.maxPool2d({ poolSize: 2, name: 'down' }).apply(x);
  coarse = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'gelu', name: 'coarse_conv' }).apply(coarse);
  coarse = nn.upSampling2d({ size: 2, interpolation: 'bilinear', name: 'up' }).apply(coarse);
  x = nn.concatenate({ name: 'join' }).apply([x, coarse]);
  x = nn.groupNormalization({ groups: 4, name: 'join_gn' }).apply(x);
  x = nn.conv2d({ filters: 8, kernelSize: 1, activation: 'relu', name: 'head_conv' }).apply(x);
  x = nn.globalAvgPool2d({ name: 'head_pool' }).apply(x);
  const logits = nn.dense({ units: 5, name: 'logits' }).apply(x);
  return new W.Model({ inputs: input, outputs: logits, name: 'seeded-graph' });
}

/**
 * Trains the graph model for `epochs` passes over 12 samples in shuffled batches of 4 and hashes
 * the per-step losses, every weight (by name), the logits and the softmax probabilities.
 */
export function seededGraphComputation(W, { epochs = 2 } = {}) {
  W.setSeed(20261215);
  const { ops, optim, data } = W;
  const model = buildGraphModel(W);
  model.compile({
    optimizer: optim.adam({ lr: 0.01 }),
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
  });
  const x = W.randn([12, 8, 8, 2]);
  const labels = new Int32Array(12);
  for (let i = 0; i < 12; i++) labels[i] = (i * 3 + 1) % 5;
  const y = W.tensor(labels, [12], 'int32');
  const losses = [];
  for (let e = 0; e < epochs; e++) {
    for (const [xb, yb] of data.batches(x, y, 4, { shuffle: true })) losses.push(model.trainOnBatch(xb, yb).loss);
  }
  const logits = model.predict(x);
  const probs = ops.softmax(logits);
  const weights = {};
  // weights(): the trained parameters and batch norm's moving statistics.
  for (const w of model.weights()) weights[w.name] = fnv1a(w.dataSync());
  const result = {
    losses: losses.map((l) => fnv1a(new Float32Array([l]))),
    weights,
    weightsAll: fnv1a(new Uint32Array(Object.values(weights).map((h) => parseInt(h, 16)))),
    logits: fnv1a(logits.dataSync()),
    probs: fnv1a(probs.dataSync()),
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
  };
  for (const t of [x, y, logits, probs]) t.dispose();
  model.dispose();
  return result;
}
