// Model.fromOnnx on torchvision's ResNet-18 and MobileNetV2 at reduced width, exported with batch norm
// kept (test/fixtures/onnx/gen_from_onnx.py): the imported graph Model's output equals PyTorch's; one SGD
// step in training mode gives every parameter PyTorch's gradient, the update w - lr * g and PyTorch's
// moving statistics; a frozen backbone under a new head keeps its weights bit for bit while the head
// learns; the model survives save / load and toOnnx -> loadOnnx.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, nn, optim, losses, tensor, randn, tidy, loadOnnx, ops, backendInfo, FormatError, type Tensor } from '../src/index.js';
import { expectClose, maxAbsDiff } from './harness/close.js';
import { f32, i64, int, ints, flt, node, model as onnxModel } from './harness/onnx-graph.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
interface Stored { shape: number[]; f32: string }
interface Expected {
  x: Stored; output: Stored; trainX: Stored; trainY: number[]; lr: number; loss: number;
  gradients: Record<string, Stored>; moving: Record<string, Stored>;
}
const expected = JSON.parse(readFileSync(new URL('from_onnx_expected.json', dir), 'utf8')) as Record<string, Expected>;
const MODELS = Object.keys(expected);

function values(s: Stored): Float32Array {
  const b = Buffer.from(s.f32, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}
const input = (s: Stored): Tensor => tensor(values(s), s.shape);
const load = (name: string) => Model.fromOnnx(new Uint8Array(readFileSync(new URL(`from_onnx_${name}.onnx`, dir))));
const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** The model's weight holding a PyTorch parameter or buffer: layer `<module>`, Keras weight name by kind. */
function weightOf(model: Model, torchName: string): Tensor {
  const dot = torchName.lastIndexOf('.');
  const layer = model.getLayer(torchName.slice(0, dot));
  const kind = torchName.slice(dot + 1);
  const keras: Record<string, string> = layer.className === 'BatchNormalization'
    ? { weight: 'gamma', bias: 'beta', running_mean: 'moving_mean', running_var: 'moving_variance' }
    : { weight: layer.className === 'DepthwiseConv2D' ? 'depthwise_kernel' : 'kernel', bias: 'bias' };
  const w = layer.weights().find((t) => t.name === `${layer.name}/${keras[kind]}`);
  if (!w) throw new Error(`no weight for ${torchName} in layer ${layer.name}`);
  return w;
}

describe('Model.fromOnnx: torchvision networks with batch norm kept', () => {
  it.each(MODELS)('%s: forward equals PyTorch (eval) and every weight is a layer parameter', async (name) => {
    const e = expected[name];
    const model = await load(name);
    try {
      // Every PyTorch parameter is a trainable parameter of the model, and nothing else is.
      const params = new Set(model.parameters());
      for (const p of Object.keys(e.gradients)) expect(params.has(weightOf(model, p)), p).toBe(true);
      expect(params.size).toBe(Object.keys(e.gradients).length);
      expect(model.layers.some((l) => l.className === 'BatchNormalization')).toBe(true);
      if (name === 'mobilenet_v2') expect(model.layers.some((l) => l.className === 'DepthwiseConv2D')).toBe(true);
      const want = values(e.output);
      const got = tidy(() => model.predict(input(e.x)).dataSync());
      const diff = maxAbsDiff(got, want);
      console.log(`fromOnnx ${name}: forward max |ours - PyTorch| = ${diff.toExponential(2)} (max |output| ${maxAbs(want).toFixed(3)})`);
      expect(diff).toBeLessThanOrEqual(1e-5 * maxAbs(want));
    } finally {
      model.dispose();
    }
  });

  it.each(MODELS)('%s: one SGD step in training mode: PyTorch\'s gradients, update and moving statistics', async (name) => {
    const e = expected[name];
    const model = await load(name);
    try {
      const before = new Map(Object.keys(e.gradients).map((p) => [p, weightOf(model, p).dataSync().slice()]));
      tidy(() => {
        const y = tensor(Int32Array.from(e.trainY), [e.trainY.length], 'int32');
        const loss = losses.sparseCategoricalCrossentropy(model.forward(input(e.trainX), { training: true }) as Tensor, y, { fromLogits: true });
        expectClose(loss.dataSync()[0], e.loss, { rtol: 1e-5, what: `${name} loss` });
        loss.backward();
      });
      // Within 1e-3 of each gradient's own scale; a batch-norm shift feeding a conv and then a batch norm
      // on batch statistics has an exactly-zero gradient, so both sides are rounding noise, bounded by
      // the network's largest gradient.
      const floor = 1e-6 * Math.max(...Object.values(e.gradients).map((g) => maxAbs(values(g))));
      let worst = 0;
      for (const [p, g] of Object.entries(e.gradients)) {
        const want = values(g);
        const got = weightOf(model, p).grad!.dataSync();
        const scale = maxAbs(want);
        if (scale > 1e3 * floor) worst = Math.max(worst, maxAbsDiff(got, want) / scale);
        expectClose(got, want, { rtol: 1e-3, atol: 1e-3 * scale + floor, what: `${name} gradient of ${p}` });
      }
      console.log(`fromOnnx ${name}: gradients of ${Object.keys(e.gradients).length} parameters, worst max |ours - PyTorch| / max |PyTorch| = ${worst.toExponential(2)}`);
      const opt = optim.sgd({ lr: e.lr });
      opt.step(model.parameters());
      for (const [p, g] of Object.entries(e.gradients)) {
        const w0 = before.get(p)!, gt = values(g);
        const want = w0.map((w, i) => w - e.lr * gt[i]);
        expectClose(weightOf(model, p).dataSync(), want, { rtol: 1e-5, atol: e.lr * (1e-3 * maxAbs(gt) + floor), what: `${name} updated ${p}` });
      }
      for (const [b, m] of Object.entries(e.moving)) {
        expectClose(weightOf(model, b).dataSync(), values(m), { rtol: 1e-4, atol: 1e-5, what: `${name} ${b} after the step` });
      }
      opt.dispose();
    } finally {
      model.dispose();
    }
  });
});

/** The backbone of `model` (every layer up to its flattened features) under a new dense head of `units`. */
function withNewHead(model: Model, featuresLayer: string, units: number): Model {
  const features = model.getLayer(featuresLayer).inboundNodes[0].outputs[0];
  const head = nn.dense({ units, name: 'head' }).apply(features);
  return new Model({ inputs: model.inputs, outputs: head, name: 'fine_tuned' });
}

describe('Model.fromOnnx: fine-tuning', () => {
  it('a frozen backbone keeps every weight bit for bit while the new head learns', async () => {
    const e = expected.resnet18;
    const model = withNewHead(await load('resnet18'), 'Flatten', 3);
    try {
      for (const l of model.layers) if (l.name !== 'head') l.trainable = false;
      expect(model.parameters().map((p) => p.name)).toEqual(['head/kernel', 'head/bias']);
      const head = model.getLayer('head').weights();
      const backbone = model.weights().filter((w) => !head.includes(w));
      expect(backbone.length).toBeGreaterThan(80); // conv kernels, batch-norm affines and moving statistics
      const frozen = backbone.map((w) => w.dataSync().slice());
      const head0 = head.map((w) => w.dataSync().slice());
      model.compile({ optimizer: optim.sgd({ lr: 0.5 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      const x = input(e.trainX);
      const y = tensor(Int32Array.from(e.trainY.map((v) => v % 3)), [e.trainY.length], 'int32');
      const first = model.trainOnBatch(x, y).loss;
      for (let i = 0; i < 4; i++) model.trainOnBatch(x, y);
      const last = model.evaluate(x, y).loss;
      x.dispose(); y.dispose();
      backbone.forEach((w, i) => expect(Buffer.from(w.dataSync().buffer).equals(Buffer.from(frozen[i].buffer)), w.name).toBe(true));
      head.forEach((w, i) => expect(maxAbsDiff(w.dataSync(), head0[i]), w.name).toBeGreaterThan(1e-3));
      expect(last).toBeLessThan(first);
    } finally {
      model.dispose();
    }
  });

  it.each(MODELS)('%s: save / Model.load round trip and toOnnx -> loadOnnx give the same outputs', async (name) => {
    const e = expected[name];
    const model = await load(name);
    const x = input(e.x);
    try {
      const want = tidy(() => model.predict(x).dataSync());
      const loaded = await Model.load(await model.save());
      try {
        expect(loaded.weights().map((w) => w.name)).toEqual(model.weights().map((w) => w.name));
        expect(Buffer.from(tidy(() => loaded.predict(x).dataSync()).buffer).equals(Buffer.from(want.buffer))).toBe(true);
      } finally {
        loaded.dispose();
      }
      const net = await loadOnnx(model.toOnnx());
      try {
        const got = tidy(() => net.predict(x).dataSync());
        expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5 * maxAbs(want));
      } finally {
        net.dispose();
      }
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

describe('Model.fromOnnx: layouts', () => {
  it('a graph model through toOnnx (NHWC and NCHW files) and back computes the same', async () => {
    const input = nn.input({ shape: [8, 8, 3] });
    let x = nn.activation('relu6').apply(nn.batchNorm().apply(nn.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).apply(input)));
    const d = nn.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 1 }).apply(x);
    const gate = nn.activation('sigmoid').apply(nn.conv2d({ filters: 8, kernelSize: 1 }).apply(nn.globalAvgPool2d({ keepDims: true }).apply(d)));
    x = nn.multiply().apply([d, gate]);
    x = nn.concatenate().apply([x, nn.maxPool2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x)]);
    const y = nn.dense({ units: 3 }).apply(nn.flatten().apply(nn.activation('hardSwish').apply(x)));
    const original = new Model({ inputs: input, outputs: y });
    const xb = randn([2, 8, 8, 3]);
    try {
      const want = tidy(() => original.predict(xb).dataSync());
      for (const layout of ['NHWC', 'NCHW'] as const) {
        const back = await Model.fromOnnx(original.toOnnx({ layout }));
        try {
          const classes = new Set(back.layers.map((l) => l.className));
          for (const c of ['DepthwiseConv2D', 'BatchNormalization', 'Multiply', 'Concatenate', 'MaxPooling2D']) expect(classes.has(c), c).toBe(true);
          expectClose(tidy(() => back.predict(xb).dataSync()), want, { rtol: 1e-6, atol: 1e-6, what: `${layout} file` });
        } finally {
          back.dispose();
        }
      }
    } finally {
      xb.dispose();
      original.dispose();
    }
  });

  it.each(['Gemm', 'MatMul + Add'])('an image flattened in NCHW order feeding %s: the dense kernel\'s rows are reordered', async (kind) => {
    const B = Array.from({ length: 8 * 3 }, (_, i) => Math.fround(Math.sin(i + 1)));
    const C = [0.5, -1, 2];
    const nodes = kind === 'Gemm'
      ? [node('Flatten', ['x'], ['f'], [int('axis', 1)]), node('Gemm', ['f', 'B', 'C'], ['y'])]
      : [node('Flatten', ['x'], ['f']), node('MatMul', ['f', 'B'], ['m']), node('Add', ['m', 'C'], ['y'])];
    const model = await Model.fromOnnx(onnxModel(nodes, [f32('B', [8, 3], B), f32('C', [3], C)], [['x', ['N', 2, 2, 2]]], ['y']));
    try {
      expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'Flatten', 'Dense']);
      const xs = Array.from({ length: 2 * 8 }, (_, i) => Math.fround(Math.cos(3 * i)));
      const x = tensor(xs, [2, 2, 2, 2]); // NHWC: [n, h, w, c]
      // Naive float64: the file flattens (c, h, w).
      const want: number[] = [];
      for (let n = 0; n < 2; n++) {
        for (let o = 0; o < 3; o++) {
          let acc = C[o];
          for (let c = 0; c < 2; c++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) acc += xs[((n * 2 + h) * 2 + w) * 2 + c] * B[(c * 4 + h * 2 + w) * 3 + o];
          want.push(acc);
        }
      }
      expectClose(tidy(() => model.predict(x).dataSync()), want, { rtol: 1e-6, atol: 1e-6 });
      x.dispose();
    } finally {
      model.dispose();
    }
  });
});

describe('Model.fromOnnx: the other ops', () => {
  it('Pad, ceil-mode and padded pools, ReduceMean, PRelu, Clip, HardSigmoid, Concat, Softmax equal loadOnnx on the same file', async () => {
    const C = 3;
    const wv = Array.from({ length: C * C * 9 }, (_, i) => Math.fround(Math.sin(0.37 * i) * 0.4));
    const nodes = [
      node('Conv', ['x', 'w', 'b'], ['c'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 0, 2, 1])]),
      node('PRelu', ['c', 'slope'], ['p']),
      node('Relu', ['p'], ['r']),
      node('Pad', ['r', 'pads'], ['pd'], [], 'pad'),
      node('MaxPool', ['pd'], ['mp'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('ceil_mode', 1)]),
      node('AveragePool', ['mp'], ['ap'], [ints('kernel_shape', [2, 2]), ints('pads', [1, 1, 0, 0]), int('count_include_pad', 1)]),
      node('Clip', ['ap', 'lo', 'hi'], ['cl']),
      node('HardSigmoid', ['mp'], ['hs'], [flt('alpha', 1 / 6), flt('beta', 0.5)]),
      node('AveragePool', ['hs'], ['hp'], [ints('kernel_shape', [2, 2]), ints('pads', [1, 1, 0, 0]), int('count_include_pad', 1)]),
      node('Concat', ['cl', 'hp'], ['cat'], [int('axis', 1)]),
      node('ReduceMean', ['cat'], ['mean'], [ints('axes', [2, 3]), int('keepdims', 0)]),
      node('Gemm', ['mean', 'fw', 'fb'], ['logits'], [int('transB', 1)]),
      node('Softmax', ['logits'], ['y'], [int('axis', -1)]),
    ];
    const inits = [
      f32('w', [C, C, 3, 3], wv), f32('b', [C], [0.1, -0.2, 0.3]), f32('slope', [C, 1, 1], [0.1, 0.2, -0.3]),
      i64('pads', [0, 0, 0, 1, 0, 0, 0, 1]), f32('lo', [], [0]), f32('hi', [], [6]),
      f32('fw', [4, 2 * C], Array.from({ length: 8 * C }, (_, i) => Math.fround(Math.cos(i)))), f32('fb', [4], [0, 1, 2, 3]),
    ];
    const bytes = onnxModel(nodes, inits, [['x', ['N', C, 11, 10]]], ['y']);
    const model = await Model.fromOnnx(bytes);
    const net = await loadOnnx(bytes);
    const x = randn([2, 11, 10, C]);
    try {
      const classes = model.layers.map((l) => l.className);
      expect(classes.filter((c) => c === 'ZeroPadding2D').length).toBe(4); // Pad, the ceil-mode max pool's extra row, two counted average pads
      for (const c of ['PReLU', 'MaxPooling2D', 'AveragePooling2D', 'Concatenate', 'GlobalAveragePooling2D', 'Dense']) expect(classes, c).toContain(c);
      const want = tidy(() => net.predict(ops.transpose(x, [0, 3, 1, 2])).dataSync());
      expectClose(tidy(() => model.predict(x).dataSync()), want, { rtol: 1e-5, atol: 1e-6 });
    } finally {
      x.dispose();
      net.dispose();
      model.dispose();
    }
  });
});

describe('Model.fromOnnx: damaged files', () => {
  it('truncated or byte-flipped files give a model or a FormatError, and leave no tensor behind', async () => {
    const base = new Uint8Array(readFileSync(new URL('from_onnx_mobilenet_v2.onnx', dir)));
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const live = backendInfo().liveTensors;
    const outcomes = { model: 0, formatError: 0 };
    for (let k = 0; k < 60; k++) {
      const bytes = base.slice(0, k % 3 === 0 ? Math.floor(rnd() * base.length) : base.length);
      for (let j = 0; j <= k % 5; j++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      try {
        (await Model.fromOnnx(bytes)).dispose();
        outcomes.model++;
      } catch (e) {
        expect(e, (e as Error).message).toBeInstanceOf(FormatError);
        outcomes.formatError++;
      }
    }
    expect(outcomes.formatError).toBeGreaterThan(10);
    expect(backendInfo().liveTensors).toBe(live);
  });
});
