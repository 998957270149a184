// Graph models (the functional API): a ResNet block and a squeeze-and-excitation block built
// functionally compute the same values and parameter gradients as the same raw ops, parameter
// gradients agree with finite differences, shared layers accumulate gradients, nested models
// share weights, fit learns, memory stays flat, multi-input / multi-output models, summary text.
import { describe, it, expect } from 'vitest';
import {
  Model, Sequential, nn, ops, optim, tensor, tidy, noGrad, setSeed, backendInfo, Tensor,
} from '../src/index.js';
import { expectClose } from './harness/close.js';
import { randomValues } from './reference/gradcheck.js';

const conv = (m: Model, name: string) => m.getLayer(name) as nn.Conv2D;
const dense = (m: Model, name: string) => m.getLayer(name) as nn.Dense;
const seeded = (shape: number[], seed: number) => tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape);

/** A residual block: stem conv, conv + relu, add the skip, global pool, dense logits. */
function tinyResnet(): Model {
  const input = nn.input({ shape: [6, 6, 3] });
  const stem = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }).apply(input);
  const body = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'body' }).apply(stem);
  const merged = nn.add({ name: 'skip' }).apply([body, stem]);
  const pooled = nn.globalAvgPool2d().apply(merged);
  const logits = nn.dense({ units: 3, name: 'logits' }).apply(pooled);
  return new Model({ inputs: input, outputs: logits, name: 'tiny-resnet' });
}

function resnetRaw(m: Model, x: Tensor): Tensor {
  const s = conv(m, 'stem'), b = conv(m, 'body'), d = dense(m, 'logits');
  const stem = ops.conv2d(x, s.kernel!, s.bias!, { padding: 'same' });
  const body = ops.relu(ops.conv2d(stem, b.kernel!, b.bias!, { padding: 'same' }));
  const pooled = ops.globalAvgPool2d(ops.add(body, stem));
  return ops.add(ops.matmul(pooled, d.kernel!), d.bias!);
}

/** Squeeze-and-excitation: conv, average over H and W to [B,1,1,C], two dense layers, gate by multiply. */
function seBlock(): Model {
  const input = nn.input({ shape: [4, 4, 2] });
  const features = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'features' }).apply(input);
  const squeezed = nn.avgPool2d({ poolSize: 4 }).apply(features);
  const hidden = nn.dense({ units: 2, activation: 'relu', name: 'reduce' }).apply(squeezed);
  const gate = nn.dense({ units: 4, activation: 'sigmoid', name: 'expand' }).apply(hidden);
  const out = nn.multiply().apply([features, gate]);
  return new Model({ inputs: input, outputs: out, name: 'se' });
}

function seRaw(m: Model, x: Tensor): Tensor {
  const f = conv(m, 'features'), r = dense(m, 'reduce'), e = dense(m, 'expand');
  const features = ops.conv2d(x, f.kernel!, f.bias!, { padding: 'same' });
  const b = x.shape[0], c = features.shape[3];
  const squeezed = ops.reshape(ops.avgPool2d(features, { poolSize: 4 }), [b, c]);
  const hidden = ops.relu(ops.add(ops.matmul(squeezed, r.kernel!), r.bias!));
  const gate = ops.sigmoid(ops.add(ops.matmul(hidden, e.kernel!), e.bias!));
  return ops.mul(features, ops.reshape(gate, [b, 1, 1, c]));
}

/** Values and every parameter's gradient of sum(f(x) * R), for the graph and for raw ops. */
function compareWithRaw(model: Model, raw: (m: Model, x: Tensor) => Tensor, xShape: number[]): void {
  const x = seeded(xShape, 5);
  const params = model.parameters();
  const run = (f: () => Tensor) => {
    model.zeroGrad();
    const out = tidy(() => {
      const y = f();
      ops.sum(ops.mul(y, seeded(y.shape as number[], 9))).backward();
      return y.detach();
    });
    const grads = params.map((p) => p.grad!.dataSync());
    model.zeroGrad();
    return { out, grads };
  };
  const graph = run(() => model.forward(x, { training: true }) as Tensor);
  const direct = run(() => raw(model, x));
  expect(graph.out.shape).toEqual(direct.out.shape);
  expectClose(graph.out.dataSync(), direct.out.dataSync(), { rtol: 1e-6, atol: 1e-6, what: 'output' });
  params.forEach((p, i) => expectClose(graph.grads[i], direct.grads[i], { rtol: 1e-5, atol: 1e-6, what: `d${p.name}` }));
  graph.out.dispose(); direct.out.dispose(); x.dispose();
}

