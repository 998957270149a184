// interleaveChannels (src/ops/interleave.ts): the channels of two channels-last runs interleaved,
// a0 b0 a1 b1 ..., whole or cut into equal channel blocks. Checked against an index loop for
// channel counts that are and are not multiples of the kernel's 4-wide step, runs that are the two
// halves of one tensor, and on two threads (rows split over the pool) against one thread.
import { describe, it, expect } from 'vitest';
import { tensor, ShapeError, _interleaveChannels as interleave } from '../src/index.js';
import { runChild, haveDist } from './harness/child.js';

const wave = (n: number, phase: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(0.37 * i + phase)));

/** Block `p` of `parts` of the interleaving of channels [ao, ao + count) of a and [bo, bo + count) of b, by index loops. */
function reference(a: number[], aC: number, ao: number, b: number[], bC: number, bo: number, rows: number, count: number, parts: number, p: number): number[] {
  const pairs = count / parts, out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = p * pairs; c < (p + 1) * pairs; c++) out.push(a[r * aC + ao + c], b[r * bC + bo + c]);
  }
  return out;
}

describe('interleaveChannels', () => {
  it.each([[1, 5], [2, 4], [2, 58], [4, 29]])('two tensors, %i block(s) of %i pairs: the index loop\'s values', (parts, pairs) => {
    const count = parts * pairs, lead = [2, 3, 5], rows = 30;
    const a = wave(rows * count, 0.1), b = wave(rows * count, 2.3);
    const ta = tensor(a, [...lead, count]), tb = tensor(b, [...lead, count]);
    const blocks = interleave({ t: ta, offset: 0 }, { t: tb, offset: 0 }, count, parts);
    expect(blocks).toHaveLength(parts);
    blocks.forEach((block, p) => {
      expect(block.shape).toEqual([...lead, 2 * pairs]);
      expect(Array.from(block.dataSync())).toEqual(reference(a, count, 0, b, count, 0, rows, count, parts, p));
      block.dispose();
    });
    ta.dispose(); tb.dispose();
  });

  it('the two halves of one tensor (a two-group shuffle of it), in halves', () => {
    const C = 22, rows = 7;
    const x = wave(rows * C, 0.7);
    const t = tensor(x, [rows, C]);
    const blocks = interleave({ t, offset: 0 }, { t, offset: C / 2 }, C / 2, 1);
    expect(Array.from(blocks[0].dataSync())).toEqual(reference(x, C, 0, x, C, C / 2, rows, C / 2, 1, 0));
    blocks[0].dispose(); t.dispose();
  });

  it('runs that do not fit: ShapeError', () => {
    const a = tensor(wave(12, 0), [3, 4]), b = tensor(wave(15, 0), [3, 5]), c = tensor(wave(16, 0), [4, 4]);
    expect(() => interleave({ t: a, offset: 1 }, { t: b, offset: 0 }, 4, 1)).toThrow(ShapeError);
    expect(() => interleave({ t: a, offset: 0 }, { t: c, offset: 0 }, 4, 1)).toThrow(ShapeError);
    expect(() => interleave({ t: a, offset: 0 }, { t: b, offset: 0 }, 4, 3)).toThrow(ShapeError);
    a.dispose(); b.dispose(); c.dispose();
  });

  it.skipIf(!haveDist)('on two threads: the one-thread bits', () => {
    const r = runChild(`
      await W.init({ threads: 2, simd: 'baseline' });
      const out = {};
      for (const rows of [10, 3001]) {
        const a = W.randn([rows, 116]), b = W.randn([rows, 116]);
        for (const parts of [1, 2]) {
          const bits = () => W._interleaveChannels({ t: a, offset: 0 }, { t: b, offset: 0 }, 116, parts).map((t) => Array.from(new Uint32Array(t.dataSync().buffer.slice(0))));
          W.setNumThreads(1); const one = bits();
          W.setNumThreads(2); const two = bits();
          const av = a.dataSync(), bv = b.dataSync(), pairs = 116 / parts;
          const ref = one.every((blk, p) => blk.every((u, k) => {
            const row = Math.floor(k / (2 * pairs)), c = p * pairs + ((k % (2 * pairs)) >> 1);
            return u === new Uint32Array(Float32Array.of(k % 2 ? bv[row * 116 + c] : av[row * 116 + c]).buffer)[0];
          }));
          out[rows + ' rows, ' + parts + ' parts'] = ref && one.length === parts && one.every((blk, p) => blk.length > 0 && blk.every((u, k) => u === two[p][k]));
        }
      }
      console.log(JSON.stringify({ threads: W.backendInfo().threads, out }));`, { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(res.threads).toBe(2);
    expect(Object.keys(res.out)).toHaveLength(4);
    expect(Object.entries(res.out).filter(([, same]) => !same)).toEqual([]);
  });
});
