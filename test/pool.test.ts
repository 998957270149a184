// Pooling: max / avg (valid, same, overlapping, strided) and global pooling, forward and
// gradient against test/reference/pool.ts, tie rules, finite differences, error messages.
import { describe, it, test, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, ops, ShapeError, ValueError, tidy, backendInfo } from '../src/index.js';
import { pool2dGeometry } from '../src/ops/pool.js';
import { refAvgPool, refAvgPoolBackward, refMaxPool, refMaxPoolBackward, type RefPool } from './reference/pool.js';
import { refPads } from './reference/conv.js';
import { gradCheck, randomValues } from './reference/gradcheck.js';
import { expectClose } from './harness/close.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const p2 = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);

interface Case { x: number[]; k: number | [number, number]; s?: number | [number, number]; p?: 'valid' | 'same' }
const name = (c: Case) => `x=${JSON.stringify(c.x)} k=${JSON.stringify(c.k)} s=${JSON.stringify(c.s ?? c.k)} p=${c.p ?? 'valid'}`;

function checkPool(c: Case, seed = 1): void {
  const k = p2(c.k), s = p2(c.s ?? c.k), padding = c.p ?? 'valid';
  const ref: RefPool = { k, s, pads: refPads(padding, c.x[1], c.x[2], k[0], k[1], s, [1, 1]) };
  const xv = randomValues(size(c.x), seed);
  for (const kind of ['max', 'avg'] as const) {
    const fwd = kind === 'max' ? refMaxPool(xv, c.x, ref) : refAvgPool(xv, c.x, ref);
    const dyv = randomValues(size(fwd.shape), seed + 1);
    const dxRef = kind === 'max' ? refMaxPoolBackward(xv, c.x, dyv, ref) : refAvgPoolBackward(c.x, dyv, ref);
    tidy(() => {
      const x = tensor(xv, c.x).requireGrad();
      const opts = { poolSize: c.k, strides: c.s, padding };
      const y = kind === 'max' ? ops.maxPool2d(x, opts) : ops.avgPool2d(x, opts);
      expect(y.shape).toEqual(fwd.shape);
      expectClose(y.dataSync(), fwd.y, { rtol: 1e-6, atol: 1e-6, what: `${kind} y` });
      y.backward(tensor(dyv, fwd.shape));
      expectClose(x.grad!.dataSync(), dxRef, { rtol: 1e-5, atol: 1e-5, what: `${kind} dx` });
      x.zeroGrad();
    });
  }
}

describe('pool geometry', () => {
  it('resolves sizes and TF same padding', () => {
    const g = pool2dGeometry([1, 5, 5, 3], { poolSize: 2, padding: 'same' });
    expect([g.outH, g.outW, g.padTop, g.padBottom]).toEqual([3, 3, 0, 1]);
    const v = pool2dGeometry([1, 5, 7, 3], { poolSize: [3, 2], strides: [1, 2] });
    expect([v.outH, v.outW]).toEqual([3, 3]);
    expect(pool2dGeometry([2, 4, 4, 1], {}).outH).toBe(2); // Keras default pool 2, strides = pool
  });
});

const TABLE: Case[] = [
  { x: [1, 4, 4, 1], k: 2 },
  { x: [2, 5, 5, 3], k: 2, p: 'same' },
  { x: [1, 5, 5, 3], k: 2, p: 'valid' },
  { x: [1, 6, 6, 4], k: 3, s: 1, p: 'same' },
  { x: [1, 6, 7, 5], k: 3, s: 2, p: 'same' },
  { x: [1, 7, 6, 16], k: [3, 2], s: [2, 1], p: 'valid' },
  { x: [2, 6, 6, 21], k: 3, s: 2, p: 'same' },
  { x: [1, 5, 5, 2], k: 2, s: 3, p: 'same' },
  { x: [1, 5, 5, 7], k: 5, s: 1, p: 'valid' },
  { x: [1, 3, 8, 36], k: [1, 4], s: [1, 2], p: 'same' },
];

