#!/usr/bin/env node
// Generates assembly/gemm.ts: the packed, register-tiled WASM SIMD GEMM. AssemblyScript needs
// load/store offsets and lane indices as compile-time constants, so the MR x 8 micro-kernels,
// the unrolled A packing and the 4x4 transposes of the B packing are written out here.
//
//   node scripts/gen-gemm.mjs            writes assembly/gemm.ts
//   node scripts/gen-gemm.mjs --stdout   prints it instead
//   tuning options: --kc=128 --nc=1024 --mr-baseline=5 --mr-relaxed=6 --small-m=8 --small-w=24,16,8,8
//
// Design, measured on Node 20 / V8 (x64, 15 allocatable xmm registers for wasm):
// - C tile in registers: MR rows x 8 columns = 2*MR v128 accumulators. Per k: two B vectors,
//   then per row one A broadcast and two multiply-adds, so 2*MR + 2 + 1 registers are live.
//   Baseline (mul + add, which needs a temporary for the product): MR = 5 (14 registers), its
//   k loop rolled (unrolled, a step's hoisted loads spill: 1.3x slower). It beats the unrolled
//   MR = 4 kernel (below) by 8-12% on conv- and MLP-shaped products (784x192x768,
//   3136x256x128, 49x768x3072; both builds in one process, round-robin): 10 multiply-adds per
//   A/B load group instead of 8 outweigh the loop overhead. MR = 6 spills (0.8x). Relaxed (one fused relaxed_madd): MR = 6 (15
//   registers, no spill); 12 independent FMA chains hide the FMA latency that 8 chains do not
//   (measured 8 chains: 87% of the 12-chain peak).
// - A is packed pre-broadcast (each value stored as a v128 of four copies), so the micro-kernel
//   reads it with plain v128 loads: load32_splat costs an extra shuffle-port op per value
//   (baseline: 80% -> 90% of peak), and V8 folds the constant offsets of plain loads.
// - Kernels of at most 4 rows (the 4-row tail panel) are unrolled over k (KU = 8 steps) with
//   an exit test after every step. A plain unrolled body
//   is 1.5-2x slower: TurboFan emits all its loads first and Binaryen fuses the steps into one
//   expression per accumulator, so it spills. The exit branches make each step its own basic
//   block (its loads then its 16 mul/add). What the unrolling saves is loop overhead: the rolled
//   4x8 loop issues 28 instructions per k step for 16 mul/add (6 loads, 2 pointer bumps, 2
//   zero-extensions, V8's stack check, the loop test), the unrolled one ~23.6. On a quiet core
//   the FP ports bound both (93% of peak); when the core's SMT sibling is busy (a shared cloud
//   vCPU) the front end is halved and instruction count is the bound: 65% -> 77% of peak at
//   512^3, +5-17% on the conv-shaped products (measured side by side). The relaxed
//   6x8 kernel cannot unroll this way (a step's 12 accumulators + 8 loads exceed 15 registers).
// - Loop order: for each KC x NC block of packed B, for each MR-row A micro-panel (packed just
//   in time, KC x MR x 16 bytes, stays in L1), for each 8-column B micro-panel (from L2).
// - M remainder rows (fewer than a tile) go to the small-M path when B is not transposed
//   (0.8-0.9x the time on shapes like 49x32x64, the Winograd products of a batch-1 conv).
// - Edge tiles (N remainder, or M remainder with B transposed) run the same micro-kernel on a
//   zeroed scratch tile. Handling them inside the micro-kernel (rows aliased to the last real
//   row, partial lane loads/stores) is slower: partial stores after the loop make TurboFan
//   schedule every load of the k loop first (spills, 2x slower), and storing through a
//   selected pointer costs ~10% on full tiles.
// - Every micro-kernel has two call sites (full tiles and edgeTile): Binaryen inlines a function
//   with a single caller into gemm, where its k loop gets reordered and spills (2x slower).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const opt = Object.fromEntries(process.argv.slice(2).filter((s) => s.startsWith('--') && s.includes('='))
  .map((s) => s.slice(2).split('=')));
