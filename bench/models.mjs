#!/usr/bin/env node
// Whole-model throughput of the classic MNIST CNN (conv3x3x32 relu, maxpool2, conv3x3x64 relu,
// maxpool2, flatten, dense128 relu, dense10 softmax; 'same' padding; 28x28x1), one thread:
// inference images/s (batch 1 and 64) and training images/s (batch 64, SGD momentum 0.9), wasm-cnn
// against tfjs-layers (wasm and cpu backends), onnxruntime-web (wasm EP) and ConvNetJS.
// Also the shared helpers of bench/run.mjs and bench/coldstart.mjs (timing, tables, machine info).
//
//   node bench/models.mjs [--quick]       prints the markdown tables (bench/run.mjs writes RESULTS.md)
import os from 'node:os';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(new URL('../package.json', import.meta.url));

// ---------------------------------------------------------------- shared helpers

export const isQuick = (argv = process.argv) => argv.includes('--quick');
export const log = (...a) => console.error(...a); // progress on stderr; the tables go to stdout

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** A number with 3 significant figures (no exponent for the ranges printed here). */
export function fmt(x) {
  if (x == null || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** a / b as '1.35x' ('n/a' when either side is missing). */
export function ratio(a, b) {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  const r = a / b;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** A markdown table; the first column is left-aligned, the others right-aligned. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ':--' : '--:'))), ...rows.map((r) => line(r.map(String)))].join('\n');
}

/** A short, single-line reason for an 'n/a' cell. */
export function reason(err) {
  const msg = String(err?.message ?? err).split('\n')[0].replace(/\|/g, '/');
  return msg.length > 90 ? `${msg.slice(0, 87)}...` : msg;
}

/** Machine description as markdown lines (CPU, cores, Node, date, wasm-cnn build variant). */
export function machineInfo(wasmCnnInfo) {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  let commit = 'unknown';
  try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* no git */ }
  const v = wasmCnnInfo
    ? `${wasmCnnInfo.variant} (relaxed SIMD ${wasmCnnInfo.relaxedSimd ? 'on' : 'off'}, ${wasmCnnInfo.threads} thread${wasmCnnInfo.threads === 1 ? '' : 's'})`
    : 'n/a (not built yet)';
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return [
    `- CPU: ${cpu}, ${cores} cores (load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}: the machine is shared, so absolute figures are noisy; same-process ratios are what count)`,
    `- Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.arch()}`,
    `- Date: ${new Date().toISOString()}`,
    `- wasm-cnn build variant: ${v}, commit ${commit}`,
  ].join('\n');
}

/**
 * Times several cases round-robin (repeat r of every case before repeat r+1 of any), so that load
 * from other processes spreads over all cases alike. Each case: { name, setup?, before?, run, work,
 * warmup?, calls? }: `setup` once (errors mark the case n/a), `before` untimed ahead of each repeat,
 * `run` the timed unit doing `work` items (images, FLOPs...). Calls per repeat are chosen from the
 * warm-up so that one repeat lasts >= minMs unless `calls` is given. Returns Map name -> { rate:
 * median items/s, samples, calls, error }.
 */
export async function measureRoundRobin(cases, { repeats = 5, minMs = 200, label = '' } = {}) {
  const res = new Map();
  const live = [];
  for (const c of cases) {
    const r = { rate: NaN, samples: [], calls: 0, error: null };
    res.set(c.name, r);
    if (c.error) { r.error = c.error; continue; }
    try {
      if (c.setup) await c.setup();
      if (c.before) await c.before();
      let last = 0;
      const warmup = c.warmup ?? 2;
      for (let i = 0; i < warmup; i++) {
        const t0 = performance.now();
        await c.run();
        last = performance.now() - t0;
      }
      r.calls = c.calls ?? Math.max(1, Math.min(100000, Math.ceil(minMs / Math.max(last, 1e-3))));
      live.push([c, r]);
    } catch (e) {
      r.error = reason(e);
      log(`  ${label}${c.name}: n/a (${r.error})`);
      if (process.env.BENCH_DEBUG) console.error(e);
    }
  }
  for (let rep = 0; rep < repeats; rep++) {
    for (const [c, r] of live) {
      if (r.error) continue;
      try {
        if (c.before) await c.before();
        const t0 = performance.now();
        for (let i = 0; i < r.calls; i++) await c.run();
        const dt = performance.now() - t0;
        r.samples.push((c.work * r.calls) / (dt / 1000));
      } catch (e) {
        r.error = reason(e);
        log(`  ${label}${c.name}: n/a (${r.error})`);
      }
    }
  }
  for (const [c, r] of live) {
    if (!r.error) r.rate = median(r.samples);
    if (c.teardown) { try { await c.teardown(); } catch { /* best effort */ } }
  }
  return res;
}

