#!/usr/bin/env node
// Convolution throughput, single thread: conv2d forward, backward-input and backward-filter in
// GFLOP/s (FLOPs = 2·N·Ho·Wo·Cout·Kh·Kw·Cin/groups for each), wasm-cnn against
// @tensorflow/tfjs-backend-wasm (XNNPACK) and @tensorflow/tfjs-backend-cpu, same process.
// FLOPs are those of the direct convolution for every library, so 3x3 stride-1 convs that
// wasm-cnn runs with Winograd F(2x2,3x3) (2.25x fewer multiplies) show effective GFLOP/s.
// Samples run round-robin (one of each library, then again), so background load on a shared
// machine hits all alike; figures are medians, ratios are medians of per-round ratios.
//
//   node scripts/build.mjs && node bench/conv.mjs              baseline SIMD build
//   node --experimental-wasm-relaxed-simd bench/conv.mjs       relaxed SIMD (FMA) build
//   options: --quick (fewer rounds), --no-cpu (skip tfjs-cpu), --json, --only=<substring>
// tfjs-cpu runs on a smaller batch where a pass would exceed ~20 MFLOP (its backprop kernels are
// plain JS loops at a few MFLOP/s); GFLOP/s are per FLOP, so the ratio stays comparable.
// As a module: `import { benchConv } from './conv.mjs'; const rows = await benchConv();`
import { fileURLToPath } from 'node:url';
import { init, backendInfo, tensor, ops } from '../dist/index.js';

export const CONV_SHAPES = [
  { name: '64x28x28x1 -> 32, 3x3 same', x: [64, 28, 28, 1], f: [3, 3, 1, 32], strides: 1, padding: 'same' },
  { name: '32x14x14x32 -> 64, 3x3 same', x: [32, 14, 14, 32], f: [3, 3, 32, 64], strides: 1, padding: 'same' },
  { name: '8x56x56x64 -> 64, 3x3 same', x: [8, 56, 56, 64], f: [3, 3, 64, 64], strides: 1, padding: 'same' },
  { name: '1x224x224x3 -> 64, 7x7 s2 pad 3', x: [1, 224, 224, 3], f: [7, 7, 3, 64], strides: 2, padding: 3 },
  { name: '16x32x32x64 depthwise 3x3 same', x: [16, 32, 32, 64], f: [3, 3, 1, 64], strides: 1, padding: 'same', groups: 64 },
];
const DIRECTIONS = ['forward', 'backward-input', 'backward-filter'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
function calibrate(fn, minMs) {
  fn(); // warm-up: tier-up, workspaces, page faults
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= minMs || dt > 400) return calls;
    calls = Math.max(calls * 2, Math.ceil((calls * minMs) / Math.max(dt, 0.01)));
  }
}
function sample(fn, calls) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / calls;
}
function values(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 4294967296 - 0.5; }
  return a;
}

function geometry(c) {
  const [N, H, W, C] = c.x;
  const [kh, kw, , co] = c.f;
  const s = c.strides;
  let Ho, Wo;
  if (c.padding === 'same') { Ho = Math.ceil(H / s); Wo = Math.ceil(W / s); }
  else if (c.padding === 'valid') { Ho = Math.floor((H - kh) / s) + 1; Wo = Math.floor((W - kw) / s) + 1; }
  else { Ho = Math.floor((H + 2 * c.padding - kh) / s) + 1; Wo = Math.floor((W + 2 * c.padding - kw) / s) + 1; }
  const groups = c.groups ?? 1;
  return { yShape: [N, Ho, Wo, co], flops: 2 * N * Ho * Wo * co * kh * kw * (C / groups) };
}

/** The same conv with the batch cut so one pass is at most about maxFlops (at least 1 image). */
function shrinkBatch(c, maxFlops) {
  const { flops } = geometry(c);
  const n = Math.max(1, Math.min(c.x[0], Math.floor((c.x[0] * maxFlops) / flops)));
  return { ...c, x: [n, ...c.x.slice(1)] };
}