const NR = 8;                              // columns of the C tile: two v128 of B per k
const KC = +(opt.kc ?? 128);               // k-block: A micro-panel KC*MR*16 bytes (L1)
const NC = +(opt.nc ?? 1024);              // columns of B packed at once: KC*NC*4 bytes (L2)
const MRB = +(opt['mr-baseline'] ?? 5);    // tile rows, baseline build
const MRR = +(opt['mr-relaxed'] ?? 6);     // tile rows, relaxed build
const MRT = 4;                             // tile rows of a short last panel (<= 4 rows left)
const SMALL_M = +(opt['small-m'] ?? 8);    // M at or below which B is streamed unpacked (gemmSmallM)
const KU = +(opt['k-unroll'] ?? 8);        // k steps per loop iteration of the micro-kernels of <= 4 rows
const SMR = 4;                             // rows per group in gemmSmallM
// Widest column block of the small-M kernel for 1..SMR rows (narrower ones fall back to 8 columns).
const SW = (opt['small-w'] ?? '24,16,8,8').split(',').map(Number);
if (SW.length !== SMR || SW.some((w) => w % 4 || w < NR)) throw new Error('bad --small-w');
if (NC % NR || KC < 1 || MRB < MRT || MRR < MRT) throw new Error('bad blocking');
const tileRows = [...new Set([MRT, MRB, MRR])].sort((x, y) => x - y);

const cols = (j) => [0, 1, 2, 3].map((l) => (j * 4 + l).toString(16).toUpperCase()).join(''); // 0123, 4567
const nv = NR / 4; // v128 per tile row
const acc = (r, j) => `vacc${r}x${cols(j)}`;
const lines = (n, f) => Array.from({ length: n }, (_, i) => f(i)).flat();
const ind = (s, n) => s.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

// k steps per micro-kernel loop iteration. TurboFan emits each step's loads at the top of its
// basic block, so a step of an MR x 8 kernel holds 2*MR accumulators + MR + 2 loaded vectors +
// one product: MR <= 4 fits the 15 registers, MR = 6 (relaxed) would spill and stays rolled.
const kSteps = (MR) => (3 * MR + 3 <= 15 ? KU : 1);

// One k step of the MR x 8 micro-kernel (u: step within an unrolled body).
const kstep = (MR, u) => [
  ...lines(nv, (j) => `const vb${cols(j)}_${u} = v128.load(bp, ${u * NR * 4 + j * 16});`),
  ...lines(MR, (r) => [
    `const va${r}_${u} = v128.load(ap, ${u * MR * 16 + r * 16});`,
    ...lines(nv, (j) => `${acc(r, j)} = madd(va${r}_${u}, vb${cols(j)}_${u}, ${acc(r, j)});`),
  ]),
].join('\n');

// The MR x 8 micro-kernel.
const ukernel = (MR) => `
/**
 * ${MR}x${NR} micro-kernel: C tile = init + Ap · Bp, then relu if asked.
 *   ap: kc x ${MR} packed A (k-major, each value pre-broadcast to a v128); bp: kc x ${NR} packed B.
 *   c: the tile's top-left, rows ldcBytes apart; init = (loadC ? C tile : 0) + (bias ? bias[0:${NR}] : 0).
 * Each C element is summed in k order in one f32 lane, so results do not depend on blocking.
 */
function ukernel${MR}x${NR}(kc: i32, ap: usize, bp: usize, c: usize, ldcBytes: usize,
                   loadC: bool, bias: usize, relu: bool): void {
  assert(kc > 0);
${ind(lines(MR, (r) => `const c${r} = ${r === 0 ? 'c' : `c${r - 1} + ldcBytes`};`).join('\n'), 2)}
  const vzero = f32x4.splat(0);
${ind(lines(MR, (r) => lines(nv, (j) => `let ${acc(r, j)} = vzero;`)).join('\n'), 2)}
  if (loadC) {
${ind(lines(MR, (r) => lines(nv, (j) => `${acc(r, j)} = v128.load(c${r}, ${j * 16});`)).join('\n'), 4)}
  }
  if (bias != 0) {
${ind(lines(nv, (j) => `const vbias${cols(j)} = v128.load(bias, ${j * 16});`).join('\n'), 4)}
${ind(lines(MR, (r) => lines(nv, (j) => `${acc(r, j)} = f32x4.add(${acc(r, j)}, vbias${cols(j)});`)).join('\n'), 4)}
  }
${kSteps(MR) > 1 ? `  // ${kSteps(MR)} k steps per iteration, each followed by its own exit test (see KU).
  const apEnd = ap + <usize>kc * ${MR * 16};
