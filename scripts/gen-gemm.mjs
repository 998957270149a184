#!/usr/bin/env node
// Generates assembly/gemm.ts: the packed, register-tiled WASM SIMD GEMM. AssemblyScript needs
// load/store offsets and lane indices as compile-time constants, so the MR x NR micro-kernel
// (unrolled over k) and the 4x4 transposes of the packing routines are written out here.
//
//   node scripts/gen-gemm.mjs            writes assembly/gemm.ts
//   node scripts/gen-gemm.mjs --stdout   prints it instead
//   options (for tuning experiments): --kc=256 --mc=128 --nc=1024 --order=jr|ir
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const opt = Object.fromEntries(process.argv.slice(2).filter((s) => s.startsWith('--') && s.includes('='))
  .map((s) => s.slice(2).split('=')));
const MR = 4;        // rows of the C tile: one A broadcast per row and k
const NR = 8;        // columns of the C tile: two v128 of B per k
const KC = +(opt.kc ?? 256);   // k-block: a B micro-panel (KC x NR floats = 8 KiB) stays in L1
const MC = +(opt.mc ?? 128);   // rows of A packed at once (MC x KC floats, L2)
const NC = +(opt.nc ?? 1024);  // columns of B packed at once (KC x NC floats, L2/L3)
const ORDER = opt.order ?? 'jr'; // 'jr': B micro-panel outer (kept in L1), A panels inner
if (MR !== 4 || NR !== 8) throw new Error('the micro-kernel template is written for 4x8');
if (MC % MR || NC % NR || KC < 1) throw new Error('bad blocking');

const cols = (j) => [0, 1, 2, 3].map((l) => (j * 4 + l).toString(16).toUpperCase()).join(''); // 0123, 4567
const nv = NR / 4; // v128 per tile row
const acc = (r, j) => `vacc${r}x${cols(j)}`;
const lines = (n, f) => Array.from({ length: n }, (_, i) => f(i)).flat();
const ind = (s, n) => s.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

// One k step of the micro-kernel: two B vectors, then per row one broadcast of A and NR/4 madds,
// so 8 accumulators + 2 B + at most 4 A broadcasts = 14 v128 are live (V8 has 15 for wasm).
function kStep() {
  const out = [];
  for (let j = 0; j < nv; j++) out.push(`const vb${cols(j)} = v128.load(bp, ${j * 16});`);
  for (let r = 0; r < MR; r++) {
    out.push(`const va${r} = v128.load32_splat(ap, ${r * 4});`);
    for (let j = 0; j < nv; j++) out.push(`${acc(r, j)} = madd(va${r}, vb${cols(j)}, ${acc(r, j)});`);
  }
  return out.join('\n');
}

