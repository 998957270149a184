// Sequential: the Keras-style example as a user writes it (summary: 421,642 params), learning a
// synthetic image task, seeded bit-identity, memory flat across epochs, the manual loop of
// API.md, fit options (validation, callbacks, History, verbose), and the errors of misuse.
import { describe, it, expect } from 'vitest';
import {
  Sequential, nn, ops, optim, losses, data, tensor, tidy, setSeed, backendInfo, randn, Tensor, ShapeError, ValueError,
} from '../src/index.js';
import { ProgressReporter } from '../src/progress.js';

/**
 * n images size x size x 1 of a bright horizontal (label 0) or vertical (label 1) bar at a
 * random position, on low noise. Deterministic (own LCG) so tests do not depend on setSeed.
 */
function bars(n: number, size = 8, seed = 1): { x: Tensor; y: Tensor } {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const xs = new Float32Array(n * size * size);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const pos = Math.floor(rnd() * size);
    ys[i] = label;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const on = label === 0 ? r === pos : c === pos;
        xs[(i * size + r) * size + c] = (on ? 1 : 0) + 0.2 * (rnd() - 0.5);
      }
    }
  }
  return { x: tensor(xs, [n, size, size, 1]), y: tensor(ys, [n], 'int32') };
}

/** API.md's Keras-style MNIST CNN (421,642 parameters), with or without its dropout layer. */
function mnistCnn({ dropout }: { dropout: number }): Sequential {
  return new Sequential([
    nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dense({ units: 128, activation: 'relu' }),
    ...(dropout > 0 ? [nn.dropout({ rate: dropout })] : []),
    nn.dense({ units: 10, activation: 'softmax' }),
  ], { inputShape: [28, 28, 1] });
}

function smallModel(withBn = false): Sequential {
  return new Sequential([
    nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
    ...(withBn ? [nn.batchNorm()] : []),
    nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dropout({ rate: 0.1 }),
    nn.dense({ units: 2 }),
  ], { inputShape: [8, 8, 1] });
}

const bytesOf = (ts: Tensor[]) => Buffer.concat(ts.map((t) => Buffer.from(t.dataSync().buffer)));