${ind(lines(kSteps(MR) - 1, (u) => `const apEnd${u + 1} = apEnd - ${(u + 1) * MR * 16};`).join('\n'), 2)}
  while (true) {
${ind(lines(kSteps(MR), (u) => [kstep(MR, u), u < kSteps(MR) - 1 ? `if (ap == apEnd${u + 1}) break;`
  : `ap += ${kSteps(MR) * MR * 16};\nbp += ${kSteps(MR) * NR * 4};\nif (ap == apEnd) break;`].join('\n')).join('\n'), 4)}
  }` : `  const apEnd = ap + <usize>kc * ${MR * 16};
  do {
${ind(kstep(MR, 0), 4)}
    ap += ${MR * 16};
    bp += ${NR * 4};
  } while (ap != apEnd);`}
  if (relu) {
    // pmax(x, 0) = x < 0 ? 0 : x: one maxps, and NaN stays NaN as in the scalar reference.
${ind(lines(MR, (r) => lines(nv, (j) => `${acc(r, j)} = f32x4.pmax(${acc(r, j)}, vzero);`)).join('\n'), 4)}
  }
${ind(lines(MR, (r) => lines(nv, (j) => `v128.store(c${r}, ${acc(r, j)}, ${j * 16});`)).join('\n'), 2)}
}
`;

// Full A micro-panel of MR rows, unrolled over the rows.
const packA = (MR) => `
/** Packs the full ${MR}-row A micro-panel at src (element (r, k) at src + r*mStep + k*kStep), pre-broadcast. */
function packA${MR}(src: usize, mStep: usize, kStep: usize, kc: i32, panel: usize): void {
${ind(lines(MR, (r) => `let s${r} = src${r ? ` + ${r} * mStep` : ''};`).join('\n'), 2)}
  const end = panel + <usize>kc * ${MR * 16};
  let p = panel;
  do {
${ind(lines(MR, (r) => [`v128.store(p, v128.load32_splat(s${r}), ${r * 16});`, `s${r} += kStep;`]).join('\n'), 4)}
    p += ${MR * 16};
  } while (p != end);
}
`;

// 4x4 transpose of rows r0..r3 into columns t0..t3 (t_i = [r0[i], r1[i], r2[i], r3[i]]).
const transpose4 = (src, dst) => `const ${dst}lo01 = v128.shuffle<f32>(${src}0, ${src}1, 0, 4, 1, 5);
const ${dst}lo23 = v128.shuffle<f32>(${src}2, ${src}3, 0, 4, 1, 5);
const ${dst}hi01 = v128.shuffle<f32>(${src}0, ${src}1, 2, 6, 3, 7);
const ${dst}hi23 = v128.shuffle<f32>(${src}2, ${src}3, 2, 6, 3, 7);
const ${dst}0 = v128.shuffle<f32>(${dst}lo01, ${dst}lo23, 0, 1, 4, 5);
const ${dst}1 = v128.shuffle<f32>(${dst}lo01, ${dst}lo23, 2, 3, 6, 7);
const ${dst}2 = v128.shuffle<f32>(${dst}hi01, ${dst}hi23, 0, 1, 4, 5);
const ${dst}3 = v128.shuffle<f32>(${dst}hi01, ${dst}hi23, 2, 3, 6, 7);`;

// Dispatch on a panel's row count (a compile-time choice in the baseline build: one kernel).
const dispatch = (fn, args) => {
  const [first, ...rest] = tileRows;
  const call = (mr) => `${fn(mr)}(${args});`;
  if (MRB === MRR) {
    return tileRows.length === 1 ? call(first)
      : tileRows.slice(0, -1).map((mr) => `if (rows == ${mr}) ${call(mr)}\nelse `).join('') + call(tileRows[tileRows.length - 1]);
  }
  const chain = (set) => set.slice(0, -1).map((mr) => `if (rows == ${mr}) ${call(mr)}\n  else `).join('') + call(set[set.length - 1]);
  const relaxedSet = [...new Set([MRT, MRR])];
  const baseSet = [...new Set([MRT, MRB])];
  void first; void rest;
  return `if (ASC_FEATURE_RELAXED_SIMD) {\n  ${chain(relaxedSet)}\n} else {\n  ${chain(baseSet)}\n}`;
};

