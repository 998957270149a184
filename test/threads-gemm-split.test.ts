// GEMMs with fewer rows than columns (batch-1 pointwise convs on 7x7 / 14x14 maps, small-batch
// matmuls) split their output columns over the pool: each thread runs the kernel on all rows and
// its own columns. On two threads they must give the one-thread bits, the same bits as the row
// split, and the naive float64 product under the reduction tolerance. The child records the GEMM
// jobs the pool runs, so a case that stops taking the column split fails here.
import { describe, it, expect } from 'vitest';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild, haveDist } from './harness/child.js';
import { reductionTolerance } from './harness/close.js';

const distFile = (p: string) => pathToFileURL(fileURLToPath(new URL(`../dist/${p}`, import.meta.url))).href;

interface CaseResult { sameBits: boolean; sameAsRows: boolean; worst: number; k: number; jobs: number[][][]; rows: number; cols: number }

describe('GEMM column split on two threads', () => {
  it.skipIf(!haveDist)('pointwise convs and matmuls with more columns than rows: one-thread bits, row-split bits, float64 reference', () => {
    const r = runChild(`
      const { backend, kernels } = await import(${JSON.stringify(distFile('backend/wasm.js'))});
      const { splitTuning } = await import(${JSON.stringify(distFile('backend/parallel.js'))});
      await W.init({ threads: 2, simd: 'baseline' });
      const { ops } = W;
      const pool = backend().pool;
      const run = pool.run.bind(pool);
      let jobs = [];
      // gemm(transA, transB, M, N, K, ...): record M and N of each thread's part.
      pool.run = (kernel, parts) => { if (kernel === kernels().gemm) jobs.push(parts.map((a) => [a[2], a[3]])); run(kernel, parts); };
      const seeded = (n, seed) => { let s = seed >>> 0; return Float32Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 - 0.5; }); };
      const cases = {
        'pointwise 7x7x256 -> 520, bias': { x: [1, 7, 7, 256], w: [1, 1, 256, 520], bias: true },
        'pointwise 14x14x128 -> 330': { x: [1, 14, 14, 128], w: [1, 1, 128, 330], bias: false },
        'matmul 49x300 . 300x203': { x: [49, 300], w: [300, 203], bias: false },
      };
      const out = {};
      for (const [name, c] of Object.entries(cases)) {
        const xs = seeded(c.x.reduce((a, b) => a * b), 1), ws = seeded(c.w.reduce((a, b) => a * b), 2);
        const K = c.w[c.w.length - 2], N = c.w[c.w.length - 1], M = xs.length / K;
        const bs = c.bias ? seeded(N, 3) : null;
        const x = W.tensor(xs, c.x), w = W.tensor(ws, c.w), b = bs ? W.tensor(bs, [N]) : null;
        const f = () => (c.x.length === 4 ? ops.conv2d(x, w, b) : ops.matmul(x, w)).dataSync().slice();
        W.setNumThreads(1); const one = f();
        W.setNumThreads(2); jobs = []; const two = f(); const seen = jobs; jobs = [];
        splitTuning.gemmColumnsWhenWider = false; const rows = f(); splitTuning.gemmColumnsWhenWider = true;
        let worst = 0;
        for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
          let s = bs ? bs[n] : 0;
          for (let k = 0; k < K; k++) s += xs[m * K + k] * ws[k * N + n];
          worst = Math.max(worst, Math.abs(two[m * N + n] - s));
        }
        const bits = (a) => new Uint32Array(a.buffer);
        out[name] = {
          sameBits: bits(one).every((v, i) => v === bits(two)[i]),
          sameAsRows: bits(rows).every((v, i) => v === bits(two)[i]),
          worst, k: K, jobs: seen, rows: M, cols: N,
        };
      }
      console.log(JSON.stringify({ threads: W.backendInfo().threads, out }));`, { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { threads: number; out: Record<string, CaseResult> };
    expect(res.threads).toBe(2);
    expect(Object.keys(res.out)).toHaveLength(3);
    for (const [name, c] of Object.entries(res.out)) {
      // Each GEMM job: two parts, each with every row, their columns adding up to all columns.
      expect(c.jobs.length, name).toBeGreaterThan(0);
      for (const job of c.jobs) {
        expect(job.map(([m]) => m), name).toEqual([c.rows, c.rows]);
        expect(job[0][1] + job[1][1], name).toBe(c.cols);
      }
      expect(c.sameBits, name).toBe(true);
      expect(c.sameAsRows, name).toBe(true);
      expect(c.worst, name).toBeLessThanOrEqual(reductionTolerance(c.k).atol);
    }
  });
});
