#!/usr/bin/env node
// GEMM throughput of the kernel build this process runs (single thread), against the engine's
// register-only multiply-add peak (peakMadd, from the bench-only build: bench/bench-build.mjs). Shapes are M x K x N: C[M,N] = A[M,K] · B[K,N],
// FLOPs = 2·M·N·K. Each figure is the median of several timed samples. Two clocks: wall time
// (what a user sees) and this process's CPU time (process.cpuUsage), which leaves out the time
// other processes hold the core and so stays meaningful on a shared, overloaded machine. The
// % of peak pairs every GEMM sample with a peak sample taken just before it (CPU time).
//
//   node scripts/build.mjs && node bench/gemm.mjs                              baseline SIMD
//   node --experimental-wasm-relaxed-simd bench/gemm.mjs                       relaxed SIMD (FMA)
//   node bench/gemm.mjs --both                                                 both, one after the other
//   node bench/gemm.mjs --json                                                 rows as JSON (with every sample)
//   node bench/gemm.mjs --repeats=N                                            samples per shape (default 9)
// As a module: `import { benchGemm } from './gemm.mjs'; const rows = await benchGemm();`
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { init, backendInfo } from '../dist/index.js';
import { kernels, alloc, free, heapF32 } from '../dist/backend/wasm.js';
import { benchKernels } from './bench-build.mjs';

/** [M, K, N, label] */
export const GEMM_SHAPES = [
  [256, 256, 256, '256^3'],
  [512, 512, 512, '512^3'],
  [1024, 1024, 1024, '1024^3'],
  [64, 800, 500, '64x800x500 (MxKxN)'],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/** Calls per timed sample so that one sample lasts about minMs. */
function calibrate(fn, minMs) {
  fn(); // warm up (tier-up, page faults in the buffers)
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= minMs) return calls;
    calls = Math.max(calls * 2, Math.ceil(calls * minMs / Math.max(dt, 0.01)));
  }
}
/** ms per call, wall clock and process CPU time. */
function sample(fn, calls) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  const wall = (performance.now() - t0) / calls;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 / calls };
}

const PEAK_ITERS = 1_000_000;
/**
 * peakMaddIntHeavy ÷ peakMadd time at or below which a sample counts as taken on a quiet core:
 * ~1.00-1.05 when the core's front end is its own, 1.2-1.5 when an SMT sibling shares it.
 */
export const QUIET_PROBE = 1.1;

/** Register-only multiply-add peak in GFLOP/s (median of repeats), of the build the library runs. */
export function benchPeak({ repeats = 7 } = {}) {
  const k = benchKernels(backendInfo().variant);
  const flops = PEAK_ITERS * k.peakMaddChains() * 8;
  const fn = () => k.peakMadd(PEAK_ITERS);
  const calls = calibrate(fn, 30);
  const ms = median(Array.from({ length: repeats }, () => sample(fn, calls).cpu));
  return { gflops: flops / (ms * 1e6), ms };
}

/**
 * Measures GEMM GFLOP/s for each shape (default GEMM_SHAPES) and the register-only peak.
 * Each repeat times the peak loop right before the GEMM, so `pctPeak` is the median of paired
 * ratios: robust to other processes slowing the machine down between samples.
 * Returns rows { shape, M, K, N, ms, gflops (wall), gflopsCpu, peakGflops (CPU), pctPeak,
 * bestGflopsCpu, pctPeakBest (best GEMM sample over best peak sample: least disturbed), variant };
 * prints them unless quiet.
 */
