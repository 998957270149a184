// The resampling and reshaping layers: upSampling2d, resizing, cropping2d, reshape. Shape
// inference (computeOutputShape and apply), values against ops, gradients through them, summary
// rows, save/load round trips of a Sequential using them, and the errors misuse raises.
import { describe, it, expect } from 'vitest';
import { nn, ops, optim, tensor, randn, tidy, setSeed, Sequential, ShapeError, ValueError, type Tensor } from '../src/index.js';
import { gradCheck } from './reference/gradcheck.js';

// [name, layer factory, input shape (one sample), output shape]
const SHAPES: [string, () => nn.Layer, number[], number[]][] = [
  ['upSampling2d default (2, nearest)', () => nn.upSampling2d(), [3, 4, 5], [6, 8, 5]],
  ['upSampling2d [2, 3] bilinear', () => nn.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }), [3, 4, 5], [6, 12, 5]],
  ['resizing 7x5', () => nn.resizing({ height: 7, width: 5 }), [4, 6, 3], [7, 5, 3]],
  ['resizing 2x2 nearest', () => nn.resizing({ height: 2, width: 2, interpolation: 'nearest' }), [9, 9, 1], [2, 2, 1]],
  ['cropping2d default (0)', () => nn.cropping2d(), [5, 6, 2], [5, 6, 2]],
  ['cropping2d 1', () => nn.cropping2d({ cropping: 1 }), [5, 6, 2], [3, 4, 2]],
  ['cropping2d [1, 2]', () => nn.cropping2d({ cropping: [1, 2] }), [5, 6, 2], [3, 2, 2]],
  ['cropping2d [[0, 2], [3, 1]]', () => nn.cropping2d({ cropping: [[0, 2], [3, 1]] }), [5, 6, 2], [3, 2, 2]],
  ['reshape [12, 5]', () => nn.reshape({ targetShape: [12, 5] }), [3, 4, 5], [12, 5]],
  ['reshape [-1, 10]', () => nn.reshape({ targetShape: [-1, 10] }), [3, 4, 5], [6, 10]],
  ['reshape [2, -1, 3] on a flat input', () => nn.reshape({ targetShape: [2, -1, 3] }), [24], [2, 4, 3]],
];

describe('shape inference', () => {
  it.each(SHAPES)('%s', (_name, make, inShape, outShape) => {
    const layer = make();
    expect(layer.computeOutputShape(inShape)).toEqual(outShape);
    expect(tidy(() => layer.apply(randn([2, ...inShape])).shape.slice())).toEqual([2, ...outShape]);
    expect(layer.countParams()).toBe(0);
    layer.dispose();
  });
});

