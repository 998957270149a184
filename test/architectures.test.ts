// The ResNet, MobileNetV2 and U-Net builders of examples/node/architectures.mjs against their PyTorch
// twins (test/fixtures/architectures.json, made by test/fixtures/fixtures_architectures.py): with the
// fixture's weights set by name, the output and the gradient of sum(out * R) for every parameter,
// with batch norm in inference (running statistics) and in training (batch statistics, then the
// moving statistics it leaves), and the parameter counts of countParams() and summary().
// The builders import the package ('wasm-cnn', dist/), so this file runs them on that build.
import { describe, it, expect, beforeAll } from 'vitest';
import { init, tensor, ops, type Model, type Tensor } from 'wasm-cnn';
import { resnet, mobilenetV2, unet } from '../examples/node/architectures.mjs';
import { expectClose } from './harness/close.js';
import { fixtureCases, type FixtureTensor as TJ } from './harness/fixtures.js';

interface ModeResult { out: TJ; grads: Record<string, TJ>; moving?: Record<string, TJ> }
interface ArchCase {
  name: string; arch: 'resnet' | 'mobilenetV2' | 'unet'; options: Record<string, unknown>;
  x: TJ; R: TJ; weights: Record<string, TJ>;
  inference: ModeResult; training: ModeResult;
  params: { trainable: number; nonTrainable: number };
}

const BUILDERS: Record<ArchCase['arch'], (o: Record<string, unknown>) => Model> = { resnet, mobilenetV2, unet } as never;

const t = (j: TJ): Tensor => tensor(Float32Array.from(j.data), j.shape);
const maxAbs = (v: ArrayLike<number>) => Array.prototype.reduce.call(v, (m: number, x: number) => Math.max(m, Math.abs(x)), 0) as number;

// Relative to each element, with a floor of rtol / 100 of `scale`: the largest element of the
// tensor, or of every gradient of the model. A gradient that cancels to nearly zero is as exact as
// its terms, not as its value (a batch-norm beta feeding only another training-mode batch norm
// through a linear map has an exact gradient of 0: PyTorch gets 1e-18, float32 1e-8).
function expectRelative(actual: ArrayLike<number>, expected: TJ, rtol: number, what: string, scale = maxAbs(expected.data)): void {
  expectClose(actual, expected.data, { rtol, atol: rtol * 0.01 * scale, what });
}

function build(c: ArchCase): Model {
  const model = BUILDERS[c.arch](c.options);
  const names = model.weights().map((w) => w.name!);
  expect(names.slice().sort(), 'weight names').toEqual(Object.keys(c.weights).sort());
  for (const w of model.weights()) w.assign(t(c.weights[w.name!]));
  return model;
}

beforeAll(async () => { await init(); });

describe('architectures vs PyTorch (examples/node/architectures.mjs)', () => {
  for (const c of fixtureCases<ArchCase>('architectures.json')) {
    describe(c.name, () => {
      it('countParams() and summary() count what PyTorch has (batch-norm buffers non-trainable)', () => {
        const model = build(c);
        const { trainable, nonTrainable } = c.params;
        expect(model.countParams()).toBe(trainable + nonTrainable);
        const fmt = (n: number) => n.toLocaleString('en-US');
        const summary = model.summary();
        expect(summary).toContain(`Total params: ${fmt(trainable + nonTrainable)}`);
        expect(summary).toContain(`Trainable params: ${fmt(trainable)}`);
        expect(summary).toContain(`Non-trainable params: ${fmt(nonTrainable)}`);
        model.dispose();
      });

      for (const mode of ['inference', 'training'] as const) {
        it(`${mode}: output and every parameter's gradient`, () => {
          const model = build(c);
          const want = c[mode];
          const out = model.forward(t(c.x), { training: mode === 'training' });
          expect(out.shape).toEqual(want.out.shape);
          expectRelative(out.dataSync(), want.out, 1e-4, 'output');
          ops.sum(ops.mul(out, t(c.R))).backward();
          const params = model.parameters();
          expect(params.map((p) => p.name).sort()).toEqual(Object.keys(want.grads).sort());
          const scale = Math.max(...Object.values(want.grads).map((g) => maxAbs(g.data)));
          for (const p of params) expectRelative(p.grad!.dataSync(), want.grads[p.name!], 1e-3, `d/d ${p.name}`, scale);
          if (want.moving) {
            for (const w of model.weights().filter((x) => want.moving![x.name!])) {
              expectRelative(w.dataSync(), want.moving[w.name!], 1e-4, w.name!);
            }
          }
          model.dispose();
        });
      }
    });
  }
});
