#!/usr/bin/env node
// Real networks: the full-size torchvision CNNs bench/export-zoo.py writes, inference ms at batch 1
// and 8 on 1 and 2 threads, wasm-cnn (loadOnnx; init({ threads: 2 }), setNumThreads(1|2)) against
// onnxruntime-web (wasm EP). Every case of a model is timed round-robin in one process: wasm-cnn on
// the main thread, onnxruntime-web in one worker_thread per thread count (its thread pool size is
// fixed per instance at its first session, so each count gets its own instance; the worker times
// its own runs, and the main thread sleeps meanwhile). Then a per-kind profile of wasm-cnn's
// batch-1 run (startOpProfile: conv by algorithm, pooling, elementwise, layout changes, ...).
//
//   /usr/bin/python3 bench/export-zoo.py                 # once: writes bench/out/zoo
//   node bench/zoo.mjs [--dir bench/out/zoo] [--only resnet18,mobilenet_v2] [--quick]
//        [--batches 1,8] [--threads 1,2] [--no-ort] [--no-profile] [--no-bench] [--repeats N] [--cpu] [--settle MS]
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { optionValue, csv, median, zooManifest } from './cli.mjs';
import { shortError, timingWorker } from './timing-worker.mjs';

const wave = (n) => Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(0.731 * i + 0.1));

function options() {
  const argv = process.argv.slice(2);
  const value = (name, dflt) => optionValue(argv, name, dflt);
  const list = csv;
  const quick = argv.includes('--quick');
  return {
    dir: value('dir', fileURLToPath(new URL('./out/zoo', import.meta.url))),
    only: list(value('only', '')),
    quick,
    batches: list(value('batches', '1,8')).map(Number),
    threads: list(value('threads', '1,2')).map(Number),
    repeats: Number(value('repeats', quick ? 3 : 7)),
    ort: !argv.includes('--no-ort'),
    profile: !argv.includes('--no-profile'),
    bench: !argv.includes('--no-bench'),
    cpu: argv.includes('--cpu'),
    // onnxruntime-web's 2-thread pool keeps about one core busy for ~60 ms after a run.
    settleMs: Number(value('settle', 300)),
  };
}

const log = (...a) => console.error(...a);

