// toOnnx: models trained here (a few steps on random data) exported to ONNX and run in
// onnxruntime-web (wasm EP, one thread, in Node): outputs must equal ours within 1e-4. Also the
// export -> loadOnnx round trip, the NCHW layout option and export errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, nn, randn, randu, setSeed, tensor, tidy, loadOnnx, ValueError, ops, type Tensor } from '../src/index.js';
import { sequentialToOnnx, sequentialToOnnxMessage, type OnnxExportOptions } from '../src/io/onnx/export.js';
import { encodeModelChecked } from './onnx-codec.js';
import { expectClose, maxAbsDiff } from './harness/close.js';
import { loadOrt, runOrt as runOrtOn, type Ort } from './harness/ort.js';

let ort: Ort;

beforeAll(async () => { ort = await loadOrt(); });

const runOrt = (bytes: Uint8Array, x: Tensor) => runOrtOn(ort, bytes, x);

/** Trains `model` a few steps on random data (sparse labels, logits or probabilities). */
async function trainBriefly(model: Sequential, inputShape: number[], classes: number, fromLogits: boolean): Promise<void> {
  model.compile({ optimizer: { name: 'adam', lr: 0.01 }, loss: { name: 'sparseCategoricalCrossentropy', fromLogits } });
  const n = 16;
  const x = randn([n, ...inputShape]);
  const y = tensor(Int32Array.from({ length: n }, (_, i) => i % classes), [n], 'int32');
  await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  x.dispose(); y.dispose();
}

interface Case {
  name: string;
  inputShape: number[];
  classes: number;
  fromLogits: boolean;
  layers: () => ReturnType<typeof nn.dense>[] | any[];
}

const CASES: Case[] = [
  {
    name: 'conv-bn-pool-dense (same/valid padding, strides, maxpool, avgpool same, batchnorm, dropout, softmax)',
    inputShape: [12, 12, 2], classes: 5, fromLogits: false,
    layers: () => [
      nn.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
      nn.batchNorm(),
      nn.maxPool2d({ poolSize: 2 }),
      nn.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
      nn.batchNorm({ momentum: 0.5 }),
      nn.activation('relu'),
      nn.avgPool2d({ poolSize: 2, strides: 1, padding: 'same' }),
      nn.flatten(),
      nn.dense({ units: 16, activation: 'relu' }),
      nn.dropout({ rate: 0.25 }),
      nn.dense({ units: 5, activation: 'softmax' }),
    ],
  },
  {
    name: 'depthwise-separable (depthwise x2 multiplier, stride 2, pointwise, leakyRelu, global avg pool)',
    inputShape: [10, 10, 3], classes: 4, fromLogits: true,
    layers: () => [
      nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu' }),
      nn.conv2d({ filters: 8, kernelSize: 1, activation: 'leakyRelu' }),
      nn.depthwiseConv2d({ kernelSize: [3, 2], padding: 'valid' }),
      nn.batchNorm(),
      nn.globalAvgPool2d(),
      nn.dense({ units: 4 }),
    ],
  },
  {
    name: 'dilation, groups, zero padding, prelu, conv transpose, elu/gelu/swish/sigmoid/tanh, global max pool',
    inputShape: [9, 9, 4], classes: 3, fromLogits: true,
    layers: () => [
      nn.zeroPadding2d({ padding: [[1, 2], [0, 1]] }),
      nn.conv2d({ filters: 6, kernelSize: 3, dilation: 2, groups: 2, activation: 'elu' }),
      nn.prelu({ sharedAxes: [1, 2] }),
      nn.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'gelu' }),
      nn.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 3, padding: 'valid' }),
      nn.activation('swish'),
      nn.conv2d({ filters: 5, kernelSize: 2, strides: 3, activation: 'tanh' }),
      nn.prelu(),
      nn.globalMaxPool2d(),
      nn.dense({ units: 3, activation: 'sigmoid' }),
    ],
  },
  {
    name: 'dense head on features (batch norm 1-D, softmax)',
    inputShape: [20], classes: 3, fromLogits: false,
    layers: () => [
      nn.dense({ units: 12, activation: 'tanh' }),
      nn.batchNorm(),
      nn.dense({ units: 3, activation: 'softmax' }),
    ],
  },
  {
    name: 'image-shaped output (conv then dense on channels, no flatten)',
    inputShape: [6, 5, 3], classes: 4, fromLogits: true,
    layers: () => [
      nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      nn.batchNorm(),
      nn.dense({ units: 4 }),
      nn.activation('softmax'),
    ],
  },
  {
    name: 'conv1d (causal dilated, strided same with groups, explicit pads, fused relu, tanh) on sequences',
    inputShape: [16, 3], classes: 3, fromLogits: false,
    layers: () => [
      nn.conv1d({ filters: 6, kernelSize: 3, dilation: 2, padding: 'causal', activation: 'relu' }),
      nn.conv1d({ filters: 6, kernelSize: 4, strides: 2, padding: 'same', groups: 3 }),
      nn.conv1d({ filters: 4, kernelSize: 2, padding: [1, 2], activation: 'tanh', useBias: false }),
      nn.flatten(),
      nn.dense({ units: 3, activation: 'softmax' }),
    ],
  },
  {
    name: 'separableConv2d (multiplier 2 same relu, dilated, strided without bias) as two Conv nodes each',
    inputShape: [10, 10, 3], classes: 4, fromLogits: true,
    layers: () => [
      nn.separableConv2d({ filters: 8, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
      nn.separableConv2d({ filters: 6, kernelSize: [3, 2], dilation: 2, activation: 'swish' }),
      nn.separableConv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
      nn.batchNorm(),
      nn.globalAvgPool2d(),
      nn.dense({ units: 4 }),
    ],
  },
  {
    name: 'mobile activations (relu6 as Clip, hardSwish as x * HardSigmoid, silu as x * Sigmoid, hardSigmoid, softplus)',
    inputShape: [8, 8, 3], classes: 4, fromLogits: true,
    layers: () => [
      nn.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu6' }),
      nn.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'hardSwish' }),
      nn.conv2d({ filters: 8, kernelSize: 1, activation: 'silu' }),
      nn.activation('hardSigmoid'),
      nn.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'softplus' }),
      nn.globalAvgPool2d(),
      nn.dense({ units: 4, activation: 'hard_swish' }),
    ],
  },
];