describe('values and gradients', () => {
  it('upSampling2d and resizing are ops.resize with half-pixel centres', () => {
    tidy(() => {
      const x = randn([2, 3, 4, 5]);
      const same = (a: Tensor, b: Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      same(nn.upSampling2d({ size: [2, 3] }).apply(x), ops.resize(x, [6, 12], { method: 'nearest' }));
      same(nn.upSampling2d({ interpolation: 'bilinear' }).apply(x), ops.resize(x, [6, 8], { method: 'bilinear' }));
      same(nn.resizing({ height: 5, width: 2 }).apply(x), ops.resize(x, [5, 2], { method: 'bilinear' }));
    });
  });

  it('cropping2d keeps the inner block and sends the gradient back into it (zeros on the cropped border)', () => {
    tidy(() => {
      const x = tensor(Array.from({ length: 20 }, (_, i) => i), [1, 4, 5, 1]).requireGrad();
      const y = nn.cropping2d({ cropping: [[1, 0], [2, 1]] }).apply(x);
      expect(Array.from(y.dataSync())).toEqual([7, 8, 12, 13, 17, 18]);
      ops.sum(y).backward();
      expect(Array.from(x.grad!.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0]);
    });
  });

  it('gradients match finite differences through every layer', () => {
    for (const make of [() => nn.upSampling2d({ interpolation: 'bilinear' }), () => nn.resizing({ height: 3, width: 7 }),
      () => nn.cropping2d({ cropping: [[1, 0], [0, 2]] }), () => nn.reshape({ targetShape: [-1] })]) {
      const layer = make();
      expect(gradCheck((x) => layer.apply(x), [{ shape: [2, 4, 5, 3] }])).toBeLessThan(2e-2);
    }
  });
});

describe('in a Sequential', () => {
  function model(): Sequential {
    setSeed(5);
    return new Sequential([
      nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      nn.upSampling2d({ size: 2, interpolation: 'bilinear' }),
      nn.cropping2d({ cropping: [[1, 1], [2, 0]] }),
      nn.resizing({ height: 6, width: 6, interpolation: 'nearest' }),
      nn.upSampling2d({ size: [1, 2] }),
      nn.reshape({ targetShape: [-1, 4] }),
      nn.dense({ units: 2 }),
    ], { inputShape: [5, 5, 3] });
  }

  it('summary shows every output shape', () => {
    const m = model();
    const s = m.summary();
    for (const row of ['(None, 10, 10, 4)', '(None, 8, 8, 4)', '(None, 6, 6, 4)', '(None, 6, 12, 4)', '(None, 72, 4)', '(None, 72, 2)']) {
      expect(s).toContain(row);
    }
    expect(s).toMatch(/up_sampling2d/);
    expect(s).toMatch(/cropping2d/);
    expect(s).toMatch(/resizing/);
    expect(s).toMatch(/reshape/);
    m.dispose();
  });

  it('trains, then saves and loads with bit-identical predictions', async () => {
    const m = model();
    m.compile({ optimizer: optim.sgd({ lr: 0.05 }), loss: 'meanSquaredError' });
    const x = randn([4, 5, 5, 3]);
    const y = randn([4, 72, 2]);
    await m.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
    const loaded = await Sequential.load(await m.save());
    expect(loaded.layers.map((l) => l.className)).toEqual(m.layers.map((l) => l.className));
    expect(loaded.toJSON()).toEqual(m.toJSON());
    const bits = (mm: Sequential) => tidy(() => Array.from(mm.predict(x).dataSync()));
    expect(bits(loaded)).toEqual(bits(m));
    m.dispose(); loaded.dispose(); x.dispose(); y.dispose();
  });
});

describe('errors', () => {
  it.each([
    ['upSampling2d size 0', () => nn.upSampling2d({ size: 0 }), /upSampling2d: option 'size'/],
    ['upSampling2d interpolation', () => nn.upSampling2d({ interpolation: 'bicubic' as never }), /upSampling2d: option 'interpolation' must be 'nearest' or 'bilinear', got "bicubic"/],
    ['resizing without height', () => nn.resizing({ width: 3 } as never), /resizing: option 'height' is required/],
    ['resizing width 1.5', () => nn.resizing({ height: 2, width: 1.5 }), /resizing: option 'width' must be an integer >= 1, got 1.5/],
    ['cropping2d -1', () => nn.cropping2d({ cropping: -1 }), /cropping2d: option 'cropping' must be/],
    ['cropping2d [[1]]', () => nn.cropping2d({ cropping: [[1]] as never }), /cropping2d: option 'cropping'/],
    ['reshape without targetShape', () => nn.reshape({} as never), /reshape: option 'targetShape' is required/],
    ['reshape two -1', () => nn.reshape({ targetShape: [-1, -1] }), /reshape: option 'targetShape' .* at most one -1/],
    ['reshape 0', () => nn.reshape({ targetShape: [0, 3] }), /reshape: option 'targetShape'/],
    ['unknown option', () => nn.upSampling2d({ factor: 2 } as never), /upSampling2d: unknown option 'factor'/],
  ])('%s: ValueError at construction', (_n, make, msg) => {
    expect(make).toThrow(ValueError);
    expect(make).toThrow(msg);
  });

  it.each([
    ['upSampling2d on rank 3', () => nn.upSampling2d(), [2, 4, 4], /up_sampling2d: expects images .* got input of shape \(None, 4, 4\)/],
    ['resizing on rank 2', () => nn.resizing({ height: 2, width: 2 }), [2, 4], /resizing: expects images/],
    ['cropping2d too much', () => nn.cropping2d({ cropping: [[2, 2], [0, 0]] }), [1, 4, 4, 1], /cropping2d: cropping .* leaves no pixels of input \(None, 4, 4, 1\)/],
    ['reshape size mismatch', () => nn.reshape({ targetShape: [7] }), [2, 3, 4], /reshape: cannot reshape input \(None, 3, 4\) \(12 values per sample\) to target shape \[7\]/],
    ['reshape -1 not dividing', () => nn.reshape({ targetShape: [-1, 5] }), [2, 3, 4], /reshape: cannot reshape/],
  ])('%s: ShapeError at apply', (_n, make, shape, msg) => {
    const layer = make();
    tidy(() => {
      const x = randn(shape);
      expect(() => layer.apply(x)).toThrow(ShapeError);
      expect(() => layer.apply(x)).toThrow(msg);
    });
  });
});
