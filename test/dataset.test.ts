// data.dataset: the stages' semantics (seeded shuffle against an independent implementation of
// the buffer algorithm and of the generator), batching rules, sources, and that every tensor the
// pipeline makes is freed.
import { describe, it, expect } from 'vitest';
import { data, tensor, backendInfo, setSeed, Tensor } from '../src/index.js';

const live = () => backendInfo().liveTensors;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// ---- an independent reference: splitmix32 seeding, xoshiro128**, rejection sampling --------------
function referenceStream(seed: number) {
  let x = (Math.floor(seed) >>> 0 ^ Math.floor(seed / 4294967296) >>> 0) >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [split(), split(), split(), split()];
  const u32 = () => {
    const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0; s[3] = (s[3] ^ s[1]) >>> 0; s[1] = (s[1] ^ s[2]) >>> 0; s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0; s[3] = rotl(s[3], 11);
    return result;
  };
  const below = (n: number) => {
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) { const v = u32(); if (v < limit) return v % n; }
  };
  return { u32, below };
}

/** tf.data's shuffle buffer, written from its description, for iteration `epoch` of a seeded shuffle. */
function referenceShuffle<T>(items: T[], bufferSize: number, seed: number, epoch: number): T[] {
  const seeds = referenceStream(seed);
  let iterSeed = 0;
  for (let i = 0; i <= epoch; i++) iterSeed = seeds.u32();
  const rng = referenceStream(iterSeed);
  const buffer = items.slice(0, bufferSize);
  let next = buffer.length;
  const out: T[] = [];
  while (buffer.length > 0) {
    const i = rng.below(buffer.length);
    out.push(buffer[i]);
    if (next < items.length) buffer[i] = items[next++];
    else { buffer[i] = buffer[buffer.length - 1]; buffer.pop(); }
  }
  return out;
}

async function collect<T>(ds: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of ds) out.push(v);
  return out;
}

describe('data.dataset: shuffle', () => {
  const items = range(23);
  for (const bufferSize of [1, 2, 5, 23, 100]) {
    it(`buffer ${bufferSize}: epochs 0-2 match the reference buffer algorithm`, async () => {
      const ds = data.dataset(items).shuffle(bufferSize, { seed: 42 });
      for (let epoch = 0; epoch < 3; epoch++) {
        expect(await collect(ds)).toEqual(referenceShuffle(items, bufferSize, 42, epoch));
      }
    });
  }

  it('is a permutation; buffer 1 keeps the order; reshuffleEachIteration false repeats the first order', async () => {
    const once = await collect(data.dataset(items).shuffle(8, { seed: 3 }));
    expect([...once].sort((a, b) => a - b)).toEqual(items);
    expect(once).not.toEqual(items);
    expect(await collect(data.dataset(items).shuffle(1, { seed: 3 }))).toEqual(items);
    const fixed = data.dataset(items).shuffle(23, { seed: 9, reshuffleEachIteration: false });
    const a = await collect(fixed), b = await collect(fixed);
    expect(a).toEqual(b);
    const moving = data.dataset(items).shuffle(23, { seed: 9 });
    expect(await collect(moving)).toEqual(a);
    expect(await collect(moving)).not.toEqual(a);
  });

  it('without a seed, draws the iteration seed from the global generator (setSeed makes it reproducible)', async () => {
    setSeed(5);
    const a = await collect(data.dataset(items).shuffle(10));
    setSeed(5);
    const b = await collect(data.dataset(items).shuffle(10));
    expect(a).toEqual(b);
  });
});

