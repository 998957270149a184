import { describe, it, expect } from 'vitest';
import { tensor, zeros, ones, full, randn, randu, tidy, setSeed, backendInfo, DisposedError, ShapeError } from '../src/index.js';

describe('tensor basics', () => {
  it('round-trips values and shapes', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    t.dispose();
  });
  it('rejects a shape that does not match the values', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(ShapeError);
  });
  it('throws DisposedError after dispose', () => {
    const t = ones([2]);
    t.dispose();
    expect(() => t.dataSync()).toThrow(DisposedError);
    t.dispose(); // idempotent
  });
  it('tidy frees what is not returned, including on error', () => {
    const before = backendInfo().liveTensors;
    const kept = tidy(() => { zeros([3]); full([2], 7); return ones([4]); });
    expect(backendInfo().liveTensors).toBe(before + 1);
    expect(() => tidy(() => { zeros([5]); throw new Error('boom'); })).toThrow('boom');
    expect(backendInfo().liveTensors).toBe(before + 1);
    kept.dispose();
    expect(backendInfo().liveTensors).toBe(before);
  });
  it('seeded random draws repeat bit for bit and have the right moments', () => {
    setSeed(42);
    const a = randn([10000]).dataSync();
    setSeed(42);
    const b = randn([10000]).dataSync();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const varc = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(varc - 1)).toBeLessThan(0.05);
    const u = randu([10000], { low: -2, high: 3 }).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
  });
});

describe('random stream', () => {
  it('long draws (made in wasm) continue the same xoshiro128** stream as single draws (made in JS)', async () => {
    const { nextFloat, nextU32 } = await import('../src/random.js');
    setSeed(5);
    const bulk = randu([1000]).dataSync();
    const afterBulk = nextU32();
    setSeed(5);
    const single = Array.from({ length: 1000 }, () => nextFloat());
    const afterSingle = nextU32();
    expect(Array.from(bulk)).toEqual(single);
    expect(afterBulk).toBe(afterSingle);
  });
});

describe('leaf gradients own their memory', () => {
  it('two leaves given the same gradient tensor get separate .grad tensors', () => {
    const a = tensor([1, 2, 3]).requireGrad();
    const b = tensor([4, 5, 6]).requireGrad();
    a.add(b).backward(tensor([0.5, 1, 2]));
    expect(a.grad).not.toBe(b.grad);
    // A second pass accumulates into a.grad only: b.grad must not move with it.
    a.mul(tensor([2, 2, 2])).backward(tensor([1, 1, 1]));
    expect(Array.from(a.grad!.dataSync())).toEqual([2.5, 3, 4]);
    expect(Array.from(b.grad!.dataSync())).toEqual([0.5, 1, 2]);
  });

  it('a gradient that is a view (reshape) or the caller\'s tensor is copied, not aliased', () => {
    const a = tensor([1, 2, 3, 4], [2, 2]).requireGrad();
    const dy = tensor([1, 2, 3, 4]);
    a.reshape([4]).backward(dy);
    expect(Array.from(a.grad!.dataSync())).toEqual([1, 2, 3, 4]);
    a.reshape([4]).backward(dy);
    expect(Array.from(a.grad!.dataSync())).toEqual([2, 4, 6, 8]);
    expect(Array.from(dy.dataSync())).toEqual([1, 2, 3, 4]);
    const leaf = tensor([3, 4]).requireGrad();
    const seed = tensor([7, 8]);
    leaf.backward(seed);
    leaf.backward(seed);
    expect(Array.from(leaf.grad!.dataSync())).toEqual([14, 16]);
    expect(Array.from(seed.dataSync())).toEqual([7, 8]);
  });
});