describe('graph model: the same values and gradients as raw ops', () => {
  it('a ResNet block', () => {
    setSeed(1);
    const m = tinyResnet();
    compareWithRaw(m, resnetRaw, [2, 6, 6, 3]);
    m.dispose();
  });

  it('a squeeze-and-excitation block', () => {
    setSeed(2);
    const m = seBlock();
    compareWithRaw(m, seRaw, [2, 4, 4, 2]);
    m.dispose();
  });

  it('parameter gradients of the SE block agree with finite differences', () => {
    setSeed(3);
    const m = seBlock();
    const x = seeded([1, 4, 4, 2], 6);
    const R = seeded([1, 4, 4, 4], 8);
    const objective = () => tidy(() => noGrad(() => ops.sum(ops.mul(m.forward(x) as Tensor, R)).dataSync()[0]));
    tidy(() => ops.sum(ops.mul(m.forward(x, { training: true }) as Tensor, R)).backward());
    let worst = 0;
    for (const p of m.parameters()) {
      const analytic = p.grad!.dataSync();
      const v = p.dataSync();
      const eps = 1e-2;
      for (let i = 0; i < v.length; i++) {
        const at = v[i];
        v[i] = at + eps; p.assign(v); const up = objective();
        v[i] = at - eps; p.assign(v); const down = objective();
        v[i] = at; p.assign(v);
        const numeric = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(analytic[i] - numeric) / Math.max(1, Math.abs(numeric)));
      }
    }
    expect(worst).toBeLessThan(1e-2);
    m.dispose(); x.dispose(); R.dispose();
  });
});

