// Memory safety: a soak test (a small CNN trained for thousands of steps, with fit and with the
// plain loop of API.md) asserting that wasm memory, live tensors / bytes and the JS heap stay
// flat; the tidy / dispose / keep semantics (nested tidy, returned arrays and objects, errors
// inside tidy, double dispose, use after dispose, tensors kept for a returned graph's backward,
// reshape views, the FinalizationRegistry safety net); and out-of-memory requests that must throw
// a clear RangeError and leave the library working.
import { describe, it, expect } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  Sequential, nn, ops, optim, losses, data, tensor, zeros, ones, randn, tidy, keep, setSeed, backendInfo, Tensor,
  DisposedError, ValueError,
} from '../src/index.js';
import { expectClose } from './harness/close.js';

// Node hides gc() unless started with --expose-gc; the flag can still be set at run time.
v8.setFlagsFromString('--expose-gc');
const gc: () => void = (globalThis as any).gc ?? vm.runInNewContext('gc');

const live = () => backendInfo().liveTensors;
const liveBytes = () => backendInfo().liveBytes;
const memoryBytes = () => backendInfo().memoryBytes;
const tick = () => new Promise<void>((r) => setTimeout(r, 0));
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) { gc(); await tick(); }
  return process.memoryUsage().heapUsed;
}
const MB = (n: number) => `${(n / 1048576).toFixed(2)} MB`;

/** n 8x8x1 images of a horizontal (0) / vertical (1) / diagonal (2) bar; own LCG, no setSeed. */
function bars(n: number): { x: Tensor; y: Tensor } {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const xs = new Float32Array(n * 64);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const p = Math.floor(rnd() * 8);
    ys[i] = label;
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        const on = label === 0 ? r === p : label === 1 ? c === p : (r + c) % 8 === p;
        xs[i * 64 + r * 8 + c] = (on ? 1 : 0) + 0.2 * (rnd() - 0.5);
      }
    }
  }
  return { x: tensor(xs, [n, 8, 8, 1]), y: tensor(ys, [n], 'int32') };
}

function smallCnn(): Sequential {
  return new Sequential([
    nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.batchNorm(),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
    nn.flatten(),
    nn.dropout({ rate: 0.2 }),
    nn.dense({ units: 3 }),
  ], { inputShape: [8, 8, 1] });
}

