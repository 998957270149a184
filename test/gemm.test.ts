// The raw GEMM kernel (assembly/gemm.ts) against the float64 reference: edge tiles for every
// M, N, K remainder, transposes, accumulate, bias, relu, padded strides, K/M/N blocking, the
// workspace bound, the small-M paths (B streamed unpacked for M <= 8, or as packed panels for
// M <= 3 with B transposed), and determinism (split rows or split K give bit-identical results;
// small-M rows equal the packed path's bit for bit).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { kernels, alloc, free, heapF32 } from '../src/backend/wasm.js';
import { gemmRef, gemmAbsRef, type GemmArgs } from './reference/gemm.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose, summationAtol } from './harness/close.js';

const GUARD = 16; // floats of sentinel after every buffer
const SENTINEL = -12345.5;

interface Case {
  transA: boolean; transB: boolean; M: number; N: number; K: number;
  padA?: number; padB?: number; padC?: number;
  accumulate?: boolean; bias?: boolean; relu?: boolean;
  /** Element offset of each matrix from its 16-byte aligned block (unaligned pointers). */
  offset?: number;
  seed?: number;
}

function makeArgs(t: Case): GemmArgs {
  const { transA, transB, M, N, K } = t;
  const lda = (transA ? M : K) + (t.padA ?? 0);
  const ldb = (transB ? K : N) + (t.padB ?? 0);
  const ldc = N + (t.padC ?? 0);
  const seed = t.seed ?? 1;
  return {
    transA, transB, M, N, K,
    a: randomValues((transA ? K : M) * lda, seed), lda,
    b: randomValues((transB ? N : K) * ldb, seed + 1), ldb,
    c: randomValues(M * ldc, seed + 2), ldc,
    accumulate: !!t.accumulate,
    bias: t.bias ? randomValues(N, seed + 3) : null,
    relu: !!t.relu,
  };
}

/** Copies the arguments into wasm memory (each buffer followed by a guard), runs the kernel, returns C. */
function runGemm(g: GemmArgs, offset = 0, opts: { rows?: [number, number][] } = {}): Float32Array {
  const k = kernels();
  const bufs: { ptr: number; bytes: number; n: number }[] = [];
  const put = (vals: ArrayLike<number> | null, n: number): number => {
    const bytes = (offset + n + GUARD) * 4;
    const ptr = alloc(bytes);
    bufs.push({ ptr, bytes, n });
    const h = heapF32();
    const base = (ptr >> 2) + offset;
    h.fill(SENTINEL, ptr >> 2, (ptr >> 2) + offset + n + GUARD);
    if (vals) h.set(Array.from(vals), base);
    return ptr + offset * 4;
  };
  const aPtr = put(g.a, g.a.length);
  const bPtr = put(g.b, g.b.length);
  const cPtr = put(g.c, g.c.length);
  const biasPtr = g.bias ? put(g.bias, g.bias.length) : 0;
  const wBytes = k.gemmWorkspaceBytes(g.M, g.N, g.K);
  expect(wBytes % 16).toBe(0);
  const wBlock = alloc(wBytes + GUARD * 4);
  heapF32().fill(SENTINEL, wBlock >> 2, (wBlock + wBytes) / 4 + GUARD);
  const call = (row0: number, rows: number) => k.gemm(+g.transA, +g.transB, rows, g.N, g.K,
    aPtr + (g.transA ? row0 : row0 * g.lda) * 4, g.lda, bPtr, g.ldb,
    cPtr + row0 * g.ldc * 4, g.ldc, +g.accumulate, biasPtr, g.relu ? 1 : 0, wBlock);
  for (const [row0, rows] of opts.rows ?? [[0, g.M]]) call(row0, rows);
  const h = heapF32();
  const out = h.slice(cPtr >> 2, (cPtr >> 2) + g.c.length);
  // Nothing outside C (nor the workspace bound) was written; the inputs are untouched.
  for (const [i, b] of bufs.entries()) {
    const start = (b.ptr >> 2);
    for (let j = 0; j < offset; j++) expect(h[start + j]).toBe(SENTINEL);
    for (let j = 0; j < GUARD; j++) expect(h[start + offset + b.n + j]).toBe(SENTINEL);
    if (i !== 2) {
      const src = [g.a, g.b, g.c, g.bias ?? []][i];
      const got = h.subarray(start + offset, start + offset + b.n);
      expect(got.every((v, j) => Object.is(v, Math.fround(src[j])))).toBe(true);
    }
  }
  for (let j = 0; j < GUARD; j++) expect(h[(wBlock + wBytes) / 4 + j]).toBe(SENTINEL);
  for (const b of bufs) free(b.ptr, b.bytes);
  free(wBlock, wBytes + GUARD * 4);
  return out;
}

