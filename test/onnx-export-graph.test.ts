// toOnnx of graph models: residual, squeeze-and-excitation, concatenating (U-Net style), two-input
// two-output, nested and shared-layer models, each trained a few steps here, exported, and run in
// onnxruntime-web (wasm EP, one thread, in Node): every output within 1e-4 of ours, in the default
// NHWC layout and with { layout: 'NCHW' }. Also the export -> loadOnnx round trip of each,
// and the graph's structure (fan-out transposed once, shared weights once).
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, nn, randn, randu, setSeed, tensor, tidy, loadOnnx, ops, ValueError, type Tensor } from '../src/index.js';
import { modelToOnnx, modelToOnnxMessage, type OnnxExportOptions } from '../src/io/onnx/export.js';
import type { ModelMsg } from '../src/io/onnx/proto.js';
import { encodeModelChecked } from './onnx-codec.js';
import { expectClose, maxAbsDiff } from './harness/close.js';
import { loadOrt, type Ort } from './harness/ort.js';

let ort: Ort;
beforeAll(async () => { ort = await loadOrt(); });

/** Runs ONNX bytes in onnxruntime-web on one batch per graph input; every output's values and dims. */
async function runOrtAll(bytes: Uint8Array, xs: readonly Tensor[]): Promise<{ data: Float32Array; dims: readonly number[] }[]> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, new ort.Tensor('float32', Float32Array.from(xs[i].dataSync()), xs[i].shape.slice())]));
    const out = await session.run(feeds);
    return session.outputNames.map((n) => ({ data: out[n].data as Float32Array, dims: out[n].dims }));
  } finally {
    await session.release();
  }
}

/** Trains the (single-output) model a few steps towards random targets (mean squared error). */
async function trainBriefly(model: Model): Promise<void> {
  model.compile({ optimizer: { name: 'adam', lr: 0.01 }, loss: 'meanSquaredError' });
  const n = 8;
  const xs = model.inputs.map((t) => randn([n, ...t.sampleShape]));
  const y = randn([n, ...model.outputShape!]);
  await model.fit(xs.length === 1 ? xs[0] : xs, y, { epochs: 2, batchSize: 4, verbose: 0 });
  for (const t of [...xs, y]) t.dispose();
}

interface GraphCase {
  name: string;
  /** The model to export, and the single-output model sharing its layers that trains them. */
  build: () => { model: Model; train: Model };
  /** Extra checks on the exported message. */
  check?: (msg: ModelMsg) => void;
}

const conv = (filters: number, kernelSize: number, extra: Record<string, unknown> = {}) => nn.conv2d({ filters, kernelSize, padding: 'same', ...extra });
const opTypes = (msg: ModelMsg) => msg.graph!.node!.map((n) => n.opType);