const ukernel = `
/**
 * The ${MR}x${NR} micro-kernel: C tile = init + Ap · Bp, then relu if asked.
 *   ap: kc x ${MR} packed A (k-major, ${MR} rows per k);  bp: kc x ${NR} packed B (k-major).
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
  // Not unrolled on purpose: TurboFan hoists every load of a loop body to its top, so an
  // unrolled body keeps several steps' A and B live and spills (measured: unrolling by 2 or 4 is
  // 1.5-2x slower; Binaryen also fuses unrolled steps into one expression per accumulator).
  // Ending on a pointer compare saves a k counter.
  const apEnd = ap + (<usize>kc << ${Math.log2(MR * 4)});
  do {
${ind(kStep(), 4)}
    ap += ${MR * 4};
    bp += ${NR * 4};
  } while (ap != apEnd);
  if (relu) {
    // pmax(x, 0) = x < 0 ? 0 : x: one maxps, and NaN stays NaN as in the scalar reference.
${ind(lines(MR, (r) => lines(nv, (j) => `${acc(r, j)} = f32x4.pmax(${acc(r, j)}, vzero);`)).join('\n'), 4)}
  }
${ind(lines(MR, (r) => lines(nv, (j) => `v128.store(c${r}, ${acc(r, j)}, ${j * 16});`)).join('\n'), 2)}
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

const loopBody = ORDER === 'jr' ? `
        // One B micro-panel (kc x ${NR}, ${KC * NR * 4 / 1024} KiB at most) stays in L1 while the A panels stream past.
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min<i32>(NR, nc - jr);
          const bp = packB + (<usize>(jr * kc) << 2);
          const biasp: usize = useBias ? bias + (<usize>(jc + jr) << 2) : 0;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min<i32>(MR, mc - ir);
            const ap = packA + (<usize>(ir * kc) << 2);
            const cp = c + <usize>(ic + ir) * ldcBytes + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) ukernel${MR}x${NR}(kc, ap, bp, cp, ldcBytes, loadC, biasp, doRelu);
            else edgeTile(mr, nr, kc, ap, bp, cp, ldcBytes, loadC, biasp, doRelu, tile);
          }
        }` : `
        // One A micro-panel (${MR} x kc) stays in L1 while the B panels stream past.
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min<i32>(MR, mc - ir);
          const ap = packA + (<usize>(ir * kc) << 2);
          for (let jr = 0; jr < nc; jr += NR) {
            const nr = min<i32>(NR, nc - jr);
            const bp = packB + (<usize>(jr * kc) << 2);
            const biasp: usize = useBias ? bias + (<usize>(jc + jr) << 2) : 0;
            const cp = c + <usize>(ic + ir) * ldcBytes + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR) ukernel${MR}x${NR}(kc, ap, bp, cp, ldcBytes, loadC, biasp, doRelu);
            else edgeTile(mr, nr, kc, ap, bp, cp, ldcBytes, loadC, biasp, doRelu, tile);
          }
        }`;

const src = `// generated by scripts/gen-gemm.mjs, do not edit (change the generator and rerun it).
// Packed, register-tiled f32 GEMM for WASM SIMD: a ${MR}x${NR} micro-kernel keeps the C tile in
// ${MR * nv} v128 accumulators, broadcasts A with v128.load32_splat and multiply-adds packed B.
//   blocking: KC=${KC} (k), MC=${MC} (rows of A packed), NC=${NC} (columns of B packed)
//   build: f32x4.relaxed_madd (fused) when ASC_FEATURE_RELAXED_SIMD, else f32x4.mul + f32x4.add.
//
// ABI (fixed; conv and dense call it):
//   gemm(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate, bias, act, work)
//   C[M,N] = (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N] (+ bias[N] on every row), then act.
//   transA: A stored [K, M] (row stride lda) instead of [M, K]; transB: B stored [N, K] instead of
//   [K, N]. bias: 0 for none, else a pointer to N floats. act: 0 none, 1 relu. C must not overlap
//   A, B or bias. work: gemmWorkspaceBytes(M, N, K) bytes of caller-owned scratch, 16-byte aligned.
// Order of operations per C element (the same on every tile, edge or not, so a result depends
// only on the shapes and the build): start from C (when accumulating) or 0, add the bias, add the
// products in increasing k, then relu. FMA (relaxed build) rounds once per product, so the two
// builds agree to rounding, not bit for bit.

const MR = ${MR};
const NR = ${NR};
const KC = ${KC};
const MC = ${MC};
const NC = ${NC};

// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, acc);
  } else {
    return f32x4.add(acc, f32x4.mul(a, b));
  }
}

// @ts-ignore: decorator
@inline
function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** Scratch bytes gemm(…, M, N, K, …) needs: packed B (NC x KC), packed A (MC x KC), an edge tile. */
export function gemmWorkspaceBytes(M: i32, N: i32, K: i32): i32 {
  const kc = max<i32>(min<i32>(K, KC), 1);
  const nc = roundUp(max<i32>(min<i32>(N, NC), 1), NR);
  const mc = roundUp(max<i32>(min<i32>(M, MC), 1), MR);
  return (nc * kc + mc * kc + MR * NR + NR) << 2;
}