/** Checks the M x N block against the reference (tolerance scaled to K and the terms' size) and that padding columns of C are untouched. */
function check(g: GemmArgs, got: Float32Array, label: string): void {
  const want = gemmRef(g);
  const scale = gemmAbsRef(g);
  const block: { got: number[]; want: number[]; scale: number[] } = { got: [], want: [], scale: [] };
  for (let m = 0; m < g.M; m++) {
    for (let n = 0; n < g.ldc; n++) {
      const i = m * g.ldc + n;
      if (n >= g.N) {
        if (got[i] !== Math.fround(g.c[i])) throw new Error(`${label}: padding C[${m},${n}] was overwritten`);
        continue;
      }
      block.got.push(got[i]); block.want.push(want[i]); block.scale.push(scale[i]);
    }
  }
  // index i of the message is C[floor(i / N), i % N]
  expectClose(block.got, block.want, { atol: summationAtol(block.scale, g.K, { unit: 2 ** -23, slack: 3, floor: 1e-30 }), what: label });
}

const name = (t: Case) =>
  `M=${t.M} N=${t.N} K=${t.K} tA=${+t.transA} tB=${+t.transB}` +
  `${t.accumulate ? ' acc' : ''}${t.bias ? ' bias' : ''}${t.relu ? ' relu' : ''}` +
  `${t.padA || t.padB || t.padC ? ` pad=${t.padA ?? 0},${t.padB ?? 0},${t.padC ?? 0}` : ''}${t.offset ? ` off=${t.offset}` : ''}`;

const runCase = (t: Case) => {
  const g = makeArgs(t);
  check(g, runGemm(g, t.offset ?? 0), name(t));
};

const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('gemm kernel: every M, N, K in 1..17 (edge tiles and k remainders)', () => {
  // One test per (transA, transB, M); inside, every N and K in 1..17 with the flags and stride
  // padding cycling so that each combination meets every remainder.
  const table = TRANS.flatMap(([transA, transB]) =>
    Array.from({ length: 17 }, (_, i) => ({ transA, transB, M: i + 1 })));
  it.each(table)('tA=$transA tB=$transB M=$M, N and K in 1..17', ({ transA, transB, M }) => {
    for (let N = 1; N <= 17; N++) {
      for (let K = 1; K <= 17; K++) {
        const h = M * 31 + N * 7 + K * 3;
        runCase({
          transA, transB, M, N, K,
          accumulate: (h & 1) === 1, bias: (h & 2) === 2, relu: (h & 4) === 4,
          padA: h % 3, padB: (h >> 1) % 3, padC: (h >> 2) % 3, offset: h % 5 === 0 ? 1 : 0, seed: h,
        });
      }
    }
  });
});

describe('gemm kernel: named cases', () => {
  const cases: Case[] = [
    // K = 0: only the epilogue runs.
    { transA: false, transB: false, M: 3, N: 5, K: 0 },
    { transA: false, transB: false, M: 3, N: 5, K: 0, accumulate: true, bias: true, relu: true },
    { transA: true, transB: true, M: 5, N: 9, K: 0, bias: true },
    // Exactly one tile, one tile plus one of each remainder.
    { transA: false, transB: false, M: 4, N: 8, K: 1 },
    { transA: false, transB: false, M: 5, N: 9, K: 5, accumulate: true, bias: true, relu: true },
    // Vectors: a row times a matrix, a matrix times a column, an outer product, a dot product.
    { transA: false, transB: false, M: 1, N: 37, K: 29 },
    { transA: false, transB: false, M: 37, N: 1, K: 29, bias: true },
    { transA: false, transB: false, M: 23, N: 19, K: 1 },
    { transA: true, transB: true, M: 1, N: 1, K: 301 },
    // K across the k-block (KC = 128), N across the column block (NC = 1024).
    { transA: false, transB: false, M: 9, N: 10, K: 128, bias: true, relu: true },
    { transA: false, transB: false, M: 9, N: 10, K: 129, accumulate: true, bias: true, relu: true },
    { transA: true, transB: false, M: 11, N: 16, K: 256, accumulate: true, relu: true },
    { transA: true, transB: false, M: 7, N: 12, K: 600, bias: true, relu: true },
    { transA: false, transB: true, M: 7, N: 12, K: 1000, accumulate: true, padA: 3, padB: 5, padC: 2 },
    { transA: false, transB: false, M: 131, N: 13, K: 40, relu: true },
    { transA: true, transB: true, M: 260, N: 11, K: 33, bias: true, padA: 1, padB: 2, padC: 3, offset: 1 },
    { transA: false, transB: false, M: 6, N: 1031, K: 9, bias: true, relu: true, padC: 1 },
    { transA: true, transB: true, M: 133, N: 1041, K: 261, accumulate: true, bias: true, relu: true },
    // Conv-like: many rows, few columns (M = N*Ho*Wo, N = Cout).
    { transA: false, transB: false, M: 2 * 13 * 13, N: 6, K: 3 * 3 * 3, bias: true, relu: true },
  ];
  it.each(cases.map((c) => [name(c), c] as const))('%s', (_n, c) => runCase(c));

  it('relu keeps NaN (as the scalar kernels do) and clamps -Infinity to 0', () => {
    const g = makeArgs({ transA: false, transB: false, M: 5, N: 9, K: 3, relu: true });
    const a = Array.from(g.a);
    a[0] = NaN; // row 0: every output NaN
    const b = Array.from(g.b);
    for (let n = 0; n < g.N; n++) b[n] = 0; // k = 0 row of B is 0 ...
    b[2] = -Infinity; // ... except column 2
    a[1 * g.lda] = 1; // so row 1, column 2 is -Infinity before relu
    const got = runGemm({ ...g, a, b });
    for (let n = 0; n < g.N; n++) expect(got[n]).toBeNaN();
    expect(got[1 * g.ldc + 2]).toBe(0);
  });
});

