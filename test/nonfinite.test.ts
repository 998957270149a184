// Non-finite values: NaN and ±Infinity go through every op as IEEE arithmetic says (no crash, no
// silently finite result where the definition gives NaN), checked against float64 JS references;
// and `fit` stops with a clear error naming the epoch and batch when the loss becomes NaN or
// infinite (Keras' TerminateOnNaN), before applying that batch's update and with the batch-norm
// statistics put back, unless `stopOnNaN: false`.
import { describe, it, expect } from 'vitest';
import {
  Sequential, nn, ops, optim, losses, tensor, tidy, setSeed, backendInfo, randn, Tensor, ValueError,
} from '../src/index.js';
import { unaryFns, binaryFns } from './reference/elementwise.js';
import { refConv2d } from './reference/conv.js';
import { refMaxPool, refAvgPool } from './reference/pool.js';
import { matmulRef } from './reference/gemm.js';
import { sumRef, meanRef, maxRef, argMaxRef, softmaxRef } from './reference/reduce.js';
import { expectClose } from './harness/close.js';

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2.5, -2.5, 3e38, -3e38, 1e-40, -1e-40, 80, -80, 0.5];
const live = () => backendInfo().liveTensors;

/** The float64 reference rounded to float32, as the ops' results are. */
const toF32 = (want: ArrayLike<number>) => Array.from(want, Math.fround);

