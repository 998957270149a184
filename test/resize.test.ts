// ops.resize: values and gradients against the float64 reference (test/reference/resize.ts) for
// every method and coordinate mode, upscaling, downscaling, non-integer scales and 1x1 inputs and
// outputs; finite differences; PyTorch fixtures (test/fixtures/resize.json). Thread splits are
// checked in test/threads.test.ts.
import { describe, it, expect } from 'vitest';
import { ops, tensor, tidy, randn, type Tensor } from '../src/index.js';
import { layerFromJSON } from '../src/nn/registry.js';
import { fixtureCases, PYTORCH_TOLERANCE } from './harness/fixtures.js';
import { opTests, type OpCase } from './harness/check-op.js';
import { resizeRef, resizeGradRef, type RefResize } from './reference/resize.js';

type Opts = { method?: 'nearest' | 'bilinear'; alignCorners?: boolean; halfPixelCenters?: boolean };

function modeOf(o: Opts): RefResize {
  return { method: o.method ?? 'nearest', mode: o.alignCorners ? 'alignCorners' : o.halfPixelCenters === false ? 'asymmetric' : 'halfPixel' };
}

function refCase(xShape: number[], size: [number, number], o: Opts): OpCase {
  const p = modeOf(o);
  return {
    name: `resize ${p.method} ${p.mode} [${xShape}] -> [${size}]`,
    op: (x: Tensor) => ops.resize(x, size, o),
    inputs: [{ shape: xShape, range: [-2, 2] }],
    reference: (x) => resizeRef(x, size, p),
    gradient: ([x], dy) => [resizeGradRef(x, dy, size, p)],
    // Two taps per axis: a sum of four float32 products, and gradients summing many of them.
    tolerance: { rtol: 1e-6, atol: 1e-6, gradient: { rtol: 1e-5, atol: 1e-5 } },
  };
}

const SHAPES: [number[], [number, number]][] = [
  [[1, 4, 4, 3], [8, 8]],      // integer upscale
  [[2, 3, 5, 4], [7, 11]],     // non-integer upscale, C a multiple of 4
  [[1, 8, 8, 5], [4, 4]],      // integer downscale
  [[1, 9, 7, 2], [4, 5]],      // non-integer downscale
  [[1, 5, 6, 6], [5, 6]],      // same size
  [[1, 1, 1, 3], [3, 4]],      // 1x1 input
  [[1, 6, 5, 3], [1, 1]],      // 1x1 output
  [[2, 4, 6, 9], [6, 3]],      // up on one axis, down on the other
];
const MODES: Opts[] = [
  { method: 'bilinear' }, { method: 'bilinear', alignCorners: true }, { method: 'bilinear', halfPixelCenters: false },
  { method: 'nearest' }, { method: 'nearest', alignCorners: true }, { method: 'nearest', halfPixelCenters: false },
];

describe('ops.resize against the float64 reference', () => {
  opTests(MODES.flatMap((o) => SHAPES.map(([s, size]) => refCase(s, size, o))));
});

describe('ops.resize finite differences', () => {
  opTests([
    { name: 'bilinear half-pixel [1,3,4,2] -> [5,7]', op: (x) => ops.resize(x, [5, 7], { method: 'bilinear' }), inputs: [[1, 3, 4, 2]], gradient: 'finite-difference' },
    { name: 'bilinear alignCorners [1,5,4,3] -> [2,3]', op: (x) => ops.resize(x, [2, 3], { method: 'bilinear', alignCorners: true }), inputs: [[1, 5, 4, 3]], gradient: 'finite-difference' },
    { name: 'nearest [2,4,4,1] -> [6,3]', op: (x) => ops.resize(x, [6, 3]), inputs: [[2, 4, 4, 1]], gradient: 'finite-difference' },
    { name: 'bilinear 1x1 [1,1,1,4] -> [3,2]', op: (x) => ops.resize(x, [3, 2], { method: 'bilinear' }), inputs: [[1, 1, 1, 4]], gradient: 'finite-difference' },
  ]);
});

type ResizeFixture = { name: string; op?: 'resize'; size?: [number, number]; options?: Opts; layer?: string; config?: Record<string, unknown> };

describe('ops.resize and the upsampling layers vs PyTorch F.interpolate', () => {
  opTests(fixtureCases<ResizeFixture>('resize.json').map((c) => ({
    name: c.name, fixture: c.key, inputs: ['x'], tolerance: PYTORCH_TOLERANCE,
    op: (x: Tensor) => (c.op === 'resize'
      ? ops.resize(x, c.size!, c.options)
      : layerFromJSON({ className: c.layer!, config: c.config! }).apply(x)),
  })));
});

describe('ops.resize', () => {
  it('takes one [H, W, C] image and keeps its rank', () => {
    tidy(() => {
      const x = randn([3, 4, 2]);
      const y = ops.resize(x, [6, 8], { method: 'bilinear' });
      expect(y.shape).toEqual([6, 8, 2]);
      expect(Array.from(y.dataSync())).toEqual(Array.from(ops.resize(x.reshape([1, 3, 4, 2]), [6, 8], { method: 'bilinear' }).dataSync()));
      expect(x.resize([6, 8], { method: 'bilinear' }).shape).toEqual([6, 8, 2]);
    });
  });

  it('nearest upscaling by an integer factor repeats pixels', () => {
    tidy(() => {
      const y = ops.resize(tensor([1, 2, 3, 4], [1, 2, 2, 1]), [4, 4]);
      expect(Array.from(y.dataSync())).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    });
  });
});

