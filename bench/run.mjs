#!/usr/bin/env node
// The benchmark suite (`npm run bench`): one process, single thread, medians of repeated runs,
// wasm-cnn beside tfjs-backend-wasm, tfjs-backend-cpu, onnxruntime-web and ConvNetJS, with ratios.
// Prints markdown and writes the same to bench/RESULTS.md.
//   1. GEMM GFLOP/s and the register-only WASM SIMD peak (bench/gemm.mjs) + tfjs matMul
//   2. conv2d forward / backward-input / backward-filter GFLOP/s and max pooling (bench/conv.mjs
//      when it exists for the wasm-cnn side; this file measures the tfjs sides)
//   3-4. MNIST CNN inference and training images/s (bench/models.mjs)
//   5. cold start (bench/coldstart.mjs)
//   6. conv2d on two threads vs one (bench/threads.mjs)
//   7. real networks: torchvision CNNs vs onnxruntime-web, batch 1 and 8, 1 and 2 threads
//      (bench/zoo.mjs in a child process; needs bench/export-zoo.py's exports, else says how to make them)
//   8. training a ResNet-20-like network vs PyTorch (bench/resnet20-train.mjs --torch in a child process)
//
//   node bench/run.mjs [--quick] [--with zoo,train] [--only gemm,conv,models,coldstart,threads,zoo,train] [--no-write]
//        [--zoo-dir bench/out/zoo] [--zoo-only a,b] [--zoo-batches 1,8]
import { writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  ROOT, isQuick, log, fmt, ratio, mdTable, reason, machineInfo, measureRoundRobin, loadTf, tfBackend,
  loadWasmCnn, shutdownWasmCnn, randomF32, median, benchModels,
} from './models.mjs';
import { benchColdStart } from './coldstart.mjs';
import { QUIET_PROBE } from './gemm.mjs';

const argv = process.argv.slice(2);
const quick = isQuick(argv);
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg
  ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1] ?? '').split(','))
  : null;
const want = (s) => !only || only.has(s);
const withArg = argv.find((a) => a.startsWith('--with'));
const extra = new Set([
  ...(withArg ? (withArg.includes('=') ? withArg.split('=')[1] : argv[argv.indexOf(withArg) + 1] ?? '').split(',') : []),
  ...(only ? [...only].filter((s) => s === 'zoo' || s === 'train') : []),
]);
const REPEATS = quick ? 5 : 7;
const MIN_MS = quick ? 80 : 200;

const cell = (r, f = fmt) => (!r ? 'n/a' : r.error ? (/^not built yet/.test(r.error) ? 'n/a (not built yet)' : `n/a (${r.error})`) : f(r.rate));
const gflops = (r) => (r && !r.error ? r.rate / 1e9 : NaN);
const pct = (x, peak) => (Number.isFinite(x) && Number.isFinite(peak) && peak > 0 ? `${(100 * x / peak).toFixed(0)}%` : 'n/a');