// M <= SMALL_M (8) with B not transposed runs gemmSmallM: row groups of up to 4 rows, column
// blocks of 24 / 16 / 8 and a partial-lane tail. N covers every block mix and tail width.
describe('gemm kernel: small-M path (B streamed unpacked)', () => {
  const Ns = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 48, 49, 57, 64, 71];
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9].map((M) => [M]))('M=%i against the float64 reference, every column-block mix', (M) => {
    for (const transA of [false, true]) {
      for (const N of Ns) {
        const K = 1 + ((M * 13 + N * 5) % 40);
        const h = M * 7 + N;
        runCase({
          transA, transB: false, M, N, K,
          accumulate: (h & 1) === 1, bias: (h & 2) === 2, relu: (h & 4) === 4,
          padA: h % 3, padB: (h >> 1) % 3, padC: (h >> 2) % 3, offset: h % 5 === 0 ? 1 : 0, seed: h,
        });
      }
    }
  });

  it.each([
    // the MNIST CNN's dense layers at batch 1, and long K across several k-blocks of the packed path
    { transA: false, transB: false, M: 1, N: 128, K: 3136, bias: true, relu: true },
    { transA: false, transB: false, M: 1, N: 10, K: 128, bias: true },
    { transA: false, transB: false, M: 3, N: 130, K: 700, accumulate: true, bias: true, relu: true, padB: 5, padC: 3 },
    { transA: true, transB: false, M: 8, N: 77, K: 513, accumulate: true, relu: true, padA: 2, offset: 1 },
    // rows past the last full tile (49 = 12 x 4 + 1 baseline, 8 x 6 + 1 relaxed) are streamed too
    { transA: false, transB: false, M: 49, N: 64, K: 32, bias: true, relu: true, padA: 480 },
    { transA: true, transB: false, M: 23, N: 45, K: 300, accumulate: true, bias: true },
  ].map((c) => [name(c), c] as const))('%s', (_n, c) => runCase(c));

  // 1-3 rows with B transposed: packed 8-column panels streamed by the same small kernels.
  it.each([1, 2, 3].map((M) => [M]))('B transposed, M=%i against the float64 reference', (M) => {
    for (const transA of [false, true]) {
      for (const N of Ns) {
        const K = [1, 5, 33, 129, 300][(M + N) % 5];
        const h = M * 11 + N;
        runCase({
          transA, transB: true, M, N, K,
          accumulate: (h & 1) === 1, bias: (h & 2) === 2, relu: (h & 4) === 4,
          padA: h % 3, padB: (h >> 1) % 3, padC: (h >> 2) % 3, offset: h % 5 === 0 ? 1 : 0, seed: h,
        });
      }
    }
  });
});

