// Elementwise ops split their element (or row) ranges over the worker pool above a size
// threshold: on two threads they must give the one-thread bits (a child process on the built
// dist/), for unary ops, same-shape, scalar and row-broadcast binary ops, below and above the
// threshold and with a length that is not a multiple of the split alignment.
import { describe, it, expect } from 'vitest';
import { runChild, haveDist } from './harness/child.js';

describe('elementwise ops on two threads', () => {
  it.skipIf(!haveDist)('give the one-thread bits', () => {
    const r = runChild(`
      await W.init({ threads: 2, simd: 'baseline' });
      const { ops } = W;
      const out = {};
      for (const n of [1000, 262144 * 2 + 7]) {
        const a = W.randn([n]), b = W.randn([n]);
        const rows = W.randn([Math.floor(n / 37), 37]), vec = W.randn([37]);
        const fns = {
          sigmoid: () => ops.sigmoid(a), relu: () => ops.relu(a), clip: () => ops.clip(a, -0.5, 0.5), gelu: () => ops.gelu(a),
          add: () => ops.add(a, b), mul: () => ops.mul(a, b), scalar: () => ops.mul(a, 3), scalarFirst: () => ops.sub(2, a),
          rows: () => ops.add(rows, vec), rowsFirst: () => ops.div(vec, rows),
        };
        for (const [name, f] of Object.entries(fns)) {
          const bits = () => Array.from(new Uint32Array(f().dataSync().buffer.slice(0)));
          W.setNumThreads(1); const one = bits();
          W.setNumThreads(2); const two = bits();
          out[name + ' ' + n] = one.length > 0 && one.every((v, i) => v === two[i]);
        }
      }
      console.log(JSON.stringify({ threads: W.backendInfo().threads, out }));`, { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\\n').pop()!);
    expect(res.threads).toBe(2);
    expect(Object.keys(res.out)).toHaveLength(20);
    expect(Object.entries(res.out).filter(([, same]) => !same)).toEqual([]);
  });
});
