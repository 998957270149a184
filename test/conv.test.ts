// conv2d / conv2dTranspose: shape resolution, forward and both gradients against the float64
// references in test/reference/conv.ts (tables + random property tests), finite-difference
// gradient checks, and error messages.
import { describe, it, test, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, ops, optim, ShapeError, ValueError, backendInfo, tidy, Tensor } from '../src/index.js';
import { conv2dGeometry, conv2dTransposeGeometry, resolvePadding, type Padding2d } from '../src/ops/conv/geometry.js';
import { convTuning } from '../src/ops/conv/algorithm.js';
import { refConv2d, refConv2dBackpropFilter, refConv2dBackpropInput, refConv2dTranspose, refPads, type Pad4 } from './reference/conv.js';
import { gradCheck, randomValues } from './reference/gradcheck.js';
import { expectClose, reductionTolerance } from './harness/close.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const p2 = (v: number | number[] | undefined, d = 1): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

interface Case { x: number[]; f: number[]; s?: number | [number, number]; d?: number | [number, number]; p?: Padding2d; g?: number; act?: 'relu' }

const caseName = (c: Case) =>
  `x=${JSON.stringify(c.x)} f=${JSON.stringify(c.f)} s=${JSON.stringify(c.s ?? 1)} d=${JSON.stringify(c.d ?? 1)} p=${typeof c.p === 'string' ? c.p : JSON.stringify(c.p ?? 'valid')}${c.g ? ` g=${c.g}` : ''}${c.act ? ` act=${c.act}` : ''}`;

/** Runs conv2d with autograd and compares y, dx, dw, db with the references. */
function checkConv(c: Case, seed = 1): void {
  const strides = p2(c.s), dilation = p2(c.d), groups = c.g ?? 1;
  const padding = c.p ?? 'valid';
  const xv = randomValues(size(c.x), seed), wv = randomValues(size(c.f), seed + 1), bv = randomValues(c.f[3], seed + 2);
  const pads = refPads(padding, c.x[1], c.x[2], c.f[0], c.f[1], strides, dilation);
  const ref = refConv2d(xv, c.x, wv, c.f, bv, { strides, dilation, pads, groups });
  const yRef = c.act === 'relu' ? ref.y.map((v) => Math.max(v, 0)) : ref.y;
  const dyv = randomValues(size(ref.shape), seed + 3);
  // The fused relu passes the gradient only where the output is positive.
  const gz = c.act === 'relu' ? dyv.map((g, i) => (ref.y[i] > 0 ? g : 0)) : dyv;
  const K = c.f[0] * c.f[1] * c.f[2];
  tidy(() => {
    const x = tensor(xv, c.x).requireGrad(), w = tensor(wv, c.f).requireGrad(), b = tensor(bv, [c.f[3]]).requireGrad();
    const y = ops.conv2d(x, w, b, { strides: c.s, dilation: c.d, padding, groups, activation: c.act });
    expect(y.shape).toEqual(ref.shape);
    expectClose(y.dataSync(), yRef, { ...reductionTolerance(K), what: 'y' });
    y.backward(tensor(dyv, ref.shape));
    const opts = { strides, dilation, pads, groups };
    expectClose(x.grad!.dataSync(), refConv2dBackpropInput(c.x, gz, wv, c.f, opts), { ...reductionTolerance(K * c.f[3]), what: 'dx' });
    expectClose(w.grad!.dataSync(), refConv2dBackpropFilter(xv, c.x, gz, c.f, opts), { ...reductionTolerance(size(ref.shape)), what: 'dw' });
    const db = new Float64Array(c.f[3]);
    gz.forEach((g, i) => { db[i % c.f[3]] += g; });
    expectClose(b.grad!.dataSync(), db, { ...reductionTolerance(size(ref.shape)), what: 'db' });
  });
}