async function importOptional(rel, name) {
  const url = new URL(rel, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return { error: `${rel} not present yet` };
  try {
    const mod = await import(url.href);
    if (typeof mod[name] !== 'function') return { error: `${rel} has no ${name}()` };
    return { fn: mod[name], mod };
  } catch (e) {
    return { error: `${rel} failed to load: ${reason(e)}` };
  }
}

// ------------------------------------------------------------------------------ 1. GEMM

const GEMM_SHAPES = [[256, 256, 256, '256³'], [512, 512, 512, '512³'], [1024, 1024, 1024, '1024³'], [64, 800, 500, '64×800×500']];

async function sectionGemm(ctx) {
  log('GEMM ...');
  const { tf } = await loadTf();
  // wasm-cnn side: bench/gemm.mjs's benchGemm (rows { shape, M, K, N, gflops, variant }, plus the
  // peakMadd row), called once per round with repeats: 1, interleaved with the tfjs cases below,
  // so the same background load hits both; figures are medians over the rounds.
  const g = await importOptional('./gemm.mjs', 'benchGemm');
  const W = await loadWasmCnn();
  const rounds = [];
  const cases = [{
    name: 'wasm-cnn gemm', work: 1, warmup: 0, calls: 1,
    error: g.error ?? (W.error ? 'not built yet' : null),
    run: async () => { rounds.push(await g.fn({ quiet: true, repeats: 1, shapes: GEMM_SHAPES.map(([M, K, N, l]) => [M, K, N, l]) })); },
  }];
  if (g.error) log(`  wasm-cnn GEMM: n/a (${g.error})`);
  for (const be of ['wasm', 'cpu']) {
    for (const [M, K, N] of GEMM_SHAPES) {
      let a, b;
      cases.push({
        name: `${be} ${M}x${K}x${N}`, work: 2 * M * N * K, warmup: be === 'cpu' && M * N * K > 1e8 ? 1 : 2,
        setup: async () => {
          await tfBackend(tf, be);
          a = tf.tensor(randomF32(M * K, 1), [M, K]);
          b = tf.tensor(randomF32(K * N, 2), [K, N]);
        },
        before: () => tfBackend(tf, be),
        run: () => tf.matMul(a, b).dispose(),
        teardown: () => { a?.dispose(); b?.dispose(); },
      });
    }
  }
  const r = await measureRoundRobin(cases, { repeats: REPEATS, minMs: MIN_MS, label: 'GEMM ' });
  const gemmErr = r.get('wasm-cnn gemm').error;
  const rows = gemmErr || rounds.length === 0 ? null : rounds[0];
  // wasm-cnn GEMM and the peak come from the same benchGemm calls (wall clock), one per round.
  const isPeak = (x) => !x.M || /peak/i.test(x.shape);
  const perRound = (pick) => rounds.map((rr) => rr.find(pick)?.gflops ?? NaN).filter(Number.isFinite);
  const peaks = rows ? perRound(isPeak) : [];
  const peak = rows ? median(peaks) : NaN;
  ctx.peakGflops = peak;
  const table = GEMM_SHAPES.map(([M, K, N, label]) => {
    const w = rows ? median(perRound((x) => x.M === M && x.K === K && x.N === N)) : NaN;
    const rw = r.get(`wasm ${M}x${K}x${N}`), rc = r.get(`cpu ${M}x${K}x${N}`);
    return [label, rows ? fmt(w) : `n/a (${gemmErr ?? 'not built yet'})`, pct(w, peak), cell(rw, (x) => fmt(x / 1e9)),
      pct(gflops(rw), peak), cell(rc, (x) => fmt(x / 1e9)), ratio(w, gflops(rw)), ratio(w, gflops(rc))];
  });
  table.push(['peak: register-only f32x4 multiply-add loop (`peakMadd`)', Number.isFinite(peak) ? fmt(peak) : 'n/a (not built yet)',
    Number.isFinite(peak) ? '100%' : 'n/a', '', '', '', '', '']);
  const builds = gemmBothBuilds();
  return [
    `## 1. GEMM (C = A·B, M×K×N, FLOPs = 2MNK), GFLOP/s, 1 thread`,
    '',
    mdTable(['shape', 'wasm-cnn', '% of peak', 'tfjs-wasm matMul', '% of peak', 'tfjs-cpu matMul', 'wasm-cnn ÷ tfjs-wasm', 'wasm-cnn ÷ tfjs-cpu'], table),
    '',
    `wasm-cnn: bench/gemm.mjs's \`benchGemm\` (the kernel called directly, packing included, and \`peakMadd\`), one call per round;`
      + ` tfjs: \`tf.matMul\` on tensors already in the backend; medians of ${REPEATS} round-robin rounds. The peak is timed the`
      + ` same way (wall clock) in every round: ${peaks.map(fmt).join(', ') || 'n/a'} GFLOP/s; it drops whenever other processes take the core.`
      + (rows ? ` wasm-cnn variant: ${rows[0]?.variant ?? 'n/a'}.` : ''),
    '',
    builds,
  ].join('\n');
}

/**
 * Both kernel builds against their own peak: bench/gemm.mjs in child processes, the relaxed one
 * with --experimental-wasm-relaxed-simd (Node 20), alternating baseline / relaxed for
 * GEMM_BOTH_ROUNDS rounds so that a spell of contention on the shared host falls on both builds
 * rather than on whichever ran then. % of peak pairs each GEMM sample with a peak sample taken just
 * before it, by process CPU time; the figure is the median over all rounds' samples.
 */
const GEMM_BOTH_ROUNDS = 3;
function gemmBothBuilds() {
  const run = (flags) => {
    const r = spawnSync(process.execPath, [...flags, fileURLToPath(new URL('./gemm.mjs', import.meta.url)), '--json', '--repeats=5'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench/gemm.mjs ${flags.join(' ')} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  try {
    const rounds = { base: [], relaxed: [] };
    for (let i = 0; i < GEMM_BOTH_ROUNDS; i++) {
      rounds.base.push(run([]));
      rounds.relaxed.push(run(['--experimental-wasm-relaxed-simd']));
    }
    // Per shape: pooled samples of every round; the per-round medians show the spread.
    const pool = (runs, i) => {
      const g = runs.flatMap((rows) => rows[i].samples?.gflopsCpu ?? [rows[i].gflopsCpu]);
      const p = runs.flatMap((rows) => rows[i].samples?.pctPeak ?? [rows[i].pctPeak]);
      const probe = runs.flatMap((rows) => rows[i].samples?.probe ?? []);
      const quiet = p.filter((_, j) => probe[j] <= QUIET_PROBE);
      const perRound = runs.map((rows) => rows[i].pctPeak);
      return { gflops: median(g), pct: median(p), lo: Math.min(...perRound), hi: Math.max(...perRound),
        probe: probe.length ? median(probe) : NaN, quiet: quiet.length ? median(quiet) : NaN, nQuiet: quiet.length, n: p.length };
    };
    const pct = (x) => `${x.pct.toFixed(0)}% (${x.lo.toFixed(0)}–${x.hi.toFixed(0)})`;
    const quietPct = (x) => (x.nQuiet ? `${x.quiet.toFixed(0)}% (${x.nQuiet}/${x.n})` : `– (0/${x.n})`);
    const isPeakRow = (b) => b.M === 0;
    const rowsOut = rounds.base[0].map((b, i) => {
      const x = pool(rounds.base, i), y = pool(rounds.relaxed, i);
      return [b.shape, fmt(x.gflops), pct(x), isPeakRow(b) ? '' : quietPct(x), fmt(y.gflops), pct(y), isPeakRow(b) ? '' : quietPct(y),
        ratio(y.gflops, x.gflops)];
    });
    const probes = (runs) => median(runs.flatMap((rows) => rows.flatMap((r) => r.samples?.probe ?? [])));
    return [
      `Each build against its own peak (bench/gemm.mjs in child processes, ${GEMM_BOTH_ROUNDS} rounds alternating baseline and relaxed, 5 samples per shape each; process CPU time, each GEMM sample paired with a peak sample taken just before it; median of all samples, in brackets the lowest and highest round's median; relaxed = \`node --experimental-wasm-relaxed-simd\`, its GEMM uses \`f32x4.relaxed_madd\` (FMA), variant ${rounds.relaxed[0][0]?.variant}):`,
      '',
      mdTable(['shape', 'baseline GFLOP/s', '% of baseline peak', 'quiet-core samples', 'relaxed GFLOP/s', '% of relaxed peak', 'quiet-core samples', 'relaxed ÷ baseline'], rowsOut),
      '',
      `Quiet-core samples: those whose front-end probe (\`peakMaddIntHeavy\`, the peak loop plus 12 integer ops per iteration, timed next to every GEMM sample) ran within ${QUIET_PROBE}x of the peak loop's time, i.e. the core's instruction front end was not shared with a busy SMT sibling; % of peak is their median (count in brackets). Median probe over all samples in this run: baseline ${probes(rounds.base).toFixed(2)}, relaxed ${probes(rounds.relaxed).toFixed(2)} (about 1.0 on a core of its own; 1.2–1.5 with the sibling busy, where every instruction that is not a multiply or an add costs time and the baseline kernel — 6 loads and a branch per 16 multiply/adds — measured 64–79% instead of 91–94%).`,
    ].join('\n');
  } catch (e) {
    return `Both builds against their own peak: n/a (${reason(e)})`;
  }
}

// ------------------------------------------------------------------------------ 2. conv2d and pooling

/** The conv2d layers: NHWC input, HWIO weights, 3x3 'same' unless noted. */
export const CONV_SHAPES = [
  { label: '64×28×28×1 → 32', x: [64, 28, 28, 1], k: 3, cout: 32 },
  { label: '32×14×14×32 → 64', x: [32, 14, 14, 32], k: 3, cout: 64 },
  { label: '8×56×56×64 → 64', x: [8, 56, 56, 64], k: 3, cout: 64 },
  { label: '1×224×224×3 → 64, 7×7 s2 p3', x: [1, 224, 224, 3], k: 7, cout: 64, stride: 2, pad: 3 },
  { label: '16×32×32×64 depthwise 3×3', x: [16, 32, 32, 64], k: 3, cout: 64, depthwise: true },
];
export const POOL_SHAPES = [
  { label: 'maxPool 2×2 s2, 64×28×28×32', x: [64, 28, 28, 32] },
  { label: 'maxPool 2×2 s2, 8×56×56×64', x: [8, 56, 56, 64] },
];
const PASSES = ['forward', 'backward-input', 'backward-filter'];

function convGeom(s) {
  const [n, h, w, c] = s.x;
  const stride = s.stride ?? 1;
  const outH = s.pad != null ? Math.floor((h + 2 * s.pad - s.k) / stride) + 1 : Math.ceil(h / stride);
  const outW = s.pad != null ? Math.floor((w + 2 * s.pad - s.k) / stride) + 1 : Math.ceil(w / stride);
  const cinPerGroup = s.depthwise ? 1 : c;
  const flops = 2 * n * outH * outW * s.cout * s.k * s.k * cinPerGroup;
  const wShape = s.depthwise ? [s.k, s.k, 1, s.cout] : [s.k, s.k, c, s.cout];
  return { n, h, w, c, stride, outH, outW, flops, wShape, yShape: [n, outH, outW, s.cout] };
}

/** The same layer with a smaller batch, then a smaller image, doing about `fraction` of the FLOPs. */
function shrinkConv(s, fraction) {
  const [n, h, w, c] = s.x;
  const n2 = Math.max(1, Math.min(n, Math.floor(n * fraction)));
  const rest = (fraction * n) / n2;
  if (rest >= 1) return { ...s, x: [n2, h, w, c] };
  const f = Math.sqrt(rest);
  return { ...s, x: [n2, Math.max(s.k + 1, Math.round(h * f)), Math.max(s.k + 1, Math.round(w * f)), c] };
}

// tfjs-cpu's conv backprops are plain JS loops over TensorBuffer.get (Conv2DBackpropFilter takes
// minutes on these shapes): its rate per FLOP does not depend on the size, so a call predicted to
// last longer than this is timed on a smaller batch (then a smaller image) instead.
const CPU_MAX_CALL_MS = quick ? 150 : 400;

/**
 * Picks the fraction of a case's full size that one call of `run` can do in about CPU_MAX_CALL_MS:
 * times one call at the smallest size (`make(0)`), then at the predicted fraction, up to 3 times,
 * until the prediction holds. `make(fraction)` builds the inputs and returns the work of one call.
 */
function fitToBudget(fullWork, make, run) {
  let fraction = 0;
  let work = make(0);
  run(); // warm-up at the small size: JIT, kernel setup
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    run();
    const ms = Math.max(performance.now() - t0, 1e-3);
    const next = Math.min(1, (work / ms) * CPU_MAX_CALL_MS / fullWork);
    if (next >= 1 || (fraction > 0 && Math.abs(next - fraction) < 0.5 * fraction)) { fraction = next; break; }
    fraction = next;
    work = make(fraction);
  }
  return fraction;
}

/** tfjs cases for one conv shape and pass on one backend (raw kernels, as the layers call them). */
function tfConvCase(tf, be, s0, pass) {
  let s = s0;
  let x, w, dy;
  const strides = [s0.stride ?? 1, s0.stride ?? 1];
  const pad = s0.pad != null ? [[0, 0], [s0.pad, s0.pad], [s0.pad, s0.pad], [0, 0]] : 'same';
  const make = (shape) => {
    const g = convGeom(shape);
    x?.dispose(); w?.dispose(); dy?.dispose();
    x = tf.tensor(randomF32(g.n * g.h * g.w * g.c, 3), shape.x);
    // depthwise filters in tfjs are [kh, kw, C, multiplier]: the same bytes as HWIO [kh, kw, 1, C]
    w = tf.tensor(randomF32(shape.k * shape.k * shape.cout * (shape.depthwise ? 1 : g.c), 4), shape.depthwise ? [shape.k, shape.k, g.c, 1] : g.wShape);
    dy = tf.tensor(randomF32(g.yShape.reduce((a, b) => a * b), 5), g.yShape);
    return g;
  };
  const c = {
    name: `${be} ${s0.label} ${pass}`, work: convGeom(s0).flops, warmup: 1, scaledTo: null,
    setup: async () => {
      await tfBackend(tf, be);
      if (be === 'cpu') {
        // The smallest size: one image of 8x8 (or the kernel size + 1).
        const small = { ...s0, x: [1, Math.min(s0.x[1], Math.max(s0.k + 1, 8)), Math.min(s0.x[2], Math.max(s0.k + 1, 8)), s0.x[3]] };
        const fraction = fitToBudget(convGeom(s0).flops, (fr) => { s = fr === 0 ? small : shrinkConv(s0, fr); return make(s).flops; }, () => c.run());
        s = fraction >= 1 ? s0 : shrinkConv(s0, fraction);
        if (s !== s0) c.scaledTo = s.x;
      }
      c.work = make(s).flops;
    },
    before: () => tfBackend(tf, be),
    run: () => {
      const e = tf.engine();
      let out;
      if (s.depthwise) {
        if (pass === 'forward') out = tf.depthwiseConv2d(x, w, strides, pad);
        else if (pass === 'backward-input') out = e.runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { strides, dilations: 1, pad, inputShape: s.x });
        else out = e.runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides, dilations: 1, pad, filterShape: w.shape });
      } else if (pass === 'forward') out = tf.conv2d(x, w, strides, pad);
      else if (pass === 'backward-input') out = e.runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides, pad, dataFormat: 'NHWC', inputShape: s.x });
      else out = e.runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape: w.shape });
      out.dispose();
    },
    teardown: () => { x?.dispose(); w?.dispose(); dy?.dispose(); },
  };
  return c;
}