export function gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32,
                     a: usize, lda: i32, b: usize, ldb: i32,
                     c: usize, ldc: i32, accumulate: i32,
                     bias: usize, act: i32, work: usize): void {
  assert(M >= 0 && N >= 0 && K >= 0);
  assert(ldc >= N && lda >= (transA ? M : K) && ldb >= (transB ? K : N));
  assert((work & 15) == 0);
  if (M <= 0 || N <= 0) return;
  const relu = act == 1;
  const ldcBytes = <usize>ldc << 2;
  if (K <= 0) {
    epilogueOnly(M, N, c, ldcBytes, accumulate != 0, bias, relu);
    return;
  }
  const kcMax = min<i32>(K, KC);
  const ncMax = roundUp(min<i32>(N, NC), NR);
  const mcMax = roundUp(min<i32>(M, MC), MR);
  const packB = work;
  const packA = packB + (<usize>(ncMax * kcMax) << 2);
  const tile = packA + (<usize>(mcMax * kcMax) << 2);
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min<i32>(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min<i32>(KC, K - pc);
      const loadC = pc > 0 || accumulate != 0;
      const useBias = pc == 0 && bias != 0;
      const doRelu = relu && pc + kc == K;
      packBPanels(transB != 0, b, ldb, pc, kc, jc, nc, packB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min<i32>(MC, M - ic);
        packAPanels(transA != 0, a, lda, ic, mc, pc, kc, packA);${loopBody}
      }
    }
  }
}

/**
 * A tile cut by the M or N edge: run the same micro-kernel on a zero-padded ${MR}x${NR} copy in
 * scratch (so nothing outside C or bias is read or written) and copy the mr x nr corner back.
 */
function edgeTile(mr: i32, nr: i32, kc: i32, ap: usize, bp: usize, cp: usize, ldcBytes: usize,
                  loadC: bool, biasp: usize, relu: bool, tile: usize): void {
  const tileBias = tile + MR * NR * 4;
  memory.fill(tile, 0, (MR * NR + NR) * 4);
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
  ukernel${MR}x${NR}(kc, ap, bp, tile, NR * 4, true, biasp != 0 ? tileBias : 0, relu);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      store<f32>(cp + <usize>r * ldcBytes + (<usize>j << 2), load<f32>(tile + (<usize>(r * NR + j) << 2)));
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

/**
 * Packs op(A)[ic:ic+mc, pc:pc+kc] into ceil(mc/${MR}) panels of kc x ${MR} floats (k-major: the
 * ${MR} rows' values for one k are adjacent), zero-padding the last panel's missing rows.
 */
function packAPanels(transA: bool, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  const ldaBytes = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min<i32>(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    if (transA) {
      // A stored [K, M]: the ${MR} rows' values for one k are contiguous already.
      let src = a + <usize>pc * ldaBytes + (<usize>(ic + ir) << 2);
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(panel + (<usize>(k * MR) << 2), v128.load(src));
          src += ldaBytes;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const p = panel + (<usize>(k * MR) << 2);
          for (let r = 0; r < MR; r++) store<f32>(p + (<usize>r << 2), r < mr ? load<f32>(src + (<usize>r << 2)) : 0);
          src += ldaBytes;
        }
      }
    } else {
      // A stored [M, K]: rows are contiguous in k; transpose 4x4 blocks.
      const src = a + <usize>(ic + ir) * ldaBytes + (<usize>pc << 2);
      let k = 0;
      if (mr == MR) {
        for (; k + 4 <= kc; k += 4) {
          const s = src + (<usize>k << 2);
${ind([
  ...lines(4, (i) => `const vrow${i} = v128.load(s + ${i} * ldaBytes);`),
  ...transpose4('vrow', 'vk').split('\n'),
  `const p = panel + (<usize>(k * MR) << 2);`,
  ...lines(4, (i) => `v128.store(p, vk${i}, ${i * MR * 4});`),
].join('\n'), 10)}
        }
      }
      for (; k < kc; k++) {
        const p = panel + (<usize>(k * MR) << 2);
        for (let r = 0; r < MR; r++) {
          store<f32>(p + (<usize>r << 2), r < mr ? load<f32>(src + <usize>r * ldaBytes + (<usize>k << 2)) : 0);
        }
      }
    }
  }
}
${ukernel}`;

if (process.argv.includes('--stdout')) {
  process.stdout.write(src);
} else {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'assembly', 'gemm.ts');
  writeFileSync(out, src);
  console.log(`wrote ${out} (MR=${MR} NR=${NR} KC=${KC} MC=${MC} NC=${NC} order=${ORDER})`);
}
