// Keras-style random preprocessing layers (src/nn/preprocessing.ts): in training each equals
// data.augment with the matching options from the same seed, bit for bit; in inference each is the
// identity; Keras' factors map to data.augment's units; save/load and ONNX export keep them.
import { describe, it, expect } from 'vitest';
import { Sequential, nn, data, tensor, setSeed, tidy, loadOnnx, ValueError, type Tensor } from '../src/index.js';
import { expectClose } from './harness/close.js';

function images(shape: number[]): Tensor {
  let s = 9;
  return tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 8) / 65536; }), shape);
}

describe('random preprocessing layers', () => {
  const cases: [string, () => nn.Layer, Parameters<typeof data.augment>[1]][] = [
    ['randomFlip (both)', () => nn.randomFlip(), { flipHorizontal: true, flipVertical: true }],
    ['randomFlip horizontal', () => nn.randomFlip({ mode: 'horizontal' }), { flipHorizontal: true }],
    ['randomRotation factor 0.1 = 36 degrees', () => nn.randomRotation({ factor: 0.1 }), { rotation: 36 }],
    ['randomZoom 0.2', () => nn.randomZoom({ heightFactor: 0.2 }), { zoom: 0.2 }],
    ['randomContrast 0.4', () => nn.randomContrast({ factor: 0.4 }), { contrast: 0.4 }],
    ['randomBrightness 0.1 of [0, 255]', () => nn.randomBrightness({ factor: 0.1 }), { brightness: 25.5, valueRange: [0, 255] }],
    ['randomBrightness 0.2 of [0, 1]', () => nn.randomBrightness({ factor: 0.2, valueRange: [0, 1] }), { brightness: 0.2, valueRange: [0, 1] }],
  ];
  it.each(cases)('%s: training = data.augment from the same seed; inference = the input', (_name, make, options) => {
    tidy(() => {
      const x = images([4, 7, 9, 3]);
      const layer = make();
      setSeed(31);
      const got = layer.apply(x, { training: true }).dataSync();
      setSeed(31);
      expect(got).toEqual(data.augment(x, options).dataSync());
      expect(got).not.toEqual(x.dataSync());
      expect(layer.apply(x, { training: false })).toBe(x);
    });
  });

  it('in a Sequential: fit trains through them (seeded, reproducible), predict ignores them, JSON keeps their config', async () => {
    const build = () => {
      const m = new Sequential([
        nn.randomFlip({ mode: 'horizontal' }), nn.randomRotation({ factor: 0.05 }), nn.randomZoom({ heightFactor: 0.1 }),
        nn.randomContrast({ factor: 0.2 }), nn.randomBrightness({ factor: 0.05, valueRange: [0, 1] }),
        nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), nn.globalAvgPool2d(), nn.dense({ units: 3 }),
      ], { inputShape: [8, 8, 1] });
      m.compile({ optimizer: 'adam', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      return m;
    };
    const x = images([12, 8, 8, 1]);
    const y = tensor(Int32Array.from({ length: 12 }, (_, i) => i % 3), [12], 'int32');
    const run = async () => { setSeed(4); const m = build(); const h = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, seed: 5 }); return { m, loss: h.loss }; };
    const a = await run(), b = await run();
    expect(a.loss).toEqual(b.loss);
    const again = Sequential.fromJSON(a.m.toJSON(), a.m.weightsBytes());
    expect(again.toJSON()).toEqual(a.m.toJSON());
    expect(again.layers.map((l) => l.className).slice(0, 5)).toEqual(['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomContrast', 'RandomBrightness']);
    expect(again.predict(x).dataSync()).toEqual(a.m.predict(x).dataSync());
    const net = await loadOnnx(a.m.toOnnx());
    expectClose(net.predict(x).dataSync(), a.m.predict(x).dataSync(), { rtol: 1e-5, atol: 1e-6, what: 'ONNX export: the identity in inference' });
    for (const m of [a.m, b.m, again]) m.dispose();
    x.dispose(); y.dispose();
  });

  it('no gradient flows through them: an input that needs one is a ValueError naming the layer', () => {
    tidy(() => {
      const x = images([1, 4, 4, 1]).requireGrad();
      expect(() => nn.randomZoom({ heightFactor: 0.1, name: 'zoom' }).apply(x, { training: true })).toThrow(/zoom: its input needs a gradient.*put it first/);
    });
  });
});
