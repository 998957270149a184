// wasm-cnn ops against PyTorch-computed fixtures (test/fixtures/*.json, made by
// test/fixtures/gen_fixtures.py). Inputs are float32 values drawn by the script; references were
// computed by PyTorch in float64 and rounded to float32. Gradients are those of sum(out * R) for
// the stored R, obtained here with out.backward(R).
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { tensor, ops, type Tensor } from '../src/index.js';

interface TJ { shape: number[]; data: number[] }

function load<T>(name: string): { description: string; cases: T[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

/** A float32 tensor from a fixture tensor. */
const t = (j: TJ): Tensor => tensor(Float32Array.from(j.data), j.shape);
/** The same, as a leaf whose gradient is accumulated. */
const leaf = (j: TJ): Tensor => t(j).requireGrad();

const RTOL = 1e-4;
const ATOL = 1e-4;

/** |actual - expected| <= atol + rtol * |expected| element-wise, with a message naming the worst element. */
function expectClose(actual: Tensor | null | undefined, expected: TJ, what: string, rtol = RTOL, atol = ATOL): void {
  expect(actual, `${what} is ${actual}`).toBeTruthy();
  const a = actual as Tensor;
  expect(Array.from(a.shape), `${what} shape`).toEqual(expected.shape);
  const got = a.dataSync();
  let bad = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i];
    const d = Math.abs(got[i] - e);
    const tol = atol + rtol * Math.abs(e);
    if (!(d <= tol)) {
      bad++;
      const excess = Number.isNaN(d) ? Infinity : d / tol;
      if (excess > worstExcess) { worstExcess = excess; worst = i; }
    }
  }
  if (bad > 0) {
    const e = expected.data[worst];
    expect.fail(`${what}: ${bad} of ${expected.data.length} values differ beyond ${rtol}/${atol}; worst at flat index ` +
      `${worst}: got ${got[worst]}, expected ${e} (|diff| ${Math.abs(got[worst] - e)})`);
  }
}

// ---------------------------------------------------------------------------------------------
interface ConvCase {
  name: string; x: TJ; w: TJ; b: TJ | null; options: Record<string, unknown> | null;
  out: TJ; R: TJ; dx: TJ; dw: TJ; db: TJ | null;
}

describe('conv2d vs PyTorch (NHWC, HWIO, TF same padding)', () => {
  for (const c of load<ConvCase>('conv2d.json').cases) {
    it(c.name, () => {
      const x = leaf(c.x);
      const w = leaf(c.w);
      const b = c.b ? leaf(c.b) : undefined;
      const y = c.options === null ? ops.conv2d(x, w, b) : ops.conv2d(x, w, b, c.options as any);
      expectClose(y, c.out, 'out');
      y.backward(t(c.R));
      expectClose(x.grad, c.dx, 'dx');
      expectClose(w.grad, c.dw, 'dw');
      if (c.db) expectClose(b!.grad, c.db, 'db');
    });
  }
});

describe('conv2dTranspose vs PyTorch (TensorFlow output-size convention)', () => {
  for (const c of load<ConvCase>('conv2dTranspose.json').cases) {
    it(c.name, () => {
      const x = leaf(c.x);
      const w = leaf(c.w);
      const b = c.b ? leaf(c.b) : undefined;
      const y = ops.conv2dTranspose(x, w, b, c.options as any);
      expectClose(y, c.out, 'out');
      y.backward(t(c.R));
      expectClose(x.grad, c.dx, 'dx');
      expectClose(w.grad, c.dw, 'dw');
      if (c.db) expectClose(b!.grad, c.db, 'db');
    });
  }
});

// ---------------------------------------------------------------------------------------------
interface PoolCase { name: string; op: string; x: TJ; options: Record<string, unknown> | null; out: TJ; R: TJ; dx: TJ }

describe('pooling vs PyTorch', () => {
  for (const c of load<PoolCase>('pool.json').cases) {
    it(c.name, () => {
      const x = leaf(c.x);
      let y: Tensor;
      switch (c.op) {
        case 'maxPool2d': y = ops.maxPool2d(x, c.options as any); break;
        case 'avgPool2d': y = ops.avgPool2d(x, c.options as any); break;
        case 'globalAvgPool2d': y = ops.globalAvgPool2d(x); break;
        case 'globalMaxPool2d': y = ops.globalMaxPool2d(x); break;
        default: throw new Error(`unknown pooling op ${c.op}`);
      }
      expectClose(y, c.out, 'out');
      y.backward(t(c.R));
      expectClose(x.grad, c.dx, 'dx');
    });
  }
});

// ---------------------------------------------------------------------------------------------
interface MatmulCase { name: string; a: TJ; b: TJ; options: Record<string, boolean> | null; out: TJ; R: TJ; da: TJ; db: TJ }

describe('matmul vs PyTorch', () => {
  for (const c of load<MatmulCase>('matmul.json').cases) {
    it(c.name, () => {
      const a = leaf(c.a);
      const b = leaf(c.b);
      const y = c.options === null ? ops.matmul(a, b) : ops.matmul(a, b, c.options);
      expectClose(y, c.out, 'out');
      y.backward(t(c.R));
      expectClose(a.grad, c.da, 'da');
      expectClose(b.grad, c.db, 'db');
    });
  }
});

// ---------------------------------------------------------------------------------------------
interface ActCase { name: string; op: string; args: number[]; x: TJ; out: TJ; R: TJ; dx: TJ }

describe('activations vs PyTorch', () => {
  for (const c of load<ActCase>('activations.json').cases) {
    it(c.name, () => {
      const fn = (ops as unknown as Record<string, (x: Tensor, ...args: number[]) => Tensor>)[c.op];
      expect(typeof fn, `ops.${c.op}`).toBe('function');
      const x = leaf(c.x);
      const y = fn(x, ...c.args);
      expectClose(y, c.out, 'out');
      y.backward(t(c.R));
      expectClose(x.grad, c.dx, 'dx');
    });
  }
});