describe('padding and shape resolution', () => {
  it('resolves every padding form', () => {
    expect(resolvePadding('valid', 5, 5, 3, 3, 1, 1)).toEqual([0, 0, 0, 0]);
    expect(resolvePadding('same', 5, 5, 3, 3, 1, 1)).toEqual([1, 1, 1, 1]);
    // TF 'same': out = ceil(in/s); the odd pixel goes to the bottom/right.
    expect(resolvePadding('same', 4, 6, 3, 4, 2, 1)).toEqual([0, 1, 1, 2]);
    expect(resolvePadding('same', 5, 5, 1, 1, 2, 2)).toEqual([0, 0, 0, 0]);
    expect(resolvePadding('same', 224, 224, 7, 7, 2, 2)).toEqual([2, 3, 2, 3]);
    expect(resolvePadding(2, 5, 5, 3, 3, 1, 1)).toEqual([2, 2, 2, 2]);
    expect(resolvePadding([1, 2], 5, 5, 3, 3, 1, 1)).toEqual([1, 1, 2, 2]);
    expect(resolvePadding([[1, 0], [2, 3]], 5, 5, 3, 3, 1, 1)).toEqual([1, 0, 2, 3]);
  });
  it('computes conv2d output sizes', () => {
    const g = conv2dGeometry([8, 28, 28, 3], [3, 3, 3, 32], { padding: 'same', strides: 2 });
    expect([g.outH, g.outW, g.outC, g.padTop, g.padBottom]).toEqual([14, 14, 32, 0, 1]);
    const d = conv2dGeometry([1, 10, 10, 2], [3, 3, 2, 4], { dilation: 2 });
    expect([d.outH, d.outW]).toEqual([6, 6]);
    const e = conv2dGeometry([1, 10, 10, 2], [3, 3, 2, 4], { dilation: 2, padding: 'same' });
    expect([e.outH, e.padTop, e.padBottom]).toEqual([10, 2, 2]);
    const f = conv2dGeometry([1, 224, 224, 3], [7, 7, 3, 64], { strides: 2, padding: 3 });
    expect([f.outH, f.outW]).toEqual([112, 112]);
    const gr = conv2dGeometry([2, 5, 5, 6], [3, 3, 2, 9], { groups: 3, padding: [[0, 1], [1, 0]] });
    expect([gr.outH, gr.outW, gr.groups]).toEqual([4, 4, 3]);
  });
  test.each([
    // [x, w, strides, padding, outputPadding, expected output H/W]. An explicit outputPadding
    // follows Keras' deconv_output_length: (in-1)*s + k - 2*pad + op, pad = k//2 ('same') or 0.
    [[1, 3, 3, 2], [3, 3, 4, 2], 2, 'valid', 0, 7],
    [[1, 3, 3, 2], [3, 3, 4, 2], 2, 'same', 0, 5],
    [[1, 3, 3, 2], [3, 3, 4, 2], 2, 'same', 1, 6],
    [[1, 3, 3, 2], [2, 2, 4, 2], 2, 'valid', 0, 6],
    [[1, 3, 3, 2], [2, 2, 4, 2], 3, 'valid', 0, 8],
    [[1, 3, 3, 2], [2, 2, 4, 2], 3, 'valid', undefined, 9],
    [[1, 3, 3, 2], [3, 3, 4, 2], 2, 'same', undefined, 6],
    [[1, 3, 3, 2], [3, 3, 4, 2], 1, 'valid', 0, 5],
    [[1, 3, 3, 2], [3, 3, 4, 2], 1, 'same', 0, 3],
    [[1, 3, 3, 2], [3, 3, 4, 2], 2, 1, 0, 5],
  ] as const)('conv2dTranspose x=%j f=%j s=%j p=%j op=%j -> %j', (x, w, s, p, op, out) => {
    const g = conv2dTransposeGeometry(x, w, { strides: s, padding: p as Padding2d, outputPadding: op });
    expect([g.inH, g.inW, g.inC, g.outH, g.outC]).toEqual([out, out, w[2], x[1], w[3]]);
  });
});

const TABLE: Case[] = [
  { x: [1, 4, 4, 1], f: [3, 3, 1, 2], s: 1, p: 'valid' },
  { x: [1, 4, 4, 1], f: [3, 3, 1, 2], s: 2, p: 'same' },
  { x: [2, 5, 5, 3], f: [3, 3, 3, 4], p: 'same' },
  { x: [2, 5, 5, 3], f: [3, 3, 3, 4], s: 2, p: 'same' },
  { x: [1, 6, 7, 2], f: [2, 3, 2, 3], s: [2, 1], p: 'same' },
  { x: [2, 5, 5, 2], f: [1, 1, 2, 3] },
  { x: [1, 5, 5, 2], f: [1, 1, 2, 3], s: 2 },
  { x: [1, 5, 5, 2], f: [1, 1, 2, 3], p: 1 },
  { x: [1, 5, 6, 3], f: [3, 3, 3, 5], p: 1 },
  { x: [1, 5, 6, 3], f: [3, 2, 3, 5], p: [1, 2] },
  { x: [1, 5, 6, 3], f: [3, 3, 3, 5], s: 2, p: [[1, 0], [2, 1]] },
  { x: [1, 7, 7, 2], f: [3, 3, 2, 3], d: 2, p: 'same' },
  { x: [1, 7, 8, 2], f: [3, 2, 2, 3], d: [2, 3], p: 'valid' },
  { x: [1, 9, 9, 2], f: [3, 3, 2, 3], s: 2, d: 2, p: 'same' },
  { x: [1, 6, 6, 9], f: [3, 3, 3, 6], g: 3, p: 'same' },
  { x: [2, 5, 5, 4], f: [3, 3, 2, 6], g: 2, s: 2, d: [1, 2], p: 1 },
  { x: [1, 5, 5, 4], f: [1, 1, 2, 4], g: 2 },
  // depthwise: groups == inChannels, multiplier outC/inC
  { x: [2, 5, 5, 4], f: [3, 3, 1, 4], g: 4, p: 'same' },
  { x: [1, 6, 6, 13], f: [3, 3, 1, 13], g: 13, p: 'same' },
  { x: [1, 7, 7, 8], f: [3, 3, 1, 8], g: 8, s: 2, d: 2, p: 'same' },
  { x: [1, 5, 5, 4], f: [3, 3, 1, 8], g: 4, p: 'same' },
  { x: [1, 5, 6, 3], f: [2, 3, 1, 9], g: 3, s: [1, 2], p: [[0, 1], [1, 1]] },
  { x: [1, 6, 6, 2], f: [5, 5, 1, 2], g: 2, p: 'valid' },
  // wide rows: interior columns go four at a time (channel tiles of 8, 4 and single channels)
  { x: [1, 4, 12, 13], f: [3, 3, 1, 13], g: 13, p: 'same' },
  { x: [1, 5, 14, 3], f: [3, 3, 1, 15], g: 3, s: [1, 2], d: [1, 2], p: 'same' },
  { x: [1, 5, 13, 2], f: [3, 3, 1, 16], g: 2, p: 'same', act: 'relu' },
  { x: [1, 6, 15, 12], f: [3, 3, 1, 12], g: 12, s: 2, p: 'valid', act: 'relu' },
  // one input channel (first layers)
  { x: [2, 6, 6, 1], f: [3, 3, 1, 5], p: 'same' },
  { x: [2, 6, 11, 1], f: [3, 3, 1, 12], p: 'same' },
  { x: [1, 11, 11, 3], f: [7, 7, 3, 8], s: 2, p: 3 },
  // fused relu
  { x: [1, 5, 5, 3], f: [3, 3, 3, 4], p: 'same', act: 'relu' },
  { x: [1, 5, 5, 4], f: [3, 3, 1, 4], g: 4, p: 'same', act: 'relu' },
];

