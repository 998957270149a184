#!/usr/bin/env node
// conv2d on the worker pool: forward, backward-input and backward-filter ms and GFLOP/s on one
// thread vs N threads (default 2). One process per round runs init({ threads: N }) and times
// each case alternately with setNumThreads(1) and setNumThreads(N): the same memory, the same
// JIT state, samples interleaved, so drifting background load on a shared machine hits both
// sides alike. The speed-up is the median of the per-pair ratios; ms columns are medians over
// samples and rounds. FLOPs are the direct convolution's (Winograd shows effective rates).
//
//   node scripts/build.mjs && node bench/threads.mjs
//   options: --rounds=N (processes, default 3), --samples=N (pairs per case, default 7),
//            --threads=N (the parallel side, default 2), --only=<substring>, --json
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name, dflt) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};

const SHAPES = [
  { name: '8x56x56x64 -> 64, 3x3 same', x: [8, 56, 56, 64], f: [3, 3, 64, 64], strides: 1, padding: 'same' },
  { name: '1x224x224x3 -> 64, 7x7 s2 p3', x: [1, 224, 224, 3], f: [7, 7, 3, 64], strides: 2, padding: 3 },
  { name: '32x14x14x32 -> 64, 3x3 same', x: [32, 14, 14, 32], f: [3, 3, 32, 64], strides: 1, padding: 'same' },
  { name: '64x28x28x1 -> 32, 3x3 same', x: [64, 28, 28, 1], f: [3, 3, 1, 32], strides: 1, padding: 'same' },
  { name: '16x32x32x64 depthwise 3x3', x: [16, 32, 32, 64], f: [3, 3, 1, 64], strides: 1, padding: 'same', groups: 64 },
  { name: '16x56x56x64 maxPool 3x3 s2', x: [16, 56, 56, 64], pool: { poolSize: 3, strides: 2, padding: 'same' } },
];
const DIRECTIONS = ['forward', 'backward-input', 'backward-filter'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

function outShape(c) {
  const [N, H, W] = c.x;
  const [kh, kw, , co] = c.f ?? [c.pool.poolSize, c.pool.poolSize, 0, c.x[3]];
  const s = c.strides ?? c.pool.strides;
  const pad = c.padding ?? c.pool.padding;
  if (pad === 'same') return [N, Math.ceil(H / s), Math.ceil(W / s), co];
  if (pad === 'valid') return [N, Math.floor((H - kh) / s) + 1, Math.floor((W - kw) / s) + 1, co];
  return [N, Math.floor((H + 2 * pad - kh) / s) + 1, Math.floor((W + 2 * pad - kw) / s) + 1, co];
}
function flopsOf(c) {
  if (c.pool) return 0;
  const y = outShape(c);
  return 2 * y[0] * y[1] * y[2] * y[3] * c.f[0] * c.f[1] * (c.x[3] / (c.groups ?? 1));
}
function values(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296 - 0.5; }
  return a;
}

