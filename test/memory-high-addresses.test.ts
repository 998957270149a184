// Tensors above 2 GiB of wasm memory: pointers there do not fit a signed 32-bit integer, so every
// host read and write of them (values, labels, kernel argument blocks, random fills) must treat
// pointers as unsigned. Fills the low 2 GiB with placeholder tensors first, in this file's own
// process, then checks values made above against values computed in plain JS.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ops, tensor, zeros, randn, setSeed, keep, backendInfo, type Tensor } from '../src/index.js';

const TWO_GIB = 2 ** 31;
const ptrOf = (t: Tensor) => (t as unknown as { ptr: number }).ptr;
const fillers: Tensor[] = [];
let lowRandom: Float32Array;

beforeAll(() => {
  setSeed(7);
  const low = randn([1000]);
  expect(ptrOf(low)).toBeLessThan(TWO_GIB);
  lowRandom = low.dataSync() as Float32Array;
  low.dispose();
  // Three 768 MiB blocks reach beyond 2 GiB; then the free gaps left below are used up, largest
  // blocks first, so that every later allocation lands above.
  for (let i = 0; i < 3; i++) fillers.push(keep(zeros([192, 1024, 1024])));
  for (const floats of [1 << 18, 1 << 12, 1 << 8, 16, 1]) {
    for (let i = 0; i < 200_000; i++) {
      const t = zeros([floats]);
      if (ptrOf(t) >= TWO_GIB) { t.dispose(); break; }
      fillers.push(keep(t));
    }
  }
}, 120_000);

afterAll(() => { for (const t of fillers) t.dispose(); });

describe('tensors above 2 GiB', () => {
  it('memory really extends beyond 2 GiB and new tensors land there', () => {
    expect(backendInfo().memoryBytes).toBeGreaterThan(TWO_GIB);
    const t = tensor([1.5, -2, 3.25, 4]);
    expect(ptrOf(t)).toBeGreaterThanOrEqual(TWO_GIB);
    expect(Array.from(t.dataSync())).toEqual([1.5, -2, 3.25, 4]);
    t.dispose();
  });

  it('elementwise ops with broadcasting (strided kernel arguments) read and write the right values', () => {
    const a = tensor(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    const b = tensor([10, 20, 30], [1, 3, 1]);
    const y = ops.sub(a, b);
    const want = Array.from({ length: 24 }, (_, i) => i - [10, 20, 30][Math.floor(i / 4) % 3]);
    expect(Array.from(y.dataSync())).toEqual(want);
    for (const t of [a, b, y]) t.dispose();
  });

  it('int32 tensors: values written and read back, and argMax writing them', () => {
    const labels = tensor(Int32Array.from([2, 0, 1]), [3], 'int32');
    expect(ptrOf(labels)).toBeGreaterThanOrEqual(TWO_GIB);
    expect(Array.from(labels.dataSync())).toEqual([2, 0, 1]);
    const logits = tensor([0, 0, 5, 7, 0, 0, 0, 9, 0], [3, 3]);
    const picked = ops.argMax(logits, -1);
    expect(Array.from(picked.dataSync())).toEqual([2, 0, 1]);
    for (const t of [labels, logits, picked]) t.dispose();
  });

  it('seeded random fills above 2 GiB match the same fills below', () => {
    setSeed(7);
    const high = randn([1000]);
    expect(ptrOf(high)).toBeGreaterThanOrEqual(TWO_GIB);
    expect(Array.from(high.dataSync())).toEqual(Array.from(lowRandom));
    high.dispose();
  });
});
