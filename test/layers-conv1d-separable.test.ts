// nn.conv1d and nn.separableConv2d (shapes and parameter counts are rows of test/layers.test.ts):
// parameter names, causal padding, the separable layer against PyTorch (outputs and the
// gradients of both kernels, the bias and the input), summary, and the save/load round trip.
import { describe, it, expect } from 'vitest';
import { nn, ops, randn, tidy, setSeed, Sequential, type Tensor } from '../src/index.js';
import { fixtureCases, fixtureLeaf, expectFixture, type FixtureTensor } from './harness/fixtures.js';

describe('parameters', () => {
  it('are named and shaped as Keras', () => {
    const c = nn.conv1d({ filters: 6, kernelSize: 3, groups: 2 });
    const s = nn.separableConv2d({ filters: 5, kernelSize: [3, 2], depthMultiplier: 2 });
    tidy(() => { c.apply(randn([1, 8, 4])); s.apply(randn([1, 6, 6, 3])); });
    expect(c.parameters().map((p) => [p.name, p.shape])).toEqual([['kernel', [3, 2, 6]], ['bias', [6]]]);
    expect(s.parameters().map((p) => [p.name, p.shape])).toEqual([
      ['depthwiseKernel', [3, 2, 3, 2]], ['pointwiseKernel', [1, 1, 6, 5]], ['bias', [5]],
    ]);
    expect(s.depthwiseKernel).toBe(s.parameters()[0]);
    expect(s.pointwiseKernel).toBe(s.parameters()[1]);
    c.dispose(); s.dispose();
  });
});

describe('conv1d layer', () => {
  it("'causal' padding: step t depends on steps <= t only, and equals ops.conv1d with the padding on the left", () => {
    setSeed(5);
    const layer = nn.conv1d({ filters: 2, kernelSize: 3, dilation: 2, padding: 'causal', activation: 'tanh' });
    tidy(() => {
      const x = randn([1, 9, 2]);
      const y = layer.apply(x).dataSync();
      const want = ops.tanh(ops.conv1d(x, layer.kernel!, layer.bias!, { dilation: 2, padding: [4, 0] })).dataSync();
      expect(Array.from(y)).toEqual(Array.from(want));
      // Changing the last step changes only the last output step.
      const x2 = ops.concat([ops.slice(x, [0, 0, 0], [1, 8, 2]), randn([1, 1, 2])], 1);
      const y2 = layer.apply(x2).dataSync();
      expect(Array.from(y2.slice(0, 16))).toEqual(Array.from(y.slice(0, 16)));
    });
    layer.dispose();
  });
});

describe('separableConv2d vs PyTorch (depthwise Conv2d groups=C, then pointwise 1x1 Conv2d)', () => {
  type Case = { name: string; layer: Record<string, unknown> } & Record<string, FixtureTensor>;
  const cases = fixtureCases<Case>('conv1d.json').filter((c) => c.name.startsWith('separableConv2d'));
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const layer = nn.separableConv2d(c.layer as any);
    tidy(() => {
      const x = fixtureLeaf(c.x);
      layer.build(x.shape.slice(1));
      layer.depthwiseKernel!.assign(Float32Array.from(c.depthwiseKernel.data));
      layer.pointwiseKernel!.assign(Float32Array.from(c.pointwiseKernel.data));
      layer.bias!.assign(Float32Array.from(c.bias.data));
      const y = layer.apply(x);
      expectFixture(y, c.out, 'out');
      y.backward(fixtureLeaf(c.R).detach());
      expectFixture(x.grad, c.dx, 'dx');
      expectFixture(layer.depthwiseKernel!.grad, c.ddepthwiseKernel, 'd depthwiseKernel');
      expectFixture(layer.pointwiseKernel!.grad, c.dpointwiseKernel, 'd pointwiseKernel');
      expectFixture(layer.bias!.grad, c.dbias, 'd bias');
    });
    layer.dispose();
  });
});

function sequenceModel(): Sequential {
  return new Sequential([
    nn.conv1d({ filters: 6, kernelSize: 3, padding: 'causal', dilation: 2, activation: 'relu' }),
    nn.conv1d({ filters: 4, kernelSize: 2, strides: 2, padding: [1, 0], groups: 2, activation: 'gelu', kernelInitializer: 'heNormal' }),
    nn.flatten(),
    nn.dense({ units: 3 }),
  ], { inputShape: [10, 3] });
}

function separableModel(): Sequential {
  return new Sequential([
    nn.separableConv2d({ filters: 6, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
    nn.separableConv2d({ filters: 4, kernelSize: [3, 2], strides: 2, dilation: 1, useBias: false, pointwiseInitializer: 'heUniform' }),
    nn.globalAvgPool2d(),
    nn.dense({ units: 3 }),
  ], { inputShape: [8, 8, 3] });
}

describe('models', () => {
  it('summary counts both layers\' parameters', () => {
    const m = sequenceModel();
    const s = m.summary();
    expect(s).toContain('conv1d (Conv1D)');
    expect(s).toContain('(None, 10, 6)');
    expect(s).toContain('(None, 5, 4)');
    // 3*3*6+6 + 2*3*4+4 + 20*3+3
    expect(s).toContain('Total params: 151');
    m.dispose();
    const sm = separableModel();
    // (27*2 + 6*6 + 6) + (6*6 + 6*4) + (4*3 + 3)
    expect(sm.summary()).toContain('Total params: 171');
    expect(sm.summary()).toContain('separable_conv2d (SeparableConv2D)');
    sm.dispose();
  });

  it.each([['conv1d', sequenceModel, [4, 10, 3]], ['separableConv2d', separableModel, [2, 8, 8, 3]]] as const)(
    '%s: save / load round trip gives bit-identical predictions and the same config', async (_name, make, xShape) => {
      setSeed(9);
      const m = make();
      const x = randn(xShape as unknown as number[]);
      const before = m.predict(x).dataSync();
      const bytes = await m.save();
      const loaded = await Sequential.load(bytes);
      expect(loaded.toJSON()).toEqual(m.toJSON());
      expect(loaded.parameters().map((p) => p.name)).toEqual(m.parameters().map((p) => p.name));
      expect(Array.from(loaded.predict(x).dataSync())).toEqual(Array.from(before));
      m.dispose(); loaded.dispose(); x.dispose();
    });

  it('trains: a fit step changes every parameter and lowers the loss', async () => {
    setSeed(3);
    for (const make of [sequenceModel, separableModel]) {
      const m = make();
      m.compile({ optimizer: { name: 'adam', lr: 0.01 }, loss: 'meanSquaredError' });
      const x = randn([8, ...m.inputShape!]);
      const y = randn([8, 3]);
      const w0 = m.parameters().map((p: Tensor) => Array.from(p.dataSync()));
      const h = await m.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, shuffle: false });
      expect(h.loss[4]).toBeLessThan(h.loss[0]);
      m.parameters().forEach((p: Tensor, i: number) => expect(Array.from(p.dataSync())).not.toEqual(w0[i]));
      m.dispose(); x.dispose(); y.dispose();
    }
  });
});