/** A cell for a measured rate: the figure, or 'n/a (why)'. */
export function rateCell(r, digits = fmt) {
  if (!r) return 'n/a';
  if (r.error) return /^not built yet/.test(r.error) ? 'n/a (not built yet)' : `n/a (${r.error})`;
  return digits(r.rate);
}

let tfPromise = null;
/** tfjs-core with the cpu and wasm backends and tfjs-layers, loaded once. */
export function loadTf() {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
    const tfl = await import('@tensorflow/tfjs-layers');
    const dist = `${require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[\\/]dist[\\/].*$/, '')}/dist/`;
    tfwasm.setWasmPaths(dist);
    // Production mode, as deployed: skips tfjs's debug-time checks (and its "install tfjs-node" banner).
    tf.enableProdMode();
    return { tf, tfl, tfwasm };
  })();
  return tfPromise;
}

/** Switches tfjs to a backend (initialising it on first use). */
export async function tfBackend(tf, name) {
  if (tf.getBackend() !== name) {
    if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  }
  await tf.ready();
}

let wasmCnnPromise = null;
/** wasm-cnn from dist/, initialised single-threaded: { mod, info } or { error }. */
export function loadWasmCnn() {
  wasmCnnPromise ??= (async () => {
    try {
      const mod = await import('../dist/index.js');
      await mod.init({ threads: 1 });
      const info = typeof mod.backendInfo === 'function' ? mod.backendInfo() : null;
      return { mod, info };
    } catch (e) {
      log(`wasm-cnn: dist/index.js failed to load or init: ${reason(e)}`);
      return { error: 'not built yet' };
    }
  })();
  return wasmCnnPromise;
}

/** Frees wasm-cnn's worker pool, if any, so the process can exit. */
export async function shutdownWasmCnn() {
  if (!wasmCnnPromise) return;
  const w = await wasmCnnPromise;
  if (w.mod && typeof w.mod.shutdown === 'function') { try { await w.mod.shutdown(); } catch { /* ignore */ } }
}

/** Seeded uniform [0, 1) floats for benchmark inputs (xorshift32; values do not matter, reproducibility helps). */
export function randomF32(n, seed = 42) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296;
  }
  return out;
}
const labels = (n) => Int32Array.from({ length: n }, (_, i) => (i * 7) % 10);

// ---------------------------------------------------------------- the network, per library

/** wasm-cnn's Sequential for the MNIST CNN; throws 'not built yet' when the model API is missing. */
export function wasmCnnMnist(mod) {
  const { Sequential, nn } = mod;
  if (typeof Sequential !== 'function' || !nn || typeof nn.conv2d !== 'function') {
    throw new Error('not built yet (no Sequential / nn in dist/index.js)');
  }
  return new Sequential([
    nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dense({ units: 128, activation: 'relu' }),
    nn.dense({ units: 10, activation: 'softmax' }),
  ], { inputShape: [28, 28, 1] });
}

function tfjsMnist(tfl) {
  return tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 128, activation: 'relu' }),
    tfl.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
}

function convnetjsMnist(convnetjs) {
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 3, filters: 32, stride: 1, pad: 1, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 3, filters: 64, stride: 1, pad: 1, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 128, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  return net;
}

export const ONNX_PATH = fileURLToPath(new URL('./mnist-cnn.onnx', import.meta.url));

let ortPromise = null;
/** onnxruntime-web (wasm EP) configured for one thread in Node. */
export function loadOrt() {
  ortPromise ??= (async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    return ort;
  })();
  return ortPromise;
}

/** The ONNX bytes of the benchmark network: the committed file (regenerated if missing). */
async function onnxBytes() {
  if (existsSync(ONNX_PATH)) return readFileSync(ONNX_PATH);
  const { makeMnistCnnOnnx } = await import('./make-onnx.mjs');
  return makeMnistCnnOnnx();
}

