// model.fit / evaluate / predict over datasets: the same batches in the same order train to the
// same bits as the in-memory fit, memory stays flat across epochs, and datasets of unknown or
// endless size are handled.
import { describe, it, expect } from 'vitest';
import { data, nn, optim, Sequential, Model, randn, randu, tensor, setSeed, backendInfo, ops, tidy, type Tensor } from '../src/index.js';

function makeModel(seed: number): Sequential {
  setSeed(seed);
  const m = new Sequential([
    nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }), nn.batchNorm(), nn.activation('relu'),
    nn.maxPool2d({ poolSize: 2 }), nn.flatten(), nn.dropout({ rate: 0.3 }), nn.dense({ units: 3 }),
  ], { inputShape: [6, 6, 1] });
  m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return m;
}

function makeData(n: number): { x: Tensor; y: Tensor } {
  setSeed(99);
  const x = randn([n, 6, 6, 1]);
  const y = tensor(Int32Array.from({ length: n }, (_, i) => (i * 7) % 3), [n], 'int32');
  return { x, y };
}

const bits = (m: Model) => m.weights().map((w) => Array.from(new Uint32Array(w.dataSync().buffer)));

describe('fit(dataset)', () => {
  it('trains to the in-memory fit\'s bits for the same batches in the same order (no shuffle), with validation', async () => {
    const { x, y } = makeData(50);
    const { x: xv, y: yv } = makeData(13);
    const a = makeModel(1), b = makeModel(1);
    const ha = await a.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, seed: 7, verbose: 0, validationData: [xv, yv] });
    const hb = await b.fit(data.dataset(x, y).batch(8), { epochs: 3, seed: 7, verbose: 0, validationData: data.dataset(xv, yv).batch(8) });
    expect(hb).toEqual(ha);
    expect(bits(b)).toEqual(bits(a));
    expect(ha.loss[2]).toBeLessThan(ha.loss[0]);
    // evaluate and predict stream to the same values as their tensor forms (same batch boundaries).
    const ea = a.evaluate(xv, yv, { batchSize: 4 });
    const eb = await a.evaluate(data.dataset(xv, yv).batch(4));
    expect(eb).toEqual(ea);
    const pa = a.predict(x, { batchSize: 16 });
    const pb = await a.predict(data.dataset(x).batch(16));
    expect(Array.from(pb.dataSync())).toEqual(Array.from(pa.dataSync()));
    for (const t of [x, y, xv, yv, pa, pb]) t.dispose();
    a.dispose(); b.dispose();
  });

  it('accepts any async iterable of [x, y] batches (a user generator function) and { x, y } elements', async () => {
    const { x, y } = makeData(24);
    const a = makeModel(2), b = makeModel(2);
    await a.fit(x, y, { epochs: 2, batchSize: 6, shuffle: false, verbose: 0, seed: 3 });
    async function* batches() {
      for (let s = 0; s < 24; s += 6) {
        yield { x: ops.slice(x, [s, 0, 0, 0], [6, 6, 6, 1]), y: ops.slice(y, [s], [6]) };
      }
    }
    // The user's batches are theirs: fit does not free them (here they leak on purpose into a tidy-less loop, so count them).
    const made: Tensor[] = [];
    const tracked = async function* () { for await (const el of batches()) { made.push(el.x, el.y); yield el; } };
    await b.fit(tracked, { epochs: 2, verbose: 0, seed: 3 });
    expect(bits(b)).toEqual(bits(a));
    expect(made.every((t) => !t.isDisposed)).toBe(true);
    for (const t of [...made, x, y]) t.dispose();
    a.dispose(); b.dispose();
  });

  it('a seeded shuffle orders each epoch by its number: stopping after 2 epochs and resuming at 2 gives the uninterrupted bits', async () => {
    const { x, y } = makeData(30);
    const ds = data.dataset(x, y).shuffle(30, { seed: 5 }).batch(8);
    const a = makeModel(6), b = makeModel(6);
    await a.fit(ds, { epochs: 3, seed: 2, verbose: 0 });
    await b.fit(ds, { epochs: 2, seed: 2, verbose: 0 });
    await b.fit(data.dataset(x, y).shuffle(30, { seed: 5 }).batch(8), { epochs: 3, initialEpoch: 2, seed: 2, verbose: 0 });
    expect(bits(b)).toEqual(bits(a));
    x.dispose(); y.dispose(); a.dispose(); b.dispose();
  });

  it('keeps memory flat: live tensors, live bytes and wasm memory after 5 epochs equal those after 1', async () => {
    const { x, y } = makeData(64);
    const m = makeModel(3);
    const ds = data.dataset(x, y).map(([xi, yi]: any) => [xi.mul(0.5), yi]).shuffle(16, { seed: 1 }).batch(16).prefetch(2);
    await m.fit(ds, { epochs: 1, verbose: 0 });
    const after1 = backendInfo();
    await m.fit(ds, { epochs: 6, initialEpoch: 1, verbose: 0 });
    const after5 = backendInfo();
    expect([after5.liveTensors, after5.liveBytes, after5.memoryBytes]).toEqual([after1.liveTensors, after1.liveBytes, after1.memoryBytes]);
    x.dispose(); y.dispose(); m.dispose();
  });

  it('reports an epoch of unknown size by counting its samples; stepsPerEpoch defines epochs of an endless dataset', async () => {
    const { x, y } = makeData(20);
    const m = makeModel(4);
    const lines: string[] = [];
    const ds = data.dataset(x, y).filter(() => true).batch(5); // filter: the size is unknown
    expect(ds.size).toBe(null);
    await m.fit(ds, { epochs: 1, verbose: 0 }); // builds the model and the optimizer state
    const before = backendInfo().liveTensors;
    await m.fit(ds, { epochs: 2, verbose: 2, log: (l) => lines.push(l) });
    expect(backendInfo().liveTensors).toBe(before);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Epoch 1\/2 - 20 samples - /);
    const endless = data.dataset(x, y).batch(6).repeat();
    await expect(m.fit(endless, { epochs: 1, verbose: 0 })).rejects.toThrow(/endless.*stepsPerEpoch/);
    const seen: number[] = [];
    const h = await m.fit(endless, { epochs: 3, stepsPerEpoch: 5, verbose: 0, onBatchEnd: (_b, logs) => { seen.push(logs!.size!); } });
    expect(h.loss).toHaveLength(3);
    // Passes of 20 samples in batches of 6, 6, 6, 2; epochs of 5 batches run across the pass boundaries.
    expect(seen).toEqual([6, 6, 6, 2, 6, /**/ 6, 6, 2, 6, 6, /**/ 6, 2, 6, 6, 6]);
    expect(backendInfo().liveTensors).toBe(before);
    x.dispose(); y.dispose(); m.dispose();
  });

  it('draws the terminal progress bar as seen/Unknown in the first pass over a dataset of unknown size, then with the learned size', async () => {
    const { x, y } = makeData(20);
    const m = makeModel(7);
    const out = process.stdout as unknown as { isTTY?: boolean; write: (s: string) => boolean };
    const saved = { isTTY: out.isTTY, write: out.write };
    let text = '';
    out.isTTY = true;
    out.write = (s: string) => { text += s; return true; };
    try {
      await m.fit(data.dataset(x, y).filter(() => true).batch(5), { epochs: 2, verbose: 1 });
    } finally {
      out.isTTY = saved.isTTY;
      out.write = saved.write;
    }
    const [first, second] = text.split('Epoch 2/2');
    // During the first pass the total is unknown; its last line has the count it learned.
    expect(first).toMatch(/\r5\/Unknown - /);
    expect(first).toMatch(/\r20\/20 \[==============================\] - /);
    expect(second).toMatch(/\r 5\/20 \[======>\.+\] - ETA/);
    x.dispose(); y.dispose(); m.dispose();
  });

  it('trains a graph model with two inputs from [[x1, x2], y] elements', async () => {
    setSeed(8);
    const build = () => {
      setSeed(8);
      const i1 = nn.input({ shape: [3] }), i2 = nn.input({ shape: [2] });
      const out = nn.dense({ units: 2 }).apply(nn.concatenate().apply([i1, i2]));
      const m = new Model({ inputs: [i1, i2], outputs: out });
      m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      return m;
    };
    setSeed(9);
    const x1 = randu([12, 3]), x2 = randu([12, 2]);
    const y = tensor(Int32Array.from({ length: 12 }, (_, i) => i % 2), [12], 'int32');
    const a = build(), b = build();
    await a.fit([x1, x2], y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    const els = Array.from({ length: 12 }, (_, i) => [[x1.dataSync().slice(3 * i, 3 * i + 3), x2.dataSync().slice(2 * i, 2 * i + 2)], i % 2]);
    await b.fit(data.dataset(els).batch(4), { epochs: 2, verbose: 0 });
    expect(bits(b)).toEqual(bits(a));
    const p = tidy(() => ops.sum(b.predict([x1, x2])).dataSync()[0]);
    expect(Number.isFinite(p)).toBe(true);
    for (const t of [x1, x2, y]) t.dispose();
    a.dispose(); b.dispose();
  });
});