/** wasm-cnn cases through the public ops (used when bench/conv.mjs is absent). */
function wasmConvCase(W, s, pass) {
  const g = convGeom(s);
  const opts = { strides: g.stride, padding: s.pad ?? 'same', ...(s.depthwise ? { groups: g.c } : {}) };
  let x, w, dy;
  return {
    name: `wasm-cnn ${s.label} ${pass}`, work: g.flops, error: W.error ?? null,
    setup: () => {
      const { ops, tensor } = W.mod;
      const fn = { forward: 'conv2d', 'backward-input': 'conv2dBackpropInput', 'backward-filter': 'conv2dBackpropFilter' }[pass];
      if (typeof ops?.[fn] !== 'function') throw new Error(`not built yet (no ops.${fn})`);
      x = tensor(randomF32(g.n * g.h * g.w * g.c, 3), s.x);
      w = tensor(randomF32(g.wShape.reduce((a, b) => a * b), 4), g.wShape);
      dy = tensor(randomF32(g.yShape.reduce((a, b) => a * b), 5), g.yShape);
    },
    run: () => {
      const { ops } = W.mod;
      const out = pass === 'forward' ? ops.conv2d(x, w, null, opts)
        : pass === 'backward-input' ? ops.conv2dBackpropInput(s.x, dy, w, opts)
          : ops.conv2dBackpropFilter(x, dy, g.wShape, opts);
      out.dispose();
    },
    teardown: () => { x?.dispose(); w?.dispose(); dy?.dispose(); },
  };
}