// ---------------------------------------------------------------- benchmarks

const TFJS_CPU_TRAIN_BATCH = { full: 4, quick: 2 };
const CONVNETJS_SAMPLES = { full: 64, quick: 16 };

/** Inference images/s at batch 1 and 64. Returns { markdown, results }. */
export async function benchInference({ quick = false, repeats = quick ? 5 : 7 } = {}) {
  const minMs = quick ? 100 : 300;
  const { tf, tfl } = await loadTf();
  const w = await loadWasmCnn();
  const ort = await loadOrt();
  const onnx = await onnxBytes();
  const batches = [1, 64];
  const cases = [];

  // wasm-cnn
  let wmodel = null;
  let wErr = w.error ?? null;
  if (!wErr) { try { wmodel = wasmCnnMnist(w.mod); } catch (e) { wErr = reason(e); } }
  for (const b of batches) {
    let x;
    cases.push({
      name: `wasm-cnn b${b}`, work: b, error: wErr,
      setup: () => { x = w.mod.tensor(randomF32(b * 784), [b, 28, 28, 1]); },
      run: () => { const y = wmodel.predict(x, { batchSize: b }); y.dataSync(); y.dispose(); },
      teardown: () => x?.dispose(),
    });
  }
  // onnxruntime-web, the committed ONNX file (NCHW input)
  const ortSessions = [];
  const ortCase = (libName, bytesFn, layout) => {
    let session = null;
    for (const b of batches) {
      let feeds;
      cases.push({
        name: `${libName} b${b}`, work: b,
        setup: async () => {
          if (!session) {
            const bytes = await bytesFn();
            session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
            ortSessions.push(session);
          }
          const dims = layout === 'NCHW' ? [b, 1, 28, 28] : [b, 28, 28, 1];
          feeds = { [session.inputNames[0]]: new ort.Tensor('float32', randomF32(b * 784), dims) };
        },
        run: async () => { await session.run(feeds); },
      });
    }
  };
  ortCase('onnxruntime-web', async () => onnx, 'NCHW');
  // the same network exported by wasm-cnn itself, once model.toOnnx() exists
  const hasToOnnx = wmodel && typeof wmodel.toOnnx === 'function';
  if (hasToOnnx) ortCase('onnxruntime-web (wasm-cnn toOnnx export)', async () => wmodel.toOnnx(), 'NHWC');

  // tfjs-layers on both backends; each case switches backend before its (untimed) repeat start
  for (const be of ['wasm', 'cpu']) {
    let model = null;
    for (const b of batches) {
      let x;
      cases.push({
        name: `tfjs-layers ${be} b${b}`, work: b,
        warmup: be === 'cpu' && b > 1 ? 1 : 2,
        setup: async () => {
          await tfBackend(tf, be);
          model ??= tfjsMnist(tfl);
          x = tf.tensor(randomF32(b * 784), [b, 28, 28, 1]);
        },
        before: () => tfBackend(tf, be),
        run: () => { const y = model.predict(x, { batchSize: b }); y.dataSync(); y.dispose(); },
        teardown: () => x?.dispose(),
      });
    }
  }

  log(`inference: ${cases.length} cases, ${repeats} round-robin repeats`);
  const r = await measureRoundRobin(cases, { repeats, minMs, label: 'inference ' });
  for (const s of ortSessions) { try { await s.release(); } catch { /* ignore */ } }

  // Cross-check: onnxruntime-web on wasm-cnn's own export computes what wasm-cnn's predict does.
  let agreement = '';
  if (hasToOnnx) {
    try {
      const xs = randomF32(8 * 784, 11);
      const session = await ort.InferenceSession.create(wmodel.toOnnx(), { executionProviders: ['wasm'] });
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', xs, [8, 28, 28, 1]) });
      const theirs = out[session.outputNames[0]].data;
      const xt = w.mod.tensor(xs, [8, 28, 28, 1]);
      const y = wmodel.predict(xt, { batchSize: 8 });
      const ours = y.dataSync();
      y.dispose(); xt.dispose();
      await session.release();
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
      agreement = ` Check: on 8 random images, onnxruntime-web running wasm-cnn's \`toOnnx()\` export gives wasm-cnn's \`predict\``
        + ` probabilities within max |Δ| = ${maxDiff.toExponential(1)}.`;
    } catch (e) { agreement = ` Check of the toOnnx export failed: ${reason(e)}.`; }
  }

  const libs = ['wasm-cnn', 'onnxruntime-web', ...(hasToOnnx ? ['onnxruntime-web (wasm-cnn toOnnx export)'] : []),
    'tfjs-layers wasm', 'tfjs-layers cpu'];
  const get = (lib, b) => r.get(`${lib} b${b}`);
  const wb = (b) => get('wasm-cnn', b)?.rate;
  const rows = libs.map((lib) => [
    lib === 'onnxruntime-web' ? 'onnxruntime-web 1.30 (wasm EP, 1 thread, NCHW .onnx)'
      : lib.startsWith('tfjs') ? `${lib} (tfjs 4.22)` : lib,
    rateCell(get(lib, 1)), rateCell(get(lib, 64)),
    ratio(wb(1), get(lib, 1)?.rate),
    ratio(wb(64), get(lib, 64)?.rate),
  ]);
  const markdown = [
    `### Inference: MNIST CNN, images/s (median of ${repeats} round-robin repeats, each >= ${minMs} ms)`,
    '',
    mdTable(['library', 'batch 1', 'batch 64', 'wasm-cnn ÷ this (b1)', 'wasm-cnn ÷ this (b64)'], rows),
    '',
    `Ratios above 1 mean wasm-cnn is faster. Every call includes reading the output back (\`dataSync\`).${agreement}`,
  ].join('\n');
  return { markdown, results: r };
}