/** wasm-cnn: one closure per direction. */
function wasmCnnCase(c, yShape) {
  const opts = { strides: c.strides, padding: c.padding, groups: c.groups ?? 1 };
  const x = tensor(values(c.x.reduce((a, b) => a * b), 1), c.x);
  const w = tensor(values(c.f.reduce((a, b) => a * b), 2), c.f);
  const dy = tensor(values(yShape.reduce((a, b) => a * b), 3), yShape);
  return {
    forward: () => ops.conv2d(x, w, null, opts).dispose(),
    'backward-input': () => ops.conv2dBackpropInput(c.x, dy, w, opts).dispose(),
    'backward-filter': () => ops.conv2dBackpropFilter(x, dy, c.f, opts).dispose(),
    dispose: () => { x.dispose(); w.dispose(); dy.dispose(); },
  };
}

/** tfjs (either backend) through its kernels, so each direction times exactly one kernel. */
function tfjsCase(tf, c, yShape) {
  const depthwise = (c.groups ?? 1) > 1;
  const pad = typeof c.padding === 'number' ? [[0, 0], [c.padding, c.padding], [c.padding, c.padding], [0, 0]] : c.padding;
  const x = tf.tensor(values(c.x.reduce((a, b) => a * b), 1), c.x);
  // tfjs depthwise filters are [kh, kw, C, multiplier]: the same bytes as our [kh, kw, 1, C*m].
  const fShape = depthwise ? [c.f[0], c.f[1], c.x[3], c.f[3] / c.x[3]] : c.f;
  const w = tf.tensor(values(c.f.reduce((a, b) => a * b), 2), fShape);
  const dy = tf.tensor(values(yShape.reduce((a, b) => a * b), 3), yShape);
  const attrs = { strides: [c.strides, c.strides], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  const run = (name, inputs, extra) => () => {
    const out = tf.engine().runKernel(name, inputs, { ...attrs, ...extra });
    out.dataSync(); // settle any lazy work
    out.dispose();
  };
  return depthwise ? {
    forward: run('DepthwiseConv2dNative', { x, filter: w }, {}),
    'backward-input': run('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { inputShape: c.x }),
    'backward-filter': run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { filterShape: fShape }),
    dispose: () => { x.dispose(); w.dispose(); dy.dispose(); },
  } : {
    forward: run('Conv2D', { x, filter: w }, {}),
    'backward-input': run('Conv2DBackpropInput', { dy, filter: w }, { inputShape: c.x }),
    'backward-filter': run('Conv2DBackpropFilter', { x, dy }, { filterShape: c.f }),
    dispose: () => { x.dispose(); w.dispose(); dy.dispose(); },
  };
}

async function loadTfjs(withCpu) {
  const tf = await import('@tensorflow/tfjs-core');
  const libs = [];
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)));
    if (typeof wasm.setThreadsCount === 'function') wasm.setThreadsCount(1);
    if (await tf.setBackend('wasm')) libs.push('tfjs-wasm');
  } catch (e) { console.error(`tfjs-backend-wasm unavailable: ${e.message}`); }
  if (withCpu) {
    try {
      await import('@tensorflow/tfjs-backend-cpu');
      if (await tf.setBackend('cpu')) libs.push('tfjs-cpu');
    } catch (e) { console.error(`tfjs-backend-cpu unavailable: ${e.message}`); }
  }
  return { tf, libs };
}

/**
 * Rows { shape, direction, gflops: {wasm-cnn, tfjs-wasm, tfjs-cpu}, ratio: {tfjs-wasm, tfjs-cpu} }
 * where ratio = wasm-cnn speed / other speed (median of per-round ratios); null where a library
 * lacks the kernel.
 */