/** Max pooling 2x2 stride 2: forward, and forward + backward (tfjs: MaxPool + MaxPoolGrad; wasm-cnn: autograd). */
function poolCases(tf, W, s) {
  const [n, h, wd, c] = s.x;
  const cases = [];
  for (const pass of ['forward', 'forward + backward']) {
    for (const be of ['wasm', 'cpu']) {
      let x, dy, batch = n;
      const make = (nb) => {
        x?.dispose(); dy?.dispose();
        batch = nb;
        x = tf.tensor(randomF32(nb * h * wd * c, 6), [nb, h, wd, c]);
        dy = tf.tensor(randomF32((nb * h * wd * c) / 4, 7), [nb, h / 2, wd / 2, c]);
      };
      const cs = {
        name: `${be} ${s.label} ${pass}`, work: n * h * wd * c, warmup: 1, scaledTo: null,
        setup: async () => {
          await tfBackend(tf, be);
          if (be === 'cpu') { // tfjs-cpu's MaxPoolGrad is a TensorBuffer loop: fit the batch to CPU_MAX_CALL_MS
            const nbOf = (fr) => Math.max(1, Math.min(n, Math.floor(n * fr)));
            const fraction = fitToBudget(n * h * wd * c, (fr) => { make(nbOf(fr)); return batch * h * wd * c; }, () => cs.run());
            make(nbOf(fraction));
            if (batch < n) cs.scaledTo = [batch, h, wd, c];
          } else make(n);
          cs.work = batch * h * wd * c;
        },
        before: () => tfBackend(tf, be),
        run: () => {
          const y = tf.maxPool(x, 2, 2, 'valid');
          if (pass !== 'forward') {
            tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }).dispose();
          }
          y.dispose();
        },
        teardown: () => { x?.dispose(); dy?.dispose(); },
      };
      cases.push(cs);
    }
    let x, dy;
    const size = n * h * wd * c;
    cases.push({
      name: `wasm-cnn ${s.label} ${pass}`, work: size, error: W.error ?? null,
      setup: () => {
        const { ops, tensor } = W.mod;
        if (typeof ops?.maxPool2d !== 'function') throw new Error('not built yet (no ops.maxPool2d)');
        x = tensor(randomF32(size, 6), s.x);
        if (pass !== 'forward') x.requireGrad();
        dy = tensor(randomF32(size / 4, 7), [n, h / 2, wd / 2, c]);
      },
      run: () => {
        const y = W.mod.ops.maxPool2d(x, { poolSize: 2 });
        if (pass !== 'forward') {
          y.backward(dy);
          x.grad?.dispose();
          x.zeroGrad();
        }
        y.dispose();
      },
      teardown: () => { x?.dispose(); dy?.dispose(); },
    });
  }
  return cases;
}