// Small M (batch-1 inference, thin row slices): packing B costs more than the product (with
// packing, the dense 3136x128 layer at M = 1 spends most of its time repacking 1.6 MB of B and
// running the 4-row kernel on 3 zero rows). gemmSmallM reads B where it lies instead: groups of up to SMR rows,
// each streaming B once, in R x W column blocks. Each C element is one serial chain of K
// multiply-adds, so a block needs enough chains (accumulators) to hide the add/FMA latency:
// measured (M x 3136 x 128, both builds) 1x24 beats 1x16 by 5-20% and 1x32 spills (+30%);
// 2x16 takes 0.6-0.7x the time of 2x8; 3 or 4 rows x 16 would spill. Against packing, the
// streamed path wins up to M = 8 (0.6-0.8x the time) and breaks even around M = 12-16.
// With B transposed it cannot be streamed as stored (a column of op(B) is strided): 1-3 rows
// run the R x 8 kernels on packed B panels instead (gemmSmallMTransB). Transposing B blocks
// row-major so that the wider kernels apply is 1.5-6x slower (strided stores at power-of-two
// row pitches). Every C element still starts from C or 0, adds the bias, then adds the products
// in increasing k with madd and ends with pmax, exactly as in the micro-kernels, so a row is
// bit-identical whichever path computed it (and whatever column block or tail computed it).
const smallKernel = (R, W) => {
  const nw = W / 4;
  const sacc = (r, j) => `vacc${r}x${j}`;
  return `
/** ${R}x${W} block of gemmSmallM: C tile = init + A[${R} rows] · B[:, 0:${W}] read unpacked (B rows ldbBytes apart), then relu. */
function small${R}x${W}(K: i32, a: usize, mStep: usize, kStep: usize, b: usize, ldbBytes: usize,
                c: usize, ldcBytes: usize, loadC: bool, bias: usize, relu: bool): void {
${ind([...lines(R, (r) => `let a${r} = ${r === 0 ? 'a' : `a${r - 1} + mStep`};`),
       ...lines(R, (r) => `const c${r} = ${r === 0 ? 'c' : `c${r - 1} + ldcBytes`};`)].join('\n'), 2)}
  const vzero = f32x4.splat(0);
${ind(lines(R, (r) => lines(nw, (j) => `let ${sacc(r, j)} = vzero;`)).join('\n'), 2)}
  if (loadC) {
${ind(lines(R, (r) => lines(nw, (j) => `${sacc(r, j)} = v128.load(c${r}, ${j * 16});`)).join('\n'), 4)}
  }
  if (bias != 0) {
${ind(lines(nw, (j) => `const vbias${j} = v128.load(bias, ${j * 16});`).join('\n'), 4)}
${ind(lines(R, (r) => lines(nw, (j) => `${sacc(r, j)} = f32x4.add(${sacc(r, j)}, vbias${j});`)).join('\n'), 4)}
  }
  const bEnd = b + <usize>K * ldbBytes;
  do {
${ind([
  ...lines(nw, (j) => `const vb${j} = v128.load(b, ${j * 16});`),
  ...lines(R, (r) => [
    `const va${r} = v128.load32_splat(a${r});`,
    ...lines(nw, (j) => `${sacc(r, j)} = madd(va${r}, vb${j}, ${sacc(r, j)});`),
    `a${r} += kStep;`,
  ]),
].join('\n'), 4)}
    b += ldbBytes;
  } while (b != bEnd);
  if (relu) {
${ind(lines(R, (r) => lines(nw, (j) => `${sacc(r, j)} = f32x4.pmax(${sacc(r, j)}, vzero);`)).join('\n'), 4)}
  }
${ind(lines(R, (r) => lines(nw, (j) => `v128.store(c${r}, ${sacc(r, j)}, ${j * 16});`)).join('\n'), 2)}
}
`;
};

