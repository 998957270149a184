// loadOnnx on torchvision 0.14 architectures (test/fixtures/onnx/gen_onnx_zoo.py: MobileNetV3 small
// and large with HardSigmoid / HardSwish, MNASNet, ConvNeXt with its LayerNorm written out at opset 13
// and as LayerNormalization at opset 17), the LR-ASPP, FCN and DeepLabV3 segmentation heads (bilinear
// Resize to sizes computed from Shape), and ShuffleNetV2 with a dynamic batch axis at opsets 11 and 13
// (integer shape arithmetic at run time), at reduced width with random weights: each matches PyTorch
// within 1e-4 of the largest output and picks the same class (at every pixel for the segmentations).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadOnnx, tensor } from '../src/index.js';
import { maxAbsDiff } from './harness/close.js';
import { onnx } from '../src/io/onnx/pb.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('zoo_expected.json', dir), 'utf8')) as {
  models: Record<string, { opset: number; inputShape: number[]; outputShape: number[]; output: number[] }>;
};

/** The generator's input: x[i] = 2 sin(0.731 i + 0.1), rounded to float32. */
function waveInput(shape: number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + 0.1)));
}

/** The ops each export must contain (what the fixture is there to cover). */
const KEY_OPS: Record<string, string[]> = {
  mobilenet_v3_small: ['HardSigmoid'],
  mobilenet_v3_small_opset14: ['HardSigmoid', 'HardSwish'],
  mobilenet_v3_large: ['HardSigmoid'],
  mnasnet: ['ReduceMean'],
  convnext: ['ReduceMean', 'Pow', 'Sqrt', 'Erf'],
  convnext_opset17: ['LayerNormalization', 'Erf'],
  lraspp_mobilenet_v3: ['Resize', 'Shape', 'HardSigmoid', 'Sigmoid'],
  fcn_mobilenet_v3: ['Resize', 'Shape'],
  shufflenet_v2: ['Shape', 'Gather', 'Div', 'Slice', 'Transpose'],
  shufflenet_v2_opset11: ['Shape', 'Gather', 'Div', 'Slice', 'Transpose'],
  deeplabv3_mobilenet_v3: ['Resize', 'GlobalAveragePool', 'Conv'],
  densenet: ['Concat', 'BatchNormalization', 'Relu'],
};

const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
};

describe('torchvision architectures match PyTorch', () => {
  it.each(Object.keys(expected.models))('%s', async (name) => {
    const e = expected.models[name];
    const bytes = new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));
    const decoded = (onnx as unknown as { ModelProto: { decode(b: Uint8Array): { graph: { node: { opType: string }[] } } } }).ModelProto.decode(bytes);
    const opTypes = new Set(decoded.graph.node.map((n) => n.opType));
    for (const op of KEY_OPS[name]) expect(opTypes.has(op), `${name} has ${op}`).toBe(true);
    const net = await loadOnnx(bytes);
    expect(net.opset).toBe(e.opset);
    const x = tensor(waveInput(e.inputShape), e.inputShape);
    const y = net.predict(x);
    expect(y.shape).toEqual(e.outputShape);
    const ours = y.dataSync();
    const scale = Math.max(...e.output.map(Math.abs));
    const diff = maxAbsDiff(ours, e.output);
    console.log(`onnx zoo ${name}: max |ours - PyTorch| = ${diff.toExponential(2)} (max |output| ${scale.toFixed(3)})`);
    expect(diff).toBeLessThanOrEqual(1e-4 * scale);
    const [classes, pixels] = e.outputShape.length === 4 ? [e.outputShape[1], e.outputShape[2] * e.outputShape[3]] : [e.outputShape[1], 1];
    for (let p = 0; p < pixels; p++) {
      const pick = (v: ArrayLike<number>) => argmax(Array.from({ length: classes }, (_, c) => v[c * pixels + p]));
      expect(pick(ours), `${name} class at ${p}`).toBe(pick(e.output));
    }
    x.dispose(); y.dispose();
    net.dispose();
  });
});

describe('a dynamic batch axis: the shape arithmetic follows the batch', () => {
  it.each(['shufflenet_v2', 'shufflenet_v2_opset11'])('%s: a batch of the same sample twice gives PyTorch\'s output twice', async (name) => {
    const e = expected.models[name];
    const net = await loadOnnx(new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir))));
    expect(net.inputs[0].shape?.[0]).toBeTypeOf('string');
    const one = waveInput(e.inputShape);
    const x = tensor([...one, ...one], [2, ...e.inputShape.slice(1)]);
    const y = net.predict(x);
    expect(y.shape).toEqual([2, ...e.outputShape.slice(1)]);
    const ours = y.dataSync();
    const n = e.output.length;
    const scale = Math.max(...e.output.map(Math.abs));
    expect(maxAbsDiff(ours.subarray(0, n), e.output)).toBeLessThanOrEqual(1e-4 * scale);
    expect(maxAbsDiff(ours.subarray(n), e.output)).toBeLessThanOrEqual(1e-4 * scale);
    x.dispose(); y.dispose();
    net.dispose();
  });
});
