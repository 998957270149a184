// Concurrency: two models training interleaved in one process (fit yields between batches) give
// the same bits as each trained alone; repeated and overlapping init() calls share one backend;
// and a Node process with a worker pool (init({ threads: 2 })) exits on its own, without
// shutdown(), also after an uncaught error (child processes running the built dist/).
import { describe, it, expect } from 'vitest';
import { runChild, haveDist } from './harness/child.js';
import {
  init, backendInfo, Sequential, nn, ops, optim, tensor, tidy, setSeed, randn, Tensor, type History,
} from '../src/index.js';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

/** n 6x6x1 images of a horizontal / vertical / diagonal bar (own LCG). */
function bars(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const xs = new Float32Array(n * 36), ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3, p = Math.floor(rnd() * 6);
    ys[i] = label;
    for (let r = 0; r < 6; r++) for (let c = 0; c < 6; c++) {
      const on = label === 0 ? r === p : label === 1 ? c === p : (r + c) % 6 === p;
      xs[i * 36 + r * 6 + c] = (on ? 1 : 0) + 0.3 * (rnd() - 0.5);
    }
  }
  return { x: tensor(xs, [n, 6, 6, 1]), y: tensor(ys, [n], 'int32') };
}

// Two different models (different layers, optimizers, losses), both with dropout and batch norm,
// so shuffling and dropout masks draw random numbers at every step.
function modelA(): Sequential {
  setSeed(101);
  const m = new Sequential([nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), nn.batchNorm(), nn.flatten(),
    nn.dropout({ rate: 0.3 }), nn.dense({ units: 3 })], { inputShape: [6, 6, 1] });
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return m;
}
function modelB(): Sequential {
  setSeed(202);
  const m = new Sequential([nn.conv2d({ filters: 3, kernelSize: 2, strides: 2, padding: 'same' }), nn.batchNorm(), nn.activation('tanh'),
    nn.maxPool2d(), nn.flatten(), nn.dropout({ rate: 0.2 }), nn.dense({ units: 3, activation: 'softmax' })], { inputShape: [6, 6, 1] });
  m.compile({ optimizer: optim.sgd({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}
const weightsOf = (m: Sequential) => m.weights().map((w) => Array.from(w.dataSync()));

/** Each interleaved fit's history and weights equal its fit alone; the models are then disposed. */
function expectAsAlone(runs: [Sequential, unknown, { h: unknown; w: number[][] }][]): void {
  for (const [model, history, alone] of runs) {
    expect(history).toEqual(alone.h);
    expect(weightsOf(model)).toEqual(alone.w);
  }
  for (const [model] of runs) model.dispose();
}

describe('two models training interleaved', () => {
  const dataA = bars(48, 1), dataB = bars(40, 2);
  const opts = { epochs: 4, batchSize: 8, verbose: 0 as const };

  async function alone(make: () => Sequential, d: { x: Tensor; y: Tensor }, seed?: number) {
    const m = make();
    setSeed(999); // whatever the global generator holds must not matter when fit has its own seed
    const h = await m.fit(d.x, d.y, { ...opts, seed, shuffle: seed !== undefined });
    const w = weightsOf(m);
    m.dispose();
    return { h, w };
  }

  it('with a seed per fit (shuffling, dropout): interleaved results equal training each alone, bit for bit', async () => {
    const a = await alone(modelA, dataA, 11);
    const b = await alone(modelB, dataB, 22);
    const mA = modelA(), mB = modelB();
    setSeed(5);
    const order: string[] = [];
    // An async callback makes fit yield after every batch: the two fits strictly alternate.
    const [hA, hB] = await Promise.all([
      mA.fit(dataA.x, dataA.y, { ...opts, seed: 11, onBatchEnd: async () => { order.push('A'); await tick(); } }),
      mB.fit(dataB.x, dataB.y, { ...opts, seed: 22, onBatchEnd: async () => { order.push('B'); await tick(); } }),
    ]);
    expect(order.join('').slice(0, 8)).toMatch(/ABAB|BABA/); // really interleaved
    expect(order.filter((o) => o === 'A').length).toBe(4 * 6);
    expectAsAlone([[mA, hA, a], [mB, hB, b]]);
  });

  it('without shuffling or seeds (no draws during fit): interleaved equals alone too', async () => {
    const mk = (f: () => Sequential) => () => { const m = f(); (m.layers.find((l) => l.className === 'Dropout') as any).rate = 0; return m; };
    const a = await alone(mk(modelA), dataA);
    const b = await alone(mk(modelB), dataB);
    const mA = mk(modelA)(), mB = mk(modelB)();
    const [hA, hB] = await Promise.all([
      mA.fit(dataA.x, dataA.y, { ...opts, shuffle: false, onBatchEnd: async () => { await tick(); } }),
      mB.fit(dataB.x, dataB.y, { ...opts, shuffle: false, onBatchEnd: async () => { await tick(); } }),
    ]);
    expectAsAlone([[mA, hA, a], [mB, hB, b]]);
  });

  it('a fit and a hand-written async training loop side by side keep their tensors apart (nothing leaks)', async () => {
    const n0 = backendInfo().liveTensors;
    const mA = modelA();
    const mB = modelB();
    const opt = mB.optimizer!;
    const loop = async () => {
      for (let step = 0; step < 20; step++) {
        tidy(() => {
          const p = mB.forward(dataB.x, { training: true });
          ops.mean(ops.neg(ops.log(ops.clip(p, 1e-7, 1)))).backward();
          opt.step(mB.parameters());
          opt.zeroGrad(mB.parameters());
        });
        await tick();
      }
    };
    let h: History | null = null;
    await Promise.all([mA.fit(dataA.x, dataA.y, { ...opts, seed: 3, onBatchEnd: tick }).then((r) => { h = r; }), loop()]);
    expect(h!.loss.every(Number.isFinite)).toBe(true);
    mA.dispose(); mB.dispose();
    expect(backendInfo().liveTensors).toBe(n0);
  });

  it('fit rejects a bad seed', async () => {
    const m = modelA();
    await expect(m.fit(dataA.x, dataA.y, { seed: NaN })).rejects.toThrow(/fit: option 'seed' must be a finite number, got NaN/);
    m.dispose();
  });
});

describe('init() called twice', () => {
  it('sequential and overlapping calls resolve to the one backend; results are unchanged', async () => {
    const before = backendInfo();
    const y0 = tidy(() => ops.conv2d(randn([1, 5, 5, 2]), randn([3, 3, 2, 2])).dataSync());
    setSeed(1);
    const a = tidy(() => ops.matmul(randn([7, 9]), randn([9, 5])).dataSync());
    await Promise.all([init(), init({ threads: 1 }), init()]);
    await init();
    expect(backendInfo()).toEqual(before);
    setSeed(1);
    const b = tidy(() => ops.matmul(randn([7, 9]), randn([9, 5])).dataSync());
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(y0.length).toBe(3 * 3 * 2);
  });
});

// ---- child processes ---------------------------------------------------------------------------
describe.skipIf(!haveDist)('a Node process with a worker pool exits on its own', () => {
  const conv = `
    W.setSeed(3);
    const x = W.randn([4, 32, 32, 16]), w = W.randn([3, 3, 16, 32], { std: 0.1 });
    const y = W.ops.conv2d(x, w, null, { padding: 'same' });
    const mm = W.ops.matmul(W.randn([256, 256]), W.randn([256, 256]));
    let s = 0; for (const v of y.dataSync()) s += v; for (const v of mm.dataSync()) s += v;`;

  it('init({ threads: 2 }), a conv and a matmul, no shutdown(): exit code 0 within seconds', () => {
    const r = runChild(`
      await W.init({ threads: 2, simd: 'baseline' });
      ${conv}
      console.log(JSON.stringify({ threads: W.backendInfo().threads, sum: s }));`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.threads).toBe(2);
    expect(Number.isFinite(out.sum)).toBe(true);
    console.log(`threads: 2 child exited with code 0 in ${r.ms.toFixed(0)} ms`);
    expect(r.ms).toBeLessThan(10_000);
  });

  it('an uncaught error with the pool running: exit code 1, no hang', () => {
    const r = runChild(`
      await W.init({ threads: 2, simd: 'baseline' });
      ${conv}
      W.ops.add(W.ones([2]), W.ones([3]));`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ShapeError: add: shapes [2] and [3] cannot broadcast');
    expect(r.ms).toBeLessThan(10_000);
  });

  it('overlapping init() calls with threads, fit (which yields to the event loop), then shutdown(): exit 0 and kernels still work after it', () => {
    const r = runChild(`
      await Promise.all([W.init({ threads: 2, simd: 'baseline' }), W.init({ threads: 2, simd: 'baseline' })]);
      const threads = W.backendInfo().threads;
      W.setSeed(1);
      const m = new W.Sequential([W.nn.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }), W.nn.flatten(), W.nn.dense({ units: 2 })], { inputShape: [12, 12, 4] });
      m.compile({ optimizer: 'adam', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      const h = await m.fit(W.randn([32, 12, 12, 4]), W.tensor(new Int32Array(32).map((_, i) => i % 2), [32], 'int32'), { epochs: 2, batchSize: 8, verbose: 0 });
      ${conv}
      await W.shutdown();
      const after = W.ops.conv2d(x, w, null, { padding: 'same' }).dataSync();
      let same = true; const yd = y.dataSync(); for (let i = 0; i < yd.length; i++) if (!Object.is(yd[i], after[i])) same = false;
      console.log(JSON.stringify({ threads, after: W.backendInfo().threads, loss: h.loss, same }));`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.threads).toBe(2);
    expect(out.after).toBe(1);
    expect(out.loss.every(Number.isFinite)).toBe(true);
    expect(out.same).toBe(true); // 2 threads and 1 thread: the same bits
    expect(r.ms).toBeLessThan(15_000);
  });
});