describe('data.dataset: stages', () => {
  it('map, filter, take, skip, repeat, batch, prefetch compose as tf.data does', async () => {
    const ds = data.dataset(range(10));
    expect(await collect(ds.map((v) => v * 2).filter((v) => v % 3 !== 0))).toEqual([2, 4, 8, 10, 14, 16]);
    expect(await collect(ds.take(3))).toEqual([0, 1, 2]);
    expect(await collect(ds.skip(8))).toEqual([8, 9]);
    expect(await collect(ds.take(2).repeat(3))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(await collect(ds.repeat().take(12))).toEqual([...range(10), 0, 1]);
    expect(await collect(ds.prefetch(3))).toEqual(range(10));
    expect(await collect(ds.map(async (v) => v + 1).prefetch(4).take(4))).toEqual([1, 2, 3, 4]);
    expect([ds.size, ds.take(3).size, ds.skip(4).size, ds.batch(4).size, ds.batch(4, { dropRemainder: true }).size, ds.repeat(2).size, ds.repeat().size, ds.filter(() => true).size])
      .toEqual([10, 3, 6, 3, 2, 20, Infinity, null]);
    const batches = await ds.batch(4).map((b) => Array.from((b as Tensor).dataSync())).toArray();
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(await ds.batch(4, { dropRemainder: true }).map((b) => (b as Tensor).shape).toArray()).toEqual([[4], [4]]);
  });

  it('batch stacks tensors, typed arrays, numbers, arrays and objects; dtypes follow the values', async () => {
    const before = live();
    const els = range(3).map((i) => ({
      image: new Uint8Array([i, i + 1]), feats: new Float32Array([i / 2]), label: i, weight: i + 0.5,
      pair: [tensor([i, -i]), i] as [Tensor, number],
    }));
    const [b] = await data.dataset(els).batch(3).toArray() as any[];
    expect(b.image.dtype).toBe('int32');
    expect(b.image.shape).toEqual([3, 2]);
    expect(Array.from(b.image.dataSync())).toEqual([0, 1, 1, 2, 2, 3]);
    expect(b.feats.dtype).toBe('float32');
    expect(Array.from(b.feats.dataSync())).toEqual([0, 0.5, 1]);
    expect(b.label.dtype).toBe('int32');
    expect(b.weight.dtype).toBe('float32');
    expect(b.pair[0].shape).toEqual([3, 2]);
    expect(Array.from(b.pair[0].dataSync())).toEqual([0, -0, 1, -1, 2, -2]);
    for (const t of [b.image, b.feats, b.label, b.weight, b.pair[0], b.pair[1]]) t.dispose();
    // The source's own tensors are not the pipeline's: they are still alive.
    for (const e of els) { expect(e.pair[0].isDisposed).toBe(false); e.pair[0].dispose(); }
    expect(live()).toBe(before);
  });

  it('reads async iterables, generator functions, Sets and tensors (rows, with labels)', async () => {
    async function* gen() { for (let i = 0; i < 4; i++) yield i; }
    expect(await collect(data.dataset(gen))).toEqual([0, 1, 2, 3]);
    expect(await collect(data.dataset(gen))).toEqual([0, 1, 2, 3]);
    expect(await collect(data.dataset(new Set([3, 1])))).toEqual([3, 1]);
    expect(await collect(data.dataset({ [Symbol.asyncIterator]: gen }))).toEqual([0, 1, 2, 3]);
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = tensor(new Int32Array([7, 8, 9]), [3], 'int32');
    const before = live();
    const rows = await data.dataset(x, y).batch(2).map(([xb, yb]: any) => [xb.arraySync(), Array.from(yb.dataSync())]).toArray();
    expect(rows).toEqual([[[[1, 2], [3, 4]], [7, 8]], [[[5, 6]], [9]]]);
    expect(live()).toBe(before);
    x.dispose(); y.dispose();
  });

  it('a generator object is iterable once; iterating it again is a ValueError', async () => {
    function* gen() { yield 1; yield 2; }
    const ds = data.dataset(gen());
    expect(await collect(ds)).toEqual([1, 2]);
    await expect(collect(ds)).rejects.toThrow(/one-shot iterator.*function that returns a fresh one/);
  });

  it('frees every tensor it makes: after full passes, early breaks, take, errors in map', async () => {
    const x = tensor(range(40).map((v) => v / 10), [10, 4]);
    const y = tensor(new Int32Array(range(10)), [10], 'int32');
    const before = live();
    const ds = data.dataset(x, y).map(([a, b]: any) => [a.mul(2), b]).shuffle(4, { seed: 1 }).batch(3).prefetch(2);
    for await (const [xb] of ds as any) expect(xb.isDisposed).toBe(false);
    expect(live()).toBe(before);
    for await (const _ of ds) break;
    expect(live()).toBe(before);
    await ds.take(2).toArray().then((els) => els.forEach(([a, b]: any) => { a.dispose(); b.dispose(); }));
    expect(live()).toBe(before);
    const failing = data.dataset(x, y).map(([a]: any) => { if (a.dataSync()[0] > 1) throw new Error('boom'); return a.add(1); }).batch(2);
    await expect(collect(failing)).rejects.toThrow('boom');
    expect(live()).toBe(before);
    x.dispose(); y.dispose();
  });

  it('prefetch hands on an upstream error at the element where it happened', async () => {
    async function* gen() { yield 1; yield 2; throw new Error('disk gone'); }
    const seen: number[] = [];
    await expect((async () => { for await (const v of data.dataset(gen).prefetch(5)) seen.push(v); })()).rejects.toThrow('disk gone');
    expect(seen).toEqual([1, 2]);
  });
});