describe('conv2d against the reference', () => {
  test.each(TABLE.map((c) => [caseName(c), c] as const))('%s', (_name, c) => checkConv(c));

  it('depthwise / one-input-channel forward: the zero-padded copy path and the clipped-border path both match the reference', () => {
    const prev = convTuning.depthwisePad;
    try {
      for (const mode of [true, false]) {
        convTuning.depthwisePad = mode;
        for (const c of TABLE) if (c.x[3] === (c.g ?? 1) || c.x[3] === 1) checkConv(c, 17);
        // wide enough for the four-at-a-time path, with every kind of border, stride 2 rows split
        checkConv({ x: [2, 9, 13, 1], f: [3, 3, 1, 12], s: [2, 1], p: [[2, 1], [1, 3]] }, 18);
        checkConv({ x: [1, 8, 17, 2], f: [3, 5, 1, 8], g: 2, d: [2, 1], p: 'same', act: 'relu' }, 19);
      }
    } finally {
      convTuning.depthwisePad = prev;
    }
  });

  it('one input channel, 8k output channels: the direct backward-filter kernel matches the reference and the GEMM path bit for bit', () => {
    const cases: Case[] = [
      { x: [3, 9, 11, 1], f: [3, 3, 1, 16], p: 'same' },
      { x: [2, 10, 9, 1], f: [5, 3, 1, 8], s: [2, 1], d: [1, 2], p: [[2, 1], [0, 3]] },
      { x: [1, 7, 7, 1], f: [3, 3, 1, 24], p: 'valid', act: 'relu' },
      { x: [2, 6, 13, 1], f: [2, 2, 1, 8], s: 2, p: 'same' },
    ];
    for (const c of cases) checkConv(c, 23);
    const prev = convTuning.directSingleChannel;
    try {
      for (const c of cases) {
        const xs = tensor(randomValues(size(c.x), 31), c.x);
        const dy = ops.conv2d(xs, tensor(randomValues(size(c.f), 32), c.f), null, { strides: c.s, dilation: c.d, padding: c.p ?? 'valid' });
        const g = tensor(randomValues(dy.size, 33), dy.shape);
        const dw = (direct: boolean) => {
          convTuning.directSingleChannel = direct;
          return Array.from(ops.conv2dBackpropFilter(xs, g, c.f, { strides: c.s, dilation: c.d, padding: c.p ?? 'valid' }).dataSync());
        };
        expect(dw(true), caseName(c)).toEqual(dw(false));
      }
    } finally {
      convTuning.directSingleChannel = prev;
    }
  });

  it('im2col chunking does not change results', () => {
    const c: Case = { x: [2, 9, 9, 5], f: [3, 3, 5, 7], p: 'same', s: 1 };
    const prev = convTuning.chunkBytes;
    try {
      convTuning.chunkBytes = 64; // 16 rows per chunk, chunks not aligned to image rows
      checkConv(c, 3);
      checkConv({ ...c, s: 2, d: 2 }, 4);
      checkConv({ ...c, x: [2, 9, 9, 6], f: [3, 3, 2, 6], g: 3 }, 5);
    } finally {
      convTuning.chunkBytes = prev;
    }
  });

  it('raw gradient functions match the references', () => {
    const xs = [2, 6, 5, 4], fs = [3, 2, 2, 6];
    const opts = { strides: [2, 1] as [number, number], dilation: [1, 2] as [number, number], padding: 'same' as const, groups: 2 };
    const xv = randomValues(size(xs), 11), wv = randomValues(size(fs), 12);
    const pads = refPads('same', 6, 5, 3, 2, [2, 1], [1, 2]);
    const outShape = refConv2d(xv, xs, wv, fs, null, { ...opts, pads }).shape;
    const dyv = randomValues(size(outShape), 13);
    tidy(() => {
      const dx = ops.conv2dBackpropInput(xs, tensor(dyv, outShape), tensor(wv, fs), opts);
      expectClose(dx.dataSync(), refConv2dBackpropInput(xs, dyv, wv, fs, { ...opts, pads }), { ...reductionTolerance(12), what: 'dx' });
      const dw = ops.conv2dBackpropFilter(tensor(xv, xs), tensor(dyv, outShape), fs, opts);
      expectClose(dw.dataSync(), refConv2dBackpropFilter(xv, xs, dyv, fs, { ...opts, pads }), { ...reductionTolerance(size(outShape)), what: 'dw' });
      expect(() => ops.conv2dBackpropInput(xs, tensor(dyv.slice(1), [dyv.length - 1]), tensor(wv, fs), opts)).toThrow(ShapeError);
    });
  });

  it('is deterministic and leaves no tensors behind', () => {
    const before = backendInfo().liveTensors;
    const run = () => tidy(() => {
      const x = tensor(randomValues(2 * 8 * 8 * 6, 21), [2, 8, 8, 6]).requireGrad();
      const w = tensor(randomValues(3 * 3 * 6 * 5, 22), [3, 3, 6, 5]).requireGrad();
      const y = ops.conv2d(x, w, null, { padding: 'same' });
      y.backward(tensor(randomValues(y.size, 23), y.shape as number[]));
      const out = [y.dataSync(), x.grad!.dataSync(), w.grad!.dataSync()];
      x.zeroGrad(); w.zeroGrad(); // gradients are kept out of tidy
      return out;
    });
    const a = run(), b = run();
    for (let i = 0; i < 3; i++) expect(new Uint8Array(a[i].buffer)).toEqual(new Uint8Array(b[i].buffer));
    expect(backendInfo().liveTensors).toBe(before);
  });
});

