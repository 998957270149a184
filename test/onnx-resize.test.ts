// ONNX and the resampling/reshaping layers: a Sequential with upSampling2d, resizing, cropping2d
// and reshape exported with toOnnx runs in onnxruntime-web within 1e-4 of ours (NHWC and NCHW
// graphs, every interpolation) and round-trips through loadOnnx; PyTorch exports of
// F.interpolate (Resize opset 11/13, Upsample opset 9; test/fixtures/onnx/gen_onnx_resize.py)
// import within 1e-4 of PyTorch; unsupported Resize variants are FormatErrors naming the node.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Sequential, nn, randn, setSeed, tensor, loadOnnx, FormatError, type Tensor } from '../src/index.js';
import { sequentialToOnnxMessage } from '../src/io/onnx/export.js';
import { encodeModel, AT } from '../src/io/onnx/proto.js';
import { expectClose } from './harness/close.js';
import { loadOrt, type Ort } from './harness/ort.js';

let ort: Ort;
beforeAll(async () => { ort = await loadOrt(); });

async function runOrt(bytes: Uint8Array, x: Tensor): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape.slice()) });
    const y = out[session.outputNames[0]];
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

const MODELS: [string, () => nn.Layer[], number[]][] = [
  ['bilinear up, crop, nearest resize down, reshape', () => [
    nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.upSampling2d({ size: 2, interpolation: 'bilinear' }),
    nn.cropping2d({ cropping: [[1, 2], [0, 3]] }),
    nn.resizing({ height: 5, width: 4, interpolation: 'nearest' }),
    nn.conv2d({ filters: 3, kernelSize: 1 }),
    nn.reshape({ targetShape: [-1, 6] }),
  ], [6, 7, 2]],
  ['nearest up [2, 3], bilinear resize to a non-integer scale, reshape to images, crop', () => [
    nn.upSampling2d({ size: [2, 3] }),
    nn.conv2d({ filters: 3, kernelSize: 3 }),
    nn.resizing({ height: 11, width: 7 }),
    nn.reshape({ targetShape: [7, 11, 3] }),
    nn.cropping2d({ cropping: 1 }),
    nn.conv2d({ filters: 2, kernelSize: 1 }),
  ], [5, 4, 3]],
  ['nearest resize with half-pixel ties (downscale by 2 and 3)', () => [
    nn.resizing({ height: 4, width: 3, interpolation: 'nearest' }),
    nn.upSampling2d({ size: 3, interpolation: 'bilinear' }),
  ], [8, 9, 5]],
];

describe('toOnnx of the resampling and reshaping layers', () => {
  it.each(MODELS)('%s: onnxruntime-web within 1e-4 (NHWC and NCHW graphs), loadOnnx round trip', async (_name, layers, inputShape) => {
    setSeed(3);
    const model = new Sequential(layers(), { inputShape });
    const x = randn([2, ...inputShape]);
    const ours = model.predict(x).dataSync();
    const nhwc = await runOrt(model.toOnnx(), x);
    expect(nhwc.dims).toEqual([2, ...model.outputShape!]);
    expectClose(nhwc.data, ours, { atol: 1e-4, what: 'onnxruntime-web vs ours' });
    const net = await loadOnnx(model.toOnnx());
    expectClose(net.predict(x).dataSync(), ours, { atol: 1e-5, what: 'loadOnnx round trip vs ours' });
    net.dispose();
    const xn = x.transpose([0, 3, 1, 2]);
    const nchw = await runOrt(model.toOnnx({ layout: 'NCHW' }), xn);
    const out = model.outputShape!;
    const want = out.length === 3 ? model.predict(x).transpose([0, 3, 1, 2]).dataSync() : ours;
    expectClose(nchw.data, want, { atol: 1e-4, what: 'onnxruntime-web (NCHW) vs ours' });
    model.dispose();
  });
});

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('resize_expected.json', dir), 'utf8')) as {
  models: Record<string, { opset: number; inputShape: number[]; input: number[]; outputShape: number[]; output: number[] }>;
};

describe('PyTorch F.interpolate exports (Resize, Upsample) match PyTorch within 1e-4', () => {
  it.each(Object.keys(expected.models))('%s', async (name) => {
    const e = expected.models[name];
    const net = await loadOnnx(new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir))));
    expect(net.opset).toBe(e.opset);
    const y = net.predict(tensor(e.input, e.inputShape));
    expect(y.shape).toEqual(e.outputShape);
    expectClose(y.dataSync(), e.output, { atol: 1e-4, what: `${name} vs PyTorch` });
    net.dispose();
  });
});

describe('unsupported Resize variants', () => {
  /** An exported Resize model with the Resize node's string attributes replaced. */
  function variant(attrs: Record<string, string>): Uint8Array {
    const model = new Sequential([nn.resizing({ height: 4, width: 4 })], { inputShape: [3, 3, 1] });
    const msg = sequentialToOnnxMessage(model);
    const node = msg.graph!.node!.find((n) => n.opType === 'Resize')!;
    for (const [name, s] of Object.entries(attrs)) {
      node.attribute = (node.attribute ?? []).filter((a) => a.name !== name);
      node.attribute.push({ name, type: AT.STRING, s: new TextEncoder().encode(s) });
    }
    model.dispose();
    return encodeModel(msg);
  }

  it.each([
    [{ mode: 'cubic' }, /Resize.*mode 'cubic' is not supported/],
    [{ mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_floor' }, /'half_pixel \+ round_prefer_floor' is not supported/],
    [{ coordinate_transformation_mode: 'tf_crop_and_resize' }, /linear resize .* 'tf_crop_and_resize' is not supported/],
  ])('%j: FormatError', async (attrs, msg) => {
    await expect(loadOnnx(variant(attrs))).rejects.toThrow(FormatError);
    await expect(loadOnnx(variant(attrs))).rejects.toThrow(msg);
  });
});