const CASES: GraphCase[] = [
  {
    name: 'residual block (fan-out into conv and add, batch norm, an add of the raw NHWC input and an NCHW conv)',
    build: () => {
      const x = nn.input({ shape: [8, 8, 4] });
      const short = nn.add().apply([x, conv(4, 1).apply(x)]); // the graph input (NHWC) + a conv output (NCHW)
      const h = conv(8, 3, { activation: 'relu' }).apply(short);
      let y = conv(8, 3).apply(h);
      y = nn.batchNorm().apply(y);
      y = nn.activation('relu').apply(nn.add().apply([h, y]));
      const out = nn.dense({ units: 3 }).apply(nn.globalAvgPool2d().apply(y));
      const model = new Model({ inputs: x, outputs: out, name: 'residual' });
      return { model, train: model };
    },
    check: (msg) => {
      // The input feeds two layers that read it NCHW: one Transpose serves both.
      expect(msg.graph!.node!.filter((n) => n.input!.includes('input') && n.opType === 'Transpose')).toHaveLength(1);
    },
  },
  {
    name: 'squeeze-and-excitation (globalAvgPool2d keepDims, dense on [B,1,1,C], multiply broadcasting over H, W)',
    build: () => {
      const x = nn.input({ shape: [6, 6, 3] });
      const f = conv(8, 3, { activation: 'relu' }).apply(x);
      let s = nn.globalAvgPool2d({ keepDims: true }).apply(f);
      s = nn.dense({ units: 2, activation: 'relu' }).apply(s);
      s = nn.dense({ units: 8, activation: 'sigmoid' }).apply(s);
      const gated = nn.multiply().apply([f, s]);
      const out = nn.dense({ units: 3 }).apply(nn.flatten().apply(gated));
      const model = new Model({ inputs: x, outputs: out, name: 'squeeze_excite' });
      return { model, train: model };
    },
    check: (msg) => expect(opTypes(msg)).toContain('Mul'),
  },
  {
    name: 'concatenating (U-Net skip: upSampling2d then concatenate on channels; a concatenate on the height axis)',
    build: () => {
      const x = nn.input({ shape: [8, 8, 3] });
      const c1 = conv(4, 3, { activation: 'relu' }).apply(x);
      const c2 = conv(6, 3, { activation: 'relu' }).apply(nn.maxPool2d({ poolSize: 2 }).apply(c1));
      const up = nn.upSampling2d({ size: 2 }).apply(c2);
      const joined = nn.concatenate().apply([c1, up]);
      const dense = nn.concatenate().apply([joined, conv(3, 1).apply(joined)]); // DenseNet-style growth
      const head = conv(2, 1).apply(dense);
      const out = nn.concatenate({ axis: 1 }).apply([head, head]);
      const model = new Model({ inputs: x, outputs: out, name: 'unet' });
      return { model, train: model };
    },
    check: (msg) => {
      const axes = msg.graph!.node!.filter((n) => n.opType === 'Concat').map((n) => n.attribute![0].i);
      expect(axes).toEqual([1, 1, 2]); // NCHW inside the graph: channels 1, height 2
    },
  },
  {
    name: 'two inputs, two outputs (image and features; concatenate, subtract, average of three, maximum)',
    build: () => {
      const image = nn.input({ shape: [6, 6, 2], name: 'image' });
      const features = nn.input({ shape: [5], name: 'features' });
      const h = nn.dense({ units: 4 }).apply(nn.globalMaxPool2d().apply(conv(3, 3, { activation: 'tanh' }).apply(image)));
      const g = nn.dense({ units: 4, activation: 'relu' }).apply(features);
      const logits = nn.dense({ units: 3, name: 'logits' }).apply(nn.concatenate().apply([h, nn.subtract().apply([h, g])]));
      const mixed = nn.average({ name: 'mixed' }).apply([h, g, nn.maximum().apply([h, g])]);
      const model = new Model({ inputs: [image, features], outputs: [logits, mixed], name: 'two_heads' });
      return { model, train: new Model({ inputs: [image, features], outputs: logits, name: 'two_heads_train' }) };
    },
    check: (msg) => {
      expect(msg.graph!.input!.map((v) => v.name)).toEqual(['image', 'features']);
      expect(msg.graph!.output!.map((v) => v.name)).toEqual(['logits', 'mixed']);
    },
  },
  {
    name: 'nested models (a residual block applied twice, a head applied once), inlined',
    build: () => {
      const bx = nn.input({ shape: [6, 6, 4] });
      const by = nn.batchNorm().apply(conv(4, 3, { activation: 'relu' }).apply(bx));
      const block = new Model({ inputs: bx, outputs: nn.add().apply([bx, by]), name: 'block' });
      const hx = nn.input({ shape: [6, 6, 4] });
      const head = new Model({ inputs: hx, outputs: nn.dense({ units: 3 }).apply(nn.globalAvgPool2d().apply(hx)), name: 'head' });
      const x = nn.input({ shape: [6, 6, 3] });
      const out = head.apply(block.apply(block.apply(conv(4, 1).apply(x))));
      const model = new Model({ inputs: x, outputs: out, name: 'outer' });
      return { model, train: model };
    },
    check: (msg) => {
      const names = msg.graph!.node!.map((n) => n.name!);
      expect(names).toContain('block/conv2d');
      expect(names).toContain('block/conv2d_1'); // the second application
      expect(names).toContain('head/dense');
      // The block's weights are written once, read by both applications.
      const kernels = msg.graph!.initializer!.filter((t) => t.name!.startsWith('block/conv2d/kernel'));
      expect(kernels).toHaveLength(1);
      expect(msg.graph!.node!.filter((n) => n.input!.includes(kernels[0].name!))).toHaveLength(2);
    },
  },
  {
    name: 'shared layers (a conv applied twice in a row, a dense applied to two pooled vectors)',
    build: () => {
      const x = nn.input({ shape: [6, 6, 3] });
      const shared = conv(3, 3, { activation: 'relu', name: 'shared' });
      const y1 = shared.apply(x);
      const y2 = shared.apply(y1);
      const m = nn.maximum().apply([y1, y2]);
      const proj = nn.dense({ units: 3, name: 'proj' });
      const averaged = proj.apply(nn.globalAvgPool2d().apply(m));
      const maxed = proj.apply(nn.globalMaxPool2d().apply(m));
      const model = new Model({ inputs: x, outputs: nn.add().apply([averaged, maxed]), name: 'shared_model' });
      return { model, train: model };
    },
    check: (msg) => {
      const inits = msg.graph!.initializer!.map((t) => t.name);
      expect(inits.filter((n) => n!.startsWith('shared/kernel'))).toEqual(['shared/kernel']);
      expect(inits.filter((n) => n!.startsWith('proj/kernel'))).toEqual(['proj/kernel']);
      expect(msg.graph!.node!.filter((n) => n.input!.includes('shared/kernel'))).toHaveLength(2);
      expect(msg.graph!.node!.filter((n) => n.input!.includes('proj/kernel')).map((n) => n.opType).sort()).toEqual(['Gemm', 'Gemm']);
    },
  },
];