describe('Winograd F(2x2,3x3) path (3x3, stride 1, undilated, one group)', () => {
  const WINO: Case[] = [
    { x: [2, 6, 6, 8], f: [3, 3, 8, 8], p: 'same' },
    { x: [1, 7, 5, 9], f: [3, 3, 9, 13], p: 'same' },
    { x: [1, 5, 8, 16], f: [3, 3, 16, 12], p: 'valid' },
    { x: [2, 4, 9, 10], f: [3, 3, 10, 8], p: [[2, 0], [0, 1]] },
    { x: [1, 3, 3, 8], f: [3, 3, 8, 9], p: 2 },
    { x: [1, 9, 7, 8], f: [3, 3, 8, 11], p: 'same', act: 'relu' },
  ];
  test.each(WINO.map((c) => [caseName(c), c] as const))('%s', (_name, c) => checkConv(c, 41));
  it('every 3x3 stride-1 case of the table, with Winograd forced on and off', () => {
    const prev = convTuning.winogradMinChannels;
    try {
      for (const min of [1, 0]) {
        convTuning.winogradMinChannels = min;
        for (const c of [...TABLE, ...WINO]) checkConv(c, 5);
      }
    } finally {
      convTuning.winogradMinChannels = prev;
    }
  });
  it('cached weight transforms (small calls) follow every change of the weights, and match the uncached path bit for bit', () => {
    // One image of 6x6 = 9 tiles: the transform is cached; 40 images = 360 tiles: it is not.
    const xs = randomValues(40 * 6 * 6 * 8, 61, -1, 1);
    const big = tensor(xs, [40, 6, 6, 8]);
    const one = tensor(xs.slice(0, 6 * 6 * 8), [1, 6, 6, 8]);
    const w = tensor(randomValues(9 * 8 * 8, 62, -1, 1), [3, 3, 8, 8]);
    const check = (what: string) => {
      const y1 = ops.conv2d(one, w, null, { padding: 'same' }).dataSync();
      const yb = ops.conv2d(big, w, null, { padding: 'same' }).dataSync().slice(0, y1.length);
      expect(Array.from(y1), `${what}: batch 1 (cached U) == image 0 of batch 40 (fresh U)`).toEqual(Array.from(yb));
      const pads = refPads('same', 6, 6, 3, 3, [1, 1], [1, 1]);
      expectClose(y1, refConv2d(Array.from(one.dataSync()), [1, 6, 6, 8], Array.from(w.dataSync()), [3, 3, 8, 8], null, { pads }).y, { ...reductionTolerance(72), what });
    };
    check('first call');
    check('second call (cache hit)');
    const wv = Array.from(w.dataSync());
    wv[5 * 64 + 17] += 0.5; // one weight, in place: same tensor, same pointer
    w.assign(wv);
    check('after assign() of one changed weight');
    const wg = w.requireGrad();
    ops.sum(ops.conv2d(one, wg, null, { padding: 'same' })).backward();
    const opt = optim.sgd({ lr: 0.1 });
    opt.step([wg]); // the optimizer's kernel writes the weights in wasm
    check('after an optimizer step');
    opt.dispose(); big.dispose(); one.dispose(); w.dispose();
  });
  it('tiles across chunk boundaries', () => {
    const prev = convTuning.winogradChunkBytes;
    try {
      convTuning.winogradChunkBytes = 1; // 16 tiles per chunk
      checkConv({ x: [3, 7, 9, 8], f: [3, 3, 8, 8], p: 'same' }, 9);
    } finally {
      convTuning.winogradChunkBytes = prev;
    }
  });
});