describe('NaN and Infinity propagate through ops as IEEE arithmetic', () => {
  const x = () => tensor(SPECIALS);

  it.each(['neg', 'exp', 'log', 'sqrt', 'abs', 'relu', 'sigmoid', 'tanh', 'elu', 'leakyRelu', 'gelu'])('%s', (name) => {
    tidy(() => {
      const got = ((ops as any)[name](x()) as Tensor).dataSync();
      const f = unaryFns[name];
      const want = SPECIALS.map((v) => {
        const f32 = Math.fround(v);
        // gelu(-Inf) is its limit 0 (x * Phi(x) -> 0); the formula would give -Inf * 0 = NaN
        if (name === 'gelu' && f32 === -Infinity) return -0;
        // relu(NaN) is NaN (as PyTorch and TensorFlow), not the reference's `x > 0 ? x : 0`
        if (name === 'relu' && Number.isNaN(f32)) return NaN;
        return f(f32);
      });
      expectClose(got, toF32(want), { rtol: name === 'gelu' || name === 'elu' || name === 'exp' ? 4e-6 : 2e-6, atol: name === 'elu' ? 1e-6 : 1e-7, what: name });
    });
  });

  it('clip keeps NaN and bounds the infinities', () => {
    tidy(() => expectClose(ops.clip(x(), -1, 1).dataSync(), toF32(SPECIALS.map((v) => (Number.isNaN(v) ? NaN : Math.min(Math.max(Math.fround(v), -1), 1)))), { rtol: 2e-6, atol: 1e-7, what: 'clip' }));
  });

  it.each(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'])('%s on every pair of specials (tensor-tensor, tensor-number, broadcast rows)', (name) => {
    tidy(() => {
      const a: number[] = [], b: number[] = [];
      for (const u of SPECIALS) for (const v of SPECIALS) { a.push(Math.fround(u)); b.push(Math.fround(v)); }
      const f = binaryFns[name];
      const fn = (ops as any)[name] as (p: unknown, q: unknown) => Tensor;
      const want = a.map((u, i) => f(u, b[i]));
      expectClose(fn(tensor(a), tensor(b)).dataSync(), toF32(want), { rtol: 4e-6, atol: 1e-7, what: `${name} same shape` });
      // number operands and broadcast rows go through other kernels
      const n = SPECIALS.length;
      for (let j = 0; j < n; j++) {
        const v = Math.fround(SPECIALS[j]);
        expectClose(fn(tensor(SPECIALS), v).dataSync(), toF32(SPECIALS.map((u) => f(Math.fround(u), v))), { rtol: 4e-6, atol: 1e-7, what: `${name}(x, ${v})` });
        expectClose(fn(v, tensor(SPECIALS)).dataSync(), toF32(SPECIALS.map((u) => f(v, Math.fround(u)))), { rtol: 4e-6, atol: 1e-7, what: `${name}(${v}, x)` });
      }
      const rows = fn(tensor(a, [n, n]), tensor(SPECIALS)).dataSync();
      expectClose(rows, toF32(a.map((u, i) => f(u, Math.fround(SPECIALS[i % n])))), { rtol: 4e-6, atol: 1e-7, what: `${name} rows` });
    });
  });

  it('reductions: NaN wins sum / mean / max, Inf - Inf is NaN, argMax points at the NaN', () => {
    tidy(() => {
      const cases: number[][] = [[1, NaN, 2], [Infinity, 1], [Infinity, -Infinity], [-Infinity, -Infinity], [3e38, 3e38], [NaN, Infinity], [-Infinity, 5]];
      for (const c of cases) {
        const t = tensor(c);
        const X = { shape: [c.length], values: c.map(Math.fround) };
        expectClose(ops.sum(t).dataSync(), toF32(sumRef(X).values), { rtol: 2e-6, atol: 1e-7, what: `sum ${c}` });
        expectClose(ops.mean(t).dataSync(), toF32(meanRef(X).values), { rtol: 2e-6, atol: 1e-7, what: `mean ${c}` });
        expectClose(ops.max(t).dataSync(), toF32(maxRef(X).values), { rtol: 2e-6, atol: 1e-7, what: `max ${c}` });
        const am = ops.argMax(t).dataSync()[0];
        const nan = c.findIndex(Number.isNaN);
        expect(am).toBe(nan >= 0 ? nan : argMaxRef(X, 0).values[0]);
      }
      // along an axis: only the rows holding a NaN are NaN
      const m = tensor([[1, 2, 3], [4, NaN, 6], [Infinity, 1, 1]]);
      expectClose(ops.sum(m, 1).dataSync(), toF32([6, NaN, Infinity]), { rtol: 2e-6, atol: 1e-7, what: 'sum axis 1' });
      expectClose(ops.max(m, 0).dataSync(), toF32([Infinity, NaN, 6]), { rtol: 2e-6, atol: 1e-7, what: 'max axis 0' });
    });
  });

  it('softmax / logSoftmax: -Inf logits get 0 (and -Inf), a NaN or +Inf logit makes its row NaN', () => {
    tidy(() => {
      const rows = [[-Infinity, 0, 1], [NaN, 1, 2], [Infinity, 0, 1], [-Infinity, -Infinity, -Infinity], [80, -80, 0], [3e38, 3e38, 0]];
      const x = tensor(rows);
      const X = { shape: [rows.length, 3], values: rows.flat().map(Math.fround) };
      expectClose(ops.softmax(x).dataSync(), toF32(softmaxRef(X, -1, false).values), { rtol: 1e-5, atol: 1e-7, what: 'softmax' });
      expectClose(ops.logSoftmax(x).dataSync(), toF32(softmaxRef(X, -1, true).values), { rtol: 1e-5, atol: 2e-6, what: 'logSoftmax' });
    });
  });

  it('matmul and conv2d: a NaN / Inf input reaches exactly the outputs that read it', () => {
    tidy(() => {
      const a = [1, NaN, 0, 2, Infinity, 1, 0, 0, 1, -Infinity, 3, 4].map(Math.fround);
      const b = [1, 0, 2, 0.5, 0, 1, 1, 1, -1].map(Math.fround);
      const got = ops.matmul(tensor(a, [4, 3]), tensor(b, [3, 3])).dataSync();
      expectClose(got, toF32(matmulRef(a, [4, 3], b, [3, 3]).values), { rtol: 2e-6, atol: 1e-7, what: 'matmul' });
      // conv: a NaN pixel, an Inf pixel, a NaN weight ('valid' padding, so no 0 * w products from padding)
      const xs = new Float32Array(2 * 6 * 6 * 2).map((_, i) => ((i * 7) % 11) / 11 - 0.5);
      xs[10] = NaN; xs[2 * 6 * 6 + 40] = Infinity;
      const ws = new Float32Array(3 * 3 * 2 * 3).map((_, i) => ((i * 5) % 13) / 13 - 0.5);
      ws[7] = NaN;
      for (const w of [ws, ws.map((v) => (Number.isNaN(v) ? 0.25 : v))]) {
        const y = ops.conv2d(tensor(xs, [2, 6, 6, 2]), tensor(w, [3, 3, 2, 3])).dataSync();
        const ref = refConv2d(xs, [2, 6, 6, 2], w, [3, 3, 2, 3], null).y;
        expectClose(y, toF32(ref), { rtol: 1e-5, atol: 1e-6, what: 'conv2d' });
        const nans = Array.from(y).filter(Number.isNaN).length;
        expect(nans).toBeGreaterThan(0);
        expect(nans).toBeLessThan(y.length);
      }
      // pooling
      const p = { k: [2, 2] as [number, number], s: [2, 2] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number] };
      expectClose(ops.maxPool2d(tensor(xs, [2, 6, 6, 2])).dataSync(), toF32(refMaxPool(xs, [2, 6, 6, 2], p).y), { rtol: 0, atol: 1e-7, what: 'maxPool2d' });
      expectClose(ops.avgPool2d(tensor(xs, [2, 6, 6, 2])).dataSync(), toF32(refAvgPool(xs, [2, 6, 6, 2], p).y), { rtol: 1e-6, atol: 1e-7, what: 'avgPool2d' });
    });
  });

  it('losses and gradients accept non-finite values without crashing', () => {
    tidy(() => {
      const logits = tensor([[Infinity, 0], [0, 1], [NaN, 0]]).requireGrad();
      const l = losses.sparseCategoricalCrossentropy(logits, tensor(new Int32Array([1, 1, 0]), [3], 'int32'), { fromLogits: true });
      expect(Number.isFinite(l.dataSync()[0])).toBe(false);
      l.backward();
      expect(logits.grad!.shape).toEqual([3, 2]);
      logits.zeroGrad();
      expect(losses.meanSquaredError(tensor([Infinity, 1]), tensor([1, 1])).dataSync()[0]).toBe(Infinity);
      expect(Number.isNaN(losses.meanAbsoluteError(tensor([NaN, 1]), tensor([1, 1])).dataSync()[0])).toBe(true);
    });
  });

  it('a model predicts NaN where its input holds NaN, finite values elsewhere', () => {
    setSeed(1);
    const m = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }), nn.batchNorm(), nn.flatten(), nn.dense({ units: 2 })], { inputShape: [4, 4, 1] });
    const xs = new Float32Array(3 * 16).fill(0.5);
    xs[16 + 5] = NaN;
    const p = m.predict(tensor(xs, [3, 4, 4, 1])).arraySync() as number[][];
    expect(p[0].every(Number.isFinite)).toBe(true);
    expect(p[1].every(Number.isNaN)).toBe(true);
    expect(p[2].every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

// ---- fit and NaN losses ---------------------------------------------------------------------------
function model(): Sequential {
  const m = new Sequential([
    nn.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }), nn.batchNorm(), nn.flatten(), nn.dense({ units: 3 }),
  ], { inputShape: [5, 5, 1] });
  m.compile({ optimizer: optim.sgd({ lr: 0.05, momentum: 0.9 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
  return m;
}
const snapshot = (m: Sequential) => m.weights().map((w) => Array.from(w.dataSync()));

describe('fit stops when the loss becomes NaN / Infinity', () => {
  it('a NaN sample in the 3rd batch of epoch 2: ValueError naming epoch and batch; weights and moving statistics as after batch 2', async () => {
    setSeed(7);
    const n = 16;
    const xs = new Float32Array(n * 25).map((_, i) => Math.sin(i));
    const x = tensor(xs, [n, 5, 5, 1]);
    const y = tensor(new Int32Array(n).map((_, i) => i % 3), [n], 'int32');
    const bad = new Float32Array(xs);
    bad[9 * 25 + 3] = NaN; // sample 9: batch 3 (samples 8-11) with batchSize 4 and no shuffling
    const xBad = tensor(bad, [n, 5, 5, 1]);
    const m = model();
    await m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    let before: number[][] = [];
    const seenBatches: number[] = [];
    const err = await m.fit(xBad, y, {
      epochs: 3, initialEpoch: 1, batchSize: 4, shuffle: false, verbose: 0,
      onBatchEnd: (b) => { seenBatches.push(b); before = snapshot(m); },
    }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toContain('sequential.fit: the loss became NaN at epoch 2/3, batch 3 (samples 8-11)');
    expect(err.message).toContain('stopOnNaN: false');
    expect(err.history.loss).toEqual([]); // no epoch finished in this call
    expect(seenBatches).toEqual([0, 1]);
    // the NaN batch's update was not applied, and batch norm's moving statistics were put back
    expect(snapshot(m)).toEqual(before);
    expect(m.weights().every((w) => Array.from(w.dataSync()).every(Number.isFinite))).toBe(true);
    for (const p of m.parameters()) expect(p.grad).toBeNull();
    // the model keeps working
    const r = m.evaluate(x, y);
    expect(Number.isFinite(r.loss)).toBe(true);
    const h = await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(Number.isFinite(h.loss[0])).toBe(true);
    m.dispose(); x.dispose(); y.dispose(); xBad.dispose();
  });

  it('a diverging learning rate: the first infinite / NaN loss stops fit with the epoch and batch', async () => {
    setSeed(8);
    const m = new Sequential([nn.dense({ units: 4 }), nn.dense({ units: 1 })], { inputShape: [3] });
    m.compile({ optimizer: optim.sgd({ lr: 50 }), loss: 'mse' });
    const x = randn([32, 3], { std: 3 });
    const y = randn([32, 1], { std: 3 });
    let last: number[][] = snapshot(m);
    const err = await m.fit(x, y, { epochs: 50, batchSize: 8, verbose: 0, onBatchEnd: () => { last = snapshot(m); } }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect(err.message).toMatch(/sequential\.fit: the loss became (NaN|Infinity) at epoch \d+\/50, batch [1-4] \(samples \d+-\d+\)/);
    expect(snapshot(m)).toEqual(last); // stopped before that batch's update
    m.dispose(); x.dispose(); y.dispose();
  });

  it('stopOnNaN: false trains on through NaN losses (History holds NaN, callbacks keep running)', async () => {
    setSeed(9);
    const x = tensor(new Float32Array(8 * 25).map((_, i) => (i === 30 ? NaN : Math.cos(i))), [8, 5, 5, 1]);
    const y = tensor(new Int32Array(8).map((_, i) => i % 3), [8], 'int32');
    const m = model();
    let batches = 0;
    const h = await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, stopOnNaN: false, onBatchEnd: () => { batches++; } });
    expect(batches).toBe(4);
    expect(h.loss).toHaveLength(2);
    expect(h.loss.every(Number.isNaN)).toBe(true);
    m.dispose(); x.dispose(); y.dispose();
  });

  it('trainOnBatch and evaluate report a NaN loss as a number (no stop there, as Keras)', () => {
    const m = model();
    const x = tensor(new Float32Array(2 * 25).fill(NaN), [2, 5, 5, 1]);
    const y = tensor(new Int32Array([0, 1]), [2], 'int32');
    expect(Number.isNaN(m.evaluate(x, y).loss)).toBe(true);
    expect(Number.isNaN(m.trainOnBatch(x, y).loss)).toBe(true);
    m.dispose(); x.dispose(); y.dispose();
  });

  it('nothing leaks across all of the above', async () => {
    const n0 = live();
    const m = model();
    const x = tensor(new Float32Array(4 * 25).fill(NaN), [4, 5, 5, 1]);
    const y = tensor(new Int32Array([0, 1, 2, 0]), [4], 'int32');
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow(ValueError);
    m.dispose(); x.dispose(); y.dispose();
    expect(live()).toBe(n0);
  });
});
