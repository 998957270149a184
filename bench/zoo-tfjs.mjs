#!/usr/bin/env node
// Real networks against TensorFlow.js: MobileNetV2 and ResNet-50 inference ms per batch, wasm-cnn
// (loadOnnx of the torchvision exports bench/export-zoo.py writes) against the same architectures
// rebuilt in tfjs-layers (bench/tfjs-zoo-models.mjs) on tfjs-backend-wasm and tfjs-backend-cpu.
// Every case of a model and batch is timed round-robin in one process: wasm-cnn on the main thread
// (init({ threads: max }), setNumThreads(t)), each tfjs configuration in a worker_thread of its own
// (a tfjs engine holds one wasm backend instance, whose thread count is fixed when it starts), which
// times its own calls while the main thread waits.
//
//   node bench/zoo-tfjs.mjs [--dir bench/out/zoo] [--only mobilenet_v2,resnet50] [--batches 1,8]
//        [--threads 1,2] [--repeats 7] [--cpu-repeats 3] [--cpu-batches 1] [--no-cpu] [--quick]
//        [--resnet-stride 3x3|1x1]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { optionValue, csv, median, zooManifest } from './cli.mjs';
import { shortError, timingWorker } from './timing-worker.mjs';

const MODELS = ['mobilenet_v2', 'resnet50'];
const wave = (n) => Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(0.731 * i + 0.1));
const log = (...a) => console.error(...a);
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const table = (header, rows) => [header, header.map((_, i) => (i > 1 ? '--:' : ':--')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

function options() {
  const argv = process.argv.slice(2);
  const value = (name, dflt) => optionValue(argv, name, dflt);
  const list = csv;
  const quick = argv.includes('--quick');
  return {
    dir: value('dir', fileURLToPath(new URL('./out/zoo', import.meta.url))),
    only: list(value('only', MODELS.join(','))),
    quick,
    batches: list(value('batches', '1,8')).map(Number),
    threads: list(value('threads', '1,2')).map(Number),
    repeats: Number(value('repeats', quick ? 3 : 7)),
    cpuRepeats: Number(value('cpu-repeats', 3)),
    cpuBatches: argv.includes('--no-cpu') ? [] : list(value('cpu-batches', '1')).map(Number),
    resnetStride: value('resnet-stride', '3x3'),
  };
}

/** A tfjs configuration in a worker: { ready: Promise<{error?, threads?, output?}>, time(calls, batch), stop() }. */
function tfjsWorker(config) {
  const w = timingWorker(fileURLToPath(import.meta.url), config);
  return { ready: w.ready, time: (calls, batch) => w.time({ calls, batch }), stop: w.stop };
}

/** Largest |a - b| over the compared prefix, relative to max |b|. */
function relDiff(a, b) {
  if (!a || !b) return NaN;
  let d = 0, m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / (m || 1);
}

async function main() {
  const opt = options();
  const manifest = zooManifest(opt.dir);
  const names = opt.only.filter((n) => MODELS.includes(n) && manifest[n]);
  const W = await import('../dist/index.js');
  const maxThreads = Math.max(...opt.threads);
  await W.init({ threads: maxThreads });
  const info = W.backendInfo();
  if (info.threads < maxThreads) log(`wasm-cnn runs ${info.threads} thread(s): ${info.threadsNote ?? ''}`);

  const rows = [];
  const notes = [];
  for (const name of names) {
    log(`${name}: loading wasm-cnn and building the tfjs-layers models`);
    const model = await W.loadOnnx(readFileSync(join(opt.dir, manifest[name].file)));
    const modelOptions = name === 'resnet50' ? { strideOn: opt.resnetStride } : {};
    const configs = [
      ...opt.threads.map((t) => ({ key: `tw${t}`, backend: 'wasm', threads: t })),
      ...(opt.cpuBatches.length ? [{ key: 'tc', backend: 'cpu', threads: 1 }] : []),
    ];
    const workers = new Map();
    const outputs = new Map();
    for (const c of configs) {
      const wk = tfjsWorker({ ...c, name, modelOptions });
      const r = await wk.ready;
      if (r.error) { notes.push(`${name}: tfjs-${c.backend} ${c.threads}t: ${r.error}`); await wk.stop(); continue; }
      if (r.threads !== c.threads) notes.push(`${name}: tfjs-${c.backend} asked for ${c.threads} threads, runs ${r.threads}`);
      if (c.key === configs[0].key) notes.push(`${name} in tfjs-layers: ${r.layers} layers, ${r.params.total.toLocaleString('en')} parameters `
        + `(${r.params.trainable.toLocaleString('en')} trainable), ${(r.macs / 1e9).toFixed(3)} G multiply-adds per image`);
      workers.set(c.key, wk);
      outputs.set(c.key, r.output);
    }
    const reference = outputs.get('tc');
    for (const [key, out] of outputs) {
      if (key !== 'tc' && reference) notes.push(`${name}: tfjs-wasm ${key.slice(2)}t vs tfjs-cpu, batch-1 output max |Δ| ${relDiff(out, reference).toExponential(1)} (relative)`);
    }

    for (const b of opt.batches) {
      const dims = [b, ...manifest[name].input.slice(1)];
      const x = W.keep(W.tensor(wave(dims.reduce((p, q) => p * q, 1)), dims));
      const cases = [];
      for (const t of opt.threads) {
        cases.push({ key: `w${t}`, repeats: opt.repeats, time: async (calls) => {
          W.setNumThreads(t);
          const t0 = performance.now();
          for (let i = 0; i < calls; i++) { const y = model.predict(x); y.dataSync(); y.dispose(); }
          return (performance.now() - t0) / calls;
        } });
      }
      for (const [key, wk] of workers) {
        if (key === 'tc' && !opt.cpuBatches.includes(b)) continue;
        cases.push({ key, repeats: key === 'tc' ? Math.min(opt.cpuRepeats, opt.repeats) : opt.repeats, time: async (calls) => (await wk.time(calls, b)).ms });
      }
      // Warm-up (one untimed call each), then round-robin repeats of ~400 ms (tfjs-cpu: one call).
      const calls = new Map();
      for (const c of cases) {
        const dt = await c.time(1);
        calls.set(c.key, c.key === 'tc' ? 1 : Math.max(1, Math.min(20, Math.round((opt.quick ? 150 : 400) / dt))));
        log(`  ${name} b${b} ${c.key}: warm-up ${ms(dt)} ms`);
      }
      const samples = new Map(cases.map((c) => [c.key, []]));
      for (let r = 0; r < opt.repeats; r++) {
        for (const c of cases) {
          if (r >= c.repeats) continue;
          // A pause lets the previous case's idle threads stop spinning before this case's clock starts.
          await settle();
          samples.get(c.key).push(await c.time(calls.get(c.key)));
        }
      }
      x.dispose();
      const med = (k) => (samples.has(k) ? median(samples.get(k)) : NaN);
      const row = [name, String(b)];
      for (const t of opt.threads) row.push(ms(med(`w${t}`)), ms(med(`tw${t}`)), ratio(med(`tw${t}`), med(`w${t}`)));
      row.push(ms(med('tc')), ratio(med('tc'), med(`w${opt.threads[0]}`)));
      for (const t of opt.threads.slice(1)) row.push(ratio(med(`w${opt.threads[0]}`), med(`w${t}`)), ratio(med(`tw${opt.threads[0]}`), med(`tw${t}`)));
      rows.push(row);
      log(`  ${row.join(' | ')}`);
    }
    for (const wk of workers.values()) await wk.stop();
    model.dispose();
  }
  await W.shutdown?.();

  const t1 = opt.threads[0];
  const header = ['model', 'batch', ...opt.threads.flatMap((t) => [`wasm-cnn ${t}t`, `tfjs-wasm ${t}t`, `÷ tfjs-wasm ${t}t`]),
    `tfjs-cpu`, `÷ tfjs-cpu`, ...opt.threads.slice(1).flatMap((t) => [`wasm-cnn ${t}t ÷ ${t1}t`, `tfjs-wasm ${t}t ÷ ${t1}t`])];
  const out = [
    `## Real networks against TensorFlow.js: inference ms per batch (median of ${opt.repeats} round-robin repeats; tfjs-cpu ${opt.cpuRepeats})`,
    '',
    `wasm-cnn ${info.variant} build runs torchvision's ONNX exports; tfjs-layers 4.22 runs the same architectures rebuilt in `
      + `keras.applications' layer order (ResNet-50 strided on the ${opt.resnetStride} conv) with seeded random weights. `
      + `Node ${process.version}. Ratios are speed ratios (above 1: wasm-cnn is faster); "÷ tfjs-cpu" is against wasm-cnn ${t1}t. `
      + 'tfjs-backend-wasm turns threads off in Node; its threaded build runs here only through bench/tfjs-node-threads.mjs.',
    '',
    table(header, rows),
  ];
  if (notes.length) out.push('', ...notes.map((n) => `- ${n}`));
  console.log(out.join('\n'));
  process.exit(0);
}

/** Worker: one tfjs configuration and one model; messages { calls, batch } -> { ms } per call. */
async function worker() {
  const require = createRequire(import.meta.url);
  const { backend, threads, name, modelOptions } = workerData;
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const { buildChecked } = await import('./tfjs-zoo-models.mjs');
  tf.enableProdMode();
  const inputs = new Map();
  const input = (b) => {
    if (!inputs.has(b)) inputs.set(b, tf.tensor4d(wave(b * 224 * 224 * 3), [b, 224, 224, 3]));
    return inputs.get(b);
  };
  let model;
  try {
    let actualThreads = 1;
    if (backend === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('tfjs-backend-cpu failed to initialise');
    } else {
      const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
      tfwasm.setWasmPaths(`${require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[\\/]dist[\\/].*$/, '')}/dist/`);
      if (threads > 1) {
        const { initTfjsWasmThreads } = await import('./tfjs-node-threads.mjs');
        actualThreads = await initTfjsWasmThreads(tf, tfwasm, threads);
      } else {
        if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to initialise');
        actualThreads = tfwasm.getThreadsCount();
      }
    }
    const built = buildChecked(tfl, name, modelOptions);
    model = built.model;
    const y = model.predict(input(1));
    parentPort.postMessage({ threads: actualThreads, output: y.dataSync().slice(0, 1000), params: built.params, macs: built.macs, layers: model.layers.length });
    y.dispose();
  } catch (e) {
    parentPort.postMessage({ error: shortError(e) });
  }
  parentPort.on('message', ({ calls, batch, stop }) => {
    if (stop) { parentPort.postMessage({ stopped: true }); return; }
    const x = input(batch);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) { const y = model.predict(x); y.dataSync(); y.dispose(); }
    parentPort.postMessage({ ms: (performance.now() - t0) / calls });
  });
}

if (isMainThread) await main();
else await worker();