/** Runs fn with some convTuning fields changed, restoring them afterwards. */
function withConvTuning(changes: Partial<typeof convTuning>, fn: () => void): void {
  const prev = { ...convTuning };
  Object.assign(convTuning, changes);
  try { fn(); } finally { Object.assign(convTuning, prev); }
}

describe('Winograd F(2x2,5x5) forward (5x5, stride 1, 32+ channels, multiples of 4)', () => {
  const WINO5: Case[] = [
    { x: [1, 9, 9, 32], f: [5, 5, 32, 32], p: 'same' },
    { x: [2, 7, 10, 36], f: [5, 5, 36, 40], p: 'valid' },
    { x: [1, 8, 9, 32], f: [5, 5, 32, 44], p: [[4, 0], [1, 3]] },
    { x: [1, 3, 4, 32], f: [5, 5, 32, 32], p: 4 },
    { x: [2, 11, 6, 40], f: [5, 5, 40, 32], p: 'same', act: 'relu' },
  ];
  test.each(WINO5.map((c) => [caseName(c), c] as const))('%s', (_name, c) => checkConv(c, 47));
  it('few channels with the path forced on, and every case with it off (im2col)', () => {
    const FEW: Case[] = [
      { x: [1, 6, 7, 4], f: [5, 5, 4, 8], p: 'same' },
      { x: [2, 5, 9, 8], f: [5, 5, 8, 4], p: 1, act: 'relu' },
    ];
    for (const min of [4, 0]) withConvTuning({ winograd5MinChannels: min }, () => { for (const c of [...FEW, ...WINO5]) checkConv(c, 13); });
  });
  it('tiles across chunk boundaries, and the cached weight transform (batch 1) matches the fresh one (batch 40) bit for bit', () => {
    withConvTuning({ winogradChunkBytes: 1 }, () => checkConv({ x: [3, 7, 9, 32], f: [5, 5, 32, 36], p: 'same' }, 17));
    const xs = randomValues(40 * 6 * 6 * 32, 63, -1, 1);
    const w = tensor(randomValues(25 * 32 * 32, 64, -1, 1), [5, 5, 32, 32]);
    tidy(() => {
      const one = tensor(xs.slice(0, 6 * 6 * 32), [1, 6, 6, 32]), big = tensor(xs, [40, 6, 6, 32]);
      for (const call of ['first', 'second']) {
        const y1 = ops.conv2d(one, w, null, { padding: 'same' }).dataSync();
        const yb = ops.conv2d(big, w, null, { padding: 'same' }).dataSync().slice(0, y1.length);
        expect(Array.from(y1), `${call} call`).toEqual(Array.from(yb));
      }
    });
    w.dispose();
  });
});

describe('strided convs as Winograd 3x3 convs over a space-to-depth input (stride >= 3, 2s < k <= 3s)', () => {
  const S2D: Case[] = [
    { x: [1, 35, 35, 3], f: [11, 11, 3, 16], s: 4, p: 2 },
    { x: [2, 29, 26, 3], f: [11, 9, 3, 8], s: 4, p: 'same', act: 'relu' },
    { x: [1, 20, 23, 2], f: [7, 9, 2, 12], s: 3, p: 'valid' },
    { x: [1, 17, 19, 4], f: [12, 12, 4, 8], s: 4, p: [[3, 5], [0, 6]] },
  ];
  test.each(S2D.map((c) => [caseName(c), c] as const))('%s', (_name, c) => checkConv(c, 53));
  it('the same cases with the path off (im2col)', () =>
    withConvTuning({ spaceToDepth: false }, () => { for (const c of S2D) checkConv(c, 19); }));
});