/** bench/conv.mjs's row for one of our shapes and passes, or null. */
function convRowFor(rows, theirShapes, s, pass) {
  if (!Array.isArray(rows)) return null;
  const same = (t) => t.x?.join('x') === s.x.join('x') && ((t.groups ?? 1) > 1) === !!s.depthwise;
  const name = Array.isArray(theirShapes) ? theirShapes.find(same)?.name : null;
  return rows.find((r) => r.direction === pass && (name ? r.shape === name : String(r.shape).startsWith(s.x.join('x')))) ?? null;
}

/**
 * The register-only peak by wall clock, as conv.mjs times its kernels (bench/gemm.mjs's benchPeak
 * uses process CPU time): a function (repeats) -> median GFLOP/s, or null without the bench build.
 */
async function makeWallPeak() {
  const { backendInfo } = await import('../dist/index.js');
  const { benchKernels } = await import('./bench-build.mjs');
  let k;
  try { k = benchKernels(backendInfo().variant); } catch { return null; }
  const iters = 500_000;
  const flops = iters * k.peakMaddChains() * 8;
  return (repeats) => {
    k.peakMadd(iters);
    let calls = 1;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) k.peakMadd(iters);
      if (performance.now() - t0 >= 20) break;
      calls *= 2;
    }
    const gf = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) k.peakMadd(iters);
      gf.push((flops * calls) / ((performance.now() - t0) * 1e6));
    }
    return median(gf);
  };
}

