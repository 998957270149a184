#!/usr/bin/env node
// Cold start: wall time from spawning a fresh `node` to its first MNIST CNN prediction (import the
// library, initialise, build the network, predict one 28x28x1 image), against `node -e 0`.
// Spawns run round-robin (one of each, then again) so background load hits every runtime alike.
//
//   node bench/coldstart.mjs [--quick]
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT, ONNX_PATH, median, fmt, ratio, mdTable, isQuick, log, machineInfo, loadWasmCnn, shutdownWasmCnn } from './models.mjs';

const MARK = '__FIRST_PREDICTION__';
// What `import ... from 'wasm-cnn'` loads: the package exports map points "." at this bundle.
const distUrl = pathToFileURL(`${ROOT}dist/pkg-index.js`).href;

// The child scripts (ES modules, run with cwd = repo root so package imports resolve).
const layersKeras = (p) => `[
  ${p}conv2d({ ${p === 'tfl.layers.' ? 'inputShape: [28, 28, 1], ' : ''}filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
  ${p}${p === 'nn.' ? 'maxPool2d' : 'maxPooling2d'}({ poolSize: 2 }),
  ${p}conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
  ${p}${p === 'nn.' ? 'maxPool2d' : 'maxPooling2d'}({ poolSize: 2 }),
  ${p}flatten(),
  ${p}dense({ units: 128, activation: 'relu' }),
  ${p}dense({ units: 10, activation: 'softmax' }),
]`;

export const COLD_CASES = [
  { name: 'node -e 0 (baseline)', args: ['-e', '0'], baseline: true },
  {
    name: 'wasm-cnn', wasmCnn: true,
    code: `
      const { init, Sequential, nn, tensor } = await import(${JSON.stringify(distUrl)});
      await init();
      const model = new Sequential(${layersKeras('nn.')}, { inputShape: [28, 28, 1] });
      const y = model.predict(tensor(new Float32Array(784).fill(0.5), [1, 28, 28, 1]));
      y.dataSync();
      console.log(${JSON.stringify(MARK)});
      process.exit(0);`,
  },
  {
    name: 'tfjs-layers + tfjs-backend-wasm',
    code: `
      const tf = await import('@tensorflow/tfjs-core');
      const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
      const tfl = await import('@tensorflow/tfjs-layers');
      setWasmPaths(${JSON.stringify(`${ROOT}node_modules/@tensorflow/tfjs-backend-wasm/dist/`)});
      await tf.setBackend('wasm');
      const model = tfl.sequential({ layers: ${layersKeras('tfl.layers.')} });
      const y = model.predict(tf.fill([1, 28, 28, 1], 0.5));
      y.dataSync();
      console.log(${JSON.stringify(MARK)});
      process.exit(0);`,
  },
  {
    name: 'onnxruntime-web (wasm EP, 1 thread)',
    code: `
      const ort = await import('onnxruntime-web');
      const { readFileSync } = await import('node:fs');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(readFileSync(${JSON.stringify(ONNX_PATH)}), { executionProviders: ['wasm'] });
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(784).fill(0.5), [1, 1, 28, 28]) });
      void out;
      console.log(${JSON.stringify(MARK)});
      process.exit(0);`,
  },
];

/** Spawns one child; resolves with ms from spawn to its marker line (or to exit for the baseline). */
function timeSpawn(c, timeoutMs = 60000) {
  return new Promise((resolve) => {
    const args = c.args ?? ['--input-type=module', '-e', c.code];
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let marked = null;
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      if (marked === null && out.includes(MARK)) marked = performance.now() - t0;
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      clearTimeout(timer);
      const exitMs = performance.now() - t0;
      if (c.args) resolve({ ms: exitMs });
      else if (marked !== null) resolve({ ms: marked });
      else {
        const line = err.split('\n').find((l) => /Error|error:/.test(l)) ?? `exit code ${code}`;
        resolve({ error: line.trim().slice(0, 90) });
      }
    });
  });
}

/** Returns { markdown, results: Map name -> { ms, samples, error } }. */
export async function benchColdStart({ quick = false, repeats = quick ? 5 : 7 } = {}) {
  const w = await loadWasmCnn();
  const results = new Map(COLD_CASES.map((c) => [c.name, { ms: NaN, samples: [], error: null }]));
  // wasm-cnn's child needs the model API; without it, say so rather than time a crash.
  const apiMissing = w.error || typeof w.mod.Sequential !== 'function' || typeof w.mod.nn?.conv2d !== 'function';
  if (apiMissing) results.get('wasm-cnn').error = 'not built yet';
  log(`cold start: ${COLD_CASES.length} runtimes x ${repeats} spawns, round-robin`);
  for (const c of COLD_CASES) if (!results.get(c.name).error) await timeSpawn(c); // untimed: warm file cache, as a user's second run
  for (let r = 0; r < repeats; r++) {
    for (const c of COLD_CASES) {
      const res = results.get(c.name);
      if (res.error) continue;
      let t = await timeSpawn(c);
      // dist/ may be mid-rebuild in a shared checkout: retry a failed spawn twice before giving up.
      for (let retry = 0; t.error && retry < 2; retry++) {
        log(`  cold start ${c.name}: ${t.error}; retrying`);
        await new Promise((ok) => setTimeout(ok, 3000));
        t = await timeSpawn(c);
      }
      if (t.error) { res.error = t.error; log(`  cold start ${c.name}: n/a (${t.error})`); } else res.samples.push(t.ms);
    }
  }
  for (const res of results.values()) if (!res.error) res.ms = median(res.samples);
  const base = results.get(COLD_CASES[0].name).ms;
  const wcnn = results.get('wasm-cnn').ms;
  const rows = COLD_CASES.map((c) => {
    const r = results.get(c.name);
    return [c.name, r.error ? (r.error === 'not built yet' ? 'n/a (not built yet)' : `n/a (${r.error})`) : fmt(r.ms),
      ratio(r.ms, base), ratio(r.ms, wcnn)];
  });
  const markdown = [
    `### Cold start: fresh \`node\` process to first prediction, ms (median of ${repeats} spawns, after one untimed spawn each)`,
    '',
    mdTable(['runtime', 'ms', '÷ node -e 0', '÷ wasm-cnn'], rows),
    '',
    'Each child imports the library, initialises it (wasm-cnn: `init()` with default options), builds the MNIST CNN'
      + ' (onnxruntime-web: loads bench/mnist-cnn.onnx), predicts one image and reads it back. Lower is better.',
  ].join('\n');
  return { markdown, results };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = isQuick();
  const { markdown } = await benchColdStart({ quick });
  const w = await loadWasmCnn();
  console.log(`## Cold start${quick ? ' (--quick)' : ''}\n\n${machineInfo(w.info)}\n\n${markdown}\n`);
  await shutdownWasmCnn();
  process.exit(0);
}