describe('graph model: structure', () => {
  it('names layers Keras-style and parameters <layer>/<weight>; Sequential is a Model', () => {
    const input = nn.input({ shape: [4] });
    const a = nn.dense({ units: 3 }).apply(input);
    const b = nn.dense({ units: 3 }).apply(a);
    const m = new Model({ inputs: input, outputs: b });
    expect(m.layers.map((l) => l.name)).toEqual(['input_layer', 'dense', 'dense_1']);
    expect(m.parameters().map((p) => p.name)).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
    expect(m.getLayer('dense_1')).toBe(b.layer);
    expect(m.getLayer(1)).toBe(a.layer);
    expect(m.inputs).toEqual([input]);
    expect(m.outputs).toEqual([b]);
    expect(b.shape).toEqual([null, 3]);
    expect(new Sequential([nn.dense({ units: 2 })])).toBeInstanceOf(Model);
    expect(m).toBeInstanceOf(Model);
    m.dispose();
  });

  it('Model.load loads a saved Sequential (a Model)', async () => {
    const seq = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
    const bytes = await seq.save();
    const loaded = await Model.load(bytes);
    expect(loaded).toBeInstanceOf(Sequential);
    expect(Array.from(loaded.weights()[0].dataSync())).toEqual(Array.from(seq.weights()[0].dataSync()));
    seq.dispose(); loaded.dispose();
  });

  it('a layer applied twice shares its weights and accumulates both gradients', () => {
    setSeed(4);
    const input = nn.input({ shape: [3] });
    const shared = nn.dense({ units: 3, activation: 'tanh' });
    const m = new Model({ inputs: input, outputs: shared.apply(shared.apply(input)) });
    expect(m.layers.length).toBe(2);
    expect(m.parameters().length).toBe(2);
    expect(shared.inboundNodes.length).toBe(2);
    const x = seeded([2, 3], 1);
    tidy(() => ops.sum(m.forward(x, { training: true }) as Tensor).backward());
    const graphGrad = shared.kernel!.grad!.dataSync();
    m.zeroGrad();
    tidy(() => {
      const once = (h: Tensor) => ops.tanh(ops.add(ops.matmul(h, shared.kernel!), shared.bias!));
      ops.sum(once(once(x))).backward();
    });
    expectClose(graphGrad, shared.kernel!.grad!.dataSync(), { rtol: 1e-6, atol: 1e-7, what: 'shared kernel gradient' });
    m.zeroGrad();
    m.dispose(); x.dispose();
  });

  it('a tensor feeding two layers gets the sum of their gradients (fan-out)', () => {
    const input = nn.input({ shape: [2] });
    const left = nn.dense({ units: 2, kernelInitializer: 'ones', useBias: false }).apply(input);
    const right = nn.dense({ units: 2, kernelInitializer: 'ones', useBias: false }).apply(input);
    const m = new Model({ inputs: input, outputs: nn.add().apply([left, right]) });
    const x = tensor([1, 2], [1, 2]).requireGrad();
    tidy(() => ops.sum(m.forward(x, { training: true }) as Tensor).backward());
    expect(Array.from(x.grad!.dataSync())).toEqual([4, 4]);
    x.zeroGrad(); m.zeroGrad(); m.dispose(); x.dispose();
  });

  it('nested models share weights with the model they are applied in', () => {
    setSeed(5);
    const innerIn = nn.input({ shape: [4] });
    const inner = new Model({ inputs: innerIn, outputs: nn.dense({ units: 4, activation: 'relu' }).apply(innerIn), name: 'inner' });
    const input = nn.input({ shape: [4] });
    const twice = inner.apply(inner.apply(input));
    const outer = new Model({ inputs: input, outputs: nn.dense({ units: 2, name: 'head' }).apply(twice), name: 'outer' });
    expect(outer.layers.map((l) => `${l.name}:${l.className}`)).toEqual(['input_layer:InputLayer', 'inner:Functional', 'head:Dense']);
    expect(outer.parameters().length).toBe(4);
    expect(outer.parameters().slice(0, 2)).toEqual(inner.parameters());
    expect(outer.countParams()).toBe(20 + 10);
    const x = seeded([3, 4], 2);
    const viaOuter = tidy(() => (outer.predict(x) as Tensor).dataSync());
    const head = outer.getLayer('head');
    const manual = tidy(() => head.apply(inner.forward(inner.forward(x) as Tensor) as Tensor).dataSync());
    expect(Array.from(viaOuter)).toEqual(Array.from(manual));
    outer.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'meanSquaredError' });
    const before = inner.parameters()[0].dataSync();
    const y = seeded([3, 2], 3);
    outer.trainOnBatch(x, y);
    expect(Array.from(inner.parameters()[0].dataSync())).not.toEqual(Array.from(before));
    outer.dispose(); x.dispose(); y.dispose();
  });

  it('takes several inputs (x as an array) and returns several outputs', () => {
    setSeed(6);
    const a = nn.input({ shape: [3], name: 'a' });
    const b = nn.input({ shape: [2], name: 'b' });
    const joined = nn.concatenate().apply([a, b]);
    const out1 = nn.dense({ units: 2 }).apply(joined);
    const out2 = nn.dense({ units: 1 }).apply(joined);
    const m = new Model({ inputs: [a, b], outputs: [out1, out2] });
    const xa = seeded([5, 3], 1), xb = seeded([5, 2], 2);
    const outs = m.forward([xa, xb]) as Tensor[];
    expect(outs.map((o) => o.shape)).toEqual([[5, 2], [5, 1]]);
    const predicted = m.predict([xa, xb], { batchSize: 2 }) as unknown as Tensor[];
    expect(Array.from(predicted[0].dataSync())).toEqual(Array.from(outs[0].dataSync()));
    expect(Array.from(predicted[1].dataSync())).toEqual(Array.from(outs[1].dataSync()));
    expect(m.outputShapes).toEqual([[2], [1]]);
    [...outs, ...predicted, xa, xb].forEach((t) => t.dispose());
    m.dispose();
  });

  it('trains a multi-input model on x given as an array', async () => {
    setSeed(7);
    const a = nn.input({ shape: [2] });
    const b = nn.input({ shape: [2] });
    const m = new Model({ inputs: [a, b], outputs: nn.dense({ units: 1 }).apply(nn.subtract().apply([a, b])) });
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'meanSquaredError' });
    const xa = seeded([16, 2], 4), xb = seeded([16, 2], 5);
    const y = tidy(() => ops.sum(ops.sub(xa, xb), 1, true));
    const h = await m.fit([xa, xb], y, { epochs: 20, batchSize: 4, verbose: 0, validationData: [[xa, xb], y] });
    expect(h.loss[19]).toBeLessThan(h.loss[0] / 4);
    expect(m.evaluate([xa, xb], y).loss).toBeCloseTo(h.valLoss![19], 6);
    m.dispose(); xa.dispose(); xb.dispose(); y.dispose();
  });
});

