// toOnnx of LayerNormalization, GroupNormalization and keepDims global pooling: onnxruntime-web
// must give our outputs within 1e-4 for the decomposition (opset 13, ReduceMean axes as an input
// from opset 18), ONNX's LayerNormalization node (opset 17) and an NCHW graph, on channel-last
// values, NCHW values after a convolution and feature vectors; loadOnnx reads the exports back.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, nn, ops, randu, setSeed, tensor, tidy, loadOnnx, type Tensor } from '../src/index.js';
import { sequentialToOnnxMessage, type OnnxExportOptions } from '../src/io/onnx/export.js';
import { expectClose, maxAbsDiff } from './harness/close.js';
import { loadOrt, runOrt, type Ort } from './harness/ort.js';

let ort: Ort;
beforeAll(async () => { ort = await loadOrt(); });

interface Case { name: string; inputShape: number[]; layers: () => nn.Layer[] }

const CASES: Case[] = [
  {
    name: 'norms on channel-last and NCHW values, trailing axes, keepDims average pool',
    inputShape: [6, 5, 4],
    layers: () => [
      nn.layerNormalization(),                                  // channel-last graph input
      nn.groupNormalization({ groups: 2 }),
      nn.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }),
      nn.groupNormalization({ groups: 3, epsilon: 1e-5 }),      // NCHW after the conv
      nn.layerNormalization(),                                  // channels of an NCHW value
      nn.layerNormalization({ axis: [-3, -2, -1] }),            // transposed back to NHWC
      nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      nn.groupNormalization({ groups: 4 }),                     // instance norm
      nn.globalAvgPool2d({ keepDims: true }),
      nn.flatten(),
      nn.dense({ units: 3 }),
    ],
  },
  {
    name: 'feature vectors (dense, layer norm, group norm)',
    inputShape: [12],
    layers: () => [
      nn.dense({ units: 8, activation: 'tanh' }),
      nn.layerNormalization(),
      nn.groupNormalization({ groups: 4 }),
      nn.dense({ units: 3 }),
    ],
  },
  {
    name: 'image output through keepDims max pool',
    inputShape: [5, 5, 3],
    layers: () => [
      nn.conv2d({ filters: 4, kernelSize: 3 }),
      nn.groupNormalization({ groups: 1 }),
      nn.globalMaxPool2d({ keepDims: true }),
    ],
  },
];

const OPTIONS: OnnxExportOptions[] = [{}, { opset: 17 }, { opset: 18 }, { opset: 17, layout: 'NCHW' }];

describe.each(CASES)('$name', (c) => {
  let model: Sequential;
  let x: Tensor;
  let ours: Float32Array;
  beforeAll(() => {
    setSeed(17);
    model = new Sequential(c.layers(), { inputShape: c.inputShape });
    // Non-trivial gamma and beta, so a dropped or misplaced parameter shows.
    for (const p of model.parameters()) {
      if (p.name === 'gamma' || p.name === 'beta') tidy(() => { p.assign(randu(p.shape, { low: 0.5, high: 1.5 })); });
    }
    x = randu([3, ...c.inputShape], { low: -2, high: 3 });
    ours = model.predict(x).dataSync() as Float32Array;
  });

  it.each(OPTIONS)('onnxruntime-web gives our outputs within 1e-4 (%o)', async (o) => {
    const nchw = o.layout === 'NCHW' && c.inputShape.length === 3;
    const input = nchw ? ops.transpose(x, [0, 3, 1, 2]) : x;
    const r = await runOrt(ort, model.toOnnx(o), input);
    const out = model.outputShape!;
    let want = ours;
    if (nchw && out.length === 3) want = tidy(() => ops.transpose(tensor(ours, [3, ...out]), [0, 3, 1, 2]).dataSync() as Float32Array);
    console.log(`onnx export ${c.name} ${JSON.stringify(o)}: max |ours - onnxruntime| = ${maxAbsDiff(r.data, want).toExponential(2)}`);
    expectClose(r.data, want, { atol: 1e-4, what: 'onnxruntime-web vs ours' });
  });

  it.each(OPTIONS.filter((o) => !o.layout))('export -> loadOnnx round trip gives our outputs (%o)', async (o) => {
    const net = await loadOnnx(model.toOnnx(o));
    const y = net.predict(x);
    expect(y.shape).toEqual([3, ...model.outputShape!]);
    expectClose(y.dataSync(), ours, { atol: 1e-5, what: 'round trip vs ours' });
    y.dispose();
    net.dispose();
  });
});

describe('exported nodes', () => {
  const opTypes = (model: Sequential, o: OnnxExportOptions = {}) => sequentialToOnnxMessage(model, o).graph!.node!.map((n) => n.opType);

  it('layer norm: the decomposition below opset 17, ONNX LayerNormalization from 17 on channel-last values', () => {
    const model = new Sequential([nn.layerNormalization()], { inputShape: [4, 6] });
    expect(opTypes(model)).toEqual(['ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Mul', 'Add']);
    expect(opTypes(model, { opset: 17 })).toEqual(['LayerNormalization']);
  });

  it('group norm: Reshape, the normalisation, Reshape back, gamma and beta', () => {
    const model = new Sequential([nn.groupNormalization({ groups: 2 })], { inputShape: [3, 3, 4] });
    expect(opTypes(model)).toEqual(['Reshape', 'ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div', 'Reshape', 'Mul', 'Add']);
  });

  it('keepDims global pooling is the pool alone, without Flatten', () => {
    const model = new Sequential([nn.conv2d({ filters: 2, kernelSize: 1 }), nn.globalAvgPool2d({ keepDims: true })], { inputShape: [3, 3, 2] });
    const types = opTypes(model, { layout: 'NCHW' });
    expect(types).toEqual(['Conv', 'GlobalAveragePool']);
    const dims = sequentialToOnnxMessage(model, { layout: 'NCHW' }).graph!.output![0].type!.tensorType!.shape!.dim!.map((d) => d.dimValue ?? d.dimParam);
    expect(dims).toEqual(['N', 2, 1, 1]);
  });
});