const cpuMsSince = (c0) => { const d = process.cpuUsage(c0); return (d.user + d.system) / 1000; };
const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const table = (header, rows) => [header, header.map((_, i) => (i ? '--:' : ':--')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

/** onnxruntime-web with `threads` threads in a worker: time(calls, dims?) runs calls on the (new) input. */
function ortWorker(file, threads, dims, checkLength) {
  const w = timingWorker(fileURLToPath(import.meta.url), { file, threads, dims, checkLength });
  return { ready: w.ready, time: (calls, newDims) => w.time({ calls, dims: newDims }), stop: w.stop };
}

async function main() {
  const opt = options();
  const manifest = zooManifest(opt.dir);
  const names = Object.keys(manifest).filter((n) => opt.only.length === 0 || opt.only.includes(n));
  const W = await import('../dist/index.js');
  const maxThreads = Math.max(...opt.threads);
  await W.init({ threads: maxThreads });
  const info = W.backendInfo();
  if (info.threads < maxThreads) log(`wasm-cnn runs ${info.threads} thread(s): ${info.threadsNote ?? ''}`);

  const rows = [];
  const profiles = [];
  const skipped = [];
  for (const name of names) {
    const m = manifest[name];
    const file = join(opt.dir, m.file);
    log(`${name}: loading`);
    let model;
    try {
      model = await W.loadOnnx(readFileSync(file));
    } catch (e) {
      skipped.push([name, shortError(e)]);
      log(`${name}: skipped, wasm-cnn cannot load it: ${shortError(e)}`);
      continue;
    }
    try {
      const result = await benchModel(W, opt, name, m, file, model);
      rows.push(...result.rows);
      if (result.profile) profiles.push(result.profile);
    } catch (e) {
      skipped.push([name, shortError(e)]);
      log(`${name}: failed: ${shortError(e)}`);
    } finally {
      model.dispose();
    }
  }
  await W.shutdown?.();

  const out = [];
  out.push(`## Real networks: torchvision CNNs, inference ${opt.cpu ? 'process CPU' : ''} ms per batch (median of ${opt.repeats} round-robin repeats)`);
  if (opt.cpu) out.push('', 'CPU time of the whole process (all threads) rather than wall time: on a loaded machine the one-thread columns compare the work each library does; on two threads it is the sum over both threads, so "2t ÷ 1t" there is the work ratio, not a speed-up.');
  out.push('');
  out.push(`wasm-cnn ${info.variant} build (relaxed SIMD ${info.relaxedSimd ? 'on' : 'off'}) against onnxruntime-web (wasm EP); Node ${process.version}. ` +
    `Ratios are speed ratios (above 1: wasm-cnn is faster). "max |Δ|": wasm-cnn's batch-1 output against PyTorch's, relative to PyTorch's largest |output|.`);
  out.push('');
  if (opt.bench) {
    const header = ['model', 'batch', ...opt.threads.flatMap((t) => [`wasm-cnn ${t}t`, `ORT ${t}t`, `÷ ORT ${t}t`])];
    if (opt.threads.length > 1) header.push(...opt.threads.slice(1).map((t) => `wasm-cnn ${t}t ÷ 1t`), ...opt.threads.slice(1).map((t) => `ORT ${t}t ÷ 1t`));
    header.push('max |Δ|');
    out.push(table(header, rows));
  }
  if (skipped.length) {
    out.push('');
    out.push('Not measured:');
    for (const [n, why] of skipped) out.push(`- ${n}: ${why}`);
  }
  for (const p of profiles) { out.push(''); out.push(p); }
  console.log(out.join('\n'));
  process.exit(0);
}

/** Times one model at every batch and thread count, then profiles its batch-1 run. */
async function benchModel(W, opt, name, m, file, model) {
  const inputDims = (b) => [b, ...m.input.slice(1)];
  const size = (d) => d.reduce((a, b) => a * b, 1);
  const outLen = size(m.output.slice(1));
  // Batch 1 is always made: the correctness check and the profile run it.
  const inputs = new Map([...new Set([1, ...opt.batches])].map((b) => [b, W.keep(W.tensor(wave(size(inputDims(b))), inputDims(b)))]));
  const runOnce = (b) => { const y = model.predict(inputs.get(b)); const d = y.dataSync(); y.dispose(); return d; };

  // Correctness against PyTorch's output for the batch-1 wave input.
  let maxDiff = NaN;
  const refPath = file.replace(/\.onnx$/, '.out.f32');
  if (existsSync(refPath)) {
    const ours = runOnce(1);
    const bytes = readFileSync(refPath);
    const ref = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    let maxRef = 0;
    maxDiff = 0;
    for (let i = 0; i < ref.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i])); maxRef = Math.max(maxRef, Math.abs(ref[i])); }
    maxDiff /= maxRef || 1;
  }

  const rows = [];
  if (opt.bench) {
    const orts = new Map();
    if (opt.ort) {
      for (const t of opt.threads) {
        const wk = ortWorker(file, t, inputDims(opt.batches[0]), Math.min(outLen, 16));
        const r = await wk.ready;
        if (r.error) { log(`${name}: onnxruntime-web ${t}t: ${r.error}`); await wk.stop(); continue; }
        orts.set(t, wk);
      }
    }
    for (const b of opt.batches) {
      const cases = [];
      for (const t of opt.threads) {
        cases.push({ key: `w${t}`, time: async (calls) => {
          W.setNumThreads(t);
          const t0 = performance.now(), c0 = process.cpuUsage();
          for (let i = 0; i < calls; i++) runOnce(b);
          return { ms: (performance.now() - t0) / calls, cpuMs: cpuMsSince(c0) / calls };
        } });
        const wk = orts.get(t);
        if (wk) {
          let first = true;
          cases.push({ key: `o${t}`, time: async (calls) => { const r = await wk.time(calls, first ? inputDims(b) : undefined); first = false; return r; } });
        }
      }
      // Warm-up (one untimed run each; the first sets ORT's input), then round-robin repeats.
      const calls = new Map();
      for (const c of cases) {
        const dt = (await c.time(1)).ms;
        calls.set(c.key, Math.max(1, Math.min(20, Math.round((opt.quick ? 150 : 400) / dt))));
      }
      const samples = new Map(cases.map((c) => [c.key, []]));
      for (let r = 0; r < opt.repeats; r++) {
        for (const c of cases) {
          // A pause lets the previous case's idle threads stop spinning before this case's clock starts.
          await new Promise((resolve) => setTimeout(resolve, opt.settleMs));
          const m = await c.time(calls.get(c.key));
          samples.get(c.key).push(opt.cpu ? m.cpuMs : m.ms);
        }
      }
      const med = (k) => (samples.has(k) ? median(samples.get(k)) : NaN);
      const row = [name, String(b)];
      for (const t of opt.threads) row.push(ms(med(`w${t}`)), ms(med(`o${t}`)), ratio(med(`o${t}`), med(`w${t}`)));
      if (opt.threads.length > 1) {
        const t1 = opt.threads[0];
        for (const t of opt.threads.slice(1)) row.push(ratio(med(`w${t1}`), med(`w${t}`)));
        for (const t of opt.threads.slice(1)) row.push(ratio(med(`o${t1}`), med(`o${t}`)));
      }
      row.push(Number.isFinite(maxDiff) ? maxDiff.toExponential(1) : 'n/a');
      rows.push(row);
      log(`  ${row.join(' | ')}`);
    }
    for (const wk of orts.values()) await wk.stop();
  }

  const profile = opt.profile ? profileModel(W, opt, name, () => runOnce(1)) : null;
  for (const x of inputs.values()) x.dispose();
  return { rows, profile };
}

