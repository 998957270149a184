// loadOnnx runs a graph's shape arithmetic (integer values computed from constants and shapes)
// once per input shape (src/io/onnx/shape-memo.ts): a run with the input shapes of the last run
// reuses its integers. The outputs must be the bits of the runs that compute everything, across
// changes of the input shape, and a graph whose shapes may come from float data must not reuse.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadOnnx, tensor, startOpProfile, stopOpProfile, type OnnxModel, type Tensor } from '../src/index.js';
import { shapeMemoTuning } from '../src/io/onnx/shape-memo.js';
import { f32, i64, int, node, model, str } from './harness/onnx-graph.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const wave = (n: number, phase = 0.1) => Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + phase)));
const bits = (t: Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

async function load(bytes: Uint8Array, memo: boolean): Promise<OnnxModel> {
  shapeMemoTuning.enabled = memo;
  try {
    return await loadOnnx(bytes);
  } finally {
    shapeMemoTuning.enabled = true;
  }
}

/** The number of Shape steps one run takes. */
function shapeSteps(net: OnnxModel, feeds: Record<string, Tensor>): number {
  startOpProfile();
  for (const t of Object.values(net.run(feeds))) t.dispose();
  return stopOpProfile().find((p) => p.kind === 'Shape')?.calls ?? 0;
}

afterEach(() => { shapeMemoTuning.enabled = true; });

describe('shape arithmetic once per input shape', () => {
  it('ShuffleNetV2 (dynamic batch): the bits of the runs that compute every step, batch 1, 2, 1', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('shufflenet_v2.onnx', dir)));
    const memo = await load(bytes, true), plain = await load(bytes, false);
    const name = memo.inputNames[0];
    const shape = memo.inputs[0].shape!.map((d) => (typeof d === 'number' ? d : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    for (const [batch, phase] of [[1, 0.1], [2, 0.5], [1, 0.9], [1, 1.3]]) {
      const x = tensor(wave(size * batch, phase), [batch, ...shape.slice(1)]);
      const a = memo.predict(x), b = plain.predict(x);
      expect(bits(a)).toEqual(bits(b));
      a.dispose(); b.dispose();
      x.dispose();
    }
    // After a run of this shape (the last one), the next skips every Shape step; the plain model runs them.
    const x = tensor(wave(size), shape);
    expect(shapeSteps(memo, { [name]: x })).toBe(0);
    expect(shapeSteps(plain, { [name]: x })).toBeGreaterThan(0);
    x.dispose();
    memo.dispose(); plain.dispose();
  });

  it('shape arithmetic outputs follow the input shape', async () => {
    // y = Reshape(x, [Shape(x)[0] * Shape(x)[1], -1]), and the shape as an integer output.
    const nodes = [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'i0'], ['d0']),
      node('Gather', ['s', 'i1'], ['d1']),
      node('Mul', ['d0', 'd1'], ['rows']),
      node('Concat', ['rows', 'minus1'], ['spec'], [int('axis', 0)]),
      node('Reshape', ['x', 'spec'], ['y']),
    ];
    const bytes = model(nodes, [i64('i0', [0]), i64('i1', [1]), i64('minus1', [-1])], [['x', ['N', 'C', 5]]], ['y', 'spec']);
    const net = await load(bytes, true);
    for (const dims of [[2, 3, 5], [2, 3, 5], [4, 1, 5], [2, 3, 5]]) {
      const x = tensor(wave(dims[0] * dims[1] * 5), dims);
      const out = net.run({ x });
      expect(out.y.shape).toEqual([dims[0] * dims[1], 5]);
      expect(Array.from(out.spec.dataSync())).toEqual([dims[0] * dims[1], -1]);
      expect(Array.from(out.y.dataSync())).toEqual(Array.from(x.dataSync()));
      for (const t of Object.values(out)) t.dispose();
      x.dispose();
    }
    net.dispose();
  });

  it('a Resize scaled by a float input: its output shape comes from data, so the Shape after it runs every time', async () => {
    // scales = Concat([1, 1], k, k): the same input shapes give other output shapes for another k.
    const nodes = [
      node('Concat', ['ones', 'k', 'k'], ['scales'], [int('axis', 0)]),
      node('Resize', ['x', '', 'scales'], ['y'], [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]),
      node('Shape', ['y'], ['s']),
    ];
    const bytes = model(nodes, [f32('ones', [2], [1, 1])], [['x', [1, 1, 2, 2]], ['k', [1]]], ['s']);
    const net = await load(bytes, true);
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    for (const scale of [1, 2, 3, 2]) {
      const k = tensor([scale], [1]);
      const { s } = net.run({ x, k });
      expect(Array.from(s.dataSync())).toEqual([1, 1, 2 * scale, 2 * scale]);
      s.dispose(); k.dispose();
    }
    x.dispose();
    net.dispose();
  });
});