describe('Winograd F(3x3,2x2) weight gradient (3x3, stride 1, 16+ channels)', () => {
  const FILTER: Case[] = [
    { x: [2, 6, 7, 16], f: [3, 3, 16, 16], p: 'same' },
    { x: [1, 5, 9, 17], f: [3, 3, 17, 19], p: 'valid' },
    { x: [2, 4, 9, 16], f: [3, 3, 16, 20], p: [[2, 0], [0, 1]] },
    { x: [1, 3, 3, 16], f: [3, 3, 16, 16], p: 2 },
    { x: [1, 9, 7, 16], f: [3, 3, 16, 18], p: 'same', act: 'relu' },
  ];
  test.each(FILTER.map((c) => [caseName(c), c] as const))('%s', (_name, c) => checkConv(c, 43));
  it('every 3x3 stride-1 case of the tables with the path forced on (any channel count)', () =>
    withConvTuning({ winogradMinChannels: 1, winogradFilterMinChannels: 1 }, () => {
      for (const c of [...TABLE, ...FILTER]) checkConv(c, 7);
    }));
  it('tiles across chunk boundaries (16 tiles per chunk)', () =>
    withConvTuning({ winogradChunkBytes: 1 }, () => checkConv({ x: [3, 7, 9, 16], f: [3, 3, 16, 17], p: 'same' }, 11)));
});

describe('conv2d property tests (random geometry vs reference)', () => {
  const geometry = fc.record({
    n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 12 }),
    cg: fc.integer({ min: 1, max: 4 }), og: fc.integer({ min: 1, max: 4 }), groups: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
    pad: fc.oneof(fc.constant<Padding2d>('valid'), fc.constant<Padding2d>('same'), fc.integer({ min: 0, max: 2 }),
      fc.tuple(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
    depthwise: fc.boolean(), seed: fc.integer({ min: 1, max: 1000 }),
  });
  it('forward, backward-input and backward-filter', () => {
    let checked = 0;
    fc.assert(fc.property(geometry, (r) => {
      // Depthwise draws: groups == inChannels, multiplier og.
      const groups = r.depthwise ? r.cg * r.groups : r.groups;
      const cin = r.depthwise ? groups : r.cg * r.groups;
      const c: Case = { x: [r.n, r.h, r.w, cin], f: [r.kh, r.kw, cin / groups, r.og * groups], s: [r.sh, r.sw], d: [r.dh, r.dw], p: r.pad as Padding2d, g: groups };
      const pads = refPads(c.p, r.h, r.w, r.kh, r.kw, [r.sh, r.sw], [r.dh, r.dw]);
      const fits = r.h + pads[0] + pads[1] >= (r.kh - 1) * r.dh + 1 && r.w + pads[2] + pads[3] >= (r.kw - 1) * r.dw + 1;
      if (!fits) {
        expect(() => ops.conv2d(tensor(new Float32Array(size(c.x)), c.x), tensor(new Float32Array(size(c.f)), c.f), null, { strides: c.s, dilation: c.d, padding: c.p, groups })).toThrow(ShapeError);
        return;
      }
      // Every other draw runs 3x3 stride-1 convs through Winograd whatever their channel count.
      const prev = convTuning.winogradMinChannels;
      convTuning.winogradMinChannels = r.seed % 2 ? 1 : prev;
      try { checkConv(c, r.seed); } finally { convTuning.winogradMinChannels = prev; }
      checked++;
    }), { numRuns: 150, seed: 20240601 });
    expect(checked).toBeGreaterThan(100);
  });
  it('conv2dTranspose is the adjoint of conv2d: <conv2d(z), x> == <z, conv2dTranspose(x)>', () => {
    fc.assert(fc.property(geometry, (r) => {
      const ic = r.cg, oc = r.og;
      const xs = [r.n, r.h, r.w, ic], ws = [r.kh, r.kw, oc, ic];
      const pad = typeof r.pad === 'string' ? r.pad : 'valid';
      const op: [number, number] = [Math.min(r.sh, r.dh) > 1 ? 1 : 0, 0];
      tidy(() => {
        const xv = randomValues(size(xs), r.seed), wv = randomValues(size(ws), r.seed + 1);
        const y = ops.conv2dTranspose(tensor(xv, xs), tensor(wv, ws), null, { strides: [r.sh, r.sw], dilation: [r.dh, r.dw], padding: pad, outputPadding: op });
        const g = conv2dTransposeGeometry(xs, ws, { strides: [r.sh, r.sw], dilation: [r.dh, r.dw], padding: pad, outputPadding: op });
        const zv = randomValues(y.size, r.seed + 2);
        // The forward conv on z with the same explicit top/left pads and output size x.
        const ref = refConv2dTranspose(xv, xs, wv, ws, null, g.inH, g.inW, { strides: [r.sh, r.sw], dilation: [r.dh, r.dw], padTop: g.padTop, padLeft: g.padLeft });
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.y, { ...reductionTolerance(r.kh * r.kw * ic), what: 'y' });
        const pads: Pad4 = [g.padTop, g.padBottom, g.padLeft, g.padRight];
        const fwd = refConv2d(zv, [r.n, g.inH, g.inW, oc], wv, ws, null, { strides: [r.sh, r.sw], dilation: [r.dh, r.dw], pads });
        expect(fwd.shape).toEqual(xs);
        let lhs = 0, rhs = 0;
        fwd.y.forEach((v, i) => { lhs += v * xv[i]; });
        ref.y.forEach((v, i) => { rhs += v * zv[i]; });
        expectClose(rhs, lhs, { rtol: 1e-9, atol: 1e-9, what: '<conv(z), x> = <z, convT(x)>' });
      });
    }), { numRuns: 80, seed: 7 });
  });
});

