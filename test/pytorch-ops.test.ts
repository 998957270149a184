// wasm-cnn ops against PyTorch-computed fixtures (test/fixtures/*.json, made by
// test/fixtures/gen_fixtures.py). Inputs are float32 values drawn by the script; references were
// computed by PyTorch in float64 and rounded to float32. Gradients are those of sum(out * R) for
// the stored R, obtained here with out.backward(R).
import { describe, expect } from 'vitest';
import { ops, type Tensor } from '../src/index.js';
import { fixtureCases, PYTORCH_TOLERANCE } from './harness/fixtures.js';
import { opTests } from './harness/check-op.js';

type Options = Record<string, unknown> | null;
const tolerance = PYTORCH_TOLERANCE;

// Each case: inputs and gradients by field name (the gradient of input 'x' is 'dx'), `out` and `R`.
describe('conv2d vs PyTorch (NHWC, HWIO, TF same padding)', () => {
  opTests(fixtureCases<{ name: string; options: Options }>('conv2d.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x', 'w', 'b'], tolerance,
    op: (x: Tensor, w: Tensor, b?: Tensor) => (c.options === null ? ops.conv2d(x, w, b) : ops.conv2d(x, w, b, c.options as any)),
  })));
});

describe('conv2dTranspose vs PyTorch (TensorFlow output-size convention)', () => {
  opTests(fixtureCases<{ name: string; options: Options }>('conv2dTranspose.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x', 'w', 'b'], tolerance,
    op: (x: Tensor, w: Tensor, b?: Tensor) => ops.conv2dTranspose(x, w, b, c.options as any),
  })));
});

const POOLS: Record<string, (x: Tensor, options: any) => Tensor> = {
  maxPool2d: (x, o) => ops.maxPool2d(x, o),
  avgPool2d: (x, o) => ops.avgPool2d(x, o),
  globalAvgPool2d: (x) => ops.globalAvgPool2d(x),
  globalMaxPool2d: (x) => ops.globalMaxPool2d(x),
};

describe('pooling vs PyTorch', () => {
  opTests(fixtureCases<{ name: string; op: string; options: Options }>('pool.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x'], tolerance,
    op: (x: Tensor) => {
      if (!POOLS[c.op]) throw new Error(`unknown pooling op ${c.op}`);
      return POOLS[c.op](x, c.options);
    },
  })));
});

describe('matmul vs PyTorch', () => {
  opTests(fixtureCases<{ name: string; options: Record<string, boolean> | null }>('matmul.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['a', 'b'], tolerance,
    op: (a: Tensor, b: Tensor) => (c.options === null ? ops.matmul(a, b) : ops.matmul(a, b, c.options)),
  })));
});

describe('activations vs PyTorch', () => {
  opTests(fixtureCases<{ name: string; op: string; args: number[] }>('activations.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x'], tolerance,
    op: (x: Tensor) => {
      const fn = (ops as unknown as Record<string, (x: Tensor, ...args: number[]) => Tensor>)[c.op];
      expect(typeof fn, `ops.${c.op}`).toBe('function');
      return fn(x, ...c.args);
    },
  })));
});

describe('conv1d vs PyTorch (x [N,L,C], w [k,C/groups,out], TF same padding)', () => {
  opTests(fixtureCases<{ name: string; options: Options }>('conv1d.json').filter((c) => c.name.startsWith('conv1d')).map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x', 'w', 'b'], tolerance,
    op: (x: Tensor, w: Tensor, b?: Tensor) => ops.conv1d(x, w, b, c.options as any),
  })));
});