const toNCHW = (t: Tensor): Tensor => (t.rank === 4 ? ops.transpose(t, [0, 3, 1, 2]) : t);
const maxDiffs: Record<string, { ort: number; ortNCHW: number; roundTrip?: number }> = {};

describe.each(CASES)('$name', (c) => {
  let model: Model;
  let xs: Tensor[];
  let ours: Tensor[];

  beforeAll(async () => {
    setSeed(11);
    const built = c.build();
    model = built.model;
    await trainBriefly(built.train);
    xs = model.inputs.map((t) => randu([3, ...t.sampleShape], { low: -1, high: 1 }));
    const y = model.predict(xs.length === 1 ? xs[0] : xs) as Tensor | Tensor[];
    ours = Array.isArray(y) ? y : [y];
  });

  it('the message encodes as protobufjs encodes it; structure checks', () => {
    for (const o of [{}, { layout: 'NCHW' }, { opset: 21, batchSize: 3 }] as OnnxExportOptions[]) {
      const msg = modelToOnnxMessage(model, o);
      expect(Buffer.from(encodeModelChecked(msg)).equals(Buffer.from(modelToOnnx(model, o)))).toBe(true);
    }
    c.check?.(modelToOnnxMessage(model));
  });

  it('onnxruntime-web gives our outputs within 1e-4 (NHWC graph)', async () => {
    const r = await runOrtAll(model.toOnnx(), xs);
    expect(r).toHaveLength(ours.length);
    let d = 0;
    r.forEach((o, i) => {
      expect(o.dims).toEqual(ours[i].shape);
      d = Math.max(d, maxAbsDiff(o.data, ours[i].dataSync()));
      expectClose(o.data, ours[i].dataSync(), { atol: 1e-4, what: `onnxruntime-web output ${i} vs ours` });
    });
    (maxDiffs[c.name] ??= { ort: 0, ortNCHW: 0 }).ort = d;
  });

  it('NCHW graph: onnxruntime-web on transposed image inputs gives our outputs (image outputs transposed)', async () => {
    const r = await runOrtAll(model.toOnnx({ layout: 'NCHW' }), xs.map((x) => toNCHW(x)));
    let d = 0;
    r.forEach((o, i) => {
      const want = tidy(() => toNCHW(ours[i]).dataSync() as Float32Array);
      d = Math.max(d, maxAbsDiff(o.data, want));
      expectClose(o.data, want, { atol: 1e-4, what: `onnxruntime-web (NCHW) output ${i} vs ours` });
    });
    (maxDiffs[c.name] ??= { ort: 0, ortNCHW: 0 }).ortNCHW = d;
  });

  it('export -> loadOnnx round trip gives our outputs', async () => {
    const net = await loadOnnx(model.toOnnx());
    const ys = net.run(Object.fromEntries(net.inputNames.map((n, i) => [n, xs[i]])));
    let d = 0;
    net.outputNames.forEach((n, i) => {
      d = Math.max(d, maxAbsDiff(ys[n].dataSync(), ours[i].dataSync()));
      expectClose(ys[n].dataSync(), ours[i].dataSync(), { atol: 1e-5, what: 'round trip vs ours' });
      ys[n].dispose();
    });
    maxDiffs[c.name].roundTrip = d;
    net.dispose();
  });
});