describe('maxPool2d / avgPool2d against the reference', () => {
  test.each(TABLE.map((c) => [name(c), c] as const))('%s', (_n, c) => checkPool(c));

  it('property: random geometry', () => {
    fc.assert(fc.property(fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 8 }), w: fc.integer({ min: 1, max: 8 }),
      c: fc.integer({ min: 1, max: 20 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 4 }), sw: fc.integer({ min: 1, max: 4 }), same: fc.boolean(), seed: fc.integer({ min: 1, max: 999 }),
    }), (r) => {
      const c: Case = { x: [r.n, r.h, r.w, r.c], k: [r.kh, r.kw], s: [r.sh, r.sw], p: r.same ? 'same' : 'valid' };
      if (!r.same && (r.kh > r.h || r.kw > r.w)) {
        expect(() => tidy(() => ops.maxPool2d(tensor(new Float32Array(size(c.x)), c.x), { poolSize: c.k, strides: c.s }))).toThrow(ShapeError);
        return;
      }
      checkPool(c, r.seed);
    }), { numRuns: 120, seed: 99 });
  });

  it('max gradient goes to the first maximum of a window on ties (row-major), and overlapping windows add', () => {
    tidy(() => {
      const x = tensor([1, 1, 1, 1], [1, 2, 2, 1]).requireGrad();
      ops.maxPool2d(x, { poolSize: 2 }).backward(tensor([1], [1, 1, 1, 1]));
      expect(Array.from(x.grad!.dataSync())).toEqual([1, 0, 0, 0]);
      x.zeroGrad();
      // 3x3 image, 2x2 windows at stride 1: the center (the max) wins all four windows.
      const z = tensor([0, 0, 0, 0, 5, 0, 0, 0, 0], [1, 3, 3, 1]).requireGrad();
      ops.maxPool2d(z, { poolSize: 2, strides: 1 }).backward(tensor([1, 2, 3, 4], [1, 2, 2, 1]));
      expect(Array.from(z.grad!.dataSync())).toEqual([0, 0, 0, 0, 10, 0, 0, 0, 0]);
      z.zeroGrad();
      // Ties across 5 channels (vector lanes and the scalar tail): first position each.
      const t = tensor(new Float32Array(4 * 5).fill(2), [1, 2, 2, 5]).requireGrad();
      ops.maxPool2d(t, { poolSize: 2 }).backward(tensor([1, 2, 3, 4, 5], [1, 1, 1, 5]));
      expect(Array.from(t.grad!.dataSync())).toEqual([1, 2, 3, 4, 5, ...new Array(15).fill(0)]);
      t.zeroGrad();
    });
  });

  it('max pooling never picks the padding; avg pooling does not count it', () => {
    tidy(() => {
      const x = tensor(new Float32Array(9).fill(-3), [1, 3, 3, 1]);
      expect(Array.from(ops.maxPool2d(x, { poolSize: 2, padding: 'same' }).dataSync())).toEqual([-3, -3, -3, -3]);
      expect(Array.from(ops.avgPool2d(x, { poolSize: 2, padding: 'same' }).dataSync())).toEqual([-3, -3, -3, -3]);
      const r = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      // windows: [1,2,4,5] [3,6] [7,8] [9]
      expect(Array.from(ops.avgPool2d(r, { poolSize: 2, padding: 'same' }).dataSync())).toEqual([3, 4.5, 7.5, 9]);
    });
  });
});

/**
 * Max pooling by the kernels' documented rule, NaN included: a window holding a NaN gives NaN,
 * and its gradient goes to the first NaN; otherwise to the first (row-major) maximum.
 */
function refMaxPoolNaN(xv: ArrayLike<number>, xShape: number[], dyv: ArrayLike<number>, k: [number, number], s: [number, number], pads: number[]) {
  const [N, H, W, C] = xShape;
  const Ho = Math.floor((H + pads[0] + pads[1] - k[0]) / s[0]) + 1, Wo = Math.floor((W + pads[2] + pads[3] - k[1]) / s[1]) + 1;
  const y = new Float64Array(N * Ho * Wo * C), dx = new Float64Array(xv.length);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) for (let c = 0; c < C; c++) {
    let best = -1, m = -Infinity;
    for (let kh = 0; kh < k[0]; kh++) for (let kw = 0; kw < k[1]; kw++) {
      const h = oh * s[0] - pads[0] + kh, w = ow * s[1] - pads[2] + kw;
      if (h < 0 || h >= H || w < 0 || w >= W) continue;
      const i = ((n * H + h) * W + w) * C + c, v = xv[i];
      if (Number.isNaN(m)) continue;
      if (Number.isNaN(v) || v > m || best < 0) { m = v; best = i; }
    }
    const o = ((n * Ho + oh) * Wo + ow) * C + c;
    y[o] = m;
    dx[best] += dyv[o];
  }
  return { y, dx, shape: [N, Ho, Wo, C] };
}