describe('conv2dTranspose', () => {
  const CASES: [string, number[], number[], number | [number, number], Padding2d, number | [number, number]][] = [
    ['x=[1,3,3,2] f=[3,3,4,2] s=2 p=valid', [1, 3, 3, 2], [3, 3, 4, 2], 2, 'valid', 0],
    ['x=[2,3,4,2] f=[3,3,3,2] s=2 p=same', [2, 3, 4, 2], [3, 3, 3, 2], 2, 'same', 0],
    ['x=[1,3,3,3] f=[3,2,2,3] s=[2,1] p=same op=[1,0]', [1, 3, 3, 3], [3, 2, 2, 3], [2, 1], 'same', [1, 0]],
    ['x=[1,4,4,2] f=[2,2,3,2] s=2 p=valid', [1, 4, 4, 2], [2, 2, 3, 2], 2, 'valid', 0],
    ['x=[1,4,4,2] f=[3,3,3,2] s=1 p=[[1,0],[0,1]]', [1, 4, 4, 2], [3, 3, 3, 2], 1, [[1, 0], [0, 1]], 0],
  ];
  test.each(CASES)('%s', (_name, xs, ws, s, p, op) => {
    const strides = p2(s);
    const outPad = p2(op as any, 0);
    const xv = randomValues(size(xs), 31), wv = randomValues(size(ws), 32), bv = randomValues(ws[2], 33);
    const g = conv2dTransposeGeometry(xs, ws, { strides, padding: p, outputPadding: outPad });
    const ref = refConv2dTranspose(xv, xs, wv, ws, bv, g.inH, g.inW, { strides, padTop: g.padTop, padLeft: g.padLeft });
    tidy(() => {
      const y = ops.conv2dTranspose(tensor(xv, xs), tensor(wv, ws), tensor(bv, [ws[2]]), { strides, padding: p, outputPadding: outPad });
      expect(y.shape).toEqual(ref.shape);
      expectClose(y.dataSync(), ref.y, { ...reductionTolerance(ws[0] * ws[1] * ws[3]), what: 'y' });
    });
    const err = gradCheck((x, w, b) => ops.conv2dTranspose(x, w, b, { strides, padding: p, outputPadding: outPad }),
      [{ shape: xs }, { shape: ws }, { shape: [ws[2]] }]);
    expect(err).toBeLessThan(2e-2);
  });
});

describe('finite-difference gradient checks', () => {
  const GC: Case[] = [
    { x: [1, 5, 5, 2], f: [3, 3, 2, 3], p: 'same' },
    { x: [2, 6, 5, 2], f: [3, 2, 2, 2], s: 2, p: 'same' },
    { x: [1, 7, 7, 2], f: [3, 3, 2, 2], d: 2, p: 'same' },
    { x: [1, 7, 6, 2], f: [2, 3, 2, 2], d: [2, 1], s: [1, 2], p: [[1, 0], [0, 2]] },
    { x: [1, 5, 5, 4], f: [3, 3, 2, 4], g: 2, p: 1 },
    { x: [1, 6, 6, 3], f: [3, 3, 1, 6], g: 3, d: 2, p: 'same' },
    { x: [1, 5, 5, 3], f: [3, 3, 1, 3], g: 3, s: 2, p: 'same' },
    { x: [1, 4, 4, 3], f: [1, 1, 3, 2] },
    { x: [1, 5, 5, 2], f: [3, 3, 2, 3], p: 'same', act: 'relu' },
    { x: [1, 4, 5, 8], f: [3, 3, 8, 8], p: 'same' }, // Winograd
  ];
  test.each(GC.map((c) => [caseName(c), c] as const))('%s', (_name, c) => {
    const err = gradCheck((x, w, b) => ops.conv2d(x, w, b, { strides: c.s, dilation: c.d, padding: c.p, groups: c.g, activation: c.act }),
      [{ shape: c.x }, { shape: c.f }, { shape: [c.f[3]] }]);
    expect(err).toBeLessThan(2e-2);
  });
});