/** Training images/s (batch 64, SGD momentum 0.9). Returns { markdown, results }. */
export async function benchTraining({ quick = false, repeats = 5 } = {}) {
  const minMs = quick ? 100 : 300;
  const { tf, tfl } = await loadTf();
  const w = await loadWasmCnn();
  const B = 64;
  const cpuBatch = quick ? TFJS_CPU_TRAIN_BATCH.quick : TFJS_CPU_TRAIN_BATCH.full;
  const cnjSamples = quick ? CONVNETJS_SAMPLES.quick : CONVNETJS_SAMPLES.full;
  const cases = [];

  // wasm-cnn: compile + trainOnBatch
  {
    let model, x, y;
    cases.push({
      name: 'wasm-cnn', work: B, error: w.error ?? null,
      setup: () => {
        const { optim, tensor } = w.mod;
        if (!optim || typeof optim.sgd !== 'function') throw new Error('not built yet (no optim.sgd)');
        model = wasmCnnMnist(w.mod);
        if (typeof model.compile !== 'function' || typeof model.trainOnBatch !== 'function') {
          throw new Error('not built yet (no Sequential.compile / trainOnBatch)');
        }
        model.compile({ optimizer: optim.sgd({ lr: 0.01, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy' });
        x = tensor(randomF32(B * 784, 7), [B, 28, 28, 1]);
        y = tensor(labels(B), [B], 'int32');
      },
      run: () => model.trainOnBatch(x, y),
      teardown: () => { x?.dispose(); y?.dispose(); },
    });
  }
  // tfjs-layers: cpu trains; wasm lacks the Conv2DBackpropFilter kernel (checked, not assumed)
  const tfCase = (be, batch) => {
    let model, x, y;
    return {
      name: `tfjs-layers ${be}`, work: batch, warmup: 1, calls: be === 'cpu' ? 1 : undefined,
      setup: async () => {
        await tfBackend(tf, be);
        model = tfjsMnist(tfl);
        model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'sparseCategoricalCrossentropy' });
        x = tf.tensor(randomF32(batch * 784, 7), [batch, 28, 28, 1]);
        y = tf.tensor1d(Array.from(labels(batch)), 'float32');
      },
      before: () => tfBackend(tf, be),
      run: () => model.trainOnBatch(x, y),
      teardown: () => { x?.dispose(); y?.dispose(); },
    };
  };
  cases.push(tfCase('wasm', B));
  cases.push(tfCase('cpu', cpuBatch));
  // ConvNetJS: per-sample forward/backward, the trainer updates every batch_size samples
  {
    let trainer, vols;
    const lab = labels(cnjSamples);
    cases.push({
      name: 'ConvNetJS', work: cnjSamples, warmup: 1, calls: 1,
      setup: () => {
        const convnetjs = require('convnetjs');
        const net = convnetjsMnist(convnetjs);
        trainer = new convnetjs.Trainer(net, { method: 'sgd', learning_rate: 0.01, momentum: 0.9, batch_size: B, l2_decay: 0 });
        const data = randomF32(cnjSamples * 784, 7);
        vols = Array.from({ length: cnjSamples }, (_, i) => {
          const v = new convnetjs.Vol(28, 28, 1, 0.0);
          v.w.set(data.subarray(i * 784, (i + 1) * 784));
          return v;
        });
      },
      run: () => { for (let i = 0; i < cnjSamples; i++) trainer.train(vols[i], lab[i]); },
    });
  }

  // onnxruntime-web inference at batch 64 in the same rounds, for the training ÷ inference ratio.
  {
    const ort = await loadOrt();
    let session, feeds;
    cases.push({
      name: 'onnxruntime-web inference b64', work: 64,
      setup: async () => {
        session = await ort.InferenceSession.create(await onnxBytes(), { executionProviders: ['wasm'] });
        feeds = { [session.inputNames[0]]: new ort.Tensor('float32', randomF32(64 * 784), [64, 1, 28, 28]) };
      },
      run: async () => { await session.run(feeds); },
      teardown: async () => { await session?.release(); },
    });
  }
  log(`training: ${cases.length} cases, ${repeats} round-robin repeats`);
  const r = await measureRoundRobin(cases, { repeats, minMs, label: 'training ' });
  const wRate = r.get('wasm-cnn')?.rate;
  const wasmErr = r.get('tfjs-layers wasm')?.error;
  if (wasmErr) r.get('tfjs-layers wasm').error = /not registered|Conv2DBackpropFilter/i.test(wasmErr)
    ? 'tfjs-backend-wasm has no Conv2DBackpropFilter kernel' : wasmErr;
  const rows = [
    ['wasm-cnn (compile + trainOnBatch)', B, rateCell(r.get('wasm-cnn')), ratio(wRate, wRate)],
    ['tfjs-layers wasm (tfjs 4.22)', B, rateCell(r.get('tfjs-layers wasm')), ratio(wRate, r.get('tfjs-layers wasm')?.rate)],
    [`tfjs-layers cpu (tfjs 4.22) †`, cpuBatch, rateCell(r.get('tfjs-layers cpu')), ratio(wRate, r.get('tfjs-layers cpu')?.rate)],
    [`ConvNetJS 0.3 (sgd, batch_size ${B}) ‡`, B, rateCell(r.get('ConvNetJS')), ratio(wRate, r.get('ConvNetJS')?.rate)],
  ];
  const lines = [
    `### Training: MNIST CNN, images/s, SGD momentum 0.9 (median of ${repeats} round-robin repeats)`,
    '',
    mdTable(['library', 'batch', 'images/s', 'wasm-cnn ÷ this'], rows),
    '',
    `† tfjs-layers cpu takes 40-60 s per batch-64 step on this machine, so it is timed on batch-${cpuBatch} steps`
      + ' (its cost per image is flat in the batch size: every kernel loops over the batch); one step per repeat.',
    `‡ ConvNetJS trains one sample at a time (the trainer accumulates gradients and updates every ${B});`
      + ` each repeat times ${cnjSamples} samples.`,
  ];
  const ortRate = r.get('onnxruntime-web inference b64')?.rate;
  lines.push('', `wasm-cnn training (batch ${B}) ÷ onnxruntime-web inference (batch 64, timed in the same rounds): **${ratio(wRate, ortRate)}**`
    + ` (${fmt(wRate)} vs ${fmt(ortRate)} images/s)`);
  return { markdown: lines.join('\n'), results: r };
}

/** Sections 3 and 4 together: { markdown, inference, training }. */
export async function benchModels({ quick = false } = {}) {
  const inf = await benchInference({ quick });
  const tr = await benchTraining({ quick });
  return { markdown: `${inf.markdown}\n\n${tr.markdown}`, inference: inf.results, training: tr.results };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = isQuick();
  const t0 = performance.now();
  const { markdown } = await benchModels({ quick });
  const w = await loadWasmCnn();
  console.log(`## MNIST CNN models${quick ? ' (--quick)' : ''}\n\n${machineInfo(w.info)}\n\n${markdown}\n`);
  log(`models: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  await shutdownWasmCnn();
  process.exit(0);
}