async function child(threads, only, samples) {
  const W = await import('../dist/index.js');
  await W.init({ threads });
  if (W.backendInfo().threads !== threads) throw new Error(`asked for ${threads} threads, got ${W.backendInfo().threads}`);
  const { tensor, ops } = W;
  const size = (s) => s.reduce((a, b) => a * b, 1);
  const out = {};
  for (const c of SHAPES) {
    if (only && !c.name.includes(only)) continue;
    const y = outShape(c);
    const x = tensor(values(size(c.x), 1), c.x);
    const dy = tensor(values(size(y), 3), y);
    let fns;
    if (c.pool) {
      const xg = tensor(values(size(c.x), 1), c.x).requireGrad();
      fns = {
        forward: () => ops.maxPool2d(x, c.pool).dispose(),
        'backward-input': () => { const yy = ops.maxPool2d(xg, c.pool); yy.backward(dy); xg.grad.dispose(); xg.grad = null; yy.dispose(); },
      };
    } else {
      const w = tensor(values(size(c.f), 2), c.f);
      const opts = { strides: c.strides, padding: c.padding, groups: c.groups ?? 1 };
      fns = {
        forward: () => ops.conv2d(x, w, null, opts).dispose(),
        'backward-input': () => ops.conv2dBackpropInput(c.x, dy, w, opts).dispose(),
        'backward-filter': () => ops.conv2dBackpropFilter(x, dy, c.f, opts).dispose(),
      };
    }
    for (const d of DIRECTIONS) {
      const fn = fns[d];
      if (!fn) continue;
      // Calls per sample: enough for >= ~100 ms on one thread.
      W.setNumThreads(1);
      fn(); fn();
      let calls = 1;
      for (;;) {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) fn();
        const dt = performance.now() - t0;
        if (dt >= 100) break;
        calls = Math.max(calls * 2, Math.ceil((calls * 120) / Math.max(dt, 0.01)));
      }
      W.setNumThreads(threads);
      fn(); fn();
      const sample = (t) => {
        W.setNumThreads(t);
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) fn();
        return (performance.now() - t0) / calls;
      };
      const pairs = [];
      for (let s = 0; s < samples; s++) {
        // Alternate which side goes first so neither always follows the other.
        let one, many;
        if (s % 2) { many = sample(threads); one = sample(1); } else { one = sample(1); many = sample(threads); }
        pairs.push({ one, many });
      }
      out[`${c.name}|${d}`] = pairs;
    }
    x.dispose(); dy.dispose();
  }
  console.log(JSON.stringify({ threads: W.backendInfo().threads, pairs: out }));
}

/**
 * Runs `rounds` child processes (each init({ threads }) and interleaved 1 vs N samples) and
 * returns one row per case plus the markdown table. Used by main() and by bench/run.mjs.
 */
export async function benchThreads({ rounds = 3, samples = 7, threads = 2, only = '', quiet = false } = {}) {
  const self = fileURLToPath(import.meta.url);
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const txt = execFileSync(process.execPath, [self, `--child=${threads}`, `--samples=${samples}`, ...(only ? [`--only=${only}`] : [])], { encoding: 'utf8' });
    runs.push(JSON.parse(txt.trim().split('\n').pop()).pairs);
    if (!quiet) process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const rows = [];
  for (const key of Object.keys(runs[0])) {
    const [shape, direction] = key.split('|');
    const c = SHAPES.find((s) => s.name === shape);
    const pairs = runs.flatMap((run) => run[key]);
    const ms1 = median(pairs.map((p) => p.one));
    const msN = median(pairs.map((p) => p.many));
    const speedup = median(pairs.map((p) => p.one / p.many));
    const f = flopsOf(c);
    rows.push({ shape, direction, ms1, msN, gflops1: f ? f / ms1 / 1e6 : null, gflopsN: f ? f / msN / 1e6 : null, speedup });
  }
  const g = (v) => (v == null ? '-' : v.toFixed(1));
  const markdown = [
    `| shape | direction | 1 thread ms | ${threads} threads ms | 1 thread GFLOP/s | ${threads} threads GFLOP/s | speed-up |`,
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.shape} | ${r.direction} | ${r.ms1.toFixed(2)} | ${r.msN.toFixed(2)} | ${g(r.gflops1)} | ${g(r.gflopsN)} | ${r.speedup.toFixed(2)}x |`),
  ].join('\n');
  return { rows, markdown, rounds, samples, threads };
}

async function main() {
  const rounds = Number(arg('rounds', 3));
  const samples = Number(arg('samples', 7));
  const par = Number(arg('threads', 2));
  const { rows, markdown } = await benchThreads({ rounds, samples, threads: par, only: arg('only', '') });
  if (process.argv.includes('--json')) { console.log(JSON.stringify(rows, null, 2)); return; }
  const os = await import('node:os');
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${rounds} rounds x ${samples} interleaved pairs`);
  console.log(markdown);
}

const childArg = arg('child', null);
if (childArg) await child(Number(childArg), arg('only', ''), Number(arg('samples', 7)));
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
