// One-row products (batch-1 dense layers) stream B row by row (assembly/gemv.ts, or gemv-t.ts for B
// stored [N, K], via the host gemm): the result must have the raw gemm kernel's bits (its small-M path) for every N and K
// remainder, transposed A, accumulate, bias and relu, and be the product (float64 reference);
// on two threads (a child process on the built dist/) it must give the one-thread bits.
import { describe, it, expect } from 'vitest';
import { kernels, alloc, free, heapF32, workspace, WorkspaceSlot } from '../src/backend/wasm.js';
import { gemm as hostGemm } from '../src/backend/gemm.js';
import { Activation } from '../src/backend/kernels.generated.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose, summationAtol } from './harness/close.js';
import { runChild, haveDist } from './harness/child.js';

interface Case { N: number; K: number; transA?: boolean; transB?: boolean; accumulate?: boolean; bias?: boolean; relu?: boolean }

const LDA_T = 3; // transposed A is stored [K, M] with row stride 3 (M = 1)

/** The inputs of a case: A's storage, B [K, N] (or [N, K] when transB), C's start and the bias. */
function inputs(t: Case) {
  const aLen = t.transA ? t.K * LDA_T : t.K;
  return { A: randomValues(aLen, 3), B: randomValues(t.K * t.N, 4), C: randomValues(t.N, 5), bias: randomValues(t.N, 6) };
}

/** C after one-row gemm, through the host (gemvRowB) or the raw kernel (its small-M path). */
function run(t: Case, useHost: boolean): Float32Array {
  const { N, K } = t;
  const v = inputs(t);
  const lda = t.transA ? LDA_T : K, ldb = t.transB ? K : N;
  const ptrs = [v.A, v.B, v.C, v.bias].map((x) => { const p = alloc(x.length * 4); heapF32().set(x, p / 4); return p; });
  const [a, b, c, bias] = ptrs;
  const act = t.relu ? Activation.Relu : Activation.None;
  if (useHost) {
    hostGemm(!!t.transA, !!t.transB, 1, N, K, a, lda, b, ldb, c, N, !!t.accumulate, t.bias ? bias : 0, act);
  } else {
    const work = workspace(kernels().gemmWorkspaceBytes(1, N, K), WorkspaceSlot.Work);
    kernels().gemm(t.transA ? 1 : 0, t.transB ? 1 : 0, 1, N, K, a, lda, b, ldb, c, N, t.accumulate ? 1 : 0, t.bias ? bias : 0, act, work);
  }
  const out = heapF32().slice(c / 4, c / 4 + N);
  for (const p of ptrs) free(p);
  return out;
}

function reference(t: Case): number[] {
  const v = inputs(t);
  return Array.from({ length: t.N }, (_, n) => {
    let s = (t.accumulate ? v.C[n] : 0) + (t.bias ? v.bias[n] : 0);
    for (let k = 0; k < t.K; k++) s += v.A[t.transA ? k * LDA_T : k] * v.B[t.transB ? n * t.K + k : k * t.N + n];
    return t.relu ? Math.max(s, 0) : s;
  });
}

function scale(t: Case): number[] {
  const v = inputs(t);
  return Array.from({ length: t.N }, (_, n) => {
    let s = (t.accumulate ? Math.abs(v.C[n]) : 0) + (t.bias ? Math.abs(v.bias[n]) : 0);
    for (let k = 0; k < t.K; k++) s += Math.abs(v.A[t.transA ? k * LDA_T : k] * v.B[t.transB ? n * t.K + k : k * t.N + n]);
    return s;
  });
}

const CASES: Case[] = [
  { N: 4096, K: 64 }, { N: 1000, K: 257, bias: true, relu: true }, { N: 1002, K: 130, accumulate: true, bias: true },
  { N: 61, K: 2049, relu: true }, { N: 16, K: 4099, transA: true, bias: true }, { N: 36, K: 4096, transA: true, accumulate: true, relu: true },
  { N: 1000, K: 259, transB: true, bias: true, relu: true }, { N: 1002, K: 128, transB: true, accumulate: true, bias: true },
  { N: 61, K: 2050, transB: true, relu: true }, { N: 16, K: 4099, transA: true, transB: true, bias: true },
];

const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer.slice(0)));

describe('one-row gemm (gemvRowB, gemvRowBT)', () => {
  it.each(CASES)('N $N, K $K, transA $transA, accumulate $accumulate, bias $bias, relu $relu: the gemm kernel bits, and the product', (t) => {
    const got = run(t, true);
    expect(bitsOf(got)).toEqual(bitsOf(run(t, false)));
    expectClose(got, reference(t), { atol: summationAtol(scale(t), t.K + 2), what: 'gemv vs float64' });
  });

  it.skipIf(!haveDist)('two threads give the one-thread bits (matmul of one row, a dense layer at batch 1)', () => {
    const r = runChild(`
      await W.init({ threads: 2, simd: 'baseline' });
      const out = {};
      for (const [K, N] of [[9216, 4096], [1000, 1002], [4099, 16]]) {
        const x = W.randn([1, K]), w = W.randn([K, N]), wt = W.randn([N, K]), b = W.randn([N]);
        const bits = (y) => Array.from(new Uint32Array(y.dataSync().buffer.slice(0)));
        const same = (p, q) => p.length === q.length && p.every((v, i) => v === q[i]);
        W.setNumThreads(1); const one = bits(W.ops.matmul(x, w)), oneT = bits(W.ops.matmul(x, wt, { transposeB: true }));
        W.setNumThreads(2); const two = bits(W.ops.matmul(x, w)), twoT = bits(W.ops.matmul(x, wt, { transposeB: true }));
        out[K + 'x' + N] = same(one, two) && same(oneT, twoT);
      }
      console.log(JSON.stringify({ threads: W.backendInfo().threads, out }));`, { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\\n').pop()!);
    expect(res.threads).toBe(2);
    expect(res.out).toEqual({ '9216x4096': true, '1000x1002': true, '4099x16': true });
  });
});