describe('graph outputs and names', () => {
  it('an output that is also read by a layer, an output that is a graph input, and one value given twice', async () => {
    setSeed(2);
    const x = nn.input({ shape: [4, 4, 2] });
    const c = conv(2, 1).apply(x);
    const y = nn.activation('relu').apply(c);
    const model = new Model({ inputs: x, outputs: [c, y, x, y], name: 'outs' });
    const msg = modelToOnnxMessage(model, { outputNames: ['c', 'y', 'x_copy', 'y_again'] });
    expect(msg.graph!.output!.map((v) => v.name)).toEqual(['c', 'y', 'x_copy', 'y_again']);
    const xb = randu([2, 4, 4, 2]);
    const ours = model.predict(xb) as unknown as Tensor[];
    for (const layout of ['NHWC', 'NCHW'] as const) {
      const r = await runOrtAll(model.toOnnx({ layout, outputNames: ['c', 'y', 'x_copy', 'y_again'] }), [layout === 'NCHW' ? toNCHW(xb) : xb]);
      r.forEach((o, i) => expectClose(o.data, tidy(() => (layout === 'NCHW' ? toNCHW(ours[i]) : ours[i]).dataSync() as Float32Array), { atol: 1e-5 }));
    }
  });

  it('default names: input layers for several inputs, producing layers (made unique) for several outputs', () => {
    const a = nn.input({ shape: [3], name: 'a' });
    const b = nn.input({ shape: [3], name: 'b' });
    const d = nn.dense({ units: 2, name: 'd' });
    const model = new Model({ inputs: [a, b], outputs: [d.apply(a), d.apply(b)], name: 'names' });
    const msg = modelToOnnxMessage(model);
    expect(msg.graph!.input!.map((v) => v.name)).toEqual(['a', 'b']);
    expect(msg.graph!.output!.map((v) => v.name)).toEqual(['d', 'd_1']);
    expect(msg.graph!.initializer!.map((t) => t.name)).toEqual(['d/kernel', 'd/bias']);
  });

  it('bad names are ValueErrors naming the option', () => {
    const a = nn.input({ shape: [3] });
    const b = nn.input({ shape: [3] });
    const model = new Model({ inputs: [a, b], outputs: nn.add().apply([a, b]), name: 'pair' });
    expect(() => model.toOnnx({ inputName: 'x' })).toThrow(/'inputNames'/);
    expect(() => model.toOnnx({ inputNames: ['x'] })).toThrow(/array of 2 non-empty strings/);
    expect(() => model.toOnnx({ inputNames: ['x', 'output'] })).toThrow(ValueError);
    expect(() => model.toOnnx({ outputNames: [''] })).toThrow(/'outputNames'/);
  });
});

it('max differences (for the record)', () => {
  console.log('onnx graph export max abs differences:', JSON.stringify(maxDiffs));
  void tensor;
});