describe('conv2d errors', () => {
  const z = (shape: number[]) => tensor(new Float32Array(size(shape)), shape);
  it('names the op and the shapes, before allocating', () => {
    const x = z([8, 28, 28, 3]), w = z([3, 3, 1, 32]);
    const before = backendInfo().liveTensors;
    expect(() => ops.conv2d(x, w)).toThrow(new ShapeError('conv2d: input has 3 channels but weights expect 1 (input [8,28,28,3], weights [3,3,1,32])'));
    expect(backendInfo().liveTensors).toBe(before);
    x.dispose(); w.dispose();
  });
  it('rejects bad groups, kernels, strides, dilation, padding, bias, ranks', () => {
    tidy(() => {
      const x = z([1, 5, 5, 6]);
      expect(() => ops.conv2d(x, z([3, 3, 2, 4]), null, { groups: 4 })).toThrow(/conv2d: groups 4 must divide the input channels 6/);
      expect(() => ops.conv2d(x, z([3, 3, 2, 4]), null, { groups: 3 })).toThrow(/groups 3 must divide the output channels 4/);
      expect(() => ops.conv2d(x, z([3, 3, 3, 6]), null, { groups: 3 })).toThrow(/input has 6 channels but weights expect 3 per group x 3 groups = 9/);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { groups: 0 })).toThrow(ValueError);
      expect(() => ops.conv2d(x, z([7, 3, 6, 4]))).toThrow(new ShapeError('conv2d: kernel 7x3 is larger than the padded input 5x5 (input [1,5,5,6], weights [7,3,6,4])'));
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { dilation: 3 })).toThrow(/kernel 3x3 \(dilated to 7x7\) is larger than the padded input 5x5/);
      expect(ops.conv2d(x, z([7, 3, 6, 4]), null, { padding: 'same' }).shape).toEqual([1, 5, 5, 4]);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { strides: 0 })).toThrow(/conv2d: strides must be an integer >= 1/);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { strides: [1, 1.5] as any })).toThrow(ValueError);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { dilation: [1] as any })).toThrow(/dilation/);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { padding: 'full' as any })).toThrow(/conv2d: padding must be 'valid', 'same'/);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { padding: -1 })).toThrow(ValueError);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), z([5]))).toThrow(/conv2d: bias must have shape \[4\]/);
      expect(() => ops.conv2d(x, z([3, 3, 6, 4]), null, { activation: 'gelu' as any })).toThrow(/activation/);
      expect(() => ops.conv2d(z([5, 5, 6]), z([3, 3, 6, 4]))).toThrow(/conv2d: input must be rank 4 \(NHWC\), got shape \[5,5,6\]/);
      expect(() => ops.conv2d(x, z([3, 6, 4]))).toThrow(/weights must be rank 4/);
      expect(() => ops.conv2dTranspose(x, z([3, 3, 4, 5]))).toThrow(/conv2dTranspose: input has 6 channels but weights expect 5/);
      expect(() => ops.conv2dTranspose(x, z([3, 3, 4, 6]), null, { strides: 2, outputPadding: 2 })).toThrow(/outputPadding/);
    });
    // The library still works after the errors.
    expect(ops.conv2d(z([1, 3, 3, 1]), z([3, 3, 1, 1])).shape).toEqual([1, 1, 1, 1]);
  });
  it('accepts options in place of the bias', () => {
    tidy(() => {
      const y = ops.conv2d(z([1, 5, 5, 2]), z([3, 3, 2, 2]), { strides: 2, padding: 'same' } as any);
      expect(y.shape).toEqual([1, 3, 3, 2]);
      expect(y instanceof Tensor).toBe(true);
    });
  });
});

describe("Winograd's products without packing (winograd-products.ts: both channel counts <= 32, output channels a multiple of 8)", () => {
  const DIRECT: Case[] = [
    { x: [2, 6, 7, 16], f: [3, 3, 16, 16], p: 'same' }, // 32 tiles: whole 4-tile groups
    { x: [1, 5, 9, 9], f: [3, 3, 9, 24], p: 'valid' }, // 12 tiles, odd input channels
    { x: [3, 5, 5, 17], f: [3, 3, 17, 8], p: 'same', act: 'relu' }, // 27 tiles: 3 left over
    { x: [1, 4, 6, 32], f: [3, 3, 32, 32], p: [[2, 0], [0, 1]] },
  ];
  test.each(DIRECT.map((c) => [caseName(c), c] as const))('%s', (_name, c) => checkConv(c, 47));
  it('gives the packed GEMM path\'s bits (forward and input gradient), also across chunk boundaries', () => {
    for (const c of DIRECT) {
      for (const chunk of [convTuning.winogradChunkBytes, 1]) {
        const x = tensor(randomValues(size(c.x), 3), c.x);
        const w = tensor(randomValues(size(c.f), 4), c.f);
        const run = (maxChannels: number) => {
          let y: number[] = [], dx: number[] = [];
          withConvTuning({ winogradDirectMaxChannels: maxChannels, winogradChunkBytes: chunk }, () => tidy(() => {
            const yt = ops.conv2d(x, w, null, { padding: c.p });
            y = Array.from(yt.dataSync());
            dx = Array.from(ops.conv2dBackpropInput(c.x, ops.mul(yt, 0.5), w, { padding: c.p }).dataSync());
          }));
          return { y, dx };
        };
        const direct = run(32), packed = run(0);
        expect(direct.y, `${caseName(c)} forward, chunk ${chunk}`).toEqual(packed.y);
        expect(direct.dx, `${caseName(c)} input gradient, chunk ${chunk}`).toEqual(packed.dx);
        x.dispose(); w.dispose();
      }
    }
  });
});