/** n 8x8x1 images of a horizontal (label 0) or vertical (label 1) bar, deterministic. */
function bars(n: number): { x: Tensor; y: Tensor } {
  const xs = new Float32Array(n * 64), ys = new Int32Array(n);
  const noise = randomValues(n * 64, 13, -0.1, 0.1);
  for (let i = 0; i < n; i++) {
    ys[i] = i % 2;
    const pos = (i * 5) % 8;
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) xs[i * 64 + r * 8 + c] = ((ys[i] === 0 ? r : c) === pos ? 1 : 0) + noise[i * 64 + r * 8 + c];
  }
  return { x: tensor(xs, [n, 8, 8, 1]), y: tensor(ys, [n], 'int32') };
}

function barsResnet(): Model {
  const input = nn.input({ shape: [8, 8, 1] });
  const stem = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input);
  let x = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(stem);
  x = nn.batchNorm().apply(x);
  x = nn.activation('relu').apply(nn.add().apply([x, stem]));
  const logits = nn.dense({ units: 2 }).apply(nn.globalMaxPool2d().apply(x));
  return new Model({ inputs: input, outputs: logits });
}

describe('graph model: training', () => {
  it('fit reduces the loss', async () => {
    setSeed(8);
    const m = barsResnet();
    const { x, y } = bars(64);
    m.compile({ optimizer: optim.adam({ lr: 0.02 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    const h = await m.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
    expect(h.loss[7]).toBeLessThan(h.loss[0] * 0.5);
    expect(h.accuracy![7]).toBeGreaterThan(0.9);
    m.dispose(); x.dispose(); y.dispose();
  });

  it('a chain built functionally trains bit-identically to the same Sequential', () => {
    const layers = () => [nn.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }), nn.batchNorm(), nn.flatten(), nn.dense({ units: 2 })];
    const seq = new Sequential(layers(), { inputShape: [8, 8, 1] });
    const input = nn.input({ shape: [8, 8, 1] });
    const graph = new Model({ inputs: input, outputs: layers().reduce((t, l) => l.apply(t), input) });
    graph.weights().forEach((w, i) => w.assign(seq.weights()[i]));
    const { x, y } = bars(16);
    for (const m of [seq, graph]) {
      m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      for (let i = 0; i < 5; i++) m.trainOnBatch(x, y);
    }
    graph.weights().forEach((w, i) => expect(Array.from(w.dataSync()), w.name).toEqual(Array.from(seq.weights()[i].dataSync())));
    seq.dispose(); graph.dispose(); x.dispose(); y.dispose();
  });

  it('leaks no tensor over many steps, in predict or in evaluate', () => {
    setSeed(9);
    const m = barsResnet();
    const { x, y } = bars(16);
    m.compile({ optimizer: optim.sgd({ lr: 0.01, momentum: 0.9 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    m.trainOnBatch(x, y); // creates the optimizer state
    const live = backendInfo().liveTensors;
    for (let i = 0; i < 30; i++) m.trainOnBatch(x, y);
    expect(backendInfo().liveTensors).toBe(live);
    const p = m.predict(x, { batchSize: 5 });
    expect(backendInfo().liveTensors).toBe(live + 1);
    p.dispose();
    m.evaluate(x, y, { batchSize: 5 });
    tidy(() => { noGrad(() => m.forward(x)); });
    expect(backendInfo().liveTensors).toBe(live);
    m.dispose(); x.dispose(); y.dispose();
  });
});

describe('graph model: freezing', () => {
  it('a frozen layer gets no gradient and no update, and counts as non-trainable', () => {
    setSeed(10);
    const m = barsResnet();
    const first = m.layers[1] as nn.Conv2D;
    first.trainable = false;
    expect(m.parameters()).not.toContain(first.kernel);
    expect(m.summary()).toContain('Non-trainable params: 48'); // the frozen conv's 40 and batch norm's 8 moving statistics
    const { x, y } = bars(8);
    const kernel = first.kernel!.dataSync();
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    tidy(() => ops.sum(m.forward(x, { training: true }) as Tensor).backward());
    expect(first.kernel!.grad).toBeNull();
    expect((m.layers[2] as nn.Conv2D).kernel!.grad).not.toBeNull();
    m.zeroGrad();
    m.trainOnBatch(x, y);
    expect(Array.from(first.kernel!.dataSync())).toEqual(Array.from(kernel));
    first.trainable = true;
    expect(m.parameters()).toContain(first.kernel);
    m.dispose(); x.dispose(); y.dispose();
  });

  it('a frozen batch norm uses its moving statistics in training and leaves them unchanged', () => {
    setSeed(11);
    const bn = nn.batchNorm({ trainable: false });
    const seq = new Sequential([nn.dense({ units: 3 }), bn], { inputShape: [4] });
    const x = seeded([6, 4], 3);
    const mean = bn.movingMean!.dataSync();
    const trained = tidy(() => seq.forward(x, { training: true }).dataSync());
    const inferred = tidy(() => seq.forward(x, { training: false }).dataSync());
    expect(Array.from(trained)).toEqual(Array.from(inferred));
    expect(Array.from(bn.movingMean!.dataSync())).toEqual(Array.from(mean));
    expect(seq.summary()).toContain('Trainable params: 15');
    expect(seq.summary()).toContain('Non-trainable params: 12');
    seq.dispose(); x.dispose();
  });

  it('freezing a nested model freezes its layers', () => {
    const innerIn = nn.input({ shape: [2] });
    const inner = new Model({ inputs: innerIn, outputs: nn.dense({ units: 2 }).apply(innerIn), name: 'backbone' });
    const input = nn.input({ shape: [2] });
    const outer = new Model({ inputs: input, outputs: nn.dense({ units: 1 }).apply(inner.apply(input)) });
    outer.getLayer('backbone').trainable = false;
    expect(inner.parameters()).toEqual([]);
    expect(outer.parameters().length).toBe(2);
    expect(outer.summary()).toMatch(/Trainable params: 3\nNon-trainable params: 6/);
    outer.dispose();
  });
});

describe('graph model: summary', () => {
  it("prints Keras' functional table with a Connected to column", () => {
    const input = nn.input({ shape: [8, 8, 3], name: 'image' });
    const stem = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }).apply(input);
    const body = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(stem);
    const sum = nn.add().apply([body, stem]);
    const logits = nn.dense({ units: 10 }).apply(nn.globalAvgPool2d().apply(sum));
    const m = new Model({ inputs: input, outputs: logits, name: 'tiny' });
    const row = (cells: string[]) => (cells[0].padEnd(50) + cells[1].padEnd(26) + cells[2].padEnd(10) + cells[3]).trimEnd();
    const bar = '_'.repeat(117), rule = '='.repeat(117);
    // One group of lines per layer, separated by bars; the add layer reads two tensors (two lines).
    const layerRows = [
      [['image (InputLayer)', '(None, 8, 8, 3)', '0', '-']],
      [['stem (Conv2D)', '(None, 8, 8, 4)', '112', 'image[0][0]']],
      [['conv2d (Conv2D)', '(None, 8, 8, 4)', '148', 'stem[0][0]']],
      [['add (Add)', '(None, 8, 8, 4)', '0', 'conv2d[0][0]'], ['', '', '', 'stem[0][0]']],
      [['global_average_pooling2d (GlobalAveragePooling2D)', '(None, 4)', '0', 'add[0][0]']],
      [['dense (Dense)', '(None, 10)', '50', 'global_average_pooling2d[0][0]']],
    ];
    expect(m.summary()).toBe([
      'Model: "tiny"', bar, row(['Layer (type)', 'Output Shape', 'Param #', 'Connected to']), rule,
      layerRows.map((group) => group.map(row).join('\n')).join(`\n${bar}\n`), rule,
      'Total params: 310', 'Trainable params: 310', 'Non-trainable params: 0', bar,
    ].join('\n'));
    m.dispose();
  });
});
