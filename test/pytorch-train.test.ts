// Losses, optimizers and the batch-norm layer against PyTorch-computed fixtures
// (test/fixtures/{losses,optimizers,batchnorm}.json, made by test/fixtures/gen_fixtures.py).
// Inputs are float32 values drawn by the script; references were computed by PyTorch in float64
// and rounded to float32.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { tensor, ops, losses, optim, nn, type Tensor } from '../src/index.js';

interface TJ { shape: number[]; data: number[] }

function load<T>(name: string): { description: string; cases: T[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

const t = (j: TJ): Tensor => tensor(Float32Array.from(j.data), j.shape);
const leaf = (j: TJ): Tensor => t(j).requireGrad();

const RTOL = 1e-4;
const ATOL = 1e-4;

/** |actual - expected| <= atol + rtol * |expected| element-wise, with a message naming the worst element. */
function expectCloseArr(got: ArrayLike<number>, shape: readonly number[] | null, expected: TJ, what: string,
  rtol = RTOL, atol = ATOL): void {
  if (shape) expect(Array.from(shape), `${what} shape`).toEqual(expected.shape);
  expect(got.length, `${what} size`).toBe(expected.data.length);
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

function expectClose(actual: Tensor | null | undefined, expected: TJ, what: string, rtol = RTOL, atol = ATOL): void {
  expect(actual, `${what} is ${actual}`).toBeTruthy();
  const a = actual as Tensor;
  expectCloseArr(a.dataSync(), a.shape, expected, what, rtol, atol);
}

// ---------------------------------------------------------------------------------------------
interface LossCase {
  name: string; loss: string; yPred: TJ; yTrue: TJ; yTrueDtype: 'float32' | 'int32';
  options: Record<string, unknown> | null; value: number; grad: TJ;
}

describe('losses vs PyTorch (value and gradient w.r.t. yPred)', () => {
  for (const c of load<LossCase>('losses.json').cases) {
    it(c.name, () => {
      const fn = (losses as unknown as Record<string, (p: Tensor, y: Tensor, o?: unknown) => Tensor>)[c.loss];
      expect(typeof fn, `losses.${c.loss}`).toBe('function');
      const yPred = leaf(c.yPred);
      const yTrue = c.yTrueDtype === 'int32'
        ? tensor(Int32Array.from(c.yTrue.data), c.yTrue.shape, 'int32')
        : t(c.yTrue);
      const v = c.options === null ? fn(yPred, yTrue) : fn(yPred, yTrue, c.options);
      expect(v.size, 'the loss is a scalar').toBe(1);
      expectCloseArr(v.dataSync(), null, { shape: [], data: [c.value] }, 'value');
      v.backward();
      expectClose(yPred.grad, c.grad, 'd loss / d yPred');
    });
  }
});

// ---------------------------------------------------------------------------------------------
interface OptCase {
  name: string; optimizer: string; options: Record<string, unknown>;
  params: TJ[]; grads: TJ[][]; after: TJ[][];
}

describe('optimizers vs torch.optim (4 steps, given gradients)', () => {
  for (const c of load<OptCase>('optimizers.json').cases) {
    it(c.name, () => {
      const make = (optim as unknown as Record<string, (o: unknown) => { step(p?: Tensor[]): void }>)[c.optimizer];
      expect(typeof make, `optim.${c.optimizer}`).toBe('function');
      const opt = make({ ...c.options });
      const ps = c.params.map(leaf);
      for (let s = 0; s < c.grads.length; s++) {
        ps.forEach((p, i) => {
          p.zeroGrad();
          p.backward(t(c.grads[s][i])); // a leaf: its .grad becomes exactly the given gradient
        });
        opt.step(ps);
        ps.forEach((p, i) => {
          const what = `step ${s + 1} param ${i}`;
          expectClose(p, c.after[s][i], what, 1e-4, 1e-5);
          // The change from the initial value, relatively: small learning rates (defaults) still count.
          const got = p.dataSync();
          const p0 = c.params[i].data;
          const exp = c.after[s][i].data;
          expectCloseArr(Array.from(got, (v, k) => v - p0[k]), null,
            { shape: c.after[s][i].shape, data: exp.map((v, k) => v - p0[k]) }, `${what} change`, 2e-3, 1e-6);
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
interface BNPass { out: TJ; R: TJ; dx: TJ; dgamma: TJ; dbeta: TJ; movingMean?: TJ; movingVariance?: TJ }
interface BNCase {
  name: string; options: Record<string, number> | null; epsilon: number; x: TJ; gamma: TJ; beta: TJ;
  movingMean: TJ; movingVariance: TJ; training: BNPass; inference: BNPass;
}

interface BNLayer {
  apply(x: Tensor, o?: { training?: boolean }): Tensor;
  parameters(): Tensor[];
  movingMean: Tensor;
  movingVariance: Tensor;
}

/** An nn.batchNorm layer, built by a first inference call, with the case's gamma, beta and moving statistics. */
function batchNormLayer(c: BNCase): { layer: BNLayer; gamma: Tensor; beta: Tensor } {
  const layer = (nn as unknown as { batchNorm(o: unknown): BNLayer }).batchNorm(c.options === null ? {} : { ...c.options });
  layer.apply(t(c.x), { training: false }); // shapes are inferred on the first call
  const params = layer.parameters();
  const gamma = params.find((p) => p.name === 'gamma');
  const beta = params.find((p) => p.name === 'beta');
  expect(gamma, `a parameter named 'gamma' among ${params.map((p) => p.name)}`).toBeTruthy();
  expect(beta, `a parameter named 'beta' among ${params.map((p) => p.name)}`).toBeTruthy();
  gamma!.assign(t(c.gamma));
  beta!.assign(t(c.beta));
  layer.movingMean.assign(t(c.movingMean));
  layer.movingVariance.assign(t(c.movingVariance));
  gamma!.zeroGrad();
  beta!.zeroGrad();
  return { layer, gamma: gamma!, beta: beta! };
}

describe('batch-norm layer vs torch.nn.BatchNorm2d (Keras momentum)', () => {
  for (const c of load<BNCase>('batchnorm.json').cases) {
    it(`${c.name} training`, () => {
      const { layer, gamma, beta } = batchNormLayer(c);
      const x = leaf(c.x);
      const y = layer.apply(x, { training: true });
      expectClose(y, c.training.out, 'out');
      expectClose(layer.movingMean, c.training.movingMean!, 'movingMean after the step');
      expectClose(layer.movingVariance, c.training.movingVariance!, 'movingVariance after the step');
      y.backward(t(c.training.R));
      expectClose(x.grad, c.training.dx, 'dx');
      expectClose(gamma.grad, c.training.dgamma, 'dgamma');
      expectClose(beta.grad, c.training.dbeta, 'dbeta');
    });
    it(`${c.name} inference`, () => {
      const { layer, gamma, beta } = batchNormLayer(c);
      const x = leaf(c.x);
      const y = layer.apply(x, { training: false });
      expectClose(y, c.inference.out, 'out');
      expectClose(layer.movingMean, c.movingMean, 'movingMean (unchanged)');
      expectClose(layer.movingVariance, c.movingVariance, 'movingVariance (unchanged)');
      y.backward(t(c.inference.R));
      expectClose(x.grad, c.inference.dx, 'dx');
      expectClose(gamma.grad, c.inference.dgamma, 'dgamma');
      expectClose(beta.grad, c.inference.dbeta, 'dbeta');
    });
    it(`ops.batchNorm ${c.name.replace(/^batchNorm /, '')} (running statistics)`, () => {
      const x = leaf(c.x);
      const gamma = leaf(c.gamma);
      const beta = leaf(c.beta);
      const y = ops.batchNorm(x, t(c.movingMean), t(c.movingVariance), gamma, beta, c.epsilon);
      expectClose(y, c.inference.out, 'out');
      y.backward(t(c.inference.R));
      expectClose(x.grad, c.inference.dx, 'dx');
      expectClose(gamma.grad, c.inference.dgamma, 'dgamma');
      expectClose(beta.grad, c.inference.dbeta, 'dbeta');
    });
  }
});