async function sectionConv(ctx) {
  log('conv2d + pooling ...');
  const { tf } = await loadTf();
  const W = await loadWasmCnn();
  // bench/conv.mjs (another engineer's) times wasm-cnn against tfjs-wasm round-robin; tfjs-cpu is
  // timed here, scaled down where its loop kernels would take minutes. Without conv.mjs, all here.
  const c = await importOptional('./conv.mjs', 'benchConv');
  let convRows = null;
  // The peak, measured just before and after the conv kernels too: the load on a shared machine drifts.
  const wallPeak = W.error ? null : await makeWallPeak();
  // conv.mjs runs one shape at a time with peakMadd sampled between shapes; % of peak divides by
  // the median of those samples (the same clock, spread over the same minutes as the kernels).
  const peaks = [];
  const samplePeak = () => {
    if (!wallPeak) return NaN;
    try { const p = wallPeak(REPEATS); peaks.push(p); return p; } catch { return NaN; }
  };
  if (!c.error && !W.error) {
    try {
      log('  bench/conv.mjs (wasm-cnn vs tfjs-wasm) ...');
      const opts = { quiet: true, rounds: REPEATS, cpu: false, minMs: quick ? 30 : 60 };
      if (Array.isArray(c.mod.CONV_SHAPES)) {
        convRows = [];
        samplePeak();
        for (const shape of c.mod.CONV_SHAPES) {
          convRows.push(...await c.fn({ ...opts, shapes: [shape] }));
          samplePeak();
        }
      } else convRows = await c.fn(opts);
    } catch (e) { convRows = null; log(`  bench/conv.mjs failed (${reason(e)}); timing the ops here instead`); }
  } else log(`  ${c.error ?? 'wasm-cnn not built'}: timing the ops here`);
  samplePeak();
  const theirShapes = c.mod?.CONV_SHAPES;
  const cases = [];
  const fromRows = new Map();
  for (const s of CONV_SHAPES) {
    for (const pass of PASSES) {
      const row = convRowFor(convRows, theirShapes, s, pass);
      if (row) fromRows.set(`${s.label} ${pass}`, row);
      else { cases.push(tfConvCase(tf, 'wasm', s, pass)); cases.push(wasmConvCase(W, s, pass)); }
      cases.push(tfConvCase(tf, 'cpu', s, pass));
    }
  }
  for (const s of POOL_SHAPES) cases.push(...poolCases(tf, W, s));
  log(`  ${cases.length} cases here, ${REPEATS} round-robin repeats`);
  const r = await measureRoundRobin(cases, { repeats: REPEATS, minMs: MIN_MS, label: 'conv ' });
  const scaled = new Map(cases.filter((x) => x.scaledTo).map((x) => [x.name, x.scaledTo]));

  samplePeak();
  const peak = median(peaks.filter(Number.isFinite));
  const noKernel = (msg) => (/not registered for backend/.test(msg ?? '') ? 'no kernel' : msg);
  const f = (x) => fmt(x / 1e9);
  const notes = [];
  const convRowsOut = [];
  for (const s of CONV_SHAPES) {
    const g = convGeom(s);
    for (const pass of PASSES) {
      const key = `${s.label} ${pass}`;
      const row = fromRows.get(key);
      let w, tw, ratioW;
      if (row) {
        const gw = row.gflops?.['wasm-cnn'];
        const gt = row.gflops?.['tfjs-wasm'];
        w = gw == null ? { error: noKernel(row.errors?.['wasm-cnn']) ?? 'failed' } : { rate: gw * 1e9 };
        tw = gt == null ? { error: noKernel(row.errors?.['tfjs-wasm']) ?? 'no kernel' } : { rate: gt * 1e9 };
        ratioW = ratio(gflops(w), gflops(tw));
      } else {
        w = r.get(`wasm-cnn ${key}`);
        tw = r.get(`wasm ${key}`);
        if (tw?.error) tw.error = noKernel(tw.error);
        ratioW = ratio(gflops(w), gflops(tw));
      }
      const tc = r.get(`cpu ${key}`);
      if (tc?.error) tc.error = noKernel(tc.error);
      let tcCell = cell(tc, f);
      const sc = scaled.get(`cpu ${key}`);
      if (sc && !tc?.error) {
        notes.push(`${s.label} ${pass}: tfjs-cpu timed on input [${sc.join(',')}]`);
        tcCell += ` [${notes.length}]`;
      }
      convRowsOut.push([pass === 'forward' ? `${s.label} (${fmt(g.flops / 1e9)} GFLOP)` : '', pass, cell(w, f), pct(gflops(w), peak),
        cell(tw, f), tcCell, ratioW, ratio(gflops(w), gflops(tc))]);
    }
  }
  const poolRowsOut = [];
  const ms = (x) => (x && !x.error ? 1000 / x.rate : NaN); // ms per input element; scaled below
  for (const s of POOL_SHAPES) {
    const size = s.x.reduce((a, b) => a * b, 1);
    for (const pass of ['forward', 'forward + backward']) {
      const w = r.get(`wasm-cnn ${s.label} ${pass}`), tw = r.get(`wasm ${s.label} ${pass}`), tc = r.get(`cpu ${s.label} ${pass}`);
      const msCell = (x, name) => {
        if (!x) return 'n/a';
        if (x.error) return /^not built yet/.test(x.error) ? 'n/a (not built yet)' : `n/a (${noKernel(x.error)})`;
        let out = fmt(size * ms(x));
        const sc = scaled.get(name);
        if (sc) { notes.push(`${s.label} ${pass}: tfjs-cpu timed on input [${sc.join(',')}], ms scaled to the full batch`); out += ` [${notes.length}]`; }
        return out;
      };
      poolRowsOut.push([pass === 'forward' ? s.label : '', pass, msCell(w), msCell(tw), msCell(tc, `cpu ${s.label} ${pass}`),
        ratio(ms(tw), ms(w)), ratio(ms(tc), ms(w))]);
    }
  }
  const src = convRows
    ? `wasm-cnn and tfjs-wasm: bench/conv.mjs (kernels through \`runKernel\`, ${REPEATS} round-robin rounds, one layer at a time).`
      + ' tfjs-cpu: timed here through the same kernels, round-robin with the pooling cases.'
    : 'wasm-cnn: the public ops (`ops.conv2d`, `ops.conv2dBackpropInput`, `ops.conv2dBackpropFilter`); tfjs: the kernels the layers call'
      + ' (`tf.conv2d`, `tf.depthwiseConv2d`, `Conv2DBackpropInput`/`Conv2DBackpropFilter`/`DepthwiseConv2dNativeBackprop*` through `runKernel`); all round-robin here.';
  return [
    '## 2. conv2d and pooling, 1 thread',
    '',
    'GFLOP/s (FLOPs = 2·N·Ho·Wo·Cout·Kh·Kw·Cin/groups for each pass); NHWC, 3×3 \'same\' unless noted. tfjs-backend-wasm has'
      + ' no Conv2DBackpropFilter nor depthwise backprop kernels ("no kernel").',
    '',
    mdTable(['layer', 'pass', 'wasm-cnn', '% of peak', 'tfjs-wasm', 'tfjs-cpu', 'wasm-cnn ÷ tfjs-wasm', 'wasm-cnn ÷ tfjs-cpu'], convRowsOut),
    '',
    'Max pooling, ms per call (lower is better; the ratios are the other library\'s time ÷ wasm-cnn\'s). "forward + backward": tfjs'
      + ' runs MaxPool then MaxPoolGrad, wasm-cnn `ops.maxPool2d` then `y.backward(dy)` (autograd).',
    '',
    mdTable(['layer', 'pass', 'wasm-cnn ms', 'tfjs-wasm ms', 'tfjs-cpu ms', 'wasm-cnn speed-up vs tfjs-wasm', 'vs tfjs-cpu'], poolRowsOut),
    '',
    `${src} Medians of ${REPEATS}; ratios are ratios of the medians shown. % of peak against the median of \`peakMadd\``
      + ` timed by wall clock before, between and after the layers (${peaks.map(fmt).join(', ')} GFLOP/s in turn: it drops whenever other`
      + ' processes take the core, so % of peak is as noisy as both figures). GFLOP/s are effective: they count direct-convolution'
      + ' FLOPs, so a kernel using a fast algorithm (Winograd) that does fewer multiply-adds can show more than 100% of peak.',
    ...(notes.length ? ['', `tfjs-cpu's conv backprops and MaxPoolGrad are plain JS loops over \`TensorBuffer.get\` (one batch-64`
      + ' Conv2DBackpropFilter here takes minutes) and their rate per FLOP does not depend on the size, so calls predicted to take'
      + ` over ${CPU_MAX_CALL_MS} ms were timed on a smaller batch, then a smaller image:`, '', ...notes.map((n, i) => `${i + 1}. ${n}`)] : []),
  ].join('\n');
}

