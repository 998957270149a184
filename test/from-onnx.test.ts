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

/** The model's weight holding a PyTorch parameter or buffer: the one whose name ends with its initializer name. */
function weightOf(model: Model, torchName: string): Tensor {
  const found = model.weights().filter((w) => w.name!.endsWith(`/${torchName}`));
  if (found.length !== 1) throw new Error(`${found.length} weights named .../${torchName}`);
  return found[0];
}

describe('Model.fromOnnx: torchvision networks with batch norm kept', () => {
  it.each(MODELS)('%s: forward equals PyTorch (eval) and every weight is a layer parameter', async (name) => {
    const e = expected[name];
    const model = await load(name);
    try {
      // Every PyTorch parameter is a trainable parameter of the model named '<layer>/<its name>', and
      // nothing else is; the moving statistics are the non-trainable weights, named the same way.
      const params = new Set(model.parameters());
      for (const p of Object.keys(e.gradients)) expect(params.has(weightOf(model, p)), p).toBe(true);
      expect(params.size).toBe(Object.keys(e.gradients).length);
      for (const b of Object.keys(e.moving)) expect(params.has(weightOf(model, b)), b).toBe(false);
      expect(model.parameters().slice(0, 2).map((p) => p.name)).toEqual(name === 'resnet18'
        ? ['conv1/conv1.weight', 'bn1/bn1.weight'] : ['features.0.0/features.0.0.weight', 'features.0.1/features.0.1.weight']);
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
  it('a graph model through toOnnx (NHWC and NCHW files) and back computes the same, taking the file\'s layout', async () => {
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
        const bytes = original.toOnnx({ layout });
        // The file's own layout by default (an NHWC file takes NHWC images as is), NHWC images when asked.
        for (const [option, fed] of [[undefined, layout === 'NCHW' ? ops.transpose(xb, [0, 3, 1, 2]) : xb], ['NHWC', xb]] as const) {
          const back = await Model.fromOnnx(bytes, option ? { layout: option } : {});
          try {
            const classes = back.layers.map((l) => l.className);
            for (const c of ['DepthwiseConv2D', 'BatchNormalization', 'Multiply', 'Concatenate', 'MaxPooling2D']) expect(classes, c).toContain(c);
            expect(classes.filter((c) => c === 'Permute').length, `${layout} file, layout ${option}`).toBe(layout === 'NCHW' && !option ? 1 : 0);
            expectClose(tidy(() => back.predict(fed).dataSync()), want, { rtol: 1e-6, atol: 1e-6, what: `${layout} file, layout ${option}` });
          } finally {
            back.dispose();
            if (fed !== xb) fed.dispose();
          }
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
      expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'Permute', 'Flatten', 'Dense']);
      const xs = Array.from({ length: 2 * 8 }, (_, i) => Math.fround(Math.cos(3 * i)));
      const x = tensor(xs, [2, 2, 2, 2]); // the file's NCHW: [n, c, h, w]
      // Naive float64: the file flattens (c, h, w).
      const want: number[] = [];
      for (let n = 0; n < 2; n++) {
        for (let o = 0; o < 3; o++) {
          let acc = C[o];
          for (let c = 0; c < 2; c++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) acc += xs[((n * 2 + c) * 2 + h) * 2 + w] * B[(c * 4 + h * 2 + w) * 3 + o];
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

describe('Model.fromOnnx: 4-D outputs', () => {
  it('come back in the graph\'s layout (equal to loadOnnx\'s run), or NHWC with { layout: \'NHWC\' }; training reaches through the permutes', async () => {
    const wv = Array.from({ length: 4 * 2 * 9 }, (_, i) => Math.fround(Math.sin(0.53 * i) * 0.5));
    const bytes = onnxModel([
      node('Conv', ['x', 'head.weight', 'head.bias'], ['c'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
      node('Relu', ['c'], ['map']),
      node('GlobalAveragePool', ['map'], ['pooled']),
    ], [f32('head.weight', [4, 2, 3, 3], wv), f32('head.bias', [4], [0.1, -0.2, 0.3, 0])], [['x', ['N', 2, 5, 6]]], ['map', 'pooled']);
    const model = await Model.fromOnnx(bytes);
    const nhwc = await Model.fromOnnx(bytes, { layout: 'NHWC' });
    const net = await loadOnnx(bytes);
    const x = randn([2, 2, 5, 6]);
    try {
      expect(model.parameters().map((p) => p.name)).toEqual(['head/head.weight', 'head/head.bias']);
      expect(model.outputShapes).toEqual([[4, 5, 6], [4, 1, 1]]);
      const want = tidy(() => Object.values(net.run({ x })).map((t) => t.dataSync()));
      const got = tidy(() => (model.predict(x) as unknown as Tensor[]).map((t) => t.dataSync()));
      got.forEach((g, i) => expectClose(g, want[i], { rtol: 1e-5, atol: 1e-6, what: `output ${i}` }));
      expect(nhwc.outputShapes).toEqual([[5, 6, 4], [1, 1, 4]]);
      const gotNhwc = tidy(() => ops.transpose((nhwc.predict(ops.transpose(x, [0, 2, 3, 1])) as unknown as Tensor[])[0], [0, 3, 1, 2]).dataSync());
      expectClose(gotNhwc, want[0], { rtol: 1e-5, atol: 1e-6, what: 'NHWC model' });
      // d(sum of the map)/d(bias) = the number of positive outputs per channel: the gradient flows through both permutes.
      tidy(() => {
        const [map] = model.forward(x, { training: true }) as Tensor[];
        ops.sum(map).backward();
        const positives = [0, 1, 2, 3].map((o) => Array.from(want[0]).filter((v, i) => Math.floor(i / 30) % 4 === o && v > 0).length);
        expect(Array.from(model.parameters()[1].grad!.dataSync())).toEqual(positives);
      });
    } finally {
      x.dispose();
      net.dispose();
      nhwc.dispose();
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
    const x = randn([2, C, 11, 10]);
    try {
      const classes = model.layers.map((l) => l.className);
      expect(classes.filter((c) => c === 'ZeroPadding2D').length).toBe(4); // Pad, the ceil-mode max pool's extra row, two counted average pads
      for (const c of ['PReLU', 'MaxPooling2D', 'AveragePooling2D', 'Concatenate', 'GlobalAveragePooling2D', 'Dense']) expect(classes, c).toContain(c);
      const want = tidy(() => net.predict(x).dataSync());
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
