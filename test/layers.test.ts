// Layers: shape inference and parameter counts (vs the numbers Keras prints), initialiser
// statistics, parameter naming / tidy, batch norm (training vs inference, gradients), dropout,
// activations, and the errors misuse must raise.
import { describe, it, expect } from 'vitest';
import { nn, ops, tensor, randn, tidy, setSeed, backendInfo, ShapeError, ValueError, Tensor } from '../src/index.js';
import { computeFans } from '../src/nn/initializers.js';
import { gradCheck, randomValues } from './reference/gradcheck.js';
import { expectClose } from './harness/close.js';

const moments = (v: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i];
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return { mean: m, std: Math.sqrt(s / v.length) };
};

// [name, layer factory, input shape (one sample), Keras output shape, Keras param count]
const SHAPES: [string, () => nn.Layer, number[], number[], number][] = [
  ['conv2d 5x5 f=10 on 3 channels', () => nn.conv2d({ filters: 10, kernelSize: 5 }), [32, 32, 3], [28, 28, 10], 760],
  ['conv2d 3x3 f=32 same on 28x28x1', () => nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same' }), [28, 28, 1], [28, 28, 32], 320],
  ['conv2d 3x3 f=64 same on 14x14x32', () => nn.conv2d({ filters: 64, kernelSize: 3, padding: 'same' }), [14, 14, 32], [14, 14, 64], 18496],
  ['conv2d 3x3 s=2 valid', () => nn.conv2d({ filters: 4, kernelSize: 3, strides: 2 }), [9, 10, 2], [4, 4, 4], 76],
  ['conv2d 3x3 s=2 same (ceil)', () => nn.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }), [9, 10, 2], [5, 5, 4], 76],
  ['conv2d 3x3 d=2', () => nn.conv2d({ filters: 3, kernelSize: 3, dilation: 2 }), [9, 9, 1], [5, 5, 3], 30],
  ['conv2d groups=2 f=8 on 4 channels', () => nn.conv2d({ filters: 8, kernelSize: 3, groups: 2 }), [6, 6, 4], [4, 4, 8], 152],
  ['conv2d no bias', () => nn.conv2d({ filters: 8, kernelSize: 1, useBias: false }), [5, 5, 3], [5, 5, 8], 24],
  ['depthwiseConv2d 3x3 multiplier 2', () => nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), [8, 8, 4], [6, 6, 8], 80],
  ['conv2dTranspose 3x3 s=2 valid', () => nn.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2 }), [7, 7, 8], [15, 15, 16], 1168],
  ['conv2dTranspose 3x3 s=2 same', () => nn.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: 'same' }), [7, 7, 8], [14, 14, 16], 1168],
  ['maxPool2d 2', () => nn.maxPool2d({ poolSize: 2 }), [28, 28, 32], [14, 14, 32], 0],
  ['maxPool2d 2 valid on 7x7', () => nn.maxPool2d({ poolSize: 2 }), [7, 7, 3], [3, 3, 3], 0],
  ['maxPool2d 2 same on 7x7', () => nn.maxPool2d({ poolSize: 2, padding: 'same' }), [7, 7, 3], [4, 4, 3], 0],
  ['avgPool2d 3 s=1', () => nn.avgPool2d({ poolSize: 3, strides: 1 }), [5, 6, 2], [3, 4, 2], 0],
  ['globalAvgPool2d', () => nn.globalAvgPool2d(), [7, 7, 64], [64], 0],
  ['globalMaxPool2d', () => nn.globalMaxPool2d(), [7, 7, 64], [64], 0],
  ['zeroPadding2d 1', () => nn.zeroPadding2d({ padding: 1 }), [5, 6, 2], [7, 8, 2], 0],
  ['zeroPadding2d [[1,2],[0,3]]', () => nn.zeroPadding2d({ padding: [[1, 2], [0, 3]] }), [5, 6, 2], [8, 9, 2], 0],
  ['flatten', () => nn.flatten(), [7, 7, 64], [3136], 0],
  ['dense 128 on 3136', () => nn.dense({ units: 128, activation: 'relu' }), [3136], [128], 401536],
  ['dense 10 on 128', () => nn.dense({ units: 10 }), [128], [10], 1290],
  ['dense on rank 3 (last axis)', () => nn.dense({ units: 5 }), [4, 3], [4, 5], 20],
  ['batchNorm on 7x7x64', () => nn.batchNorm(), [7, 7, 64], [7, 7, 64], 256],
  ['dropout', () => nn.dropout({ rate: 0.5 }), [10], [10], 0],
  ['activation relu', () => nn.activation('relu'), [3, 3, 2], [3, 3, 2], 0],
  ['prelu per element', () => nn.prelu(), [7, 7, 64], [7, 7, 64], 3136],
  ['prelu sharedAxes [1, 2]', () => nn.prelu({ sharedAxes: [1, 2] }), [7, 7, 64], [7, 7, 64], 64],
  ['conv1d k=3 f=8 on 4 channels', () => nn.conv1d({ filters: 8, kernelSize: 3 }), [10, 4], [8, 8], 104],
  ['conv1d same s=2 (ceil)', () => nn.conv1d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }), [9, 4], [5, 8], 104],
  ['conv1d causal d=2', () => nn.conv1d({ filters: 8, kernelSize: 3, dilation: 2, padding: 'causal' }), [10, 4], [10, 8], 104],
  ['conv1d [k] tuple, dilationRate', () => nn.conv1d({ filters: 2, kernelSize: [5], dilationRate: [2] }), [12, 1], [4, 2], 12],
  ['conv1d groups=2 f=6 on 4 channels', () => nn.conv1d({ filters: 6, kernelSize: 3, groups: 2 }), [7, 4], [5, 6], 42],
  ['conv1d padding [2, 1], no bias', () => nn.conv1d({ filters: 3, kernelSize: 4, padding: [2, 1], useBias: false }), [6, 2], [6, 3], 24],
  ['separableConv2d 3x3 f=8 on 4 channels', () => nn.separableConv2d({ filters: 8, kernelSize: 3 }), [8, 8, 4], [6, 6, 8], 76],
  ['separableConv2d multiplier 2, same, s=2', () => nn.separableConv2d({ filters: 8, kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }), [7, 7, 4], [4, 4, 8], 144],
  ['separableConv2d 3x2 dilation 2, no bias', () => nn.separableConv2d({ filters: 5, kernelSize: [3, 2], dilation: 2, useBias: false }), [9, 9, 3], [5, 7, 5], 33],
];