/** wasm-cnn's batch-1 time by kind of step on each thread count: ms per run and share. */
function profileModel(W, opt, name, run) {
  const reps = opt.quick ? 2 : 5;
  const byThreads = new Map();
  for (const t of opt.threads) {
    W.setNumThreads(t);
    run();
    W.startOpProfile();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    const total = (performance.now() - t0) / reps;
    byThreads.set(t, { total, rows: W.stopOpProfile() });
  }
  const t1 = opt.threads[0];
  const base = byThreads.get(t1);
  const kinds = base.rows.map((r) => r.kind);
  const get = (t, k) => byThreads.get(t).rows.find((r) => r.kind === k);
  const header = ['kind', 'steps', ...opt.threads.flatMap((t) => (t === t1 ? [`ms ${t}t`, '%'] : [`ms ${t}t`, `${t}t ÷ ${t1}t`]))];
  const rows = kinds.map((k) => {
    const r1 = get(t1, k);
    const cells = [k, String(Math.round(r1.calls / reps))];
    for (const t of opt.threads) {
      const r = get(t, k);
      const v = r ? r.ms / reps : NaN;
      cells.push(ms(v), t === t1 ? `${((100 * v) / base.total).toFixed(1)}%` : ratio(r1.ms / reps, v));
    }
    return cells;
  });
  const total = ['whole run (incl. reading the output)', '', ...opt.threads.flatMap((t) => [ms(byThreads.get(t).total), t === t1 ? '100%' : ratio(base.total, byThreads.get(t).total)])];
  return [`### wasm-cnn profile: ${name}, batch 1 (${reps} runs, ms per run)`, '', table(header, [...rows, total])].join('\n');
}

if (!isMainThread) {
  // onnxruntime-web with workerData.threads threads, one model; messages: { calls } -> { ms } per call.
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = workerData.threads;
  ort.env.logLevel = 'error';
  let session, feeds;
  try {
    session = await ort.InferenceSession.create(readFileSync(workerData.file), { executionProviders: ['wasm'] });
    const dims = workerData.dims;
    feeds = { [session.inputNames[0]]: new ort.Tensor('float32', wave(dims.reduce((a, b) => a * b, 1)), dims) };
    const out = await session.run(feeds);
    parentPort.postMessage({ ready: true, output: out[session.outputNames[0]].data.slice(0, workerData.checkLength) });
  } catch (e) {
    parentPort.postMessage({ error: String(e?.message ?? e).split('\n')[0] });
  }
  parentPort.on('message', async ({ calls, dims, stop }) => {
    if (stop) { await session?.release(); parentPort.postMessage({ stopped: true }); return; }
    if (dims) feeds = { [session.inputNames[0]]: new ort.Tensor('float32', wave(dims.reduce((a, b) => a * b, 1)), dims) };
    const t0 = performance.now(), c0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) await session.run(feeds);
    parentPort.postMessage({ ms: (performance.now() - t0) / calls, cpuMs: cpuMsSince(c0) / calls });
  });
} else {
  await main();
}