const maxDiffs: Record<string, { ort: number; roundTrip: number }> = {};

describe.each(CASES)('$name', (c) => {
  let model: Sequential;
  let x: Tensor;
  let ours: Float32Array;

  beforeAll(async () => {
    setSeed(7);
    model = new Sequential(c.layers(), { inputShape: c.inputShape });
    // Image-shaped outputs cannot take sparse labels: train the other cases only.
    if (model.outputShape!.length === 1) await trainBriefly(model, c.inputShape, c.classes, c.fromLogits);
    x = randu([3, ...c.inputShape], { low: -1, high: 1 });
    ours = model.predict(x).dataSync() as Float32Array;
  });

  it('toOnnx writes the bytes the protobufjs encoder writes for the same message (NHWC, NCHW, options)', () => {
    const variants: OnnxExportOptions[] = [{}, { layout: 'NCHW' }, { opset: 21, batchSize: 3, graphName: 'g ✓', docString: 'doc', inputName: 'x' }];
    for (const o of variants) {
      const bytes = sequentialToOnnx(model, o);
      expect(Buffer.from(encodeModelChecked(sequentialToOnnxMessage(model, o))).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('onnxruntime-web gives our outputs within 1e-4 (NHWC graph)', async () => {
    const bytes = model.toOnnx();
    const r = await runOrt(bytes, x);
    expect(r.dims).toEqual([3, ...model.outputShape!]);
    const d = maxAbsDiff(r.data, ours);
    (maxDiffs[c.name] ??= { ort: 0, roundTrip: 0 }).ort = d;
    console.log(`onnx export ${c.name}: max |ours - onnxruntime| = ${d.toExponential(2)}`);
    expectClose(r.data, ours, { atol: 1e-4, what: 'onnxruntime-web vs ours' });
  });

  it('NCHW graph: onnxruntime-web on the transposed input gives the same values', async () => {
    const bytes = sequentialToOnnx(model, { layout: 'NCHW' });
    const image = c.inputShape.length === 3;
    const xn = image ? ops.transpose(x, [0, 3, 1, 2]) : x;
    const r = await runOrt(bytes, xn);
    // Image-shaped outputs come back NCHW too.
    const out = model.outputShape!;
    let want = ours;
    if (out.length === 3) want = tidy(() => ops.transpose(tensor(ours, [3, ...out]), [0, 3, 1, 2]).dataSync() as Float32Array);
    expectClose(r.data, want, { atol: 1e-4, what: 'onnxruntime-web (NCHW) vs ours' });
  });

  it('export -> loadOnnx round trip gives our outputs', async () => {
    const net = await loadOnnx(model.toOnnx());
    expect(net.inputNames).toEqual(['input']);
    expect(net.outputNames).toEqual(['output']);
    expect(net.inputs[0].shape).toEqual(['N', ...c.inputShape]);
    const y = net.predict(x);
    expect(y.shape).toEqual([3, ...model.outputShape!]);
    const d = maxAbsDiff(y.dataSync(), ours);
    (maxDiffs[c.name] ??= { ort: 0, roundTrip: 0 }).roundTrip = d;
    expectClose(y.dataSync(), ours, { atol: 1e-5, what: 'round trip vs ours' });
    y.dispose();
    net.dispose();
  });
});

describe('options and errors', () => {
  it('names, opset and a fixed batch size are honoured', async () => {
    setSeed(3);
    const model = new Sequential([nn.flatten(), nn.dense({ units: 2 })], { inputShape: [2, 2, 1] });
    const bytes = model.toOnnx({ inputName: 'pixels', outputName: 'logits', opset: 17, batchSize: 4 });
    encodeModelChecked(sequentialToOnnxMessage(model, { inputName: 'pixels', outputName: 'logits', opset: 17, batchSize: 4 }));
    const net = await loadOnnx(bytes);
    expect(net.inputNames).toEqual(['pixels']);
    expect(net.outputNames).toEqual(['logits']);
    expect(net.opset).toBe(17);
    expect(net.inputs[0].shape).toEqual([4, 2, 2, 1]);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    expect(session.inputNames).toEqual(['pixels']);
    await session.release();
  });

  it('an unbuilt model, bad options and a layer without export are ValueErrors', () => {
    expect(() => new Sequential([nn.dense({ units: 2 })]).toOnnx()).toThrow(ValueError);
    const model = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
    expect(() => model.toOnnx({ layout: 'NCWH' as never })).toThrow(/layout/);
    expect(() => model.toOnnx({ opset: 11 })).toThrow(/opset/);
    expect(() => model.toOnnx({ inputName: 'a', outputName: 'a' })).toThrow(ValueError);
  });
});

it('max differences (for the record)', () => {
  console.log('onnx export max abs differences:', JSON.stringify(maxDiffs));
});