describe('soak: thousands of training steps keep memory flat', () => {
  it('fit: 4,800 steps of batch 8 on 8x8 images (150 epochs x 32 batches)', async () => {
    setSeed(1);
    const { x, y } = bars(256);
    const model = smallCnn();
    model.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    // Warm up: optimizer state, workspaces, the allocator's free lists and V8's compiled code
    // reach their steady size.
    await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0 });
    const heap0 = await heapUsed();
    const m0 = { memoryBytes: memoryBytes(), liveTensors: live(), liveBytes: liveBytes() };
    const samples: { memoryBytes: number; liveTensors: number; liveBytes: number }[] = [];
    let steps = 0;
    const t0 = Date.now();
    const opts = {
      batchSize: 8, verbose: 0 as const,
      onBatchEnd: () => { steps++; },
      onEpochEnd: () => { samples.push({ memoryBytes: memoryBytes(), liveTensors: live(), liveBytes: liveBytes() }); },
    };
    const h1 = await model.fit(x, y, { ...opts, epochs: 75 });
    const heapMid = await heapUsed();
    const h2 = await model.fit(x, y, { ...opts, epochs: 75 });
    const h = { loss: [...h1.loss, ...h2.loss] };
    const seconds = (Date.now() - t0) / 1000;
    const heap1 = await heapUsed();
    const m1 = { memoryBytes: memoryBytes(), liveTensors: live(), liveBytes: liveBytes() };
    console.log(`soak (fit): ${steps} steps in ${seconds.toFixed(1)} s; wasm memory ${MB(m0.memoryBytes)} -> ${MB(m1.memoryBytes)}; ` +
      `live tensors ${m0.liveTensors} -> ${m1.liveTensors}; live bytes ${m0.liveBytes} -> ${m1.liveBytes}; ` +
      `JS heap ${MB(heap0)} -> ${MB(heapMid)} (after 2,400 steps) -> ${MB(heap1)}; loss ${h.loss[0].toFixed(4)} -> ${h.loss[h.loss.length - 1].toFixed(4)}`);
    expect(steps).toBe(150 * 32);
    expect(h.loss[h.loss.length - 1]).toBeLessThan(h.loss[0]); // it did train
    // Exactly flat: every epoch ends with the same tensors and bytes, and wasm memory never grew.
    for (const s of samples) expect(s).toEqual(m0);
    expect(m1).toEqual(m0);
    // The JS heap: no per-step growth. V8 settles for a while (inline caches, optimised code:
    // a few hundred KB); a leak of 450 bytes per step would exceed 1 MB between the middle and the end.
    expect(heap1 - heap0).toBeLessThan(3 * 1048576);
    expect(heap1 - heapMid).toBeLessThan(1048576);
    model.dispose(); x.dispose(); y.dispose();
  });

  it('the plain loop of API.md (tidy + backward + step + zeroGrad): 1,600 steps, with evaluate / predict between', () => {
    setSeed(2);
    const { x, y } = bars(128);
    const model = smallCnn();
    const opt = optim.sgd({ lr: 0.05, momentum: 0.9 });
    const epoch = () => {
      for (const [xb, yb] of data.batches(x, y, 8, { shuffle: true })) {
        tidy(() => {
          const loss = losses.sparseCategoricalCrossentropy(model.forward(xb, { training: true }), yb, { fromLogits: true });
          loss.backward();
          opt.step(model.parameters());
          opt.zeroGrad(model.parameters());
        });
      }
    };
    epoch(); epoch();
    const m0 = { memoryBytes: memoryBytes(), liveTensors: live(), liveBytes: liveBytes() };
    for (let e = 0; e < 100; e++) {
      epoch();
      if (e % 25 === 0) {
        tidy(() => { model.predict(x, { batchSize: 16 }); });
        const x4 = x.slice([0], [4]);
        const p = model.predict(x4);
        p.dispose(); x4.dispose();
        expect({ memoryBytes: memoryBytes(), liveTensors: live(), liveBytes: liveBytes() }).toEqual(m0);
      }
    }
    expect({ memoryBytes: memoryBytes(), liveTensors: live(), liveBytes: liveBytes() }).toEqual(m0);
    model.dispose(); opt.dispose(); x.dispose(); y.dispose();
  });

  it('forgotten tensors are freed by the FinalizationRegistry after garbage collection', async () => {
    await heapUsed(); // collect what earlier tests dropped first
    const n0 = live();
    const b0 = liveBytes();
    (() => { for (let i = 0; i < 200; i++) ops.relu(randn([64])); })();
    expect(live()).toBe(n0 + 400);
    for (let i = 0; i < 20 && live() > n0; i++) { gc(); await tick(); }
    expect(live()).toBe(n0);
    expect(liveBytes()).toBe(b0);
  });
});