export async function benchConv({ shapes = CONV_SHAPES, rounds = 7, cpu = true, quiet = false, minMs = 60, cpuMaxFlops = 2e7 } = {}) {
  await init();
  const { tf, libs } = await loadTfjs(cpu);
  const rows = [];
  for (const c of shapes) {
    const { yShape, flops } = geometry(c);
    const cases = { 'wasm-cnn': wasmCnnCase(c, yShape) };
    // tfjs-cpu's backprops run at a few MFLOP/s: it gets a smaller batch (same per-image work),
    // and its flops are counted on that batch.
    const cpuShape = shrinkBatch(c, cpuMaxFlops);
    const cpuGeo = geometry(cpuShape);
    for (const lib of libs) {
      await tf.setBackend(lib === 'tfjs-wasm' ? 'wasm' : 'cpu');
      cases[lib] = lib === 'tfjs-cpu' ? tfjsCase(tf, cpuShape, cpuGeo.yShape) : tfjsCase(tf, c, yShape);
    }
    const flopsOf = (lib) => (lib === 'tfjs-cpu' ? cpuGeo.flops : flops);
    for (const dir of DIRECTIONS) {
      const times = {}, calls = {}, errors = {};
      for (const lib of Object.keys(cases)) {
        if (lib !== 'wasm-cnn') await tf.setBackend(lib === 'tfjs-wasm' ? 'wasm' : 'cpu');
        try {
          // tfjs-cpu is far slower: one call per sample and fewer rounds keep the run short.
          calls[lib] = calibrate(cases[lib][dir], lib === 'tfjs-cpu' ? 1 : minMs);
          times[lib] = [];
        } catch (e) { errors[lib] = String(e.message ?? e).split('\n')[0]; }
      }
      for (let r = 0; r < rounds; r++) {
        for (const lib of Object.keys(times)) {
          if (lib === 'tfjs-cpu' && r >= Math.min(rounds, 3)) continue;
          if (lib !== 'wasm-cnn') await tf.setBackend(lib === 'tfjs-wasm' ? 'wasm' : 'cpu');
          times[lib].push(sample(cases[lib][dir], calls[lib]));
        }
      }
      const ours = times['wasm-cnn'];
      const row = { shape: c.name, direction: dir, flops, gflops: {}, ratio: {}, errors, cpuBatch: cpuShape.x[0] };
      for (const lib of ['wasm-cnn', ...libs]) {
        row.gflops[lib] = times[lib] ? flopsOf(lib) / (median(times[lib]) * 1e6) : null;
        if (lib !== 'wasm-cnn') {
          // Speed ratio per round: (our flops / our time) / (their flops / their time).
          row.ratio[lib] = times[lib] ? median(times[lib].map((t, i) => (t / flopsOf(lib)) / (ours[i] / flops))) : null;
        }
      }
      rows.push(row);
      if (!quiet) printRow(row, libs);
    }
    for (const lib of Object.keys(cases)) {
      if (lib !== 'wasm-cnn') await tf.setBackend(lib === 'tfjs-wasm' ? 'wasm' : 'cpu');
      cases[lib].dispose();
    }
  }
  return rows;
}

const f1 = (v) => (v == null ? 'n/a' : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));
function printHeader(libs) {
  const info = backendInfo();
  console.log(`conv2d, wasm-cnn ${info.variant} build, 1 thread; GFLOP/s (median, direct-convolution FLOPs), ratio = wasm-cnn speed / other`);
  console.log(`${'shape'.padEnd(34)} ${'direction'.padEnd(16)} ${'wasm-cnn'.padStart(9)} ${libs.map((l) => `${l.padStart(9)} ${'ratio'.padStart(7)}`).join(' ')}`);
}
function printRow(row, libs) {
  const cells = libs.map((l) => `${f1(row.gflops[l]).padStart(9)} ${(row.ratio[l] == null ? 'n/a' : `${row.ratio[l].toFixed(2)}x`).padStart(7)}`);
  const cpuNote = libs.includes('tfjs-cpu') && row.cpuBatch !== undefined ? `  [tfjs-cpu batch ${row.cpuBatch}]` : '';
  const err = cpuNote + Object.entries(row.errors).map(([l, e]) => `  [${l}: ${e.slice(0, 60)}]`).join('');
  console.log(`${row.shape.padEnd(34)} ${row.direction.padEnd(16)} ${f1(row.gflops['wasm-cnn']).padStart(9)} ${cells.join(' ')}${err}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick'), json = argv.includes('--json'), cpu = !argv.includes('--no-cpu');
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7);
  const shapes = only ? CONV_SHAPES.filter((s) => s.name.includes(only)) : CONV_SHAPES;
  if (!json) {
    await init();
    printHeader(['tfjs-wasm', ...(cpu ? ['tfjs-cpu'] : [])]);
  }
  const rows = await benchConv({ shapes, rounds: quick ? 3 : 7, cpu, quiet: json, minMs: quick ? 30 : 60 });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