describe('max pooling with NaN and ties, every code path', () => {
  it('property: random geometry, 1-2 NaNs among tied values (output NaN, gradient to the first NaN)', () => {
    fc.assert(fc.property(fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
      c: fc.integer({ min: 1, max: 13 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 4 }), sw: fc.integer({ min: 1, max: 4 }), same: fc.boolean(),
      seed: fc.integer({ min: 1, max: 9999 }), nans: fc.array(fc.nat(), { minLength: 0, maxLength: 2 }),
    }), (r) => {
      if (!r.same && (r.kh > r.h || r.kw > r.w)) return;
      const shape = [r.n, r.h, r.w, r.c];
      // values in {-1, 0, 1}: many ties; negative zeros too
      const xv = randomValues(size(shape), r.seed).map((v) => Math.round(v * 1.4) || (v < 0 ? -0 : 0));
      for (const i of r.nans) xv[i % xv.length] = NaN;
      const k: [number, number] = [r.kh, r.kw], s: [number, number] = [r.sh, r.sw];
      const pads = refPads(r.same ? 'same' : 'valid', r.h, r.w, r.kh, r.kw, s, [1, 1]);
      const probe = refMaxPoolNaN(xv, shape, [], k, s, pads);
      const dyv = randomValues(size(probe.shape), r.seed + 1);
      const ref = refMaxPoolNaN(xv, shape, dyv, k, s, pads);
      tidy(() => {
        const x = tensor(xv, shape).requireGrad();
        const y = ops.maxPool2d(x, { poolSize: k, strides: s, padding: r.same ? 'same' : 'valid' });
        const got = y.dataSync();
        for (let i = 0; i < ref.y.length; i++) {
          if (Number.isNaN(ref.y[i]) !== Number.isNaN(got[i]) || (!Number.isNaN(got[i]) && got[i] !== ref.y[i])) {
            throw new Error(`y[${i}]: got ${got[i]}, want ${ref.y[i]} (${JSON.stringify(r)})`);
          }
        }
        y.backward(tensor(dyv, y.shape));
        expectClose(x.grad!.dataSync(), ref.dx, { rtol: 1e-6, atol: 1e-6, what: `dx ${JSON.stringify(r)}` });
      });
    }), { numRuns: 300, seed: 7 });
  });

  it('wide images (long runs of windows, both edges clipped) against the reference', () => {
    for (const c of [
      { x: [2, 9, 37, 20], k: 3, s: 2, p: 'same' }, { x: [1, 12, 41, 7], k: 2, s: 2, p: 'same' },
      { x: [1, 6, 33, 16], k: [2, 3], s: [2, 3], p: 'valid' }, { x: [1, 7, 30, 9], k: 2, s: 3, p: 'valid' },
      { x: [1, 8, 29, 12], k: 3, s: 1, p: 'same' }, { x: [1, 5, 40, 4], k: [1, 2], s: [1, 2], p: 'same' },
    ] as Case[]) checkPool(c, 3);
  });
});

describe('global pooling', () => {
  test.each([[[2, 3, 4, 5]], [[1, 1, 1, 8]], [[3, 5, 5, 17]]])('x=%j', (shape) => {
    const [N, H, W, C] = shape;
    const xv = randomValues(size(shape), 5);
    const dyv = randomValues(N * C, 6);
    const avg = new Float64Array(N * C), mx = new Float64Array(N * C).fill(-Infinity);
    const dAvg = new Float64Array(xv.length), dMax = new Float64Array(xv.length);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
      let best = -1;
      for (let i = 0; i < H * W; i++) {
        const v = xv[(n * H * W + i) * C + c];
        avg[n * C + c] += v / (H * W);
        if (v > mx[n * C + c]) { mx[n * C + c] = v; best = i; }
        dAvg[(n * H * W + i) * C + c] = dyv[n * C + c] / (H * W);
      }
      dMax[(n * H * W + best) * C + c] = dyv[n * C + c];
    }
    tidy(() => {
      const x = tensor(xv, shape).requireGrad();
      const a = ops.globalAvgPool2d(x);
      expect(a.shape).toEqual([N, C]);
      expectClose(a.dataSync(), avg, { rtol: 1e-6, atol: 1e-6, what: 'avg' });
      a.backward(tensor(dyv, [N, C]));
      expectClose(x.grad!.dataSync(), dAvg, { rtol: 1e-6, atol: 1e-6, what: 'avg dx' });
      x.zeroGrad();
      const m = ops.globalMaxPool2d(x);
      expectClose(m.dataSync(), mx, { rtol: 1e-6, atol: 1e-6, what: 'max' });
      m.backward(tensor(dyv, [N, C]));
      expectClose(x.grad!.dataSync(), dMax, { rtol: 1e-6, atol: 1e-6, what: 'max dx' });
      x.zeroGrad();
    });
  });
  it('global max gradient goes to the first maximum on ties', () => {
    tidy(() => {
      const x = tensor([4, 1, 4, 2, 3, 2], [1, 3, 1, 2]).requireGrad();
      ops.globalMaxPool2d(x).backward(tensor([1, 1], [1, 2]));
      // channel 0: 4, 4, 3 -> first; channel 1: 1, 2, 2 -> the first 2
      expect(Array.from(x.grad!.dataSync())).toEqual([1, 0, 0, 1, 0, 0]);
      x.zeroGrad();
    });
  });
});