// ------------------------------------------------------------- 7-8. real networks, training

/** Value of `--name=v` / `--name v`, or `fallback`. */
function flag(name, fallback) {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

/** Runs a bench script in its own process (its memory and threads end with it) and returns its stdout. */
function runScript(script, args) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}`);
  return r.stdout.trim();
}

function sectionZoo() {
  const dir = flag('zoo-dir', fileURLToPath(new URL('./out/zoo', import.meta.url)));
  const head = '## 7. Real networks: torchvision CNNs, wasm-cnn vs onnxruntime-web';
  if (!existsSync(`${dir}/manifest.json`)) {
    return `${head}\n\nn/a: no exports in ${dir}; make them with \`/usr/bin/python3 bench/export-zoo.py --out ${dir}\` (about 2.5 GB).`;
  }
  log(`real networks from ${dir} ...`);
  const args = ['--dir', dir, '--batches', flag('zoo-batches', '1,8'), '--threads', '1,2', '--no-profile', ...(quick ? ['--quick'] : ['--repeats', '5'])];
  const zooOnly = flag('zoo-only', '');
  if (zooOnly) args.push('--only', zooOnly);
  const body = runScript('./zoo.mjs', args).replace(/^## .*\n/, '');
  return [head, body, '', `Reproduce: \`node bench/zoo.mjs ${args.join(' ').replace(dir, '<dir>')}\`; per-kind profiles: drop \`--no-profile\`.`].join('\n');
}

