#!/usr/bin/env node
// What one parallel region costs: a near-empty kernel (fill of 16 floats per thread) dispatched
// over a 2-thread pool, back to back and with host work between regions (as a batch-1 network
// does between its layers), for several worker spin bounds, against the same calls on 1 thread.
// All variants alternate round-robin in one process; figures are medians of per-round means.
//
//   node scripts/build.mjs && node bench/dispatch.mjs [--rounds=9] [--calls=400] [--spins=0,20,100,400]
import { performance } from 'node:perf_hooks';

const arg = (name, dflt) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const rounds = Number(arg('rounds', 9));
const calls = Number(arg('calls', 400));
const spins = arg('spins', '0,20,100,400').split(',').map(Number);
const gaps = arg('gaps', '0,20,100').split(',').map(Number);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

const W = await import('../dist/index.js');
const { backend, kernels, alloc, setNumThreads } = await import('../dist/backend/wasm.js');
const { parallel } = await import('../dist/backend/parallel.js');
const { setPoolSpin } = await import('../dist/backend/threads.js');
await W.init({ threads: 2 });
if (backend().threads !== 2) throw new Error('no 2-thread pool');
const k = kernels();
const p = alloc(1024);

/** Busy host work of about `us` microseconds (a stand-in for the host side of one layer). */
function hostWork(us) {
  if (us <= 0) return;
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}
function timeCalls(gap, threads) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    if (threads > 1) parallel(k.fill, [[p, 16, 0], [p + 512, 16, 0]]);
    else { k.fill(p, 16, 0); k.fill(p + 512, 16, 0); }
    hostWork(gap);
  }
  return ((performance.now() - t0) * 1000) / calls - gap;
}

const variants = [{ name: '1 thread', threads: 1, spin: 0 }, ...spins.map((s) => ({ name: `2 threads, spin ${s} µs`, threads: 2, spin: s }))];
const samples = new Map();
for (let r = 0; r < rounds; r++) {
  for (const gap of gaps) {
    for (const v of variants) {
      setNumThreads(v.threads);
      setPoolSpin(v.spin);
      timeCalls(gap, v.threads); // let the workers settle into the variant's idle state
      const key = `${gap}|${v.name}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(timeCalls(gap, v.threads));
    }
  }
}
console.log(`| variant | ${gaps.map((g) => `µs per region, ${g} µs host work between`).join(' | ')} |`);
console.log(`| :-- | ${gaps.map(() => '--:').join(' | ')} |`);
for (const v of variants) {
  console.log(`| ${v.name} | ${gaps.map((g) => median(samples.get(`${g}|${v.name}`)).toFixed(1)).join(' | ')} |`);
}
await W.shutdown?.();
process.exit(0);