describe('finite-difference gradient checks', () => {
  test.each([
    ['maxPool2d k=2 s=2 p=valid', (x: any) => ops.maxPool2d(x, { poolSize: 2 }), [1, 4, 4, 3]],
    ['maxPool2d k=3 s=2 p=same', (x: any) => ops.maxPool2d(x, { poolSize: 3, strides: 2, padding: 'same' }), [1, 5, 5, 2]],
    ['avgPool2d k=2 s=1 p=same', (x: any) => ops.avgPool2d(x, { poolSize: 2, strides: 1, padding: 'same' }), [1, 4, 5, 3]],
    ['avgPool2d k=[3,2] s=[2,1] p=valid', (x: any) => ops.avgPool2d(x, { poolSize: [3, 2], strides: [2, 1] }), [2, 5, 4, 2]],
    ['globalAvgPool2d', (x: any) => ops.globalAvgPool2d(x), [2, 3, 3, 5]],
    ['globalMaxPool2d', (x: any) => ops.globalMaxPool2d(x), [2, 3, 3, 5]],
  ] as const)('%s', (_n, fn, shape) => {
    // Distinct values spaced well beyond eps so no finite difference crosses a max boundary.
    const n = size(shape as unknown as number[]);
    const perm = randomValues(n, 17).map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]).map((p) => p[1]);
    const values = new Array(n);
    perm.forEach((idx, rank) => { values[idx] = (rank - n / 2) * 0.05; });
    expect(gradCheck(fn, [{ shape: shape as unknown as number[], values }])).toBeLessThan(1e-2);
  });
});

describe('pooling errors', () => {
  const z = (shape: number[]) => tensor(new Float32Array(size(shape)), shape);
  it('names the op and the values', () => {
    tidy(() => {
      const x = z([1, 3, 3, 2]);
      const before = backendInfo().liveTensors;
      expect(() => ops.maxPool2d(x, { poolSize: 4 })).toThrow(new ShapeError("maxPool2d: pool window 4x4 is larger than the input 3x3 (input [1,3,3,2], padding 'valid')"));
      expect(backendInfo().liveTensors).toBe(before);
      expect(ops.maxPool2d(x, { poolSize: 4, padding: 'same' }).shape).toEqual([1, 1, 1, 2]);
      expect(() => ops.avgPool2d(x, { poolSize: 0 })).toThrow(/avgPool2d: poolSize must be an integer >= 1/);
      expect(() => ops.avgPool2d(x, { poolSize: 2, strides: [1, 0] as any })).toThrow(ValueError);
      expect(() => ops.avgPool2d(x, { poolSize: 2, padding: 1 as any })).toThrow(/avgPool2d: padding must be 'valid' or 'same', got 1/);
      expect(() => ops.maxPool2d(z([3, 3, 2]), { poolSize: 2 })).toThrow(/maxPool2d: input must be rank 4 \(NHWC\), got shape \[3,3,2\]/);
      expect(() => ops.globalAvgPool2d(z([3, 2]))).toThrow(ShapeError);
      expect(() => ops.globalMaxPool2d(z([1, 0, 3, 2]))).toThrow(/no pixels/);
    });
  });
});