describe('shape inference and parameter counts (Keras numbers)', () => {
  it.each(SHAPES)('%s', (_name, make, inShape, outShape, params) => {
    const layer = make();
    expect(layer.computeOutputShape(inShape)).toEqual(outShape);
    const y = tidy(() => layer.apply(randn([2, ...inShape])).shape.slice());
    expect(y).toEqual([2, ...outShape]);
    expect(layer.countParams()).toBe(params);
    expect(layer.outputShape).toEqual(outShape);
    layer.dispose();
  });
});

describe('parameters', () => {
  it('are named as Keras, require grad, and survive tidy', () => {
    const conv = nn.conv2d({ filters: 4, kernelSize: 3 });
    const dense = nn.dense({ units: 3 });
    const bn = nn.batchNorm();
    const pr = nn.prelu();
    tidy(() => { conv.apply(randn([1, 5, 5, 2])); dense.apply(randn([1, 6])); bn.apply(randn([2, 3])); pr.apply(randn([1, 3])); });
    expect(conv.parameters().map((p) => p.name)).toEqual(['kernel', 'bias']);
    expect(conv.parameters().map((p) => p.shape)).toEqual([[3, 3, 2, 4], [4]]);
    expect(dense.parameters().map((p) => p.name)).toEqual(['kernel', 'bias']);
    expect(dense.parameters()[0].shape).toEqual([6, 3]);
    expect(bn.parameters().map((p) => p.name)).toEqual(['gamma', 'beta']);
    expect(bn.weights().map((p) => p.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance']);
    expect(bn.movingMean!.requiresGrad).toBe(false);
    expect(pr.parameters().map((p) => p.name)).toEqual(['alpha']);
    for (const p of [...conv.parameters(), ...dense.parameters(), ...bn.parameters(), ...pr.parameters()]) {
      expect(p.requiresGrad).toBe(true);
      expect(p.isDisposed).toBe(false);
    }
    expect(Array.from(conv.parameters()[1].dataSync())).toEqual([0, 0, 0, 0]); // zero bias
    expect(Array.from(bn.movingVariance!.dataSync())).toEqual([1, 1, 1]);
    for (const l of [conv, dense, bn, pr]) l.dispose();
  });

  it('frozen layer (trainable: false) exposes no parameters but still counts them', () => {
    const d = nn.dense({ units: 2, trainable: false });
    d.apply(randn([1, 3])).dispose();
    expect(d.parameters()).toEqual([]);
    expect(d.countParams()).toBe(8);
    d.dispose();
  });

  it('layers hold only their parameters: no tensors leak from apply inside tidy', () => {
    const conv = nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' });
    const before = backendInfo().liveTensors;
    tidy(() => { conv.apply(randn([2, 6, 6, 1])); });
    expect(backendInfo().liveTensors).toBe(before + 2);
    tidy(() => { conv.apply(randn([2, 6, 6, 1])); });
    expect(backendInfo().liveTensors).toBe(before + 2);
    conv.dispose();
  });
});

describe('initialisers (Keras definitions, seeded)', () => {
  it('computeFans follows Keras', () => {
    expect(computeFans([400, 600])).toEqual([400, 600]);
    expect(computeFans([3, 3, 64, 32])).toEqual([576, 288]);
    expect(computeFans([10])).toEqual([10, 10]);
  });
  it('glorotUniform kernel: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)); zero bias', () => {
    setSeed(1);
    const d = nn.dense({ units: 600 });
    d.apply(randn([1, 400])).dispose();
    const w = d.parameters()[0].dataSync();
    const limit = Math.sqrt(6 / 1000);
    let max = 0;
    for (const v of w) max = Math.max(max, Math.abs(v));
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(limit * 0.999);
    const { mean, std } = moments(w);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std / (limit / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(d.parameters()[1].dataSync().every((v) => v === 0)).toBe(true);
    d.dispose();
  });
  it('heNormal conv kernel: truncated normal with std sqrt(2 / fanIn)', () => {
    setSeed(2);
    const c = nn.conv2d({ filters: 64, kernelSize: 3, kernelInitializer: 'heNormal' });
    c.apply(randn([1, 3, 3, 64])).dispose();
    const w = c.parameters()[0].dataSync();
    const std = Math.sqrt(2 / 576);
    const { mean, std: s } = moments(w);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(Math.abs(s / std - 1)).toBeLessThan(0.03);
    const bound = 2 * std / 0.87962566103423978;
    expect(w.every((v) => Math.abs(v) <= bound * (1 + 1e-6))).toBe(true);
    c.dispose();
  });
  it('accepts Keras spellings and option objects; rejects unknown names', () => {
    const a = nn.dense({ units: 2, kernelInitializer: 'he_uniform', biasInitializer: { name: 'constant', value: 0.5 } });
    a.apply(randn([1, 3])).dispose();
    expect(Array.from(a.parameters()[1].dataSync())).toEqual([0.5, 0.5]);
    const lim = Math.sqrt(6 / 3);
    expect(a.parameters()[0].dataSync().every((v) => Math.abs(v) <= lim)).toBe(true);
    expect(a.toJSON().config.kernelInitializer).toBe('heUniform');
    a.dispose();
    expect(() => nn.dense({ units: 2, kernelInitializer: 'xavier' })).toThrow(/dense: option 'kernelInitializer': unknown initialiser "xavier"/);
  });
  it('the same seed gives bit-identical weights', () => {
    const make = () => {
      setSeed(123);
      const c = nn.conv2d({ filters: 8, kernelSize: 3, kernelInitializer: 'glorotNormal' });
      c.apply(randn([1, 4, 4, 3])).dispose();
      const w = c.parameters()[0].dataSync();
      c.dispose();
      return w;
    };
    expect(Buffer.from(make().buffer).equals(Buffer.from(make().buffer))).toBe(true);
  });
});

/** Plain float64 batch norm over the last axis. */
function bnReference(x: number[], c: number, mean: number[] | null, variance: number[] | null, gamma: number[], beta: number[], eps: number) {
  const rows = x.length / c;
  const m = mean ?? Array.from({ length: c }, (_, j) => { let s = 0; for (let i = 0; i < rows; i++) s += x[i * c + j]; return s / rows; });
  const v = variance ?? Array.from({ length: c }, (_, j) => { let s = 0; for (let i = 0; i < rows; i++) s += (x[i * c + j] - m[j]) ** 2; return s / rows; });
  return { out: x.map((xv, k) => gamma[k % c] * (xv - m[k % c]) / Math.sqrt(v[k % c] + eps) + beta[k % c]), mean: m, variance: v, rows };
}

describe('batchNorm layer', () => {
  const shape = [3, 4, 4, 5];
  const xs = randomValues(3 * 4 * 4 * 5, 11, -2, 3);
  const g = [0.5, 1, 1.5, 2, -1];
  const b = [0.1, -0.2, 0.3, 0, 1];

  const make = (opts = {}) => {
    const bn = nn.batchNorm(opts);
    bn.apply(tensor(xs, shape)).dispose();
    bn.gamma!.assign(g);
    bn.beta!.assign(b);
    return bn;
  };

  it('training: batch mean and biased variance; moving stats with Keras momentum and the unbiased variance', () => {
    const bn = make({ momentum: 0.9, epsilon: 1e-3 });
    bn.movingMean!.assign([1, 2, 3, 4, 5]);
    bn.movingVariance!.assign([2, 2, 2, 2, 2]);
    const y = bn.apply(tensor(xs, shape), { training: true }).dataSync();
    const ref = bnReference(xs, 5, null, null, g, b, 1e-3);
    expectClose(y, ref.out, { atol: 5e-5, what: 'out' });
    const mm = bn.movingMean!.dataSync();
    const mv = bn.movingVariance!.dataSync();
    for (let j = 0; j < 5; j++) {
      expect(mm[j]).toBeCloseTo([1, 2, 3, 4, 5][j] * 0.9 + ref.mean[j] * 0.1, 5);
      expect(mv[j]).toBeCloseTo(2 * 0.9 + ref.variance[j] * ref.rows / (ref.rows - 1) * 0.1, 5);
    }
    bn.dispose();
  });

  it('batch statistics and gamma/beta gradients over many rows (row tiles, channel remainders) and a channel with |mean| >> std', () => {
    // 5*9*7 = 315 rows (not a multiple of the kernels' 64-row tiles), 7 channels (4 + 3). Channel 2
    // sits at 1e4 with std ~0.03: a one-pass E[x^2] - E[x]^2 in float64 would lose most digits of
    // its variance; the kernels' shifted sums must not.
    const c = 7, shape4 = [5, 9, 7, c], n = 5 * 9 * 7;
    const raw = randomValues(n * c, 23, -1, 1);
    const xs2 = raw.map((v, i) => (i % c === 2 ? Math.fround(1e4 + 0.05 * v) : i % c === 5 ? Math.fround(-300 + 40 * v) : v));
    const bn = nn.batchNorm({ momentum: 0, epsilon: 1e-3 });
    const x = tensor(xs2, shape4);
    bn.apply(x).dispose();
    const gam = [1, -0.5, 2, 0.25, 1.5, -1, 0.75];
    bn.gamma!.assign(gam);
    const dyv = randomValues(n * c, 29, -1, 1);
    const y = bn.apply(x, { training: true });
    y.backward(tensor(dyv, shape4));
    // float64 two-pass references
    const ref = bnReference(xs2, c, null, null, gam, Array(c).fill(0), 1e-3);
    const mm = bn.movingMean!.dataSync(), mv = bn.movingVariance!.dataSync();
    const dgamma = bn.gamma!.grad!.dataSync(), dbeta = bn.beta!.grad!.dataSync();
    for (let j = 0; j < c; j++) {
      const unbiased = ref.variance[j] * n / (n - 1);
      expectClose(mm[j], ref.mean[j], { rtol: 2 ** -23, atol: 1e-7, what: `mean ${j}` });
      expectClose(mv[j], unbiased, { rtol: 1e-5, what: `variance ${j}` });
      // xhat uses the float32 batch mean, as the layer (like any float32 framework) normalises
      // with it: at 1e4 its rounding (~5e-4) is a visible fraction of channel 2's std.
      let sg = 0, sgx = 0;
      for (let i = 0; i < n; i++) {
        sg += dyv[i * c + j];
        sgx += dyv[i * c + j] * (xs2[i * c + j] - Math.fround(ref.mean[j])) / Math.sqrt(ref.variance[j] + 1e-3);
      }
      expect(dbeta[j], `dbeta ${j}`).toBeCloseTo(sg, 4);
      expect(Math.abs(dgamma[j] - sgx), `dgamma ${j}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(sgx)));
    }
    y.dispose(); x.dispose(); bn.dispose();
  });

  it('inference: moving statistics, which stay unchanged', () => {
    const bn = make();
    const mmv = [0.5, -1, 0, 2, 1], mvv = [1, 4, 0.25, 2, 9];
    bn.movingMean!.assign(mmv);
    bn.movingVariance!.assign(mvv);
    const y = bn.apply(tensor(xs, shape)).dataSync();
    const ref = bnReference(xs, 5, mmv, mvv, g, b, 1e-3);
    expectClose(y, ref.out, { atol: 5e-5, what: 'out' });
    expect(Array.from(bn.movingMean!.dataSync())).toEqual(mmv);
    bn.dispose();
  });

  it('training gradient with respect to x matches finite differences (gamma, beta: PyTorch fixtures)', () => {
    const bn = nn.batchNorm({ epsilon: 0.01 });
    bn.apply(randn([2, 2, 2, 3])).dispose();
    bn.gamma!.assign([0.5, 2, -1]);
    const err = gradCheck((x) => bn.apply(x, { training: true }), [{ shape: [2, 2, 2, 3] }], { eps: 1e-2 });
    expect(err).toBeLessThan(2e-2);
    bn.zeroGrad();
    bn.dispose();
  });

  it('on dense features [batch, units] as well', () => {
    const bn = nn.batchNorm();
    const y = bn.apply(tensor([[1, 10], [3, 30]]), { training: true }).dataSync();
    const s = 1 / Math.sqrt(1 + 1e-3), s2 = 1 / Math.sqrt(100 + 1e-3);
    expect(Array.from(y).map((v) => +v.toFixed(4))).toEqual([-s, -10 * s2, s, 10 * s2].map((v) => +v.toFixed(4)));
    bn.dispose();
  });

  it('training with one value per channel throws ValueError; inference does not', () => {
    const bn = nn.batchNorm();
    expect(() => bn.apply(randn([1, 1, 1, 4]), { training: true })).toThrow(ValueError);
    expect(() => bn.apply(randn([1, 1, 1, 4]), { training: true })).toThrow(/batch_normalization|batchNorm/);
    expect(bn.apply(randn([1, 1, 1, 4])).shape).toEqual([1, 1, 1, 4]);
    bn.dispose();
  });
});

describe('dropout', () => {
  it('is the identity unless training', () => {
    const d = nn.dropout({ rate: 0.5 });
    const x = randn([4, 250]);
    const y = d.apply(x);
    expect(Buffer.from(y.dataSync().buffer).equals(Buffer.from(x.dataSync().buffer))).toBe(true);
  });
  it('in training zeroes about `rate` of the values and scales the rest by 1/(1-rate)', () => {
    setSeed(5);
    const d = nn.dropout({ rate: 0.25 });
    const x = tensor(new Float32Array(4000).fill(1), [4, 1000]);
    const y = d.apply(x, { training: true }).dataSync();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros / 4000).toBeGreaterThan(0.2);
    expect(zeros / 4000).toBeLessThan(0.3);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
  });
});

describe('layer computations', () => {
  it('conv2d layer equals ops.conv2d + bias + activation', () => {
    setSeed(3);
    const c = nn.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', biasInitializer: { name: 'constant', value: 0.1 } });
    const x = randn([2, 4, 4, 2]);
    const y = c.apply(x).dataSync();
    const ref = ops.relu(ops.conv2d(x, c.kernel!, c.bias!)).dataSync();
    expect(Array.from(y)).toEqual(Array.from(ref));
    c.dispose();
  });
  it('dense with softmax gives rows summing to 1', () => {
    const d = nn.dense({ units: 4, activation: 'softmax' });
    const y = d.apply(randn([3, 5])).arraySync() as number[][];
    for (const row of y) expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    d.dispose();
  });
  it('depthwiseConv2d is a grouped conv2d over the HWIO view of its kernel', () => {
    const d = nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 });
    const x = randn([1, 5, 5, 3]);
    const y = d.apply(x).dataSync();
    expect(d.kernel!.shape).toEqual([3, 3, 3, 2]);
    const w = tensor(d.kernel!.dataSync(), [3, 3, 1, 6]);
    const ref = ops.conv2d(x, w, d.bias!, { groups: 3 }).dataSync();
    expect(Array.from(y)).toEqual(Array.from(ref));
    d.dispose();
  });
  it('prelu: x for x > 0, alpha * x otherwise', () => {
    const p = nn.prelu({ alphaInitializer: { name: 'constant', value: 0.25 } });
    const y = p.apply(tensor([[-2, -1, 0, 1, 2]])).dataSync();
    expect(Array.from(y)).toEqual([-0.5, -0.25, 0, 1, 2]);
    p.dispose();
  });
  it('activation layer names: leakyRelu slope 0.01, Keras spellings', () => {
    expect(Array.from(nn.activation('leakyRelu').apply(tensor([[-1, 2]])).dataSync()).map((v) => +v.toFixed(6))).toEqual([-0.01, 2]);
    expect(nn.activation('leaky_relu').activation).toBe('leakyRelu');
    for (const a of ['relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'softmax'] as const) {
      expect(nn.activation(a).apply(tensor([[-1, 0.5]])).shape).toEqual([1, 2]);
    }
  });
  it('gradients flow to every parameter of a conv + dense stack', () => {
    const conv = nn.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh' });
    const flat = nn.flatten();
    const dense = nn.dense({ units: 1 });
    tidy(() => {
      const y = dense.apply(flat.apply(conv.apply(randn([2, 4, 4, 1]))));
      ops.sum(y).backward();
    });
    for (const p of [...conv.parameters(), ...dense.parameters()]) {
      expect(p.grad, p.name).not.toBeNull();
      expect(p.grad!.shape).toEqual(p.shape);
      p.zeroGrad();
    }
    conv.dispose(); dense.dispose();
  });
});

describe('errors', () => {
  it('bad options throw ValueError at construction, naming the layer and option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => nn.conv2d({ filters: 0, kernelSize: 3 }), /conv2d: option 'filters' must be an integer >= 1, got 0/],
      [() => nn.conv2d({ kernelSize: 3 } as any), /conv2d: option 'filters' is required/],
      [() => nn.conv2d({ filters: 4, kernelSize: [3, 0] as any }), /conv2d: option 'kernelSize'/],
      [() => nn.conv2d({ filters: 4, kernelSize: 3, padding: 'full' as any }), /conv2d: option 'padding'/],
      [() => nn.conv2d({ filters: 5, kernelSize: 3, groups: 2 }), /conv2d: option 'filters' \(5\) must be divisible by 'groups' \(2\)/],
      [() => nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu7' as any }), /conv2d: option 'activation' must be one of/],
      [() => nn.conv2d({ filters: 4, kernelSize: 3, kernelSise: 3 } as any), /conv2d: unknown option 'kernelSise'/],
      [() => nn.dense({ units: 1.5 }), /dense: option 'units' must be an integer >= 1, got 1.5/],
      [() => nn.dropout({ rate: 1 }), /dropout: option 'rate' must be a number in \[0, 1\), got 1/],
      [() => nn.dropout({} as any), /dropout: option 'rate' is required/],
      [() => nn.batchNorm({ momentum: 2 }), /batchNorm: option 'momentum' must be a number in \[0, 1\], got 2/],
      [() => nn.batchNorm({ epsilon: 0 }), /batchNorm: option 'epsilon'/],
      [() => nn.maxPool2d({ poolSize: -1 }), /maxPool2d: option 'poolSize'/],
      [() => nn.activation('nope' as any), /activation: 'activation' must be one of/],
      [() => nn.zeroPadding2d({ padding: -1 }), /zeroPadding2d: option 'padding'/],
      [() => nn.dense({ units: 3, inputShape: [0] }), /dense: option 'inputShape'/],
    ];
    for (const [f, msg] of cases) {
      expect(f).toThrow(ValueError);
      expect(f).toThrow(msg);
    }
  });

  it('input shape mismatches throw ShapeError naming the layer and the shapes', () => {
    const conv = nn.conv2d({ filters: 4, kernelSize: 3, name: 'c1' });
    tidy(() => conv.apply(randn([1, 5, 5, 1])));
    expect(() => conv.apply(randn([1, 5, 5, 3]))).toThrow(ShapeError);
    expect(() => conv.apply(randn([1, 5, 5, 3]))).toThrow(/c1: input has 3 channels but the kernel expects 1/);
    expect(() => conv.apply(randn([1, 25]))).toThrow(/c1: expected input of shape \(None, 5, 5, 1\), got \(None, 25\)/);
    expect(() => nn.conv2d({ filters: 4, kernelSize: 5 }).apply(randn([1, 3, 3, 1]))).toThrow(/conv2d: input 3x3 is smaller than the 5x5 window/);
    expect(() => nn.maxPool2d().apply(randn([2, 8]))).toThrow(/max_pooling2d: expects images/);
    const d = nn.dense({ units: 2 });
    tidy(() => d.apply(randn([1, 4])));
    expect(() => d.apply(randn([1, 5]))).toThrow(/dense: input has 5 features but the kernel expects 4/);
    conv.dispose(); d.dispose();
  });

  it('a failed apply leaves the layer usable', () => {
    const d = nn.dense({ units: 2 });
    expect(() => d.apply(tensor([1, 2, 3], [3], 'int32'))).toThrow(ValueError);
    expect(() => d.apply('x' as unknown as Tensor)).toThrow(ValueError);
    expect(d.apply(randn([2, 3])).shape).toEqual([2, 2]);
    d.dispose();
  });
});