const src = `// generated by scripts/gen-gemm.mjs, do not edit (change the generator and rerun it).
// Packed, register-tiled f32 GEMM for WASM SIMD. An MR x ${NR} micro-kernel keeps the C tile in
// 2*MR v128 accumulators and multiply-adds packed B with pre-broadcast packed A: MR = ${MRB} with
// f32x4.mul + f32x4.add (baseline build), MR = ${MRR} with fused f32x4.relaxed_madd
// (ASC_FEATURE_RELAXED_SIMD); a last panel of <= ${MRT} rows uses the ${MRT}x${NR} kernel. Blocking
// KC = ${KC}, NC = ${NC}. See scripts/gen-gemm.mjs for the measurements behind these choices.
//
// ABI (fixed; conv and dense call it):
//   gemm(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate, bias, act, work)
//   C[M,N] = (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N] (+ bias[N] on every row), then act.
//   transA: A stored [K, M] (row stride lda) instead of [M, K]; transB: B stored [N, K] instead of
//   [K, N]. bias: 0 for none, else a pointer to N floats. act: an Activation. C must not overlap
//   A, B or bias. work: gemmWorkspaceBytes(M, N, K) bytes of caller-owned scratch, 16-byte aligned.
// Order of operations per C element (the same on every tile, edge or not, whatever MR, so a
// result depends only on the shapes and the build): start from C (when accumulating) or 0, add
// the bias, add the products in increasing k, then relu. Row ranges computed by separate calls
// give bit-identical rows. FMA (relaxed build) rounds once per product, so the two builds agree
// to rounding, not bit for bit. Small M (<= ${SMALL_M} rows, or <= ${MRT - 1} with B transposed) and
// the rows past the last full tile skip the packing (gemmSmallM) with these same operations.
import { Activation } from './activation';
import { madd } from './simd';

const NR = ${NR};
const KC = ${KC};
const NC = ${NC};
/** Rows of the main C tile in this build. */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? ${MRR} : ${MRB};
/** Rows of the tile used for a last panel of at most this many rows. */
const MR_TAIL: i32 = ${MRT};
/** M at or below which gemm streams B unpacked (gemmSmallM) when B is not transposed. */
const SMALL_M: i32 = ${SMALL_M};
/** Rows per group in gemmSmallM (each group reads B once). */
const SMR: i32 = ${SMR};

// @ts-ignore: decorator
@inline
function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** Rows of this build's main C tile: the host splits rows over threads in multiples of it. */
export function gemmTileRows(): i32 {
  return MR;
}

/** Scratch bytes gemm(…, M, N, K, …) needs: packed B (KC x NC), one packed A micro-panel, an edge tile. */
export function gemmWorkspaceBytes(M: i32, N: i32, K: i32): i32 {
  void M;
  const kc = max<i32>(min<i32>(K, KC), 1);
  const nc = roundUp(max<i32>(min<i32>(N, NC), 1), NR);
  return (nc * kc + MR * kc * 4 + MR * NR + NR) << 2;
}

export function gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32,
                     a: usize, lda: i32, b: usize, ldb: i32,
                     c: usize, ldc: i32, accumulate: i32,
                     bias: usize, act: i32, work: usize): void {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(ldc >= N && lda >= (transA ? M : K) && ldb >= (transB ? K : N));
  assert((work & 15) == 0);
  if (M <= 0 || N <= 0) return;
  const relu = act == Activation.Relu;
  const ldcBytes = <usize>ldc << 2;
  if (K <= 0) {
    epilogueOnly(M, N, c, ldcBytes, accumulate != 0, bias, relu);
    return;
  }
  // Element (m, k) of op(A) is at a + m*mStep + k*kStep.
  const ldaBytes = <usize>lda << 2;
  const mStep: usize = transA ? 4 : ldaBytes;
  const kStep: usize = transA ? ldaBytes : 4;
  if (!transB && M <= SMALL_M) {
    gemmSmallM(M, N, K, a, mStep, kStep, b, <usize>ldb << 2, c, ldcBytes, accumulate != 0, bias, relu);
    return;
  }
  if (transB && M < MR_TAIL) {
    gemmSmallMTransB(M, N, K, a, mStep, kStep, b, ldb, c, ldcBytes, accumulate != 0, bias, relu, work);
    return;
  }
  // The last rows, when too few for a tile (they would run on a zero-padded edge tile per column
  // panel), are cheaper streamed: B is at hand unpacked, and rows are bit-identical either way.
  const rem = M % MR;
  if (!transB && rem != 0 && rem != MR_TAIL) {
    M -= rem;
    gemmSmallM(rem, N, K, a + <usize>M * mStep, mStep, kStep, b, <usize>ldb << 2, c + <usize>M * ldcBytes, ldcBytes,
               accumulate != 0, bias, relu);
  }
  const kcMax = min<i32>(K, KC);
  const ncMax = roundUp(min<i32>(N, NC), NR);
  const packB = work;
  const packA = packB + (<usize>(ncMax * kcMax) << 2);
  const tile = packA + (<usize>(MR * kcMax) << 4);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min<i32>(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min<i32>(KC, K - pc);
      const loadC = pc > 0 || accumulate != 0;
      const useBias = pc == 0 && bias != 0;
      const doRelu = relu && pc + kc == K;
      packBPanels(transB != 0, b, ldb, pc, kc, jc, nc, packB);
      for (let ir = 0; ir < M; ir += MR) {
        const mr = min<i32>(MR, M - ir);
        const rows = mr <= MR_TAIL ? MR_TAIL : MR;
        packAPanel(rows, mr, a + <usize>ir * mStep + <usize>pc * kStep, mStep, kStep, kc, packA);
        const crow = c + <usize>ir * ldcBytes + (<usize>jc << 2);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min<i32>(NR, nc - jr);
          const bp = packB + (<usize>(jr * kc) << 2);
          const biasp: usize = useBias ? bias + (<usize>(jc + jr) << 2) : 0;
          const cp = crow + (<usize>jr << 2);
          if (mr == rows && nr == NR) microKernel(rows, kc, packA, bp, cp, ldcBytes, loadC, biasp, doRelu);
          else edgeTile(rows, mr, nr, kc, packA, bp, cp, ldcBytes, loadC, biasp, doRelu, tile);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function microKernel(rows: i32, kc: i32, ap: usize, bp: usize, c: usize, ldcBytes: usize,
                     loadC: bool, bias: usize, relu: bool): void {
${ind(dispatch((mr) => `ukernel${mr}x${NR}`, 'kc, ap, bp, c, ldcBytes, loadC, bias, relu'), 2)}
}

/**
 * A tile cut by the M or N edge: run the same micro-kernel on a zero-padded rows x ${NR} copy in
 * scratch (so nothing outside C or bias is read or written) and copy the mr x nr corner back.
 */
function edgeTile(rows: i32, mr: i32, nr: i32, kc: i32, ap: usize, bp: usize, cp: usize, ldcBytes: usize,
                  loadC: bool, biasp: usize, relu: bool, tile: usize): void {
  const tileBias = tile + <usize>(rows * NR * 4);
  memory.fill(tile, 0, (rows * NR + NR) * 4);
  if (loadC) {
    for (let r = 0; r < mr; r++) {
      for (let j = 0; j < nr; j++) {
        store<f32>(tile + (<usize>(r * NR + j) << 2), load<f32>(cp + <usize>r * ldcBytes + (<usize>j << 2)));
      }
    }
  }
  if (biasp != 0) {
    for (let j = 0; j < nr; j++) store<f32>(tileBias + (<usize>j << 2), load<f32>(biasp + (<usize>j << 2)));
  }
  // Loading the zeroed tile equals starting from zero, so edge and full tiles round identically.
  microKernel(rows, kc, ap, bp, tile, NR * 4, true, biasp != 0 ? tileBias : 0, relu);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      store<f32>(cp + <usize>r * ldcBytes + (<usize>j << 2), load<f32>(tile + (<usize>(r * NR + j) << 2)));
    }
  }
}

/**
 * Small M, B not transposed: row groups of up to SMR rows, each computing its columns straight
 * from B in blocks of W (then 8) columns, then the last N % 8 columns 4 at a time (smallTail).
 */
function gemmSmallM(M: i32, N: i32, K: i32, a: usize, mStep: usize, kStep: usize, b: usize, ldbBytes: usize,
                    c: usize, ldcBytes: usize, loadC: bool, bias: usize, relu: bool): void {
  for (let ir = 0; ir < M; ir += SMR) {
    const mr = min<i32>(SMR, M - ir);
    const ar = a + <usize>ir * mStep;
    const cr = c + <usize>ir * ldcBytes;
    let jr = 0;
${ind(lines(SMR, (r) => {
  const R = r + 1;
  const ws = SW[r] > NR ? [SW[r], NR] : [NR];
  const loops = ws.map((w) => `for (; jr + ${w} <= N; jr += ${w}) {
  const off = <usize>jr << 2;
  small${R}x${w}(K, ar, mStep, kStep, b + off, ldbBytes, cr + off, ldcBytes, loadC, bias != 0 ? bias + off : 0, relu);
}`).join('\n');
  return `${r === 0 ? '' : 'else '}${r < SMR - 1 ? `if (mr == ${R}) ` : ''}{\n${ind(loops, 2)}\n}`;
}).join(' '), 4)}
    if (jr < N) {
      const off = <usize>jr << 2;
      smallTail(mr, N - jr, K, ar, mStep, kStep, b + off, ldbBytes, cr + off, ldcBytes, loadC, bias != 0 ? bias + off : 0, relu);
    }
  }
}

/** The last nr < ${NR} columns of a small-M row group, one row and 4 columns at a time (partial lanes). */
function smallTail(mr: i32, nr: i32, K: i32, a: usize, mStep: usize, kStep: usize, b: usize, ldbBytes: usize,
                   c: usize, ldcBytes: usize, loadC: bool, bias: usize, relu: bool): void {
  const vzero = f32x4.splat(0);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j += 4) {
      const w = min<i32>(4, nr - j);
      const off = <usize>j << 2;
      const cp = c + <usize>r * ldcBytes + off;
      let vacc = loadC ? loadCols(cp, w) : vzero;
      if (bias != 0) vacc = f32x4.add(vacc, loadCols(bias + off, w));
      let ap = a + <usize>r * mStep;
      let bp = b + off;
      const bEnd = bp + <usize>K * ldbBytes;
      do {
        vacc = madd(v128.load32_splat(ap), loadCols(bp, w), vacc);
        ap += kStep;
        bp += ldbBytes;
      } while (bp != bEnd);
      if (relu) vacc = f32x4.pmax(vacc, vzero);
      storeCols(cp, vacc, w);
    }
  }
}

/** w (1..4) floats at p into the low lanes of a v128, the rest zero (reads nothing past p + 4w). */
// @ts-ignore: decorator
@inline
function loadCols(p: usize, w: i32): v128 {
  if (w >= 4) return v128.load(p);
  if (w == 1) return v128.load32_zero(p);
  const v = v128.load64_zero(p);
  return w == 2 ? v : v128.load32_lane(p, v, 2, 8);
}

/** Stores the low w (1..4) lanes of v at p. */
// @ts-ignore: decorator
@inline
function storeCols(p: usize, v: v128, w: i32): void {
  if (w >= 4) v128.store(p, v);
  else if (w == 1) v128.store32_lane(p, v, 0);
  else {
    v128.store64_lane(p, v, 0);
    if (w == 3) v128.store32_lane(p, v, 2, 8);
  }
}

/**
 * 1-3 rows with B stored [N, K]: each KC x NC block of op(B) is packed into 8-column panels (as
 * for the packed path) and each panel streamed by the R x 8 small-M kernels (panel rows 32
 * bytes apart): no A packing, no 4-row tile for 1-3 rows (M = 1: 0.6-0.7x the packed path's
 * time; from 4 rows on the packed path is as fast or faster). C carries the sums from one k-block to the next as in the packed path (bias on
 * the first block, relu after the last), so the order of operations per element is unchanged.
 */
function gemmSmallMTransB(M: i32, N: i32, K: i32, a: usize, mStep: usize, kStep: usize, b: usize, ldb: i32,
                          c: usize, ldcBytes: usize, accumulate: bool, bias: usize, relu: bool, work: usize): void {
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min<i32>(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min<i32>(KC, K - pc);
      const loadC = accumulate || pc > 0;
      const doRelu = relu && pc + kc == K;
      packBPanels(true, b, ldb, pc, kc, jc, nc, work);
      for (let ir = 0; ir < M; ir += SMR) {
        const mr = min<i32>(SMR, M - ir);
        const ar = a + <usize>ir * mStep + <usize>pc * kStep;
        const cr = c + <usize>ir * ldcBytes + (<usize>jc << 2);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min<i32>(NR, nc - jr);
          const bp = work + (<usize>(jr * kc) << 2);
          const biasp: usize = pc == 0 && bias != 0 ? bias + (<usize>(jc + jr) << 2) : 0;
          const cp = cr + (<usize>jr << 2);
          if (nr == NR) {
${ind(lines(SMR, (r) => `${r === 0 ? '' : 'else '}${r < SMR - 1 ? `if (mr == ${r + 1}) ` : ''}small${r + 1}x${NR}(kc, ar, mStep, kStep, bp, ${NR * 4}, cp, ldcBytes, loadC, biasp, doRelu);`).join('\n'), 12)}
          } else {
            smallTail(mr, nr, kc, ar, mStep, kStep, bp, ${NR * 4}, cp, ldcBytes, loadC, biasp, doRelu);
          }
        }
      }
    }
  }
}

/** K = 0: C = (accumulate ? C : 0) + bias, then relu. */
function epilogueOnly(M: i32, N: i32, c: usize, ldcBytes: usize, accumulate: bool, bias: usize, relu: bool): void {
  for (let m = 0; m < M; m++) {
    const row = c + <usize>m * ldcBytes;
    for (let n = 0; n < N; n++) {
      const p = row + (<usize>n << 2);
      let s: f32 = accumulate ? load<f32>(p) : 0;
      if (bias != 0) s += load<f32>(bias + (<usize>n << 2));
      if (relu && s < 0) s = 0;
      store<f32>(p, s);
    }
  }
}

/**
 * Packs mr rows (element (r, k) at src + r*mStep + k*kStep) of op(A) into a kc x rows micro-panel,
 * k-major, each value pre-broadcast to a v128 of four copies; rows mr..rows-1 are zeros.
 */
function packAPanel(rows: i32, mr: i32, src: usize, mStep: usize, kStep: usize, kc: i32, panel: usize): void {
  if (mr == rows) {
${ind(dispatch((mr) => `packA${mr}`, 'src, mStep, kStep, kc, panel'), 4)}
    return;
  }
  const vzero = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const p = panel + (<usize>(k * rows) << 4);
    const s = src + <usize>k * kStep;
    for (let r = 0; r < rows; r++) {
      v128.store(p + (<usize>r << 4), r < mr ? v128.load32_splat(s + <usize>r * mStep) : vzero);
    }
  }
}
${tileRows.map(packA).join('')}
/**
 * Packs op(B)[pc:pc+kc, jc:jc+nc] into ceil(nc/${NR}) panels of kc x ${NR} floats (k-major),
 * zero-padding the last panel's missing columns.
 */
function packBPanels(transB: bool, b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const ldbBytes = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min<i32>(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    if (!transB) {
      // B[k, n] at b + k*ldb + n: each k row of the panel is ${NR} contiguous floats.
      let src = b + <usize>pc * ldbBytes + (<usize>(jc + jr) << 2);
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          const p = panel + (<usize>(k * NR) << 2);
${ind(lines(nv, (j) => `v128.store(p, v128.load(src, ${j * 16}), ${j * 16});`).join('\n'), 10)}
          src += ldbBytes;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const p = panel + (<usize>(k * NR) << 2);
          for (let j = 0; j < NR; j++) store<f32>(p + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
          src += ldbBytes;
        }
      }
    } else {
      // B stored [N, K]: column n of op(B) is row n of storage, contiguous in k; transpose 4x4 blocks.
      const src = b + <usize>(jc + jr) * ldbBytes + (<usize>pc << 2);
      let k = 0;
      if (nr == NR) {
        for (; k + 4 <= kc; k += 4) {
          const s = src + (<usize>k << 2);
          const p = panel + (<usize>(k * NR) << 2);
${ind(lines(nv, (h) => [
  ...lines(4, (i) => `const vrow${h}${i} = v128.load(s + ${4 * h + i} * ldbBytes);`),
  ...transpose4(`vrow${h}`, `vk${h}x`).split('\n'),
  ...lines(4, (i) => `v128.store(p, vk${h}x${i}, ${i * NR * 4 + h * 16});`),
]).join('\n'), 10)}
        }
      }
      for (; k < kc; k++) {
        const p = panel + (<usize>(k * NR) << 2);
        for (let j = 0; j < NR; j++) {
          store<f32>(p + (<usize>j << 2), j < nr ? load<f32>(src + <usize>j * ldbBytes + (<usize>k << 2)) : 0);
        }
      }
    }
  }
}
${tileRows.map(ukernel).join('')}${lines(SMR, (r) => (SW[r] > NR ? [[r + 1, SW[r]], [r + 1, NR]] : [[r + 1, NR]])).map(([r, w]) => smallKernel(r, w)).join('')}`;

if (process.argv.includes('--stdout')) {
  process.stdout.write(src);
} else {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'assembly', 'gemm.ts');
  writeFileSync(out, src);
  console.log(`wrote ${out} (NR=${NR} MR baseline ${MRB}, relaxed ${MRR}, tail ${MRT}; KC=${KC} NC=${NC})`);
}
