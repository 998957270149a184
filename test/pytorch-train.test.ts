// Losses, optimizers and the batch-norm layer against PyTorch-computed fixtures
// (test/fixtures/{losses,optimizers,batchnorm}.json, made by test/fixtures/gen_fixtures.py).
// Inputs are float32 values drawn by the script; references were computed by PyTorch in float64
// and rounded to float32.
import { describe, it, expect } from 'vitest';
import { tensor, ops, losses, optim, nn, type Tensor } from '../src/index.js';
import { expectClose } from './harness/close.js';
import { fixtureCases, fixtureTensor as t, fixtureLeaf as leaf, expectFixture, PYTORCH_TOLERANCE, type FixtureTensor as TJ } from './harness/fixtures.js';

// ---------------------------------------------------------------------------------------------
interface LossCase {
  name: string; loss: string; yPred: TJ; yTrue: TJ; yTrueDtype: 'float32' | 'int32';
  options: Record<string, unknown> | null; value: number; grad: TJ;
}

describe('losses vs PyTorch (value and gradient w.r.t. yPred)', () => {
  for (const c of fixtureCases<LossCase>('losses.json')) {
    it(c.name, () => {
      const fn = (losses as unknown as Record<string, (p: Tensor, y: Tensor, o?: unknown) => Tensor>)[c.loss];
      expect(typeof fn, `losses.${c.loss}`).toBe('function');
      const yPred = leaf(c.yPred);
      const yTrue = c.yTrueDtype === 'int32'
        ? tensor(Int32Array.from(c.yTrue.data), c.yTrue.shape, 'int32')
        : t(c.yTrue);
      const v = c.options === null ? fn(yPred, yTrue) : fn(yPred, yTrue, c.options);
      expect(v.size, 'the loss is a scalar').toBe(1);
      expectClose(v.dataSync(), c.value, { ...PYTORCH_TOLERANCE, what: 'value' });
      v.backward();
      expectFixture(yPred.grad, c.grad, 'd loss / d yPred');
    });
  }
});

// ---------------------------------------------------------------------------------------------
interface OptCase {
  name: string; optimizer: string; options: Record<string, unknown>;
  params: TJ[]; grads: TJ[][]; after: TJ[][];
}

describe('optimizers vs torch.optim (4 steps, given gradients)', () => {
  for (const c of fixtureCases<OptCase>('optimizers.json')) {
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
          expectFixture(p, c.after[s][i], what, { rtol: 1e-4, atol: 1e-5 });
          // The change from the initial value, relatively: small learning rates (defaults) still count.
          const got = p.dataSync();
          const p0 = c.params[i].data;
          const exp = c.after[s][i].data;
          expectClose(Array.from(got, (v, k) => v - p0[k]), exp.map((v, k) => v - p0[k]), { rtol: 2e-3, atol: 1e-6, what: `${what} change` });
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
  for (const c of fixtureCases<BNCase>('batchnorm.json')) {
    it(`${c.name} training`, () => {
      const { layer, gamma, beta } = batchNormLayer(c);
      const x = leaf(c.x);
      const y = layer.apply(x, { training: true });
      expectFixture(y, c.training.out, 'out');
      expectFixture(layer.movingMean, c.training.movingMean!, 'movingMean after the step');
      expectFixture(layer.movingVariance, c.training.movingVariance!, 'movingVariance after the step');
      y.backward(t(c.training.R));
      expectFixture(x.grad, c.training.dx, 'dx');
      expectFixture(gamma.grad, c.training.dgamma, 'dgamma');
      expectFixture(beta.grad, c.training.dbeta, 'dbeta');
    });
    it(`${c.name} inference`, () => {
      const { layer, gamma, beta } = batchNormLayer(c);
      const x = leaf(c.x);
      const y = layer.apply(x, { training: false });
      expectFixture(y, c.inference.out, 'out');
      expectFixture(layer.movingMean, c.movingMean, 'movingMean (unchanged)');
      expectFixture(layer.movingVariance, c.movingVariance, 'movingVariance (unchanged)');
      y.backward(t(c.inference.R));
      expectFixture(x.grad, c.inference.dx, 'dx');
      expectFixture(gamma.grad, c.inference.dgamma, 'dgamma');
      expectFixture(beta.grad, c.inference.dbeta, 'dbeta');
    });
    it(`ops.batchNorm ${c.name.replace(/^batchNorm /, '')} (running statistics)`, () => {
      const x = leaf(c.x);
      const gamma = leaf(c.gamma);
      const beta = leaf(c.beta);
      const y = ops.batchNorm(x, t(c.movingMean), t(c.movingVariance), gamma, beta, c.epsilon);
      expectFixture(y, c.inference.out, 'out');
      y.backward(t(c.inference.R));
      expectFixture(x.grad, c.inference.dx, 'dx');
      expectFixture(gamma.grad, c.inference.dgamma, 'dgamma');
      expectFixture(beta.grad, c.inference.dbeta, 'dbeta');
    });
  }
});