describe('the Keras-style example of API.md, as in a user\'s file', () => {
  it('builds, summarises to 421,642 parameters, trains an epoch, evaluates and predicts', async () => {
    setSeed(42);
    const model = mnistCnn({ dropout: 0.5 });
    const summary = model.summary();
    expect(summary).toBe([
      'Model: "sequential"',
      '___________________________________________________________________',
      'Layer (type)                   Output Shape              Param #',
      '===================================================================',
      'conv2d (Conv2D)                (None, 28, 28, 32)        320',
      '___________________________________________________________________',
      'max_pooling2d (MaxPooling2D)   (None, 14, 14, 32)        0',
      '___________________________________________________________________',
      'conv2d_1 (Conv2D)              (None, 14, 14, 64)        18496',
      '___________________________________________________________________',
      'max_pooling2d_1 (MaxPooling2D) (None, 7, 7, 64)          0',
      '___________________________________________________________________',
      'flatten (Flatten)              (None, 3136)              0',
      '___________________________________________________________________',
      'dense (Dense)                  (None, 128)               401536',
      '___________________________________________________________________',
      'dropout (Dropout)              (None, 128)               0',
      '___________________________________________________________________',
      'dense_1 (Dense)                (None, 10)                1290',
      '===================================================================',
      'Total params: 421,642',
      'Trainable params: 421,642',
      'Non-trainable params: 0',
      '___________________________________________________________________',
    ].join('\n'));
    expect(model.countParams()).toBe(421642);

    model.compile({ optimizer: optim.sgd({ lr: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = randn([40, 28, 28, 1]);
    const y = tensor(Int32Array.from({ length: 40 }, (_, i) => i % 10), [40], 'int32');
    const history = await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    expect(Object.keys(history).sort()).toEqual(['accuracy', 'loss']);
    expect(history.loss).toHaveLength(1);
    expect(Number.isFinite(history.loss[0])).toBe(true);
    const r = model.evaluate(x, y, { batchSize: 16 });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    const p = model.predict(x, { batchSize: 16 });
    expect(p.shape).toEqual([40, 10]);
    const rows = p.arraySync() as number[][];
    for (const row of rows) expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 4);
    model.dispose();
  });
});

describe('summary', () => {
  it('counts batch-norm moving statistics as non-trainable and widens columns for long names', () => {
    const m = new Sequential([
      nn.conv2d({ filters: 8, kernelSize: 3 }), nn.batchNorm(), nn.globalAvgPool2d(), nn.dense({ units: 3 }),
    ], { inputShape: [6, 6, 2] });
    const s = m.summary();
    expect(s).toContain('batch_normalization (BatchNormalization)');
    expect(s).toContain('global_average_pooling2d (GlobalAveragePooling2D)');
    expect(s).toMatch(/\(None, 4, 4, 8\) +32\n/);
    expect(s).toContain('Total params: 211');
    expect(s).toContain('Trainable params: 195');
    expect(s).toContain('Non-trainable params: 16');
    m.dispose();
  });
  it('needs a built model', () => {
    const m = new Sequential([nn.dense({ units: 2 })]);
    expect(() => m.summary()).toThrow(/not built yet/);
    m.forward(randn([1, 3])).dispose();
    expect(m.summary()).toContain('(None, 2)');
    expect(m.countParams()).toBe(8);
    m.dispose();
  });
  it('takes the input shape from the first layer as Keras does, and names layers uniquely', () => {
    const m = new Sequential([nn.dense({ units: 4, inputShape: [3] }), nn.dense({ units: 2 }), nn.dense({ units: 1, name: 'out' })]);
    expect(m.layers.map((l) => l.name)).toEqual(['dense', 'dense_1', 'out']);
    expect(m.countParams()).toBe(16 + 10 + 3);
    m.dispose();
  });
});

describe('learning', () => {
  it('fit drives the loss down and evaluate reports > 95% on held-out bars', async () => {
    setSeed(1);
    const train = bars(256, 8, 1);
    const test = bars(128, 8, 99);
    const model = smallModel(true);
    model.compile({ optimizer: optim.sgd({ lr: 0.05, momentum: 0.9 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    const h = await model.fit(train.x, train.y, { epochs: 8, batchSize: 16, verbose: 0, validationData: [test.x, test.y] });
    expect(h.loss[h.loss.length - 1]).toBeLessThan(h.loss[0] * 0.5);
    expect(h.valAccuracy![h.valAccuracy!.length - 1]).toBeGreaterThan(0.95);
    const r = model.evaluate(test.x, test.y);
    expect(r.accuracy).toBeGreaterThan(0.95);
    expect(r.loss).toBeCloseTo(h.valLoss![h.valLoss!.length - 1], 6);
    // predict agrees with evaluate
    const p = model.predict(test.x, { batchSize: 50 }).arraySync() as number[][];
    const truth = test.y.dataSync();
    const acc = p.filter((row, i) => (row[1] > row[0] ? 1 : 0) === truth[i]).length / p.length;
    expect(acc).toBeCloseTo(r.accuracy!, 6);
    model.dispose();
  });

  it('two runs with the same seed give bit-identical weights (init, shuffling, dropout)', async () => {
    const run = async () => {
      setSeed(2024);
      const { x, y } = bars(64, 8, 3);
      const m = smallModel(true);
      m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
      const w = bytesOf(m.weights());
      m.dispose();
      return w;
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBe((36 + 4 + 16 + 36 * 2 + 2) * 4);
    expect(a.equals(b)).toBe(true);
  });

  it('memory is flat: live tensors and bytes after epoch 1 equal those after epoch N', async () => {
    setSeed(3);
    const { x, y } = bars(96, 8, 4);
    const m = smallModel(true);
    m.compile({ optimizer: optim.sgd({ lr: 0.01, momentum: 0.9 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    const seen: { liveTensors: number; liveBytes: number }[] = [];
    const before = backendInfo();
    await m.fit(x, y, {
      epochs: 6, batchSize: 10, verbose: 0, validationSplit: 0.25,
      onEpochEnd: () => { const i = backendInfo(); seen.push({ liveTensors: i.liveTensors, liveBytes: i.liveBytes }); },
    });
    expect(seen).toHaveLength(6);
    for (const s of seen) expect(s).toEqual(seen[0]);
    // what remains besides the 8 weights: SGD momentum buffers (one per trainable parameter: 6)
    expect(seen[0].liveTensors - before.liveTensors).toBe(6);
    const after = backendInfo();
    expect(after.liveTensors).toBe(seen[0].liveTensors);
    m.evaluate(x, y);
    m.predict(x).dispose();
    m.trainOnBatch(x, y);
    expect(backendInfo().liveTensors).toBe(after.liveTensors);
    expect(backendInfo().liveBytes).toBe(after.liveBytes);
    m.dispose();
  });

  it('the manual loop of API.md trains the model', () => {
    setSeed(4);
    const { x, y } = bars(128, 8, 5);
    const model = smallModel();
    const lossOf = () => tidy(() => losses.sparseCategoricalCrossentropy(model.forward(x), y, { fromLogits: true }).dataSync()[0]);
    const start = lossOf();
    const live = backendInfo().liveTensors;
    const opt = optim.sgd({ lr: 0.05, momentum: 0.9 });
    for (let epoch = 0; epoch < 4; epoch++) {
      for (const [xb, yb] of data.batches(x, y, 16, { shuffle: true })) {
        tidy(() => {
          const loss = losses.sparseCategoricalCrossentropy(model.forward(xb, { training: true }), yb, { fromLogits: true });
          loss.backward();
          opt.step(model.parameters());
          opt.zeroGrad(model.parameters());
        });
      }
    }
    expect(lossOf()).toBeLessThan(start * 0.5);
    expect(backendInfo().liveTensors).toBe(live + model.parameters().length); // + momentum buffers
    opt.dispose();
    model.dispose();
  });

  it('trainOnBatch takes one step and reports the batch loss', () => {
    setSeed(5);
    const { x, y } = bars(32, 8, 6);
    const m = smallModel();
    m.compile({ optimizer: 'adam', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    const first = m.trainOnBatch(x, y);
    let last = first;
    for (let i = 0; i < 30; i++) last = m.trainOnBatch(x, y);
    expect(Object.keys(first).sort()).toEqual(['accuracy', 'loss']);
    expect(last.loss).toBeLessThan(first.loss);
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.dispose();
  });
});

describe('predict', () => {
  it('one image at a time gives the bits of a batch (the MNIST CNN: Winograd conv, batch-1 dense path)', () => {
    setSeed(11);
    const model = mnistCnn({ dropout: 0 });
    const x = randn([64, 28, 28, 1]);
    const bits = (t: Tensor) => Array.from(new Uint32Array(t.dataSync().buffer));
    const whole = tidy(() => bits(model.predict(x, { batchSize: 64 })));
    const oneByOne = tidy(() => bits(model.predict(x, { batchSize: 1 })));
    expect(oneByOne).toEqual(whole);
    const some = tidy(() => bits(model.predict(x, { batchSize: 5 })));
    expect(some).toEqual(whole);
    x.dispose();
    model.dispose();
  });
});

describe('accuracy for every target kind', () => {
  // pred rows: argmax 1, 0, 2, 2 (probabilities); single-unit logits: 2, -1, 0.5, -3
  const probs = [[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.3, 0.5], [0.3, 0.3, 0.4]];
  const fixed = (values: number[][]) => {
    // a model whose output is exactly its input (flatten of [C] samples)
    const m = new Sequential([nn.flatten()], { inputShape: [values[0].length] });
    return { m, x: tensor(values) };
  };
  it('int32 labels, float labels and one-hot targets: argmax', () => {
    const { m, x } = fixed(probs);
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    expect(m.evaluate(x, tensor(Int32Array.from([1, 0, 0, 2]), [4], 'int32')).accuracy).toBe(0.75);
    expect(m.evaluate(x, tensor([1, 0, 2, 2])).accuracy).toBe(1);
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    expect(m.evaluate(x, tensor([[0, 1, 0], [0, 0, 1], [0, 0, 1], [1, 0, 0]])).accuracy).toBe(0.5);
    m.dispose();
  });
  it('a single output unit: threshold 0.5, or 0 with fromLogits', () => {
    const { m, x } = fixed([[0.9], [0.2], [0.6], [0.4]]);
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    expect(m.evaluate(x, tensor([[1], [0], [0], [0]])).accuracy).toBe(0.75);
    expect(m.evaluate(x, tensor([1, 0, 1, 0])).accuracy).toBe(1);
    const l = fixed([[2], [-1], [0.5], [-3]]);
    l.m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: { name: 'binaryCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    expect(l.m.evaluate(l.x, tensor([1, 0, 0, 0])).accuracy).toBe(0.75);
    m.dispose(); l.m.dispose();
  });
  it('compile binds the parameters, so opt.step() works without arguments', () => {
    const m = smallModel();
    const opt = optim.sgd({ lr: 0.1 });
    m.compile({ optimizer: opt, loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    expect(opt.params).toHaveLength(4);
    m.dispose();
  });
});

describe('fit options', () => {
  const setup = () => {
    setSeed(6);
    const { x, y } = bars(40, 8, 7);
    const m = smallModel();
    m.compile({ optimizer: optim.sgd({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    return { x, y, m };
  };

  it('validationSplit takes the last samples before shuffling; History has one value per epoch', async () => {
    const { x, y, m } = setup();
    const batches: number[] = [];
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8, validationSplit: 0.2, verbose: 0, onBatchEnd: (_b, logs) => { batches.push(logs.size); } });
    expect(Object.keys(h).sort()).toEqual(['accuracy', 'loss', 'valAccuracy', 'valLoss']);
    for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const) expect(h[k]).toHaveLength(3);
    expect(batches).toEqual([8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]); // 32 training samples per epoch
    const tail = tidy(() => {
      const xv = tensor(x.dataSync().slice(32 * 64), [8, 8, 8, 1]);
      const yv = tensor(y.dataSync().slice(32), [8], 'int32');
      return m.evaluate(xv, yv);
    });
    expect(tail.loss).toBeCloseTo(h.valLoss![2], 6);
    m.dispose();
  });

  it('metric keys exist only when asked for', async () => {
    const { x, y } = setup();
    const m = smallModel();
    m.compile({ optimizer: optim.sgd({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
    expect(Object.keys(h)).toEqual(['loss']);
    expect(Object.keys(m.evaluate(x, y))).toEqual(['loss']);
    m.dispose();
  });

  it('callbacks run in order; stopTraining ends fit; fit yields to the event loop', async () => {
    const { x, y, m } = setup();
    const events: string[] = [];
    let timerFired = false;
    setTimeout(() => { timerFired = true; }, 0);
    const h = await m.fit(x, y, {
      epochs: 5, batchSize: 20, verbose: 0,
      onTrainBegin: () => { events.push('train'); },
      onEpochBegin: (e) => { events.push(`e${e}`); },
      onBatchEnd: (b) => { events.push(`b${b}`); },
      callbacks: [{ onEpochEnd: async (e, logs) => { events.push(`end${e}:${typeof logs.loss}`); if (e === 1) m.stopTraining = true; } }],
      onTrainEnd: () => { events.push('done'); },
    });
    expect(events).toEqual(['train', 'e0', 'b0', 'b1', 'end0:number', 'e1', 'b0', 'b1', 'end1:number', 'done']);
    expect(h.loss).toHaveLength(2);
    expect(timerFired).toBe(true);
    m.dispose();
  });

  it('verbose: a line per epoch through `log` (or stdout when not a TTY); nothing at verbose 0', async () => {
    const { x, y, m } = setup();
    const lines: string[] = [];
    await m.fit(x, y, { epochs: 2, batchSize: 10, validationSplit: 0.25, log: (l) => lines.push(l) });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Epoch 1\/2 - 30 samples - [\d.]+m?s - \d+ samples\/s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$/);
    const quiet: string[] = [];
    await m.fit(x, y, { epochs: 1, verbose: 0, log: (l) => quiet.push(l) });
    expect(quiet).toEqual([]);
    m.dispose();
  });

  it('augment hook transforms each training batch', async () => {
    const { x, y, m } = setup();
    let calls = 0;
    await m.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0, augment: (xb) => { calls++; return ops.mul(xb, 1); } });
    expect(calls).toBe(4);
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, augment: () => randn([1, 2]) })).rejects.toThrow(ShapeError);
    m.dispose();
  });
});

describe('progress bar', () => {
  it('redraws one line with \\r in a TTY: samples, bar, ETA, loss, accuracy, samples/s', () => {
    const proc = (globalThis as any).process;
    const real = proc.stdout;
    const out: string[] = [];
    const fake = { isTTY: true, write: (s: string) => { out.push(s); return true; } };
    Object.defineProperty(proc, 'stdout', { value: fake, configurable: true });
    try {
      const p = new ProgressReporter({ verbose: 1, epochs: 3, samples: 100 });
      p.epochBegin(0);
      p.batchEnd(50, { loss: 0.5, accuracy: 0.75 });
      p.batchEnd(100, { loss: 0.25, accuracy: 0.875 });
      p.epochEnd({ loss: 0.25, accuracy: 0.875, valLoss: 0.3 });
    } finally {
      Object.defineProperty(proc, 'stdout', { value: real, configurable: true });
    }
    expect(out[0]).toBe('Epoch 1/3\n');
    expect(out[1]).toMatch(/^\r 50\/100 \[=+>\.+\] - ETA: .+ - loss: 0\.5000 - accuracy: 0\.7500 - \d+ samples\/s\x1b\[K$/);
    expect(out[out.length - 1]).toMatch(/^\r100\/100 \[={30}\] - .+ - loss: 0\.2500 - accuracy: 0\.8750 - val_loss: 0\.3000 - \d+ samples\/s\x1b\[K\n$/);
  });
  it('writes one line per epoch when stdout is not a TTY, nothing at verbose 0', () => {
    const proc = (globalThis as any).process;
    const real = proc.stdout;
    const out: string[] = [];
    Object.defineProperty(proc, 'stdout', { value: { isTTY: false, write: (s: string) => { out.push(s); return true; } }, configurable: true });
    try {
      const p = new ProgressReporter({ verbose: 1, epochs: 1, samples: 10 });
      p.epochBegin(0); p.batchEnd(10, { loss: 1 }); p.epochEnd({ loss: 1 });
      const q = new ProgressReporter({ verbose: 0, epochs: 1, samples: 10 });
      q.epochBegin(0); q.batchEnd(10, { loss: 1 }); q.epochEnd({ loss: 1 });
    } finally {
      Object.defineProperty(proc, 'stdout', { value: real, configurable: true });
    }
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^Epoch 1\/1 - 10 samples - .* - loss: 1\.0000\n$/);
  });
});

describe('errors', () => {
  it('labels out of range throw ValueError naming the label and index', async () => {
    const { x } = bars(8);
    const m = smallModel();
    m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    const bad = tensor(Int32Array.from([0, 1, 0, 1, 2, 0, 1, 0]), [8], 'int32');
    await expect(m.fit(x, bad, { verbose: 0 })).rejects.toThrow(/label 2 at index 4 is out of range for 2 classes/);
    expect(() => m.evaluate(x, bad)).toThrow(ValueError);
    expect(() => m.trainOnBatch(x, tensor(Int32Array.from([-1, 0, 0, 0, 0, 0, 0, 0]), [8], 'int32'))).toThrow(/label -1 at index 0/);
    m.dispose();
  });
  it('input shape mismatch throws ShapeError naming the model, the first layer and the shapes', () => {
    const m = smallModel();
    expect(() => m.forward(randn([2, 9, 9, 1]))).toThrow(ShapeError);
    expect(() => m.forward(randn([2, 9, 9, 1]))).toThrow(/sequential.forward: input \[2,9,9,1\] is incompatible with layer 'conv2d' \(Conv2D\): expected shape \(None, 8, 8, 1\), found \(None, 9, 9, 1\)/);
    expect(() => m.predict(randn([2, 8, 8, 3]))).toThrow(ShapeError);
    m.dispose();
  });
  it('a model whose layers do not fit the input shape fails at construction', () => {
    expect(() => new Sequential([nn.conv2d({ filters: 2, kernelSize: 5 }), nn.maxPool2d({ poolSize: 4 })], { inputShape: [6, 6, 1] }))
      .toThrow(/max_pooling2d: input 2x2 is smaller than the 4x4 pool window/);
  });
  it('misuse: fit before compile, bad options, unknown metric, duplicate names, x/y sizes', async () => {
    const { x, y } = bars(8);
    const m = smallModel();
    await expect(m.fit(x, y)).rejects.toThrow(/call compile/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['auc'] })).toThrow(/unknown metric "auc"/);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(m.fit(x, y, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(m.fit(x, y, { epochs: -1 })).rejects.toThrow(/epochs/);
    await expect(m.fit(x, y, { validationSplit: 1 })).rejects.toThrow(/validationSplit/);
    await expect(m.fit(x, tensor(Int32Array.from([0, 1]), [2], 'int32'))).rejects.toThrow(ShapeError);
    expect(() => new Sequential([nn.dense({ units: 1, name: 'a' }), nn.dense({ units: 1, name: 'a' })])).toThrow(/named 'a' is already/);
    // still usable after all of that
    const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
    expect(h.loss).toHaveLength(1);
    m.dispose();
  });
});

describe('data.batches', () => {
  it('is exported on the data namespace', () => {
    expect(typeof data.batches).toBe('function');
  });
});