describe('gemm kernel: determinism', () => {
  const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

  it.each(TRANS)('rows split across calls (as threads will) give bit-identical C (tA=%s tB=%s)', (transA, transB) => {
    const g = makeArgs({ transA, transB, M: 61, N: 45, K: 300, bias: true, relu: true, accumulate: true, padA: 1, padB: 2 });
    const whole = runGemm(g);
    const split = runGemm(g, 0, { rows: [[0, 17], [17, 1], [18, 30], [48, 13]] });
    expect(bits(split)).toEqual(bits(whole));
  });

  it.each(TRANS)('small-M row groups equal the packed path bit for bit (tA=%s tB=%s)', (transA, transB) => {
    // M = 40 runs the packed path (K = 300 spans three k-blocks); the same rows computed by calls
    // of 1..8 rows (1..3 with B transposed) run the small-M path, whose blocks and tail cover
    // every column of N = 61.
    const g = makeArgs({ transA, transB, M: 40, N: 61, K: 300, bias: true, relu: true, accumulate: true, padA: 1, padB: 3, padC: 2 });
    const packed = runGemm(g);
    const rows: [number, number][] = [];
    const most = transB ? 3 : 8;
    for (let m0 = 0, n = 1; m0 < g.M; m0 += n, n = n % most + 1) rows.push([m0, Math.min(n, g.M - m0)]);
    const small = runGemm(g, 0, { rows });
    expect(bits(small)).toEqual(bits(packed));
  });

  it('a one-row product equals that row of a batch product (batch-1 inference = row of batch 64)', () => {
    const g = makeArgs({ transA: false, transB: false, M: 64, N: 128, K: 3136, bias: true, relu: true });
    const batch = runGemm(g);
    for (const m of [0, 1, 37, 63]) {
      const one = runGemm({ ...g, M: 1, a: Array.from(g.a).slice(m * g.lda, (m + 1) * g.lda), c: Array.from(g.c).slice(m * g.ldc, (m + 1) * g.ldc) });
      expect(bits(one)).toEqual(bits(batch.slice(m * g.ldc, (m + 1) * g.ldc)));
    }
  });

  it('splitting K into two accumulating calls gives bit-identical C (no bias)', () => {
    const M = 13, N = 21, K = 531, K1 = 200;
    const g = makeArgs({ transA: false, transB: false, M, N, K });
    const whole = runGemm({ ...g, accumulate: true });
    // First call: A[:, 0:K1] · B[0:K1, :]; second: A[:, K1:] · B[K1:, :] accumulated.
    const a1 = [], a2 = [];
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) (k < K1 ? a1 : a2).push(g.a[m * K + k]);
    }
    const first = runGemm({ ...g, K: K1, a: a1, lda: K1, b: Array.from(g.b).slice(0, K1 * N), accumulate: true });
    const second = runGemm({ ...g, K: K - K1, a: a2, lda: K - K1, b: Array.from(g.b).slice(K1 * N), c: first, accumulate: true });
    expect(bits(second)).toEqual(bits(whole));
  });

  it('padded strides and unaligned pointers do not change a single bit', () => {
    const t: Case = { transA: false, transB: false, M: 19, N: 27, K: 70, bias: true };
    const g = makeArgs(t);
    const base = runGemm(g);
    const gp = makeArgs({ ...t, padA: 3, padB: 1, padC: 0 });
    // Same logical values, laid out with padded rows.
    const a = new Array(gp.a.length).fill(0), b = new Array(gp.b.length).fill(0);
    for (let m = 0; m < t.M; m++) for (let k = 0; k < t.K; k++) a[m * gp.lda + k] = g.a[m * g.lda + k];
    for (let k = 0; k < t.K; k++) for (let n = 0; n < t.N; n++) b[k * gp.ldb + n] = g.b[k * g.ldb + n];
    const padded = runGemm({ ...g, a, lda: gp.lda, b, ldb: gp.ldb }, 3);
    expect(bits(padded)).toEqual(bits(base));
  });
});

describe('gemm kernel: properties (fast-check)', () => {
  it('random shapes, transposes, strides, flags match the float64 reference', () => {
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 70 }), N: fc.integer({ min: 1, max: 70 }), K: fc.integer({ min: 0, max: 90 }),
      transA: fc.boolean(), transB: fc.boolean(), accumulate: fc.boolean(), bias: fc.boolean(), relu: fc.boolean(),
      padA: fc.integer({ min: 0, max: 5 }), padB: fc.integer({ min: 0, max: 5 }), padC: fc.integer({ min: 0, max: 5 }),
      offset: fc.integer({ min: 0, max: 3 }), seed: fc.integer({ min: 1, max: 1 << 20 }),
    });
    fc.assert(fc.property(arb, (t) => { runCase(t); }), { numRuns: 150, seed: 20240611 });
  });

  it('occasional large K (several k-blocks) with tall or wide shapes', () => {
    const arb = fc.record({
      M: fc.integer({ min: 1, max: 40 }), N: fc.integer({ min: 1, max: 40 }), K: fc.integer({ min: 250, max: 800 }),
      transA: fc.boolean(), transB: fc.boolean(), accumulate: fc.boolean(), bias: fc.boolean(), relu: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1 << 20 }),
    });
    fc.assert(fc.property(arb, (t) => { runCase(t); }), { numRuns: 25, seed: 7 });
  });
});
