// nn.permute (Keras Permute: the sample axes in a new order, counted from 1): values against a naive
// index map, the gradient by finite differences, shapes, save / load, summary and ONNX export (one
// Transpose, checked against loadOnnx). And the weightNames option every layer takes: the parameter
// names it gives, kept through save / Model.load.
import { describe, it, expect } from 'vitest';
import { Model, Sequential, nn, randn, tidy, loadOnnx, ops } from '../src/index.js';
import { opTests } from './harness/check-op.js';
import { expectClose } from './harness/close.js';

interface Arr { shape: number[]; values: ArrayLike<number> }

/** Naive permute: output sample index (i_1..i_k) reads input index with axis dims[j]-1 = i_j. */
function refPermute(x: Arr, dims: number[]): Arr {
  const [n, ...s] = x.shape;
  const out = dims.map((d) => s[d - 1]);
  const inStrides = s.map((_, i) => s.slice(i + 1).reduce((p, d) => p * d, 1));
  const size = s.reduce((p, d) => p * d, 1);
  const values: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < size; o++) {
      let rest = o, at = b * size;
      for (let j = out.length - 1; j >= 0; j--) {
        const i = rest % out[j];
        rest = Math.floor(rest / out[j]);
        at += i * inStrides[dims[j] - 1];
      }
      values.push(x.values[at]);
    }
  }
  return { shape: [n, ...out], values };
}

const CASES: { dims: number[]; x: number[] }[] = [
  { dims: [2, 3, 1], x: [2, 3, 4, 5] }, // [C, H, W] -> [H, W, C]
  { dims: [3, 1, 2], x: [2, 4, 5, 3] }, // and back
  { dims: [2, 1], x: [3, 4, 6] },
  { dims: [1, 3, 2], x: [1, 2, 3, 4] },
  { dims: [4, 2, 1, 3], x: [2, 2, 3, 1, 4] },
];

describe('nn.permute against a naive index map', () => {
  opTests(CASES.map((c) => ({
    name: `permute dims [${c.dims}] of [${c.x}]`,
    op: (x) => nn.permute({ dims: c.dims }).apply(x),
    inputs: [c.x],
    reference: (x) => refPermute(x, c.dims),
  })));
});

describe('nn.permute gradient by finite differences', () => {
  opTests(CASES.map((c) => ({
    name: `permute dims [${c.dims}] gradient`,
    op: (x) => nn.permute({ dims: c.dims }).apply(x),
    inputs: [c.x],
    gradient: 'finite-difference',
  })));
});

describe('nn.permute in models', () => {
  it('computes its output shape, appears in summary and survives save / Model.load', async () => {
    const model = new Sequential([nn.permute({ dims: [2, 3, 1], inputShape: [3, 6, 5] }), nn.conv2d({ filters: 2, kernelSize: 3 }), nn.permute({ dims: [3, 1, 2] })]);
    const x = randn([2, 3, 6, 5]);
    try {
      model.build([3, 6, 5]);
      expect(model.layers[0].outputShape).toEqual([6, 5, 3]);
      expect(model.outputShape).toEqual([2, 4, 3]);
      expect(model.summary()).toMatch(/permute \(Permute\)\s+\(None, 6, 5, 3\)/);
      const want = tidy(() => model.predict(x).dataSync());
      const loaded = await Model.load(await model.save());
      try {
        expect(loaded.layers[0].toJSON()).toEqual({ className: 'Permute', config: { name: 'permute', dims: [2, 3, 1], inputShape: [3, 6, 5] } });
        expect(Array.from(tidy(() => loaded.predict(x).dataSync()))).toEqual(Array.from(want));
      } finally {
        loaded.dispose();
      }
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it.each(['NHWC', 'NCHW'] as const)('exports as one Transpose that loadOnnx runs to the same values (%s file)', async (layout) => {
    const input = nn.input({ shape: [4, 5, 3] });
    const c = nn.conv2d({ filters: 2, kernelSize: 1 }).apply(input);
    const y = nn.flatten().apply(nn.permute({ dims: [3, 1, 2] }).apply(c)); // flattens in [C, H, W] order
    const model = new Model({ inputs: input, outputs: y });
    const x = randn([2, 4, 5, 3]);
    try {
      const want = tidy(() => model.predict(x).dataSync());
      const net = await loadOnnx(model.toOnnx({ layout }));
      try {
        const fed = layout === 'NCHW' ? ops.transpose(x, [0, 3, 1, 2]) : x;
        expectClose(tidy(() => net.predict(fed).dataSync()), want, { rtol: 1e-6, atol: 1e-6 });
        if (fed !== x) fed.dispose();
      } finally {
        net.dispose();
      }
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

describe('the weightNames layer option', () => {
  it('names parameters <layer>/<given name>, keeps the others, and survives save / Model.load', async () => {
    const input = nn.input({ shape: [4, 4, 2] });
    const c = nn.conv2d({ filters: 3, kernelSize: 3, name: 'stem', weightNames: { kernel: 'stem.weight' } }).apply(input);
    const b = nn.batchNorm({ name: 'bn1', weightNames: { gamma: 'bn1.weight', beta: 'bn1.bias', moving_mean: 'bn1.running_mean', moving_variance: 'bn1.running_var' } }).apply(c);
    const model = new Model({ inputs: input, outputs: nn.flatten().apply(b) });
    try {
      expect(model.weights().map((w) => w.name)).toEqual(['stem/stem.weight', 'stem/bias', 'bn1/bn1.weight', 'bn1/bn1.bias', 'bn1/bn1.running_mean', 'bn1/bn1.running_var']);
      expect(model.getLayer('stem').toJSON().config.weightNames).toEqual({ kernel: 'stem.weight' });
      const loaded = await Model.load(await model.save());
      try {
        expect(loaded.weights().map((w) => w.name)).toEqual(model.weights().map((w) => w.name));
        loaded.weights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(model.weights()[i].dataSync())));
      } finally {
        loaded.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});