describe('tidy / dispose / keep', () => {
  it('nested tidy: the inner result belongs to the outer scope, freed there unless returned', () => {
    const n0 = live();
    let inner!: Tensor;
    const out = tidy(() => {
      const a = ones([3]);
      inner = tidy(() => { ones([100]); return a.add(1); });
      expect(inner.isDisposed).toBe(false);
      expect(live()).toBe(n0 + 2);
      return inner.mul(2);
    });
    expect(inner.isDisposed).toBe(true);
    expect(Array.from(out.dataSync())).toEqual([4, 4, 4]);
    expect(live()).toBe(n0 + 1);
    out.dispose();
    expect(live()).toBe(n0);
  });

  it('returned arrays, objects, Maps and Sets keep their tensors; nothing else survives', () => {
    const n0 = live();
    const r = tidy(() => {
      ones([5]);
      return { a: ones([1]), list: [ones([2]), [ones([3])]], map: new Map([['k', ones([4])]]), set: new Set([ones([6])]), n: 3 };
    });
    expect(live()).toBe(n0 + 5);
    expect(r.n).toBe(3);
    r.a.dispose(); r.list[0].dispose(); (r.list[1] as Tensor[])[0].dispose(); r.map.get('k')!.dispose(); [...r.set][0].dispose();
    expect(live()).toBe(n0);
  });

  it('an error inside tidy frees everything made inside and restores the scope stack', () => {
    const n0 = live();
    expect(() => tidy(() => { ones([10]); tidy(() => { ones([20]); }); ones([30]); throw new Error('boom'); })).toThrow('boom');
    expect(live()).toBe(n0);
    // caught inside an outer tidy: the outer scope goes on and still cleans up
    const kept = tidy(() => {
      const a = ones([2]);
      try { tidy(() => { ones([3]); ops.add(ones([2]), ones([3])); }); } catch { /* ShapeError */ }
      expect(live()).toBe(n0 + 1);
      return a;
    });
    expect(live()).toBe(n0 + 1);
    kept.dispose();
    // a tensor made after the error, outside any tidy, is not tracked by a stale scope
    const t = ones([2]);
    tidy(() => { ones([1]); });
    expect(t.isDisposed).toBe(false);
    t.dispose();
    expect(live()).toBe(n0);
  });

  it('double dispose is a no-op; use after dispose throws DisposedError, everywhere', () => {
    const n0 = live(), b0 = liveBytes();
    const t = ones([4]);
    t.dispose();
    t.dispose();
    expect(live()).toBe(n0);
    expect(liveBytes()).toBe(b0);
    expect(t.isDisposed).toBe(true);
    const target = tensor([1, 2, 3, 4]);
    for (const use of [() => t.dataSync(), () => t.add(1), () => t.reshape([2, 2]), () => ops.matmul(ones([2, 2]), t), () => t.sum(),
      () => target.assign(t), () => t.backward(), () => t.requireGrad().backward(), () => data.augment(t, {})]) {
      expect(use).toThrow(DisposedError);
    }
    target.dispose();
    expect(live()).toBe(n0 + 1); // the ones([2, 2]) made for matmul: the failed uses themselves left nothing
  });

  it('keep(): kept tensors survive every enclosing tidy', () => {
    const n0 = live();
    let k!: Tensor;
    tidy(() => tidy(() => { k = keep(ones([3])); ones([3]); }));
    expect(k.isDisposed).toBe(false);
    expect(live()).toBe(n0 + 1);
    k.dispose();
  });

  it('parameters, gradients and optimizer state made inside tidy survive it', () => {
    const layer = nn.dense({ units: 2 });
    const opt = optim.adam({ lr: 0.01 });
    tidy(() => {
      const y = layer.apply(ones([3, 4]));
      ops.sum(y).backward();
      opt.step(layer.parameters());
    });
    for (const p of layer.parameters()) {
      expect(p.isDisposed).toBe(false);
      expect(p.grad!.isDisposed).toBe(false);
      expect(opt.getState(p)!.buffers.expAvg.isDisposed).toBe(false);
    }
    opt.zeroGrad(layer.parameters());
    layer.dispose(); opt.dispose();
  });

  it('a returned graph keeps what backward needs; backward then frees it (and so does disposing the root)', () => {
    const w = tensor([1, 2, 3]).requireGrad();
    const n0 = live();
    // backward outside the tidy that built the graph
    const loss = tidy(() => ops.sum(ops.exp(ops.mul(w, 2))));
    expect(live()).toBe(n0 + 3); // loss + the two intermediates its backward reads
    loss.backward();
    const e = [Math.exp(2), Math.exp(4), Math.exp(6)].map((v) => 2 * v);
    expectClose(w.grad!.dataSync(), e, { atol: 5e-4, what: 'w.grad' });
    expect(live()).toBe(n0 + 2); // loss + w.grad: the intermediates went with the graph
    loss.dispose(); w.zeroGrad();
    expect(live()).toBe(n0);
    // disposing the root without backward frees its graph too
    const l2 = tidy(() => ops.sum(ops.sigmoid(ops.mul(w, 3))));
    expect(live()).toBe(n0 + 3);
    l2.dispose();
    expect(live()).toBe(n0);
    // two roots sharing one intermediate: it lives until the last root lets go
    const [a, b] = tidy(() => { const h = ops.tanh(w); return [ops.sum(h), ops.mean(h)]; });
    expect(live()).toBe(n0 + 3);
    a.dispose();
    expect(live()).toBe(n0 + 2);
    b.backward();
    expect(w.grad!.dataSync()[0]).toBeCloseTo((1 - Math.tanh(1) ** 2) / 3, 5);
    b.dispose(); w.zeroGrad();
    expect(live()).toBe(n0);
    // nested tidy returning the same graph twice does not keep it forever
    const l3 = tidy(() => tidy(() => ops.sum(ops.mul(w, w))));
    l3.backward();
    l3.dispose(); w.zeroGrad();
    expect(live()).toBe(n0);
    // an intermediate the caller returns is the caller's: backward does not free it
    const [h, l4] = tidy(() => { const h = ops.mul(w, 4); return [h, ops.sum(h)]; });
    l4.backward();
    expect(Array.from(h.dataSync())).toEqual([4, 8, 12]);
    h.dispose(); l4.dispose(); w.zeroGrad();
    expect(live()).toBe(n0);
    w.dispose();
  });

  it('a model forward returned from tidy, trained outside it, frees its activations after backward', () => {
    setSeed(4);
    const model = smallCnn();
    const opt = optim.sgd({ lr: 0.01 });
    const x = randn([4, 8, 8, 1]);
    const y = tensor(new Int32Array([0, 1, 2, 0]), [4], 'int32');
    const n0 = live();
    for (let i = 0; i < 3; i++) {
      const loss = tidy(() => losses.sparseCategoricalCrossentropy(model.forward(x, { training: true }), y, { fromLogits: true }));
      loss.backward();
      opt.step(model.parameters());
      opt.zeroGrad(model.parameters());
      loss.dispose();
      expect(live()).toBe(n0);
    }
    model.dispose(); x.dispose(); y.dispose();
  });

  it('a reshape view outlives its source; the memory goes with the last of them', () => {
    const b0 = liveBytes();
    const x = tensor([1, 2, 3, 4]);
    const v = x.reshape([2, 2]);
    x.dispose();
    expect(() => x.dataSync()).toThrow(DisposedError);
    expect(v.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(liveBytes()).toBe(b0 + 16);
    v.dispose();
    expect(liveBytes()).toBe(b0);
  });

  it('data.batches disposes each pair when the iterator advances, and on break', () => {
    const x = randn([10, 2]);
    const n0 = live();
    const seen: Tensor[] = [];
    for (const [xb] of data.batches(x, null, 3)) { seen.push(xb); expect(live()).toBe(n0 + 1); }
    expect(seen.every((t) => t.isDisposed)).toBe(true);
    for (const [xb] of data.batches(x, null, 3)) { seen.push(xb); break; }
    expect(seen[seen.length - 1].isDisposed).toBe(true);
    expect(live()).toBe(n0);
    x.dispose();
  });
});

describe('out of memory', () => {
  it('a tensor beyond the wasm32 maximum throws RangeError and the library keeps working', () => {
    const n0 = live(), b0 = liveBytes(), m0 = memoryBytes();
    expect(() => zeros([70000, 70000])).toThrow(RangeError);
    expect(() => zeros([70000, 70000])).toThrow(/out of memory: cannot allocate 19600000000 bytes/);
    expect(() => ones([40000, 40000])).toThrow(RangeError);
    expect(() => randn([1 << 16, 1 << 16])).toThrow(RangeError);
    // an op whose output would not fit (padding 40000 -> a 40001 x 40001 image)
    const one = ones([1, 1, 1, 1]);
    expect(() => ops.conv2d(one, one, null, { padding: 40000 })).toThrow(RangeError);
    expect(() => ops.pad(one, [[0, 0], [0, 40000], [0, 40000], [0, 0]])).toThrow(RangeError);
    expect(() => tidy(() => ops.broadcastTo(one.reshape([1, 1]), [70000, 70000]))).toThrow(RangeError);
    one.dispose();
    // inside tidy: the tensors made before the failure are freed
    expect(() => tidy(() => { ones([1000]); return zeros([70000, 70000]); })).toThrow(RangeError);
    expect(() => new Sequential([nn.dense({ units: 70000 })], { inputShape: [70000] })).toThrow(RangeError);
    expect(live() - n0).toBe(0);
    expect(liveBytes()).toBe(b0);
    expect(memoryBytes()).toBe(m0); // no growth was even attempted
    // and everything still works
    const y = tidy(() => ops.conv2d(ones([1, 4, 4, 1]), ones([3, 3, 1, 1]), null, { padding: 'same' }).dataSync());
    expect(Array.from(y)).toEqual([4, 6, 6, 4, 6, 9, 9, 6, 6, 9, 9, 6, 4, 6, 6, 4]);
    expect(live()).toBe(n0);
  });

  it('a Sequential whose weights cannot fit fails cleanly and a model built after it trains', async () => {
    const n0 = live();
    const layers = [nn.flatten(), nn.dense({ units: 8 }), nn.dense({ units: 100000 }), nn.dense({ units: 100000 })];
    expect(() => new Sequential(layers, { inputShape: [4] })).toThrow(RangeError);
    // The layers built before the failing one hold their weights (the caller's objects); the
    // failing layer dropped its partial weights, and nothing else is left.
    expect(live() - n0).toBe(2 + 2);
    expect(layers[3].built).toBe(false);
    for (const l of layers) l.dispose();
    expect(live()).toBe(n0);
    setSeed(9);
    const m = smallCnn();
    m.compile({ optimizer: 'adam', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    const { x, y } = bars(24);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(h.loss.every(Number.isFinite)).toBe(true);
    m.dispose(); x.dispose(); y.dispose();
  });

  it('a tidy returning a Promise is refused (and cleaned up)', () => {
    const n0 = live();
    expect(() => tidy((async () => ones([3])) as any)).toThrow(ValueError);
    expect(live()).toBe(n0);
  });
});

describe('backward that fails halfway', () => {
  it('an input disposed between forward and backward: DisposedError naming the op, no .grad touched, nothing leaked', () => {
    const a = tensor([1, 2, 3]).requireGrad();
    const b = tensor([4, 5, 6]).requireGrad();
    const n0 = live();
    a.grad = keep(tensor([10, 10, 10]));
    tidy(() => {
      const c = tensor([2, 2, 2]);
      const loss = ops.sum(ops.add(ops.mul(a, c), ops.mul(b, 3)));
      c.dispose();
      expect(() => loss.backward()).toThrow(DisposedError);
      expect(() => loss.backward()).toThrow(/backward of mul: a tensor it needs was disposed/);
    });
    expect(Array.from(a.grad!.dataSync())).toEqual([10, 10, 10]); // untouched
    expect(b.grad).toBeNull(); // not half-written either
    expect(live()).toBe(n0 + 1); // a.grad
    tidy(() => { ops.sum(ops.mul(a, 2)).backward(); });
    expect(Array.from(a.grad!.dataSync())).toEqual([12, 12, 12]);
    a.zeroGrad(); b.zeroGrad();
    expect(live()).toBe(n0);
    a.dispose(); b.dispose();
  });

  it('a .grad disposed by hand (instead of zeroGrad) starts afresh on the next backward', () => {
    const a = tensor([1, 2]).requireGrad();
    tidy(() => { ops.sum(ops.mul(a, 2)).backward(); });
    a.grad!.dispose();
    tidy(() => { ops.sum(ops.mul(a, 3)).backward(); });
    expect(Array.from(a.grad!.dataSync())).toEqual([3, 3]);
    a.zeroGrad(); a.dispose();
  });
});