export async function benchGemm({ shapes = GEMM_SHAPES, repeats = 9, quiet = false, simd = 'auto' } = {}) {
  await init({ simd });
  const variant = backendInfo().variant;
  const k = kernels();
  const peakK = benchKernels(variant);
  const peakFlops = PEAK_ITERS * peakK.peakMaddChains() * 8;
  const peakFn = () => peakK.peakMadd(PEAK_ITERS);
  const probeFn = () => peakK.peakMaddIntHeavy(PEAK_ITERS);
  const peakCalls = calibrate(peakFn, 20);
  calibrate(probeFn, 1);
  const rows = [];
  const allPeaks = [], allPeaksWall = [];
  for (const [M, K, N, label] of shapes) {
    const aPtr = alloc(M * K * 4);
    const bPtr = alloc(K * N * 4);
    const cPtr = alloc(M * N * 4);
    const wBytes = k.gemmWorkspaceBytes(M, N, K);
    const wPtr = alloc(wBytes);
    const heap = heapF32();
    for (let i = 0; i < M * K; i++) heap[(aPtr >> 2) + i] = ((i * 7919) % 1000) / 1000 - 0.5;
    for (let i = 0; i < K * N; i++) heap[(bPtr >> 2) + i] = ((i * 104729) % 1000) / 1000 - 0.5;
    const fn = () => k.gemm(0, 0, M, N, K, aPtr, K, bPtr, N, cPtr, N, 0, 0, 0, wPtr);
    const calls = calibrate(fn, 60);
    const gf = [], gfc = [], pk = [], ratio = [], probe = [];
    for (let r = 0; r < repeats; r++) {
      const ti = sample(probeFn, peakCalls);
      const tp = sample(peakFn, peakCalls);
      probe.push(ti.cpu / tp.cpu);
      const p = peakFlops / (tp.cpu * 1e6);
      allPeaksWall.push(peakFlops / (tp.wall * 1e6));
      const t = sample(fn, calls);
      const g = (2 * M * N * K) / (t.wall * 1e6);
      const gc = (2 * M * N * K) / (t.cpu * 1e6);
      gf.push(g); gfc.push(gc); pk.push(p); ratio.push(gc / p);
    }
    allPeaks.push(...pk);
    // Samples taken while the core's front end was its own (see peakMaddIntHeavy).
    const quiet = ratio.filter((_, i) => probe[i] <= QUIET_PROBE);
    const ms = (2 * M * N * K) / (median(gf) * 1e6);
    rows.push({ shape: label, M, K, N, ms: +ms.toFixed(3), gflops: +median(gf).toFixed(2), gflopsCpu: +median(gfc).toFixed(2),
      peakGflops: +median(pk).toFixed(2), pctPeak: +(100 * median(ratio)).toFixed(1),
      bestGflopsCpu: +Math.max(...gfc).toFixed(2), pctPeakBest: +(100 * Math.max(...gfc) / Math.max(...pk)).toFixed(1), variant,
      probe: +median(probe).toFixed(3), quietSamples: quiet.length,
      pctPeakQuiet: quiet.length ? +(100 * median(quiet)).toFixed(1) : null,
      samples: { gflopsCpu: gfc.map((v) => +v.toFixed(3)), pctPeak: ratio.map((v) => +(100 * v).toFixed(2)), probe: probe.map((v) => +v.toFixed(3)) } });
    free(aPtr, M * K * 4); free(bPtr, K * N * 4); free(cPtr, M * N * 4); free(wPtr, wBytes);
  }
  const peak = median(allPeaks);
  rows.push({ shape: 'peakMadd (register-only)', M: 0, K: 0, N: 0, ms: +(peakFlops / (peak * 1e6)).toFixed(3),
    gflops: +median(allPeaksWall).toFixed(2), gflopsCpu: +peak.toFixed(2), peakGflops: +peak.toFixed(2), pctPeak: 100,
    bestGflopsCpu: +Math.max(...allPeaks).toFixed(2), pctPeakBest: 100, variant });
  if (!quiet) {
    console.log(`GEMM, ${variant} build, 1 thread, median of ${repeats} samples`);
    console.log('  shape M x K x N: C[M,N] = A[M,K]·B[K,N], FLOPs = 2MNK; GFLOP/s by wall clock and by process CPU time');
    for (const r of rows) {
      const quiet = r.probe === undefined ? '' : `;  front-end probe ${r.probe.toFixed(2)}, quiet-core samples ${r.quietSamples}/${repeats}` +
        (r.pctPeakQuiet !== null ? ` at ${r.pctPeakQuiet.toFixed(1)}% of peak` : '');
      console.log(`  ${r.shape.padEnd(26)} wall ${r.gflops.toFixed(1).padStart(6)}  cpu ${r.gflopsCpu.toFixed(1).padStart(6)} GFLOP/s  ${r.pctPeak.toFixed(1).padStart(5)}% of peak` +
        `   (best sample ${r.bestGflopsCpu.toFixed(1)}, ${r.pctPeakBest.toFixed(1)}% of best peak)${quiet}`);
    }
    console.log(`  front-end probe: peakMaddIntHeavy ÷ peakMadd time (~1.0 on a core of its own, 1.2-1.5 with a busy SMT sibling); quiet-core samples: probe <= ${QUIET_PROBE}`);
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes('--json');
  if (process.argv.includes('--both')) {
    const self = fileURLToPath(import.meta.url);
    const rest = process.argv.slice(2).filter((a) => a !== '--both');
    for (const flags of [[], ['--experimental-wasm-relaxed-simd']]) {
      const r = spawnSync(process.execPath, [...flags, self, ...rest], { stdio: 'inherit' });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
  } else {
    const rep = process.argv.find((a) => a.startsWith('--repeats='));
    const rows = await benchGemm({ quiet: json, ...(rep ? { repeats: +rep.slice(10) } : {}) });
    if (json) console.log(JSON.stringify(rows, null, 2));
  }
}