function sectionTrain() {
  log('ResNet-20-like training vs PyTorch ...');
  const args = ['--torch', '--threads=1,2', `--rounds=${quick ? 3 : 7}`, '--steps=2'];
  return ['## 8. Training a real network: ResNet-20-like, batch 64, vs PyTorch', '', runScript('./resnet20-train.mjs', args), '',
    `Reproduce: \`node bench/resnet20-train.mjs ${args.join(' ')}\` (PyTorch: Debian python3-torch, \`bench/pytorch-resnet20.py\`).`].join('\n');
}

// ------------------------------------------------------------------------------ main

async function main() {
  const t0 = performance.now();
  const W = await loadWasmCnn();
  const machine = machineInfo(W.info);
  const ctx = { peakGflops: NaN };
  const sections = [];
  const timings = [];
  const section = async (name, fn) => {
    if (!want(name)) return;
    const s0 = performance.now();
    try {
      sections.push(await fn());
    } catch (e) {
      log(`section ${name} failed: ${e?.stack ?? e}`);
      sections.push(`## ${name}\n\nn/a (the section failed: ${reason(e)})`);
    }
    timings.push(`${name} ${((performance.now() - s0) / 1000).toFixed(0)} s`);
    log(`  ${name}: ${((performance.now() - s0) / 1000).toFixed(0)} s`);
  };
  await section('gemm', () => sectionGemm(ctx));
  await section('conv', () => sectionConv(ctx));
  await section('models', async () => {
    const { markdown } = await benchModels({ quick });
    return `## 3-4. MNIST CNN, whole model, 1 thread\n\n${markdown}`;
  });
  await section('coldstart', async () => {
    const { markdown } = await benchColdStart({ quick });
    return `## 5. Cold start\n\n${markdown}`;
  });
  await section('threads', async () => {
    log('conv2d on 2 threads vs 1 ...');
    const { benchThreads } = await import('./threads.mjs');
    const r = await benchThreads({ rounds: quick ? 1 : 3, samples: quick ? 5 : 7, threads: 2, quiet: true });
    return [
      '## 6. Two threads vs one (wasm-cnn)',
      '',
      `\`init({ threads: 2 })\`, each case timed alternately with \`setNumThreads(1)\` and \`setNumThreads(2)\` in one process`
        + ` (${r.rounds} processes × ${r.samples} interleaved pairs; speed-up = median of the per-pair ratios). Results are`
        + ' bit-identical for any thread count. tfjs-backend-wasm runs one thread in Node, so sections 1-5 compare one thread to one.',
      '',
      r.markdown,
      '',
      'Reproduce: `node bench/threads.mjs [--rounds=N] [--only=<shape>]`.',
    ].join('\n');
  });
  // Opt-in (--with or --only): they need the zoo exports and PyTorch, and take tens of minutes.
  if (extra.has('zoo')) await section('zoo', sectionZoo);
  if (extra.has('train')) await section('train', sectionTrain);
  const total = (performance.now() - t0) / 1000;
  const cmd = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const md = [
    '# wasm-cnn benchmark results',
    '',
    `Command: \`${cmd}\` (${total.toFixed(0)} s: ${timings.join(', ')}). Every figure is the median of >= 5 repeats after`
      + ' warm-up (sections 7-8 say their own), in one Node process on one thread unless the section says otherwise; ratios `a ÷ b` printed as e.g. `1.35x`.',
    '',
    machine,
    '- Compared: @tensorflow/tfjs-core, -backend-wasm (SIMD, single thread in Node), -backend-cpu, -layers 4.22.0;'
      + ' onnxruntime-web 1.30.0 (wasm EP, numThreads 1); convnetjs 0.3.0. tfjs runs in production mode.',
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  console.log(md);
  if (!argv.includes('--no-write') && !only) {
    writeFileSync(`${ROOT}bench/RESULTS.md`, md);
    log(`wrote bench/RESULTS.md (${total.toFixed(0)} s)`);
  } else log(`(bench/RESULTS.md not written: ${only ? '--only' : '--no-write'}) ${total.toFixed(0)} s`);
  await shutdownWasmCnn();
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();

