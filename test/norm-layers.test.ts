// The LayerNormalization and GroupNormalization layers and keepDims global pooling: the ops they
// run, their weights, shape inference, save/load round trips and training through them.
import { describe, it, expect } from 'vitest';
import { Sequential, nn, ops, randn, randu, setSeed, tensor, tidy, type Tensor } from '../src/index.js';
import { values } from './reference/elementwise.js';

const same = (a: Tensor, b: Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));

describe('layerNormalization', () => {
  it('normalises the last axis with gamma (ones) and beta (zeros), epsilon 1e-3', () => {
    const layer = nn.layerNormalization();
    const x = tensor(values(2 * 4 * 5, 1, -2, 2), [2, 4, 5]);
    const y = layer.apply(x);
    expect(layer.parameters().map((p) => [p.name, p.shape])).toEqual([['gamma', [5]], ['beta', [5]]]);
    expect(Array.from(layer.parameters()[0].dataSync())).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(layer.parameters()[1].dataSync())).toEqual([0, 0, 0, 0, 0]);
    expect(layer.countParams()).toBe(10);
    same(y, ops.layerNorm(x, null, null, { epsilon: 1e-3 }));
  });

  it('trailing axes: gamma has their shape', () => {
    const layer = nn.layerNormalization({ axis: [-2, -1], epsilon: 1e-5 });
    const x = tensor(values(2 * 3 * 4 * 5, 2), [2, 3, 4, 5]);
    const y = layer.apply(x);
    expect(layer.parameters()[0].shape).toEqual([4, 5]);
    same(y, ops.layerNorm(x, null, null, { axis: [-2, -1] }));
    expect(layer.toJSON().config).toMatchObject({ axis: [-2, -1], epsilon: 1e-5 });
  });
});

describe('groupNormalization', () => {
  it('normalises groups of channels with per-channel gamma and beta', () => {
    const layer = nn.groupNormalization({ groups: 2 });
    const x = tensor(values(2 * 3 * 3 * 4, 3, -1, 3), [2, 3, 3, 4]);
    layer.build([3, 3, 4]);
    layer.parameters()[0].assign(tensor([0.5, 1, 1.5, 2]));
    layer.parameters()[1].assign(tensor([0.1, -0.2, 0.3, 0]));
    same(layer.apply(x), ops.groupNorm(x, 2, layer.parameters()[0], layer.parameters()[1], { epsilon: 1e-3 }));
    expect(layer.toJSON()).toEqual({ className: 'GroupNormalization', config: { name: 'group_normalization', groups: 2, epsilon: 1e-3 } });
  });

  it('gradients reach gamma and beta through a model', async () => {
    setSeed(5);
    const model = new Sequential([
      nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }),
      nn.groupNormalization({ groups: 2 }),
      nn.activation('relu'),
      nn.globalAvgPool2d(),
      nn.dense({ units: 2 }),
    ], { inputShape: [6, 6, 2] });
    model.compile({ optimizer: { name: 'adam', lr: 0.01 }, loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    const x = randn([8, 6, 6, 2]);
    const y = tensor(Int32Array.from({ length: 8 }, (_, i) => i % 2), [8], 'int32');
    const gamma = model.layers[1].parameters()[0];
    const before = Array.from(gamma.dataSync());
    const history = await model.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0 });
    expect(Array.from(gamma.dataSync())).not.toEqual(before);
    expect(history.loss[4]).toBeLessThan(history.loss[0]);
  });
});

describe('global pooling with keepDims', () => {
  it('gives [B, 1, 1, C] that multiplies back onto [B, H, W, C] (squeeze-and-excitation)', () => {
    const x = randu([2, 3, 4, 5], { low: -1, high: 1 });
    for (const [keep, flat] of [[nn.globalAvgPool2d({ keepDims: true }), nn.globalAvgPool2d()], [nn.globalMaxPool2d({ keepDims: true }), nn.globalMaxPool2d()]] as const) {
      const y = keep.apply(x);
      expect(y.shape).toEqual([2, 1, 1, 5]);
      same(y, flat.apply(x));
      expect(keep.computeOutputShape([3, 4, 5])).toEqual([1, 1, 5]);
      expect(keep.toJSON().config).toEqual({ name: keep.baseName, keepDims: true });
      expect(flat.toJSON().config).toEqual({ name: flat.baseName });
      expect(ops.mul(x, y).shape).toEqual([2, 3, 4, 5]);
    }
    const xg = randu([2, 3, 3, 2]).requireGrad();
    ops.sum(nn.globalAvgPool2d({ keepDims: true }).apply(xg)).backward();
    expect(Array.from(xg.grad!.dataSync()).every((g) => Math.abs(g - 1 / 9) < 1e-7)).toBe(true);
  });
});

describe('save and load', () => {
  it('toJSON / fromJSON rebuild every layer with its weights (same outputs, bit for bit)', () => {
    setSeed(9);
    const model = new Sequential([
      nn.conv2d({ filters: 6, kernelSize: 3, padding: 'same' }),
      nn.groupNormalization({ groups: 3, epsilon: 1e-4 }),
      nn.layerNormalization({ axis: [-3, -2, -1] }),
      nn.layerNormalization(),
      nn.globalMaxPool2d({ keepDims: true }),
      nn.flatten(),
      nn.dense({ units: 3 }),
    ], { inputShape: [5, 5, 2] });
    // Non-trivial gamma and beta, so a load that dropped them would show.
    for (const p of model.parameters()) if (p.name === 'gamma' || p.name === 'beta') tidy(() => { p.assign(randu(p.shape, { low: 0.5, high: 1.5 })); });
    const x = randn([2, 5, 5, 2]);
    const loaded = Sequential.fromJSON(JSON.parse(JSON.stringify(model.toJSON())), model.weightsBytes());
    expect(loaded.layers.map((l) => l.className)).toEqual(model.layers.map((l) => l.className));
    expect(loaded.layers[4].outputShape).toEqual([1, 1, 6]);
    same(loaded.predict(x), model.predict(x));
    expect(model.summary()).toContain('(None, 1, 1, 6)');
  });
});
